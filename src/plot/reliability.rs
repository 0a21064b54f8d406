//! The reliability diagram of a hindcast: per window, each model's observed event rate against its
//! mean forecast in each bin ([`crate::calibrate::reliability::EDGES`]), on square-root axes (rare
//! events put most forecasts near 0), with the diagonal of perfect reliability. A marker's area
//! grows with the log of the bin's count. Reads `reliability.csv` of a `blocsim hindcast` directory
//! and writes `plots/reliability.svg|png`.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::okabe_ito::{BLACK, BLUE, BLUISH_GREEN, ORANGE, REDDISH_PURPLE, SKY_BLUE, VERMILLION};
use super::{Chart, GRID, HEADER, INK, MUTED, PlotOptions, Sc, draw_header, perr, plots_dir, register_fonts, render};
use crate::calibrate::reliability::Bin;
use crate::error::{Error, Result};

const COLORS: [RGBColor; 7] = [BLUE, VERMILLION, BLUISH_GREEN, ORANGE, REDDISH_PURPLE, SKY_BLUE, BLACK];

/// One panel: a window and, per model, its bins.
pub type Panel = (String, Vec<(String, Vec<Bin>)>);

/// Per window, a panel.
pub struct ReliabilityChart {
    /// Scenario name.
    pub scenario: String,
    /// One per window.
    pub panels: Vec<Panel>,
}

impl ReliabilityChart {
    /// Read `dir/reliability.csv`: a panel per window, a series per model but persistence (every
    /// forecast 0: one point).
    pub fn load(dir: &Path, scenario: &str) -> Result<ReliabilityChart> {
        let path = dir.join("reliability.csv");
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let mut panels: Vec<Panel> = Vec::new();
        for (line, row) in text.lines().enumerate().skip(1) {
            let f: Vec<&str> = row.split(',').collect();
            let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
            let bin = match (num(2), num(3), f.get(4).and_then(|v| v.parse::<usize>().ok()), num(5), num(6)) {
                (Some(low), Some(high), Some(n), Some(forecast), Some(observed)) if f.len() == 7 => Bin {
                    low,
                    high,
                    n,
                    forecast,
                    observed,
                },
                _ => {
                    return Err(Error::Data {
                        path: path.clone(),
                        line: line + 1,
                        message: "expected window,model,bin_low,bin_high,n,mean_forecast,observed_rate".into(),
                    });
                }
            };
            if f[1] == "persistence" {
                continue;
            }
            if panels.last().is_none_or(|(w, _)| w != f[0]) {
                panels.push((f[0].to_string(), Vec::new()));
            }
            let models = &mut panels.last_mut().expect("pushed").1;
            match models.last_mut() {
                Some((m, bins)) if m == f[1] => bins.push(bin),
                _ => models.push((f[1].to_string(), vec![bin])),
            }
        }
        Ok(ReliabilityChart {
            scenario: scenario.to_string(),
            panels,
        })
    }
}

impl Chart for ReliabilityChart {
    fn size(&self) -> (u32, u32) {
        ((self.panels.len().max(1) as f64 * 480.0) as u32, (HEADER + 470.0) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> std::result::Result<(), String> {
        let s = Sc(s);
        let (head, body) = root.split_vertically(s.px(HEADER));
        draw_header(
            &head,
            s,
            "Reliability: observed rate against mean forecast per bin (square-root axes)",
            &format!(
                "scenario {}; on the diagonal a forecast means what it says; marker area ~ log(count)",
                self.scenario
            ),
        )?;
        let panels = body.split_evenly((1, self.panels.len().max(1)));
        for (area, (window, models)) in panels.iter().zip(&self.panels) {
            let title = match window.as_str() {
                "time" => "one year ahead (window time)",
                "simulated" => "simulated: P(adopted by the end)",
                w => w,
            };
            let full = || models.iter().flat_map(|(_, b)| b.iter().filter(|b| b.n > 0));
            let top = full().fold(0.05_f64, |a, b| a.max(b.forecast).max(b.observed)).min(1.0).sqrt() * 1.05;
            let mut b = ChartBuilder::on(area);
            b.margin(s.px(12.0))
                .caption(title, s.font(14.0, INK))
                .x_label_area_size(s.px(42.0))
                .y_label_area_size(s.px(52.0));
            let mut chart = b.build_cartesian_2d(0.0..top, 0.0..top).map_err(perr)?;
            s.grid(&mut chart.configure_mesh())
                .x_labels(6)
                .y_labels(6)
                .x_label_formatter(&|v| format!("{:.3}", v * v))
                .y_label_formatter(&|v| format!("{:.3}", v * v))
                .label_style(s.font(11.0, INK))
                .axis_desc_style(s.font(12.0, INK))
                .x_desc("mean forecast")
                .y_desc("observed rate")
                .draw()
                .map_err(perr)?;
            chart
                .draw_series(LineSeries::new([(0.0, 0.0), (top, top)], MUTED.stroke_width(s.u(1.0))))
                .map_err(perr)?;
            for (j, (model, bins)) in models.iter().enumerate() {
                let c = COLORS[j % COLORS.len()];
                let pts: Vec<(f64, f64, usize)> = bins
                    .iter()
                    .filter(|b| b.n > 0)
                    .map(|b| (b.forecast.sqrt(), b.observed.sqrt(), b.n))
                    .collect();
                chart
                    .draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), c.stroke_width(s.u(1.5))))
                    .map_err(perr)?
                    .label(model.as_str())
                    .legend(move |(x, y)| Circle::new((x + 8, y), 4, c.filled()));
                chart
                    .draw_series(pts.iter().map(|p| {
                        let r = 2.0 + 1.5 * ((p.2 as f64) + 1.0).log10();
                        Circle::new((p.0, p.1), s.u(r), c.mix(0.7).filled())
                    }))
                    .map_err(perr)?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(GRID)
                .label_font(s.font(11.0, INK))
                .draw()
                .map_err(perr)?;
        }
        Ok(())
    }
}

/// Draw `dir/plots/reliability.svg|png` from `dir/reliability.csv`; returns the files written.
pub fn plot_reliability(dir: &Path, scenario: &str, opts: &PlotOptions) -> Result<Vec<String>> {
    register_fonts();
    let chart = ReliabilityChart::load(dir, scenario)?;
    let plots = plots_dir(dir)?;
    render(&chart, &plots, "reliability", opts)
}
