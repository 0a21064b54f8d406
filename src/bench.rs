//! Throughput measurement: `blocsim bench`.
//!
//! Runs a scenario (by default the bundled benchmark model `bench/logit-network`) through the general
//! engine at chosen world sizes and thread counts and reports agent-updates per second, where one
//! agent-update is one agent (state) in one domain for one simulated year: N·D·T·R updates per batch
//! of R runs of T steps (D = 1 for the benchmark model, so N·T·R). Each configuration is run
//! `warmup` times unmeasured, then `repeats` times; every figure reported is the median over the
//! repeats. Setup (building the world and model once, then each run's own set-up) and stepping are
//! timed separately. See `docs/performance.md` for how the figures are used.

use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::batch::thread_pool;
use crate::error::{Error, Result};
use crate::metrics::Layout;
use crate::run::{parts_per_run, run_timed};
use crate::scenario::{Scenario, WorldSource};

/// What to measure (the flags of `bench`).
#[derive(Debug, Clone, clap::Args)]
pub struct BenchOptions {
    /// Scenario file (TOML) or bundled scenario name.
    #[arg(default_value = "bench/logit-network")]
    pub scenario: String,
    /// Scenario overrides applied before the sizes.
    #[command(flatten)]
    pub set: crate::options::Sets,
    /// World sizes to measure (synthetic worlds), comma-separated; empty: the scenario's own size.
    #[arg(long, value_delimiter = ',', default_value = "1000,100000,1000000")]
    pub agents: Vec<usize>,
    /// Steps per run (default: the scenario's).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Runs per measurement (None: the scenario's `batch.runs`).
    #[command(flatten)]
    pub runs: crate::options::Runs,
    /// Thread counts to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub threads: Vec<usize>,
    /// Measured repeats per configuration; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Unmeasured warm-up repeats per configuration.
    #[arg(long, default_value_t = 1)]
    pub warmup: usize,
    /// Master seed (None: the scenario's).
    #[command(flatten)]
    pub seed: crate::options::Seed,
}

/// The machine the figures were measured on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPU model name from /proc/cpuinfo ("unknown" elsewhere).
    pub cpu: String,
    /// Logical cores available to this process.
    pub cores: usize,
    /// Operating system (`std::env::consts::OS`).
    pub os: String,
    /// CPU architecture (`std::env::consts::ARCH`).
    pub arch: String,
}

/// One measured configuration (medians over the repeats).
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    /// States N.
    pub agents: usize,
    /// Domains D.
    pub domains: usize,
    /// Yearly steps T.
    pub steps: usize,
    /// Runs R.
    pub runs: u64,
    /// Worker threads.
    pub threads: usize,
    /// N·D·T·R.
    pub agent_updates: u64,
    /// Building the world and the model (once per batch), seconds.
    pub build_seconds: f64,
    /// Wall time of the R runs (per-run set-up, steps, recording), seconds.
    pub runs_seconds: f64,
    /// Per-run set-up (parameter draws, heterogeneity, initial alignments), summed over runs, thread-seconds.
    pub run_setup_seconds: f64,
    /// Simulated steps and yearly records, summed over runs, thread-seconds.
    pub step_seconds: f64,
    /// Agent-updates per second over everything: N·D·T·R / (build + runs).
    pub updates_per_second: f64,
    /// Agent-updates per second of the runs alone: N·D·T·R / runs.
    pub run_updates_per_second: f64,
    /// `run_updates_per_second` relative to the same size on the fewest threads measured.
    pub speedup: f64,
    /// Speed-up divided by the ratio of thread counts.
    pub efficiency: f64,
    /// Peak resident memory of the process while measuring this size, MB (None where unavailable).
    pub peak_rss_mb: Option<f64>,
    /// Measured repeats (the median is reported).
    pub repeats: usize,
    /// Unmeasured repeats before them.
    pub warmup: usize,
}

/// A whole report.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Version of blocsim that measured.
    pub blocsim_version: String,
    /// Scenario the world and model were built from.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// The machine measured on.
    pub machine: Machine,
    /// One row per (size, thread count).
    pub rows: Vec<BenchRow>,
}

/// The machine's CPU model and core count.
pub fn machine() -> Machine {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        os: std::env::consts::OS.into(),
        arch: std::env::consts::ARCH.into(),
    }
}

/// Peak resident set size of this process so far, MB (VmHWM of /proc/self/status), if known.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Reset the kernel's peak-RSS mark to the current RSS (Linux `clear_refs` value 5), so that the
/// next [`peak_rss_mb`] covers only what follows. Best effort: elsewhere the peak stays cumulative.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        xs[n / 2]
    } else {
        0.5 * (xs[n / 2 - 1] + xs[n / 2])
    }
}

/// One timed batch: (build, runs wall, run set-up sum, step sum) in seconds, and the model's layout.
fn measure_once(scenario: &Scenario, runs: u64, seed: u64, pool: &rayon::ThreadPool) -> Result<([f64; 4], Layout)> {
    // Built on the measured threads too: parts of the build run in parallel.
    let t0 = Instant::now();
    let model = pool.install(|| crate::footprint::load_model(scenario.clone()))?;
    let build = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let parts = parts_per_run(pool.current_num_threads(), runs);
    let timings: Vec<(f64, f64)> = pool.install(|| {
        (0..runs)
            .into_par_iter()
            .map(|r| {
                let (outcome, setup, steps) = run_timed(&model, seed, r, parts);
                std::hint::black_box(&outcome.counts);
                (setup, steps)
            })
            .collect()
    });
    let wall = t1.elapsed().as_secs_f64();
    let times = [build, wall, timings.iter().map(|t| t.0).sum(), timings.iter().map(|t| t.1).sum()];
    Ok((times, model.layout))
}

/// Run the measurements, calling `progress` with a line before each configuration.
pub fn run(opts: &BenchOptions, progress: &dyn Fn(&str)) -> Result<BenchReport> {
    if opts.repeats == 0 {
        return Err(Error::Usage("--repeats must be at least 1".into()));
    }
    if opts.threads.is_empty() || opts.threads.contains(&0) {
        return Err(Error::Usage(
            "--threads: expected a list of thread counts of at least 1, e.g. 1,2".into(),
        ));
    }
    let base = Scenario::load(&opts.scenario, &opts.set.sets)?;
    if !opts.agents.is_empty() && !matches!(base.world.source, WorldSource::Synthetic { .. }) {
        return Err(Error::Usage(format!(
            "--agents needs a synthetic world; scenario `{}` uses another world source",
            base.name
        )));
    }
    if opts.agents.contains(&0) {
        return Err(Error::Usage("--agents: every size must be at least 1".into()));
    }
    let runs = opts.runs.runs.unwrap_or(base.batch.runs);
    if runs == 0 {
        return Err(Error::Usage("--runs must be at least 1".into()));
    }
    let seed = opts.seed.seed.unwrap_or(base.batch.seed);
    let sizes: Vec<Option<usize>> = if opts.agents.is_empty() {
        vec![None]
    } else {
        opts.agents.iter().map(|&a| Some(a)).collect()
    };
    let mut threads = opts.threads.clone();
    threads.sort_unstable();
    threads.dedup();
    let pools = threads.iter().map(|&t| thread_pool(Some(t))).collect::<Result<Vec<_>>>()?;

    let mut rows = Vec::new();
    for size in sizes {
        let mut sets = opts.set.sets.clone();
        if let Some(a) = size {
            sets.push(format!("world.synthetic.agents={a}"));
        }
        if let Some(t) = opts.steps {
            sets.push(format!("time.end={}", i64::from(base.start) + t as i64));
        }
        let scenario = Scenario::load(&opts.scenario, &sets)?;
        reset_peak_rss();
        let first_row = rows.len();
        for (&t, pool) in threads.iter().zip(&pools) {
            progress(&format!(
                "{}: {} agents x {} steps x {runs} runs on {t} thread(s), {} warm-up + {} repeats",
                scenario.name,
                size.map_or_else(|| "scenario".to_string(), |a| a.to_string()),
                scenario.steps(),
                opts.warmup,
                opts.repeats
            ));
            for _ in 0..opts.warmup {
                measure_once(&scenario, runs, seed, pool)?;
            }
            let mut samples: [Vec<f64>; 4] = Default::default();
            let mut agents = 0;
            let mut domains = 0;
            for _ in 0..opts.repeats {
                let (m, layout) = measure_once(&scenario, runs, seed, pool)?;
                for (s, v) in samples.iter_mut().zip(m) {
                    s.push(v);
                }
                (agents, domains) = (layout.states, layout.domains);
            }
            let [build, wall, setup, step] = samples.map(median);
            let updates = agents as u64 * domains as u64 * scenario.steps() as u64 * runs;
            rows.push(BenchRow {
                agents,
                domains,
                steps: scenario.steps(),
                runs,
                threads: t,
                agent_updates: updates,
                build_seconds: build,
                runs_seconds: wall,
                run_setup_seconds: setup,
                step_seconds: step,
                updates_per_second: updates as f64 / (build + wall),
                run_updates_per_second: updates as f64 / wall,
                speedup: 1.0,
                efficiency: 1.0,
                peak_rss_mb: None,
                repeats: opts.repeats,
                warmup: opts.warmup,
            });
        }
        let peak = peak_rss_mb();
        let (ref_rate, ref_threads) = (rows[first_row].run_updates_per_second, rows[first_row].threads);
        for row in &mut rows[first_row..] {
            row.speedup = row.run_updates_per_second / ref_rate;
            row.efficiency = row.speedup / (row.threads as f64 / ref_threads as f64);
            row.peak_rss_mb = peak;
        }
    }
    Ok(BenchReport {
        blocsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: base.name.clone(),
        seed,
        machine: machine(),
        rows,
    })
}

impl BenchReport {
    /// A plain-text table.
    pub fn to_text(&self) -> String {
        let m = &self.machine;
        let mut s = format!(
            "blocsim {} bench: scenario {}, seed {}\nmachine: {} ({} logical cores, {}/{})\n\
             medians of the repeats; updates = agents x domains x steps x runs\n\n",
            self.blocsim_version, self.scenario, self.seed, m.cpu, m.cores, m.os, m.arch
        );
        s.push_str(&format!(
            "{:>9} {:>5} {:>5} {:>4} {:>7} | {:>14} {:>14} | {:>9} {:>9} {:>10} {:>10} | {:>7} {:>6} | {:>9}\n",
            "agents",
            "steps",
            "runs",
            "dom",
            "threads",
            "updates/s",
            "run updates/s",
            "build s",
            "runs s",
            "setup cpu",
            "step cpu",
            "speedup",
            "eff.",
            "peak MB"
        ));
        for r in &self.rows {
            s.push_str(&format!(
                "{:>9} {:>5} {:>5} {:>4} {:>7} | {:>14} {:>14} | {:>9.4} {:>9.4} {:>10.4} {:>10.4} | {:>7.2} {:>6.2} | {:>9}\n",
                r.agents,
                r.steps,
                r.runs,
                r.domains,
                r.threads,
                format_rate(r.updates_per_second),
                format_rate(r.run_updates_per_second),
                r.build_seconds,
                r.runs_seconds,
                r.run_setup_seconds,
                r.step_seconds,
                r.speedup,
                r.efficiency,
                r.peak_rss_mb.map_or_else(|| "n/a".to_string(), |x| format!("{x:.1}"))
            ));
        }
        s
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

fn format_rate(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else {
        format!("{:.1} k", x / 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn machine_reports_at_least_one_core() {
        assert!(machine().cores >= 1);
    }

    #[test]
    fn small_benchmark_counts_updates_and_relates_thread_counts() {
        let opts = BenchOptions {
            scenario: "bench/logit-network".into(),
            set: Default::default(),
            agents: vec![200],
            steps: Some(3),
            runs: crate::options::Runs { runs: Some(2) },
            threads: vec![2, 1],
            repeats: 1,
            warmup: 0,
            seed: crate::options::Seed { seed: Some(1) },
        };
        let r = run(&opts, &|_| {}).unwrap();
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].threads, 1);
        assert_eq!(r.rows[0].agent_updates, 200 * 3 * 2);
        assert_eq!(r.rows[0].speedup, 1.0);
        assert!(r.rows[1].updates_per_second > 0.0);
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["rows"][1]["threads"], 2);
    }

    #[test]
    fn agents_need_a_synthetic_world() {
        let opts = BenchOptions {
            scenario: "baseline".into(),
            set: Default::default(),
            agents: vec![100],
            steps: None,
            runs: crate::options::Runs { runs: Some(1) },
            threads: vec![1],
            repeats: 1,
            warmup: 0,
            seed: crate::options::Seed { seed: None },
        };
        assert!(matches!(run(&opts, &|_| {}), Err(Error::Usage(_))));
    }
}
