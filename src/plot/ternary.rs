//! Ternary (simplex) plots: every run's final (share 1, share 2, share 3) of states in one domain —
//! or averaged over domains — as a point in an equilateral triangle, over grey density shading
//! (share of runs in each of 400 small triangles). Only for K = 3 frameworks. Reads `runs.csv`.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::Output;
use super::{Chart, GRID, HEADER, INK, MUTED, Sc, draw_header, framework_colors, perr, subtitle, tint};

/// Subdivisions of each side for the density grid (n² cells).
pub const CELLS: usize = 20;
/// At most this many runs are drawn as points (all runs count in the shading).
pub const MAX_POINTS: usize = 5000;

const SIDE: f64 = 540.0;
const LEFT: f64 = 150.0;
const TOP: f64 = HEADER + 56.0;
const SHADE: RGBColor = RGBColor(0x40, 0x40, 0x40);

/// The ternary plot of one domain, or of the average over domains.
pub struct TernaryChart<'a> {
    out: &'a Output,
    /// A domain, or None for the mean over domains.
    domain: Option<usize>,
}

impl<'a> TernaryChart<'a> {
    /// The plot of domain `domain` of `out` (None: averaged over domains).
    pub fn new(out: &'a Output, domain: Option<usize>) -> Self {
        TernaryChart { out, domain }
    }

    /// Every run's (share 1, share 2, share 3), normalised to sum to one.
    pub fn points(&self) -> Vec<[f64; 3]> {
        let o = self.out;
        let mut pts = Vec::with_capacity(o.final_shares.len());
        for run in &o.final_shares {
            let mut p = [0.0; 3];
            match self.domain {
                Some(d) => {
                    for (k, v) in run.get(d).into_iter().flatten().take(3).enumerate() {
                        p[k] = *v;
                    }
                }
                None => {
                    for dom in run {
                        for (k, v) in dom.iter().take(3).enumerate() {
                            p[k] += v / run.len().max(1) as f64;
                        }
                    }
                }
            }
            let sum: f64 = p.iter().sum();
            if sum > 0.0 && p.iter().all(|v| v.is_finite() && *v >= 0.0) {
                pts.push(p.map(|v| v / sum));
            }
        }
        pts
    }
}

/// The density cell of a point: `(i, j, up)` with `i = floor(n·share2)`, `j = floor(n·share3)`;
/// `up` cells have lattice corners (i, j), (i+1, j), (i, j+1), the others (i+1, j), (i, j+1),
/// (i+1, j+1). Points on cell edges go to the cell towards the centre of the triangle.
pub fn cell(p: [f64; 3], n: usize) -> (usize, usize, bool) {
    let eps = 1e-7;
    let b = (p[1] * (1.0 - eps) + eps / 3.0) * n as f64;
    let c = (p[2] * (1.0 - eps) + eps / 3.0) * n as f64;
    let (i, j) = (b.floor().max(0.0) as usize, c.floor().max(0.0) as usize);
    let (i, j) = (i.min(n - 1), j.min(n - 1));
    let up = (b - i as f64) + (c - j as f64) <= 1.0;
    if !up && i + j + 2 > n {
        return (i, j, true);
    }
    (i, j, up)
}

impl TernaryChart<'_> {
    fn vertices(s: Sc) -> [(f64, f64); 3] {
        let h = SIDE * 3f64.sqrt() / 2.0;
        let bottom = TOP + h;
        [
            (LEFT * s.0, bottom * s.0),
            ((LEFT + SIDE) * s.0, bottom * s.0),
            ((LEFT + SIDE / 2.0) * s.0, TOP * s.0),
        ]
    }
}

fn at(v: &[(f64, f64); 3], p: [f64; 3]) -> (f64, f64) {
    (
        p[0] * v[0].0 + p[1] * v[1].0 + p[2] * v[2].0,
        p[0] * v[0].1 + p[1] * v[1].1 + p[2] * v[2].1,
    )
}

fn ip(p: (f64, f64)) -> (i32, i32) {
    (p.0.round() as i32, p.1.round() as i32)
}

impl Chart for TernaryChart<'_> {
    fn size(&self) -> (u32, u32) {
        (840, (TOP + SIDE * 3f64.sqrt() / 2.0 + 72.0) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> Result<(), String> {
        let s = Sc(s);
        let o = self.out;
        let title = match self.domain {
            Some(d) => format!(
                "{}: final shares of states, one point per run",
                o.domains.get(d).map_or("?", String::as_str)
            ),
            None => format!(
                "All domains: final shares of states averaged over the {} domains, one point per run",
                o.domains.len()
            ),
        };
        draw_header(root, s, &title, &subtitle(o))?;
        let colors = framework_colors(&o.frameworks);
        let v = Self::vertices(s);
        let n = CELLS;
        let lattice = |i: usize, j: usize| at(&v, [1.0 - (i + j) as f64 / n as f64, i as f64 / n as f64, j as f64 / n as f64]);

        // density
        let pts = self.points();
        let mut counts = std::collections::BTreeMap::new();
        for p in &pts {
            *counts.entry(cell(*p, n)).or_insert(0u64) += 1;
        }
        let max = counts.values().copied().max().unwrap_or(1) as f64;
        let total = pts.len().max(1) as f64;
        for (&(i, j, up), &c) in &counts {
            let corners = if up {
                [lattice(i, j), lattice(i + 1, j), lattice(i, j + 1)]
            } else {
                [lattice(i + 1, j), lattice(i, j + 1), lattice(i + 1, j + 1)]
            };
            let shade = tint(SHADE, 0.1 + 0.55 * (c as f64 / max).sqrt());
            root.draw(&Polygon::new(corners.iter().map(|p| ip(*p)).collect::<Vec<_>>(), shade.filled()))
                .map_err(perr)?;
        }

        // grid lines every 10%, parallel to each side
        for step in 1..10 {
            let t = step as f64 / 10.0;
            for k in 0..3 {
                let (k1, k2) = ((k + 1) % 3, (k + 2) % 3);
                let mut a = [0.0; 3];
                a[k] = t;
                a[k1] = 1.0 - t;
                let mut b = [0.0; 3];
                b[k] = t;
                b[k2] = 1.0 - t;
                let style = if step % 2 == 0 {
                    MUTED.mix(0.35).stroke_width(s.u(1.0))
                } else {
                    GRID.mix(0.7).stroke_width(s.u(1.0))
                };
                root.draw(&PathElement::new(vec![ip(at(&v, a)), ip(at(&v, b))], style))
                    .map_err(perr)?;
            }
        }
        // points
        for p in pts.iter().take(MAX_POINTS) {
            root.draw(&Circle::new(ip(at(&v, *p)), s.u(2.2), INK.mix(0.55).filled()))
                .map_err(perr)?;
        }
        // outline
        let outline: Vec<(i32, i32)> = [v[0], v[1], v[2], v[0]].iter().map(|p| ip(*p)).collect();
        root.draw(&PathElement::new(outline, INK.stroke_width(s.u(1.5)))).map_err(perr)?;

        // tick labels at 20..80% (0 and 100 are the vertices), in each framework's colour
        let f = |size: f64, c: RGBColor| s.font(size, c);
        for step in [2, 4, 6, 8] {
            let t = step as f64 / 10.0;
            let label = format!("{}", step * 10);
            // framework 1 (bottom-left): along the bottom edge, below it
            let (x, y) = at(&v, [t, 1.0 - t, 0.0]);
            let style = f(12.5, colors[0]).pos(Pos::new(HPos::Center, VPos::Top));
            root.draw(&Text::new(label.clone(), (x.round() as i32, (y + 8.0 * s.0).round() as i32), style))
                .map_err(perr)?;
            // framework 2 (bottom-right): along the right edge, to its right
            let (x, y) = at(&v, [0.0, t, 1.0 - t]);
            let style = f(12.5, colors[1]).pos(Pos::new(HPos::Left, VPos::Center));
            root.draw(&Text::new(label.clone(), ((x + 9.0 * s.0).round() as i32, y.round() as i32), style))
                .map_err(perr)?;
            // framework 3 (top): along the left edge, to its left
            let (x, y) = at(&v, [1.0 - t, 0.0, t]);
            let style = f(12.5, colors[2]).pos(Pos::new(HPos::Right, VPos::Center));
            root.draw(&Text::new(label, ((x - 9.0 * s.0).round() as i32, y.round() as i32), style))
                .map_err(perr)?;
        }
        let name = |k: usize| o.frameworks.get(k).cloned().unwrap_or_default();
        // axis titles: the arrow points the way the share grows
        let (x, y) = at(&v, [0.5, 0.5, 0.0]);
        let style = f(14.0, colors[0]).pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(
            format!("\u{2190} {} share of states (%)", name(0)),
            (x.round() as i32, (y + 30.0 * s.0).round() as i32),
            style,
        ))
        .map_err(perr)?;
        let (x, y) = at(&v, [0.0, 0.5, 0.5]);
        let style = f(14.0, colors[1]).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(
            format!("{} share (%) \u{2198}", name(1)),
            ((x + 44.0 * s.0).round() as i32, y.round() as i32),
            style,
        ))
        .map_err(perr)?;
        let (x, y) = at(&v, [0.5, 0.0, 0.5]);
        let style = f(14.0, colors[2]).pos(Pos::new(HPos::Right, VPos::Center));
        root.draw(&Text::new(
            format!("\u{2197} {} share (%)", name(2)),
            ((x - 44.0 * s.0).round() as i32, y.round() as i32),
            style,
        ))
        .map_err(perr)?;
        // vertex names, outwards from the centre
        let vs = [
            (v[0], HPos::Right, VPos::Top, (-8.0, 8.0)),
            (v[1], HPos::Left, VPos::Top, (8.0, 8.0)),
            (v[2], HPos::Center, VPos::Bottom, (0.0, -10.0)),
        ];
        for (k, ((x, y), h, vp, (dx, dy))) in vs.into_iter().enumerate() {
            let style = f(17.0, colors[k]).pos(Pos::new(h, vp));
            root.draw(&Text::new(
                format!("100% {}", name(k)),
                ((x + dx * s.0).round() as i32, (y + dy * s.0).round() as i32),
                style,
            ))
            .map_err(perr)?;
        }

        // shading key, top right
        let kx = s.px(16.0);
        let ky = s.px(TOP - 30.0);
        let style = f(12.5, INK);
        root.draw(&Text::new("runs per small triangle".to_string(), (kx, ky), style.clone()))
            .map_err(perr)?;
        let steps = 5;
        for i in 0..steps {
            let frac = (i + 1) as f64 / steps as f64;
            let y0 = ky + s.px(24.0) + i * s.px(22.0);
            let shade = tint(SHADE, 0.1 + 0.55 * frac.sqrt());
            root.draw(&Rectangle::new([(kx, y0), (kx + s.px(22.0), y0 + s.px(18.0))], shade.filled()))
                .map_err(perr)?;
            let share = frac * max / total * 100.0;
            root.draw(&Text::new(format!("{share:.1}%"), (kx + s.px(30.0), y0 + s.px(1.0)), style.clone()))
                .map_err(perr)?;
        }
        let y0 = ky + s.px(24.0) + steps * s.px(22.0) + s.px(12.0);
        root.draw(&Circle::new((kx + s.px(11.0), y0 + s.px(8.0)), s.u(2.2), INK.mix(0.55).filled()))
            .map_err(perr)?;
        let drawn = pts.len().min(MAX_POINTS);
        let label = if drawn < pts.len() {
            format!("one run ({drawn} of {} shown)", pts.len())
        } else {
            "one run".to_string()
        };
        root.draw(&Text::new(label, (kx + s.px(30.0), y0 + s.px(1.0)), style))
            .map_err(perr)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cover_the_simplex_including_its_edges() {
        let n = 20;
        let valid = |(i, j, up): (usize, usize, bool)| if up { i + j < n } else { i + j + 2 <= n };
        for p in [
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
            [0.0, 0.5, 0.5],
            [0.5, 0.5, 0.0],
            [1.0 / 3.0; 3],
            [0.2, 0.35, 0.45],
        ] {
            assert!(valid(cell(p, n)), "{p:?} -> {:?}", cell(p, n));
        }
        assert_eq!(cell([1.0, 0.0, 0.0], n), (0, 0, true));
        assert_eq!(cell([0.0, 1.0, 0.0], n), (n - 1, 0, true));
    }
}
