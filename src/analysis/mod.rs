//! Experiments over the parameter space of a scenario: sweeps, global sensitivity analysis and
//! scenario discovery (methods and references in `docs/analysis.md`).
//!
//! | module | what |
//! |--------|------|
//! | [`design`] | full-factorial grid, Latin hypercube, Saltelli (Sobol sequence) and Morris designs on the unit cube |
//! | [`outcome`] | the outcome selectors (`final_gdp_share.telecom.CN`, `fragmentation`, ...) read from a run |
//! | [`sobol`] | first-order (Saltelli 2010) and total (Jansen 1999) indices of the mean response, products taken between replications |
//! | [`morris`] | elementary effects: mu, mu* (Campolongo et al. 2007) and sigma |
//! | [`replicated`] | intervals that carry the design's and the replications' variation (bootstrap over rows, jackknife over replications) |
//! | [`effects`] | the sweep's main effects with the same two parts in their bands |
//! | [`precision`] | `--precision`: the replications (or design size) an interval of a given half-width needs, and the warning |
//! | [`prim`] | PRIM peeling and pasting (Friedman & Fisher 1999) |
//! | [`table`] | the CSV and Parquet tables every command writes |
//! | [`load`] | reading those outputs back, for `blocsim plot DIR` |
//! | [`sweep`], [`sensitivity`], [`discover`] | the three experiments: run, and write their tables (charts: [`crate::plot::analysis`], drawn by [`crate::commands`]) |
//!
//! The estimators take plain numbers (a design and its outputs), so they are tested on analytic
//! functions; this module binds them to the simulator: [`Loader`] turns a design point into a
//! validated [`Model`] (the scenario with the point's values written at their key paths before
//! validation, exactly like `--set`), and [`evaluate`] runs R replications of every point on common
//! random numbers — replication r of every point is run r of the master seed — in parallel, reducing
//! in point order, so results do not depend on the number of threads.

pub mod design;
pub mod discover;
pub mod effects;
pub mod indices;
pub mod load;
pub mod morris;
pub mod outcome;
pub mod precision;
pub mod prim;
pub mod replicated;
pub mod sensitivity;
pub mod sobol;
pub mod sweep;
pub mod table;

use std::path::PathBuf;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::model::Model;
use crate::progress::Progress;
use crate::rng::Generator;
use crate::run::run_one;
use crate::scenario::overrides::{self, Override};
use crate::scenario::{Dist, Scenario, WorldSpec, bundled, validate};
use crate::world::World;
pub use outcome::Outcome;

/// A parameter of an experiment: a scenario key path and the range it is varied over.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamRange {
    /// Key path, as accepted by `--set` (`choice.lambda`, `framework.CN.sponsor.budget`).
    pub key: String,
    /// Lowest value of the range.
    pub lo: f64,
    /// Highest value of the range.
    pub hi: f64,
    /// The key takes whole numbers: design values are rounded to the nearest integer.
    pub integer: bool,
}

impl ParamRange {
    /// Parse `PATH=LO:HI` (the key is checked later, against the scenario).
    pub fn parse(text: &str) -> Result<ParamRange> {
        let bad = |m: &str| Error::Usage(format!("--param {text}: {m}"));
        let (key, range) = text
            .split_once('=')
            .ok_or_else(|| bad("expected PATH=LO:HI, e.g. choice.lambda=1:3"))?;
        let (lo, hi) = range.split_once(':').ok_or_else(|| bad("expected LO:HI after `=`, e.g. 1:3"))?;
        let num = |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        let (Some(lo), Some(hi)) = (num(lo), num(hi)) else {
            return Err(bad("LO and HI must be finite numbers"));
        };
        if lo >= hi {
            return Err(bad("expected LO < HI"));
        }
        // Normalise the key the way --set does (and refuse malformed paths early).
        let key = overrides::parse(&format!("{}=0", key.trim())).map_err(|e| bad(&e.to_string()))?.key;
        Ok(ParamRange {
            key,
            lo,
            hi,
            integer: false,
        })
    }

    /// The value at unit coordinate `u` in [0, 1]: `lo + u (hi - lo)`, rounded for integer keys.
    pub fn at(&self, u: f64) -> f64 {
        let v = self.lo + u * (self.hi - self.lo);
        if self.integer {
            v.round().clamp(self.lo.ceil(), self.hi.floor())
        } else {
            v
        }
    }

    /// The `--set` text that writes `value` at this key.
    pub fn override_text(&self, value: f64) -> String {
        if self.integer {
            format!("{}={}", self.key, value.round() as i64)
        } else {
            format!("{}={:?}", self.key, value)
        }
    }
}

/// The parameters of a scenario's uncertain draws, as ranges: the default parameter set of
/// `blocsim sensitivity` when no `--param` is given. Bounded distributions (uniform, triangular,
/// beta) give their support; a normal gives mean ± 2 sd; a log-normal exp(mu ± 2 sigma); a joint
/// coordinate its marginal's range ([`crate::scenario::Joint::range`]). The analysis varies each
/// uniformly over this range (the distribution's shape, and a joint set's correlations, are not
/// used).
pub fn uncertain_ranges(s: &Scenario) -> Vec<ParamRange> {
    s.uncertain
        .iter()
        .map(|u| {
            let (lo, hi) = match u.dist {
                Dist::Normal { mean, sd } => (mean - 2.0 * sd, mean + 2.0 * sd),
                Dist::Lognormal { mu, sigma } => ((mu - 2.0 * sigma).exp(), (mu + 2.0 * sigma).exp()),
                Dist::Joint { ref set } => s.joint_coordinate(set, &u.key).map_or((f64::NAN, f64::NAN), |(j, i)| j.range(i)),
                ref d => d.support(),
            };
            ParamRange {
                key: u.key.clone(),
                lo,
                hi,
                integer: false,
            }
        })
        .collect()
}

/// Builds the model of any design point: the scenario text read once, the user's `--set`
/// overrides, then the point's values, validated together. The world is built once and reused for
/// every point whose world settings equal the base scenario's.
pub struct Loader {
    path: PathBuf,
    text: String,
    base_dir: Option<PathBuf>,
    sets: Vec<Override>,
    world_spec: WorldSpec,
    world: World,
    /// The scenario with the user's overrides only.
    pub base: Model,
}

impl Loader {
    /// Read scenario `name_or_path` with `--set` overrides `sets`.
    pub fn new(name_or_path: &str, sets: &[String]) -> Result<Loader> {
        let (path, text, base_dir) = bundled::resolve(name_or_path)?;
        let sets = sets.iter().map(|s| overrides::parse(s)).collect::<Result<Vec<_>>>()?;
        let scenario = validate::from_text(&path, &text, base_dir.as_deref(), &sets)?;
        let base = crate::footprint::load_model(scenario)?;
        Ok(Loader {
            path,
            text,
            base_dir,
            sets,
            world_spec: base.scenario.world.clone(),
            world: base.world.clone(),
            base,
        })
    }

    fn scenario_with(&self, extra: &[String]) -> Result<Scenario> {
        let mut all = self.sets.clone();
        for e in extra {
            all.push(overrides::parse(e)?);
        }
        validate::from_text(&self.path, &self.text, self.base_dir.as_deref(), &all)
    }

    /// Decide for every parameter whether its key takes whole numbers: the scenario is validated
    /// with the middle of the range written as a fraction; a key that refuses it but accepts the
    /// rounded value is an integer key. A key that accepts neither is reported.
    pub fn resolve(&self, params: &mut [ParamRange]) -> Result<()> {
        for p in params.iter_mut() {
            let mid = 0.5 * (p.lo + p.hi);
            let frac = if mid.fract() == 0.0 { mid + 0.25 } else { mid };
            let float = ParamRange {
                integer: false,
                ..p.clone()
            };
            match self.scenario_with(&[float.override_text(frac)]) {
                Ok(_) => p.integer = false,
                Err(float_err) => {
                    let int = ParamRange {
                        integer: true,
                        ..p.clone()
                    };
                    if p.hi.floor() >= p.lo.ceil() && self.scenario_with(&[int.override_text(mid.round())]).is_ok() {
                        p.integer = true;
                    } else {
                        return Err(Error::Usage(format!("--param {}={}:{}: {float_err}", p.key, p.lo, p.hi)));
                    }
                }
            }
        }
        Ok(())
    }

    /// The validated model of design point `point` (number used in error messages) with values `values`.
    pub fn model_at(&self, params: &[ParamRange], values: &[f64], point: usize) -> Result<Model> {
        let extra: Vec<String> = params.iter().zip(values).map(|(p, v)| p.override_text(*v)).collect();
        let scenario = self
            .scenario_with(&extra)
            .map_err(|e| Error::Usage(format!("design point {point} ({}): {e}", extra.join(", "))))?;
        let world = if scenario.world == self.world_spec {
            self.world.clone()
        } else {
            World::build(&scenario.world)?
        };
        Model::build(scenario, world).map_err(|e| Error::Usage(format!("design point {point} ({}): {e}", extra.join(", "))))
    }
}

/// How to run an experiment.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Master seed: replication r of every point is run r of this seed.
    pub seed: u64,
    /// Replications per design point.
    pub runs: u64,
    /// Worker threads (None: one per core).
    pub threads: Option<usize>,
}

/// Design points whose models are held at once (bounds memory whatever the design size).
const BLOCK: usize = 128;
/// Runs handed to the thread pool at once, per thread.
const CHUNK: usize = 64;

/// Run `plan.runs` replications of every design point (`points[p]` = parameter values) and call
/// `sink(p, values)` for every point in order, with `values[r * O + o]` = outcome o of replication r.
///
/// Points are processed in blocks of 128; within a block, runs go replication-major (replication 0
/// of every point, then replication 1, ...), in parallel chunks whose results are placed by index,
/// so the numbers do not depend on the thread count and a stopped experiment has a balanced
/// sample. Only the selected outcome values are kept, never whole run outcomes. `progress(done)`
/// is called with the number of runs finished. Returns the number of threads used.
pub fn evaluate(
    loader: &Loader,
    params: &[ParamRange],
    points: &[Vec<f64>],
    outcomes: &[Outcome],
    plan: &Plan,
    progress: &dyn Progress,
    sink: &mut dyn FnMut(usize, &[f64]) -> Result<()>,
) -> Result<usize> {
    if plan.runs == 0 {
        return Err(Error::Usage("--runs must be at least 1".into()));
    }
    let pool = crate::batch::thread_pool(plan.threads)?;
    let threads = pool.current_num_threads();
    let r_count = plan.runs as usize;
    let o_count = outcomes.len();
    let mut done = 0u64;
    let mut b0 = 0;
    while b0 < points.len() {
        let b1 = (b0 + BLOCK).min(points.len());
        let models: Vec<Result<Model>> =
            pool.install(|| (b0..b1).into_par_iter().map(|p| loader.model_at(params, &points[p], p)).collect());
        let models = models.into_iter().collect::<Result<Vec<Model>>>()?;
        let width = b1 - b0;
        let tasks: Vec<(usize, usize)> = (0..r_count).flat_map(|r| (0..width).map(move |p| (p, r))).collect();
        let mut values = vec![0.0; width * r_count * o_count];
        for chunk in tasks.chunks(CHUNK * threads) {
            let out: Vec<Vec<f64>> = pool.install(|| {
                chunk
                    .par_iter()
                    .map(|&(p, r)| {
                        let m = &models[p];
                        let o = run_one(m, plan.seed, r as u64);
                        progress.run_done();
                        outcomes.iter().map(|sel| sel.value(&o, &m.layout)).collect()
                    })
                    .collect()
            });
            for (&(p, r), v) in chunk.iter().zip(out) {
                let at = (p * r_count + r) * o_count;
                values[at..at + o_count].copy_from_slice(&v);
            }
            done += chunk.len() as u64;
            crate::progress::chunk_done(progress, done)?;
        }
        for p in 0..width {
            sink(b0 + p, &values[p * r_count * o_count..(p + 1) * r_count * o_count])?;
        }
        b0 = b1;
    }
    Ok(threads)
}

/// Summary of one outcome's replications at one design point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointStats {
    /// Mean across replications.
    pub mean: f64,
    /// Sample standard deviation across replications (NaN for one replication).
    pub sd: f64,
    /// Standard error of the mean, sd / sqrt(R).
    pub se: f64,
    /// 5th percentile across replications.
    pub p05: f64,
    /// Median across replications.
    pub p50: f64,
    /// 95th percentile across replications.
    pub p95: f64,
}

impl PointStats {
    /// Statistics of `xs` (in replication order; sums are taken in that order).
    pub fn of(xs: &[f64]) -> PointStats {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let sd = if xs.len() > 1 {
            (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            f64::NAN
        };
        let mut sorted = xs.to_vec();
        sorted.sort_by(f64::total_cmp);
        PointStats {
            mean,
            sd,
            se: sd / n.sqrt(),
            p05: quantile(&sorted, 0.05),
            p50: quantile(&sorted, 0.5),
            p95: quantile(&sorted, 0.95),
        }
    }
}

/// Quantile of sorted data by linear interpolation between order statistics (Hyndman & Fan type 7).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Variance of the replication noise that differs between design points, from the runs of every
/// point (`values_by_point[p][r]`, the same R for all points). Under common random numbers run r of
/// every point shares its random numbers, so a run's outcome is y_pr = mu + a_p + b_r + e_pr: b_r moves
/// every point alike and cancels in any comparison of points; only e_pr, the point-by-replication
/// interaction, is noise for the estimators. Its variance is estimated by the residual mean square
/// of the two-way layout, Σ (y_pr − ȳ_p· − ȳ_·r + ȳ)² / ((P − 1)(R − 1)). NaN when P < 2 or R < 2.
pub fn noise_variance(values_by_point: &[Vec<f64>]) -> f64 {
    let p_count = values_by_point.len();
    let r = values_by_point.first().map_or(0, Vec::len);
    if r < 2 || p_count < 2 {
        return f64::NAN;
    }
    let point_means: Vec<f64> = values_by_point.iter().map(|v| v.iter().sum::<f64>() / r as f64).collect();
    let rep_means: Vec<f64> = (0..r)
        .map(|j| values_by_point.iter().map(|v| v[j]).sum::<f64>() / p_count as f64)
        .collect();
    let grand = point_means.iter().sum::<f64>() / p_count as f64;
    let ss: f64 = values_by_point
        .iter()
        .zip(&point_means)
        .map(|(v, pm)| v.iter().zip(&rep_means).map(|(y, rm)| (y - pm - rm + grand).powi(2)).sum::<f64>())
        .sum();
    ss / ((p_count - 1) * (r - 1)) as f64
}

/// The expected share of replication noise in the variance of the point means, for one outcome:
/// n / (n + V_f) with n = [`noise_variance`] / R, the noise variance of a mean of R runs, and V_f
/// the variance of the mean response across points, estimated from products of *different*
/// replications (the mean over r ≠ s of the sample covariance across points of y_·r and y_·s; under
/// common random numbers a stream's shift cancels in it and its noise averages out) and floored at
/// 0. In [0, 1] by construction: near 0 the design explains the spread, 1 means the point means
/// differ no more than noise would make them. (Dividing n by the realised spread of the point means
/// instead, as before, mixes an expectation with one draw of the R shared streams and can exceed 1.)
/// NaN when it cannot be estimated (one replication, one point, or no spread at all).
pub fn noise_share(values_by_point: &[Vec<f64>]) -> f64 {
    let r = values_by_point.first().map_or(0, Vec::len);
    let noise = noise_variance(values_by_point);
    if !noise.is_finite() {
        return f64::NAN;
    }
    let n = noise / r as f64;
    // Mean over pairs r ≠ s of the covariance across points: (R² Var(ȳ) − Σ_r Var(y_·r)) / (R(R − 1)).
    let var = |xs: &[f64]| {
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0)
    };
    let means: Vec<f64> = values_by_point.iter().map(|v| v.iter().sum::<f64>() / r as f64).collect();
    let own: f64 = (0..r).map(|j| var(&values_by_point.iter().map(|v| v[j]).collect::<Vec<_>>())).sum();
    let rf = r as f64;
    let signal = ((rf * rf * var(&means) - own) / (rf * (rf - 1.0))).max(0.0);
    if n + signal > 0.0 { n / (n + signal) } else { f64::NAN }
}

/// The generator of a design (LHS permutations, Morris trajectories, bootstrap resamples): stream
/// `u64::MAX` of the master seed, a stream slot no run ever uses (runs use slots 4r..4r+2).
pub fn design_rng(seed: u64, purpose: u64) -> Generator {
    let mut g = crate::rng::seeded(seed ^ purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    g.set_stream(u64::MAX);
    g
}

/// The default output directory of an experiment: `output/<scenario>/<what>`.
pub fn default_dir(scenario: &str, what: &str) -> PathBuf {
    PathBuf::from("output").join(scenario).join(what)
}

/// Replications per design point when `--runs` is not given.
pub const EXPERIMENT_RUNS: u64 = 10;

/// Common settings of the experiment commands (`sweep`, `sensitivity`), as given on the command line.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// The scenario and the overrides applied at every design point.
    #[command(flatten)]
    pub source: crate::options::Source,
    /// A parameter and its range, e.g. --param choice.lambda=1:4 (repeatable; sweep: at least one;
    /// sensitivity: default the scenario's uncertain parameters).
    #[arg(long = "param", value_name = "PATH=LO:HI")]
    pub params: Vec<String>,
    /// An outcome to study, by its name (repeatable; default: every final_gdp_share,
    /// fragmentation, hedging).
    #[arg(long = "outcome", value_name = "NAME")]
    pub outcomes: Vec<String>,
    /// Replications per design point (None: [`EXPERIMENT_RUNS`]), master seed (None: the
    /// scenario's batch.seed) and worker threads.
    #[command(flatten)]
    pub plan: crate::options::Plan,
    /// Output directory (None: `output/<scenario>/<command>`).
    #[command(flatten)]
    pub output: crate::options::Output,
    /// The command line, for the manifest (set by the caller).
    #[arg(skip)]
    pub command: Vec<String>,
}

/// What an experiment command prepared before running: the loader, the resolved parameters and
/// outcomes, the plan and the output directory (checked).
pub struct Prepared {
    /// Loads and varies the scenario.
    pub loader: Loader,
    /// The varied parameters, resolved.
    pub params: Vec<ParamRange>,
    /// The outcomes recorded, resolved.
    pub outcomes: Vec<Outcome>,
    /// Design points and replications.
    pub plan: Plan,
    /// The output directory, checked.
    pub dir: PathBuf,
    /// The output directory's lock, held until the command is done.
    pub lock: crate::outdir::DirLock,
}

/// Load the scenario, parse and resolve parameters and outcomes, and check the output directory;
/// `default_params` gives the parameters when none were given.
pub fn prepare(s: &Settings, what: &str, default_params: fn(&Scenario) -> Vec<ParamRange>) -> Result<Prepared> {
    let max = crate::scenario::validate::MAX_RUNS;
    let runs = s.plan.runs().unwrap_or(EXPERIMENT_RUNS);
    if !(1..=max).contains(&runs) {
        return Err(Error::Usage(format!("--runs {runs}: expected 1 to {max}")));
    }
    if s.plan.threads == Some(0) {
        return Err(Error::Usage("--threads 0: expected at least 1".into()));
    }
    let loader = Loader::new(&s.source.scenario, s.source.sets())?;
    let mut params = if s.params.is_empty() {
        default_params(&loader.base.scenario)
    } else {
        s.params.iter().map(|t| ParamRange::parse(t)).collect::<Result<Vec<_>>>()?
    };
    for (i, p) in params.iter().enumerate() {
        if params[..i].iter().any(|q| q.key == p.key) {
            return Err(Error::Usage(format!("--param {}: given twice", p.key)));
        }
    }
    loader.resolve(&mut params)?;
    let outcomes = Outcome::parse_all(&s.outcomes, &loader.base.labels())?;
    let dir = s
        .output
        .out
        .clone()
        .unwrap_or_else(|| default_dir(&loader.base.scenario.name, what));
    let lock = crate::outdir::prepare(&dir, s.output.force)?;
    let plan = Plan {
        seed: s.plan.seed().unwrap_or(loader.base.scenario.batch.seed),
        runs,
        threads: s.plan.threads,
    };
    Ok(Prepared {
        loader,
        params,
        outcomes,
        plan,
        dir,
        lock,
    })
}

/// Write `manifest.json` for an experiment of `total_runs` runs, listing `files` (and itself).
pub fn write_manifest(
    p: &Prepared,
    s: &Settings,
    total_runs: u64,
    threads: usize,
    wall_seconds: f64,
    mut files: Vec<String>,
) -> Result<()> {
    files.push("manifest.json".into());
    let opts = crate::batch::BatchOptions {
        runs: total_runs,
        seed: p.plan.seed,
        threads: p.plan.threads,
        shard: None,
        detail: false,
        out: Some(p.dir.clone()),
        command: s.command.clone(),
    };
    let mut m = crate::batch::manifest(&p.loader.base, &opts, threads, wall_seconds, files);
    m.write(&p.dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_param_ranges() {
        let p = ParamRange::parse("choice.lambda=1:3").unwrap();
        assert_eq!((p.key.as_str(), p.lo, p.hi), ("choice.lambda", 1.0, 3.0));
        assert!(ParamRange::parse("choice.lambda=3:1").is_err());
        assert!(ParamRange::parse("choice.lambda=1").is_err());
        assert!(ParamRange::parse("choice.lambda=a:2").is_err());
        assert!(ParamRange::parse("a..b=1:2").is_err());
        let q = ParamRange { integer: true, ..p };
        assert_eq!(q.at(0.3), 2.0);
        assert_eq!(q.override_text(2.0), "choice.lambda=2");
    }

    #[test]
    fn integer_keys_are_detected_and_bad_keys_refused() {
        let loader = Loader::new("baseline", &[]).unwrap();
        let mut ps = vec![
            ParamRange::parse("choice.lambda=1:3").unwrap(),
            ParamRange::parse("time.end=2030:2040").unwrap(),
        ];
        loader.resolve(&mut ps).unwrap();
        assert!(!ps[0].integer);
        assert!(ps[1].integer);
        let mut bad = vec![ParamRange::parse("choice.no_such_key=1:2").unwrap()];
        let e = loader.resolve(&mut bad).unwrap_err().to_string();
        assert!(e.contains("no_such_key"), "{e}");
        let e = loader.model_at(&ps, &[-5.0, 2035.0], 7).unwrap_err().to_string();
        assert!(e.contains("design point 7") && e.contains("choice.lambda"), "{e}");
    }

    #[test]
    fn noise_share_of_a_synthetic_stochastic_model() {
        // y_pr = x_p + b_r + e_pr with x ~ U(0,1), a common-random-number shift b_r ~ N(0, 1) shared by
        // every point in replication r, and independent e ~ N(0, 0.5²); R = 4. The shift cancels
        // between points, so the share is (0.25/4) / (1/12 + 0.25/4) = 3/7. Its standard error, from
        // the relative errors of the two variance estimates (√(2/(P(R−1))) and √(2/P) with P = 2000,
        // about 0.018 and 0.032), is about 0.016; the band is four of them.
        use rand::RngExt;
        use rand_distr::{Distribution, Normal};
        let mut rng = crate::rng::seeded(8);
        let e = Normal::new(0.0, 0.5).unwrap();
        let b: Vec<f64> = (0..4).map(|_| Normal::new(0.0, 1.0).unwrap().sample(&mut rng)).collect();
        let ys: Vec<Vec<f64>> = (0..2000)
            .map(|_| {
                let x: f64 = rng.random();
                b.iter().map(|br| x + br + e.sample(&mut rng)).collect()
            })
            .collect();
        let share = noise_share(&ys);
        assert!((share - 3.0 / 7.0).abs() < 4.0 * 0.016, "{share}");
        assert!(
            (noise_variance(&ys) - 0.25).abs() < 4.0 * 0.25 * (2.0f64 / 6000.0).sqrt(),
            "{}",
            noise_variance(&ys)
        );
    }

    #[test]
    fn quantiles_and_noise_share() {
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.5), 3.0);
        assert_eq!(quantile(&[1.0, 2.0], 0.25), 1.25);
        // Two points, no replication noise: share 0; identical point means: undefined.
        assert_eq!(noise_share(&[vec![1.0, 1.0], vec![3.0, 3.0]]), 0.0);
        assert!(noise_share(&[vec![1.0, 3.0], vec![1.0, 3.0]]).is_nan());
        // Noise common to all points in a replication (common random numbers) is not noise between points.
        assert!(noise_variance(&[vec![1.0, 5.0, 2.0], vec![3.0, 7.0, 4.0], vec![0.0, 4.0, 1.0]]) < 1e-24);
        // Point-by-replication noise is: y = ±1 in a checkerboard has residual mean square
        // Σ 1² / ((P−1)(R−1)) = 4 / 1 for a 2 × 2 layout.
        assert_eq!(noise_variance(&[vec![1.0, -1.0], vec![-1.0, 1.0]]), 4.0);
    }
}
