//! Swing states: for one domain, the most contested states (lowest probability of their most
//! likely framework) with their probability of ending on each framework as stacked horizontal bars.
//! Reads `states.csv`.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{Output, StateRow};
use super::{Chart, GRID, HEADER, INK, MUTED, Sc, draw_header, framework_colors, perr, subtitle};

/// States shown per domain.
pub const TOP: usize = 25;
const ROW: f64 = 22.0;
const LABEL_W: f64 = 190.0;
const LEGEND_H: f64 = 34.0;

/// The swing-state bars of one domain.
pub struct SwingChart<'a> {
    out: &'a Output,
    domain: usize,
}

impl<'a> SwingChart<'a> {
    /// The chart of domain `domain` of `out`.
    pub fn new(out: &'a Output, domain: usize) -> Self {
        SwingChart { out, domain }
    }
    fn rows(&self) -> Vec<&'a StateRow> {
        most_contested(self.out.states_in(self.domain).collect(), TOP)
    }
}

/// The `n` most contested rows: lowest probability of the most likely framework first, then the
/// highest runner-up probability, then by name (a total order, so the result is deterministic).
pub fn most_contested(mut rows: Vec<&StateRow>, n: usize) -> Vec<&StateRow> {
    let second = |r: &StateRow| {
        let m = r.modal();
        r.probs
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != m)
            .map(|(_, p)| *p)
            .fold(0.0, f64::max)
    };
    rows.sort_by(|a, b| {
        a.top()
            .total_cmp(&b.top())
            .then(second(b).total_cmp(&second(a)))
            .then(a.name.cmp(&b.name))
            .then(a.id.cmp(&b.id))
    });
    rows.truncate(n);
    rows
}

impl Chart for SwingChart<'_> {
    fn size(&self) -> (u32, u32) {
        let n = self.rows().len().max(1) as f64;
        (900, (HEADER + LEGEND_H + n * ROW + 86.0) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> Result<(), String> {
        let s = Sc(s);
        let o = self.out;
        let domain = o.domains.get(self.domain).map_or("?", String::as_str);
        let rows = self.rows();
        draw_header(
            root,
            s,
            &format!(
                "{domain}: the {} most contested states, probability of each framework at the horizon",
                rows.len()
            ),
            &subtitle(o),
        )?;
        let colors = framework_colors(&o.frameworks);

        // legend row
        let mut x = s.px(LABEL_W);
        let ly = s.px(HEADER + 8.0);
        for (k, name) in o.frameworks.iter().enumerate() {
            root.draw(&Rectangle::new([(x, ly), (x + s.px(16.0), ly + s.px(16.0))], colors[k].filled()))
                .map_err(perr)?;
            let style = s.font(13.5, INK);
            root.draw(&Text::new(name.clone(), (x + s.px(22.0), ly + s.px(1.0)), style.clone()))
                .map_err(perr)?;
            let w = root.estimate_text_size(name, &style).map_err(perr)?.0 as i32;
            x += s.px(22.0 + 24.0) + w;
        }

        let x0 = s.px(LABEL_W);
        let x1 = s.px(900.0 - 40.0);
        let y0 = s.px(HEADER + LEGEND_H);
        let xw = f64::from(x1 - x0);
        let px = |p: f64| x0 + (p * xw).round() as i32;
        let y_end = y0 + s.px(rows.len() as f64 * ROW);
        // vertical grid and ticks
        for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let x = px(t);
            root.draw(&PathElement::new(
                vec![(x, y0 - s.px(2.0)), (x, y_end)],
                GRID.stroke_width(s.u(1.0)),
            ))
            .map_err(perr)?;
            let style = s.font(12.5, INK).pos(Pos::new(HPos::Center, VPos::Top));
            root.draw(&Text::new(format!("{:.0}", t * 100.0), (x, y_end + s.px(6.0)), style))
                .map_err(perr)?;
        }
        let style = s.font(14.0, INK).pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(
            "probability of ending on each framework (% of runs)".to_string(),
            ((x0 + x1) / 2, y_end + s.px(26.0)),
            style,
        ))
        .map_err(perr)?;
        for (r, row) in rows.iter().enumerate() {
            let top = y0 + s.px(r as f64 * ROW + 3.0);
            let bottom = y0 + s.px((r as f64 + 1.0) * ROW - 3.0);
            let mid = (top + bottom) / 2;
            let style = s.font(13.0, INK).pos(Pos::new(HPos::Right, VPos::Center));
            root.draw(&Text::new(row.name.clone(), (x0 - s.px(8.0), mid), style))
                .map_err(perr)?;
            let mut acc = 0.0;
            for (k, p) in row.probs.iter().enumerate() {
                let (a, b) = (px(acc), px((acc + p).min(1.0)));
                acc += p;
                if b <= a {
                    continue;
                }
                root.draw(&Rectangle::new([(a, top), (b, bottom)], colors[k % colors.len()].filled()))
                    .map_err(perr)?;
                let label = format!("{:.0}", p * 100.0);
                let ink = if super::luminance(colors[k % colors.len()]) > 0.18 {
                    INK
                } else {
                    WHITE
                };
                let lstyle = s.font(11.5, ink).pos(Pos::new(HPos::Center, VPos::Center));
                if b - a >= s.px(30.0) {
                    root.draw(&Text::new(label, ((a + b) / 2, mid), lstyle)).map_err(perr)?;
                }
            }
        }
        let note = "Most contested first: lowest probability of the state's most likely framework. Numbers in bars: % of runs.";
        root.draw(&Text::new(note.to_string(), (s.px(16.0), y_end + s.px(56.0)), s.font(12.0, MUTED)))
            .map_err(perr)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, probs: &[f64]) -> StateRow {
        StateRow {
            id: name.to_string(),
            name: name.to_string(),
            domain: 0,
            probs: probs.to_vec(),
        }
    }

    #[test]
    fn most_contested_first() {
        let rows = [
            row("A", &[1.0, 0.0, 0.0]),
            row("B", &[0.4, 0.35, 0.25]),
            row("C", &[0.5, 0.5, 0.0]),
            row("D", &[0.4, 0.3, 0.3]),
        ];
        let got: Vec<&str> = most_contested(rows.iter().collect(), 3).iter().map(|r| r.name.as_str()).collect();
        assert_eq!(got, ["B", "D", "C"]);
    }
}
