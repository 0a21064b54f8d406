//! `blocsim compare`: an alternative scenario against a baseline on common random numbers
//! ([`crate::compare`]), with its chart and report.

use std::path::PathBuf;

use anyhow::Context;

use super::Progress;
use crate::batch::{self, BatchOptions};
use crate::compare::{CompareOptions, Comparison};
use crate::options::{Charts, Output, Plan, Sets};

/// What `compare` should do: compare an alternative scenario with a baseline on common random
/// numbers (default --out: output/compare/<baseline>--<alternative>).
#[derive(Debug, Clone, clap::Args)]
pub struct CompareCommand {
    /// Baseline scenario file or bundled name.
    pub baseline: String,
    /// Alternative scenario file or bundled name.
    pub alternative: String,
    /// `--set` overrides of the alternative only.
    #[command(flatten)]
    pub set: Sets,
    /// Paired runs (None: the baseline's batch.runs), seed (None: its batch.seed) and threads.
    #[command(flatten)]
    pub plan: Plan,
    /// Output directory (None: `output/compare/<baseline>--<alternative>`).
    #[command(flatten)]
    pub output: Output,
    /// Whether to draw the comparison chart (the report is written either way) and how (checked
    /// even when not drawn).
    #[command(flatten)]
    pub charts: Charts,
    /// The command line, for the manifest (set by the caller).
    #[arg(skip)]
    pub command: Vec<String>,
}

/// What `compare` did.
pub struct CompareDone {
    /// The paired differences and the most shifted states.
    pub comparison: Comparison,
    /// Paired runs.
    pub runs: u64,
    /// The baseline's scenario name.
    pub baseline: String,
    /// The alternative's scenario name.
    pub alternative: String,
    /// The output directory.
    pub dir: PathBuf,
}

/// Run both scenarios, write `comparison.{csv,json,md}`, `manifest.json`, the chart and
/// `report.html`.
pub fn compare(c: CompareCommand, progress: &dyn Progress) -> anyhow::Result<CompareDone> {
    let plot_opts = c.charts.scale;
    crate::plot::check_options(&plot_opts)?;
    let base = super::load(&c.baseline, &[])?;
    let alt = super::load(&c.alternative, &c.set.sets)?;
    let runs = c.plan.runs().unwrap_or(base.scenario.batch.runs);
    super::check_runs_and_threads(runs, 2, c.plan.threads)?;
    let workers = c.plan.threads.unwrap_or_else(rayon::current_num_threads);
    crate::footprint::check_batch(&base, runs, workers, crate::compare::CHUNK, true)?;
    let dir = c
        .output
        .out
        .unwrap_or_else(|| crate::compare::default_dir(&base.scenario.name, &alt.scenario.name));
    let _lock = batch::check_output_dir(&dir, c.output.force)?;
    let opts = CompareOptions {
        runs,
        seed: c.plan.seed().unwrap_or(base.scenario.batch.seed),
        threads: c.plan.threads,
    };
    progress.start(runs);
    let started = std::time::Instant::now();
    let cmp = crate::compare::compare_with(&base, &alt, &opts, progress)?;
    let mut files = cmp.write(&dir).with_context(|| format!("writing {}", dir.display()))?;
    files.push(crate::outdir::MARKER.into());
    let bopts = BatchOptions {
        runs,
        seed: opts.seed,
        threads: c.plan.threads,
        shard: None,
        detail: false,
        out: None,
        command: c.command,
    };
    let mut manifest = batch::manifest(&alt, &bopts, workers, started.elapsed().as_secs_f64(), files);
    manifest.scenario = format!("{} vs {}", alt.scenario.name, base.scenario.name);
    manifest.write(&dir)?;
    let mut drawn = Vec::new();
    if !c.charts.no_plots {
        drawn = crate::plot::comparison::plot_comparison(&dir, &plot_opts)
            .with_context(|| format!("drawing the comparison chart in {}", dir.display()))?;
    }
    drawn.push(crate::report::write_comparison_report(&dir)?);
    super::plot::record_drawn(&dir, &drawn)?;
    Ok(CompareDone {
        comparison: cmp,
        runs,
        baseline: base.scenario.name.clone(),
        alternative: alt.scenario.name.clone(),
        dir,
    })
}
