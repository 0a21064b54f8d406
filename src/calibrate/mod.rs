//! Estimation of the model's weights from observed decisions (`blocsim calibrate`): maximum
//! likelihood under the model's own choice rule, a revision rate times a multinomial logit over
//! the utility terms' feature arrays ([`crate::model::utility::TermInputs::features`]).
//!
//! | file | part |
//! |------|------|
//! | [`codebook`] | what each indicator says about the model's cells (`codebook.toml`) |
//! | [`panel`] | the observed rows (`events.csv`), checked against the codebook and the world |
//! | [`params`] | the free parameters (`--free KEY`), their scale and starting values |
//! | [`covariates`] | the simulation that supplies stocks, events and tastes year by year |
//! | [`state`] | the observed state at the end of a year; groups dated by covariates |
//! | [`observations`] | the observed cell-years as linear utilities of the free parameters |
//! | [`frontier`] | the partners' filtered frameworks that the network and standards terms read (a factored frontier) |
//! | [`likelihood`] | ℓ by a forward filter over each history's latent framework, with its analytic gradient, Hessian and per-state scores |
//! | [`newton`] | damped Newton maximisation on nalgebra |
//! | [`inference`] | standard errors (information, sandwich, jackknife), intervals, profiles |
//! | [`scores`] | log, Brier, ROC and PR scores of forecasts; the paired state bootstrap |
//! | [`forecasts`] | score tables and paired differences of forecasts (`hindcast`) |
//! | [`hazard`] | the event-history baselines: covariates-only and spatial-lag logit hazards |
//! | [`logit`] | a weighted binary logit by Newton's method (the hazards' solver) |
//! | [`output`] | `estimates.csv`, `vcov.csv`, `profiles.csv`, `fit.json`, `calibrated.toml` |
//! | [`spells`] | the histories a simulated hindcast scores, at risk at the end of the fit |
//! | [`start`] | the simulated hindcast's start state, drawn from what the panel says of each cell |
//! | [`simulate`] | the simulated hindcast's replications, on the engine, in run order |
//! | [`multiyear`] | P(adoption by each year), the median predicted year |
//! | [`bands`] | yearly adoption counts against the runs' 50% and 90% bands, and their coverage |
//! | [`reliability`] | reliability bins and Murphy's decomposition of the Brier score |
//! | [`verdict`] | plain verdicts on a hindcast's paired differences |
//! | [`report`] | `report.html` of a hindcast |
//!
//! The design (what is observed, how unobserved cells are treated, identification) is in
//! `docs/calibration.md`.

pub mod bands;
pub mod codebook;
pub mod covariates;
pub mod forecasts;
pub mod frontier;
pub mod hazard;
pub mod inference;
pub mod likelihood;
pub mod logit;
pub mod multiyear;
pub mod newton;
pub mod observations;
pub mod output;
pub mod panel;
pub mod params;
pub mod reliability;
pub mod report;
pub mod scores;
pub mod simulate;
pub mod spells;
pub mod start;
pub mod state;
pub mod verdict;

use rayon::prelude::*;

use crate::error::Error;
use inference::{Profile, Z_975};
use likelihood::Problem;
use params::FreeParam;

/// The estimate of one parameter, on its own scale.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Estimate {
    /// Key path of the parameter.
    pub key: String,
    /// The scenario's value (the starting point).
    pub start: f64,
    /// The maximum-likelihood estimate.
    pub value: f64,
    /// Standard error from the observed information (delta method for a rate).
    pub se_information: f64,
    /// Standard error from the state-clustered sandwich (CR1).
    pub se_sandwich: f64,
    /// Standard error from the one-step state jackknife (CR3), the one the interval uses.
    pub se_jackknife: f64,
    /// 95% interval from the jackknife (internal scale, mapped back).
    pub low: f64,
    /// Upper end of the jackknife interval.
    pub high: f64,
    /// 95% interval from the profile likelihood, where it closes within ±3 SE.
    pub profile_low: Option<f64>,
    /// Upper end of the profile interval.
    pub profile_high: Option<f64>,
    /// The profile says the data identify this parameter only weakly.
    pub weak: bool,
}

/// The result of a fit.
#[derive(Debug, Clone)]
pub struct Fit {
    /// One per free parameter, in the order of the fit's parameters.
    pub estimates: Vec<Estimate>,
    /// Jackknife (CR3, reported), sandwich (CR1) and information covariances on the parameters'
    /// own scale.
    pub vcov_jackknife: nalgebra::DMatrix<f64>,
    /// State-clustered sandwich covariance (CR1).
    pub vcov_sandwich: nalgebra::DMatrix<f64>,
    /// Inverse observed information.
    pub vcov_information: nalgebra::DMatrix<f64>,
    /// ℓ at the estimate.
    pub loglik: f64,
    /// ℓ at the scenario's values.
    pub loglik_start: f64,
    /// Akaike information criterion, 2k − 2ℓ.
    pub aic: f64,
    /// Newton iterations taken.
    pub iterations: usize,
    /// Whether a full Newton step would have raised ℓ by less than the tolerance.
    pub converged: bool,
    /// Smallest eigenvalue of the unit-diagonal information and its direction (loading per key).
    pub weakest_eigenvalue: f64,
    /// The direction of `weakest_eigenvalue`: (key, loading).
    pub weakest_direction: Vec<(String, f64)>,
    /// Profile likelihood of each parameter (empty unless asked for).
    pub profiles: Vec<Profile>,
    /// θ̂ on the internal scale (logit of a rate or detection rate, a weight as it is).
    pub internal: Vec<f64>,
    /// The states with observations, and those where the jackknife fell back to the sandwich's
    /// term because the rest of the panel's information was not positive definite.
    pub clusters: usize,
    /// Of those, the states where the jackknife fell back to the sandwich's term.
    pub jackknife_fallbacks: usize,
}

/// Maximise the likelihood of `problem` over `params` and compute everything the outputs report;
/// `profiles` adds the profile likelihoods (13 maximisations per parameter).
pub fn estimate(problem: &Problem, params: &[FreeParam], profiles: bool) -> Result<Fit, Error> {
    let start: Vec<f64> = params.iter().map(|p| p.to_internal(p.start)).collect();
    let loglik_start = problem.loglik(&start);
    let opt = newton::maximise(problem, &start, &vec![false; params.len()]);
    // The per-state Hessians for the jackknife, once, at the maximum.
    let at_max = problem.eval_clustered(&opt.theta);
    let cov = inference::covariances(&at_max).map_err(|direction| {
        let loads = params
            .iter()
            .zip(&direction)
            .filter(|(_, l)| l.abs() > 0.1)
            .map(|(p, l)| format!("{} {l:+.2}", p.key))
            .collect::<Vec<_>>()
            .join(", ");
        Error::NotIdentified(format!(
            "the observations do not identify the free parameters: the information is singular along \
             ({loads}); fix one of them (drop it from --free) or add observations that move it"
        ))
    })?;
    let se_int = inference::standard_errors(&cov.oim);
    let se_sw = inference::standard_errors(&cov.sandwich);
    let se_jk = inference::standard_errors(&cov.jackknife);
    let jac: Vec<f64> = params.iter().zip(&opt.theta).map(|(p, &x)| p.from_internal(x).1).collect();
    let own = |v: &nalgebra::DMatrix<f64>| nalgebra::DMatrix::from_fn(v.nrows(), v.ncols(), |r, c| jac[r] * v[(r, c)] * jac[c]);
    let mut estimates = Vec::new();
    // The profiles are independent maximisations: one task each, collected in parameter order.
    let all_profiles: Vec<Profile> = match profiles {
        true => (0..params.len())
            .into_par_iter()
            .map(|a| inference::profile(problem, &opt.theta, opt.eval.loglik, a, se_int[a]))
            .collect(),
        false => Vec::new(),
    };
    for (a, p) in params.iter().enumerate() {
        let x = opt.theta[a];
        let back = |v: f64| p.from_internal(v).0;
        let (pl, ph, weak) = match all_profiles.get(a) {
            Some(prof) => (prof.low.map(back), prof.high.map(back), inference::weak(prof, x, se_int[a])),
            None => (None, None, false),
        };
        estimates.push(Estimate {
            key: p.key.clone(),
            start: p.start,
            value: back(x),
            se_information: se_int[a] * jac[a],
            se_sandwich: se_sw[a] * jac[a],
            se_jackknife: se_jk[a] * jac[a],
            low: back(x - Z_975 * se_jk[a]),
            high: back(x + Z_975 * se_jk[a]),
            profile_low: pl,
            profile_high: ph,
            weak,
        });
    }
    let k = params.len() as f64;
    Ok(Fit {
        vcov_jackknife: own(&cov.jackknife),
        vcov_sandwich: own(&cov.sandwich),
        vcov_information: own(&cov.oim),
        loglik: opt.eval.loglik,
        loglik_start,
        aic: 2.0 * k - 2.0 * opt.eval.loglik,
        iterations: opt.iterations,
        converged: opt.converged,
        weakest_eigenvalue: cov.eigenvalues[0],
        weakest_direction: params
            .iter()
            .zip(cov.eigenvectors.column(0).iter())
            .map(|(p, &l)| (p.key.clone(), l))
            .collect(),
        profiles: all_profiles,
        internal: opt.theta,
        clusters: cov.clusters,
        jackknife_fallbacks: cov.jackknife_fallbacks,
        estimates,
    })
}
