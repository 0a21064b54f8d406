//! The command line: flags, progress bars, printing and exit codes — nothing else. Every
//! subcommand's flags are the clap derives of its library options ([`crate::commands`],
//! [`crate::options`] for the groups several share), so a flag is defined once, next to the field
//! it fills; [`execute`] passes the parsed options, with the command line for the manifest and a
//! progress bar, to the command, and hands what it returns to the command's printer
//! ([`print`]).
//!
//! Exit codes: 0 success; 2 bad input (scenario, flags, data files, an output directory in use);
//! 1 anything else (e.g. a disk error while writing).

mod bar;
mod print;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::analysis::Settings;
use crate::commands::{self, ExperimentCommand};
use crate::options::Source;
use bar::{Bar, Lines};

/// Agent-based Monte Carlo simulator of states aligning with rival digital frameworks.
#[derive(Debug, Parser)]
#[command(name = "blocsim", version, about, max_term_width = 100)]
pub struct Cli {
    /// The subcommand and its options.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands, each holding its library options.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate one run and write its trajectory and final state (default --out:
    /// output/<scenario>/run-<RUN>).
    Run(commands::RunCommand),
    /// Run a Monte Carlo batch and write the output directory (default --out: output/<scenario>).
    Batch(commands::BatchCommand),
    /// Merge the shard directories of one batch into the output a single machine would have written.
    #[command(mut_arg("out", |a| a.required(true).help("Output directory.")))]
    Merge(commands::MergeCommand),
    /// Redraw every chart (and report.html) from a saved output directory: a batch, or the output
    /// of sweep, sensitivity or discover.
    Plot(commands::PlotCommand),
    /// Validate a scenario and print what it resolves to.
    Check(Source),
    /// Compare an alternative scenario with a baseline on common random numbers (default --out:
    /// output/compare/<baseline>--<alternative>).
    Compare(commands::CompareCommand),
    /// A local page to edit a what-if and watch its paired differences against the baseline as
    /// runs arrive (prints the address; nothing is written to disk).
    Serve(crate::server::ServeOptions),
    /// Sweep scenario keys over a grid or Latin hypercube, with replications per point (default
    /// --out: output/<scenario>/sweep).
    Sweep(commands::SweepCommand),
    /// Global sensitivity analysis: Sobol indices or Morris elementary effects (default --out:
    /// output/<scenario>/sensitivity-<method>).
    Sensitivity(commands::SensitivityCommand),
    /// Scenario discovery: PRIM boxes of a sweep's parameter space where a condition is frequent
    /// (default --out: DIR/discover).
    Discover(commands::DiscoverCommand),
    /// List the bundled scenarios.
    Scenarios,
    /// Measure throughput: agent-updates per second, setup vs step time, per thread count.
    Bench(BenchCommand),
    /// Print the mean-field fixed points of every domain and their stability.
    Meanfield(Source),
    /// Estimate weights by maximum likelihood of an observed panel's decisions, with standard
    /// errors (default --out: output/<scenario>/calibrate); see docs/calibration.md.
    Calibrate(commands::CalibrateCommand),
    /// Fit on every panel year up to the last and forecast each covered history at risk to the
    /// horizon: P(act by each year) and the median year, with the estimation uncertainty drawn per
    /// run (default --out: output/<scenario>/forecast); see docs/calibration.md.
    Forecast(commands::ForecastCommand),
    /// Fit on start..=split, score one-year-ahead and simulated (--runs engine runs from the
    /// observed state at the end of split) adoption forecasts of split+1..=end against baselines,
    /// with report.html (default --out: output/hindcast); see docs/calibration.md.
    Hindcast(commands::HindcastCommand),
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

/// Parse the command line, run, print errors and return the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let report = commands::error_report(&err);
            eprintln!("error: {}", report.message);
            if report.input { ExitCode::from(2) } else { ExitCode::FAILURE }
        }
    }
}

/// Run a parsed command: the command line goes to the manifest, a progress bar to the long
/// commands, and the result to the command's printer.
pub fn execute(cli: Cli) -> anyhow::Result<()> {
    let line: Vec<String> = std::env::args().collect();
    match cli.command {
        Command::Scenarios => print!("{}", commands::scenarios()),
        Command::Check(s) => print!("{}", commands::check(&s.scenario, s.sets())?),
        Command::Meanfield(s) => print!("{}", commands::meanfield(&s.scenario, s.sets())?),
        Command::Run(c) => print::run(&commands::run(commands::RunCommand { command: line, ..c })?),
        Command::Batch(c) => print::batch(&commands::batch(commands::BatchCommand { command: line, ..c }, &Bar::new())?),
        Command::Merge(c) => print::merge(&commands::merge(commands::MergeCommand { command: line, ..c })?),
        Command::Plot(c) => print::plot(&c.dir, &commands::plot(&c.dir, &c.scale)?),
        Command::Compare(c) => print::compare(&commands::compare(commands::CompareCommand { command: line, ..c }, &Bar::new())?),
        Command::Serve(o) => print::serve(crate::server::Server::bind(&o)?, &o),
        Command::Sweep(c) => print::sweep(&commands::sweep(
            commands::SweepCommand {
                common: experiment(c.common, line),
                ..c
            },
            &Bar::new(),
        )?),
        Command::Sensitivity(c) => print::sensitivity(&commands::sensitivity(
            commands::SensitivityCommand {
                common: experiment(c.common, line),
                ..c
            },
            &Bar::new(),
        )?),
        Command::Discover(c) => print::discover(&commands::discover(commands::DiscoverCommand { command: line, ..c })?),
        Command::Bench(c) => print::bench(&commands::bench(&c.options, &Lines)?, c.json),
        Command::Calibrate(c) => print::calibrate(&commands::calibrate(commands::CalibrateCommand { command: line, ..c })?),
        Command::Forecast(c) => print::forecast(&commands::forecast(commands::ForecastCommand { command: line, ..c })?),
        Command::Hindcast(c) => print::hindcast(&commands::hindcast(commands::HindcastCommand { command: line, ..c })?),
    }
    Ok(())
}

/// An experiment's options with the command line set for the manifest.
fn experiment(c: ExperimentCommand, command: Vec<String>) -> ExperimentCommand {
    ExperimentCommand {
        settings: Settings { command, ..c.settings },
        ..c
    }
}
