//! Event-history baselines of the hindcast: discrete-time logit hazards of adoption fitted on the
//! same cell-years as the calibrated model (a cell-year is at risk until the state's first
//! adoption of the indicator).
//!
//! ```text
//! P(adopt in t | at risk) = logistic(α_indicator + β·z_i [+ γ·lag_it])
//! ```
//!
//! - *internal determinants* (Berry and Berry 1990): z_i = ln GDP per capita, ln population, the
//!   freedom index and whether it was imputed (the world's data: 2019 GDP and population, 2016
//!   Human Freedom Index; fixed over the years);
//! - *spatial lag* (diffusion): lag_it = Σ_j w_ij 1{j in U by the end of t − 1}, over the model's
//!   own gravity ties w (those the network term reads); j counts when the panel has its adoption
//!   of the indicator in a year before t, or when its cell of the indicator's domain is anchored
//!   on a framework of U.
//!
//! The continuous regressors are standardised on the fit sample; a regressor constant there is
//! dropped. The fit maximises the likelihood with Firth's penalty ½ ln det I ([`super::logit`]):
//! events are rare, some indicators have none in a fit sample and some leave-one-subregion-out
//! samples are separated by the imputation flag, where the plain MLE does not exist. Without
//! covariates the fit is the constant hazard baseline, (events + ½)/(at risk + 1), exactly.

use std::collections::BTreeMap;

use nalgebra::DMatrix;

use super::codebook::{Codebook, Use};
use super::logit::{self, logistic};
use super::observations::Meta;
use super::panel::Panel;
use crate::error::Error;
use crate::model::{Model, NO_ANCHOR};
use crate::world::Ties;

/// The raw regressors, in the order of [`Regressors::x`]: the covariates, then the lag.
pub const REGRESSORS: [&str; 5] = ["log_gdp_per_capita", "log_population", "freedom", "freedom_imputed", "spatial_lag"];
/// Which regressors are standardised (the imputation flag stays 0/1).
const STANDARDISE: [bool; 5] = [true, true, true, false, true];

/// The raw regressors of cell-years.
#[derive(Debug, Clone, Default)]
pub struct Regressors {
    /// Indicator of each cell-year.
    pub indicator: Vec<String>,
    /// Per cell-year: the raw regressors, in the order of [`REGRESSORS`].
    pub x: Vec<[f64; 5]>,
}

/// Σ_j w_ij over the partners j of state i that `adopted`.
pub fn spatial_lag(ties: &Ties, i: usize, adopted: impl Fn(usize) -> bool) -> f64 {
    let (targets, weights) = ties.row(i);
    targets
        .iter()
        .zip(weights)
        .filter(|(j, _)| adopted(**j as usize))
        .map(|(_, &w)| f64::from(w))
        .sum()
}

/// The regressors of the cell-years `meta`, of states `states`.
pub fn regressors(model: &Model, panel: &Panel, codebook: &Codebook, meta: &[Meta], states: &[usize]) -> Result<Regressors, Error> {
    let (w, n) = (&model.world, model.layout.states);
    let mut first: BTreeMap<(&str, usize), i32> = BTreeMap::new();
    for r in panel.rows_used_as(codebook, Use::Outcome).filter(|r| r.set != 0) {
        let e = first.entry((r.indicator.as_str(), r.state)).or_insert(r.year);
        *e = (*e).min(r.year);
    }
    let mut out = Regressors::default();
    for (m, &i) in meta.iter().zip(states) {
        let (gdp, pop) = (w.gdp[i], w.population[i]);
        if !(gdp > 0.0 && pop > 0.0 && w.freedom[i].is_finite()) {
            return Err(Error::Usage(format!(
                "state {}: the hazard baselines need a positive GDP and population and a freedom score, found {gdp}, {pop}, {}",
                &w.ids[i], w.freedom[i]
            )));
        }
        let d = codebook.indicators[&m.indicator].domain.expect("outcomes have a domain");
        let adopted = |j: usize| {
            let a = model.anchor[d * n + j];
            first.get(&(m.indicator.as_str(), j)).is_some_and(|&y| y < m.year) || (a != NO_ANCHOR && m.union >> a & 1 == 1)
        };
        let lag = spatial_lag(&w.ties, i, adopted);
        out.indicator.push(m.indicator.clone());
        out.x.push([
            (gdp * 1e6 / pop).ln(),
            pop.ln(),
            w.freedom[i],
            f64::from(u8::from(w.freedom_imputed[i])),
            lag,
        ]);
    }
    Ok(out)
}

/// One coefficient and its standard error from the information.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Coefficient {
    /// `constant.INDICATOR`, or a regressor of [`REGRESSORS`].
    pub name: String,
    /// Estimate (per SD for a standardised regressor).
    pub value: f64,
    /// Standard error from the information.
    pub se: f64,
    /// The regressor's fit-sample mean and SD (the coefficient is per SD); absent for constants
    /// and the 0/1 flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// The regressor's fit-sample SD (see `mean`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sd: Option<f64>,
}

/// A fitted hazard.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hazard {
    /// Cell-years at risk in the fit sample.
    pub cell_years: usize,
    /// Adoptions among them.
    pub events: usize,
    /// ℓ + ½ ln det I at the estimate (Firth's objective).
    pub penalised_loglik: f64,
    /// Newton iterations taken.
    pub iterations: usize,
    /// The constants, then the regressors kept.
    pub coefficients: Vec<Coefficient>,
    /// Regressors dropped as constant on the fit sample.
    pub dropped: Vec<String>,
    #[serde(skip)]
    indicators: Vec<String>,
    #[serde(skip)]
    columns: Vec<(usize, f64, f64)>,
}

/// Fit the hazard on the cell-years `rows` of `r` (outcomes `y`), with the spatial lag when `lag`.
/// Every indicator of the fit rows gets a constant; another indicator's forecasts take constant 0
/// (probability ½ at the mean covariates, as the constant hazard's fallback).
pub fn fit(r: &Regressors, y: &[bool], rows: &[usize], lag: bool) -> Result<Hazard, Error> {
    let mut indicators: Vec<String> = rows.iter().map(|&i| r.indicator[i].clone()).collect();
    indicators.sort_unstable();
    indicators.dedup();
    let (mut columns, mut dropped) = (Vec::new(), Vec::new());
    for c in 0..if lag { 5 } else { 4 } {
        let v: Vec<f64> = rows.iter().map(|&i| r.x[i][c]).collect();
        let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len().max(1) as f64).sqrt();
        if v.iter().all(|&x| x == v[0]) {
            dropped.push(REGRESSORS[c].to_string());
        } else if STANDARDISE[c] {
            columns.push((c, mean, sd));
        } else {
            columns.push((c, 0.0, 1.0));
        }
    }
    let (k, p) = (indicators.len(), indicators.len() + columns.len());
    let mut x = DMatrix::zeros(rows.len(), p);
    for (at, &i) in rows.iter().enumerate() {
        x[(at, indicators.binary_search(&r.indicator[i]).expect("listed"))] = 1.0;
        for (c, &(col, mean, sd)) in columns.iter().enumerate() {
            x[(at, k + c)] = (r.x[i][col] - mean) / sd;
        }
    }
    let yy: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
    let w = vec![1.0; rows.len()];
    let mut names: Vec<String> = indicators.iter().map(|g| format!("constant.{g}")).collect();
    names.extend(columns.iter().map(|&(c, _, _)| REGRESSORS[c].to_string()));
    let f = logit::fit(&x, &yy, &w, &names, true)?;
    let coefficients = (0..p)
        .map(|a| {
            let scaled = a >= k && STANDARDISE[columns[a - k].0];
            Coefficient {
                name: names[a].clone(),
                value: f.beta[a],
                se: f.se[a],
                mean: scaled.then(|| columns[a - k].1),
                sd: scaled.then(|| columns[a - k].2),
            }
        })
        .collect();
    Ok(Hazard {
        cell_years: rows.len(),
        events: rows.iter().filter(|&&i| y[i]).count(),
        penalised_loglik: f.loglik,
        iterations: f.iterations,
        coefficients,
        dropped,
        indicators,
        columns,
    })
}

impl Hazard {
    /// The forecast probability of an adoption in cell-year `i` of `r`.
    pub fn probability(&self, r: &Regressors, i: usize) -> f64 {
        let k = self.indicators.len();
        let mut eta = match self.indicators.binary_search(&r.indicator[i]) {
            Ok(g) => self.coefficients[g].value,
            Err(_) => 0.0,
        };
        for (c, &(col, mean, sd)) in self.columns.iter().enumerate() {
            eta += self.coefficients[k + c].value * (r.x[i][col] - mean) / sd;
        }
        logistic(eta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spatial_lag_sums_the_weights_of_adopted_partners() {
        // State 0 trades 3:1:4 with 1, 2, 3 (normalised to 3/8, 1/8, 4/8); 1 and 3 have adopted.
        let ties = Ties::from_rows(
            vec![vec![(1, 3.0), (2, 1.0), (3, 4.0)], vec![(0, 1.0)], vec![], vec![(2, 2.0)]],
            false,
        );
        let adopted = |j: usize| j == 1 || j == 3;
        assert!((spatial_lag(&ties, 0, adopted) - 7.0 / 8.0).abs() < 1e-7);
        assert_eq!(spatial_lag(&ties, 1, adopted), 0.0);
        assert_eq!(spatial_lag(&ties, 2, adopted), 0.0);
        assert_eq!(spatial_lag(&ties, 3, |j| j == 2), 1.0);
    }

    /// Regressors constant on the fit sample are dropped, and the constants alone reproduce the
    /// constant hazard (events + ½)/(at risk + 1) of each indicator, also one with no event.
    #[test]
    fn without_varying_covariates_the_hazard_is_the_constant_hazard() {
        let mut r = Regressors::default();
        let mut y = Vec::new();
        for (g, events, n) in [("a", 3, 20), ("b", 0, 15)] {
            for t in 0..n {
                r.indicator.push(g.to_string());
                r.x.push([1.0, 2.0, 5.0, 0.0, 0.25]);
                y.push(t < events);
            }
        }
        let rows: Vec<usize> = (0..y.len()).collect();
        let h = fit(&r, &y, &rows, true).unwrap();
        assert_eq!(h.dropped, REGRESSORS);
        assert!((h.probability(&r, 0) - 3.5 / 21.0).abs() < 1e-9);
        assert!((h.probability(&r, 20) - 0.5 / 16.0).abs() < 1e-9);
    }

    /// A covariate that varies is standardised on the fit rows and enters with its coefficient.
    #[test]
    fn a_varying_covariate_is_standardised_on_the_fit_rows() {
        let mut r = Regressors::default();
        let mut y = Vec::new();
        for t in 0..40 {
            r.indicator.push("a".into());
            let gdp = if t % 2 == 0 { 9.0 } else { 11.0 };
            r.x.push([gdp, 2.0, 5.0, 0.0, 0.0]);
            y.push(t % 8 == 1 || t % 8 == 3 || t % 8 == 0);
        }
        let rows: Vec<usize> = (0..40).collect();
        let h = fit(&r, &y, &rows, false).unwrap();
        let c = &h.coefficients[1];
        assert_eq!((c.name.as_str(), c.mean, c.sd), ("log_gdp_per_capita", Some(10.0), Some(1.0)));
        // Low income: 5 of 20 adopt; high income: 10 of 20.
        assert!(h.probability(&r, 1) > h.probability(&r, 0) && c.value > 0.0);
    }
}
