//! `blocsim._native`: the Rust half of the Python module. Each function calls one
//! [`blocsim::commands`] function with typed options (never the command line), runs it on its own
//! thread without the GIL ([`watch`]) and returns plain Python values; the tables come back as
//! pyarrow Tables built in Rust ([`tables`]). The Python package `blocsim` (`python/blocsim/`)
//! wraps these in classes with docstrings and type hints.

mod errors;
mod tables;
mod watch;

use std::path::{Path, PathBuf};

use arrow_pyarrow::IntoPyArrow;
use blocsim::commands;
use blocsim::options::{Charts, Output, Plan, PlotOptions, Sets, Source};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `blocsim scenarios`: the bundled scenarios, one line each.
#[pyfunction]
fn scenarios() -> String {
    commands::scenarios()
}

/// `blocsim check SCENARIO --set ...`: what the scenario resolves to, as the command line prints it.
#[pyfunction]
fn check(py: Python<'_>, scenario: &str, sets: Vec<String>) -> PyResult<String> {
    py.detach(|| errors::guard(|| commands::check(scenario, &sets)))
}

/// Load and validate a scenario (and build its world) with `--set` overrides; returns what it is.
#[pyfunction]
fn load<'py>(py: Python<'py>, scenario: &str, sets: Vec<String>) -> PyResult<Bound<'py, PyDict>> {
    let model = py.detach(|| errors::guard(|| commands::load(scenario, &sets)))?;
    let s = &model.scenario;
    let d = PyDict::new(py);
    d.set_item("name", &s.name)?;
    d.set_item("description", &s.description)?;
    d.set_item("resolved", &s.resolved)?;
    d.set_item("frameworks", &s.frameworks)?;
    d.set_item("domains", &s.domains)?;
    d.set_item("start", s.start)?;
    d.set_item("end", s.end)?;
    d.set_item("runs", s.batch.runs)?;
    d.set_item("seed", s.batch.seed)?;
    d.set_item("states", model.world.len())?;
    let ranges = blocsim::analysis::uncertain_ranges(s);
    let mut uncertain = Vec::new();
    for (u, r) in s.uncertain.iter().zip(ranges) {
        let e = PyDict::new(py);
        e.set_item("key", &u.key)?;
        let dist = serde_json::to_value(&u.dist).map_err(|e| errors::BlocsimError::new_err(e.to_string()))?;
        e.set_item("dist", dist.get("dist").and_then(|v| v.as_str()).unwrap_or(""))?;
        e.set_item("spec", dist.to_string())?;
        e.set_item("low", r.lo)?;
        e.set_item("high", r.hi)?;
        uncertain.push(e);
    }
    d.set_item("uncertain", uncertain)?;
    let mut outcomes = Vec::new();
    for o in blocsim::outcomes::expand(&model.layout, |_| true) {
        let f = o.family();
        let e = PyDict::new(py);
        e.set_item("name", o.name(&s.domains, &s.frameworks))?;
        e.set_item("family", f.name)?;
        e.set_item("about", f.about)?;
        e.set_item("compared", f.uses.compared)?;
        e.set_item("default", f.uses.default)?;
        e.set_item("selectable", f.uses.selectable)?;
        outcomes.push(e);
    }
    d.set_item("outcomes", outcomes)?;
    Ok(d)
}

/// Check `PATH=LO:HI` ranges against a scenario as `sweep --param` does; returns
/// `(key, lo, hi, integer)` for each (integer keys take whole numbers).
#[pyfunction]
fn resolve_params(py: Python<'_>, scenario: &str, sets: Vec<String>, params: Vec<String>) -> PyResult<Vec<(String, f64, f64, bool)>> {
    py.detach(|| {
        errors::guard(|| {
            let loader = blocsim::analysis::Loader::new(scenario, &sets)?;
            let mut ranges = params
                .iter()
                .map(|t| blocsim::analysis::ParamRange::parse(t))
                .collect::<blocsim::Result<Vec<_>>>()?;
            loader.resolve(&mut ranges)?;
            Ok(ranges.into_iter().map(|r| (r.key, r.lo, r.hi, r.integer)).collect())
        })
    })
}


fn dir_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `blocsim batch`: returns `{scenario, dir, runs, threads, wall_seconds, resumed_at, already_complete}`.
#[pyfunction]
#[pyo3(signature = (scenario, sets, runs, seed, threads, out, plots, detail, resume, force, command, progress=None))]
#[allow(clippy::too_many_arguments)]
fn batch<'py>(
    py: Python<'py>,
    scenario: String,
    sets: Vec<String>,
    runs: Option<u64>,
    seed: Option<u64>,
    threads: Option<usize>,
    out: Option<PathBuf>,
    plots: Option<f64>,
    detail: bool,
    resume: bool,
    force: bool,
    command: Vec<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let c = commands::BatchCommand {
        source: Source::new(scenario, sets),
        plan: Plan::new(runs, seed, threads),
        shard: None,
        resume,
        checkpoint_runs: None,
        no_detail: !detail,
        output: Output { out, force },
        charts: Charts::new(plots),
        command,
        env: |_| None,
    };
    let done = watch::run(py, progress.as_ref(), |w| commands::batch(c, w))?;
    let d = PyDict::new(py);
    d.set_item("scenario", &done.scenario)?;
    d.set_item("dir", dir_str(&done.dir))?;
    d.set_item("runs", done.runs)?;
    d.set_item("threads", done.threads)?;
    d.set_item("wall_seconds", done.wall_seconds)?;
    d.set_item("resumed_at", done.resumed_at)?;
    d.set_item("already_complete", done.already_complete)?;
    Ok(d)
}

/// `blocsim compare`: returns `{baseline, alternative, runs, dir}`.
#[pyfunction]
#[pyo3(signature = (baseline, alternative, sets, runs, seed, threads, out, force, plots, command, progress=None))]
#[allow(clippy::too_many_arguments)]
fn compare<'py>(
    py: Python<'py>,
    baseline: String,
    alternative: String,
    sets: Vec<String>,
    runs: Option<u64>,
    seed: Option<u64>,
    threads: Option<usize>,
    out: Option<PathBuf>,
    force: bool,
    plots: Option<f64>,
    command: Vec<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let c = commands::CompareCommand {
        baseline,
        alternative,
        set: Sets { sets },
        plan: Plan::new(runs, seed, threads),
        output: Output { out, force },
        charts: Charts::new(plots),
        command,
    };
    let done = watch::run(py, progress.as_ref(), |w| commands::compare(c, w))?;
    let d = PyDict::new(py);
    d.set_item("baseline", &done.baseline)?;
    d.set_item("alternative", &done.alternative)?;
    d.set_item("runs", done.runs)?;
    d.set_item("dir", dir_str(&done.dir))?;
    Ok(d)
}

/// `blocsim sweep`: returns `{scenario, dir, points, runs, threads, warnings}`.
#[pyfunction]
#[pyo3(signature = (scenario, sets, params, design, points, outcomes, runs, seed, threads, out, force, plots, command, progress=None, precision=None))]
#[allow(clippy::too_many_arguments)]
fn sweep<'py>(
    py: Python<'py>,
    scenario: String,
    sets: Vec<String>,
    params: Vec<String>,
    design: String,
    points: Option<usize>,
    outcomes: Vec<String>,
    runs: u64,
    seed: Option<u64>,
    threads: Option<usize>,
    out: Option<PathBuf>,
    force: bool,
    plots: Option<f64>,
    command: Vec<String>,
    progress: Option<Py<PyAny>>,
    precision: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let design = errors::guard(|| Ok(blocsim::analysis::sweep::DesignKind::parse(&design)?))?;
    let c = commands::SweepCommand {
        common: commands::ExperimentCommand {
            settings: blocsim::analysis::Settings {
                source: Source::new(scenario, sets),
                params,
                outcomes,
                plan: Plan::new(Some(runs), seed, threads),
                output: Output { out, force },
                command,
            },
            charts: Charts::new(plots),
        },
        design,
        points,
        precision,
    };
    let done = watch::run(py, progress.as_ref(), |w| commands::sweep(c, w))?;
    let (sw, dir) = (done.result, done.dir);
    let d = PyDict::new(py);
    d.set_item("scenario", &sw.scenario)?;
    d.set_item("dir", dir_str(&dir))?;
    d.set_item("points", sw.points.len())?;
    d.set_item("runs", sw.plan.runs)?;
    d.set_item("threads", sw.threads)?;
    d.set_item("warnings", &sw.warnings)?;
    Ok(d)
}

/// `blocsim plot DIR`: redraw every chart (and the report) of a saved directory; returns the files.
#[pyfunction]
#[pyo3(signature = (dir, png_scale=2.0))]
fn plot(py: Python<'_>, dir: PathBuf, png_scale: f64) -> PyResult<Vec<String>> {
    let done = watch::run(py, None, |_| commands::plot(&dir, &PlotOptions { png_scale }))?;
    Ok(done.files)
}

fn to_pyarrow(py: Python<'_>, t: tables::Table) -> PyResult<Bound<'_, PyAny>> {
    arrow_pyarrow::Table::try_new(t.batches, t.schema)
        .map_err(|e| errors::BlocsimError::new_err(e.to_string()))?
        .into_pyarrow(py)
}

/// A `.csv` or `.parquet` table of an output directory as a pyarrow Table (built in Rust, shared
/// with pyarrow without copying).
#[pyfunction]
fn read_table(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyAny>> {
    let t = py.detach(|| errors::guard(|| tables::read(&path)))?;
    to_pyarrow(py, t)
}

/// `summary.json` as a pyarrow Table: `key` and `mean, sd, p05, p25, p50, p75, p95`.
#[pyfunction]
fn summary_table(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyAny>> {
    let t = py.detach(|| errors::guard(|| tables::summary_table(&path)))?;
    to_pyarrow(py, t)
}

/// Test hook: panic inside a guarded call (`thread=True`: on a command's thread, as a batch runs),
/// so the tests can check that a panic arrives as `BlocsimError`, never as a panic.
#[pyfunction]
#[pyo3(name = "_panic_probe")]
fn panic_probe(py: Python<'_>, thread: bool) -> PyResult<()> {
    let boom = || -> anyhow::Result<()> { panic!("probe") };
    if thread {
        watch::run(py, None, |_| boom())
    } else {
        errors::guard(boom)
    }
}

/// The module `blocsim._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("BlocsimError", py.get_type::<errors::BlocsimError>())?;
    m.add("InputError", py.get_type::<errors::InputError>())?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(scenarios, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_params, m)?)?;
    m.add_function(wrap_pyfunction!(batch, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(plot, m)?)?;
    m.add_function(wrap_pyfunction!(read_table, m)?)?;
    m.add_function(wrap_pyfunction!(summary_table, m)?)?;
    m.add_function(wrap_pyfunction!(panic_probe, m)?)?;
    Ok(())
}
