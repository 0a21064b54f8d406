//! `blocsim.serve(...)`: the what-if explorer from Python, served on a background thread while the
//! notebook or script goes on; [`Explorer::stop`] ends it. The options are `serve`'s flags, parsed
//! by the library as the command line parses them.

use std::sync::Mutex;
use std::thread::JoinHandle;

use blocsim::commands::Invocation;
use blocsim::server::{Server, Stopper};
use pyo3::prelude::*;

use crate::errors;

/// A running explorer: its address, its baseline, and `stop()`.
#[pyclass(module = "blocsim._native", frozen)]
pub struct Explorer {
    /// The page's address, e.g. `http://127.0.0.1:8000/`.
    #[pyo3(get)]
    url: String,
    /// The baseline's scenario name.
    #[pyo3(get)]
    baseline: String,
    stopper: Stopper,
    thread: Mutex<Option<JoinHandle<()>>>,
}

#[pymethods]
impl Explorer {
    /// Stop answering requests and wait for the server's loop to end (idempotent).
    fn stop(&self, py: Python<'_>) {
        self.stopper.stop();
        let handle = self.thread.lock().map(|mut t| t.take()).unwrap_or(None);
        if let Some(h) = handle {
            py.detach(|| {
                let _ = h.join();
            });
        }
    }

    /// Whether the server still answers requests.
    #[getter]
    fn running(&self) -> bool {
        self.thread.lock().map(|t| t.as_ref().is_some_and(|h| !h.is_finished())).unwrap_or(false)
    }
}

/// Bind the server (`args`: `serve`'s arguments, e.g. `["serve", "baseline", "--port", "0"]`)
/// and answer requests on a thread of its own.
#[pyfunction]
pub fn serve(py: Python<'_>, args: Vec<String>) -> PyResult<Explorer> {
    let server = py.detach(|| {
        errors::guard(|| match Invocation::parse(&args)? {
            Invocation::Serve(o) => Server::bind(&o),
            _ => anyhow::bail!(blocsim::Error::Usage("expected serve's arguments".into())),
        })
    })?;
    let (url, baseline, stopper) = (server.url(), server.baseline.clone(), server.stopper());
    let thread = std::thread::Builder::new()
        .name("blocsim-serve".into())
        .spawn(move || server.run())
        .map_err(|e| errors::to_py(&anyhow::anyhow!("cannot start the server's thread: {e}")))?;
    Ok(Explorer {
        url,
        baseline,
        stopper,
        thread: Mutex::new(Some(thread)),
    })
}
