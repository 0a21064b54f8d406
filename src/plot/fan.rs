//! Fan charts: each framework's share over time in one domain — the median across runs as a line,
//! the central 50% (p25–p75) and 90% (p05–p95) of runs as bands. Count-share and GDP-weighted
//! versions. Reads `timeseries.csv`.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{Measure, Output, Quantiles};
use super::{Chart, HEADER, INK, MUTED, Sc, draw_header, framework_colors, perr, subtitle};

/// Width of the legend strip to the right of a fan chart, in logical pixels.
pub const LEGEND_W: f64 = 140.0;

/// Alpha of the 90% band.
pub const BAND90: f64 = 0.16;
/// Alpha of the 50% band.
pub const BAND50: f64 = 0.34;

/// The fan chart of one domain and measure: every framework's median with its 50% and 90% bands over the years.
pub struct FanChart<'a> {
    out: &'a Output,
    domain: usize,
    measure: Measure,
}

impl<'a> FanChart<'a> {
    /// The chart of `measure` in domain `domain` of `out`.
    pub fn new(out: &'a Output, domain: usize, measure: Measure) -> Self {
        FanChart { out, domain, measure }
    }
}

/// One fan: `(year, quantiles)` in year order, values in the units shown (already multiplied).
pub struct Fan {
    /// The framework's colour.
    pub color: RGBColor,
    /// `(year, quantiles)` in year order.
    pub points: Vec<(i32, Quantiles)>,
}

/// Draw fans on a year × value chart in `area`: bands first, then all medians on top.
#[allow(clippy::too_many_arguments)]
pub fn draw_fans<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: Sc,
    years: (i32, i32),
    y_range: (f64, f64),
    y_title: &str,
    y_decimals: usize,
    caption: Option<(&str, RGBColor)>,
    fans: &[Fan],
) -> Result<(), String> {
    let mut b = ChartBuilder::on(area);
    b.margin_top(s.px(8.0))
        .margin_right(s.px(18.0))
        .margin_left(s.px(6.0))
        .margin_bottom(s.px(4.0));
    b.x_label_area_size(s.px(48.0)).y_label_area_size(s.px(66.0));
    if let Some((c, color)) = caption {
        b.caption(c, s.font(15.0, color));
    }
    let mut chart = b.build_cartesian_2d(years.0..years.1, y_range.0..y_range.1).map_err(perr)?;
    chart
        .configure_mesh()
        .bold_line_style(super::GRID.stroke_width(s.u(1.0)))
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED.stroke_width(s.u(1.0)))
        .x_labels(8)
        .y_labels(6)
        .x_label_formatter(&|y| format!("{y}"))
        .y_label_formatter(&|v| format!("{v:.y_decimals$}"))
        .label_style(s.font(12.5, INK))
        .axis_desc_style(s.font(14.0, INK))
        .x_desc("year")
        .y_desc(y_title)
        .draw()
        .map_err(perr)?;
    let band = |pts: &[(i32, Quantiles)], lo: fn(&Quantiles) -> f64, hi: fn(&Quantiles) -> f64| -> Vec<(i32, f64)> {
        let mut v: Vec<(i32, f64)> = pts.iter().map(|(y, q)| (*y, hi(q))).collect();
        v.extend(pts.iter().rev().map(|(y, q)| (*y, lo(q))));
        v
    };
    for f in fans {
        if f.points.is_empty() {
            continue;
        }
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(&f.points, |q| q.p05, |q| q.p95),
                f.color.mix(BAND90).filled(),
            )))
            .map_err(perr)?;
        chart
            .draw_series(std::iter::once(Polygon::new(
                band(&f.points, |q| q.p25, |q| q.p75),
                f.color.mix(BAND50).filled(),
            )))
            .map_err(perr)?;
    }
    for f in fans {
        chart
            .draw_series(LineSeries::new(
                f.points.iter().map(|(y, q)| (*y, q.p50)),
                f.color.stroke_width(s.u(2.5)),
            ))
            .map_err(perr)?;
    }
    Ok(())
}

/// The legend strip of a fan chart: one entry per series, then a key to the line and bands.
pub fn draw_fan_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: Sc,
    entries: &[(String, RGBColor)],
    key_color: RGBColor,
) -> Result<(), String> {
    let x0 = s.px(6.0);
    let mut y = s.px(20.0);
    for (label, c) in entries {
        area.draw(&Rectangle::new(
            [(x0, y - s.px(7.0)), (x0 + s.px(26.0), y + s.px(7.0))],
            c.mix(BAND50).filled(),
        ))
        .map_err(perr)?;
        area.draw(&PathElement::new(vec![(x0, y), (x0 + s.px(26.0), y)], c.stroke_width(s.u(2.5))))
            .map_err(perr)?;
        area.draw(&Text::new(
            label.clone(),
            (x0 + s.px(34.0), y),
            s.font(14.0, INK).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(perr)?;
        y += s.px(26.0);
    }
    y += s.px(14.0);
    area.draw(&Text::new(
        "across runs:".to_string(),
        (x0, y),
        s.font(12.5, MUTED).pos(Pos::new(HPos::Left, VPos::Center)),
    ))
    .map_err(perr)?;
    y += s.px(24.0);
    area.draw(&PathElement::new(
        vec![(x0, y), (x0 + s.px(26.0), y)],
        key_color.stroke_width(s.u(2.5)),
    ))
    .map_err(perr)?;
    area.draw(&Text::new(
        "median".to_string(),
        (x0 + s.px(34.0), y),
        s.font(12.5, INK).pos(Pos::new(HPos::Left, VPos::Center)),
    ))
    .map_err(perr)?;
    y += s.px(24.0);
    for (alpha, label) in [(BAND50 + BAND90 - BAND50 * BAND90, "middle 50%"), (BAND90, "middle 90%")] {
        area.draw(&Rectangle::new(
            [(x0, y - s.px(7.0)), (x0 + s.px(26.0), y + s.px(7.0))],
            key_color.mix(alpha).filled(),
        ))
        .map_err(perr)?;
        area.draw(&Text::new(
            label.to_string(),
            (x0 + s.px(34.0), y),
            s.font(12.5, INK).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(perr)?;
        y += s.px(24.0);
    }
    Ok(())
}

/// Rows and columns of panels for `k` frameworks: at most three side by side.
pub fn panel_grid(k: usize) -> (usize, usize) {
    let cols = k.clamp(1, 3);
    (k.max(1).div_ceil(cols), cols)
}

impl Chart for FanChart<'_> {
    fn size(&self) -> (u32, u32) {
        let (rows, _) = panel_grid(self.out.frameworks.len());
        (1040, (HEADER + 420.0 * rows as f64) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> Result<(), String> {
        let s = Sc(s);
        let o = self.out;
        let domain = o.domains.get(self.domain).map_or("?", String::as_str);
        let what = match self.measure {
            Measure::Count => "share of states",
            Measure::Gdp => "GDP-weighted share",
        };
        let (head, body) = root.split_vertically(s.px(HEADER));
        draw_header(
            &head,
            s,
            &format!("{domain}: {what} of each framework over time, across runs"),
            &subtitle(o),
        )?;
        let (plot, legend) = body.split_horizontally(body.dim_in_pixel().0 as i32 - s.px(LEGEND_W));
        let colors = framework_colors(&o.frameworks);
        let k_n = o.frameworks.len().max(1);
        let (rows, cols) = panel_grid(k_n);
        let areas = plot.split_evenly((rows, cols));
        for (k, area) in areas.iter().enumerate().take(k_n) {
            let points = o
                .series
                .get(&(self.domain, k, self.measure))
                .map(|v| {
                    v.iter()
                        .map(|(y, q)| {
                            let p = |x: f64| 100.0 * x;
                            (
                                *y,
                                Quantiles {
                                    mean: p(q.mean),
                                    p05: p(q.p05),
                                    p25: p(q.p25),
                                    p50: p(q.p50),
                                    p75: p(q.p75),
                                    p95: p(q.p95),
                                },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let name = o.frameworks.get(k).map_or("?", String::as_str);
            let fan = Fan {
                color: colors[k % colors.len()],
                points,
            };
            draw_fans(
                area,
                s,
                o.year_range(),
                (0.0, 100.0),
                self.measure.axis(),
                0,
                Some((name, colors[k % colors.len()])),
                &[fan],
            )?;
        }
        let entries: Vec<(String, RGBColor)> = Vec::new();
        draw_fan_legend(&legend, s, &entries, RGBColor(0x60, 0x60, 0x60))
    }
}
