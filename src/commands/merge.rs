//! `blocsim merge`: the shard directories of one batch into the output a single machine would have
//! written ([`crate::merge`]), with its charts and report.

use std::path::PathBuf;

use anyhow::Context;

use crate::merge::Merged;
use crate::options::{Charts, Output};

/// What `merge` should do: merge the shard directories of one batch into the output a single
/// machine would have written.
#[derive(Debug, Clone, clap::Args)]
pub struct MergeCommand {
    /// Shard directories written by `blocsim batch --shard`, in any order.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Output directory (required).
    #[command(flatten)]
    pub output: Output,
    /// Whether and how to draw the charts and the report.
    #[command(flatten)]
    pub charts: Charts,
    /// The command line, for the manifest (set by the caller).
    #[arg(skip)]
    pub command: Vec<String>,
}

/// What `merge` did: the merge, and the directory it wrote.
#[derive(Debug, Clone)]
pub struct MergeDone {
    /// Runs, shards, files and scenario of the merge.
    pub merged: Merged,
    /// The output directory.
    pub dir: PathBuf,
}

/// Merge, then draw. A missing `out` is created only once every shard has been checked, so that a
/// refused merge writes nothing.
pub fn merge(c: MergeCommand) -> anyhow::Result<MergeDone> {
    let plots = c.charts.options();
    if let Some(p) = &plots {
        crate::plot::check_options(p)?;
    }
    let Some(out) = c.output.out.clone() else {
        return Err(crate::Error::Usage("merge: --out DIR is required".into()).into());
    };
    let force = c.output.force;
    let mut lock = if out.exists() {
        Some(crate::outdir::prepare(&out, force)?)
    } else {
        None
    };
    let dest = out.clone();
    let mut before_writing = || -> crate::Result<()> {
        if lock.is_none() {
            lock = Some(crate::outdir::prepare(&out, force)?);
        }
        Ok(())
    };
    let merged =
        crate::merge::merge(&c.dirs, &dest, c.command, &mut before_writing).with_context(|| format!("merging into {}", dest.display()))?;
    if let Some(p) = &plots {
        let charts = || format!("charts for {}", dest.display());
        let files = super::plot::draw_batch(&dest, p).with_context(charts)?;
        super::plot::record_drawn(&dest, &files).with_context(charts)?;
    }
    Ok(MergeDone { merged, dir: dest })
}
