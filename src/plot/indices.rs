//! System-wide indices over time as fan charts: the fragmentation ("splinternet") index and the
//! hedging index, median across runs with 50% and 90% bands. Reads `indices.csv`.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::Output;
use super::fan::{Fan, LEGEND_W, draw_fan_legend, draw_fans};
use super::{Chart, HEADER, Sc, draw_header, subtitle};

/// Neutral colour for the indices (framework colours are reserved for frameworks).
const INDEX_COLOR: RGBColor = RGBColor(0x33, 0x33, 0x33);

/// The fan chart of the fragmentation and hedging indices.
pub struct IndicesChart<'a> {
    out: &'a Output,
}

impl<'a> IndicesChart<'a> {
    /// The chart of `out`'s indices.
    pub fn new(out: &'a Output) -> Self {
        IndicesChart { out }
    }
}

/// The indices drawn, with their panel captions.
pub const PANELS: [(&str, &str); 2] = [
    (
        "fragmentation",
        "fragmentation: trade-weighted share of partner pairs on different frameworks",
    ),
    ("hedging", "hedging: diversity of each state's frameworks across domains"),
];

impl Chart for IndicesChart<'_> {
    fn size(&self) -> (u32, u32) {
        (1000, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64) -> Result<(), String> {
        let s = Sc(s);
        let o = self.out;
        let (head, body) = root.split_vertically(s.px(HEADER));
        draw_header(
            &head,
            s,
            "Fragmentation (mean over domains) and hedging indices over time; 0 = none, 1 = maximal",
            &subtitle(o),
        )?;
        let (plots, legend) = body.split_horizontally(body.dim_in_pixel().0 as i32 - s.px(LEGEND_W));
        let panels = plots.split_evenly((1, 2));
        for (area, (key, caption)) in panels.iter().zip(PANELS) {
            let pts = o.indices.get(key).cloned().unwrap_or_default();
            let short = caption.split(':').next().unwrap_or(key);
            draw_fans(
                area,
                s,
                o.year_range(),
                (0.0, 1.0),
                &format!("{short} index (0\u{2013}1)"),
                1,
                Some((short, INDEX_COLOR)),
                &[Fan {
                    color: INDEX_COLOR,
                    points: pts,
                }],
            )?;
        }
        draw_fan_legend(&legend, s, &[], INDEX_COLOR)
    }
}
