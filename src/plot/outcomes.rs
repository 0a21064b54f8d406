//! Outcome distributions at the horizon: for one domain, a histogram per framework of its final
//! share of states across runs, on a common axis. Reads `runs.csv` (shares) and `summary.json`
//! (the median and 90% interval in each panel's caption).

use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;

use super::data::Output;
use super::{Chart, HEADER, INK, MUTED, Sc, draw_header, framework_colors, perr, subtitle};

const PANEL_H: f64 = 170.0;
const FOOT_H: f64 = 24.0;

/// The histograms of final shares of one domain, one panel per framework.
pub struct OutcomesChart<'a> {
    out: &'a Output,
    domain: usize,
}

impl<'a> OutcomesChart<'a> {
    /// The chart of domain `domain` of `out`.
    pub fn new(out: &'a Output, domain: usize) -> Self {
        OutcomesChart { out, domain }
    }
}

/// Bin width (as a share) for a world of `states` states: a whole number of states per bin, about
/// 2% wide, so that every bin can hold the same number of distinct count shares.
pub fn bin_width(states: Option<u64>) -> f64 {
    match states {
        Some(n) if n > 0 => {
            let per = ((n as f64) / 50.0).round().max(1.0);
            per / n as f64
        }
        _ => 0.02,
    }
}

/// `[lo, hi)` of the x axis in percent: the data's range padded and rounded outwards to tens.
fn x_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 100.0);
    }
    let lo = ((lo * 100.0 - 2.0) / 10.0).floor() * 10.0;
    let hi = ((hi * 100.0 + 2.0) / 10.0).ceil() * 10.0;
    (lo.max(0.0), hi.min(100.0).max(lo + 10.0))
}

fn stat(summary: &Value, domain: &str, fw: &str, key: &str) -> Option<f64> {
    summary.get("final_share")?.get(domain)?.get(fw)?.get(key)?.as_f64()
}

impl Chart for OutcomesChart<'_> {
    fn size(&self) -> (u32, u32) {
        let k = self.out.frameworks.len().max(1) as f64;
        (900, (HEADER + k * PANEL_H + FOOT_H + 30.0) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> Result<(), String> {
        let s = Sc(s);
        let o = self.out;
        let d = self.domain;
        let domain = o.domains.get(d).map_or("?", String::as_str);
        let (head, body) = root.split_vertically(s.px(HEADER));
        draw_header(
            &head,
            s,
            &format!("{domain}: distribution of each framework's final share of states across runs"),
            &subtitle(o),
        )?;
        let k_n = o.frameworks.len();
        let colors = framework_colors(&o.frameworks);
        let width = bin_width(o.summary.get("states").and_then(Value::as_u64));
        let nbins = (1.0 / width).ceil() as usize + 1;
        let mut counts = vec![vec![0u64; nbins]; k_n];
        for run in &o.final_shares {
            for (k, c) in counts.iter_mut().enumerate() {
                if let Some(v) = run.get(d).and_then(|r| r.get(k)) {
                    let b = ((v / width) + 1e-9).floor().clamp(0.0, (nbins - 1) as f64) as usize;
                    c[b] += 1;
                }
            }
        }
        let runs = o.final_shares.len().max(1) as f64;
        let ymax = counts.iter().flatten().copied().max().unwrap_or(1) as f64 / runs * 100.0;
        let ymax = (ymax * 1.1 / 5.0).ceil() * 5.0;
        let (x0, x1) = x_range(o.final_shares.iter().flat_map(|r| r.get(d).into_iter().flatten().copied()));
        let (panels, foot) = body.split_vertically(s.px(k_n as f64 * PANEL_H + 30.0));
        let (panels_top, _) = panels.split_vertically(s.px(k_n as f64 * PANEL_H));
        let areas = panels_top.split_evenly((k_n.max(1), 1));
        for (k, area) in areas.iter().enumerate() {
            let fw = &o.frameworks[k];
            let caption = match (
                stat(&o.summary, domain, fw, "p50"),
                stat(&o.summary, domain, fw, "p05"),
                stat(&o.summary, domain, fw, "p95"),
            ) {
                (Some(m), Some(a), Some(b)) => {
                    format!(
                        "{fw}: median {:.1}%, middle 90% of runs {:.1}\u{2013}{:.1}%",
                        100.0 * m,
                        100.0 * a,
                        100.0 * b
                    )
                }
                _ => fw.clone(),
            };
            let last = k + 1 == k_n;
            let mut chart = ChartBuilder::on(area)
                .margin_top(s.px(4.0))
                .margin_right(s.px(24.0))
                .margin_left(s.px(6.0))
                .caption(caption, s.font(14.0, colors[k]))
                .x_label_area_size(s.px(if last { 48.0 } else { 26.0 }))
                .y_label_area_size(s.px(66.0))
                .build_cartesian_2d(x0..x1, 0.0..ymax)
                .map_err(perr)?;
            let mut mesh = chart.configure_mesh();
            mesh.bold_line_style(super::GRID.stroke_width(s.u(1.0)))
                .light_line_style(TRANSPARENT)
                .axis_style(MUTED.stroke_width(s.u(1.0)))
                .x_labels(11)
                .y_labels(4)
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| format!("{v:.0}"))
                .label_style(s.font(12.5, INK))
                .axis_desc_style(s.font(13.0, INK))
                .y_desc("runs (%)");
            if last {
                mesh.x_desc(format!("final share of states in {domain} (%)"));
            }
            mesh.draw().map_err(perr)?;
            let bars = counts[k].iter().enumerate().filter(|(_, c)| **c > 0).map(|(b, c)| {
                let lo = 100.0 * b as f64 * width;
                let hi = 100.0 * (b as f64 + 1.0) * width;
                Rectangle::new([(lo, 0.0), (hi, *c as f64 / runs * 100.0)], colors[k].mix(0.75).filled())
            });
            chart.draw_series(bars).map_err(perr)?;
            if let Some(m) = stat(&o.summary, domain, fw, "p50") {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(100.0 * m, 0.0), (100.0 * m, ymax)],
                        INK.stroke_width(s.u(1.5)),
                    )))
                    .map_err(perr)?;
            }
        }
        let note = format!(
            "Bars: share of runs whose final share falls in each {:.1}-point bin; black line: median.",
            100.0 * width
        );
        foot.draw(&Text::new(note, (s.px(16.0), s.px(4.0)), s.font(12.0, MUTED)))
            .map_err(perr)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_hold_a_whole_number_of_states() {
        let w = bin_width(Some(183));
        assert!((w * 183.0 - 4.0).abs() < 1e-12);
        assert_eq!(bin_width(None), 0.02);
        assert!((bin_width(Some(10)) - 0.1).abs() < 1e-12);
    }
}
