//! `blocsim merge`: the shard directories of one batch into the output a single machine would have
//! written ([`crate::merge`]), with its charts and report.

use std::path::PathBuf;

use anyhow::Context;

use crate::merge::Merged;
use crate::plot::PlotOptions;

/// What `merge` should do.
#[derive(Debug, Clone)]
pub struct MergeCommand {
    /// Shard directories, in any order.
    pub dirs: Vec<PathBuf>,
    /// Output directory.
    pub out: PathBuf,
    /// Write into `out` even if it is not a blocsim output directory.
    pub force: bool,
    /// Draw the charts and the report (None: do not).
    pub plots: Option<PlotOptions>,
    /// The command line, for the manifest.
    pub command: Vec<String>,
}

/// Merge, then draw. A missing `out` is created only once every shard has been checked, so that a
/// refused merge writes nothing.
pub fn merge(c: MergeCommand) -> anyhow::Result<Merged> {
    if let Some(p) = &c.plots {
        crate::plot::check_options(p)?;
    }
    let mut lock = if c.out.exists() {
        Some(crate::outdir::prepare(&c.out, c.force)?)
    } else {
        None
    };
    let out = c.out.clone();
    let force = c.force;
    let mut before_writing = || -> crate::Result<()> {
        if lock.is_none() {
            lock = Some(crate::outdir::prepare(&out, force)?);
        }
        Ok(())
    };
    let merged = crate::merge::merge(&c.dirs, &c.out, c.command, &mut before_writing)
        .with_context(|| format!("merging into {}", c.out.display()))?;
    if let Some(p) = &c.plots {
        let charts = || format!("charts for {}", c.out.display());
        let files = super::plot::draw_batch(&c.out, p).with_context(charts)?;
        super::plot::record_drawn(&c.out, &files).with_context(charts)?;
    }
    Ok(merged)
}
