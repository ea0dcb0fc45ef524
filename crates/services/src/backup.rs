//! The files of a backup: the manifest that says what a backup directory holds, and copies of the
//! media directory. The database's copy is the store's business (`SqlStore::copy_database`).
//!
//! A backup directory holds `manifest.json`, the database copy (`dateline.db` or
//! `database.pgdump`) and `media/`. The manifest is written last and removed first when a backup
//! is taken again into the same directory: a directory without one is not a complete backup.
//!
//! Uploaded images are written once, into a directory of their own with a random name that is
//! renamed into place when complete (see [`crate::media`]), and never change. So a copy takes
//! every visible image directory (names starting with `.` are uploads under way), copies each
//! under a temporary name and renames it into place, and a backup taken again into the same
//! directory copies only the images that are new.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use dateline_domain::Counts;
use serde::{Deserialize, Serialize};

use crate::portable::time_text;

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// What a manifest says it is.
pub const FORMAT: &str = "dateline-backup";
/// The manifest version this build writes and reads.
pub const VERSION: u32 = 1;
/// The media directory's name, in a backup and in a data directory.
pub const MEDIA: &str = "media";

/// Why a backup or restore of files failed, or was refused.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    /// The directory is not what it should be; the message says why and what to do.
    #[error("{0}")]
    Refused(String),
}

fn io_error(context: impl Into<String>) -> impl FnOnce(io::Error) -> BackupError {
    let context = context.into();
    move |source| BackupError::Io { context, source }
}

/// What a backup directory holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    pub version: u32,
    /// The Dateline that took it.
    pub dateline: String,
    /// When the database copy was taken (RFC 3339, UTC).
    pub created_at: String,
    pub database: DatabaseEntry,
    pub counts: Counts,
    pub media: MediaEntry,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseEntry {
    /// `sqlite` or `postgres`.
    pub kind: String,
    /// The copy's file name in the backup directory.
    pub file: String,
    /// `VACUUM INTO` or `pg_dump`.
    pub method: String,
}

/// The media files in the backup.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaEntry {
    pub files: u64,
    pub bytes: u64,
}

impl Manifest {
    pub fn new(
        kind: &str,
        file: &str,
        method: &str,
        counts: Counts,
        media: MediaEntry,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            format: FORMAT.to_owned(),
            version: VERSION,
            dateline: env!("CARGO_PKG_VERSION").to_owned(),
            created_at: time_text(at),
            database: DatabaseEntry {
                kind: kind.to_owned(),
                file: file.to_owned(),
                method: method.to_owned(),
            },
            counts,
            media,
        }
    }
}

/// The names a backup directory may hold: what [`prepare_backup_dir`] accepts as an earlier
/// backup, complete or interrupted.
fn ours(name: &str) -> bool {
    matches!(
        name,
        MANIFEST | MEDIA | "dateline.db" | "database.pgdump" | ".manifest.json.partial"
    ) || (name.starts_with('.') && name.ends_with(".partial"))
}

/// Makes `dir` ready for a backup: created if missing; an earlier backup there (complete or
/// interrupted) is updated in place, its manifest removed first, so that until the new one is
/// written the directory does not pass for a complete backup. Anything else in it is refused.
pub async fn prepare_backup_dir(dir: &Path) -> Result<(), BackupError> {
    let dir = dir.to_owned();
    run_blocking(move || {
        let shown = dir.display();
        fs::create_dir_all(&dir).map_err(io_error(format!("cannot create {shown}")))?;
        let mut strangers = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_error(format!("cannot read {shown}")))? {
            let entry = entry.map_err(io_error(format!("cannot read {shown}")))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !ours(&name) {
                strangers.push(name);
            }
        }
        if let Some(first) = strangers.first() {
            return Err(BackupError::Refused(format!(
                "{shown} holds files that are not a Dateline backup ({first}{}); give an empty directory, a new one, or an earlier backup",
                if strangers.len() > 1 { ", ..." } else { "" }
            )));
        }
        remove_file_if_exists(&dir.join(MANIFEST))
    })
    .await
}

/// Writes the manifest (under a temporary name, renamed into place): the last step of a backup.
pub async fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), BackupError> {
    let text = serde_json::to_string_pretty(manifest)
        .map_err(|e| BackupError::Refused(format!("cannot write the manifest: {e}")))?;
    let dir = dir.to_owned();
    run_blocking(move || {
        let partial = dir.join(format!(".{MANIFEST}.partial"));
        fs::write(&partial, format!("{text}\n"))
            .and_then(|()| fs::File::open(&partial)?.sync_all())
            .and_then(|()| fs::rename(&partial, dir.join(MANIFEST)))
            .map_err(io_error(format!(
                "cannot write {}",
                dir.join(MANIFEST).display()
            )))
    })
    .await
}

/// Reads a backup's manifest; a directory without one is not a complete backup.
pub async fn read_manifest(dir: &Path) -> Result<Manifest, BackupError> {
    let path = dir.join(MANIFEST);
    let text = match tokio::fs::read_to_string(&path).await {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(BackupError::Refused(format!(
                "{} is not a complete Dateline backup: it has no {MANIFEST} (a backup writes it last)",
                dir.display()
            )));
        }
        Err(e) => return Err(io_error(format!("cannot read {}", path.display()))(e)),
    };
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        BackupError::Refused(format!("{} is not a backup manifest: {e}", path.display()))
    })?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(BackupError::Refused(format!(
            "{} is a {} manifest of version {}; this Dateline reads {FORMAT} version {VERSION}",
            path.display(),
            manifest.format,
            manifest.version
        )));
    }
    Ok(manifest)
}

/// Copies the image directories of the media directory `from` that `to` does not have yet (each
/// under a temporary name, renamed into place when complete); `from` may not exist (no image was
/// ever uploaded). Returns what `to` then holds.
pub async fn copy_media(from: &Path, to: &Path) -> Result<MediaEntry, BackupError> {
    let (from, to) = (from.to_owned(), to.to_owned());
    run_blocking(move || {
        fs::create_dir_all(&to).map_err(io_error(format!("cannot create {}", to.display())))?;
        if from.is_dir() {
            copy_new_images(&from, &to)?;
        }
        measure(&to)
    })
    .await
}

/// Puts the media directory of a backup (`from`) in place of `to`: copied beside it under a
/// temporary name, then swapped in, then the old one removed.
pub async fn restore_media(from: &Path, to: &Path) -> Result<MediaEntry, BackupError> {
    let (from, to) = (from.to_owned(), to.to_owned());
    run_blocking(move || {
        let parent = to.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(parent)
            .map_err(io_error(format!("cannot create {}", parent.display())))?;
        let incoming = sibling(&to, "restoring");
        let outgoing = sibling(&to, "replaced");
        for stale in [&incoming, &outgoing] {
            remove_dir_if_exists(stale)?;
        }
        fs::create_dir_all(&incoming)
            .map_err(io_error(format!("cannot create {}", incoming.display())))?;
        if from.is_dir() {
            copy_new_images(&from, &incoming)?;
        }
        if to.exists() {
            fs::rename(&to, &outgoing)
                .map_err(io_error(format!("cannot move {} aside", to.display())))?;
        }
        fs::rename(&incoming, &to)
            .map_err(io_error(format!("cannot move media into {}", to.display())))?;
        remove_dir_if_exists(&outgoing)?;
        measure(&to)
    })
    .await
}

/// Whether a media directory holds any image.
pub fn holds_media(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|mut entries| {
        entries.any(|e| e.is_ok_and(|e| !e.file_name().to_string_lossy().starts_with('.')))
    })
}

/// Copies the files of image `key` from the media directory `from` into `media_dir`, unless it
/// has them already.
pub async fn copy_image_files(from: &Path, media_dir: &Path, key: &str) -> Result<(), BackupError> {
    let (source, target) = (from.join(key), media_dir.join(key));
    let media_dir = media_dir.to_owned();
    run_blocking(move || {
        if target.is_dir() {
            return Ok(());
        }
        fs::create_dir_all(&media_dir)
            .map_err(io_error(format!("cannot create {}", media_dir.display())))?;
        copy_dir_into_place(&source, &target)
    })
    .await
}

fn sibling(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "media".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{what}"))
}

/// Copies each visible directory of `from` missing from `to`.
fn copy_new_images(from: &Path, to: &Path) -> Result<(), BackupError> {
    let entries =
        fs::read_dir(from).map_err(io_error(format!("cannot read {}", from.display())))?;
    for entry in entries {
        let entry = entry.map_err(io_error(format!("cannot read {}", from.display())))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue; // an upload being written
        }
        let target = to.join(&name);
        if target.exists() {
            continue; // images never change: copied by an earlier backup
        }
        let file_type = entry
            .file_type()
            .map_err(io_error(format!("cannot read {}", entry.path().display())))?;
        if file_type.is_dir() {
            copy_dir_into_place(&entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Copies the files of directory `from` into a temporary directory beside `to`, then renames it
/// to `to`.
fn copy_dir_into_place(from: &Path, to: &Path) -> Result<(), BackupError> {
    let partial = sibling(to, "partial");
    remove_dir_if_exists(&partial)?;
    fs::create_dir_all(&partial)
        .map_err(io_error(format!("cannot create {}", partial.display())))?;
    let entries =
        fs::read_dir(from).map_err(io_error(format!("cannot read {}", from.display())))?;
    for entry in entries {
        let entry = entry.map_err(io_error(format!("cannot read {}", from.display())))?;
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !is_file {
            continue;
        }
        let copy = partial.join(entry.file_name());
        fs::copy(entry.path(), &copy)
            .and_then(|_| fs::File::open(&copy)?.sync_all())
            .map_err(io_error(format!(
                "cannot copy {} to {}",
                entry.path().display(),
                copy.display()
            )))?;
    }
    fs::rename(&partial, to).map_err(io_error(format!(
        "cannot move {} to {}",
        partial.display(),
        to.display()
    )))
}

/// The files (and their bytes) in the visible image directories of `dir`.
fn measure(dir: &Path) -> Result<MediaEntry, BackupError> {
    let mut total = MediaEntry::default();
    let read = |d: &Path| fs::read_dir(d).map_err(io_error(format!("cannot read {}", d.display())));
    for entry in read(dir)? {
        let entry = entry.map_err(io_error(format!("cannot read {}", dir.display())))?;
        if entry.file_name().to_string_lossy().starts_with('.') || !entry.path().is_dir() {
            continue;
        }
        for file in read(&entry.path())? {
            let file = file.map_err(io_error(format!("cannot read {}", dir.display())))?;
            if let Ok(meta) = file.metadata()
                && meta.is_file()
            {
                total.files += 1;
                total.bytes += meta.len();
            }
        }
    }
    Ok(total)
}

fn remove_file_if_exists(path: &Path) -> Result<(), BackupError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(io_error(format!("cannot remove {}", path.display()))(e))
        }
        _ => Ok(()),
    }
}

fn remove_dir_if_exists(path: &Path) -> Result<(), BackupError> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(io_error(format!("cannot remove {}", path.display()))(e))
        }
        _ => Ok(()),
    }
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, BackupError> + Send + 'static,
) -> Result<T, BackupError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| BackupError::Refused(format!("file copy task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(dir: &Path, key: &str, widths: &[u32]) {
        fs::create_dir_all(dir.join(key)).unwrap();
        for w in widths {
            fs::write(
                dir.join(key).join(format!("{w}.jpg")),
                vec![7u8; *w as usize],
            )
            .unwrap();
        }
    }

    #[tokio::test]
    async fn media_copies_skip_uploads_under_way_and_copy_only_new_images() {
        let tmp = tempfile::tempdir().unwrap();
        let tmp = tmp.path();
        let (from, to) = (tmp.join("from"), tmp.join("to"));
        image(&from, "aaaa", &[320, 640]);
        image(&from, ".upload-bbbb", &[320]);
        let copied = copy_media(&from, &to).await.unwrap();
        assert_eq!(
            copied,
            MediaEntry {
                files: 2,
                bytes: 960
            }
        );
        assert!(!to.join(".upload-bbbb").exists());
        // A later copy takes the new image and leaves the old one as it is.
        fs::write(to.join("aaaa").join("320.jpg"), b"kept").unwrap();
        image(&from, "cccc", &[100]);
        let copied = copy_media(&from, &to).await.unwrap();
        assert_eq!(copied.files, 3);
        assert_eq!(fs::read(to.join("aaaa").join("320.jpg")).unwrap(), b"kept");
        assert!(to.join("cccc").join("100.jpg").is_file());
        assert!(fs::read_dir(&to).unwrap().all(|e| {
            !e.unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".partial")
        }));
    }

    #[tokio::test]
    async fn restored_media_replace_what_was_there() {
        let tmp = tempfile::tempdir().unwrap();
        let tmp = tmp.path();
        let (backup, live) = (tmp.join("backup"), tmp.join("data").join("media"));
        image(&backup, "aaaa", &[10]);
        image(&live, "zzzz", &[10]);
        let restored = restore_media(&backup, &live).await.unwrap();
        assert_eq!(restored.files, 1);
        assert!(live.join("aaaa").is_dir() && !live.join("zzzz").exists());
        assert!(!holds_media(&tmp.join("nowhere")));
        assert!(holds_media(&live));
    }

    #[tokio::test]
    async fn a_backup_directory_with_other_files_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let tmp = tmp.path();
        prepare_backup_dir(&tmp.join("new")).await.unwrap();
        fs::write(tmp.join("new").join(MANIFEST), "{}").unwrap();
        fs::write(tmp.join("new").join("dateline.db"), "").unwrap();
        prepare_backup_dir(&tmp.join("new")).await.unwrap();
        assert!(
            !tmp.join("new").join(MANIFEST).exists(),
            "marked incomplete"
        );
        fs::write(tmp.join("new").join("notes.txt"), "mine").unwrap();
        let err = prepare_backup_dir(&tmp.join("new")).await.unwrap_err();
        assert!(err.to_string().contains("notes.txt"), "{err}");
    }
}
