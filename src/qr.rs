//! QR string -> PNG -> data URL, as the API returns it.

use base64::Engine;
use image::{ImageFormat, Luma};
use qrcode::QrCode;
use std::io::Cursor;

/// Pixels per QR module: large enough for a phone camera to read from a screen.
const MODULE_PX: u32 = 8;

/// Renders `payload` as a PNG with a quiet zone.
pub fn png(payload: &str) -> Result<Vec<u8>, String> {
    let code = QrCode::new(payload.as_bytes()).map_err(|e| format!("QR encode: {e}"))?;
    let img = code
        .render::<Luma<u8>>()
        .module_dimensions(MODULE_PX, MODULE_PX)
        .build();
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| format!("PNG encode: {e}"))?;
    Ok(out.into_inner())
}

/// `data:image/png;base64,...` for `payload`.
pub fn data_url(payload: &str) -> Result<String, String> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(png(payload)?);
    Ok(format!("data:image/png;base64,{b64}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_a_png_data_url() {
        let url = super::data_url("2@abc,def,ghi,jkl,WEB").unwrap();
        assert!(url.starts_with("data:image/png;base64,iVBOR"));
    }
}
