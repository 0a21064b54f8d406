//! Errors as Python exceptions: a command's error becomes [`InputError`] (what the command line
//! exits with code 2 for: bad scenario, flags, data files, an output directory in use) or
//! [`BlocsimError`] (anything else, e.g. a disk error), with the message the command line prints
//! after `error: ` ([`blocsim::commands::error_report`]). A panic inside a command is caught and
//! becomes [`BlocsimError`] too: none reaches Python.

use std::any::Any;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    blocsim,
    BlocsimError,
    PyException,
    "A blocsim command failed (the command line's exit code 1); the message is the command line's."
);
create_exception!(
    blocsim,
    InputError,
    BlocsimError,
    "Bad input: scenario, option, data file or output directory (the command line's exit code 2)."
);

/// The Python exception of a command's error.
pub fn to_py(err: &anyhow::Error) -> PyErr {
    let report = blocsim::commands::error_report(err);
    if report.input {
        InputError::new_err(report.message)
    } else {
        BlocsimError::new_err(report.message)
    }
}

/// The Python exception of a caught panic: an internal error, never a crash of the interpreter.
pub fn from_panic(payload: Box<dyn Any + Send>) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".into());
    BlocsimError::new_err(format!("internal error (please report it): {what}"))
}

/// Run `f`, turning its error or panic into a Python exception.
pub fn guard<T>(f: impl FnOnce() -> anyhow::Result<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_py(&e)),
        Err(payload) => Err(from_panic(payload)),
    }
}
