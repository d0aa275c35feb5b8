//! Inspection photos (SPEC INS-2): JPEG or PNG, recognised by their bytes
//! and not their names, within a size limit; turned upright by their EXIF
//! orientation (phones store portraits sideways), bounded in size and
//! re-encoded — which also drops their metadata, GPS position included —
//! with a thumbnail for lists.

use std::io::Cursor;

use chuangkou_store::inspections::Photo;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// The largest photo accepted, in bytes.
pub const MAX_PHOTO_BYTES: usize = 8 * 1024 * 1024;
/// The longest side a stored photo keeps.
const MAX_SIDE: u32 = 2560;
const THUMB_SIDE: u32 = 320;
/// The most pixels a photo may have, read from its header before anything
/// is decoded: a 76 KB PNG can declare 9000 × 9000 pixels and take
/// gigabytes to decode. 40 MP is more than any phone camera takes.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Photos decoded at once; more wait their turn (each may take a few
/// hundred megabytes while it is decoded).
const DECODING_AT_ONCE: usize = 2;

static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(DECODING_AT_ONCE);

fn refuse(message: &str) -> AppError {
    AppError::bad_request("bad_photo", message.to_string())
}

/// Checks and normalises an uploaded photo. Runs on a blocking thread.
pub async fn process(bytes: Vec<u8>) -> Result<Photo, AppError> {
    let _turn = DECODING.acquire().await.map_err(|e| AppError::Internal(format!("photo queue: {e}")))?;
    tokio::task::spawn_blocking(move || process_now(&bytes))
        .await
        .map_err(|e| AppError::Internal(format!("photo task: {e}")))?
}

pub fn process_now(bytes: &[u8]) -> Result<Photo, AppError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(AppError::TooLarge);
    }
    let format = match bytes {
        [0xFF, 0xD8, 0xFF, ..] => ImageFormat::Jpeg,
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => ImageFormat::Png,
        _ => return Err(refuse("照片须为 JPEG 或 PNG 图片 / photos must be JPEG or PNG images")),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let unreadable = |_| refuse("无法读取照片 / the photo cannot be read");
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(refuse("照片像素过多（上限 4000 万）/ the photo has too many pixels (at most 40 MP)"));
    }
    let orientation = decoder.orientation().map_err(unreadable)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    img.apply_orientation(orientation);
    if img.width() > MAX_SIDE || img.height() > MAX_SIDE {
        img = img.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Triangle);
    }
    let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
    let encode = |im: &DynamicImage, quality: u8| -> Result<Vec<u8>, AppError> {
        let mut out = Vec::new();
        let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
        im.write_with_encoder(enc).map_err(|e| AppError::Internal(format!("jpeg encode: {e}")))?;
        Ok(out)
    };
    let full = encode(&rgb, 85)?;
    let thumb = encode(&rgb.thumbnail(THUMB_SIDE, THUMB_SIDE), 75)?;
    Ok(Photo {
        content_type: "image/jpeg",
        sha256: hex::encode(Sha256::digest(&full)),
        width: rgb.width(),
        height: rgb.height(),
        bytes: full,
        thumb,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30])));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    #[test]
    fn a_png_becomes_a_jpeg_with_a_thumbnail() {
        let p = process_now(&png(800, 600)).unwrap();
        assert_eq!((p.content_type, p.width, p.height), ("image/jpeg", 800, 600));
        let thumb = image::load_from_memory(&p.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 240));
    }

    /// A small PNG whose header declares `w` × `h` pixels (a decompression bomb's header).
    fn declaring(w: u32, h: u32) -> Vec<u8> {
        fn crc32(bytes: &[u8]) -> u32 {
            let mut c = 0xFFFF_FFFFu32;
            for b in bytes {
                c ^= u32::from(*b);
                for _ in 0..8 {
                    c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                }
            }
            !c
        }
        let mut p = png(1, 1);
        p[16..20].copy_from_slice(&w.to_be_bytes());
        p[20..24].copy_from_slice(&h.to_be_bytes());
        let crc = crc32(&p[12..29]);
        p[29..33].copy_from_slice(&crc.to_be_bytes());
        p
    }

    #[test]
    fn a_header_declaring_more_than_40_megapixels_is_refused_before_decoding() {
        let bomb = declaring(9000, 9000);
        assert!(bomb.len() < 200, "a tiny file");
        let e = process_now(&bomb).unwrap_err();
        assert_eq!(e.code(), "bad_photo");
        assert!(format!("{e:?}").contains("40 MP"), "{e:?}");
    }

    #[test]
    fn content_decides_not_the_name() {
        let e = process_now(b"GIF89a....").unwrap_err();
        assert_eq!(e.code(), "bad_photo");
        let e = process_now(b"<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap_err();
        assert_eq!(e.code(), "bad_photo");
        // A PNG signature with garbage after it is not a photo either.
        let mut fake = png(4, 4);
        fake.truncate(20);
        assert_eq!(process_now(&fake).unwrap_err().code(), "bad_photo");
    }

    /// A JPEG as a phone writes a portrait: landscape pixels and EXIF
    /// orientation 6 ("rotate 90° clockwise to view").
    fn phone_jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(w, h, image::Rgb([10, 120, 200])));
        let mut jpeg = Vec::new();
        img.write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg).unwrap();
        let mut tiff = b"MM\0\x2A\0\0\0\x08".to_vec();
        tiff.extend([0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let len = (app1.len() + 2) as u16;
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend(len.to_be_bytes());
        out.extend(app1);
        out.extend(&jpeg[2..]);
        out
    }

    #[test]
    fn phone_photos_are_turned_upright() {
        let p = process_now(&phone_jpeg(80, 40)).unwrap();
        assert_eq!((p.width, p.height), (40, 80));
    }

    #[test]
    fn photos_over_the_limit_are_refused() {
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(MAX_PHOTO_BYTES + 1, 0);
        assert!(matches!(process_now(&big), Err(AppError::TooLarge)));
    }
}
