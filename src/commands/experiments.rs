//! `sweep`, `sensitivity` and `discover`: experiments over a scenario's parameter space
//! ([`crate::analysis`]); each writes its tables, then its charts ([`crate::plot::analysis`]), then
//! `manifest.json` listing both.

use std::path::{Path, PathBuf};

use super::Progress;
use crate::analysis::discover::{Condition, Discovery};
use crate::analysis::prim::PrimOptions;
use crate::analysis::sensitivity::{Method, Sensitivity};
use crate::analysis::sweep::{DesignKind, Sweep};
use crate::analysis::{Prepared, Settings, prepare, uncertain_ranges, write_manifest};
use crate::error::{Error, Result};
use crate::plot::PlotOptions;

/// What `sweep` and `sensitivity` share.
#[derive(Debug, Clone)]
pub struct ExperimentCommand {
    pub settings: Settings,
    /// Draw the charts (None: do not).
    pub plots: Option<PlotOptions>,
}

/// What `sweep` should do.
#[derive(Debug, Clone)]
pub struct SweepCommand {
    pub common: ExperimentCommand,
    /// `grid` or `lhs`.
    pub design: String,
    /// Levels per parameter (grid) or points in all (lhs); None: the design's default.
    pub points: Option<usize>,
    /// Wanted half-width of the main effects' 95% bands, in outcome units (None: no check).
    pub precision: Option<f64>,
}

/// What `sensitivity` should do.
#[derive(Debug, Clone)]
pub struct SensitivityCommand {
    pub common: ExperimentCommand,
    pub method: Method,
    /// Wanted half-width of the 95% intervals (None: [`crate::analysis::sensitivity::default_precision`]).
    pub precision: Option<f64>,
}

/// What `discover` should do.
#[derive(Debug, Clone)]
pub struct DiscoverCommand {
    /// Output directory of `blocsim sweep`.
    pub sweep_dir: PathBuf,
    /// The yes/no outcome, e.g. `final_gdp_share.telecom.CN > 0.5`.
    pub condition: String,
    pub options: PrimOptions,
    /// Number of boxes (1 to 20).
    pub boxes: usize,
    /// Output directory (None: `<sweep_dir>/discover`).
    pub out: Option<PathBuf>,
    /// Write into `out` even if it is not a blocsim output directory.
    pub force: bool,
    /// Draw the charts (None: do not).
    pub plots: Option<PlotOptions>,
    /// The command line, for the manifest.
    pub command: Vec<String>,
}

fn start(
    c: &ExperimentCommand,
    what: &str,
    default_params: fn(&crate::scenario::Scenario) -> Vec<crate::analysis::ParamRange>,
) -> Result<Prepared> {
    if let Some(o) = &c.plots {
        crate::plot::check_options(o)?;
    }
    prepare(&c.settings, what, default_params)
}

/// `blocsim sweep`: run every design point, write the tables, charts and manifest. Returns the
/// sweep and its output directory.
pub fn sweep(c: SweepCommand, progress: &dyn Progress) -> anyhow::Result<(Sweep, PathBuf)> {
    let kind = DesignKind::parse(&c.design)?;
    crate::analysis::effects::check_precision(c.precision)?;
    let started = std::time::Instant::now();
    let p = start(&c.common, "sweep", |_| Vec::new())?;
    let n = c.points.unwrap_or(crate::analysis::sweep::default_points(kind));
    let planned = crate::analysis::sweep::design_points(&p.params, kind, n, p.plan.seed)?.len() as u64 * p.plan.runs;
    progress.start(planned);
    let sweep = crate::analysis::sweep::run_with(&p.loader, &p.params, kind, n, &p.outcomes, &p.plan, progress)?;
    let sweep = sweep.with_precision(c.precision);
    let mut files = sweep.write(&p.dir)?;
    if let Some(opts) = &c.common.plots {
        files.extend(crate::plot::analysis::plot_sweep(&p.dir, &sweep, opts)?);
    }
    write_manifest(
        &p,
        &c.common.settings,
        planned,
        sweep.threads,
        started.elapsed().as_secs_f64(),
        files,
    )?;
    Ok((sweep, p.dir))
}

/// `blocsim sensitivity`: Sobol indices or Morris elementary effects (default parameters: the
/// scenario's uncertain ones), with tables, charts and manifest. Returns the analysis and its
/// output directory.
pub fn sensitivity(c: SensitivityCommand, progress: &dyn Progress) -> anyhow::Result<(Sensitivity, PathBuf)> {
    let started = std::time::Instant::now();
    let p = start(&c.common, &format!("sensitivity-{}", c.method.name()), uncertain_ranges)?;
    let k = p.params.len();
    let points = match c.method {
        Method::Sobol { samples } => samples * (k + 2),
        Method::Morris { trajectories, .. } => trajectories * (k + 1),
    };
    let planned = points as u64 * p.plan.runs;
    progress.start(planned);
    let a = crate::analysis::sensitivity::run(&p.loader, &p.params, c.method, &p.outcomes, &p.plan, c.precision, progress)?;
    let mut files = a.write(&p.dir)?;
    if let Some(opts) = &c.common.plots {
        files.extend(crate::plot::analysis::plot_sensitivity(&p.dir, &a, opts)?);
    }
    write_manifest(&p, &c.common.settings, planned, a.threads, started.elapsed().as_secs_f64(), files)?;
    Ok((a, p.dir))
}

/// `blocsim discover`: PRIM on the sweep in `sweep_dir`; writes the tables, charts and
/// `manifest.json` (the sweep's, with this command's files and command line). Returns the
/// discovery and its output directory.
pub fn discover(c: DiscoverCommand) -> anyhow::Result<(Discovery, PathBuf)> {
    let started = std::time::Instant::now();
    if let Some(o) = &c.plots {
        crate::plot::check_options(o)?;
    }
    if !(1..=20).contains(&c.boxes) {
        return Err(Error::Usage(format!("--boxes {}: expected 1 to 20", c.boxes)).into());
    }
    let condition = Condition::parse(&c.condition)?;
    let dir = c.out.unwrap_or_else(|| c.sweep_dir.join("discover"));
    let _lock = crate::outdir::prepare(&dir, c.force)?;
    let d = crate::analysis::discover::discover(&c.sweep_dir, &condition, &c.options, c.boxes)?;
    let mut files = d.write(&dir)?;
    if let Some(o) = &c.plots {
        files.extend(crate::plot::analysis::plot_discovery(&dir, &d, o)?);
    }
    let mut m = read_manifest(&c.sweep_dir)?;
    files.push(crate::outdir::MARKER.into());
    m.set_files(files);
    m.command = c.command;
    m.wall_seconds = started.elapsed().as_secs_f64();
    m.threads = 1;
    m.write(&dir)?;
    Ok((d, dir))
}

fn read_manifest(dir: &Path) -> Result<crate::export::Manifest> {
    let mpath = dir.join(crate::outdir::MARKER);
    let bytes = std::fs::read(&mpath).map_err(|source| Error::Read {
        path: mpath.clone(),
        source,
    })?;
    crate::export::Manifest::from_json(&bytes).map_err(|message| Error::Data {
        path: mpath.clone(),
        line: 1,
        message,
    })
}
