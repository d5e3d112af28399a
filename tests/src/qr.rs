//! Reading QR codes back, as a phone's camera would: the PNG's pixels, and the SVG drawn at four
//! pixels a module (its squares read from the path the service writes).

fn decode(side: usize, luma: impl Fn(usize, usize) -> u8) -> String {
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, luma);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one symbol");
    grids[0].decode().expect("it reads").1
}

pub fn read_png(bytes: &[u8]) -> String {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("its pixels");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let side = info.width as usize;
    decode(side, |x, y| pixels[y * side + x])
}

pub fn read_svg(svg: &str) -> String {
    let side: usize = svg.split("viewBox=\"0 0 ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    let path = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
    let mut dark = vec![false; side * side];
    for square in path.split('M').filter(|s| !s.is_empty()) {
        let (x, y) = square.split('h').next().unwrap().split_once(' ').unwrap();
        dark[y.parse::<usize>().unwrap() * side + x.parse::<usize>().unwrap()] = true;
    }
    let scale = 4;
    decode(side * scale, |x, y| if dark[(y / scale) * side + x / scale] { 0 } else { 255 })
}
