//! A URL as a QR code: SVG for print (one path, scales without blur) and PNG for anything that
//! takes only pictures. Error correction M (a smudged counter sticker still reads), the standard
//! four-module quiet zone, dark on white.

use qrcode::{EcLevel, QrCode};

/// Quiet zone around the symbol, in modules (ISO/IEC 18004 asks for four).
const QUIET: usize = 4;
/// Pixels per module in the PNG: a 41-module link URL is about 400 px wide.
const PNG_SCALE: usize = 8;

/// The symbol's modules, row by row, `true` dark; `None` when the text is too long for a QR code.
fn modules(text: &str) -> Option<(usize, Vec<bool>)> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
    Some((width, dark))
}

/// An SVG document: one path of unit squares, the quiet zone in the view box.
pub fn svg(text: &str) -> Option<String> {
    let (width, dark) = modules(text)?;
    let side = width + 2 * QUIET;
    let mut path = String::with_capacity(dark.len() * 4);
    for (index, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let (x, y) = (index % width + QUIET, index / width + QUIET);
        path.push_str(&format!("M{x} {y}h1v1h-1z"));
    }
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" width="{px}" height="{px}" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="{path}"/></svg>"##,
        px = side * PNG_SCALE,
    ))
}

/// A greyscale PNG, `PNG_SCALE` pixels per module.
pub fn png(text: &str) -> Option<Vec<u8>> {
    let (width, dark) = modules(text)?;
    let side = (width + 2 * QUIET) * PNG_SCALE;
    let mut pixels = vec![255u8; side * side];
    for (index, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let (x, y) = ((index % width + QUIET) * PNG_SCALE, (index / width + QUIET) * PNG_SCALE);
        for row in y..y + PNG_SCALE {
            pixels[row * side + x..row * side + x + PNG_SCALE].fill(0);
        }
    }
    let mut out = Vec::new();
    let side32 = u32::try_from(side).ok()?;
    let mut encoder = png::Encoder::new(&mut out, side32, side32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(&pixels).ok()?;
    writer.finish().ok()?;
    Some(out)
}
