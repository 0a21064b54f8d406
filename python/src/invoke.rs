//! Every subcommand from Python: [`invoke`] parses the command line's arguments (built by the
//! Python functions from checked keywords) into the library's [`Invocation`], runs it through
//! [`commands::execute`] on its own thread ([`crate::watch`]) and returns what it did as a dict;
//! [`flags`] lists a subcommand's flags, so the tests can hold the Python signatures to them.

use blocsim::commands::{self, Finished, Invocation};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::{errors, watch};

/// Run one subcommand: `args` is what follows `blocsim` on the command line (`["batch",
/// "baseline", "--runs", "10"]`), `command` the call the manifest records. Returns `{kind, dir,
/// text, json, warnings}` (and a batch's
/// `resumed_at` and `already_complete`, the files `plot` drew): the output directory (None for `scenarios`, `check`, `meanfield`,
/// `bench`), the text the command line prints for `scenarios`, `check`, `meanfield` and `bench`,
/// `bench`'s JSON record, and the warnings the command line prints.
#[pyfunction]
#[pyo3(signature = (args, command, progress=None))]
pub fn invoke<'py>(
    py: Python<'py>,
    args: Vec<String>,
    command: Vec<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let invocation = errors::guard(|| Ok(Invocation::parse(&args)?))?;
    if matches!(invocation, Invocation::Serve(_)) {
        return Err(errors::input_error("serve runs in the background: call blocsim.serve(...)"));
    }
    let kind = args.first().cloned().unwrap_or_default();
    let finished = watch::run(py, progress.as_ref(), |w| commands::execute(invocation, command, w))?;
    let d = PyDict::new(py);
    d.set_item("kind", kind)?;
    d.set_item("dir", finished.dir().map(|p| p.to_string_lossy().into_owned()))?;
    let (text, json, warnings) = match &finished {
        Finished::Text(t) => (Some(t.clone()), None, Vec::new()),
        Finished::Bench(report, _) => (Some(report.to_text()), Some(report.to_json()), Vec::new()),
        Finished::Sweep(s) => (None, None, s.result.warnings.clone()),
        Finished::Sensitivity(s) => (None, None, s.result.warnings.clone()),
        Finished::Calibrate(c) if !c.fit.converged => (
            None,
            None,
            vec![format!("the maximisation did not converge in {} iterations", c.fit.iterations)],
        ),
        _ => (None, None, Vec::new()),
    };
    if let Finished::Plot(_, p) = &finished {
        d.set_item("files", &p.files)?;
    }
    if let Finished::Batch(b) = &finished {
        d.set_item("resumed_at", b.resumed_at)?;
        d.set_item("already_complete", b.already_complete)?;
    }
    d.set_item("text", text)?;
    d.set_item("json", json)?;
    d.set_item("warnings", warnings)?;
    Ok(d)
}

/// The names of the subcommands.
#[pyfunction]
pub fn subcommands() -> Vec<String> {
    Invocation::commands().get_subcommands().map(|c| c.get_name().to_owned()).collect()
}

/// A subcommand's arguments: `(id, long, takes_value, repeatable, hidden)` each, `long` None for a
/// positional argument.
#[pyfunction]
pub fn flags(name: &str) -> PyResult<Vec<(String, Option<String>, bool, bool, bool)>> {
    let all = Invocation::commands();
    let Some(sub) = all.find_subcommand(name) else {
        return Err(errors::input_error(&format!("{name}: not a blocsim subcommand")));
    };
    Ok(sub
        .get_arguments()
        .filter(|a| a.get_id() != "help")
        .map(|a| {
            let action = a.get_action();
            (
                a.get_id().to_string(),
                a.get_long().map(str::to_owned),
                action.takes_values(),
                matches!(action, clap::ArgAction::Append),
                a.is_hide_set(),
            )
        })
        .collect())
}

/// `python -m blocsim ARGS`: the command line itself (its printing and exit code).
#[pyfunction]
pub fn main(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.detach(|| blocsim::cli::main_with(argv))
}
