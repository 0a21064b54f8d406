//! Forecasts of adoptions and their score tables: each model's scores pooled and per indicator,
//! and the paired state-bootstrap differences of the calibrated model's scores against every other.

use super::observations::Meta;
use super::scores::{self, Scores, log_prob, paired_bootstrap};

/// The forecasts of one model on the scored cell-years.
#[derive(Debug, Clone)]
pub struct Forecast {
    /// Model name.
    pub model: String,
    /// P(act) of each cell-year.
    pub p: Vec<f64>,
}

/// `(window, model, indicator or "pooled", scores)`; window `time` or `subregion`.
pub type ScoreRow = (String, String, String, Scores);
/// `(window, model, score, mean of calibrated − model, low95, high95)`.
pub type DiffRow = (String, String, String, f64, f64, f64);

/// Scores of every forecast, pooled and per indicator, for one window.
pub fn score_rows(window: &str, forecasts: &[Forecast], y: &[bool], meta: &[Meta]) -> Vec<ScoreRow> {
    let mut indicators: Vec<&str> = meta.iter().map(|m| m.indicator.as_str()).collect();
    indicators.sort_unstable();
    indicators.dedup();
    let mut rows = Vec::new();
    for f in forecasts {
        rows.push((window.to_string(), f.model.clone(), "pooled".to_string(), scores::scores(&f.p, y)));
        for ind in &indicators {
            let pick: Vec<usize> = (0..y.len()).filter(|&i| meta[i].indicator == *ind).collect();
            let p: Vec<f64> = pick.iter().map(|&i| f.p[i]).collect();
            let yy: Vec<bool> = pick.iter().map(|&i| y[i]).collect();
            rows.push((window.to_string(), f.model.clone(), ind.to_string(), scores::scores(&p, &yy)));
        }
    }
    rows
}

/// Calibrated (the first forecast) minus every other, for the log and Brier scores, with paired
/// state-bootstrap intervals.
pub fn difference_rows(
    window: &str,
    forecasts: &[Forecast],
    y: &[bool],
    cluster: &[usize],
    reps: usize,
    rng: &mut crate::rng::Generator,
) -> Vec<DiffRow> {
    let mut out = Vec::new();
    let calibrated = &forecasts[0].p;
    for f in &forecasts[1..] {
        let log: Vec<f64> = (0..y.len())
            .map(|i| log_prob(calibrated[i], y[i]) - log_prob(f.p[i], y[i]))
            .collect();
        if log.iter().all(|d| d.is_finite()) {
            let (m, lo, hi) = paired_bootstrap(&log, cluster, reps, rng);
            out.push((window.to_string(), f.model.clone(), "log_score".to_string(), m, lo, hi));
        }
        let brier: Vec<f64> = (0..y.len())
            .map(|i| {
                let t = f64::from(u8::from(y[i]));
                (calibrated[i] - t).powi(2) - (f.p[i] - t).powi(2)
            })
            .collect();
        let (m, lo, hi) = paired_bootstrap(&brier, cluster, reps, rng);
        out.push((window.to_string(), f.model.clone(), "brier".to_string(), m, lo, hi));
    }
    out
}
