//! Images: uploads checked by content (JPEG, PNG or WebP, whatever the file is called), within
//! size and pixel limits, with alt text, caption and credit required; resized renditions made
//! once, at upload, and kept under the data directory.
//!
//! Decoding is where a small file becomes a lot of memory: a flat-coloured 40-megapixel PNG is
//! 133 KB on the wire and 120 MB decoded. So decoding is bounded twice, process-wide: at most
//! [`DECODE_PERMITS`] uploads are decoded and resized at once (the others wait up to
//! [`DECODE_WAIT`] for a turn, then are turned away as busy), and one decode may take at most
//! [`MAX_DECODE_BYTES`], checked from the file's header before anything is allocated. The work
//! runs on the blocking pool, never on the threads that answer requests.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use dateline_domain::{
    AuditEntry, Image, ImageId, InvalidValue, NewImage, Store, StoreError, User, is_forbidden_char,
};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use tokio::sync::Semaphore;

use crate::ServiceError;

/// Largest upload we accept, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// Most pixels an image may have (width × height).
pub const MAX_PIXELS: u64 = 40_000_000;
/// Longest side an image may have, in pixels.
pub const MAX_SIDE: u32 = 12_000;
/// Widths of the renditions made of each image (those narrower than the original).
pub const RENDITION_WIDTHS: [u32; 5] = [320, 640, 960, 1280, 1920];
/// Longest alt text, caption or credit, in characters.
pub const MAX_TEXT_CHARS: usize = 500;
/// Most memory the decoded picture of one upload may take, in bytes: enough for any 8-bit
/// picture within [`MAX_PIXELS`] (4 bytes a pixel with alpha), not for a 16-bit one that large.
pub const MAX_DECODE_BYTES: u64 = 160 * 1024 * 1024;
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

/// `n` bytes in whole megabytes (rounded up), as a message shows them: "160 MB".
fn megabytes(n: u64) -> String {
    format!("{} MB", n.div_ceil(1024 * 1024))
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

/// Renditions, encoded: (width, bytes).
type Renditions = Vec<(u32, Vec<u8>)>;

/// Checks the file and makes its renditions; nothing is written.
fn render(bytes: &[u8]) -> Result<(u32, u32, &'static str, Renditions), InvalidValue> {
    render_within(bytes, MAX_DECODE_BYTES)
}

/// What the uploader is told when the image library gives up on a file.
fn unreadable(e: image::ImageError, max_decode: u64) -> InvalidValue {
    let message = match e {
        image::ImageError::Limits(_) => format!(
            "is too large: at most {MAX_SIDE} pixels a side, {} megapixels and {} of memory to decode",
            MAX_PIXELS / 1_000_000,
            megabytes(max_decode)
        ),
        e => format!("cannot be read ({e})"),
    };
    InvalidValue::new("image", message)
}

/// Reads the file's header and refuses what is not an image we take or would be too large to
/// decode; decodes nothing. Returns the decoder, limited to `max_decode` bytes, and the file
/// extension of the renditions.
fn open(
    bytes: &[u8],
    max_decode: u64,
) -> Result<(impl ImageDecoder + '_, &'static str), InvalidValue> {
    let bad = |m: String| InvalidValue::new("image", m);
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(bad("is larger than 10 MB".to_owned()));
    }
    let format = image::guess_format(bytes).ok();
    let (format, ext) = match format {
        Some(ImageFormat::Jpeg) => (ImageFormat::Jpeg, "jpg"),
        Some(ImageFormat::Png) => (ImageFormat::Png, "png"),
        Some(ImageFormat::WebP) => (ImageFormat::WebP, "jpg"),
        _ => {
            return Err(bad(
                "is not a JPEG, PNG or WebP image (its content was checked, not its name)"
                    .to_owned(),
            ));
        }
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(max_decode);
    reader.limits(limits);
    let decoder = reader
        .into_decoder()
        .map_err(|e| unreadable(e, max_decode))?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS || w > MAX_SIDE || h > MAX_SIDE {
        return Err(bad(format!(
            "is {w} × {h} pixels; the limit is {MAX_SIDE} a side and {} megapixels",
            MAX_PIXELS / 1_000_000
        )));
    }
    // Known from the header, before a byte of the picture is allocated.
    let needed = decoder.total_bytes();
    if needed > max_decode {
        let colour = decoder.color_type();
        let bits = colour.bits_per_pixel() / u16::from(colour.channel_count());
        return Err(bad(format!(
            "is {w} × {h} pixels at {bits} bits a channel: decoding it would take {} of memory, and the limit is {}. Save it with 8 bits a channel, or smaller, and upload it again",
            megabytes(needed),
            megabytes(max_decode)
        )));
    }
    Ok((decoder, ext))
}

/// [`render`], decoding only pictures that take at most `max_decode` bytes.
fn render_within(
    bytes: &[u8],
    max_decode: u64,
) -> Result<(u32, u32, &'static str, Renditions), InvalidValue> {
    let bad = |m: String| InvalidValue::new("image", m);
    let (mut decoder, ext) = open(bytes, max_decode)?;
    let unreadable = |e| unreadable(e, max_decode);
    let orientation = decoder.orientation().ok();
    let mut picture = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    if let Some(orientation) = orientation {
        picture.apply_orientation(orientation);
    }
    let (width, height) = (picture.width(), picture.height());
    let mut widths: Vec<u32> = RENDITION_WIDTHS
        .iter()
        .copied()
        .filter(|r| *r < width)
        .collect();
    if width <= *RENDITION_WIDTHS.last().unwrap_or(&width) || widths.is_empty() {
        widths.push(width.min(RENDITION_WIDTHS[RENDITION_WIDTHS.len() - 1]));
    }
    widths.dedup();
    // Memory: the filtered resize works in 32-bit floats over the source's width, so a 40 MP
    // picture would need several times its own size. A picture more than twice as wide as the
    // largest rendition is first brought down to twice that width by area averaging (which
    // allocates only its output), the decoded original is dropped, and each smaller rendition is
    // made from the one before it.
    let largest = widths.iter().copied().max().unwrap_or(width);
    if width > largest * 2 {
        let h = ((u64::from(height) * u64::from(largest * 2)) / u64::from(width)).max(1);
        picture = picture.thumbnail_exact(largest * 2, u32::try_from(h).unwrap_or(1));
    }
    widths.sort_unstable_by(|a, b| b.cmp(a));
    let mut out = Vec::with_capacity(widths.len());
    for target in widths {
        let scaled_height = ((u64::from(height) * u64::from(target)) / u64::from(width)).max(1);
        let scaled_height = u32::try_from(scaled_height).unwrap_or(1);
        let resized = if target == picture.width() {
            picture.clone()
        } else {
            picture.resize_exact(
                target,
                scaled_height,
                image::imageops::FilterType::CatmullRom,
            )
        };
        let mut encoded = Vec::new();
        if ext == "png" {
            resized
                .write_to(&mut Cursor::new(&mut encoded), ImageFormat::Png)
                .map_err(|e| bad(format!("cannot be resized ({e})")))?;
        } else {
            let rgb = resized.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut encoded, 82)
                .encode_image(&rgb)
                .map_err(|e| bad(format!("cannot be resized ({e})")))?;
        }
        out.push((target, encoded));
        picture = resized;
    }
    out.reverse();
    Ok((width, height, ext, out))
}

/// The file of one rendition, relative to the media directory.
pub fn rendition_path(image: &Image, width: u32) -> String {
    format!("{}/{width}.{}", image.key, image.ext)
}

/// The URL path of one rendition, as the site serves it.
pub fn rendition_url(image: &Image, width: u32) -> String {
    format!("/media/{}", rendition_path(image, width))
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
        open(&upload.bytes, MAX_DECODE_BYTES).map(|_| ())?;
        Ok::<_, InvalidValue>(upload.bytes)
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("image task: {e}")))??;
    let turn = match tokio::time::timeout(DECODE_WAIT, DECODING.acquire()).await {
        Ok(Ok(turn)) => turn,
        Ok(Err(closed)) => return Err(ServiceError::Internal(format!("decode turns: {closed}"))),
        Err(_) => {
            return Err(ServiceError::Busy(format!(
                "Other images are being processed ({DECODE_PERMITS} at a time) and this one waited {} seconds for its turn. Nothing was uploaded; please try again in a minute",
                DECODE_WAIT.as_secs()
            )));
        }
    };
    // The turn goes with the work: a visitor who gives up does not free it while the decode runs.
    let rendered = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let _running = RunningDecode::start();
        render(&bytes)
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("image task: {e}")))??;
    let (width, height, ext, renditions) = rendered;
    let key = crate::accounts::random_token()[..32].to_owned();
    let dir = write_files(media_dir, &key, ext, &renditions)
        .await
        .map_err(|e| ServiceError::Internal(format!("writing image files: {e}")))?;
    let new = NewImage {
        key,
        ext: ext.to_owned(),
        width,
        height,
        renditions: renditions.iter().map(|(w, _)| *w).collect(),
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

/// Writes the files into a temporary directory, then renames it into place.
async fn write_files(
    media_dir: &Path,
    key: &str,
    ext: &str,
    renditions: &Renditions,
) -> std::io::Result<PathBuf> {
    tokio::fs::create_dir_all(media_dir).await?;
    let temporary = media_dir.join(format!(".upload-{key}"));
    tokio::fs::create_dir_all(&temporary).await?;
    for (width, bytes) in renditions {
        tokio::fs::write(temporary.join(format!("{width}.{ext}")), bytes).await?;
    }
    let dir = media_dir.join(key);
    tokio::fs::rename(&temporary, &dir).await?;
    Ok(dir)
}

/// Sets or clears an article's featured image.
pub async fn set_featured(
    store: &dyn Store,
    user: &User,
    article: dateline_domain::ArticleId,
    image: Option<ImageId>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let audit = AuditEntry {
        at: now,
        user: Some(user.id),
        action: if image.is_some() {
            "set featured image".to_owned()
        } else {
            "removed featured image".to_owned()
        },
        article: None,
        detail: image.map(|i| format!("image {i}")).unwrap_or_default(),
    };
    store.set_featured_image(article, image, &audit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = DynamicImage::new_rgb8(width, height);
        let mut out = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn renditions_keep_the_aspect_and_never_enlarge() {
        let (w, h, ext, renditions) = render(&png(1000, 500)).unwrap();
        assert_eq!((w, h, ext), (1000, 500, "png"));
        let widths: Vec<u32> = renditions.iter().map(|(w, _)| *w).collect();
        assert_eq!(widths, [320, 640, 960, 1000]);
        let small = image::load_from_memory(&renditions[0].1).unwrap();
        assert_eq!((small.width(), small.height()), (320, 160));
    }

    #[test]
    fn html_named_png_is_refused() {
        let err = render(b"<!doctype html><script>alert(1)</script>").unwrap_err();
        assert!(err.message.contains("not a JPEG, PNG or WebP"), "{err}");
    }

    #[test]
    fn sixteen_bit_picture_too_large_to_decode_is_refused_naming_the_limit() {
        // 1,000 × 1,000 RGB at 16 bits: 6 MB to decode, over a 4 MB limit; at 8 bits, 3 MB.
        let mut sixteen = Vec::new();
        DynamicImage::new_rgb16(1_000, 1_000)
            .write_to(&mut Cursor::new(&mut sixteen), ImageFormat::Png)
            .unwrap();
        let err = render_within(&sixteen, 4 * 1024 * 1024).unwrap_err();
        assert!(err.message.contains("at 16 bits a channel"), "{err}");
        assert!(err.message.contains("the limit is 4 MB"), "{err}");
        assert!(render_within(&png(1_000, 1_000), 4 * 1024 * 1024).is_ok());
    }

    #[test]
    fn the_decode_limit_admits_every_8_bit_picture_within_the_pixel_limit() {
        const { assert!(MAX_PIXELS * 4 <= MAX_DECODE_BYTES) };
        // 16 bits a channel, three channels, at 6,000 × 6,000: over the limit.
        const { assert!(6_000 * 6_000 * 6 > MAX_DECODE_BYTES) };
    }
}
