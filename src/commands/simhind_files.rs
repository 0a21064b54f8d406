//! The files of `hindcast`'s simulated window: `states.csv`, `counts.csv`, `reliability.csv` and
//! `brier_decomposition.csv`, each written whole to a temporary file and renamed, and the window's
//! part of `hindcast.json`.

use std::fmt::Write as _;
use std::path::Path;

use crate::calibrate::bands::coverage;
use crate::calibrate::forecasts::Forecast;
use crate::calibrate::reliability::{Bin, Decomposition, EDGES, decompose};
use crate::error::Result;
use crate::export::write_atomic;

use crate::forecast::simulated::Simulated;

/// Per (window, model): the reliability bins and the decomposition.
pub type Reliability = Vec<(String, String, Vec<Bin>, Decomposition)>;

fn num(x: f64) -> String {
    if x.is_finite() { format!("{x:.6}") } else { "NaN".into() }
}

/// Eight decimals: Brier terms of rare events are of order 1e-3.
fn num8(x: f64) -> String {
    if x.is_finite() { format!("{x:.8}") } else { "NaN".into() }
}

/// `counts.csv` of the bands of each model, (model, bands): per indicator and year, the observed
/// acts and the runs' mean, median and bands. A dated forecast's (`observed` false) leaves the
/// observed count and the band checks empty: its years have not happened.
pub fn counts_csv(bands: &[(String, Vec<crate::calibrate::bands::CountBand>)], observed: bool) -> String {
    let mut s = String::from("model,indicator,year,observed,mean,median,low50,high50,low90,high90,in50,in90\n");
    for (model, bands) in bands {
        for b in bands {
            let (seen, in50, in90) = if observed {
                (b.observed.to_string(), b.in50().to_string(), b.in90().to_string())
            } else {
                Default::default()
            };
            let _ = writeln!(
                s,
                "{model},{},{},{seen},{},{},{},{},{},{},{in50},{in90}",
                b.indicator,
                b.year,
                num(b.mean),
                b.median,
                b.low50,
                b.high50,
                b.low90,
                b.high90
            );
        }
    }
    s
}

/// The reliability bins and decomposition of every forecast of each window.
pub fn reliability(windows: &[(&str, &[Forecast], &[bool])]) -> Reliability {
    let mut out = Vec::new();
    for &(w, forecasts, y) in windows {
        for f in forecasts {
            let (bins, d) = decompose(&f.p, y, &EDGES);
            out.push((w.to_string(), f.model.clone(), bins, d));
        }
    }
    out
}

impl Simulated {
    /// `states.csv`: per history of the calibrated model, its observed year, P(adopted by the
    /// end), the median predicted year and P(adopted by each scored year).
    pub fn states_csv(&self, ids: &[String]) -> String {
        let mut s = String::from("state,indicator,observed_year,p_adopted_by_end,median_year");
        for t in self.split + 1..=self.end {
            let _ = write!(s, ",p_by_{t}");
        }
        s.push('\n');
        for (h, m) in self.spells.spells.iter().zip(&self.multi[0].1) {
            let observed = h.adopted.map_or(String::new(), |y| y.to_string());
            let _ = write!(
                s,
                "{},{},{observed},{},{}",
                ids[h.state],
                h.indicator,
                num(m.by_end()),
                m.median_text(self.split)
            );
            for &p in &m.by_year {
                let _ = write!(s, ",{}", num(p));
            }
            s.push('\n');
        }
        s
    }

    /// `counts.csv`: per simulated model, indicator and year, the observed adoptions and the runs'
    /// mean, median and bands.
    pub fn counts_csv(&self) -> String {
        counts_csv(&self.bands, true)
    }

    /// The window's part of `hindcast.json`: its design, sizes and the bands' coverage per model.
    pub fn json(&self) -> serde_json::Value {
        let coverage: serde_json::Map<String, serde_json::Value> = self
            .bands
            .iter()
            .map(|(model, b)| {
                let ((c50, c90), (sd50, sd90)) = coverage(b);
                let v = serde_json::json!({"indicator_years": b.len(), "coverage50": c50, "coverage90": c90,
                                           "binomial_sd50": sd50, "binomial_sd90": sd90});
                (model.clone(), v)
            })
            .collect();
        serde_json::json!({
            "starts_from": format!("the observed state at the end of {}", self.split),
            "scored_years": [self.split + 1, self.end], "runs": self.runs, "seed": self.seed,
            "histories": self.y.len(), "adoptions": self.y.iter().filter(|&&e| e).count(),
            "histories_inside_union_not_scored": self.spells.inside_union,
            "count_band_coverage": coverage,
        })
    }
}

/// Write `reliability.csv` and `brier_decomposition.csv`.
pub fn write_reliability(dir: &Path, rel: &Reliability) -> Result<()> {
    let mut bins = String::from("window,model,bin_low,bin_high,n,mean_forecast,observed_rate\n");
    let mut dec = String::from("window,model,brier,reliability,resolution,uncertainty,within_variance,within_covariance,binned_brier\n");
    for (w, m, bs, d) in rel {
        for b in bs {
            let _ = writeln!(bins, "{w},{m},{},{},{},{},{}", b.low, b.high, b.n, num(b.forecast), num(b.observed));
        }
        let _ = writeln!(
            dec,
            "{w},{m},{},{},{},{},{},{},{}",
            num8(d.brier),
            num8(d.reliability),
            num8(d.resolution),
            num8(d.uncertainty),
            num8(d.within_variance),
            num8(d.within_covariance),
            num8(d.binned_brier)
        );
    }
    write_atomic(&dir.join("reliability.csv"), bins.as_bytes())?;
    write_atomic(&dir.join("brier_decomposition.csv"), dec.as_bytes())
}
