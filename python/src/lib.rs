//! `blocsim._native`: the Rust half of the Python module. Every subcommand runs through
//! [`invoke::invoke`], which parses the command line's arguments into the library's
//! [`blocsim::commands::Invocation`] and calls [`blocsim::commands::execute`] (never the binary) on
//! its own thread without the GIL ([`watch`]); `serve` runs on a background thread ([`serve`]); the
//! tables come back as pyarrow Tables built in Rust ([`tables`]). The Python package `blocsim`
//! (`python/blocsim/`) checks the keywords, builds the arguments and wraps the results in classes
//! with docstrings and type hints.

mod errors;
mod invoke;
mod serve;
mod tables;
mod watch;

use std::path::PathBuf;

use arrow_pyarrow::IntoPyArrow;
use blocsim::commands;
use pyo3::prelude::*;
use pyo3::types::PyDict;

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
        let dist = serde_json::to_value(&u.dist).map_err(|e| errors::to_py(&anyhow::anyhow!(e.to_string())))?;
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

fn to_pyarrow(py: Python<'_>, t: tables::Table) -> PyResult<Bound<'_, PyAny>> {
    arrow_pyarrow::Table::try_new(t.batches, t.schema)
        .map_err(|e| errors::to_py(&anyhow::anyhow!(e.to_string())))?
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

/// The resolved scenario with every file it names made absolute against `base_dir` (the directory
/// of the file it was read from), for `Scenario.save`.
#[pyfunction]
fn portable(resolved: &str, base_dir: PathBuf) -> PyResult<String> {
    errors::guard(|| Ok(blocsim::scenario::files::portable(resolved, &base_dir)?))
}

/// The module `blocsim._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    m.add("MAX_RUNS", blocsim::scenario::validate::MAX_RUNS)?;
    m.add("MAX_THREADS", blocsim::limits::MAX_THREADS)?;
    m.add_class::<serve::Explorer>()?;
    m.add_function(wrap_pyfunction!(invoke::invoke, m)?)?;
    m.add_function(wrap_pyfunction!(invoke::flags, m)?)?;
    m.add_function(wrap_pyfunction!(invoke::subcommands, m)?)?;
    m.add_function(wrap_pyfunction!(invoke::main, m)?)?;
    m.add_function(wrap_pyfunction!(serve::serve, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(portable, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_params, m)?)?;
    m.add_function(wrap_pyfunction!(read_table, m)?)?;
    m.add_function(wrap_pyfunction!(summary_table, m)?)?;
    m.add_function(wrap_pyfunction!(panic_probe, m)?)?;
    Ok(())
}
