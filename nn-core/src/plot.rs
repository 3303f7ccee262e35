//! PNG figures with plotters, pure Rust (feature `plot`): the book's chapter-1 figures, a
//! loss curve and a decision boundary, and a regression's predicted-versus-actual scatter.
//!
//! Text is drawn with the bundled DejaVu Sans font (Bitstream Vera license, see
//! `nn-core/assets/fonts/DejaVuSans-LICENSE.txt`) through plotters' `ab_glyph` support, and
//! PNGs are encoded with the `png` crate, so no system library (fontconfig, freetype) is
//! needed.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::batch::{batch_view, Batch};
use crate::data::Dataset;
use crate::float::Float;
use crate::network::Network;

/// DejaVu Sans, registered with plotters as `sans-serif`.
const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// Why a figure could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// plotters failed to draw.
    #[error("{file}: cannot draw the figure: {message}")]
    Draw {
        /// The output file.
        file: String,
        /// plotters' message.
        message: String,
    },
    /// The PNG could not be written.
    #[error("{file}: cannot write the PNG: {message}")]
    Write {
        /// The output file.
        file: String,
        /// The encoder's or the file system's message.
        message: String,
    },
}

fn register_font() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            panic!("the bundled DejaVu Sans font did not parse");
        }
    });
}

/// Draws with `draw` on a `width × height` bitmap and writes it to `path` as a PNG.
fn render(
    path: &Path,
    (width, height): (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<(), PlotError> {
    register_font();
    let file = path.display().to_string();
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|()| draw(&root))
            .map_err(|message| PlotError::Draw {
                file: file.clone(),
                message,
            })?;
        root.present().map_err(|e| PlotError::Draw {
            file: file.clone(),
            message: e.to_string(),
        })?;
    }
    let write_err = |message: String| PlotError::Write {
        file: file.clone(),
        message,
    };
    let out = std::fs::File::create(path).map_err(|e| write_err(e.to_string()))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(out), width, height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Best);
    let mut w = enc.write_header().map_err(|e| write_err(e.to_string()))?;
    w.write_image_data(&rgb).map_err(|e| write_err(e.to_string()))?;
    w.finish().map_err(|e| write_err(e.to_string()))
}

/// Decimals that tell apart the ticks of an axis spanning `range` (about ten ticks): 0 for a
/// range of 10 or more, 1 down to 1, 2 down to 0.1, …
fn decimals(range: f64) -> usize {
    if range.is_finite() && range > 0.0 {
        (-(range / 10.0).log10()).ceil().clamp(0.0, 12.0) as usize
    } else {
        0
    }
}

/// The loss curve (the book's `plt.plot(loss_list)`): `loss[i]` against `i`, with
/// `x_label` under the axis (e.g. `"iterations (×10)"`). Writes a 640 × 400 PNG.
pub fn loss_curve(path: impl AsRef<Path>, loss: &[f64], x_label: &str) -> Result<(), PlotError> {
    render(path.as_ref(), (640, 400), |root| {
        let finite = loss.iter().copied().filter(|v| v.is_finite());
        let top = finite.fold(0.0f64, f64::max).max(1e-3) * 1.05;
        let mut chart = ChartBuilder::on(root)
            .caption("Training loss", ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..(loss.len().max(2) - 1) as f64, 0f64..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc("loss")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.*}", decimals(top)))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(
                loss.iter().enumerate().map(|(i, &l)| (i as f64, l)),
                BLUE.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label("train")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())
    })
}

/// Region colours (light) and point colours (strong) of up to six classes.
const REGION: [RGBColor; 6] = [
    RGBColor(198, 219, 239),
    RGBColor(253, 208, 162),
    RGBColor(199, 233, 192),
    RGBColor(218, 218, 235),
    RGBColor(252, 187, 161),
    RGBColor(217, 217, 217),
];
const POINT: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(230, 85, 13),
    RGBColor(49, 163, 84),
    RGBColor(117, 107, 177),
    RGBColor(222, 45, 38),
    RGBColor(99, 99, 99),
];

/// The decision boundary of a classifier on the plane (the book's chapter-1 figure): every
/// cell of a grid over the data's range (plus a margin of 0.1, as the book) is coloured by
/// the class `net` predicts there (argmax of its scores), and the samples of `data` are
/// drawn on top, marked and coloured by their true class (circle, cross, triangle, …).
/// Writes a 560 × 560 PNG.
pub fn decision_boundary<T: Float, N: Network<T, 2, K>, const K: usize>(
    path: impl AsRef<Path>,
    net: &N,
    data: &Dataset<T, 2>,
) -> Result<(), PlotError> {
    const CELLS: usize = 240;
    let x = data.x();
    let range = |row: usize| {
        let v = x.row(row);
        let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v.as_f64()), hi.max(v.as_f64()))
        });
        if lo.is_finite() {
            (lo - 0.1, hi + 0.1)
        } else {
            (-1.0, 1.0)
        }
    };
    let ((x0, x1), (y0, y1)) = (range(0), range(1));
    let (dx, dy) = ((x1 - x0) / CELLS as f64, (y1 - y0) / CELLS as f64);
    let mut grid = Vec::with_capacity(2 * CELLS * CELLS);
    for j in 0..CELLS {
        for i in 0..CELLS {
            grid.push(T::cast(x0 + (i as f64 + 0.5) * dx));
            grid.push(T::cast(y0 + (j as f64 + 0.5) * dy));
        }
    }
    let mut scores = Batch::<T, K>::zeros(CELLS * CELLS);
    net.predict_into(batch_view(&grid), scores.as_view_mut());
    let class_at = |cell: usize| crate::layers::argmax(scores.column(cell).as_slice());

    render(path.as_ref(), (560, 560), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Decision boundary", ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| e.to_string())?;
        chart
            .draw_series((0..CELLS * CELLS).map(|c| {
                let (i, j) = (c % CELLS, c / CELLS);
                let (cx, cy) = (x0 + i as f64 * dx, y0 + j as f64 * dy);
                Rectangle::new([(cx, cy), (cx + dx, cy + dy)], REGION[class_at(c) % 6].filled())
            }))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("x₀")
            .y_desc("x₁")
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .draw()
            .map_err(|e| e.to_string())?;
        for n in 0..data.len() {
            let s = data.sample(n);
            let p = (s[0].as_f64(), s[1].as_f64());
            let class = data.labels()[n];
            let style = POINT[class % 6].stroke_width(2);
            let drawn = match class % 3 {
                0 => chart.draw_series(std::iter::once(Circle::new(p, 4, style))),
                1 => chart.draw_series(std::iter::once(Cross::new(p, 4, style))),
                _ => chart.draw_series(std::iter::once(TriangleMarker::new(p, 5, style))),
            };
            drawn.map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

/// A regression's predicted-versus-actual scatter: one point `(actual[n], predicted[n])` per
/// sample and the diagonal `predicted = actual` (perfect predictions) through the data's
/// range; `units` is appended to both axis labels (e.g. `"disease progression"`). Pairs
/// holding a NaN or an infinity are left out. Writes a 560 × 560 PNG. Panics if the slices
/// differ in length.
#[track_caller]
pub fn predicted_vs_actual(
    path: impl AsRef<Path>,
    predicted: &[f64],
    actual: &[f64],
    units: &str,
) -> Result<(), PlotError> {
    assert_eq!(
        predicted.len(),
        actual.len(),
        "plot::predicted_vs_actual: {} predictions for {} targets",
        predicted.len(),
        actual.len()
    );
    let points: Vec<(f64, f64)> = actual
        .iter()
        .zip(predicted)
        .map(|(&a, &p)| (a, p))
        .filter(|(a, p)| a.is_finite() && p.is_finite())
        .collect();
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(a, p)| {
            (lo.min(a).min(p), hi.max(a).max(p))
        });
    let (lo, hi) = if lo < hi {
        let margin = 0.05 * (hi - lo);
        (lo - margin, hi + margin)
    } else if lo.is_finite() {
        (lo - 1.0, lo + 1.0) // one distinct value
    } else {
        (0.0, 1.0) // no finite pair
    };
    render(path.as_ref(), (560, 560), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Predicted vs actual", ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(lo..hi, lo..hi)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(format!("actual {units}"))
            .y_desc(format!("predicted {units}"))
            .x_label_formatter(&|v| format!("{v:.*}", decimals(hi - lo)))
            .y_label_formatter(&|v| format!("{v:.*}", decimals(hi - lo)))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new([(lo, lo), (hi, hi)], BLACK.mix(0.5).stroke_width(1)))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, POINT[0].mix(0.7).filled())))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

#[cfg(test)]
mod decimals_tests {
    #[test]
    fn ticks_get_the_decimals_their_range_needs() {
        assert_eq!(super::decimals(300.0), 0);
        assert_eq!(super::decimals(10.0), 0);
        assert_eq!(super::decimals(5.0), 1);
        assert_eq!(super::decimals(0.25), 2);
        assert_eq!(super::decimals(0.0004), 5);
        assert_eq!(super::decimals(f64::NAN), 0);
    }
}
