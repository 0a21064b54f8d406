//! Yearly adoption counts of a simulated hindcast: one panel per indicator, per scored year the
//! runs' 90% band (light) and 50% band (dark) of the number of adoptions, their median (a tick),
//! and the observed number (a black dot; hollow when it falls outside the 90% band).
//! Reads `counts.csv` of a `blocsim hindcast` directory (its first model, the calibrated one) and
//! writes `plots/counts.svg|png`.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::fan::panel_grid;
use super::okabe_ito::{BLACK, BLUE};
use super::{Chart, HEADER, INK, PlotOptions, Sc, draw_header, perr, plots_dir, register_fonts, render, tint};
use crate::calibrate::bands::CountBand;
use crate::error::{Error, Result};

/// The yearly adoption counts chart: per indicator, the simulated bands and the observed counts.
pub struct CountsChart {
    /// Scenario name.
    pub scenario: String,
    /// Model the bands were simulated with.
    pub model: String,
    /// Whether the file has observed counts (a hindcast); a dated forecast's years have none yet.
    pub observed: bool,
    /// (indicator, its bands in year order), one panel each.
    pub indicators: Vec<(String, Vec<CountBand>)>,
}

impl CountsChart {
    /// Read the first model's rows of `dir/counts.csv`.
    pub fn load(dir: &Path, scenario: &str) -> Result<CountsChart> {
        let path = dir.join("counts.csv");
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let mut model: Option<String> = None;
        let mut observed_any = false;
        let mut indicators: Vec<(String, Vec<CountBand>)> = Vec::new();
        for (line, row) in text.lines().enumerate().skip(1) {
            let f: Vec<&str> = row.split(',').collect();
            let int = |i: usize| f.get(i).and_then(|v| v.parse::<usize>().ok());
            let (Some(year), Some(mean), [Some(observed), Some(median), Some(low50), Some(high50), Some(low90), Some(high90)]) = (
                f.get(2).and_then(|v| v.parse::<i32>().ok()),
                f.get(4).and_then(|v| v.parse::<f64>().ok()),
                [3, 5, 6, 7, 8, 9].map(|i| if i == 3 && f.get(3) == Some(&"") { Some(0) } else { int(i) }),
            ) else {
                return Err(Error::Data {
                    path: path.clone(),
                    line: line + 1,
                    message: "expected model,indicator,year,observed,mean,median,low50,high50,low90,high90,...".into(),
                });
            };
            if model.get_or_insert_with(|| f[0].to_string()) != f[0] {
                continue;
            }
            observed_any |= f.get(3) != Some(&"");
            let band = CountBand {
                indicator: f[1].to_string(),
                year,
                observed,
                mean,
                median,
                low50,
                high50,
                low90,
                high90,
            };
            match indicators.last_mut() {
                Some((name, list)) if name == f[1] => list.push(band),
                _ => indicators.push((f[1].to_string(), vec![band])),
            }
        }
        Ok(CountsChart {
            scenario: scenario.to_string(),
            model: model.unwrap_or_default(),
            observed: observed_any,
            indicators,
        })
    }
}

impl Chart for CountsChart {
    fn size(&self) -> (u32, u32) {
        let (rows, cols) = panel_grid(self.indicators.len().max(1));
        ((cols as f64 * 340.0) as u32, (HEADER + rows as f64 * 250.0) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> std::result::Result<(), String> {
        let s = Sc(s);
        let (head, body) = root.split_vertically(s.px(HEADER));
        let (title, note) = if self.observed {
            (
                "Adoptions per year: observed (dots) against the runs' 50% and 90% bands",
                "; a hollow dot is outside the 90% band",
            )
        } else {
            (
                "Acts per year forecast: the runs' 50% and 90% bands and median",
                "; nothing observed yet",
            )
        };
        draw_header(&head, s, title, &format!("scenario {}, model {}{note}", self.scenario, self.model))?;
        let (rows, cols) = panel_grid(self.indicators.len().max(1));
        let panels = body.split_evenly((rows, cols));
        for (area, (name, bands)) in panels.iter().zip(&self.indicators) {
            let (Some(first), Some(last)) = (bands.first(), bands.last()) else {
                continue;
            };
            let top = bands.iter().fold(1, |a, b| a.max(b.high90).max(b.observed)) as f64 * 1.15 + 0.5;
            let x = (f64::from(first.year) - 0.6)..(f64::from(last.year) + 0.6);
            let mut b = ChartBuilder::on(area);
            b.margin(s.px(10.0))
                .caption(name.as_str(), s.font(13.0, INK))
                .x_label_area_size(s.px(30.0))
                .y_label_area_size(s.px(36.0));
            let mut chart = b.build_cartesian_2d(x, 0.0..top).map_err(perr)?;
            s.grid(&mut chart.configure_mesh())
                .x_labels(bands.len())
                .y_labels(5)
                .x_label_formatter(&|v| format!("{v:.0}"))
                // Counts: only whole numbers get a label.
                .y_label_formatter(&|v| {
                    if (v - v.round()).abs() < 1e-9 {
                        format!("{v:.0}")
                    } else {
                        String::new()
                    }
                })
                .label_style(s.font(11.0, INK))
                .draw()
                .map_err(perr)?;
            for b in bands {
                let y = f64::from(b.year);
                let rect = |lo: usize, hi: usize, w: f64, c: RGBColor| {
                    Rectangle::new([(y - w, lo as f64 - 0.1), (y + w, hi as f64 + 0.1)], c.filled())
                };
                chart
                    .draw_series([
                        rect(b.low90, b.high90, 0.3, tint(BLUE, 0.3)),
                        rect(b.low50, b.high50, 0.3, tint(BLUE, 0.65)),
                    ])
                    .map_err(perr)?;
                let m = b.median as f64;
                chart
                    .draw_series([PathElement::new(vec![(y - 0.3, m), (y + 0.3, m)], BLUE.stroke_width(s.u(2.0)))])
                    .map_err(perr)?;
                if !self.observed {
                    continue;
                }
                let dot = (y, b.observed as f64);
                let style = if b.in90() { BLACK.filled() } else { BLACK.stroke_width(s.u(2.0)) };
                chart.draw_series([Circle::new(dot, s.u(4.0), style)]).map_err(perr)?;
            }
        }
        Ok(())
    }
}

/// Draw `dir/plots/counts.svg|png` from `dir/counts.csv`; returns the files written.
pub fn plot_counts(dir: &Path, scenario: &str, opts: &PlotOptions) -> Result<Vec<String>> {
    register_fonts();
    let chart = CountsChart::load(dir, scenario)?;
    let plots = plots_dir(dir)?;
    render(&chart, &plots, "counts", opts)
}
