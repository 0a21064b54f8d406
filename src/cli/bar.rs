//! How the command line shows progress: a bar over runs, or one line per note.

use indicatif::{ProgressBar, ProgressStyle};

use crate::commands::Progress;

/// A progress bar over runs, with rate and ETA (drawn on stderr only when it is a terminal).
pub(super) struct Bar(ProgressBar);

impl Bar {
    /// An empty bar; its length is set when the command starts.
    pub(super) fn new() -> Bar {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} runs ({per_sec}, ETA {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn advance(&self, done: u64) {
        self.0.set_position(done);
    }
    fn run_done(&self) {
        self.0.inc(1);
    }
    fn note(&self, line: &str) {
        self.0.suspend(|| eprintln!("{line}"));
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// Progress of `bench`: each line on stderr.
pub(super) struct Lines;

impl Progress for Lines {
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }
}
