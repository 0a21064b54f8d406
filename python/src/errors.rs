//! Errors as Python exceptions: a command's error becomes `blocsim.InputError` (what the command
//! line exits with code 2 for: bad scenario, flags, data files, an output directory in use; a
//! `ValueError`) or `blocsim.BlocsimError` (anything else, e.g. a disk error), with the message the
//! command line prints after `error: ` ([`blocsim::commands::error_report`]). The classes are
//! defined in Python (`blocsim/_errors.py`, so that `InputError` can also be a `ValueError`), and
//! the Python functions reword the command line's flags in the message as their keywords. A panic
//! inside a command is caught and becomes `BlocsimError` too: none reaches Python.

use std::any::Any;

use pyo3::prelude::*;

/// An exception of `blocsim._errors` by its class name, with `message`.
fn raise(class: &str, message: String) -> PyErr {
    Python::attach(|py| {
        let made = py
            .import("blocsim._errors")
            .and_then(|m| m.getattr(class))
            .and_then(|cls| cls.call1((message.clone(),)));
        match made {
            Ok(exc) => PyErr::from_value(exc),
            // Only if the package's Python half is missing (the extension imported on its own).
            Err(_) => pyo3::exceptions::PyRuntimeError::new_err(message),
        }
    })
}

/// `InputError(message)`: bad input.
pub fn input_error(message: &str) -> PyErr {
    raise("InputError", message.to_owned())
}

/// The Python exception of a command's error.
pub fn to_py(err: &anyhow::Error) -> PyErr {
    let report = blocsim::commands::error_report(err);
    raise(if report.input { "InputError" } else { "BlocsimError" }, report.message)
}

/// The Python exception of a caught panic: an internal error, never a crash of the interpreter.
pub fn from_panic(payload: Box<dyn Any + Send>) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".into());
    raise("BlocsimError", format!("internal error (please report it): {what}"))
}

/// Run `f`, turning its error or panic into a Python exception.
pub fn guard<T>(f: impl FnOnce() -> anyhow::Result<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_py(&e)),
        Err(payload) => Err(from_panic(payload)),
    }
}
