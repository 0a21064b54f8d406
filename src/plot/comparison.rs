//! The comparison chart of `blocsim compare`: for each domain and framework, the mean paired
//! difference (alternative − baseline) of the final share of states and of the GDP-weighted share,
//! in percentage points, with its 95% confidence interval as a whisker. Reads `comparison.csv` and
//! `manifest.json` of a comparison directory, never the model.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Chart, GRID, HEADER, INK, MUTED, PlotOptions, Sc, check_options, draw_header, framework_colors, perr, plots_dir, register_fonts,
    render, ticks,
};
use crate::error::{Error, Result};

/// One row of `comparison.csv` that the chart draws.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffRow {
    /// The outcome's family (`final_share` or `final_gdp_share`).
    pub family: String,
    /// Domain name.
    pub domain: String,
    /// Framework name.
    pub framework: String,
    /// Mean of alternative − baseline over paired runs.
    pub diff: f64,
    /// Lower end of the 95% interval.
    pub low: f64,
    /// Upper end of the 95% interval.
    pub high: f64,
}

/// The differences of a comparison directory, with the labels the chart needs.
#[derive(Debug, Clone)]
pub struct ComparisonChart {
    /// Chart title.
    pub title: String,
    /// Chart subtitle.
    pub subtitle: String,
    /// Framework names, in colour order.
    pub frameworks: Vec<String>,
    /// Domain names, in panel order.
    pub domains: Vec<String>,
    /// The differences drawn.
    pub rows: Vec<DiffRow>,
}

const ROW: f64 = 20.0;
const LABEL_W: f64 = 150.0;
const PANEL_W: f64 = 400.0;
const GAP: f64 = 40.0;
const PANELS: [(&str, &str); 2] = [("final_share", "share of states"), ("final_gdp_share", "GDP-weighted share")];

impl ComparisonChart {
    /// Read `comparison.csv` and `manifest.json` from `dir`.
    pub fn load(dir: &Path) -> Result<ComparisonChart> {
        let path = dir.join("comparison.csv");
        let mut reader = csv::Reader::from_path(&path).map_err(|e| Error::Data {
            path: path.clone(),
            line: 1,
            message: e.to_string(),
        })?;
        let header = reader.headers().cloned().unwrap_or_default();
        if header.get(0) != Some("outcome") {
            return Err(Error::Data {
                path: path.clone(),
                line: 1,
                message: format!(
                    "the header starts with `{}`, not `outcome`: a comparison.csv of output format 1 (its \
                     `measure,domain,framework` columns became `outcome,family,domain,framework` in format {}); \
                     run `blocsim compare` again with this version",
                    header.get(0).unwrap_or(""),
                    crate::outcomes::OUTPUT_FORMAT
                ),
            });
        }
        let mut rows = Vec::new();
        let (mut frameworks, mut domains): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        for (n, record) in reader.records().enumerate() {
            let bad = |message: String| Error::Data {
                path: path.clone(),
                line: n + 2,
                message,
            };
            let f = record.map_err(|e| bad(e.to_string()))?;
            if f.len() != 13 {
                return Err(bad("expected the 13 columns of a comparison.csv row".into()));
            }
            if &f[1] != "final_share" && &f[1] != "final_gdp_share" {
                continue;
            }
            let num = |i: usize| {
                f[i].parse::<f64>()
                    .map_err(|_| bad(format!("column {}: expected a number, found `{}`", i + 1, &f[i])))
            };
            if !domains.iter().any(|d| d == &f[2]) {
                domains.push(f[2].to_string());
            }
            if !frameworks.iter().any(|k| k == &f[3]) {
                frameworks.push(f[3].to_string());
            }
            rows.push(DiffRow {
                family: f[1].into(),
                domain: f[2].into(),
                framework: f[3].into(),
                diff: num(6)?,
                low: num(9)?,
                high: num(10)?,
            });
        }
        let mpath = dir.join("manifest.json");
        let manifest = std::fs::read(&mpath).map_err(|source| Error::Read {
            path: mpath.clone(),
            source,
        })?;
        let m = crate::export::Manifest::from_json(&manifest).map_err(|message| Error::Data {
            path: mpath.clone(),
            line: 1,
            message,
        })?;
        Ok(ComparisonChart {
            title: format!(
                "{}: change in final shares (alternative − baseline), 95% confidence intervals",
                m.scenario
            ),
            subtitle: format!(
                "{} paired runs on common random numbers, seed {}; horizon shares in percentage points",
                m.runs, m.seed
            ),
            frameworks,
            domains,
            rows,
        })
    }

    fn row(&self, family: &str, domain: &str, framework: &str) -> Option<&DiffRow> {
        self.rows
            .iter()
            .find(|r| r.family == family && r.domain == domain && r.framework == framework)
    }

    /// Symmetric axis limit in percentage points covering every interval.
    fn limit(&self) -> f64 {
        let m = self
            .rows
            .iter()
            .flat_map(|r| [r.low.abs(), r.high.abs(), r.diff.abs()])
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max);
        (100.0 * m * 1.1).max(1.0)
    }
}

impl Chart for ComparisonChart {
    fn size(&self) -> (u32, u32) {
        let n = (self.domains.len() * self.frameworks.len()) as f64;
        (
            (LABEL_W + 2.0 * PANEL_W + GAP + 30.0) as u32,
            (HEADER + 40.0 + n * ROW + 80.0) as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> std::result::Result<(), String> {
        let s = Sc(s);
        draw_header(root, s, &self.title, &self.subtitle)?;
        let colors = framework_colors(&self.frameworks);
        let lim = self.limit();
        let y0 = s.px(HEADER + 36.0);
        let n = self.domains.len() * self.frameworks.len();
        let y_end = y0 + s.px(n as f64 * ROW);
        // Row labels: domain / framework.
        for (d, domain) in self.domains.iter().enumerate() {
            for (k, fw) in self.frameworks.iter().enumerate() {
                let r = d * self.frameworks.len() + k;
                let mid = y0 + s.px((r as f64 + 0.5) * ROW);
                let style = s.font(12.5, INK).pos(Pos::new(HPos::Right, VPos::Center));
                root.draw(&Text::new(format!("{domain} · {fw}"), (s.px(LABEL_W - 10.0), mid), style))
                    .map_err(perr)?;
            }
            if d > 0 {
                let y = y0 + s.px((d * self.frameworks.len()) as f64 * ROW);
                let x1 = s.px(LABEL_W + 2.0 * PANEL_W + GAP);
                root.draw(&PathElement::new(vec![(s.px(20.0), y), (x1, y)], GRID.stroke_width(s.u(1.0))))
                    .map_err(perr)?;
            }
        }
        for (p, (family, caption)) in PANELS.iter().enumerate() {
            let x0 = s.px(LABEL_W + p as f64 * (PANEL_W + GAP));
            let x1 = x0 + s.px(PANEL_W);
            let px = |v: f64| x0 + ((v * 100.0 + lim) / (2.0 * lim) * f64::from(x1 - x0)).round() as i32;
            let style = s.font(14.0, INK).pos(Pos::new(HPos::Center, VPos::Bottom));
            root.draw(&Text::new(caption.to_string(), ((x0 + x1) / 2, y0 - s.px(8.0)), style))
                .map_err(perr)?;
            for t in ticks(-lim, lim, 6) {
                let x = px(t / 100.0);
                let color = if t == 0.0 { MUTED } else { GRID };
                root.draw(&PathElement::new(vec![(x, y0), (x, y_end)], color.stroke_width(s.u(1.0))))
                    .map_err(perr)?;
                let style = s.font(12.0, INK).pos(Pos::new(HPos::Center, VPos::Top));
                let label = if t == 0.0 { "0".to_string() } else { format!("{t:+}") };
                root.draw(&Text::new(label, (x, y_end + s.px(6.0)), style)).map_err(perr)?;
            }
            let style = s.font(13.0, INK).pos(Pos::new(HPos::Center, VPos::Top));
            root.draw(&Text::new(
                "difference (percentage points)".to_string(),
                ((x0 + x1) / 2, y_end + s.px(26.0)),
                style,
            ))
            .map_err(perr)?;
            for (d, domain) in self.domains.iter().enumerate() {
                for (k, fw) in self.frameworks.iter().enumerate() {
                    let Some(row) = self.row(family, domain, fw) else { continue };
                    let mid = y0 + s.px(((d * self.frameworks.len() + k) as f64 + 0.5) * ROW);
                    let c = colors[k % colors.len()];
                    let (a, b) = (px(row.low), px(row.high));
                    root.draw(&PathElement::new(vec![(a, mid), (b, mid)], c.stroke_width(s.u(2.0))))
                        .map_err(perr)?;
                    for x in [a, b] {
                        root.draw(&PathElement::new(
                            vec![(x, mid - s.px(4.0)), (x, mid + s.px(4.0))],
                            c.stroke_width(s.u(2.0)),
                        ))
                        .map_err(perr)?;
                    }
                    root.draw(&Circle::new((px(row.diff), mid), s.u(4.5), c.filled())).map_err(perr)?;
                }
            }
        }
        let note = "Dot: mean paired difference; whisker: 95% confidence interval (Student t). Colours: one per framework.";
        root.draw(&Text::new(note.to_string(), (s.px(16.0), y_end + s.px(54.0)), s.font(12.0, MUTED)))
            .map_err(perr)?;
        Ok(())
    }
}

/// Draw `plots/comparison.svg` and `.png` in a comparison directory; returns the files written.
pub fn plot_comparison(dir: &Path, opts: &PlotOptions) -> Result<Vec<String>> {
    check_options(opts)?;
    register_fonts();
    let chart = ComparisonChart::load(dir)?;
    let plots = plots_dir(dir)?;
    render(&chart, &plots, "comparison", opts)
}
