//! `blocsim plot`: redraw the charts (and `report.html`) of a saved output directory, and keep the
//! manifest's file list right.
//!
//! Drawing is the same for every command: [`draw_batch`] after a batch or merge, the analysis
//! charts after `sweep`, `sensitivity` and `discover`; each then records what it drew with
//! [`record_drawn`]: the manifest's entries for charts and the report are replaced by the files just
//! drawn, with their SHA-256, and every other entry (the results, which drawing never changes) is
//! kept as the command that made the directory wrote it.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::{Error, Result};
use crate::export::{Manifest, outputs};
use crate::plot::{self, Output, PlotOptions};

/// Draw every chart of the batch (or merged) directory `dir` into `dir/plots/`, then
/// `dir/report.html`; returns the files written, relative to `dir` (charts in drawing order, the
/// report last). The manifest's list is not touched (see [`record_drawn`]).
pub fn draw_batch(dir: &Path, opts: &PlotOptions) -> Result<Vec<String>> {
    plot::check_options(opts)?;
    let out = Output::load(dir)?;
    let drawn = plot::draw_charts(&out, opts)?;
    let mut files = drawn.files.clone();
    files.push(crate::report::write_report(&out, &drawn)?);
    Ok(files)
}

/// Replace the charts and report listed in `dir/manifest.json` by `drawn` (placed before the
/// manifest's own entry), hash the new entries, and write the manifest again.
pub fn record_drawn(dir: &Path, drawn: &[String]) -> Result<()> {
    let path = dir.join(outputs::MANIFEST.name);
    let bytes = std::fs::read(&path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    let mut m = Manifest::from_json(&bytes).map_err(|message| Error::Data { path, line: 1, message })?;
    m.files.retain(|f| !outputs::is_drawn(&f.path));
    let at = m
        .files
        .iter()
        .position(|f| f.path == outputs::MANIFEST.name)
        .unwrap_or(m.files.len());
    m.files
        .splice(at..at, drawn.iter().map(|f| crate::export::FileEntry::named(f.clone())));
    m.write(dir)
}

/// What `plot` redrew.
#[derive(Debug, Clone)]
pub struct PlotDone {
    /// Files written, relative to the directory (not counting the manifest).
    pub files: Vec<String>,
    /// Whether the directory held an experiment (`sweep`, `sensitivity`, `discover`), whose charts
    /// have no report page.
    pub experiment: bool,
}

/// What `plot` should do: redraw every chart (and report.html) of a saved output directory.
#[derive(Debug, Clone, clap::Args)]
pub struct PlotCommand {
    /// Output directory written by `blocsim batch`, `sweep`, `sensitivity` or `discover`.
    pub dir: PathBuf,
    /// How to draw.
    #[command(flatten)]
    pub scale: PlotOptions,
}

/// Redraw the charts of an experiment directory; `None` if `dir` holds no experiment.
fn draw_experiment(dir: &Path, opts: &PlotOptions) -> Result<Option<Vec<String>>> {
    use crate::analysis::load;
    use crate::plot::analysis::{plot_discovery, plot_sensitivity, plot_sweep};
    if dir.join("sweep.json").is_file() {
        return Ok(Some(plot_sweep(dir, &load::sweep(dir)?, opts)?));
    }
    if dir.join("sensitivity.json").is_file() {
        return Ok(Some(plot_sensitivity(dir, &load::sensitivity(dir)?, opts)?));
    }
    if dir.join("prim.json").is_file() {
        return Ok(Some(plot_discovery(dir, &load::discovery(dir)?, opts)?));
    }
    Ok(None)
}

/// `blocsim plot DIR`: redraw every chart (and the report of a batch) from the saved files alone,
/// then record them in the manifest. A shard directory is refused (its statistics are only part of
/// the batch's).
pub fn plot(dir: &Path, opts: &PlotOptions) -> anyhow::Result<PlotDone> {
    crate::merge::refuse_shard_dir(dir)?;
    plot::check_options(opts)?;
    let _lock = lock_if_possible(dir)?;
    let context = || format!("plotting {}", dir.display());
    if let Some(files) = draw_experiment(dir, opts).with_context(context)? {
        record_drawn(dir, &files).with_context(context)?;
        return Ok(PlotDone { files, experiment: true });
    }
    let files = draw_batch(dir, opts).with_context(context)?;
    record_drawn(dir, &files).with_context(context)?;
    Ok(PlotDone { files, experiment: false })
}

/// Lock a directory that `plot` is about to redraw: refused if another process writes into it; a
/// directory that is missing or cannot be written is left to fail where it always has (reading the
/// manifest, writing the first chart).
fn lock_if_possible(dir: &Path) -> Result<Option<crate::outdir::DirLock>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    crate::outdir::refuse_if_held(dir)?;
    Ok(crate::outdir::DirLock::acquire(dir).ok())
}

/// The charts directory of an output directory.
pub fn plots_dir(dir: &Path) -> PathBuf {
    dir.join(outputs::PLOTS_DIR)
}
