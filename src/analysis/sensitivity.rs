//! `blocsim sensitivity`: Sobol indices or Morris elementary effects of scenario parameters, for
//! each chosen outcome, on a stochastic model.
//!
//! Every design point is run R times on common random numbers (replication r of every point is
//! run r of the master seed). The estimators ([`super::sobol`], [`super::morris`]) take every
//! replication, not only the means: Sobol products are taken between different replications, so the
//! indices are those of the mean response whatever R; and every interval adds to the design's
//! bootstrap variance the jackknife variance over replications ([`super::replicated`]), the
//! parameter-by-stream variation that a rerun with another seed shows. Per index, `noise_share` is the
//! part of its sampling variance that comes from the replications (in [0, 1]); an index whose interval
//! reaches 0 is flagged `within_noise`. When an interval is wider than the requested precision
//! (`--precision`), a warning says how many replications (or how much larger a design) would reach it.
//!
//! Output directory: `sobol.csv` or `morris.csv` (one row per outcome, parameter and index),
//! `sensitivity.json` (the same with the settings), `design.csv` (every design point's parameter
//! values and outcome means), `manifest.json`, and one bar chart per outcome in `plots/`.

use std::path::Path;

use serde_json::{Value, json};

pub use super::indices::{Indices, LEVEL, Method, OutcomeIndices};

use super::design::{MorrisDesign, saltelli};
use super::morris;
use super::precision::{default_precision, precision_warnings};
use super::sobol::{self, SaltelliOutputs};
use super::table::{Table, json_bytes, num};
use super::{Loader, Outcome, ParamRange, Plan, design_rng, evaluate};
use crate::error::{Error, Result};
use crate::export::write_atomic;
use crate::progress::Progress;

/// Bootstrap resamples for the intervals.
pub const RESAMPLES: usize = 1000;
/// Columns of `sobol.csv`.
pub const SOBOL_COLUMNS: [&str; 12] = [
    "outcome",
    "param",
    "index",
    "estimate",
    "se",
    "low",
    "high",
    "noise_share",
    "within_noise",
    "se_design",
    "se_replication",
    "dof",
];

/// Columns of `morris.csv`.
pub const MORRIS_COLUMNS: [&str; 14] = [
    "outcome",
    "param",
    "mu",
    "mu_star",
    "sigma",
    "mu_star_low",
    "mu_star_high",
    "noise_mu_star",
    "within_noise",
    "se",
    "se_design",
    "se_replication",
    "dof",
    "noise_share",
];

/// A finished analysis.
#[derive(Debug, Clone)]
pub struct Sensitivity {
    /// Scenario name.
    pub scenario: String,
    /// Sobol or Morris, with its settings.
    pub method: Method,
    /// The parameters, resolved.
    pub params: Vec<ParamRange>,
    /// Seed, replications and threads.
    pub plan: Plan,
    /// Parameter values of each design point, in design order.
    pub points: Vec<Vec<f64>>,
    /// Mean of each outcome at each point: `means[o][p]`.
    pub means: Vec<Vec<f64>>,
    /// The indices of each outcome.
    pub results: Vec<OutcomeIndices>,
    /// The requested half-width of the intervals (see [`default_precision`]).
    pub precision: f64,
    /// Things the user should know (e.g. N not a power of two).
    pub warnings: Vec<String>,
    /// Worker threads used.
    pub threads: usize,
}

/// Run the analysis. `params` must have been resolved with [`Loader::resolve`].
pub fn run(
    loader: &Loader,
    params: &[ParamRange],
    method: Method,
    outcomes: &[Outcome],
    plan: &Plan,
    precision: Option<f64>,
    progress: &dyn Progress,
) -> Result<Sensitivity> {
    let precision = match precision {
        None => default_precision(method),
        Some(p) if p.is_finite() && p > 0.0 => p,
        Some(p) => return Err(Error::Usage(format!("--precision {p}: expected a positive number"))),
    };
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
    if r_count < 3 {
        warnings.push(format!(
            "--runs {r_count}: with fewer than 3 replications per point the intervals cannot include the replication noise (they cover the design's variation only); use --runs 3 or more"
        ));
    }
    let mut results = Vec::with_capacity(o_count);
    let mut means = Vec::with_capacity(o_count);
    for (o, outcome) in outcomes.iter().enumerate() {
        let y: Vec<f64> = reps[o].iter().map(|v| v.iter().sum::<f64>() / r_count as f64).collect();
        let mut rng = design_rng(plan.seed, 100 + o as u64);
        let indices = match &morris_design {
            None => Indices::Sobol(sobol::indices(
                &SaltelliOutputs::from_design_order(&reps[o], k),
                RESAMPLES,
                LEVEL,
                &mut rng,
            )),
            Some(d) => Indices::Morris(morris::indices(d, &reps[o], RESAMPLES, LEVEL, &mut rng)),
        };
        let mut r = OutcomeIndices {
            outcome: outcome.name.clone(),
            noise_share: f64::NAN,
            noise_mu_star: f64::NAN,
            indices,
        };
        let which = if morris_design.is_some() { 1 } else { 2 };
        r.noise_share = (0..k)
            .flat_map(|p| (0..which).map(move |w| (p, w)))
            .map(|(p, w)| r.index_noise_share(p, w))
            .filter(|v| v.is_finite())
            .fold(f64::NAN, f64::max);
        if let Indices::Morris(m) = &r.indices {
            r.noise_mu_star = m.iter().map(|x| x.noise).filter(|v| v.is_finite()).fold(f64::NAN, f64::max);
        }
        if let Some(w) = precision_warnings(&r, params, method, precision, plan.runs) {
            warnings.push(w);
        }
        results.push(r);
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
        precision,
        warnings,
        threads,
    })
}

impl Sensitivity {
    /// The index table (`sobol.csv` or `morris.csv`) as CSV text.
    pub fn indices_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let f = |v: f64| if v.is_finite() { format!("{v}") } else { String::new() };
        let head: &[&str] = match self.method {
            Method::Sobol { .. } => &SOBOL_COLUMNS,
            Method::Morris { .. } => &MORRIS_COLUMNS,
        };
        let _ = w.write_record(head);
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
                                f(e.noise_share()),
                                r.within_noise(p, which).to_string(),
                                f(e.se_design),
                                f(e.se_replication),
                                f(e.dof),
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
                            f(m.noise),
                            r.within_noise(p, 0).to_string(),
                            f(m.se),
                            f(m.se_design),
                            f(m.se_replication),
                            f(m.dof),
                            f(m.noise_share()),
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
                "first_order": "Saltelli et al. 2010, products between replications", "total": "Jansen 1999, products between replications"}),
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
                                    "se_design": num(e.se_design), "se_replication": num(e.se_replication), "dof": num(e.dof),
                                    "noise_share": num(e.noise_share()), "within_noise": r.within_noise(p, which)})
                            };
                            json!({"param": param.key, "first": e(s.first[p], 0), "total": e(s.total[p], 1)})
                        }
                        Indices::Morris(m) => {
                            let m = m[p];
                            json!({"param": param.key, "mu": num(m.mu), "mu_star": num(m.mu_star), "sigma": num(m.sigma),
                                "mu_star_low": num(m.mu_star_low), "mu_star_high": num(m.mu_star_high),
                                "se": num(m.se), "se_design": num(m.se_design), "se_replication": num(m.se_replication),
                                "dof": num(m.dof), "noise_mu_star": num(m.noise), "noise_share": num(m.noise_share()),
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
            "intervals": {"level": LEVEL, "bootstrap_resamples": RESAMPLES,
                "design": "bootstrap over design rows", "replication": "jackknife over replications",
                "combined": "estimate ± t(Welch–Satterthwaite dof) × se"},
            "precision": num(self.precision),
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
            let share = if r.noise_share.is_finite() {
                format!("up to {:.2} of an interval's variance", r.noise_share)
            } else {
                "not measured".into()
            };
            s.push_str(&format!("\n{}  (replication noise: {share})\n", r.outcome));
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
        s.push_str("\n~ = the 95% interval (design and replication noise together) reaches 0: cannot be told from no effect\n");
        s
    }
}
