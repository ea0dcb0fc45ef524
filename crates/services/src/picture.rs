//! From an uploaded file to its renditions, within a memory bound known before decoding.
//!
//! A small file can be a lot of memory: a flat-coloured 40-megapixel PNG is 133 KB on the wire
//! and 120 MB decoded, and a resize filter's working buffer can be larger than the picture (a
//! float buffer the source's width by the rendition's height). So what a picture will take is
//! worked out from its header ([`Plan`]) and refused past [`MAX_WORK_BYTES`] before a pixel is
//! allocated. Then the decoded picture is the only large buffer: each rendition is resized from
//! it in bands of [`BAND_ROWS`] rows, so the filter's working rows are a few MB whatever the
//! picture's size, and is encoded and dropped before the next one is made.
//!
//! Resizing is `fast_image_resize` (SIMD convolution over 8-bit pixels, and source crops with
//! fractional edges, which is what makes the bands seamless); decoding and encoding are `image`.

use std::io::Cursor;

use dateline_domain::InvalidValue;
use fast_image_resize::images::{CroppedImageMut, Image as Pixels, ImageRef};
use fast_image_resize::{FilterType, MulDiv, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{
    ColorType, DynamicImage, ImageBuffer, ImageDecoder, ImageFormat, ImageReader, Limits, Rgb, Rgba,
};

/// Largest upload we accept, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// Most pixels an image may have (width × height).
pub const MAX_PIXELS: u64 = 40_000_000;
/// Longest side an image may have, in pixels.
pub const MAX_SIDE: u32 = 12_000;
/// Widths of the renditions made of each image (those narrower than the original).
pub const RENDITION_WIDTHS: [u32; 5] = [320, 640, 960, 1280, 1920];
/// Most memory one upload's pictures may take at once, in bytes: the decoded picture, its 8-bit
/// copy when it has more bits a channel, the rendition being made and the filter's working rows.
/// Every 8-bit RGB picture within [`MAX_PIXELS`] fits (a camera's JPEG); with an alpha channel,
/// pictures up to about 37 megapixels; at 16 bits a channel, 14 to 18.
pub const MAX_WORK_BYTES: u64 = 160 * 1024 * 1024;
/// Rows of a rendition made per resize call: bounds the filter's working buffer to this many rows
/// of the source's width.
const BAND_ROWS: u32 = 128;
/// JPEG quality of the renditions.
const JPEG_QUALITY: u8 = 82;

/// Renditions, encoded: (width, bytes).
pub type Renditions = Vec<(u32, Vec<u8>)>;

/// An upload made into renditions.
#[derive(Debug)]
pub struct Rendered {
    /// The picture's size as it is shown (after its EXIF orientation).
    pub width: u32,
    pub height: u32,
    /// File extension of the renditions: `png` for PNGs, `jpg` for everything else.
    pub ext: &'static str,
    pub renditions: Renditions,
}

/// `n` bytes in whole megabytes (rounded up), as a message shows them: "160 MB".
fn megabytes(n: u64) -> String {
    format!("{} MB", n.div_ceil(1024 * 1024))
}

fn bad(message: String) -> InvalidValue {
    InvalidValue::new("image", message)
}

/// What the uploader is told when the image library gives up on a file.
fn unreadable(e: image::ImageError, budget: u64) -> InvalidValue {
    bad(match e {
        image::ImageError::Limits(_) => format!(
            "is too large: at most {MAX_SIDE} pixels a side, {} megapixels and {} of memory to process",
            MAX_PIXELS / 1_000_000,
            megabytes(budget)
        ),
        e => format!("cannot be read ({e})"),
    })
}

/// Everything about a picture that its header tells, and the memory making its renditions takes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan {
    /// The picture as stored in the file.
    stored: (u32, u32),
    orientation: Orientation,
    /// 3 (RGB) or 4 (RGBA): the 8-bit layout the picture is resized in.
    channels: u8,
    /// Whether the decoded picture is already 8-bit RGB or RGBA.
    native: bool,
    decoded_bytes: u64,
    /// Widths of the renditions, as shown, largest first.
    widths: Vec<u32>,
    ext: &'static str,
}

impl Plan {
    /// The picture as shown: turned a quarter when its orientation says so.
    fn shown(&self) -> (u32, u32) {
        let (w, h) = self.stored;
        if turns_a_quarter(self.orientation) {
            (h, w)
        } else {
            (w, h)
        }
    }

    /// A rendition `width` wide as shown, in the stored picture's axes: what the resizer makes.
    fn stored_size_of(&self, width: u32) -> (u32, u32) {
        let (sw, sh) = self.shown();
        let height =
            u32::try_from((u64::from(sh) * u64::from(width) / u64::from(sw)).max(1)).unwrap_or(1);
        if turns_a_quarter(self.orientation) {
            (height, width)
        } else {
            (width, height)
        }
    }

    /// The most bytes of pixels alive at once: while converting to 8 bits, the decoded picture and
    /// its copy; then the 8-bit picture, the largest rendition and the filter's working rows.
    fn peak_bytes(&self) -> u64 {
        let (w, h) = self.stored;
        let pixels = u64::from(w) * u64::from(h);
        let eight_bit = pixels * u64::from(self.channels);
        let converting = if self.native {
            0
        } else {
            self.decoded_bytes + eight_bit
        };
        let (rw, rh) = self.stored_size_of(self.widths[0]);
        let rendition = u64::from(rw) * u64::from(rh) * u64::from(self.channels);
        let band = u64::from(w) * u64::from(BAND_ROWS) * u64::from(self.channels);
        converting.max(eight_bit + rendition + band)
    }
}

fn turns_a_quarter(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// The widths made of a picture `width` wide as shown, largest first: every standard width
/// narrower than it, and the picture's own width when it is not wider than the largest.
fn rendition_widths(width: u32) -> Vec<u32> {
    let largest = RENDITION_WIDTHS[RENDITION_WIDTHS.len() - 1];
    let mut widths: Vec<u32> = RENDITION_WIDTHS
        .iter()
        .copied()
        .filter(|r| *r < width)
        .collect();
    if width <= largest {
        widths.push(width);
    }
    widths.sort_unstable_by(|a, b| b.cmp(a));
    widths.dedup();
    widths
}

/// Reads the file's header and refuses what is not an image we take or would take more than
/// `budget` bytes to process; decodes nothing.
fn open(bytes: &[u8], budget: u64) -> Result<(impl ImageDecoder + '_, Plan), InvalidValue> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(bad("is larger than 10 MB".to_owned()));
    }
    let (format, ext) = match image::guess_format(bytes).ok() {
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
    limits.max_alloc = Some(budget);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| unreadable(e, budget))?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS || w > MAX_SIDE || h > MAX_SIDE {
        return Err(bad(format!(
            "is {w} × {h} pixels; the limit is {MAX_SIDE} a side and {} megapixels",
            MAX_PIXELS / 1_000_000
        )));
    }
    if w == 0 || h == 0 {
        return Err(bad("has no pixels".to_owned()));
    }
    let colour = decoder.color_type();
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut plan = Plan {
        stored: (w, h),
        orientation,
        channels: if colour.has_alpha() { 4 } else { 3 },
        native: matches!(colour, ColorType::Rgb8 | ColorType::Rgba8),
        decoded_bytes: decoder.total_bytes(),
        widths: Vec::new(),
        ext,
    };
    plan.widths = rendition_widths(plan.shown().0);
    // Known from the header, before a byte of the picture is allocated.
    let needed = plan.peak_bytes();
    if needed > budget {
        let bits = colour.bits_per_pixel() / u16::from(colour.channel_count());
        let alpha = if colour.has_alpha() {
            " with an alpha channel"
        } else {
            ""
        };
        return Err(bad(format!(
            "is {w} × {h} pixels at {bits} bits a channel{alpha}: making its renditions would take {} of memory, and the limit is {}. Save it with 8 bits a channel, without transparency, or smaller, and upload it again",
            megabytes(needed),
            megabytes(budget)
        )));
    }
    Ok((decoder, plan))
}

/// Checks a file from its header alone: what [`render`] would refuse before decoding.
pub fn check(bytes: &[u8]) -> Result<(), InvalidValue> {
    open(bytes, MAX_WORK_BYTES).map(|_| ())
}

/// What [`render`] makes of a file, told from its header alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    /// The picture's size as it is shown.
    pub width: u32,
    pub height: u32,
    pub ext: &'static str,
    /// The renditions' widths, smallest first.
    pub renditions: Vec<u32>,
}

/// The outline of what [`render`] would make of `bytes`, without decoding them.
pub fn outline(bytes: &[u8]) -> Result<Outline, InvalidValue> {
    let (_, plan) = open(bytes, MAX_WORK_BYTES)?;
    let (width, height) = plan.shown();
    let mut renditions = plan.widths.clone();
    renditions.reverse();
    Ok(Outline {
        width,
        height,
        ext: plan.ext,
        renditions,
    })
}

/// Writes renditions as `<media_dir>/<key>/<width>.<ext>`: into a temporary directory first,
/// renamed into place, so the directory is never seen half-written. Returns the directory.
pub fn write_renditions(
    media_dir: &std::path::Path,
    key: &str,
    ext: &str,
    renditions: &Renditions,
) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(media_dir)?;
    let temporary = media_dir.join(format!(".upload-{key}"));
    std::fs::create_dir_all(&temporary)?;
    for (width, bytes) in renditions {
        std::fs::write(temporary.join(format!("{width}.{ext}")), bytes)?;
    }
    let dir = media_dir.join(key);
    std::fs::rename(&temporary, &dir)?;
    Ok(dir)
}

/// Decodes the file and makes its renditions, taking at most [`MAX_WORK_BYTES`] of pixels.
pub fn render(bytes: &[u8]) -> Result<Rendered, InvalidValue> {
    render_within(bytes, MAX_WORK_BYTES)
}

/// [`render`] within `budget` bytes of pixels.
fn render_within(bytes: &[u8], budget: u64) -> Result<Rendered, InvalidValue> {
    let (decoder, plan) = open(bytes, budget)?;
    let picture = DynamicImage::from_decoder(decoder).map_err(|e| unreadable(e, budget))?;
    // One 8-bit buffer from here on; a picture in another layout is converted and let go.
    let (stored_w, stored_h) = plan.stored;
    let mut source = if plan.channels == 4 {
        match picture {
            DynamicImage::ImageRgba8(rgba) => rgba.into_raw(),
            other => other.into_rgba8().into_raw(),
        }
    } else {
        match picture {
            DynamicImage::ImageRgb8(rgb) => rgb.into_raw(),
            other => other.into_rgb8().into_raw(),
        }
    };
    let pixel_type = if plan.channels == 4 {
        PixelType::U8x4
    } else {
        PixelType::U8x3
    };
    let failed = |e: &dyn std::fmt::Display| bad(format!("cannot be resized ({e})"));
    let mut resizer = Resizer::new();
    let mut premultiplied = false;
    let mut renditions = Vec::with_capacity(plan.widths.len());
    for &width in &plan.widths {
        let (w, h) = plan.stored_size_of(width);
        let pixels = if (w, h) == plan.stored {
            source.clone()
        } else {
            // Resizing blends neighbours, so transparent pixels must not lend their colour:
            // the filter works on colours multiplied by their alpha, divided again after.
            if plan.channels == 4 && !premultiplied {
                let mut view = Pixels::from_slice_u8(stored_w, stored_h, &mut source, pixel_type)
                    .map_err(|e| failed(&e))?;
                MulDiv::default()
                    .multiply_alpha_inplace(&mut view)
                    .map_err(|e| failed(&e))?;
                premultiplied = true;
            }
            let from =
                ImageRef::new(stored_w, stored_h, &source, pixel_type).map_err(|e| failed(&e))?;
            let mut to = resize_in_bands(&mut resizer, &from, w, h).map_err(|e| failed(&e))?;
            if plan.channels == 4 {
                MulDiv::default()
                    .divide_alpha_inplace(&mut to)
                    .map_err(|e| failed(&e))?;
            }
            to.into_vec()
        };
        let encoded = encode(pixels, (w, h), &plan).map_err(|e| failed(&e))?;
        renditions.push((width, encoded));
    }
    renditions.reverse();
    let (width, height) = plan.shown();
    Ok(Rendered {
        width,
        height,
        ext: plan.ext,
        renditions,
    })
}

/// `from` resized to `width` × `height`, [`BAND_ROWS`] rows at a time. Each band reads the
/// source rows it maps to (and the filter's neighbours above and below), so the bands join
/// without a seam.
fn resize_in_bands(
    resizer: &mut Resizer,
    from: &ImageRef<'_>,
    width: u32,
    height: u32,
) -> Result<Pixels<'static>, String> {
    let mut to = Pixels::new(width, height, from.pixel_type());
    let source_height = f64::from(from.height());
    let scale = source_height / f64::from(height);
    let mut top = 0;
    while top < height {
        let rows = BAND_ROWS.min(height - top);
        let crop_top = f64::from(top) * scale;
        // The last band ends exactly at the source's bottom edge, whatever the rounding.
        let crop_height = if top + rows == height {
            source_height - crop_top
        } else {
            f64::from(rows) * scale
        };
        let options = ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom))
            .use_alpha(false)
            .crop(0.0, crop_top, f64::from(from.width()), crop_height);
        let mut band =
            CroppedImageMut::new(&mut to, 0, top, width, rows).map_err(|e| e.to_string())?;
        resizer
            .resize(from, &mut band, &options)
            .map_err(|e| e.to_string())?;
        top += rows;
    }
    Ok(to)
}

/// One rendition's pixels (in the stored picture's axes), turned as shown and encoded.
fn encode(pixels: Vec<u8>, (w, h): (u32, u32), plan: &Plan) -> Result<Vec<u8>, String> {
    let mut picture = if plan.channels == 4 {
        ImageBuffer::<Rgba<u8>, _>::from_raw(w, h, pixels).map(DynamicImage::ImageRgba8)
    } else {
        ImageBuffer::<Rgb<u8>, _>::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8)
    }
    .ok_or_else(|| "the resized picture has the wrong size".to_owned())?;
    picture.apply_orientation(plan.orientation);
    let mut encoded = Vec::new();
    if plan.ext == "png" {
        picture
            .write_to(&mut Cursor::new(&mut encoded), ImageFormat::Png)
            .map_err(|e| e.to_string())?;
    } else {
        let rgb = match picture {
            DynamicImage::ImageRgb8(rgb) => rgb,
            other => other.into_rgb8(),
        };
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut encoded, JPEG_QUALITY)
            .encode_image(&rgb)
            .map_err(|e| e.to_string())?;
    }
    Ok(encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut out), format)
            .unwrap();
        out
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        encoded(&DynamicImage::new_rgb8(width, height), ImageFormat::Png)
    }

    #[test]
    fn renditions_keep_the_aspect_and_never_enlarge() {
        let rendered = render(&png(1000, 500)).unwrap();
        assert_eq!(
            (rendered.width, rendered.height, rendered.ext),
            (1000, 500, "png")
        );
        let widths: Vec<u32> = rendered.renditions.iter().map(|(w, _)| *w).collect();
        assert_eq!(widths, [320, 640, 960, 1000]);
        let small = image::load_from_memory(&rendered.renditions[0].1).unwrap();
        assert_eq!((small.width(), small.height()), (320, 160));
    }

    #[test]
    fn a_wide_picture_gets_every_standard_width_and_not_its_own() {
        let rendered = render(&png(2500, 1000)).unwrap();
        let widths: Vec<u32> = rendered.renditions.iter().map(|(w, _)| *w).collect();
        assert_eq!(widths, RENDITION_WIDTHS);
        let largest = image::load_from_memory(&rendered.renditions[4].1).unwrap();
        assert_eq!((largest.width(), largest.height()), (1920, 768));
    }

    #[test]
    fn bands_join_without_a_seam() {
        // A smooth vertical gradient, made taller than many bands: every output row must be a
        // little lighter than the one above it, with no jump where one band meets the next.
        let (w, h) = (700, 2_000);
        let gradient = ImageBuffer::from_fn(w, h, |_, y| {
            let v = u8::try_from(y * 255 / (h - 1)).unwrap();
            Rgb([v, v, v])
        });
        let rendered = render(&encoded(
            &DynamicImage::ImageRgb8(gradient),
            ImageFormat::Png,
        ))
        .unwrap();
        let (width, bytes) = &rendered.renditions[1];
        assert_eq!(*width, 640);
        let out = image::load_from_memory(bytes).unwrap().into_luma8();
        assert!(out.height() > 3 * BAND_ROWS);
        let column: Vec<i32> = (0..out.height())
            .map(|y| i32::from(out.get_pixel(320, y).0[0]))
            .collect();
        let steps: Vec<i32> = column.windows(2).map(|p| p[1] - p[0]).collect();
        assert!(steps.iter().all(|s| (0..=2).contains(s)), "{steps:?}");
    }

    #[test]
    fn every_size_resizes_in_bands_to_the_last_row() {
        // Sizes whose band edges fall between source rows, where rounding could take the last
        // band past the source's bottom edge.
        let mut resizer = Resizer::new();
        for (w, h) in [(997, 1_749), (2_531, 401), (401, 2_531), (3, 1_999)] {
            let source = vec![200u8; (w * h * 3) as usize];
            let from = ImageRef::new(w, h, &source, PixelType::U8x3).unwrap();
            for target in [320, 640, 960] {
                let height = (u64::from(h) * u64::from(target) / u64::from(w)).max(1);
                let height = u32::try_from(height).unwrap();
                let to = resize_in_bands(&mut resizer, &from, target, height)
                    .unwrap_or_else(|e| panic!("{w} × {h} to {target}: {e}"));
                assert!(
                    to.buffer().iter().all(|&v| v == 200),
                    "{w} × {h} to {target}"
                );
            }
        }
    }

    #[test]
    fn transparent_pixels_do_not_lend_their_colour() {
        // Left half opaque red, right half fully transparent green: after resizing, no pixel with
        // any opacity may have picked up green.
        let picture = ImageBuffer::from_fn(1_000, 200, |x, _| {
            if x < 500 {
                Rgba([255, 0, 0, 255])
            } else {
                Rgba([0, 255, 0, 0])
            }
        });
        let rendered = render(&encoded(
            &DynamicImage::ImageRgba8(picture),
            ImageFormat::Png,
        ))
        .unwrap();
        let small = image::load_from_memory(&rendered.renditions[0].1)
            .unwrap()
            .into_rgba8();
        for pixel in small.pixels().filter(|p| p.0[3] > 0) {
            assert!(pixel.0[1] < 8, "green bled into {pixel:?}");
        }
    }

    #[test]
    fn html_named_png_is_refused() {
        let err = render(b"<!doctype html><script>alert(1)</script>").unwrap_err();
        assert!(err.message.contains("not a JPEG, PNG or WebP"), "{err}");
    }

    #[test]
    fn a_picture_over_the_memory_budget_is_refused_from_its_header_naming_the_limit() {
        // 1,000 × 1,000 RGB at 16 bits: 6 MB decoded plus a 3 MB 8-bit copy, over an 8 MB
        // budget; at 8 bits it needs 3 MB and its 960-wide rendition.
        let sixteen = encoded(&DynamicImage::new_rgb16(1_000, 1_000), ImageFormat::Png);
        let err = render_within(&sixteen, 8 * 1024 * 1024).unwrap_err();
        assert!(err.message.contains("at 16 bits a channel"), "{err}");
        assert!(err.message.contains("the limit is 8 MB"), "{err}");
        assert!(render_within(&png(1_000, 1_000), 8 * 1024 * 1024).is_ok());
    }

    #[test]
    fn the_budget_admits_every_8_bit_rgb_picture_within_the_pixel_limit() {
        // The widest and the tallest such pictures, from their headers alone.
        for (w, h) in [(MAX_SIDE, 3_333), (3_333, MAX_SIDE), (6_324, 6_324)] {
            let plan = Plan {
                stored: (w, h),
                orientation: Orientation::NoTransforms,
                channels: 3,
                native: true,
                decoded_bytes: u64::from(w) * u64::from(h) * 3,
                widths: rendition_widths(w),
                ext: "jpg",
            };
            assert!(plan.peak_bytes() <= MAX_WORK_BYTES, "{w} × {h}");
        }
    }

    #[test]
    fn a_picture_turned_a_quarter_is_resized_as_shown() {
        let plan = Plan {
            stored: (4_000, 3_000),
            orientation: Orientation::Rotate90,
            channels: 3,
            native: true,
            decoded_bytes: 36_000_000,
            widths: rendition_widths(3_000),
            ext: "jpg",
        };
        assert_eq!(plan.shown(), (3_000, 4_000));
        assert_eq!(plan.widths[0], 1920);
        assert_eq!(plan.stored_size_of(1920), (2560, 1920));
    }
}
