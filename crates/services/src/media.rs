//! Images: uploads checked by content (JPEG, PNG or WebP, whatever the file is called), within
//! size and pixel limits, with alt text, caption and credit required; resized renditions made
//! once, at upload, and kept under the data directory.
//!
//! Decoding is where a small file becomes a lot of memory: a flat-coloured 40-megapixel PNG is
//! 133 KB on the wire and 120 MB decoded. So decoding is bounded twice, process-wide: at most
//! [`DECODE_PERMITS`] uploads are decoded and resized at once (the others wait up to
//! [`DECODE_WAIT`] for a turn, then are turned away as busy), and one upload's pictures may take
//! at most [`MAX_WORK_BYTES`], checked from the file's header before anything is allocated (see
//! [`crate::picture`]). The work runs on the blocking pool, never on the threads that answer
//! requests.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use dateline_domain::Step;
use dateline_domain::{
    ArticleId, AuditAction, AuditEntry, Image, ImageId, InvalidValue, NewImage, Store, User,
    is_forbidden_char,
};
use tokio::sync::Semaphore;

use crate::ServiceError;
use crate::picture;
pub use crate::picture::{
    MAX_PIXELS, MAX_SIDE, MAX_UPLOAD_BYTES, MAX_WORK_BYTES, RENDITION_WIDTHS,
};

/// Longest alt text, caption or credit, in characters.
pub const MAX_TEXT_CHARS: usize = 500;
/// Uploads decoded and resized at the same time, in the whole process.
pub const DECODE_PERMITS: usize = 1;
/// How long an upload waits for its turn to be decoded before it is answered "busy".
pub const DECODE_WAIT: Duration = Duration::from_secs(30);

/// Turns to decode: one permit per upload being decoded and resized.
static DECODING: Semaphore = Semaphore::const_new(DECODE_PERMITS);
/// Decodes running now, and the most that ever ran at once (see [`peak_concurrent_decodes`]).
static DECODES_RUNNING: AtomicUsize = AtomicUsize::new(0);
static DECODES_PEAK: AtomicUsize = AtomicUsize::new(0);

/// The most uploads this process has ever decoded at the same time: never more than
/// [`DECODE_PERMITS`]. For the operator's curiosity and for tests that hold the limit to account.
pub fn peak_concurrent_decodes() -> usize {
    DECODES_PEAK.load(Ordering::SeqCst)
}

/// Counts one running decode for as long as it lives, panics included.
struct RunningDecode;

impl RunningDecode {
    fn start() -> Self {
        let now = DECODES_RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        DECODES_PEAK.fetch_max(now, Ordering::SeqCst);
        Self
    }
}

impl Drop for RunningDecode {
    fn drop(&mut self) {
        DECODES_RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What came with an uploaded file.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub bytes: Vec<u8>,
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

fn text(field: &'static str, value: &str, problems: &mut Vec<InvalidValue>) -> String {
    let value = value.trim();
    if value.is_empty() {
        problems.push(InvalidValue::new(field, "is required"));
    } else if value.chars().count() > MAX_TEXT_CHARS || value.chars().any(is_forbidden_char) {
        problems.push(InvalidValue::new(
            field,
            "must be one line of at most 500 characters",
        ));
    }
    value.to_owned()
}

/// The file of one rendition, relative to the media directory (its address is
/// [`dateline_domain::SitePath::rendition`]).
pub fn rendition_path(image: &Image, width: u32) -> String {
    format!("{}/{width}.{}", image.key, image.ext)
}

/// The height of the rendition `width` pixels wide (the aspect ratio is kept).
pub fn rendition_height(image: &Image, width: u32) -> u32 {
    (u64::from(image.height) * u64::from(width) / u64::from(image.width.max(1))) as u32
}

/// Checks an upload, writes its renditions under `media_dir` and records it. On any problem
/// nothing is left behind: no row and no files.
pub async fn upload(
    store: &dyn Store,
    media_dir: &Path,
    user: &User,
    upload: Upload,
    now: DateTime<Utc>,
) -> Result<Image, ServiceError> {
    let mut problems = Vec::new();
    let alt = text("alt text", &upload.alt, &mut problems);
    let caption = text("caption", &upload.caption, &mut problems);
    let credit = text("credit", &upload.credit, &mut problems);
    if upload.bytes.is_empty() {
        problems.push(InvalidValue::new("image", "choose a file to upload"));
    }
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    // The header first, without a turn: a file refused from its header does not queue.
    let bytes = tokio::task::spawn_blocking(move || {
        picture::check(&upload.bytes)?;
        Ok::<_, InvalidValue>(upload.bytes)
    })
    .await
    .map_err(|e| ServiceError::internal("the image check stopped", e))??;
    let turn = match tokio::time::timeout(DECODE_WAIT, DECODING.acquire()).await {
        Ok(Ok(turn)) => turn,
        Ok(Err(closed)) => return Err(ServiceError::internal("no turn to decode images", closed)),
        Err(_) => {
            return Err(ServiceError::Busy {
                message: format!(
                    "Other images are being processed ({DECODE_PERMITS} at a time) and this one waited {} seconds for its turn. Nothing was uploaded; please try again in a minute",
                    DECODE_WAIT.as_secs()
                ),
                retry_after: DECODE_WAIT,
            });
        }
    };
    // The turn goes with the work: a visitor who gives up does not free it while the decode runs.
    let rendered = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let _running = RunningDecode::start();
        picture::render(&bytes)
    })
    .await
    .map_err(|e| ServiceError::internal("the image decoding stopped", e))??;
    let picture::Rendered {
        width,
        height,
        ext,
        renditions,
    } = rendered;
    let key = crate::accounts::random_token()[..32].to_owned();
    let widths = renditions.iter().map(|(w, _)| *w).collect();
    let dir = {
        let (media_dir, key) = (media_dir.to_owned(), key.clone());
        tokio::task::spawn_blocking(move || {
            picture::write_renditions(&media_dir, &key, ext, &renditions)
        })
        .await
        .map_err(|e| ServiceError::internal("the image files were not written", e))?
        .map_err(|e| ServiceError::internal("cannot write the image files", e))?
    };
    let new = NewImage {
        key,
        ext: ext.to_owned(),
        width,
        height,
        renditions: widths,
        alt,
        caption,
        credit,
        uploaded_by: user.id,
        created_at: now,
    };
    match store.insert_image(&new).await {
        Ok(image) => Ok(image),
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            Err(e.into())
        }
    }
}

/// Sets or clears an article's featured image, for `user`, who must be allowed to change the
/// article ([`Step::Edit`]; one they may not see answers as a missing one would). An image id
/// with no image is a problem with the form.
pub async fn set_featured(
    store: &dyn Store,
    user: &User,
    article: ArticleId,
    image: Option<ImageId>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let workflow = store
        .workflow(article)
        .await?
        .ok_or(ServiceError::NotFound)?;
    crate::newsroom::check_step(user, &workflow, Step::Edit, "")?;
    if let Some(id) = image
        && store.image(id).await?.is_none()
    {
        return Err(InvalidValue::new("image", format!("there is no image {id}")).into());
    }
    let audit = AuditEntry {
        at: now,
        user: Some(user.id),
        action: if image.is_some() {
            AuditAction::SetFeaturedImage
        } else {
            AuditAction::RemovedFeaturedImage
        },
        article: None,
        detail: image.map(|i| format!("image {i}")).unwrap_or_default(),
    };
    if store.set_featured_image(article, image, &audit).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}
