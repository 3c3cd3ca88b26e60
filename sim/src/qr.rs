//! QR codes: the module matrix the page paints on its canvas, and SVG for the phone page.

use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};

/// The QR of `data` as rows of `'1'` (dark) and `'0'` (light), without quiet zone.
pub fn matrix(data: &str) -> Option<Vec<String>> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::L).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    Some(
        colors
            .chunks(width)
            .map(|row| {
                row.iter()
                    .map(|c| if *c == Color::Dark { '1' } else { '0' })
                    .collect()
            })
            .collect(),
    )
}

/// The QR of `data` as an SVG image.
pub fn svg(data: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::L).ok()?;
    Some(code.render::<svg::Color>().min_dimensions(220, 220).build())
}
