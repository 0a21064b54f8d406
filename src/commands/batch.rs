//! `blocsim batch`: a Monte Carlo batch (or one shard of it) into an output directory, with its
//! charts and report.

use std::path::PathBuf;

use anyhow::Context;

use super::Progress;
use crate::batch::{self, BatchOptions, Durability, Shard};
use crate::checkpoint::Recovery;
use crate::options::{Charts, Output, Plan, Source};

/// What `batch` should do: run a Monte Carlo batch and write the output directory (default --out:
/// output/<scenario>).
#[derive(Debug, Clone, clap::Args)]
pub struct BatchCommand {
    /// The scenario and its overrides.
    #[command(flatten)]
    pub source: Source,
    /// Runs (None: the scenario's batch.runs), seed (None: its batch.seed) and threads.
    #[command(flatten)]
    pub plan: Plan,
    /// Run only shard I of N (0-based), e.g. --shard 0/4, and write a partial result for
    /// `blocsim merge`; `auto` takes I and N from a Slurm job array, `auto/N` takes I from a
    /// Kubernetes indexed job (JOB_COMPLETION_INDEX).
    #[arg(long, value_name = "I/N|auto|auto/N")]
    pub shard: Option<String>,
    /// Continue an interrupted batch in --out from its last checkpoint (same scenario, --set,
    /// --seed, --runs, --shard); starts from the first run if there is none, and does nothing
    /// if the batch there is already complete.
    #[arg(long)]
    pub resume: bool,
    /// Runs between checkpoints (default 512 per thread); results do not depend on it.
    #[arg(long, hide = true)]
    pub checkpoint_runs: Option<u64>,
    /// Do not write the per-run, per-state Parquet table.
    #[arg(long)]
    pub no_detail: bool,
    /// Output directory (None: `output/<scenario>`); `force` also discards an interrupted batch.
    #[command(flatten)]
    pub output: Output,
    /// Whether and how to draw the charts and the report.
    #[command(flatten)]
    pub charts: Charts,
    /// The command line, for the manifest (set by the caller).
    #[arg(skip)]
    pub command: Vec<String>,
    /// Environment lookup for `--shard auto`.
    #[arg(skip = process_env as fn(&str) -> Option<String>)]
    pub env: fn(&str) -> Option<String>,
}

/// The process's environment variable `name`, if set and valid Unicode.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// What `batch` did.
#[derive(Debug, Clone)]
pub struct BatchDone {
    /// Scenario name.
    pub scenario: String,
    /// The output directory.
    pub dir: PathBuf,
    /// Runs of the whole batch.
    pub runs: u64,
    /// The shard run, if any.
    pub shard: Option<Shard>,
    /// Runs this command was asked for (the shard's block, or all).
    pub range: std::ops::Range<u64>,
    /// Worker threads used.
    pub threads: usize,
    /// Wall-clock seconds the batch took.
    pub wall_seconds: f64,
    /// `--resume`: the run it continued from (None: it started from the first run).
    pub resumed_at: Option<u64>,
    /// `--resume` found the batch already complete and did nothing.
    pub already_complete: bool,
    /// Whether `--resume` was asked for.
    pub resume: bool,
}

/// Run the batch: check everything first (plot options, scenario, runs, threads, memory, shard,
/// output directory), then simulate with checkpoints, write the tables and manifest, and draw
/// the charts (not for a shard).
pub fn batch(c: BatchCommand, progress: &dyn Progress) -> anyhow::Result<BatchDone> {
    let plots = c.charts.options();
    if let Some(p) = &plots {
        crate::plot::check_options(p)?;
    }
    let model = super::load(&c.source.scenario, c.source.sets())?;
    let runs = c.plan.runs().unwrap_or(model.scenario.batch.runs);
    super::check_runs_and_threads(runs, 1, c.plan.threads)?;
    let workers = c.plan.threads.unwrap_or_else(rayon::current_num_threads);
    crate::footprint::check_batch(&model, runs, workers, batch::CHUNK, false)?;
    let shard = c.shard.as_deref().map(|s| Shard::resolve(s, &c.env)).transpose()?;
    let dir = c.output.out.unwrap_or_else(|| PathBuf::from("output").join(&model.scenario.name));
    let _lock = batch::check_output_dir(&dir, c.output.force)?;
    let opts = BatchOptions {
        runs,
        seed: c.plan.seed().unwrap_or(model.scenario.batch.seed),
        threads: c.plan.threads,
        shard,
        detail: model.scenario.batch.detail && !c.no_detail,
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
        resume: c.resume,
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
            discard: c.output.force,
        },
        chunk_runs: c.checkpoint_runs,
    };
    progress.start(range.end - range.start);
    let result = batch::run_batch_with(&model, &opts, &durability, progress)
        .with_context(|| format!("batch of {} into {}", model.scenario.name, dir.display()))?;
    done.threads = result.threads;
    done.wall_seconds = result.wall_seconds;
    done.resumed_at = result.resumed_at;
    if let (None, Some(p)) = (shard, &plots) {
        let charts = || format!("charts for {}", dir.display());
        let files = super::plot::draw_batch(&dir, p).with_context(charts)?;
        super::plot::record_drawn(&dir, &files).with_context(charts)?;
    }
    Ok(done)
}
