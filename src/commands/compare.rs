//! `blocsim compare`: an alternative scenario against a baseline on common random numbers
//! ([`crate::compare`]), with its chart and report.

use std::path::PathBuf;

use anyhow::Context;

use super::Progress;
use crate::batch::{self, BatchOptions};
use crate::compare::{CompareOptions, Comparison};
use crate::plot::PlotOptions;

/// What `compare` should do.
#[derive(Debug, Clone)]
pub struct CompareCommand {
    /// Baseline scenario file or bundled name.
    pub baseline: String,
    /// Alternative scenario file or bundled name.
    pub alternative: String,
    /// `--set` overrides of the alternative only.
    pub sets: Vec<String>,
    /// Paired runs (None: the baseline's batch.runs).
    pub runs: Option<u64>,
    /// Master seed (None: the baseline's batch.seed).
    pub seed: Option<u64>,
    /// Worker threads (None: one per core).
    pub threads: Option<usize>,
    /// Output directory (None: `output/compare/<baseline>--<alternative>`).
    pub out: Option<PathBuf>,
    /// Write into `out` even if it is not a blocsim output directory.
    pub force: bool,
    /// How to draw the comparison chart (checked even when not drawn).
    pub plot_options: PlotOptions,
    /// Draw the comparison chart (the report is written either way).
    pub draw: bool,
    /// The command line, for the manifest.
    pub command: Vec<String>,
}

/// What `compare` did.
pub struct CompareDone {
    pub comparison: Comparison,
    pub runs: u64,
    pub baseline: String,
    pub alternative: String,
    pub dir: PathBuf,
}

/// Run both scenarios, write `comparison.{csv,json,md}`, `manifest.json`, the chart and
/// `report.html`.
pub fn compare(c: CompareCommand, progress: &dyn Progress) -> anyhow::Result<CompareDone> {
    let plot_opts = c.plot_options;
    crate::plot::check_options(&plot_opts)?;
    let base = super::load(&c.baseline, &[])?;
    let alt = super::load(&c.alternative, &c.sets)?;
    let runs = c.runs.unwrap_or(base.scenario.batch.runs);
    super::check_runs_and_threads(runs, 2, c.threads)?;
    let workers = c.threads.unwrap_or_else(rayon::current_num_threads);
    crate::footprint::check_batch(&base, runs, workers, crate::compare::CHUNK, true)?;
    let dir = c
        .out
        .unwrap_or_else(|| crate::compare::default_dir(&base.scenario.name, &alt.scenario.name));
    let _lock = batch::check_output_dir(&dir, c.force)?;
    let opts = CompareOptions {
        runs,
        seed: c.seed.unwrap_or(base.scenario.batch.seed),
        threads: c.threads,
    };
    progress.start(runs);
    let started = std::time::Instant::now();
    let cmp = crate::compare::compare_with(&base, &alt, &opts, progress)?;
    let mut files = cmp.write(&dir).with_context(|| format!("writing {}", dir.display()))?;
    files.push(crate::outdir::MARKER.into());
    let bopts = BatchOptions {
        runs,
        seed: opts.seed,
        threads: c.threads,
        shard: None,
        detail: false,
        out: None,
        command: c.command,
    };
    let mut manifest = batch::manifest(&alt, &bopts, workers, started.elapsed().as_secs_f64(), files);
    manifest.scenario = format!("{} vs {}", alt.scenario.name, base.scenario.name);
    manifest.write(&dir)?;
    let mut drawn = Vec::new();
    if c.draw {
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
