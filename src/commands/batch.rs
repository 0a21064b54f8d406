//! `blocsim batch`: a Monte Carlo batch (or one shard of it) into an output directory, with its
//! charts and report.

use std::path::PathBuf;

use anyhow::Context;

use super::Progress;
use crate::batch::{self, BatchOptions, Durability, Shard};
use crate::checkpoint::Recovery;
use crate::plot::PlotOptions;

/// What `batch` should do.
#[derive(Debug, Clone)]
pub struct BatchCommand {
    /// Scenario file (TOML) or bundled scenario name.
    pub scenario: String,
    /// `--set PATH=VALUE` overrides.
    pub sets: Vec<String>,
    /// Runs (None: the scenario's batch.runs).
    pub runs: Option<u64>,
    /// Master seed (None: the scenario's batch.seed).
    pub seed: Option<u64>,
    /// Worker threads (None: one per core).
    pub threads: Option<usize>,
    /// `--shard` text: `I/N`, `auto` or `auto/N` (None: the whole batch).
    pub shard: Option<String>,
    /// Output directory (None: `output/<scenario>`).
    pub out: Option<PathBuf>,
    /// Continue an interrupted batch from its last checkpoint.
    pub resume: bool,
    /// Write into `out` even if it is not a blocsim output directory, or discard an interrupted batch.
    pub force: bool,
    /// Runs between checkpoints (None: the default); results do not depend on it.
    pub checkpoint_runs: Option<u64>,
    /// Draw the charts and the report (None: do not).
    pub plots: Option<PlotOptions>,
    /// Write the per-run, per-state Parquet table (when the scenario asks for it).
    pub detail: bool,
    /// The command line, for the manifest.
    pub command: Vec<String>,
    /// Environment lookup for `--shard auto` (e.g. `|name| std::env::var(name).ok()`).
    pub env: fn(&str) -> Option<String>,
}

/// What `batch` did.
#[derive(Debug, Clone)]
pub struct BatchDone {
    pub scenario: String,
    pub dir: PathBuf,
    /// Runs of the whole batch.
    pub runs: u64,
    /// The shard run, if any.
    pub shard: Option<Shard>,
    /// Runs this command was asked for (the shard's block, or all).
    pub range: std::ops::Range<u64>,
    pub threads: usize,
    pub wall_seconds: f64,
    /// `--resume`: the run it continued from (None: it started from the first run).
    pub resumed_at: Option<u64>,
    /// `--resume` found the batch already complete and did nothing.
    pub already_complete: bool,
}

/// Run the batch: check everything first (plot options, scenario, runs, threads, memory, shard,
/// output directory), then simulate with checkpoints, write the tables and manifest, and draw
/// the charts (not for a shard).
pub fn batch(c: BatchCommand, progress: &dyn Progress) -> anyhow::Result<BatchDone> {
    if let Some(p) = &c.plots {
        crate::plot::check_options(p)?;
    }
    let model = super::load(&c.scenario, &c.sets)?;
    let runs = c.runs.unwrap_or(model.scenario.batch.runs);
    super::check_runs_and_threads(runs, 1, c.threads)?;
    let workers = c.threads.unwrap_or_else(rayon::current_num_threads);
    crate::footprint::check_batch(&model, runs, workers, batch::CHUNK, false)?;
    let shard = c.shard.as_deref().map(|s| Shard::resolve(s, &c.env)).transpose()?;
    let dir = c.out.unwrap_or_else(|| PathBuf::from("output").join(&model.scenario.name));
    let _lock = batch::check_output_dir(&dir, c.force)?;
    let opts = BatchOptions {
        runs,
        seed: c.seed.unwrap_or(model.scenario.batch.seed),
        threads: c.threads,
        shard,
        detail: model.scenario.batch.detail && c.detail,
        out: Some(dir.clone()),
        command: c.command,
    };
    let range = opts.range();
    let mut done = BatchDone {
        scenario: model.scenario.name.clone(),
        dir: dir.clone(),
        runs,
        shard,
        range: range.clone(),
        threads: 0,
        wall_seconds: 0.0,
        resumed_at: None,
        already_complete: false,
    };
    if let Some(m) = c.resume.then(|| batch::completed(&model, &opts, &dir)).flatten() {
        done.threads = m.threads;
        done.wall_seconds = m.wall_seconds;
        done.already_complete = true;
        return Ok(done);
    }
    let durability = Durability {
        recovery: Recovery {
            resume: c.resume,
            discard: c.force,
        },
        chunk_runs: c.checkpoint_runs,
    };
    progress.start(range.end - range.start);
    let result = batch::run_batch_with(&model, &opts, &durability, progress)
        .with_context(|| format!("batch of {} into {}", model.scenario.name, dir.display()))?;
    done.threads = result.threads;
    done.wall_seconds = result.wall_seconds;
    done.resumed_at = result.resumed_at;
    if let (None, Some(p)) = (shard, &c.plots) {
        let charts = || format!("charts for {}", dir.display());
        let files = super::plot::draw_batch(&dir, p).with_context(charts)?;
        super::plot::record_drawn(&dir, &files).with_context(charts)?;
    }
    Ok(done)
}
