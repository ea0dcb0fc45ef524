//! A WordPress site's attachments: with a copy of its `wp-content/uploads` folder, each image
//! goes through our picture pipeline ([`crate::picture`]: checked by content, resized into
//! renditions) and becomes an image of ours; its old file addresses and attachment page lead to
//! the new ones.
//!
//! An image's key is made from the old site's address and the file's path, so a second run
//! meets the same key: the files already written are kept (not decoded again) and the import
//! finds the image stored.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use dateline_wordpress::{ConvertContext, Item};
use sha2::{Digest, Sha256};

use crate::picture::{self, MAX_UPLOAD_BYTES, Outline};

/// Longest alt text, caption or credit an image keeps (ours allow 500 characters).
const MAX_TEXT_CHARS: usize = crate::media::MAX_TEXT_CHARS;

/// An attachment of the export, as the first pass keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its path under the uploads folder (`2023/07/drill.jpg`).
    pub file: String,
    /// The other files WordPress made of it in the same folder (size variants, the original of
    /// a `-scaled` copy), with their width where known.
    pub variants: Vec<(String, Option<u64>)>,
    /// Its file's address on the old site (`/wp-content/uploads/2023/07/drill.jpg`).
    pub url_path: Option<String>,
    /// Its attachment page on the old site (`/a-post/drill`), without the trailing slash.
    pub page: Option<String>,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    /// The post it was uploaded to.
    pub parent: Option<u64>,
    pub uploaded_at: Option<DateTime<Utc>>,
}

impl Attachment {
    /// The attachment an item describes, if it names a file.
    pub fn of(item: &Item, site: &ConvertContext, site_title: &str) -> Option<Self> {
        let file = item.attached_file()?.trim().to_owned();
        let metadata = item
            .attachment_metadata()
            .ok()
            .flatten()
            .unwrap_or_default();
        let folder = file.rsplit_once('/').map_or("", |(dir, _)| dir);
        let mut variants: Vec<(String, Option<u64>)> = metadata
            .sizes
            .iter()
            .map(|size| (join(folder, &size.file), size.width))
            .collect();
        if let Some(original) = metadata.file.as_deref().filter(|f| *f != file) {
            variants.push((original.to_owned(), metadata.width));
        }
        let title = super::plain_line(&item.title);
        let fallback = |text: String| if text.is_empty() { title.clone() } else { text };
        let caption = fallback(super::plain_line(&item.excerpt))
            .chars()
            .take(MAX_TEXT_CHARS)
            .collect::<String>();
        let credit = metadata
            .credit
            .as_deref()
            .or(metadata.copyright.as_deref())
            .map(super::plain_line)
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| super::plain_line(site_title));
        Some(Attachment {
            variants,
            url_path: item
                .attachment_url
                .as_deref()
                .and_then(|url| site.site_path(url)),
            page: site
                .site_path(&item.link)
                .map(|p| p.trim_end_matches('/').to_owned())
                .filter(|p| !p.is_empty() && !p.starts_with("/?")),
            alt: fallback(super::plain_line(item.alt_text().unwrap_or_default()))
                .chars()
                .take(MAX_TEXT_CHARS)
                .collect(),
            caption,
            credit: if credit.is_empty() {
                "Archive".to_owned()
            } else {
                credit.chars().take(MAX_TEXT_CHARS).collect()
            },
            parent: item.parent_id,
            uploaded_at: item.published_at,
            file,
        })
    }

    /// Whether its name says it is a picture our pipeline may take (its content decides).
    pub fn looks_like_a_picture(&self) -> bool {
        let ext = self
            .file
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase());
        matches!(
            ext.as_deref(),
            Some("jpg" | "jpeg" | "jpe" | "png" | "webp")
        )
    }

    /// The folder of the old site's uploads (`/wp-content/uploads/`), learned from this file's
    /// address.
    pub fn uploads_prefix(&self) -> Option<String> {
        let path = self.url_path.as_deref()?;
        path.strip_suffix(self.file.as_str())
            .filter(|prefix| prefix.ends_with('/'))
            .map(str::to_owned)
    }
}

/// `folder/name`, or `name` at the top.
fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_owned()
    } else {
        format!("{folder}/{name}")
    }
}

/// Where an export's files are, and where ours go.
#[derive(Debug, Clone, Copy)]
pub struct Uploads<'a> {
    /// A copy of the old site's `wp-content/uploads`.
    pub from: &'a Path,
    /// Our media directory (`<data dir>/media`).
    pub media_dir: &'a Path,
    /// False for a dry run: files are read and checked, nothing is written.
    pub write: bool,
}

/// The key of the image made from `file` of the site at `site`: the same on every run, and
/// shaped as every image key is (32 hexadecimal digits).
pub fn key_for(site: &str, file: &str) -> String {
    let digest = Sha256::digest(format!("{}\n{file}", site.trim_end_matches('/')));
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// `relative` under `root`, if every part of it is a plain name (no `..`, no absolute path, no
/// backslash): an export cannot make the import read outside the uploads folder.
pub fn under(root: &Path, relative: &str) -> Option<PathBuf> {
    let mut path = root.to_owned();
    for part in relative.split('/') {
        let plain = !part.is_empty()
            && part != "."
            && part != ".."
            && !part.contains(['\\', '\0'])
            && !part.chars().any(char::is_control);
        if !plain {
            return None;
        }
        path.push(part);
    }
    Some(path)
}

/// What became of an attachment's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BroughtIn {
    pub outline: Outline,
    /// Whether this run wrote its renditions (false: they were there already, or a dry run).
    pub written: bool,
}

/// Reads the attachment's file from the uploads copy and makes it an image of ours under `key`:
/// its renditions written (unless they are there already, or this is a dry run). Why not, as a
/// sentence, when the file is missing, too large, or not a picture we take.
pub fn bring_in(
    attachment: &Attachment,
    uploads: &Uploads<'_>,
    key: &str,
) -> Result<BroughtIn, String> {
    let path = under(uploads.from, &attachment.file)
        .ok_or_else(|| "its file path leaves the uploads folder".to_owned())?;
    let size = match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => meta.len(),
        Ok(_) => return Err(format!("{} is not a file", path.display())),
        Err(_) => return Err(format!("its file is missing ({})", path.display())),
    };
    if size > MAX_UPLOAD_BYTES as u64 {
        return Err(format!(
            "its file is larger than {} MB",
            MAX_UPLOAD_BYTES / 1024 / 1024
        ));
    }
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let there = uploads.media_dir.join(key);
    if !uploads.write || there.is_dir() {
        let outline = picture::outline(&bytes).map_err(|e| e.to_string())?;
        return Ok(BroughtIn {
            outline,
            written: false,
        });
    }
    let rendered = picture::render(&bytes).map_err(|e| e.to_string())?;
    picture::write_renditions(uploads.media_dir, key, rendered.ext, &rendered.renditions)
        .map_err(|e| format!("cannot write its renditions: {e}"))?;
    Ok(BroughtIn {
        outline: Outline {
            width: rendered.width,
            height: rendered.height,
            ext: rendered.ext,
            renditions: rendered.renditions.iter().map(|(w, _)| *w).collect(),
        },
        written: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_same_every_run_and_differ_by_site_and_file() {
        let a = key_for("https://old.example/", "2023/07/a.jpg");
        assert_eq!(a, key_for("https://old.example", "2023/07/a.jpg"));
        assert_ne!(a, key_for("https://old.example", "2023/07/b.jpg"));
        assert_ne!(a, key_for("https://other.example", "2023/07/a.jpg"));
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()), "{a}");
    }

    #[test]
    fn file_paths_stay_under_the_uploads_folder() {
        let root = Path::new("/srv/uploads");
        assert_eq!(
            under(root, "2023/07/a.jpg"),
            Some(PathBuf::from("/srv/uploads/2023/07/a.jpg"))
        );
        for bad in [
            "../etc/passwd",
            "2023/../../x",
            "/etc/passwd",
            "a//b",
            "a\\..\\b",
            "a\0b",
            "",
            "./a",
        ] {
            assert_eq!(under(root, bad), None, "{bad:?}");
        }
    }
}
