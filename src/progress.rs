//! Progress reporting and cancellation of long commands, between chunks of runs.
//!
//! The runners ([`crate::batch`], [`crate::compare`], [`crate::analysis`]) report how many runs are
//! done after each chunk through a [`Progress`], and ask it whether to stop: a command-line bar never
//! stops, a server stopping a job returns `true` from [`Progress::cancelled`], and the runner then
//! returns [`Error::Cancelled`](crate::Error::Cancelled) before the next chunk. A batch writing to a
//! directory keeps its last checkpoint, so a cancelled batch can be resumed with `--resume`.

/// Receives progress of a command and may ask it to stop between chunks.
pub trait Progress: Sync {
    /// The number of runs the command will do in all, once it is known.
    fn start(&self, _total: u64) {}
    /// `done` runs are finished (of this batch or shard, including earlier attempts when resumed).
    fn advance(&self, _done: u64) {}
    /// One more run is finished: called by the worker threads as each run ends, between the
    /// chunks' [`Progress::advance`] (which stays the exact count), so a display can move run by
    /// run.
    fn run_done(&self) {}
    /// A line of news that is not a run count (e.g. which configuration `bench` measures next).
    fn note(&self, _line: &str) {}
    /// Whether the command should stop before its next chunk of runs.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Progress that nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// A plain `progress(done)` callback as a [`Progress`] that never cancels.
pub struct Callback<'a>(pub &'a (dyn Fn(u64) + Sync));

impl Progress for Callback<'_> {
    fn advance(&self, done: u64) {
        (self.0)(done)
    }
}

/// After a chunk: report `done` runs, then stop with [`Error::Cancelled`](crate::Error::Cancelled)
/// if asked to.
pub fn chunk_done(progress: &dyn Progress, done: u64) -> crate::Result<()> {
    progress.advance(done);
    if progress.cancelled() {
        return Err(crate::Error::Cancelled);
    }
    Ok(())
}
