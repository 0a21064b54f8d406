//! Charts of the experiment commands (`blocsim sweep`, `sensitivity`, `discover`), drawn from
//! their results with the common conventions (bundled font, Okabe–Ito colours, SVG and PNG).
//!
//! | files | what it shows |
//! |-------|---------------|
//! | `sweep_<outcome>` | per swept parameter, the outcome mean across design points at each value (or bin) with a 95% band; dots are design-point means |
//! | `heatmap_<outcome>` | grid sweeps of two parameters: the mean outcome in each grid cell |
//! | `sensitivity_<outcome>` | Sobol S1 and ST (or Morris mu*) per parameter with 95% intervals carrying the design's and the replications' variation (Morris: the noise-bias bound dashed) |
//! | `prim_tradeoff` | PRIM peeling trajectory: coverage against density, chosen box marked |
//! | `prim_boxes` | limits of each chosen box within the swept ranges |

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::okabe_ito::{BLUE, BLUISH_GREEN, ORANGE, REDDISH_PURPLE, SKY_BLUE, VERMILLION};
use super::{
    Chart, GRID, HEADER, INK, MUTED, PlotOptions, Sc, check_options, draw_header, perr, plots_dir, register_fonts, render, slug, tint,
};
use crate::analysis::discover::Discovery;
use crate::analysis::sensitivity::{Indices, Sensitivity};
use crate::analysis::sweep::Sweep;
use crate::error::Result;

fn axis_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.05 * lo.abs().max(1e-3) };
    (lo - pad, hi + pad)
}

/// Short form of a number for axis labels.
fn short(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{v:.2e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}").trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// One level of a main-effect line (computed by [`crate::analysis::effects`], read back from
/// `effects.csv` when redrawing).
pub use crate::analysis::effects::Level;

/// The main effect of parameter `i` on outcome `o`, as the sweep computed it: design points grouped
/// by the parameter's value (or 10 bins), the mean with a 95% band that carries the replications'
/// variation (and, for a Latin hypercube, the points').
pub fn main_effect(sweep: &Sweep, i: usize, o: usize) -> Vec<Level> {
    sweep.effects.get(o).and_then(|e| e.get(i)).cloned().unwrap_or_default()
}

/// Main-effect panels of one outcome of a sweep.
pub(crate) struct SweepChart<'a> {
    pub sweep: &'a Sweep,
    pub outcome: usize,
}

const PANEL_W: f64 = 420.0;
const PANEL_H: f64 = 320.0;

impl SweepChart<'_> {
    fn cols(&self) -> usize {
        self.sweep.params.len().min(3)
    }
}

impl Chart for SweepChart<'_> {
    fn size(&self) -> (u32, u32) {
        let k = self.sweep.params.len();
        let rows = k.div_ceil(self.cols());
        (
            (PANEL_W * self.cols() as f64 + 20.0) as u32,
            (HEADER + PANEL_H * rows as f64 + 40.0) as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> std::result::Result<(), String> {
        let s = Sc(s);
        let sw = self.sweep;
        let name = &sw.outcomes[self.outcome];
        draw_header(
            root,
            s,
            &format!("{name}: response to the swept parameters"),
            &format!(
                "scenario {} \u{2014} {} design ({} points) \u{00d7} {} replications, seed {}",
                sw.scenario,
                sw.design.name(),
                sw.points.len(),
                sw.plan.runs,
                sw.plan.seed
            ),
        )?;
        let (_, body) = root.split_vertically(s.px(HEADER));
        let (body, foot) = body.split_vertically(body.dim_in_pixel().1 as i32 - s.px(40.0));
        let k = sw.params.len();
        let rows = k.div_ceil(self.cols());
        let panels = body.split_evenly((rows, self.cols()));
        let y_range = axis_range(
            sw.stats
                .iter()
                .map(|r| r[self.outcome].mean)
                .chain((0..k).flat_map(|i| main_effect(sw, i, self.outcome)).flat_map(|l| [l.low, l.high])),
        );
        for (i, area) in panels.iter().enumerate().take(k) {
            let p = &sw.params[i];
            let levels = main_effect(sw, i, self.outcome);
            let mut b = ChartBuilder::on(area);
            b.margin(s.px(10.0)).x_label_area_size(s.px(44.0)).y_label_area_size(s.px(60.0));
            let mut chart = b.build_cartesian_2d(p.lo..p.hi, y_range.0..y_range.1).map_err(perr)?;
            s.grid(&mut chart.configure_mesh())
                .x_labels(6)
                .y_labels(6)
                .x_label_formatter(&|v| short(*v))
                .y_label_formatter(&|v| short(*v))
                .label_style(s.font(12.0, INK))
                .axis_desc_style(s.font(13.0, INK))
                .x_desc(p.key.as_str())
                .y_desc(if i % self.cols() == 0 { name.as_str() } else { "" })
                .draw()
                .map_err(perr)?;
            if k > 1 {
                chart
                    .draw_series(
                        sw.points
                            .iter()
                            .zip(&sw.stats)
                            .map(|(pt, st)| Circle::new((pt[i], st[self.outcome].mean), s.u(2.0), SKY_BLUE.mix(0.45).filled())),
                    )
                    .map_err(perr)?;
            }
            let edge = |v: f64, m: f64| if v.is_finite() { v } else { m };
            let mut band: Vec<(f64, f64)> = levels.iter().map(|l| (l.x, edge(l.high, l.mean))).collect();
            band.extend(levels.iter().rev().map(|l| (l.x, edge(l.low, l.mean))));
            chart
                .draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.2).filled())))
                .map_err(perr)?;
            chart
                .draw_series(LineSeries::new(levels.iter().map(|l| (l.x, l.mean)), BLUE.stroke_width(s.u(2.5))))
                .map_err(perr)?;
            chart
                .draw_series(levels.iter().map(|l| Circle::new((l.x, l.mean), s.u(3.0), BLUE.filled())))
                .map_err(perr)?;
        }
        let note = if k == 1 {
            "Line: mean over replications at each design point; band: 95% interval (t), replication streams' variation included."
        } else {
            "Line: main effect (mean per value or bin); band: 95% interval with the replication streams' variation; dots: point means."
        };
        foot.draw(&Text::new(note.to_string(), (s.px(16.0), s.px(12.0)), s.font(12.0, MUTED)))
            .map_err(perr)?;
        Ok(())
    }
}

/// The mean outcome over a two-parameter grid.
pub(crate) struct HeatmapChart<'a> {
    pub sweep: &'a Sweep,
    pub outcome: usize,
}

impl HeatmapChart<'_> {
    fn axes(&self) -> (Vec<f64>, Vec<f64>) {
        let uniq = |i: usize| {
            let mut v: Vec<f64> = self.sweep.points.iter().map(|p| p[i]).collect();
            v.sort_by(f64::total_cmp);
            v.dedup();
            v
        };
        (uniq(0), uniq(1))
    }
}

impl Chart for HeatmapChart<'_> {
    fn size(&self) -> (u32, u32) {
        (760, 640)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> std::result::Result<(), String> {
        let s = Sc(s);
        let sw = self.sweep;
        let name = &sw.outcomes[self.outcome];
        draw_header(
            root,
            s,
            &format!("{name}: mean over {} replications per grid point", sw.plan.runs),
            &format!(
                "scenario {} \u{2014} grid of {} points, seed {}",
                sw.scenario,
                sw.points.len(),
                sw.plan.seed
            ),
        )?;
        let (xs, ys) = self.axes();
        let means: Vec<f64> = sw.stats.iter().map(|r| r[self.outcome].mean).collect();
        let (lo, hi) = means
            .iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let colour = |v: f64| {
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            tint(BLUE, 0.08 + 0.92 * t)
        };
        let (_, body) = root.split_vertically(s.px(HEADER));
        let (plot, legend) = body.split_horizontally(body.dim_in_pixel().0 as i32 - s.px(130.0));
        let mut b = ChartBuilder::on(&plot);
        b.margin(s.px(12.0)).x_label_area_size(s.px(48.0)).y_label_area_size(s.px(70.0));
        let nx = xs.len().max(1) as f64;
        let ny = ys.len().max(1) as f64;
        let mut chart = b.build_cartesian_2d(-0.5..nx - 0.5, -0.5..ny - 0.5).map_err(perr)?;
        let (xs2, ys2) = (xs.clone(), ys.clone());
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(MUTED.stroke_width(s.u(1.0)))
            .x_labels(xs.len().min(12))
            .y_labels(ys.len().min(12))
            .x_label_formatter(&|v| xs2.get(v.round().max(0.0) as usize).map(|x| short(*x)).unwrap_or_default())
            .y_label_formatter(&|v| ys2.get(v.round().max(0.0) as usize).map(|y| short(*y)).unwrap_or_default())
            .label_style(s.font(12.0, INK))
            .axis_desc_style(s.font(13.0, INK))
            .x_desc(sw.params[0].key.as_str())
            .y_desc(sw.params[1].key.as_str())
            .draw()
            .map_err(perr)?;
        for (p, pt) in sw.points.iter().enumerate() {
            let (Some(ix), Some(iy)) = (xs.iter().position(|&x| x == pt[0]), ys.iter().position(|&y| y == pt[1])) else {
                continue;
            };
            let (cx, cy) = (ix as f64, iy as f64);
            let c = colour(means[p]);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(cx - 0.5, cy - 0.5), (cx + 0.5, cy + 0.5)],
                    c.filled(),
                )))
                .map_err(perr)?;
            if xs.len() <= 12 && ys.len() <= 12 {
                let text_c = if super::luminance(c) > 0.18 { INK } else { WHITE };
                chart
                    .draw_series(std::iter::once(Text::new(
                        short(means[p]),
                        (cx, cy),
                        s.font(11.0, text_c).pos(Pos::new(HPos::Center, VPos::Center)),
                    )))
                    .map_err(perr)?;
            }
        }
        // Colour key.
        let (x0, y0, h) = (s.px(20.0), s.px(30.0), s.px(300.0));
        for j in 0..60 {
            let t = 1.0 - j as f64 / 59.0;
            let v = lo + t * (hi - lo);
            let y = y0 + (j * h) / 60;
            legend
                .draw(&Rectangle::new([(x0, y), (x0 + s.px(22.0), y + h / 60 + 1)], colour(v).filled()))
                .map_err(perr)?;
        }
        for (t, v) in [(0.0, hi), (1.0, lo)] {
            legend
                .draw(&Text::new(
                    short(v),
                    (x0 + s.px(28.0), y0 + (t * f64::from(h)) as i32),
                    s.font(12.0, INK).pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(perr)?;
        }
        legend
            .draw(&Text::new("mean".to_string(), (x0, y0 - s.px(16.0)), s.font(12.0, MUTED)))
            .map_err(perr)?;
        Ok(())
    }
}

/// Draw every chart of a sweep into `dir/plots`; returns the files written.
pub fn plot_sweep(dir: &Path, sweep: &Sweep, opts: &PlotOptions) -> Result<Vec<String>> {
    check_options(opts)?;
    register_fonts();
    let plots = plots_dir(dir)?;
    let mut files = Vec::new();
    for o in 0..sweep.outcomes.len() {
        let stem = slug(&sweep.outcomes[o]);
        files.extend(render(&SweepChart { sweep, outcome: o }, &plots, &format!("sweep_{stem}"), opts)?);
        if sweep.params.len() == 2 && sweep.design == crate::analysis::sweep::DesignKind::Grid {
            files.extend(render(
                &HeatmapChart { sweep, outcome: o },
                &plots,
                &format!("heatmap_{stem}"),
                opts,
            )?);
        }
    }
    Ok(files)
}

/// A named, coloured list of (value, low, high), one per parameter.
type Series<'a> = (&'a str, RGBColor, Vec<(f64, f64, f64)>);

/// Bars of the sensitivity indices of one outcome.
pub(crate) struct SensitivityChart<'a> {
    pub analysis: &'a Sensitivity,
    pub outcome: usize,
}

const ROW_H: f64 = 34.0;
const LABEL_W: f64 = 280.0;
const BAR_W: f64 = 520.0;

impl Chart for SensitivityChart<'_> {
    fn size(&self) -> (u32, u32) {
        let k = self.analysis.params.len() as f64;
        ((LABEL_W + BAR_W + 60.0) as u32, (HEADER + 50.0 + k * ROW_H + 60.0) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> std::result::Result<(), String> {
        let s = Sc(s);
        let a = self.analysis;
        let r = &a.results[self.outcome];
        let sub = format!(
            "scenario {} \u{2014} {} design points \u{00d7} {} replications, seed {}; replication noise: {}",
            a.scenario,
            a.points.len(),
            a.plan.runs,
            a.plan.seed,
            if r.noise_share.is_finite() {
                format!("up to {:.2} of an interval's variance", r.noise_share)
            } else {
                "not measured".into()
            }
        );
        let (title, series): (String, Vec<Series>) = match &r.indices {
            Indices::Sobol(x) => (
                format!("{}: Sobol indices (95% intervals: design and replication noise)", r.outcome),
                vec![
                    ("first order S1", BLUE, x.first.iter().map(|e| (e.value, e.low, e.high)).collect()),
                    ("total ST", ORANGE, x.total.iter().map(|e| (e.value, e.low, e.high)).collect()),
                ],
            ),
            Indices::Morris(m) => (
                format!("{}: Morris mu* (95% intervals: design and replication noise) and sigma", r.outcome),
                vec![
                    ("mu*", BLUE, m.iter().map(|e| (e.mu_star, e.mu_star_low, e.mu_star_high)).collect()),
                    ("sigma", REDDISH_PURPLE, m.iter().map(|e| (e.sigma, e.sigma, e.sigma)).collect()),
                ],
            ),
        };
        draw_header(root, s, &title, &sub)?;
        let is_sobol = matches!(r.indices, Indices::Sobol(_));
        let (lo, hi) = if is_sobol {
            let m = series
                .iter()
                .flat_map(|(_, _, v)| v.iter().flat_map(|t| [t.0, t.1, t.2]))
                .filter(|v| v.is_finite())
                .fold(1.0f64, f64::max);
            let mn = series
                .iter()
                .flat_map(|(_, _, v)| v.iter().flat_map(|t| [t.0, t.1]))
                .filter(|v| v.is_finite())
                .fold(0.0f64, f64::min);
            (mn.clamp(-1.0, 0.0), m.clamp(1.0, 1.5))
        } else {
            let m = series
                .iter()
                .flat_map(|(_, _, v)| v.iter().flat_map(|t| [t.0, t.2]))
                .filter(|v| v.is_finite())
                .fold(0.0f64, f64::max);
            (0.0, if m > 0.0 { m * 1.1 } else { 1.0 })
        };
        let x0 = s.px(LABEL_W);
        let x1 = x0 + s.px(BAR_W);
        let px = |v: f64| x0 + (((v - lo) / (hi - lo)).clamp(0.0, 1.0) * f64::from(x1 - x0)).round() as i32;
        let y0 = s.px(HEADER + 40.0);
        let k = a.params.len();
        let y_end = y0 + s.px(k as f64 * ROW_H);
        for t in super::ticks(lo, hi, 5) {
            let x = px(t);
            root.draw(&PathElement::new(vec![(x, y0), (x, y_end)], GRID.stroke_width(s.u(1.0))))
                .map_err(perr)?;
            root.draw(&Text::new(
                short(t),
                (x, y_end + s.px(6.0)),
                s.font(12.0, INK).pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(perr)?;
        }
        // Noise level: Morris only (the bound on the noise's upward bias of mu*).
        let floor = if is_sobol { f64::NAN } else { r.noise_mu_star };
        if floor.is_finite() && floor > lo && floor < hi {
            let x = px(floor);
            let mut y = y0;
            while y < y_end {
                root.draw(&PathElement::new(
                    vec![(x, y), (x, (y + s.px(5.0)).min(y_end))],
                    MUTED.stroke_width(s.u(1.5)),
                ))
                .map_err(perr)?;
                y += s.px(9.0);
            }
        }
        let bar_h = ROW_H * 0.32;
        for (p, param) in a.params.iter().enumerate() {
            let top = y0 + s.px(p as f64 * ROW_H);
            let mid = top + s.px(ROW_H / 2.0);
            let noisy = (0..2).filter(|&w| is_sobol || w == 0).any(|w| r.within_noise(p, w));
            let label = format!("{}{}", param.key, if noisy { " ~" } else { "" });
            root.draw(&Text::new(
                label,
                (x0 - s.px(10.0), mid),
                s.font(12.5, INK).pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(perr)?;
            for (j, (_, c, v)) in series.iter().enumerate() {
                let (val, l, h) = v[p];
                if !val.is_finite() {
                    continue;
                }
                let yt = top + s.px(ROW_H * 0.16 + j as f64 * bar_h);
                let yb = yt + s.px(bar_h - 2.0);
                if !is_sobol && j == 1 {
                    // sigma: a diamond marker.
                    let (x, ym) = (px(val), (yt + yb) / 2);
                    let d = s.px(5.0);
                    root.draw(&Polygon::new(vec![(x, ym - d), (x + d, ym), (x, ym + d), (x - d, ym)], c.filled()))
                        .map_err(perr)?;
                    continue;
                }
                let (xa, xb) = (px(0.0f64.max(lo)), px(val));
                root.draw(&Rectangle::new([(xa.min(xb), yt), (xa.max(xb), yb)], c.mix(0.75).filled()))
                    .map_err(perr)?;
                if l.is_finite() && h.is_finite() {
                    let ym = (yt + yb) / 2;
                    root.draw(&PathElement::new(vec![(px(l), ym), (px(h), ym)], INK.stroke_width(s.u(1.5))))
                        .map_err(perr)?;
                    for x in [px(l), px(h)] {
                        root.draw(&PathElement::new(
                            vec![(x, ym - s.px(4.0)), (x, ym + s.px(4.0))],
                            INK.stroke_width(s.u(1.5)),
                        ))
                        .map_err(perr)?;
                    }
                }
            }
        }
        // Legend and note.
        let ly = y_end + s.px(32.0);
        let mut lx = s.px(16.0);
        for (name, c, _) in &series {
            root.draw(&Rectangle::new(
                [(lx, ly - s.px(6.0)), (lx + s.px(18.0), ly + s.px(6.0))],
                c.mix(0.75).filled(),
            ))
            .map_err(perr)?;
            root.draw(&Text::new(
                name.to_string(),
                (lx + s.px(24.0), ly),
                s.font(12.5, INK).pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(perr)?;
            lx += s.px(150.0);
        }
        root.draw(&Text::new(
            if is_sobol {
                "~ = an interval reaching 0 (design and replication noise together)"
            } else {
                "dashed: bound on the noise's bias of mu*; ~ = interval reaching 0"
            }
            .to_string(),
            (lx, ly),
            s.font(12.5, MUTED).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(perr)?;
        Ok(())
    }
}

/// Draw one bar chart per outcome of a sensitivity analysis; returns the files written.
pub fn plot_sensitivity(dir: &Path, analysis: &Sensitivity, opts: &PlotOptions) -> Result<Vec<String>> {
    check_options(opts)?;
    register_fonts();
    let plots = plots_dir(dir)?;
    let mut files = Vec::new();
    for (o, r) in analysis.results.iter().enumerate() {
        files.extend(render(
            &SensitivityChart { analysis, outcome: o },
            &plots,
            &format!("sensitivity_{}", slug(&r.outcome)),
            opts,
        )?);
    }
    Ok(files)
}

const BOX_COLOURS: [RGBColor; 4] = [BLUE, VERMILLION, BLUISH_GREEN, REDDISH_PURPLE];

/// PRIM's peeling trajectories: coverage against density.
pub(crate) struct TradeoffChart<'a> {
    pub discovery: &'a Discovery,
}

impl Chart for TradeoffChart<'_> {
    fn size(&self) -> (u32, u32) {
        (760, 600)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> std::result::Result<(), String> {
        let s = Sc(s);
        let d = self.discovery;
        draw_header(
            root,
            s,
            &format!("PRIM peeling trajectory: {}", d.condition.text()),
            &format!(
                "scenario {} \u{2014} {} runs of a {} sweep, {} satisfy the condition; alpha {}",
                d.scenario, d.runs, d.design, d.yes, d.options.alpha
            ),
        )?;
        let (_, body) = root.split_vertically(s.px(HEADER));
        let (body, foot) = body.split_vertically(body.dim_in_pixel().1 as i32 - s.px(30.0));
        let mut b = ChartBuilder::on(&body);
        b.margin(s.px(16.0)).x_label_area_size(s.px(48.0)).y_label_area_size(s.px(60.0));
        let mut chart = b.build_cartesian_2d(0.0..1.02, 0.0..1.02).map_err(perr)?;
        s.grid(&mut chart.configure_mesh())
            .label_style(s.font(12.0, INK))
            .axis_desc_style(s.font(13.0, INK))
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .x_desc("coverage (share of all yes-runs inside the box)")
            .y_desc("density (share of yes among runs in the box)")
            .draw()
            .map_err(perr)?;
        for (bi, r) in d.boxes.iter().enumerate() {
            let c = BOX_COLOURS[bi % BOX_COLOURS.len()];
            chart
                .draw_series(LineSeries::new(
                    r.trajectory.iter().map(|t| (t.coverage, t.density)),
                    c.stroke_width(s.u(1.5)),
                ))
                .map_err(perr)?
                .label(format!("box {bi}"))
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, c.filled()));
            chart
                .draw_series(
                    r.trajectory
                        .iter()
                        .map(|t| Circle::new((t.coverage, t.density), s.u(3.0), c.filled())),
                )
                .map_err(perr)?;
            let ch = &r.trajectory[r.chosen];
            chart
                .draw_series(std::iter::once(Circle::new(
                    (ch.coverage, ch.density),
                    s.u(8.0),
                    INK.stroke_width(s.u(2.0)),
                )))
                .map_err(perr)?;
            chart
                .draw_series(std::iter::once(TriangleMarker::new(
                    (r.pasted.coverage, r.pasted.density),
                    s.u(7.0),
                    ORANGE.filled(),
                )))
                .map_err(perr)?;
        }
        chart
            .configure_series_labels()
            .border_style(GRID)
            .background_style(WHITE.mix(0.9))
            .label_font(s.font(12.5, INK))
            .position(SeriesLabelPosition::LowerLeft)
            .draw()
            .map_err(perr)?;
        foot.draw(&Text::new(
            "Dots: peeling steps (from coverage 1 at the whole space); ring: chosen step; triangle: chosen box after pasting.".to_string(),
            (s.px(16.0), s.px(6.0)),
            s.font(11.5, MUTED),
        ))
        .map_err(perr)?;
        Ok(())
    }
}

/// The limits of each chosen box within the swept ranges.
pub(crate) struct BoxesChart<'a> {
    pub discovery: &'a Discovery,
}

impl Chart for BoxesChart<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.discovery.params.len() * self.discovery.boxes.len().max(1);
        (860, (HEADER + 40.0 + rows as f64 * 30.0 + 60.0) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> std::result::Result<(), String> {
        let s = Sc(s);
        let d = self.discovery;
        draw_header(
            root,
            s,
            &format!("PRIM boxes for {}", d.condition.text()),
            &format!(
                "scenario {} \u{2014} each parameter's swept range (grey) and the box's limits",
                d.scenario
            ),
        )?;
        let (x0, x1) = (s.px(300.0), s.px(780.0));
        let mut y = s.px(HEADER + 30.0);
        for (bi, r) in d.boxes.iter().enumerate() {
            let c = BOX_COLOURS[bi % BOX_COLOURS.len()];
            root.draw(&Text::new(
                format!(
                    "box {bi}: coverage {:.2}, density {:.2}, mass {:.2}",
                    r.pasted.coverage, r.pasted.density, r.pasted.mass
                ),
                (s.px(16.0), y),
                s.font(13.5, c).pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(perr)?;
            y += s.px(26.0);
            let restricted = r.restricted();
            for (i, p) in d.params.iter().enumerate() {
                let span = p.hi - p.lo;
                let px = |v: f64| x0 + (((v - p.lo) / span).clamp(0.0, 1.0) * f64::from(x1 - x0)).round() as i32;
                let on = restricted.contains(&i);
                root.draw(&Text::new(
                    p.key.clone(),
                    (x0 - s.px(10.0), y),
                    s.font(12.5, if on { INK } else { MUTED }).pos(Pos::new(HPos::Right, VPos::Center)),
                ))
                .map_err(perr)?;
                root.draw(&Rectangle::new([(x0, y - s.px(5.0)), (x1, y + s.px(5.0))], GRID.filled()))
                    .map_err(perr)?;
                let (a, b) = (px(r.pasted.bounds.lower[i]), px(r.pasted.bounds.upper[i]));
                root.draw(&Rectangle::new(
                    [(a, y - s.px(7.0)), (b.max(a + 1), y + s.px(7.0))],
                    if on { c.mix(0.8).filled() } else { c.mix(0.2).filled() },
                ))
                .map_err(perr)?;
                if on {
                    for (v, x, anchor, off) in [
                        (r.pasted.bounds.lower[i], a, HPos::Right, -s.px(4.0)),
                        (r.pasted.bounds.upper[i], b, HPos::Left, s.px(4.0)),
                    ] {
                        root.draw(&Text::new(
                            short(v),
                            (x + off, y - s.px(9.0)),
                            s.font(11.0, INK).pos(Pos::new(anchor, VPos::Bottom)),
                        ))
                        .map_err(perr)?;
                    }
                }
                y += s.px(30.0);
            }
        }
        root.draw(&Text::new(
            "Dark: restricted limits (labelled); light: the box spans the whole swept range.".to_string(),
            (s.px(16.0), y + s.px(10.0)),
            s.font(12.0, MUTED),
        ))
        .map_err(perr)?;
        Ok(())
    }
}

/// Draw the PRIM charts; returns the files written.
pub fn plot_discovery(dir: &Path, discovery: &Discovery, opts: &PlotOptions) -> Result<Vec<String>> {
    check_options(opts)?;
    register_fonts();
    let plots = plots_dir(dir)?;
    let mut files = render(&TradeoffChart { discovery }, &plots, "prim_tradeoff", opts)?;
    files.extend(render(&BoxesChart { discovery }, &plots, "prim_boxes", opts)?);
    Ok(files)
}
