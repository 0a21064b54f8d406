//! The commands as library API: one function per subcommand, taking a typed options struct and
//! returning a typed result. The command line ([`crate::cli`]) only parses flags into these
//! options, passes a progress bar and prints the results; an HTTP server or a Python module calls
//! exactly the same functions with its own [`Progress`], which may stop a long command between
//! chunks of runs ([`Error::Cancelled`](crate::Error::Cancelled)).
//!
//! | module | commands |
//! |--------|----------|
//! | [`run`] | `run`: one run |
//! | [`batch`] | `batch`: a Monte Carlo batch, or one shard of it, with its charts |
//! | [`merge`] | `merge`: shard directories into one batch's output |
//! | [`plot`] | `plot`: redraw the charts, the report and the manifest's file list of a directory |
//! | [`compare`] | `compare`: two scenarios on common random numbers |
//! | [`experiments`] | `sweep`, `sensitivity`, `discover` |
//! | [`hindcast`] | `hindcast`: out-of-sample scores of the forecasting registry ([`crate::forecast`]) |
//! | [`forecast`] | `forecast`: the dated forecast beyond the panel |
//! | [`simhind_files`] | the simulated window's tables (the window itself is [`crate::forecast::simulated`]) |
//! | [`hindcast_outputs`] | `hindcast`'s charts, `states.csv`, `counts.csv` and `report.html` |
//! | [`inspect`] | `check`, `scenarios`, `meanfield`: print what a scenario is |
//! | [`invocation`] | every subcommand with its options ([`Invocation`]) and [`execute`], which runs one |
//! | [`bench`] | `bench`: throughput |
//! | [`serve`] | `serve`: the what-if explorer's jobs (the HTTP side is [`crate::server`]) |
//! | [`calibrate`] | `calibrate`: maximum-likelihood estimates of the weights from an observed panel |
//!
//! Layers point down only: the commands call the runners ([`crate::batch`], [`crate::compare`],
//! [`crate::analysis`]), then the charts ([`crate::plot`]), then the report ([`crate::report`]),
//! and finally write the manifest's list of every file. Errors are [`anyhow::Error`]s carrying the
//! same context the command line prints; the library [`Error`](crate::Error) inside is reached with
//! `err.downcast_ref::<blocsim::Error>()` (for instance to tell bad input from a disk error).
//!
//! Every command that writes into a directory holds its lock ([`crate::outdir::DirLock`]) until it
//! returns, on success or error.

pub mod batch;
pub mod bench;
pub mod calibrate;
pub mod compare;
pub mod experiments;
pub mod forecast;
pub mod hindcast;
pub mod hindcast_outputs;
pub mod inspect;
pub mod invocation;
pub mod merge;
pub mod plot;
pub mod run;
pub mod serve;
pub mod simhind_files;

pub use crate::progress::{Progress, Silent};
pub use batch::{BatchCommand, BatchDone, batch};
pub use bench::bench;
pub use calibrate::{CalibrateCommand, CalibrateDone, calibrate};
pub use compare::{CompareCommand, CompareDone, compare};
pub use experiments::{
    DiscoverCommand, ExperimentCommand, ExperimentDone, MethodArgs, MethodKind, SensitivityCommand, SweepCommand, discover, sensitivity,
    sweep,
};
pub use forecast::{ForecastCommand, ForecastDone, forecast};
pub use hindcast::{HindcastCommand, HindcastDone, hindcast};
pub use inspect::{check, meanfield, scenarios};
pub use invocation::{BenchCommand, Finished, Invocation, execute};
pub use merge::{MergeCommand, MergeDone, merge};
pub use plot::{PlotCommand, PlotDone, plot};
pub use run::{RunCommand, RunDone, run};

use crate::error::Error;
use crate::model::Model;
use crate::scenario::Scenario;

/// Load a scenario with its `--set` overrides and build its model.
pub fn load(scenario: &str, sets: &[String]) -> anyhow::Result<Model> {
    let scenario = Scenario::load(scenario, sets)?;
    Ok(crate::footprint::load_model(scenario)?)
}

/// Refuse a run count outside `min..=MAX_RUNS` and a zero thread count, before any work.
fn check_runs_and_threads(runs: u64, min: u64, threads: Option<usize>) -> Result<(), Error> {
    let max = crate::scenario::validate::MAX_RUNS;
    if !(min..=max).contains(&runs) {
        return Err(Error::Usage(format!("--runs {runs}: expected {min} to {max}")));
    }
    if threads == Some(0) {
        return Err(Error::Usage("--threads 0: expected at least 1".into()));
    }
    Ok(())
}

/// How an interface reports a command's error: what the command line prints after `error: ` (the
/// context chain, each library cause once), and whether it is bad input (exit code 2) rather than
/// a failure such as a disk error (exit code 1). The CLI, a server and the Python module all use it,
/// so they say the same thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReport {
    /// The message the command line prints after `error: `.
    pub message: String,
    /// Bad input (scenario, flags, data files, an output directory in use): exit code 2.
    pub input: bool,
    /// The command stopped because its [`Progress`] asked it to.
    pub cancelled: bool,
}

/// The [`ErrorReport`] of a command's error.
pub fn error_report(err: &anyhow::Error) -> ErrorReport {
    let input = err.chain().any(|c| c.downcast_ref::<Error>().is_some_and(is_input_error));
    let cancelled = err.chain().any(|c| matches!(c.downcast_ref::<Error>(), Some(Error::Cancelled)));
    let mut message = err.to_string();
    for cause in err.chain().skip(1) {
        // Library errors already print their underlying cause; do not repeat it.
        let cause = cause.to_string();
        if !message.contains(&cause) {
            message.push_str(&format!(": {cause}"));
        }
    }
    ErrorReport { message, input, cancelled }
}

fn is_input_error(e: &Error) -> bool {
    !matches!(
        e,
        Error::Write { .. } | Error::Parquet { .. } | Error::Plot { .. } | Error::Cancelled
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_report_says_what_the_command_line_says_and_classifies_it() {
        let usage: anyhow::Error = Error::Usage("--runs 0: expected 1 to 9".into()).into();
        let r = error_report(&usage.context("batch of baseline"));
        assert_eq!(r.message, "batch of baseline: --runs 0: expected 1 to 9");
        assert!(r.input && !r.cancelled);
        let cancelled = error_report(&anyhow::Error::from(Error::Cancelled));
        assert!(!cancelled.input && cancelled.cancelled);
        let other = error_report(&anyhow::anyhow!("disk full"));
        assert_eq!(other.message, "disk full");
        assert!(!other.input);
    }
}
