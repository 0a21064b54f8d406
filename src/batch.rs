//! Monte Carlo batches: the plan of runs, the parallel runner and the in-order reduction.
//!
//! Runs are executed in parallel with rayon, a chunk at a time; each chunk's outcomes are then
//! folded into the aggregates and streamed to the run table and the detail table strictly in run
//! order. Since every run owns its random streams and aggregation is exact integer arithmetic, the
//! bytes written do not depend on the number of threads, and memory does not grow with the number of
//! runs.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::aggregate::Aggregator;
use crate::error::{Error, Result};
use crate::export::{self, DetailWriter, Manifest, RunsWriter};
use crate::metrics::RunOutcome;
use crate::model::Model;
use crate::run::run_one;

/// A subset of a batch's runs: shard `index` of `count` (0-based), a contiguous block of run indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parse `I/N` with 0 <= I < N.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || Error::Usage(format!("--shard {text}: expected I/N with 0 <= I < N, e.g. 0/4"));
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The run indices of this shard of a batch of `runs`.
    pub fn runs(&self, runs: u64) -> std::ops::Range<u64> {
        let at = |s: u64| ((u128::from(runs) * u128::from(s)) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What a batch should do.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub runs: u64,
    pub seed: u64,
    /// Worker threads (None: rayon's default, one per core).
    pub threads: Option<usize>,
    pub shard: Option<Shard>,
    /// Write the per-run, per-state Parquet table.
    pub detail: bool,
    /// Output directory (None: keep results in memory only).
    pub out: Option<PathBuf>,
    /// The command line, for the manifest.
    pub command: Vec<String>,
}

/// Result of a batch: the aggregates and how long it took.
pub struct BatchResult {
    pub aggregator: Aggregator,
    pub wall_seconds: f64,
    pub threads: usize,
    /// Files written into the output directory (relative names).
    pub files: Vec<String>,
}

/// A rayon pool of `threads` workers (None: one per core), owned by one batch or comparison so that
/// the thread count is an explicit setting rather than global state.
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        b = b.num_threads(t);
    }
    b.build()
        .map_err(|e| Error::Usage(format!("cannot start {} threads: {e}", threads.unwrap_or(0))))
}

/// Runs handed to the thread pool at once; outcomes are reduced in order after each chunk.
pub const CHUNK: u64 = 512;

/// Run a batch, calling `progress(done)` after each chunk, and write its outputs when `out` is set.
pub fn run_batch(model: &Model, opts: &BatchOptions, progress: &(dyn Fn(u64) + Sync)) -> Result<BatchResult> {
    if opts.runs == 0 {
        return Err(Error::Usage("--runs must be at least 1".into()));
    }
    let started = Instant::now();
    let pool = thread_pool(opts.threads)?;
    let threads = pool.current_num_threads();
    let labels = model.labels();
    let range = opts.shard.map_or(0..opts.runs, |s| s.runs(opts.runs));

    if let Some(dir) = &opts.out {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.clone(), source })?;
    }
    let mut runs_writer = match &opts.out {
        Some(dir) => Some(RunsWriter::create(&dir.join("runs.csv"), &labels)?),
        None => None,
    };
    let mut detail = match (&opts.out, opts.detail) {
        (Some(dir), true) => Some(DetailWriter::create(&dir.join("detail.parquet"), &labels)?),
        _ => None,
    };
    let mut agg = Aggregator::new(model.layout, labels.uncertain.len());
    let mut done = 0;
    let mut start = range.start;
    while start < range.end {
        let end = (start + crate::limits::runs_in_flight(&model.layout, threads, CHUNK)).min(range.end);
        let outcomes: Vec<RunOutcome> = pool.install(|| (start..end).into_par_iter().map(|r| run_one(model, opts.seed, r)).collect());
        for o in &outcomes {
            agg.add(o);
            if let Some(w) = runs_writer.as_mut() {
                w.write(o)?;
            }
            if let Some(w) = detail.as_mut() {
                w.write(o)?;
            }
        }
        done += end - start;
        progress(done);
        start = end;
    }

    let mut files = Vec::new();
    if let Some(dir) = &opts.out {
        if let Some(w) = runs_writer {
            w.finish()?;
            files.push("runs.csv".to_string());
        }
        if let Some(w) = detail {
            w.finish()?;
            files.push("detail.parquet".to_string());
        }
        for (name, bytes) in [
            ("summary.json", export::summary_json(&agg, &labels)),
            ("timeseries.csv", export::timeseries_csv(&agg, &labels)),
            ("indices.csv", export::indices_csv(&agg, &labels)),
            ("states.csv", export::states_csv(&agg, &labels)),
        ] {
            export::write_atomic(&dir.join(name), &bytes)?;
            files.push(name.to_string());
        }
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    if let Some(dir) = &opts.out {
        files.push("manifest.json".to_string());
        let manifest = manifest(model, opts, threads, wall_seconds, files.clone());
        export::write_atomic(&dir.join("manifest.json"), &manifest.to_json())?;
    }
    Ok(BatchResult {
        aggregator: agg,
        wall_seconds,
        threads,
        files,
    })
}

/// The manifest of a batch or run.
pub fn manifest(model: &Model, opts: &BatchOptions, threads: usize, wall_seconds: f64, files: Vec<String>) -> Manifest {
    let s = &model.scenario;
    Manifest {
        blocsim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: s.name.clone(),
        scenario_path: s.path().display().to_string(),
        scenario_sha256: export::sha256_hex(s.resolved.as_bytes()),
        seed: opts.seed,
        runs: opts.runs,
        threads,
        shard: opts.shard.map(|s| s.to_string()),
        command: opts.command.clone(),
        wall_seconds,
        world: model.world.description.clone(),
        files,
        run: None,
    }
}

/// Refuse to write into a directory that holds files but no blocsim manifest, unless `force`
/// (see [`crate::outdir::prepare`], which also creates the directory and checks it can be written).
pub fn check_output_dir(dir: &Path, force: bool) -> Result<()> {
    crate::outdir::prepare(dir, force)
}
