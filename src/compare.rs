//! Scenario comparison on common random numbers: run r of the baseline and run r of the alternative
//! use the same random streams (seed, run), so their outcomes are paired and the difference of a
//! pair carries only the effect of the change plus the noise the change itself sets off.
//!
//! For every outcome that the outcome registry marks as compared ([`crate::outcomes`]: final count
//! and GDP shares per domain and framework, fragmentation per domain and overall, hedging) the
//! comparison reports the mean of each scenario, the mean paired
//! difference with its standard error and a 95% confidence interval from Student's t with R − 1
//! degrees of freedom, and the share of runs in which the alternative is higher (and lower). Per
//! state and domain it reports how far the probabilities of the frameworks move, so the states
//! whose alignment changes most can be listed. Sums run in run order, so the result does not depend
//! on the number of threads.
//!
//! The sums are resumable ([`PairedSums`]): a caller may add runs chunk by chunk, read the
//! provisional comparison of the runs so far, and keep the baseline's [`RunPoint`]s to pair them
//! with another alternative later (what `blocsim serve` does); after all runs the result is the
//! one [`compare`] returns, byte for byte.
//!
//! Draws of uncertain parameters are paired by position: when both scenarios declare the same
//! uncertain parameters in the same order, run r draws the same values in both.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Map, Value, json};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::error::{Error, Result};
use crate::export;
use crate::metrics::RunOutcome;
use crate::model::Model;
use crate::run::run_one;

/// Confidence level of the reported intervals.
pub const CONFIDENCE: f64 = 0.95;

/// What a comparison should do.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Paired runs (at least 2).
    pub runs: u64,
    /// Master seed of both scenarios' runs.
    pub seed: u64,
    /// Worker threads (None: one per core).
    pub threads: Option<usize>,
}

/// One compared outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeDiff {
    /// The outcome's canonical name (`final_share.cloud.US`, `fragmentation`...).
    pub outcome: String,
    /// Its family: `final_share`, `final_gdp_share`, `fragmentation_by_domain`, `fragmentation`
    /// or `hedging`.
    pub family: &'static str,
    /// Domain name (empty for whole-world indices).
    pub domain: String,
    /// Framework name (empty for indices).
    pub framework: String,
    /// Mean of the outcome over the baseline's runs.
    pub baseline_mean: f64,
    /// Mean of the outcome over the alternative's runs.
    pub alternative_mean: f64,
    /// Mean of alternative − baseline over paired runs.
    pub diff_mean: f64,
    /// Sample standard deviation of the paired differences.
    pub diff_sd: f64,
    /// Standard error of the mean difference, sd / √R.
    pub se: f64,
    /// Lower end of the 95% interval of the mean difference (Student t, R − 1 degrees of freedom).
    pub ci_low: f64,
    /// Upper end of that interval.
    pub ci_high: f64,
    /// Share of runs in which the alternative is strictly higher.
    pub p_higher: f64,
    /// Share of runs in which the alternative is strictly lower.
    pub p_lower: f64,
}

/// How much one state's alignment in one domain moves between the scenarios.
#[derive(Debug, Clone, PartialEq)]
pub struct StateShift {
    /// State identifier (ISO3 code for countries).
    pub state: String,
    /// State name.
    pub name: String,
    /// Domain name.
    pub domain: String,
    /// Probability of each framework at the horizon under the baseline and the alternative.
    pub baseline: Vec<f64>,
    /// The same under the alternative.
    pub alternative: Vec<f64>,
    /// Total variation distance between the two: half the sum of absolute differences.
    pub shift: f64,
}

/// The result of a comparison.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The baseline's scenario name.
    pub baseline: String,
    /// The alternative's scenario name.
    pub alternative: String,
    /// Paired runs.
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// Framework names, in scenario order.
    pub frameworks: Vec<String>,
    /// Every compared outcome, in registry order.
    pub outcomes: Vec<OutcomeDiff>,
    /// Every state and domain, largest shift first (ties by state then domain order).
    pub states: Vec<StateShift>,
}

/// Paired running sums of one outcome, accumulated in run order.
#[derive(Debug, Clone, Default)]
struct Paired {
    base: f64,
    alt: f64,
    diff: f64,
    diff_sq: f64,
    higher: u64,
    lower: u64,
}

/// What a comparison keeps of one run of one scenario: the paired outcomes (in the order of
/// [`compared`]) and each state's framework per domain at the horizon. A server keeps these
/// for a baseline and pairs any later alternative with them.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPoint {
    /// The paired outcomes, in the order of the compared outcomes of the registry.
    pub values: Vec<f64>,
    /// `final_alignment` of the run: framework index per (domain, state), domain-major.
    pub alignment: Vec<u8>,
}

impl RunPoint {
    /// The paired outcomes of one run of `model`.
    pub fn of(model: &Model, o: &RunOutcome) -> RunPoint {
        RunPoint {
            values: outcome_values(model, o),
            alignment: o.final_alignment.clone(),
        }
    }

    /// Bytes held.
    pub fn footprint(&self) -> usize {
        self.values.len() * 8 + self.alignment.len() + std::mem::size_of::<Self>()
    }
}

/// The paired outcomes of one run, in the order of [`compared`] (NaN where a run has none).
fn outcome_values(model: &Model, o: &RunOutcome) -> Vec<f64> {
    compared(model)
        .iter()
        .map(|c| c.value(o, &model.layout).unwrap_or(f64::NAN))
        .collect()
}

/// The outcomes a comparison pairs, in registry order.
fn compared(model: &Model) -> Vec<crate::outcomes::Outcome> {
    crate::outcomes::expand(&model.layout, |f| f.uses.compared)
}

/// (canonical name, family, domain, framework) of each paired outcome.
fn outcome_labels(model: &Model) -> Vec<Label> {
    let s = &model.scenario;
    let name = |i: Option<usize>, names: &[String]| i.map_or(String::new(), |i| names[i].clone());
    compared(model)
        .iter()
        .map(|o| Label {
            outcome: o.name(&s.domains, &s.frameworks),
            family: o.family().name,
            domain: name(o.domain_index(), &s.domains),
            framework: name(o.framework_index(), &s.frameworks),
        })
        .collect()
}

/// The names of one paired outcome.
#[derive(Debug, Clone)]
struct Label {
    outcome: String,
    family: &'static str,
    domain: String,
    framework: String,
}

/// Refuse pairs of scenarios whose outcomes cannot be paired.
pub fn check_comparable(base: &Model, alt: &Model) -> Result<()> {
    let (a, b) = (&base.scenario, &alt.scenario);
    let mismatch = |what: &str, x: String, y: String| {
        Err(Error::Usage(format!(
            "cannot compare {} with {}: different {what} ({x} vs {y})",
            a.name, b.name
        )))
    };
    if a.frameworks != b.frameworks {
        return mismatch("frameworks", a.frameworks.join(","), b.frameworks.join(","));
    }
    if a.domains != b.domains {
        return mismatch("domains", a.domains.join(","), b.domains.join(","));
    }
    if (a.start, a.end) != (b.start, b.end) {
        return mismatch("horizons", format!("{}-{}", a.start, a.end), format!("{}-{}", b.start, b.end));
    }
    if base.world.ids != alt.world.ids {
        return mismatch(
            "worlds",
            format!("{} states", base.world.len()),
            format!("{} states", alt.world.len()),
        );
    }
    Ok(())
}

/// Runs handed to the thread pool at once.
pub const CHUNK: u64 = 256;

/// The resumable state of a comparison: paired sums over the runs added so far, in run order.
/// Adding runs 0..R one at a time, in chunks of any size, or all at once gives the same sums, so
/// [`PairedSums::comparison`] after R runs is byte for byte what [`compare`] returns for R runs; in
/// between, it is the comparison of the runs done so far (a provisional result).
#[derive(Debug, Clone)]
pub struct PairedSums {
    baseline: String,
    alternative: String,
    seed: u64,
    frameworks: Vec<String>,
    domains: Vec<String>,
    ids: Vec<String>,
    names: Vec<String>,
    labels: Vec<Label>,
    sums: Vec<Paired>,
    base_counts: Vec<u64>,
    alt_counts: Vec<u64>,
    runs: u64,
}

impl PairedSums {
    /// Empty sums for a comparison of `alt` with `base` from `seed` (refused if they cannot be paired).
    pub fn new(base: &Model, alt: &Model, seed: u64) -> Result<PairedSums> {
        check_comparable(base, alt)?;
        let l = base.layout;
        let labels = outcome_labels(base);
        let cells = l.domains * l.states * l.frameworks;
        Ok(PairedSums {
            baseline: base.scenario.name.clone(),
            alternative: alt.scenario.name.clone(),
            seed,
            frameworks: base.scenario.frameworks.clone(),
            domains: base.scenario.domains.clone(),
            ids: base.world.ids.to_vec(),
            names: base.world.all_names(),
            sums: vec![Paired::default(); labels.len()],
            labels,
            base_counts: vec![0; cells],
            alt_counts: vec![0; cells],
            runs: 0,
        })
    }

    /// Runs added so far.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Add the next run (run number [`runs`](Self::runs)) of both scenarios.
    pub fn add(&mut self, b: &RunPoint, a: &RunPoint) {
        for ((s, &x), &y) in self.sums.iter_mut().zip(&b.values).zip(&a.values) {
            let d = y - x;
            s.base += x;
            s.alt += y;
            s.diff += d;
            s.diff_sq += d * d;
            s.higher += u64::from(d > 0.0);
            s.lower += u64::from(d < 0.0);
        }
        let k = self.frameworks.len();
        for (cell, (&fb, &fa)) in b.alignment.iter().zip(&a.alignment).enumerate() {
            self.base_counts[cell * k + fb as usize] += 1;
            self.alt_counts[cell * k + fa as usize] += 1;
        }
        self.runs += 1;
    }

    /// The comparison of the runs added so far (at least 2 are needed for a standard error).
    pub fn comparison(&self) -> Result<Comparison> {
        if self.runs < 2 {
            return Err(Error::Usage(format!(
                "--runs {}: a comparison needs at least 2 runs for a standard error",
                self.runs
            )));
        }
        let r = self.runs as f64;
        let t =
            StudentsT::new(0.0, 1.0, r - 1.0).map_err(|e| Error::Usage(format!("Student t with {} degrees of freedom: {e}", r - 1.0)))?;
        let q = t.inverse_cdf(0.5 + CONFIDENCE / 2.0);
        let outcomes = self
            .labels
            .iter()
            .zip(&self.sums)
            .map(|(label, s)| {
                let mean = s.diff / r;
                // Sample variance of the differences; rounding can leave a tiny negative value.
                let var = ((s.diff_sq - r * mean * mean) / (r - 1.0)).max(0.0);
                let sd = var.sqrt();
                let se = sd / r.sqrt();
                OutcomeDiff {
                    outcome: label.outcome.clone(),
                    family: label.family,
                    domain: label.domain.clone(),
                    framework: label.framework.clone(),
                    baseline_mean: s.base / r,
                    alternative_mean: s.alt / r,
                    diff_mean: mean,
                    diff_sd: sd,
                    se,
                    ci_low: mean - q * se,
                    ci_high: mean + q * se,
                    p_higher: s.higher as f64 / r,
                    p_lower: s.lower as f64 / r,
                }
            })
            .collect();

        let (k, n) = (self.frameworks.len(), self.ids.len());
        let mut states = Vec::with_capacity(self.domains.len() * n);
        for i in 0..n {
            for (d, domain) in self.domains.iter().enumerate() {
                let cell = (d * n + i) * k;
                let pb: Vec<f64> = self.base_counts[cell..cell + k].iter().map(|&c| c as f64 / r).collect();
                let pa: Vec<f64> = self.alt_counts[cell..cell + k].iter().map(|&c| c as f64 / r).collect();
                let shift = pb.iter().zip(&pa).map(|(x, y)| (x - y).abs()).sum::<f64>() / 2.0;
                states.push(StateShift {
                    state: self.ids[i].clone(),
                    name: self.names[i].clone(),
                    domain: domain.clone(),
                    baseline: pb,
                    alternative: pa,
                    shift,
                });
            }
        }
        // Stable sort: equal shifts keep state-major order.
        states.sort_by(|a, b| b.shift.total_cmp(&a.shift));
        Ok(Comparison {
            baseline: self.baseline.clone(),
            alternative: self.alternative.clone(),
            runs: self.runs,
            seed: self.seed,
            frameworks: self.frameworks.clone(),
            outcomes,
            states,
        })
    }
}

/// Runs `runs` of `model` from `seed` on `pool`, in parallel, returned in run order.
pub fn run_points(model: &Model, seed: u64, runs: std::ops::Range<u64>, pool: &rayon::ThreadPool) -> Vec<RunPoint> {
    pool.install(|| {
        runs.into_par_iter()
            .map(|r| RunPoint::of(model, &run_one(model, seed, r)))
            .collect()
    })
}

/// Run both scenarios on common random numbers and compare them; `progress(done)` after each chunk.
pub fn compare(base: &Model, alt: &Model, opts: &CompareOptions, progress: &(dyn Fn(u64) + Sync)) -> Result<Comparison> {
    compare_with(base, alt, opts, &crate::progress::Callback(progress))
}

/// [`compare`] reporting to a [`Progress`](crate::progress::Progress), which may stop the
/// comparison between chunks.
pub fn compare_with(base: &Model, alt: &Model, opts: &CompareOptions, progress: &dyn crate::progress::Progress) -> Result<Comparison> {
    let mut sums = PairedSums::new(base, alt, opts.seed)?;
    if opts.runs < 2 {
        return Err(Error::Usage(format!(
            "--runs {}: a comparison needs at least 2 runs for a standard error",
            opts.runs
        )));
    }
    let pool = crate::batch::thread_pool(opts.threads)?;
    let l = base.layout;
    let mut start = 0;
    while start < opts.runs {
        let end = (start + crate::footprint::runs_in_flight(&l, pool.current_num_threads(), CHUNK)).min(opts.runs);
        let pairs: Vec<(RunPoint, RunPoint)> = pool.install(|| {
            (start..end)
                .into_par_iter()
                .map(|r| {
                    let (b, a) = (run_one(base, opts.seed, r), run_one(alt, opts.seed, r));
                    progress.run_done();
                    (RunPoint::of(base, &b), RunPoint::of(alt, &a))
                })
                .collect()
        });
        for (b, a) in &pairs {
            sums.add(b, a);
        }
        crate::progress::chunk_done(progress, end)?;
        start = end;
    }
    sums.comparison()
}

/// How many of the most shifted states the JSON and Markdown outputs list.
pub const TOP_STATES: usize = 15;

impl Comparison {
    /// The outcome of canonical name `name`, if compared.
    pub fn outcome(&self, name: &str) -> Option<&OutcomeDiff> {
        self.outcomes.iter().find(|o| o.outcome == name)
    }

    /// `comparison.csv`: one row per outcome, columns
    /// `outcome,family,domain,framework,baseline_mean,alternative_mean,diff_mean,diff_sd,se,ci_low,ci_high,p_higher,p_lower`.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = [
            "outcome",
            "family",
            "domain",
            "framework",
            "baseline_mean",
            "alternative_mean",
            "diff_mean",
            "diff_sd",
            "se",
            "ci_low",
            "ci_high",
            "p_higher",
            "p_lower",
        ];
        // Writing into memory cannot fail.
        let _ = w.write_record(header);
        for o in &self.outcomes {
            let numbers = [
                o.baseline_mean,
                o.alternative_mean,
                o.diff_mean,
                o.diff_sd,
                o.se,
                o.ci_low,
                o.ci_high,
                o.p_higher,
                o.p_lower,
            ];
            let mut row = vec![o.outcome.clone(), o.family.to_string(), o.domain.clone(), o.framework.clone()];
            row.extend(numbers.iter().map(f64::to_string));
            let _ = w.write_record(&row);
        }
        w.into_inner().unwrap_or_default()
    }

    /// `comparison.json`: the settings, every outcome, and the most shifted states.
    pub fn to_json(&self) -> Vec<u8> {
        let outcomes: Vec<Value> = self
            .outcomes
            .iter()
            .map(|o| {
                json!({
                    "outcome": o.outcome, "family": o.family, "domain": o.domain, "framework": o.framework,
                    "baseline_mean": o.baseline_mean, "alternative_mean": o.alternative_mean,
                    "diff_mean": o.diff_mean, "diff_sd": o.diff_sd, "se": o.se,
                    "ci_low": o.ci_low, "ci_high": o.ci_high, "p_higher": o.p_higher, "p_lower": o.p_lower,
                })
            })
            .collect();
        let states: Vec<Value> = self
            .states
            .iter()
            .take(TOP_STATES)
            .map(|s| {
                let probs = |p: &[f64]| -> Value {
                    let mut m = Map::new();
                    for (k, v) in self.frameworks.iter().zip(p) {
                        m.insert(k.clone(), json!(v));
                    }
                    Value::Object(m)
                };
                json!({
                    "state": s.state, "name": s.name, "domain": s.domain, "shift": s.shift,
                    "baseline": probs(&s.baseline), "alternative": probs(&s.alternative),
                })
            })
            .collect();
        let doc = json!({
            "baseline": self.baseline,
            "alternative": self.alternative,
            "runs": self.runs,
            "seed": self.seed,
            "confidence": CONFIDENCE,
            "outcomes": outcomes,
            "most_shifted_states": states,
        });
        let mut bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// `comparison.md`: the share differences as a readable table, then the indices and the most
    /// shifted states. Numbers in percentage points, rounded for reading (the CSV has full precision).
    pub fn to_markdown(&self) -> String {
        let pp = |x: f64| format!("{:+.1}", 100.0 * x);
        let mut md = format!(
            "# {} vs {}\n\n{} paired runs (common random numbers, seed {}). Differences are alternative − baseline \
             in percentage points at the horizon, with {:.0}% confidence intervals; P(higher) is the share of runs \
             in which the alternative is higher.\n\n",
            self.alternative,
            self.baseline,
            self.runs,
            self.seed,
            100.0 * CONFIDENCE
        );
        for (family, title) in [("final_share", "Share of states"), ("final_gdp_share", "GDP-weighted share")] {
            md.push_str(&format!("## {title}\n\n| domain | framework | baseline % | alternative % | difference (pp) | {:.0}% CI (pp) | P(higher) |\n|---|---|---:|---:|---:|---:|---:|\n", 100.0 * CONFIDENCE));
            for o in self.outcomes.iter().filter(|o| o.family == family) {
                md.push_str(&format!(
                    "| {} | {} | {:.1} | {:.1} | {} | [{}, {}] | {:.2} |\n",
                    o.domain,
                    o.framework,
                    100.0 * o.baseline_mean,
                    100.0 * o.alternative_mean,
                    pp(o.diff_mean),
                    pp(o.ci_low),
                    pp(o.ci_high),
                    o.p_higher
                ));
            }
            md.push('\n');
        }
        md.push_str("## Indices\n\n| outcome | domain | baseline | alternative | difference | 95% CI | P(higher) |\n|---|---|---:|---:|---:|---:|---:|\n");
        for o in self.outcomes.iter().filter(|o| o.framework.is_empty()) {
            let domain = if o.domain.is_empty() { "all" } else { &o.domain };
            md.push_str(&format!(
                "| {} | {domain} | {:.3} | {:.3} | {:+.3} | [{:+.3}, {:+.3}] | {:.2} |\n",
                o.outcome, o.baseline_mean, o.alternative_mean, o.diff_mean, o.ci_low, o.ci_high, o.p_higher
            ));
        }
        md.push_str(&format!(
            "\n## States whose alignment changes most\n\nShift = total variation distance between the two scenarios' \
             probabilities of the frameworks at the horizon.\n\n| state | domain | shift | baseline ({fw}) | alternative ({fw}) |\n|---|---|---:|---|---|\n",
            fw = self.frameworks.join(" / ")
        ));
        let probs = |p: &[f64]| p.iter().map(|x| format!("{:.2}", x)).collect::<Vec<_>>().join(" / ");
        for s in self.states.iter().take(TOP_STATES) {
            md.push_str(&format!(
                "| {} ({}) | {} | {:.2} | {} | {} |\n",
                s.name,
                s.state,
                s.domain,
                s.shift,
                probs(&s.baseline),
                probs(&s.alternative)
            ));
        }
        md
    }

    /// Write `comparison.csv`, `comparison.json` and `comparison.md` into `dir`; returns their names.
    pub fn write(&self, dir: &Path) -> Result<Vec<String>> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        let files = [
            ("comparison.csv", self.to_csv()),
            ("comparison.json", self.to_json()),
            ("comparison.md", self.to_markdown().into_bytes()),
        ];
        let mut names = Vec::new();
        for (name, bytes) in files {
            export::write_atomic(&dir.join(name), &bytes)?;
            names.push(name.to_string());
        }
        Ok(names)
    }
}

/// Default output directory of a comparison: `output/compare/<baseline>--<alternative>/`.
pub fn default_dir(base: &str, alt: &str) -> PathBuf {
    PathBuf::from("output")
        .join("compare")
        .join(format!("{}--{}", base.replace('/', "_"), alt.replace('/', "_")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use proptest::prelude::*;

    fn model(name: &str, sets: &[&str]) -> Model {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        Model::from_scenario(Scenario::load(name, &sets).unwrap()).unwrap()
    }

    const RUNS: u64 = 9;
    const SEED: u64 = 17;

    fn one_shot(base: &Model, alt: &Model) -> Vec<u8> {
        let opts = CompareOptions {
            runs: RUNS,
            seed: SEED,
            threads: Some(2),
        };
        compare(base, alt, &opts, &|_| {}).unwrap().to_json()
    }

    #[test]
    fn fewer_than_two_runs_give_no_comparison() {
        let m = model("baseline", &[]);
        let mut sums = PairedSums::new(&m, &m, 1).unwrap();
        assert!(sums.comparison().is_err());
        let pool = crate::batch::thread_pool(Some(1)).unwrap();
        let p = run_points(&m, 1, 0..1, &pool);
        sums.add(&p[0], &p[0]);
        assert!(sums.comparison().unwrap_err().to_string().contains("at least 2 runs"));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 6, rng_seed: proptest::test_runner::RngSeed::Fixed(7), ..ProptestConfig::default() })]
        /// Runs added in chunks of any sizes, the baseline's computed once and reused, give the
        /// one-shot comparison byte for byte; every provisional result covers exactly the runs so far.
        #[test]
        fn chunked_sums_equal_the_one_shot_comparison(sizes in proptest::collection::vec(1u64..5, 1..8)) {
            use std::sync::OnceLock;
            static MODELS: OnceLock<(Model, Model, Vec<u8>)> = OnceLock::new();
            let (base, alt, expected) = MODELS.get_or_init(|| {
                let (b, a) = (model("baseline", &[]), model("dsr-surge", &["choice.lambda=2.2"]));
                let e = one_shot(&b, &a);
                (b, a, e)
            });
            let pool = crate::batch::thread_pool(Some(2)).unwrap();
            let baseline = run_points(base, SEED, 0..RUNS, &pool);
            let mut sums = PairedSums::new(base, alt, SEED).unwrap();
            let mut sizes = sizes.into_iter().cycle();
            let mut done = 0;
            while done < RUNS {
                let end = (done + sizes.next().unwrap()).min(RUNS);
                for (r, a) in (done..end).zip(run_points(alt, SEED, done..end, &pool)) {
                    sums.add(&baseline[r as usize], &a);
                }
                done = end;
                if done >= 2 {
                    prop_assert_eq!(sums.comparison().unwrap().runs, done);
                }
            }
            prop_assert_eq!(&sums.comparison().unwrap().to_json(), expected);
        }
    }
}
