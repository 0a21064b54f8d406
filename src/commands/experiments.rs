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
use crate::options::{Charts, Output};

/// What `sweep` and `sensitivity` share.
#[derive(Debug, Clone, clap::Args)]
pub struct ExperimentCommand {
    /// Scenario, parameters, outcomes, runs, seed, threads and output.
    #[command(flatten)]
    pub settings: Settings,
    /// Whether and how to draw the charts.
    #[command(flatten)]
    pub charts: Charts,
}

/// What `sweep` should do: sweep scenario keys over a grid or Latin hypercube, with replications
/// per point (default --out: output/<scenario>/sweep).
#[derive(Debug, Clone, clap::Args)]
pub struct SweepCommand {
    /// What sweeps and sensitivity analyses share.
    #[command(flatten)]
    pub common: ExperimentCommand,
    /// Design: grid (full factorial) or lhs (Latin hypercube).
    #[arg(long, value_enum, default_value_t = DesignKind::Grid, hide_possible_values = true)]
    pub design: DesignKind,
    /// Levels per parameter (grid, default 5) or points in all (lhs, default 100).
    #[arg(long)]
    pub points: Option<usize>,
    /// Wanted half-width of the main effects' 95% bands, in outcome units: warn, with the
    /// replications needed, where a band is wider.
    #[arg(long, value_name = "H")]
    pub precision: Option<f64>,
}

/// What `sensitivity` should do: Sobol indices or Morris elementary effects (default --out:
/// output/<scenario>/sensitivity-<method>).
#[derive(Debug, Clone, clap::Args)]
pub struct SensitivityCommand {
    /// What sweeps and sensitivity analyses share.
    #[command(flatten)]
    pub common: ExperimentCommand,
    /// The method and its design sizes.
    #[command(flatten)]
    pub design: MethodArgs,
    /// Wanted half-width of every 95% interval (Sobol: index units, default 0.05; Morris: share
    /// of the largest mu*, default 0.1): warn, with the replications needed, where one is wider.
    #[arg(long, value_name = "H")]
    pub precision: Option<f64>,
}

/// Which sensitivity method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MethodKind {
    /// Sobol indices (Saltelli design).
    Sobol,
    /// Morris elementary effects.
    Morris,
}

/// `--method` and the sizes of its design.
#[derive(Debug, Clone, Copy, PartialEq, clap::Args)]
pub struct MethodArgs {
    /// sobol or morris.
    #[arg(long, value_enum, default_value_t = MethodKind::Sobol, hide_possible_values = true)]
    pub method: MethodKind,
    /// Sobol base samples N, a power of two (N (k + 2) design points).
    #[arg(long, default_value_t = 256)]
    pub samples: usize,
    /// Morris trajectories r (r (k + 1) design points).
    #[arg(long, default_value_t = 20)]
    pub trajectories: usize,
    /// Morris grid levels (even).
    #[arg(long, default_value_t = 4)]
    pub levels: usize,
}

impl MethodArgs {
    /// The method with its design sizes.
    pub fn method(&self) -> Method {
        match self.method {
            MethodKind::Sobol => Method::Sobol { samples: self.samples },
            MethodKind::Morris => Method::Morris {
                trajectories: self.trajectories,
                levels: self.levels,
            },
        }
    }
}

/// What `discover` should do: PRIM boxes of a sweep's parameter space where a condition is
/// frequent (default --out: DIR/discover).
#[derive(Debug, Clone, clap::Args)]
pub struct DiscoverCommand {
    /// Output directory of `blocsim sweep` (an lhs design works best).
    #[arg(value_name = "DIR")]
    pub sweep_dir: PathBuf,
    /// The yes/no outcome, e.g. --where 'final_gdp_share.telecom.CN > 0.5'.
    #[arg(long = "where", value_name = "OUTCOME OP NUMBER")]
    pub condition: String,
    /// Peeling and pasting settings.
    #[command(flatten)]
    pub options: PrimOptions,
    /// Number of boxes (covering: later boxes search the runs outside earlier ones; 1 to 20).
    #[arg(long, default_value_t = 1)]
    pub boxes: usize,
    /// Output directory (None: `<DIR>/discover`).
    #[command(flatten)]
    pub output: Output,
    /// Whether and how to draw the charts.
    #[command(flatten)]
    pub charts: Charts,
    /// The command line, for the manifest (set by the caller).
    #[arg(skip)]
    pub command: Vec<String>,
}

/// What an experiment command did: its result, its output directory and its wall time.
#[derive(Debug, Clone)]
pub struct ExperimentDone<T> {
    /// The sweep, sensitivity analysis or discovery.
    pub result: T,
    /// Where its files went.
    pub dir: PathBuf,
    /// Wall-clock seconds the command took.
    pub seconds: f64,
}

fn start(
    c: &ExperimentCommand,
    what: &str,
    default_params: fn(&crate::scenario::Scenario) -> Vec<crate::analysis::ParamRange>,
) -> Result<Prepared> {
    if let Some(o) = &c.charts.options() {
        crate::plot::check_options(o)?;
    }
    prepare(&c.settings, what, default_params)
}

/// `blocsim sweep`: run every design point, write the tables, charts and manifest. Returns the
/// sweep and its output directory.
pub fn sweep(c: SweepCommand, progress: &dyn Progress) -> anyhow::Result<ExperimentDone<Sweep>> {
    let kind = c.design;
    if c.common.settings.params.is_empty() {
        return Err(Error::Usage("sweep: expected at least one --param PATH=LO:HI".into()).into());
    }
    crate::analysis::effects::check_precision(c.precision)?;
    let started = std::time::Instant::now();
    let p = start(&c.common, "sweep", |_| Vec::new())?;
    let n = c.points.unwrap_or(crate::analysis::sweep::default_points(kind));
    let planned = crate::analysis::sweep::design_points(&p.params, kind, n, p.plan.seed)?.len() as u64 * p.plan.runs;
    progress.start(planned);
    let sweep = crate::analysis::sweep::run_with(&p.loader, &p.params, kind, n, &p.outcomes, &p.plan, progress)?;
    let sweep = sweep.with_precision(c.precision);
    let mut files = sweep.write(&p.dir)?;
    if let Some(opts) = &c.common.charts.options() {
        files.extend(crate::plot::analysis::plot_sweep(&p.dir, &sweep, opts)?);
    }
    let seconds = started.elapsed().as_secs_f64();
    write_manifest(&p, &c.common.settings, planned, sweep.threads, seconds, files)?;
    Ok(ExperimentDone {
        result: sweep,
        dir: p.dir,
        seconds,
    })
}

/// `blocsim sensitivity`: Sobol indices or Morris elementary effects (default parameters: the
/// scenario's uncertain ones), with tables, charts and manifest. Returns the analysis and its
/// output directory.
pub fn sensitivity(c: SensitivityCommand, progress: &dyn Progress) -> anyhow::Result<ExperimentDone<Sensitivity>> {
    let started = std::time::Instant::now();
    let method = c.design.method();
    let p = start(&c.common, &format!("sensitivity-{}", method.name()), uncertain_ranges)?;
    let k = p.params.len();
    let points = match method {
        Method::Sobol { samples } => samples * (k + 2),
        Method::Morris { trajectories, .. } => trajectories * (k + 1),
    };
    let planned = points as u64 * p.plan.runs;
    progress.start(planned);
    let a = crate::analysis::sensitivity::run(&p.loader, &p.params, method, &p.outcomes, &p.plan, c.precision, progress)?;
    let mut files = a.write(&p.dir)?;
    if let Some(opts) = &c.common.charts.options() {
        files.extend(crate::plot::analysis::plot_sensitivity(&p.dir, &a, opts)?);
    }
    let seconds = started.elapsed().as_secs_f64();
    write_manifest(&p, &c.common.settings, planned, a.threads, seconds, files)?;
    Ok(ExperimentDone {
        result: a,
        dir: p.dir,
        seconds,
    })
}

/// `blocsim discover`: PRIM on the sweep in `sweep_dir`; writes the tables, charts and
/// `manifest.json` (the sweep's, with this command's files and command line). Returns the
/// discovery and its output directory.
pub fn discover(c: DiscoverCommand) -> anyhow::Result<ExperimentDone<Discovery>> {
    let started = std::time::Instant::now();
    if let Some(o) = &c.charts.options() {
        crate::plot::check_options(o)?;
    }
    if !(1..=20).contains(&c.boxes) {
        return Err(Error::Usage(format!("--boxes {}: expected 1 to 20", c.boxes)).into());
    }
    let condition = Condition::parse(&c.condition)?;
    let dir = c.output.out.unwrap_or_else(|| c.sweep_dir.join("discover"));
    let _lock = crate::outdir::prepare(&dir, c.output.force)?;
    let d = crate::analysis::discover::discover(&c.sweep_dir, &condition, &c.options, c.boxes)?;
    let mut files = d.write(&dir)?;
    if let Some(o) = &c.charts.options() {
        files.extend(crate::plot::analysis::plot_discovery(&dir, &d, o)?);
    }
    let mut m = read_manifest(&c.sweep_dir)?;
    files.push(crate::outdir::MARKER.into());
    m.set_files(files);
    m.command = c.command;
    m.wall_seconds = started.elapsed().as_secs_f64();
    m.threads = 1;
    m.write(&dir)?;
    Ok(ExperimentDone {
        result: d,
        dir,
        seconds: m.wall_seconds,
    })
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
