//! `blocsim sensitivity`: Sobol indices or Morris elementary effects of scenario parameters, for
//! each chosen outcome, on a stochastic model.
//!
//! Every design point is run R times on common random numbers and the outcome averaged; the
//! estimators see the averages. Replication noise is measured, not assumed away: per outcome,
//! `noise_share` = (σ²_e / R) / (variance of the point means), with σ²_e the point-by-replication
//! noise variance ([`super::noise_variance`]), is the part of the variance the estimators see that
//! is noise. A first-order index whose interval does not lie above 0, a total index whose lower
//! interval limit is not above `noise_share` (noise adds up to that much to ST), or a Morris mu*
//! whose lower limit is not above `noise_mu_star` (the mu* that replication noise alone would give,
//! √(2/π)·√(2 σ²_e / R)/Δ), is flagged `within_noise`: it cannot be told apart from noise.
//!
//! Output directory: `sobol.csv` or `morris.csv` (one row per outcome, parameter and index),
//! `sensitivity.json` (the same with the settings), `design.csv` (every design point's parameter
//! values and outcome means), `manifest.json`, and one bar chart per outcome in `plots/`.

use std::path::Path;

use serde_json::{Value, json};

use super::design::{MorrisDesign, saltelli};
use super::morris::{self, MorrisIndex};
use super::sobol::{self, SaltelliOutputs, SobolIndices};
use super::table::{Table, json_bytes, num};
use super::{Loader, Outcome, ParamRange, Plan, design_rng, evaluate, noise_share};
use crate::error::{Error, Result};
use crate::export::write_atomic;
use crate::progress::Progress;

/// The method and its settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Saltelli design with N base samples (N (k + 2) design points).
    Sobol { samples: usize },
    /// r trajectories on an even number of levels (r (k + 1) design points).
    Morris { trajectories: usize, levels: usize },
}

impl Method {
    /// `sobol` or `morris`.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Sobol { .. } => "sobol",
            Method::Morris { .. } => "morris",
        }
    }
}

/// Bootstrap resamples for the intervals.
pub const RESAMPLES: usize = 1000;
/// Coverage of the intervals.
pub const LEVEL: f64 = 0.95;

/// The indices of one outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Indices {
    Sobol(SobolIndices),
    Morris(Vec<MorrisIndex>),
}

/// Results for one outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeIndices {
    pub outcome: String,
    /// Share of the variance of the point means that is replication noise (NaN when R = 1).
    pub noise_share: f64,
    /// Morris only: the mu* replication noise alone would give (NaN when R = 1).
    pub noise_mu_star: f64,
    pub indices: Indices,
}

impl OutcomeIndices {
    /// Whether index `i` of parameter `p` (Sobol: 0 first order, 1 total) is within noise.
    pub fn within_noise(&self, p: usize, which: usize) -> bool {
        match &self.indices {
            Indices::Sobol(s) => {
                // Noise adds no bias to S_i (it only widens its interval and, through V, shrinks it),
                // so S_i needs an interval above 0; for ST_i noise adds up to noise_share, so its
                // interval must clear that.
                if which == 0 {
                    s.first[p].low.is_nan() || s.first[p].low <= 0.0
                } else {
                    let floor = if self.noise_share.is_finite() { self.noise_share } else { 0.0 };
                    s.total[p].low.is_nan() || s.total[p].low <= floor
                }
            }
            Indices::Morris(m) => {
                let floor = if self.noise_mu_star.is_finite() { self.noise_mu_star } else { 0.0 };
                m[p].mu_star_low.is_nan() || m[p].mu_star_low <= floor
            }
        }
    }
}

/// A finished analysis.
#[derive(Debug, Clone)]
pub struct Sensitivity {
    pub scenario: String,
    pub method: Method,
    pub params: Vec<ParamRange>,
    pub plan: Plan,
    pub points: Vec<Vec<f64>>,
    /// Mean of each outcome at each point: `means[o][p]`.
    pub means: Vec<Vec<f64>>,
    pub results: Vec<OutcomeIndices>,
    /// Things the user should know (e.g. N not a power of two).
    pub warnings: Vec<String>,
    pub threads: usize,
}

/// Run the analysis. `params` must have been resolved with [`Loader::resolve`].
pub fn run(
    loader: &Loader,
    params: &[ParamRange],
    method: Method,
    outcomes: &[Outcome],
    plan: &Plan,
    progress: &dyn Progress,
) -> Result<Sensitivity> {
    if params.is_empty() {
        return Err(Error::Usage(
            "no parameters to analyse: the scenario has no uncertain parameters; give --param PATH=LO:HI".into(),
        ));
    }
    let k = params.len();
    let mut warnings = Vec::new();
    let (unit, morris_design) = match method {
        Method::Sobol { samples } => {
            if !samples.is_power_of_two() {
                warnings.push(format!(
                    "--samples {samples} is not a power of two: the Sobol sequence is balanced only at powers of two (e.g. {})",
                    samples.next_power_of_two()
                ));
            }
            (saltelli(k, samples, (plan.seed ^ (plan.seed >> 32)) as u32)?, None)
        }
        Method::Morris { trajectories, levels } => {
            let d = MorrisDesign::new(k, trajectories, levels, &mut design_rng(plan.seed, 2))?;
            (d.points.clone(), Some(d))
        }
    };
    let points: Vec<Vec<f64>> = unit.iter().map(|u| params.iter().zip(u).map(|(p, &u)| p.at(u)).collect()).collect();
    for p in params.iter().filter(|p| p.integer) {
        warnings.push(format!(
            "{} takes whole numbers: its design values are rounded, so its indices describe a discrete input",
            p.key
        ));
    }
    let (o_count, r_count) = (outcomes.len(), plan.runs as usize);
    let mut reps: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(points.len()); o_count];
    let threads = evaluate(loader, params, &points, outcomes, plan, progress, &mut |_, values| {
        for (o, series) in reps.iter_mut().enumerate() {
            series.push((0..r_count).map(|r| values[r * o_count + o]).collect());
        }
        Ok(())
    })?;
    let mut results = Vec::with_capacity(o_count);
    let mut means = Vec::with_capacity(o_count);
    for (o, outcome) in outcomes.iter().enumerate() {
        let y: Vec<f64> = reps[o].iter().map(|v| v.iter().sum::<f64>() / r_count as f64).collect();
        let mut rng = design_rng(plan.seed, 100 + o as u64);
        let ns = noise_share(&reps[o]);
        let (indices, noise_mu_star) = match &morris_design {
            None => (
                Indices::Sobol(sobol::indices(
                    &SaltelliOutputs::from_design_order(&y, k),
                    RESAMPLES,
                    LEVEL,
                    &mut rng,
                )),
                f64::NAN,
            ),
            Some(d) => {
                let within = super::noise_variance(&reps[o]);
                let delta = d.levels as f64 / (2.0 * (d.levels - 1) as f64);
                let noise = (2.0 / std::f64::consts::PI).sqrt() * (2.0 * within / r_count as f64).sqrt() / delta;
                (Indices::Morris(morris::indices(d, &y, RESAMPLES, LEVEL, &mut rng)), noise)
            }
        };
        results.push(OutcomeIndices {
            outcome: outcome.name.clone(),
            noise_share: ns,
            noise_mu_star,
            indices,
        });
        means.push(y);
    }
    Ok(Sensitivity {
        scenario: loader.base.scenario.name.clone(),
        method,
        params: params.to_vec(),
        plan: *plan,
        points,
        means,
        results,
        warnings,
        threads,
    })
}

impl Sensitivity {
    /// The index table (`sobol.csv` or `morris.csv`) as CSV text.
    pub fn indices_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let f = |v: f64| if v.is_finite() { format!("{v}") } else { String::new() };
        match self.method {
            Method::Sobol { .. } => {
                let _ = w.write_record([
                    "outcome",
                    "param",
                    "index",
                    "estimate",
                    "se",
                    "low",
                    "high",
                    "noise_share",
                    "within_noise",
                ]);
            }
            Method::Morris { .. } => {
                let _ = w.write_record([
                    "outcome",
                    "param",
                    "mu",
                    "mu_star",
                    "sigma",
                    "mu_star_low",
                    "mu_star_high",
                    "noise_mu_star",
                    "within_noise",
                ]);
            }
        }
        for r in &self.results {
            for (p, param) in self.params.iter().enumerate() {
                match &r.indices {
                    Indices::Sobol(s) => {
                        for (which, (name, e)) in [("first", s.first[p]), ("total", s.total[p])].into_iter().enumerate() {
                            let _ = w.write_record([
                                r.outcome.clone(),
                                param.key.clone(),
                                name.to_string(),
                                f(e.value),
                                f(e.se),
                                f(e.low),
                                f(e.high),
                                f(r.noise_share),
                                r.within_noise(p, which).to_string(),
                            ]);
                        }
                    }
                    Indices::Morris(m) => {
                        let m = m[p];
                        let _ = w.write_record([
                            r.outcome.clone(),
                            param.key.clone(),
                            f(m.mu),
                            f(m.mu_star),
                            f(m.sigma),
                            f(m.mu_star_low),
                            f(m.mu_star_high),
                            f(r.noise_mu_star),
                            r.within_noise(p, 0).to_string(),
                        ]);
                    }
                }
            }
        }
        w.into_inner().unwrap_or_default()
    }

    /// Everything as JSON (`sensitivity.json`).
    pub fn to_json(&self) -> Value {
        let method = match self.method {
            Method::Sobol { samples } => json!({"name": "sobol", "samples": samples, "design_points": self.points.len(),
                "first_order": "Saltelli et al. 2010", "total": "Jansen 1999"}),
            Method::Morris { trajectories, levels } => {
                json!({"name": "morris", "trajectories": trajectories, "levels": levels, "design_points": self.points.len()})
            }
        };
        let outcomes: Vec<Value> = self
            .results
            .iter()
            .map(|r| {
                let params: Vec<Value> = self
                    .params
                    .iter()
                    .enumerate()
                    .map(|(p, param)| match &r.indices {
                        Indices::Sobol(s) => {
                            let e = |e: sobol::Estimate, which| {
                                json!({"estimate": num(e.value), "se": num(e.se), "low": num(e.low), "high": num(e.high),
                                    "within_noise": r.within_noise(p, which)})
                            };
                            json!({"param": param.key, "first": e(s.first[p], 0), "total": e(s.total[p], 1)})
                        }
                        Indices::Morris(m) => {
                            let m = m[p];
                            json!({"param": param.key, "mu": num(m.mu), "mu_star": num(m.mu_star), "sigma": num(m.sigma),
                                "mu_star_low": num(m.mu_star_low), "mu_star_high": num(m.mu_star_high),
                                "within_noise": r.within_noise(p, 0)})
                        }
                    })
                    .collect();
                let mut o = json!({"outcome": r.outcome, "noise_share": num(r.noise_share), "params": params});
                if let Indices::Sobol(s) = &r.indices {
                    o["variance"] = num(s.variance);
                }
                if r.noise_mu_star.is_finite() {
                    o["noise_mu_star"] = num(r.noise_mu_star);
                }
                o
            })
            .collect();
        json!({
            "scenario": self.scenario,
            "method": method,
            "replications": self.plan.runs,
            "seed": self.plan.seed,
            "bootstrap": {"resamples": RESAMPLES, "level": LEVEL},
            "params": self.params.iter().map(|p| json!({"key": p.key, "lo": num(p.lo), "hi": num(p.hi), "integer": p.integer})).collect::<Vec<_>>(),
            "warnings": self.warnings,
            "outcomes": outcomes,
        })
    }

    /// Write the index table, `sensitivity.json` and `design.csv` into `dir`; returns the file names.
    pub fn write(&self, dir: &Path) -> Result<Vec<String>> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = format!("{}.csv", self.method.name());
        write_atomic(&dir.join(&name), &self.indices_csv())?;
        write_atomic(&dir.join("sensitivity.json"), &json_bytes(&self.to_json()))?;
        let mut t = Table::default();
        t.int("point", (0..self.points.len()).map(|p| p as f64).collect());
        for (i, p) in self.params.iter().enumerate() {
            t.real(&p.key, self.points.iter().map(|v| v[i]).collect());
        }
        for (r, m) in self.results.iter().zip(&self.means) {
            t.real(&format!("{}.mean", r.outcome), m.clone());
        }
        write_atomic(&dir.join("design.csv"), &t.to_csv())?;
        Ok(vec![name, "sensitivity.json".into(), "design.csv".into()])
    }

    /// A plain-text table of the indices for the terminal.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for w in &self.warnings {
            s.push_str(&format!("warning: {w}\n"));
        }
        for r in &self.results {
            s.push_str(&format!("\n{}  (replication noise share {:.3})\n", r.outcome, r.noise_share));
            match &r.indices {
                Indices::Sobol(x) => {
                    s.push_str(&format!("  {:<40} {:>22} {:>22}\n", "parameter", "S1 [95% CI]", "ST [95% CI]"));
                    for (p, param) in self.params.iter().enumerate() {
                        let e = |e: sobol::Estimate, which| {
                            format!(
                                "{:.3} [{:.3}, {:.3}]{}",
                                e.value,
                                e.low,
                                e.high,
                                if r.within_noise(p, which) { "~" } else { " " }
                            )
                        };
                        s.push_str(&format!("  {:<40} {:>22} {:>22}\n", param.key, e(x.first[p], 0), e(x.total[p], 1)));
                    }
                }
                Indices::Morris(m) => {
                    s.push_str(&format!(
                        "  {:<40} {:>10} {:>24} {:>10}\n",
                        "parameter", "mu", "mu* [95% CI]", "sigma"
                    ));
                    for (p, param) in self.params.iter().enumerate() {
                        let x = m[p];
                        s.push_str(&format!(
                            "  {:<40} {:>10.4} {:>24} {:>10.4}\n",
                            param.key,
                            x.mu,
                            format!(
                                "{:.4} [{:.4}, {:.4}]{}",
                                x.mu_star,
                                x.mu_star_low,
                                x.mu_star_high,
                                if r.within_noise(p, 0) { "~" } else { " " }
                            ),
                            x.sigma
                        ));
                    }
                }
            }
        }
        s.push_str("\n~ = within replication noise: S1 interval not above 0, ST interval not above the noise share, mu* interval not above the noise mu*\n");
        s
    }
}
