//! Every subcommand with its options as plain data ([`Invocation`]), and [`execute`], which runs
//! one and returns its typed result ([`Finished`]). The command line parses its arguments into an
//! [`Invocation`] and prints the [`Finished`]; the Python module builds the same arguments from a
//! call's keywords, parses them with [`Invocation::parse`] and opens the directory written. So each
//! flag is defined once (the clap derives of the commands' options), and both interfaces run a
//! command through the same function.

use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use super::{
    BatchCommand, BatchDone, CalibrateCommand, CalibrateDone, CompareCommand, CompareDone, DiscoverCommand, ExperimentCommand,
    ExperimentDone, ForecastCommand, ForecastDone, HindcastCommand, HindcastDone, MergeCommand, MergeDone, PlotCommand, PlotDone, Progress,
    RunCommand, RunDone, SensitivityCommand, SweepCommand,
};
use crate::analysis::Settings;
use crate::analysis::discover::Discovery;
use crate::analysis::sensitivity::Sensitivity;
use crate::analysis::sweep::Sweep;
use crate::bench::BenchReport;
use crate::commands::serve::ServeOptions;
use crate::error::Error;
use crate::options::Source;

/// The subcommands, each holding its library options.
#[derive(Debug, Subcommand)]
pub enum Invocation {
    /// Simulate one run and write its trajectory and final state (default --out:
    /// output/<scenario>/run-<RUN>).
    Run(RunCommand),
    /// Run a Monte Carlo batch and write the output directory (default --out: output/<scenario>).
    Batch(BatchCommand),
    /// Merge the shard directories of one batch into the output a single machine would have written.
    #[command(mut_arg("out", |a| a.required(true).help("Output directory.")))]
    Merge(MergeCommand),
    /// Redraw every chart (and report.html) from a saved output directory: a batch, or the output
    /// of sweep, sensitivity or discover.
    Plot(PlotCommand),
    /// Validate a scenario and print what it resolves to.
    Check(Source),
    /// Compare an alternative scenario with a baseline on common random numbers (default --out:
    /// output/compare/<baseline>--<alternative>).
    Compare(CompareCommand),
    /// A local page to edit a what-if and watch its paired differences against the baseline as
    /// runs arrive (prints the address; nothing is written to disk).
    Serve(ServeOptions),
    /// Sweep scenario keys over a grid or Latin hypercube, with replications per point (default
    /// --out: output/<scenario>/sweep).
    Sweep(SweepCommand),
    /// Global sensitivity analysis: Sobol indices or Morris elementary effects (default --out:
    /// output/<scenario>/sensitivity-<method>).
    Sensitivity(SensitivityCommand),
    /// Scenario discovery: PRIM boxes of a sweep's parameter space where a condition is frequent
    /// (default --out: DIR/discover).
    Discover(DiscoverCommand),
    /// List the bundled scenarios.
    Scenarios,
    /// Measure throughput: agent-updates per second, setup vs step time, per thread count.
    Bench(BenchCommand),
    /// Print the mean-field fixed points of every domain and their stability.
    Meanfield(Source),
    /// Estimate weights by maximum likelihood of an observed panel's decisions, with standard
    /// errors (default --out: output/<scenario>/calibrate); see docs/calibration.md.
    Calibrate(CalibrateCommand),
    /// Fit on every panel year up to the last and forecast each covered history at risk to the
    /// horizon: P(act by each year) and the median year, with the estimation uncertainty drawn per
    /// run (default --out: output/<scenario>/forecast); see docs/calibration.md.
    Forecast(ForecastCommand),
    /// Fit on start..=split, score one-year-ahead and simulated (--runs engine runs from the
    /// observed state at the end of split) adoption forecasts of split+1..=end against baselines,
    /// with report.html (default --out: output/hindcast); see docs/calibration.md.
    Hindcast(HindcastCommand),
}

/// `bench`'s options and how to print them.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchCommand {
    /// What to measure.
    #[command(flatten)]
    pub options: crate::bench::BenchOptions,
    /// Print a machine-readable JSON record instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// The program's arguments as clap sees them (the binary's name, then the subcommand).
#[derive(Debug, Parser)]
#[command(name = "blocsim", version, about, max_term_width = 100)]
pub struct Arguments {
    /// The subcommand and its options.
    #[command(subcommand)]
    pub command: Invocation,
}

impl Invocation {
    /// Parse a subcommand and its arguments (`["batch", "baseline", "--runs", "10"]`); a bad
    /// argument is [`Error::Usage`] with clap's message (without its usage lines).
    pub fn parse(args: &[String]) -> Result<Invocation, Error> {
        let argv = std::iter::once("blocsim".to_string()).chain(args.iter().cloned());
        let matches = Arguments::command().try_get_matches_from(argv).map_err(usage)?;
        Ok(Arguments::from_arg_matches(&matches).map_err(usage)?.command)
    }

    /// The clap description of every subcommand (for interfaces that list or check the flags).
    pub fn commands() -> clap::Command {
        Arguments::command()
    }
}

/// clap's error as a usage error: its first line, without `error: ` and the usage lines.
fn usage(e: clap::Error) -> Error {
    let text = e.render().to_string();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    Error::Usage(first.trim_start_matches("error: ").trim().to_string())
}

/// What a command returned.
pub enum Finished {
    /// `scenarios`, `check`, `meanfield`: the text the command line prints.
    Text(String),
    /// `run`.
    Run(RunDone),
    /// `batch`.
    Batch(BatchDone),
    /// `merge`.
    Merge(MergeDone),
    /// `plot`: the directory redrawn and what was drawn.
    Plot(PathBuf, PlotDone),
    /// `compare`.
    Compare(CompareDone),
    /// `sweep`.
    Sweep(ExperimentDone<Sweep>),
    /// `sensitivity`.
    Sensitivity(ExperimentDone<Sensitivity>),
    /// `discover`.
    Discover(ExperimentDone<Discovery>),
    /// `bench`: the report and whether JSON was asked for.
    Bench(BenchReport, bool),
    /// `calibrate`.
    Calibrate(CalibrateDone),
    /// `forecast` (boxed: its dated forecast is far larger than the other results).
    Forecast(Box<ForecastDone>),
    /// `hindcast`.
    Hindcast(HindcastDone),
    /// `serve` is not run here: the interface binds and runs the server with these options.
    Serve(ServeOptions),
}

impl Finished {
    /// The output directory the command wrote, if it wrote one.
    pub fn dir(&self) -> Option<&std::path::Path> {
        match self {
            Finished::Text(_) | Finished::Bench(..) | Finished::Serve(_) => None,
            Finished::Run(d) => Some(&d.dir),
            Finished::Batch(d) => Some(&d.dir),
            Finished::Merge(d) => Some(&d.dir),
            Finished::Plot(dir, _) => Some(dir),
            Finished::Compare(d) => Some(&d.dir),
            Finished::Sweep(d) => Some(&d.dir),
            Finished::Sensitivity(d) => Some(&d.dir),
            Finished::Discover(d) => Some(&d.dir),
            Finished::Calibrate(d) => Some(&d.dir),
            Finished::Forecast(d) => Some(&d.dir),
            Finished::Hindcast(d) => Some(&d.dir),
        }
    }
}

/// Run a command: `command` is the call to record in the manifest, `progress` receives the runs
/// done (and may stop a command that runs batches).
pub fn execute(invocation: Invocation, command: Vec<String>, progress: &dyn Progress) -> anyhow::Result<Finished> {
    use super as c;
    use Invocation as I;
    Ok(match invocation {
        I::Scenarios => Finished::Text(c::scenarios()),
        I::Check(s) => Finished::Text(c::check(&s.scenario, s.sets())?),
        I::Meanfield(s) => Finished::Text(c::meanfield(&s.scenario, s.sets())?),
        I::Run(r) => Finished::Run(c::run(RunCommand { command, ..r })?),
        I::Batch(b) => Finished::Batch(c::batch(BatchCommand { command, ..b }, progress)?),
        I::Merge(m) => Finished::Merge(c::merge(MergeCommand { command, ..m })?),
        I::Plot(p) => Finished::Plot(p.dir.clone(), c::plot(&p.dir, &p.scale)?),
        I::Compare(x) => Finished::Compare(c::compare(CompareCommand { command, ..x }, progress)?),
        I::Serve(o) => Finished::Serve(o),
        I::Sweep(s) => Finished::Sweep(c::sweep(
            SweepCommand {
                common: recorded(s.common, command),
                ..s
            },
            progress,
        )?),
        I::Sensitivity(s) => Finished::Sensitivity(c::sensitivity(
            SensitivityCommand {
                common: recorded(s.common, command),
                ..s
            },
            progress,
        )?),
        I::Discover(d) => Finished::Discover(c::discover(DiscoverCommand { command, ..d })?),
        I::Bench(b) => Finished::Bench(c::bench(&b.options, progress)?, b.json),
        I::Calibrate(x) => Finished::Calibrate(c::calibrate(CalibrateCommand { command, ..x })?),
        I::Forecast(f) => Finished::Forecast(Box::new(c::forecast(ForecastCommand { command, ..f })?)),
        I::Hindcast(h) => Finished::Hindcast(c::hindcast(HindcastCommand { command, ..h })?),
    })
}

/// An experiment's options with the call set for the manifest.
fn recorded(c: ExperimentCommand, command: Vec<String>) -> ExperimentCommand {
    ExperimentCommand {
        settings: Settings { command, ..c.settings },
        ..c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_a_subcommand_and_refuses_a_bad_flag_with_clap_message() {
        let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        match Invocation::parse(&args("batch baseline --runs 7 --no-plots")).unwrap() {
            Invocation::Batch(b) => {
                assert_eq!(b.plan.runs.runs, Some(7));
                assert!(b.charts.no_plots);
            }
            other => panic!("parsed as {other:?}"),
        }
        let Error::Usage(msg) = Invocation::parse(&args("batch baseline --runs ten")).unwrap_err() else {
            panic!("not a usage error")
        };
        assert!(msg.contains("--runs") && msg.contains("ten"), "{msg}");
        assert!(!msg.starts_with("error"), "{msg}");
    }
}
