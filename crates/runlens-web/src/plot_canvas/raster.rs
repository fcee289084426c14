//! Antialiased discs drawn into a pixel buffer in wasm, handed to the canvas whole
//! (`putImageData`). Without a GPU, Chromium rasterizes a canvas's paths in software on the
//! page's thread when the frame is painted: 10,000 scatter markers as `arc` paths cost
//! 25–33 ms of it (measured in headless Chromium); stamped here they are a few
//! milliseconds, and the copy in is a memory copy.
//!
//! A disc is stamped from a coverage mask, made for each quarter-pixel offset of its centre
//! once per colour's discs (so a centre moves by at most an eighth of a pixel). Pixels are
//! kept premultiplied while drawing (source-over is then one multiply-add per channel, in
//! integers) and turned into the straight RGBA an `ImageData` holds at the end.

/// A colour with straight (not premultiplied) alpha in `0.0..=1.0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgba {
    /// Red, green, blue.
    pub rgb: (u8, u8, u8),
    /// Opacity.
    pub alpha: f64,
}

/// Steps per pixel of a disc centre's position.
const SUBPIXEL: usize = 4;

/// A `width` × `height` picture, transparent at first.
pub struct Raster {
    width: usize,
    height: usize,
    /// Premultiplied RGBA bytes (red lowest) of each pixel, row by row.
    pixels: Vec<u32>,
}

/// Coverage masks (0–255) of a disc of one radius, one per quarter-pixel offset of its
/// centre, each `size` × `size` pixels from the pixel `reach` left of and above the
/// centre's pixel.
struct Stamps {
    reach: isize,
    size: usize,
    masks: Vec<Vec<u8>>,
}

impl Stamps {
    fn new(radius: f64) -> Stamps {
        let reach = (radius + 0.5).ceil() as isize;
        let size = 2 * reach as usize + 1;
        let masks = (0..SUBPIXEL * SUBPIXEL)
            .map(|offset| {
                // The centre within its pixel.
                let fx = (offset % SUBPIXEL) as f64 / SUBPIXEL as f64;
                let fy = (offset / SUBPIXEL) as f64 / SUBPIXEL as f64;
                let mut mask = Vec::with_capacity(size * size);
                for row in 0..size {
                    let dy = (row as isize - reach) as f64 + 0.5 - fy;
                    for column in 0..size {
                        let dx = (column as isize - reach) as f64 + 0.5 - fx;
                        // A pixel is covered by the part of it inside the disc, estimated
                        // from its centre's distance to the edge (exact for a straight
                        // edge through the pixel).
                        let coverage = (radius + 0.5 - (dx * dx + dy * dy).sqrt()).clamp(0.0, 1.0);
                        mask.push((coverage * 255.0).round() as u8);
                    }
                }
                mask
            })
            .collect();
        Stamps { reach, size, masks }
    }
}

/// `x × y / 255`, rounded (exact for all `u8` inputs).
fn times(x: u32, y: u32) -> u32 {
    let product = x * y + 128;
    (product + (product >> 8)) >> 8
}

/// `x × k / 255` for the two bytes at bits 0–7 and 16–23 of `x` at once (`x` masked to
/// `0x00ff_00ff`), rounded like [`times`].
fn times_pair(x: u32, k: u32) -> u32 {
    let product = x * k + 0x0080_0080;
    ((product + ((product >> 8) & 0x00ff_00ff)) >> 8) & 0x00ff_00ff
}

impl Raster {
    /// A transparent picture of `width` × `height` pixels.
    pub fn new(width: usize, height: usize) -> Raster {
        Raster {
            width,
            height,
            pixels: vec![0; width * height],
        }
    }

    /// Draws a disc of `radius` pixels centred at each of `centres` (pixel units, `(0, 0)`
    /// the top left corner of the top left pixel) in `colour`, over what is there. Discs
    /// off the picture, or at a non-finite place, draw nothing.
    pub fn discs(
        &mut self,
        centres: impl IntoIterator<Item = (f64, f64)>,
        radius: f64,
        colour: Rgba,
    ) {
        if !(radius > 0.0 && radius < 1e4) {
            return;
        }
        // Made per call: one call draws every disc of a colour, and its masks cost a few
        // thousand distances.
        let stamps = Stamps::new(radius);
        // The premultiplied source (RGBA bytes in a little-endian u32, as the pixels) and
        // the share of the pixel below that stays, at each coverage.
        let alpha = (colour.alpha.clamp(0.0, 1.0) * 255.0).round() as u32;
        let (r, g, b) = colour.rgb;
        let mut source = [0u32; 256];
        let mut keep = [0u32; 256];
        for coverage in 0..256 {
            let a = times(alpha, coverage as u32);
            source[coverage] = times(u32::from(r), a)
                | times(u32::from(g), a) << 8
                | times(u32::from(b), a) << 16
                | a << 24;
            keep[coverage] = 255 - a;
        }
        // Far enough off the picture that no mask reaches it (also NaN and infinities).
        let limit = (self.width.max(self.height) as f64) + radius + 2.0;
        for (x, y) in centres {
            if !(x.abs() < limit && y.abs() < limit) {
                continue;
            }
            self.stamp(&stamps, (x, y), &source, &keep);
        }
    }

    /// One disc of `stamps` at `(x, y)` (within reach of the picture).
    fn stamp(
        &mut self,
        stamps: &Stamps,
        (x, y): (f64, f64),
        source: &[u32; 256],
        keep: &[u32; 256],
    ) {
        let step = |v: f64| {
            let steps = (v * SUBPIXEL as f64).round() as isize;
            (
                steps.div_euclid(SUBPIXEL as isize),
                steps.rem_euclid(SUBPIXEL as isize) as usize,
            )
        };
        let ((column, fx), (row, fy)) = (step(x), step(y));
        let mask = &stamps.masks[fy * SUBPIXEL + fx];
        let (left, top) = (column - stamps.reach, row - stamps.reach);
        // The part of the mask on the picture.
        let clip = |start: isize, len: usize| {
            let from = (-start).clamp(0, stamps.size as isize) as usize;
            let to = (len as isize - start).clamp(0, stamps.size as isize) as usize;
            from..to.max(from)
        };
        let (columns, rows) = (clip(left, self.width), clip(top, self.height));
        if columns.is_empty() {
            return;
        }
        for my in rows {
            let line = (top + my as isize) as usize * self.width;
            let mask_row = &mask[my * stamps.size..(my + 1) * stamps.size];
            let start = line + (left + columns.start as isize) as usize;
            let pixels = &mut self.pixels[start..start + columns.len()];
            for (pixel, &coverage) in pixels.iter_mut().zip(&mask_row[columns.clone()]) {
                if coverage == 0 {
                    continue;
                }
                let below = *pixel;
                let k = keep[usize::from(coverage)];
                let even = times_pair(below & 0x00ff_00ff, k);
                let odd = times_pair((below >> 8) & 0x00ff_00ff, k);
                *pixel = source[usize::from(coverage)] + (even | odd << 8);
            }
        }
    }

    /// The picture as an `ImageData`'s bytes: straight RGBA, row by row.
    pub fn to_rgba(&self) -> Vec<u8> {
        let mut bytes = vec![0; self.pixels.len() * 4];
        for (out, &pixel) in bytes.chunks_exact_mut(4).zip(&self.pixels) {
            if pixel == 0 {
                continue;
            }
            let [r, g, b, a] = pixel.to_le_bytes();
            let a32 = u32::from(a);
            let straight = |c: u8| ((u32::from(c) * 255 + a32 / 2) / a32.max(1)).min(255) as u8;
            out.copy_from_slice(&[straight(r), straight(g), straight(b), a]);
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: Rgba = Rgba {
        rgb: (255, 0, 0),
        alpha: 1.0,
    };

    fn pixel(raster: &Raster, x: usize, y: usize) -> [u8; 4] {
        let at = (y * raster.width + x) * 4;
        raster.to_rgba()[at..at + 4].try_into().unwrap()
    }

    #[test]
    fn a_disc_covers_its_inside_fully_its_edge_partly_and_nothing_outside() {
        let mut raster = Raster::new(20, 20);
        raster.discs([(10.5, 10.5)], 4.0, RED);
        assert_eq!(pixel(&raster, 10, 10), [255, 0, 0, 255], "centre");
        assert_eq!(pixel(&raster, 7, 10), [255, 0, 0, 255], "inside");
        // Pixel 14's centre is on the edge: half covered.
        assert_eq!(pixel(&raster, 14, 10), [255, 0, 0, 128]);
        assert_eq!(pixel(&raster, 15, 10), [0, 0, 0, 0], "outside");
        // Pixel (13, 13)'s centre is 3√2 ≈ 4.24 away: a quarter covered.
        assert_eq!(pixel(&raster, 13, 13), [255, 0, 0, 66]);
        // The covered area is about the disc's (π r² ≈ 50.3 pixels).
        let area: f64 = raster
            .to_rgba()
            .chunks(4)
            .map(|p| f64::from(p[3]) / 255.0)
            .sum();
        assert!((area - 50.27).abs() < 1.0, "{area}");
    }

    #[test]
    fn translucent_discs_blend_over_each_other() {
        let mut raster = Raster::new(10, 10);
        let half = |rgb| Rgba { rgb, alpha: 0.5 };
        raster.discs([(5.0, 5.0)], 3.0, half((0, 0, 255)));
        assert_eq!(pixel(&raster, 5, 5), [0, 0, 255, 128]);
        raster.discs([(5.0, 5.0)], 3.0, half((255, 0, 0)));
        // Red at 0.5 over blue at 0.5: alpha 0.75, red 0.5 / 0.75, blue 0.25 / 0.75 (in
        // steps of 1/255).
        assert_eq!(pixel(&raster, 5, 5), [170, 0, 85, 192]);
    }

    #[test]
    fn discs_at_the_border_are_clipped_and_discs_off_it_or_nowhere_draw_nothing() {
        let mut raster = Raster::new(8, 8);
        raster.discs([(0.0, 0.0), (8.0, 8.0), (-0.5, 4.0)], 2.0, RED);
        assert_eq!(pixel(&raster, 0, 0), [255, 0, 0, 255]);
        assert_eq!(pixel(&raster, 7, 7), [255, 0, 0, 255]);
        assert_eq!(pixel(&raster, 0, 4), [255, 0, 0, 255]);
        assert_eq!(pixel(&raster, 4, 4), [0, 0, 0, 0]);
        for place in [
            (-10.0, 4.0),
            (4.0, 30.0),
            (f64::NAN, 4.0),
            (4.0, f64::INFINITY),
            (1e300, -1e300),
        ] {
            let mut empty = Raster::new(8, 8);
            empty.discs([place], 2.0, RED);
            assert!(empty.to_rgba().iter().all(|&b| b == 0), "{place:?}");
        }
        let mut none = Raster::new(8, 8);
        none.discs([(4.0, 4.0)], 0.0, RED);
        assert!(none.to_rgba().iter().all(|&b| b == 0));
    }
}
