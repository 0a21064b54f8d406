//! Long commands from Python: the command runs on its own thread while the calling thread waits
//! without the GIL (other Python threads keep running). Every [`POLL`] the caller takes the GIL
//! back, checks for signals (Ctrl-C raises `KeyboardInterrupt` there) and reports progress to an
//! optional Python callback `callback(done, total)` (once the total is known). On a signal it asks the command to stop
//! through [`Progress::cancelled`], which the runners check between chunks of runs, waits for it
//! to stop, and raises the signal's exception; a batch writing to a directory keeps its last
//! checkpoint (`resume=True` continues it).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use blocsim::commands::Progress;
use pyo3::prelude::*;

/// How often the waiting thread checks for signals and reports progress.
pub const POLL: Duration = Duration::from_millis(100);

/// The progress of a command, shared between its thread and the waiting Python thread.
#[derive(Debug, Default)]
pub struct Watch {
    total: AtomicU64,
    done: AtomicU64,
    cancel: AtomicBool,
}

impl Progress for Watch {
    fn start(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }
    fn advance(&self, done: u64) {
        // The exact count after a chunk; never below what the runs already reported.
        self.done.fetch_max(done, Ordering::Relaxed);
    }
    fn run_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

impl Watch {
    fn report(&self, py: Python<'_>, callback: Option<&Py<PyAny>>) -> PyResult<()> {
        let total = self.total.load(Ordering::Relaxed);
        // Nothing to report before the command has started its runs (it is still loading).
        if let (Some(cb), true) = (callback, total > 0) {
            let done = self.done.load(Ordering::Relaxed);
            cb.call1(py, (done, total))?;
        }
        Ok(())
    }
}

/// Run `command` on its own thread with a [`Watch`] as its progress, as described above.
pub fn run<T: Send>(py: Python<'_>, callback: Option<&Py<PyAny>>, command: impl FnOnce(&Watch) -> anyhow::Result<T> + Send) -> PyResult<T> {
    let watch = Watch::default();
    let caller = std::thread::current();
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| command(&watch)));
            caller.unpark();
            result
        });
        let mut interrupted: Option<PyErr> = None;
        loop {
            let finished = py.detach(|| {
                std::thread::park_timeout(POLL);
                worker.is_finished()
            });
            if finished {
                break;
            }
            if interrupted.is_some() {
                continue;
            }
            let step = py.check_signals().and_then(|()| watch.report(py, callback));
            if let Err(e) = step {
                // Ctrl-C (or a failing callback): stop the command between chunks, then re-raise.
                watch.cancel.store(true, Ordering::Relaxed);
                interrupted = Some(e);
            }
        }
        let result = worker.join().unwrap_or_else(Err);
        if let Some(e) = interrupted {
            return Err(e);
        }
        match result {
            Ok(Ok(v)) => {
                watch.report(py, callback)?;
                Ok(v)
            }
            Ok(Err(e)) => Err(crate::errors::to_py(&e)),
            Err(payload) => Err(crate::errors::from_panic(payload)),
        }
    })
}
