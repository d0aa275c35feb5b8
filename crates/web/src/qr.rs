//! QR codes for service points, as SVG (for printing at any size) and PNG.

use qrcode::QrCode;
use qrcode::render::svg;

use crate::error::AppError;

pub fn svg(url: &str) -> Result<String, AppError> {
    let code = QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(format!("qr: {e}")))?;
    Ok(code.render::<svg::Color<'_>>().min_dimensions(240, 240).quiet_zone(true).build())
}

pub fn png(url: &str) -> Result<Vec<u8>, AppError> {
    let code = QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(format!("qr: {e}")))?;
    let img = code.render::<image::Luma<u8>>().min_dimensions(480, 480).build();
    let mut out = Vec::new();
    image::DynamicImage::ImageLuma8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| AppError::Internal(format!("png: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_formats_encode_the_url() {
        let s = super::svg("http://example.test/p/abc").unwrap();
        assert!(s.starts_with("<?xml") && s.contains("<svg"));
        let p = super::png("http://example.test/p/abc").unwrap();
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
    }
}
