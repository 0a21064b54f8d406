//! Profile likelihoods of a calibration: one panel per estimated parameter, 2(ℓ̂ − ℓ_p) against the
//! parameter's value, with the χ²₁ 95% line (3.84) whose crossings bound the profile interval.
//! Reads `profiles.csv` of a `blocsim calibrate` directory and writes `plots/profiles.svg|png`.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::fan::panel_grid;
use super::okabe_ito::{BLUE, VERMILLION};
use super::{Chart, HEADER, INK, PlotOptions, Sc, draw_header, perr, plots_dir, register_fonts, render};
use crate::error::{Error, Result};

/// χ²₁ 0.95 quantile, drawn as the interval line.
const CHI2_95: f64 = 3.841_458_820_694_124;

/// The profiles read from `profiles.csv`: per key, (value, LR) in file order.
pub struct ProfilesChart {
    /// Scenario name.
    pub scenario: String,
    /// Per key, (value, 2(ℓ̂ − ℓ_p)) in file order.
    pub profiles: Vec<(String, Vec<(f64, f64)>)>,
}

impl ProfilesChart {
    /// Read `dir/profiles.csv`.
    pub fn load(dir: &Path, scenario: &str) -> Result<ProfilesChart> {
        let path = dir.join("profiles.csv");
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let mut profiles: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for (n, line) in text.lines().enumerate().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let parsed = match f.as_slice() {
                [k, v, lr] => v.parse::<f64>().ok().zip(lr.parse::<f64>().ok()).map(|p| (k.to_string(), p)),
                _ => None,
            };
            let (key, point) = parsed.ok_or_else(|| Error::Data {
                path: path.clone(),
                line: n + 1,
                message: "expected key,value,lr".into(),
            })?;
            match profiles.last_mut() {
                Some((k, pts)) if *k == key => pts.push(point),
                _ => profiles.push((key, vec![point])),
            }
        }
        Ok(ProfilesChart {
            scenario: scenario.to_string(),
            profiles,
        })
    }

    fn cols(&self) -> usize {
        panel_grid(self.profiles.len().max(1)).1
    }
}

impl Chart for ProfilesChart {
    fn size(&self) -> (u32, u32) {
        let (rows, cols) = panel_grid(self.profiles.len().max(1));
        ((cols as f64 * 330.0) as u32, (HEADER + rows as f64 * 270.0) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> std::result::Result<(), String> {
        let s = Sc(s);
        let (head, body) = root.split_vertically(s.px(HEADER));
        draw_header(
            &head,
            s,
            "Profile likelihoods: 2 \u{00d7} (maximum \u{2212} profile log-likelihood); the dashed line at 3.84 bounds the 95% interval",
            &format!("scenario {}; each panel maximises over the other parameters", self.scenario),
        )?;
        let (rows, cols) = panel_grid(self.profiles.len().max(1));
        let panels = body.split_evenly((rows, cols));
        for (i, (area, (key, pts))) in panels.iter().zip(&self.profiles).enumerate() {
            let finite = pts.iter().filter(|p| p.0.is_finite() && p.1.is_finite());
            let (lo, hi) = finite
                .clone()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| (a.0.min(p.0), a.1.max(p.0)));
            let top = finite.fold(CHI2_95 * 1.5, |a, p| a.max(p.1));
            if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
                continue;
            }
            let mut b = ChartBuilder::on(area);
            b.margin(s.px(10.0)).x_label_area_size(s.px(40.0)).y_label_area_size(s.px(44.0));
            let mut chart = b.build_cartesian_2d(lo..hi, 0.0..top).map_err(perr)?;
            s.grid(&mut chart.configure_mesh())
                .x_labels(5)
                .y_labels(5)
                .label_style(s.font(11.0, INK))
                .axis_desc_style(s.font(12.0, INK))
                .x_desc(key.as_str())
                .y_desc(if i % self.cols() == 0 { "LR" } else { "" })
                .draw()
                .map_err(perr)?;
            let dashes = (0..40).map(|j| {
                let (a, b) = (lo + (hi - lo) * j as f64 / 40.0, lo + (hi - lo) * (j as f64 + 0.5) / 40.0);
                PathElement::new(vec![(a, CHI2_95), (b, CHI2_95)], VERMILLION.stroke_width(s.u(1.5)))
            });
            chart.draw_series(dashes).map_err(perr)?;
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), BLUE.stroke_width(s.u(2.0))))
                .map_err(perr)?;
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, s.u(3.0), BLUE.filled())))
                .map_err(perr)?;
        }
        Ok(())
    }
}

/// Draw `dir/plots/profiles.svg|png` from `dir/profiles.csv`; returns the files written.
pub fn plot_profiles(dir: &Path, scenario: &str, opts: &PlotOptions) -> Result<Vec<String>> {
    register_fonts();
    let chart = ProfilesChart::load(dir, scenario)?;
    if chart.profiles.is_empty() {
        return Ok(Vec::new());
    }
    let plots = plots_dir(dir)?;
    render(&chart, &plots, "profiles", opts)
}
