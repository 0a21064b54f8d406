//! The command line: flags, progress bars, printing and exit codes — nothing else. Every
//! subcommand parses its flags into the options of a [`crate::commands`] function, calls it with a
//! progress bar, and prints what it returns.
//!
//! Flags shared by several subcommands are defined once, in the groups below, and flattened into
//! each subcommand that takes them.
//!
//! Exit codes: 0 success; 2 bad input (scenario, flags, data files, an output directory in use);
//! 1 anything else (e.g. a disk error while writing).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::commands::{self, Progress};
use crate::error::Error;
use crate::plot::PlotOptions;

/// Agent-based Monte Carlo simulator of states aligning with rival digital frameworks.
#[derive(Debug, Parser)]
#[command(name = "blocsim", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// `--set PATH=VALUE`, repeatable.
#[derive(Debug, Clone, Args)]
pub struct SetArgs {
    /// Override a scenario key, e.g. --set choice.lambda=2.5 (repeatable). `compare` applies it to
    /// the alternative only; `sweep` and `sensitivity` at every design point.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
}

/// A scenario and its overrides.
#[derive(Debug, Clone, Args)]
pub struct ScenarioArgs {
    /// Scenario file (TOML) or bundled scenario name.
    pub scenario: String,
    #[command(flatten)]
    pub set: SetArgs,
}

/// `--seed`.
#[derive(Debug, Clone, Args)]
pub struct SeedArg {
    /// Master seed (default: the scenario's batch.seed; for compare, the baseline's).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// `--runs`.
#[derive(Debug, Clone, Args)]
pub struct RunsArg {
    /// Number of runs (default: the scenario's batch.runs); for sweep and sensitivity, replications
    /// per design point (common random numbers: replication r is run r of the seed; default 10).
    #[arg(long)]
    pub runs: Option<u64>,
}

/// How many runs, from which seed, on how many threads.
#[derive(Debug, Clone, Args)]
pub struct BatchArgs {
    #[command(flatten)]
    pub runs: RunsArg,
    #[command(flatten)]
    pub seed: SeedArg,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Where to write.
#[derive(Debug, Clone, Args)]
pub struct OutArgs {
    /// Output directory (default: output/<scenario>/...; see the command's description).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write into --out even if it is not a blocsim output directory (batch: also discard an
    /// interrupted batch found there).
    #[arg(long)]
    pub force: bool,
}

/// `--plot-scale`.
#[derive(Debug, Clone, Args)]
pub struct PlotScaleArg {
    /// PNG resolution multiplier: 1 = the SVG's pixel size, 2 = default, 4 or more for print.
    #[arg(long, value_name = "SCALE", default_value_t = 2.0)]
    pub plot_scale: f64,
}

impl PlotScaleArg {
    fn options(&self) -> PlotOptions {
        PlotOptions {
            png_scale: self.plot_scale,
        }
    }
}

/// Whether and how to draw charts.
#[derive(Debug, Clone, Args)]
pub struct PlotArgs {
    /// Do not draw charts (a batch or merge then writes no report.html either).
    #[arg(long)]
    pub no_plots: bool,
    #[command(flatten)]
    pub scale: PlotScaleArg,
}

impl PlotArgs {
    fn options(&self) -> Option<PlotOptions> {
        (!self.no_plots).then(|| self.scale.options())
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate one run and write its trajectory and final state (default --out:
    /// output/<scenario>/run-<RUN>).
    Run {
        #[command(flatten)]
        scenario: ScenarioArgs,
        #[command(flatten)]
        seed: SeedArg,
        /// Which run of the batch with this seed to reproduce.
        #[arg(long, default_value_t = 0)]
        run: u64,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Run a Monte Carlo batch and write the output directory (default --out: output/<scenario>).
    Batch {
        #[command(flatten)]
        scenario: ScenarioArgs,
        #[command(flatten)]
        batch: BatchArgs,
        /// Run only shard I of N (0-based), e.g. --shard 0/4, and write a partial result for
        /// `blocsim merge`; `auto` takes I and N from a Slurm job array, `auto/N` takes I from a
        /// Kubernetes indexed job (JOB_COMPLETION_INDEX).
        #[arg(long, value_name = "I/N|auto|auto/N")]
        shard: Option<String>,
        /// Continue an interrupted batch in --out from its last checkpoint (same scenario, --set,
        /// --seed, --runs, --shard); starts from the first run if there is none, and does nothing
        /// if the batch there is already complete.
        #[arg(long)]
        resume: bool,
        /// Runs between checkpoints (default 512 per thread); results do not depend on it.
        #[arg(long, hide = true)]
        checkpoint_runs: Option<u64>,
        /// Do not write the per-run, per-state Parquet table.
        #[arg(long)]
        no_detail: bool,
        #[command(flatten)]
        out: OutArgs,
        #[command(flatten)]
        plots: PlotArgs,
    },
    /// Merge the shard directories of one batch into the output a single machine would have written.
    #[command(mut_arg("out", |a| a.required(true).help("Output directory.")))]
    Merge {
        /// Shard directories written by `blocsim batch --shard`, in any order.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        #[command(flatten)]
        out: OutArgs,
        #[command(flatten)]
        plots: PlotArgs,
    },
    /// Redraw every chart (and report.html) from a saved output directory: a batch, or the output
    /// of sweep, sensitivity or discover.
    Plot {
        /// Output directory written by `blocsim batch`, `sweep`, `sensitivity` or `discover`.
        dir: PathBuf,
        #[command(flatten)]
        scale: PlotScaleArg,
    },
    /// Validate a scenario and print what it resolves to.
    Check {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// Compare an alternative scenario with a baseline on common random numbers (default --out:
    /// output/compare/<baseline>--<alternative>).
    Compare {
        /// Baseline scenario file or bundled name.
        baseline: String,
        /// Alternative scenario file or bundled name.
        alternative: String,
        #[command(flatten)]
        set: SetArgs,
        #[command(flatten)]
        batch: BatchArgs,
        #[command(flatten)]
        out: OutArgs,
        #[command(flatten)]
        plots: PlotArgs,
    },
    /// A local page to edit a what-if and watch its paired differences against the baseline as
    /// runs arrive (prints the address; nothing is written to disk).
    Serve {
        /// Baseline scenario file or bundled name.
        #[arg(default_value = "baseline")]
        scenario: String,
        /// Port to listen on (0: any free port).
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// Address to listen on; anything but a loopback address opens the page to the network.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Worker threads for the runs (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Sweep scenario keys over a grid or Latin hypercube, with replications per point (default
    /// --out: output/<scenario>/sweep).
    Sweep {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// A swept key and its range, e.g. --param choice.lambda=1:4 (repeatable).
        #[arg(long = "param", value_name = "PATH=LO:HI", required = true)]
        params: Vec<String>,
        /// Design: grid (full factorial) or lhs (Latin hypercube).
        #[arg(long, default_value = "grid")]
        design: String,
        /// Levels per parameter (grid, default 5) or points in all (lhs, default 100).
        #[arg(long)]
        points: Option<usize>,
        /// Wanted half-width of the main effects' 95% bands, in outcome units: warn, with the
        /// replications needed, where a band is wider.
        #[arg(long, value_name = "H")]
        precision: Option<f64>,
        #[command(flatten)]
        common: ExperimentArgs,
    },
    /// Global sensitivity analysis: Sobol indices or Morris elementary effects (default --out:
    /// output/<scenario>/sensitivity-<method>).
    Sensitivity {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// sobol or morris.
        #[arg(long, default_value = "sobol")]
        method: String,
        /// Sobol base samples N, a power of two (N (k + 2) design points).
        #[arg(long, default_value_t = 256)]
        samples: usize,
        /// Morris trajectories r (r (k + 1) design points).
        #[arg(long, default_value_t = 20)]
        trajectories: usize,
        /// Morris grid levels (even).
        #[arg(long, default_value_t = 4)]
        levels: usize,
        /// A parameter and its range (repeatable; default: the scenario's uncertain parameters).
        #[arg(long = "param", value_name = "PATH=LO:HI")]
        params: Vec<String>,
        /// Wanted half-width of every 95% interval (Sobol: index units, default 0.05; Morris: share
        /// of the largest mu*, default 0.1): warn, with the replications needed, where one is wider.
        #[arg(long, value_name = "H")]
        precision: Option<f64>,
        #[command(flatten)]
        common: ExperimentArgs,
    },
    /// Scenario discovery: PRIM boxes of a sweep's parameter space where a condition is frequent
    /// (default --out: DIR/discover).
    Discover {
        /// Output directory of `blocsim sweep` (an lhs design works best).
        dir: PathBuf,
        /// The yes/no outcome, e.g. --where 'final_gdp_share.telecom.CN > 0.5'.
        #[arg(long = "where", value_name = "OUTCOME OP NUMBER")]
        condition: String,
        /// Share of the box's runs removed by each peel.
        #[arg(long, default_value_t = 0.05)]
        alpha: f64,
        /// Smallest box mass (share of all runs) peeling may reach.
        #[arg(long, default_value_t = 0.05)]
        min_mass: f64,
        /// The chosen box is the densest with at least this coverage.
        #[arg(long, default_value_t = 0.5)]
        min_coverage: f64,
        /// Number of boxes (covering: later boxes search the runs outside earlier ones).
        #[arg(long, default_value_t = 1)]
        boxes: usize,
        #[command(flatten)]
        out: OutArgs,
        #[command(flatten)]
        plots: PlotArgs,
    },
    /// List the bundled scenarios.
    Scenarios,
    /// Measure throughput: agent-updates per second, setup vs step time, per thread count.
    Bench {
        /// Scenario file (TOML) or bundled scenario name.
        #[arg(default_value = "bench/logit-network")]
        scenario: String,
        #[command(flatten)]
        set: SetArgs,
        /// World sizes to measure (synthetic worlds), comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1000,100000,1000000")]
        agents: Vec<usize>,
        /// Steps per run (default: the scenario's).
        #[arg(long)]
        steps: Option<usize>,
        #[command(flatten)]
        runs: RunsArg,
        /// Thread counts to measure, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,2")]
        threads: Vec<usize>,
        /// Measured repeats per configuration; the median is reported.
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        /// Unmeasured warm-up repeats per configuration.
        #[arg(long, default_value_t = 1)]
        warmup: usize,
        #[command(flatten)]
        seed: SeedArg,
        /// Print a machine-readable JSON record instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Print the mean-field fixed points of every domain and their stability.
    Meanfield {
        #[command(flatten)]
        scenario: ScenarioArgs,
    },
    /// Estimate weights by maximum likelihood of an observed panel's decisions, with standard
    /// errors (default --out: output/<scenario>/calibrate); see docs/calibration.md.
    Calibrate {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Observed directory: events.csv (verified rows) and codebook.toml.
        #[arg(long, value_name = "DIR")]
        observed: PathBuf,
        /// Calendar years whose revisions are fitted.
        #[arg(long, value_name = "FIRST:LAST", default_value = "2018:2021")]
        fit_years: String,
        /// A key to estimate (repeatable): utility.TERM, domain.D.weights.TERM,
        /// domain.D.switching_cost, domain.D.revision_rate, domain.D.constants.F, rate.COVARIATE,
        /// detect.INDICATOR (default: the global term weights but investment, and the detection
        /// rate of every observation layer with an act in the fit years).
        #[arg(long, value_name = "KEY")]
        free: Vec<String>,
        /// Skip the profile likelihoods.
        #[arg(long)]
        no_profiles: bool,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Fit on every panel year up to the last and forecast each covered history at risk to the
    /// horizon: P(act by each year) and the median year, with the estimation uncertainty drawn per
    /// run (default --out: output/<scenario>/forecast); see docs/calibration.md.
    Forecast {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Observed directory: events.csv (verified rows) and codebook.toml.
        #[arg(long, value_name = "DIR")]
        observed: PathBuf,
        /// Calendar years whose revisions are fitted (the last is where the forecast starts).
        #[arg(long, value_name = "FIRST:LAST", default_value = "2018:2025")]
        fit_years: String,
        /// Last forecast year.
        #[arg(long, default_value_t = 2030)]
        horizon: i32,
        /// A key to estimate (repeatable), as for calibrate.
        #[arg(long, value_name = "KEY")]
        free: Vec<String>,
        /// Runs (default the scenario's batch.runs), their seed and worker threads.
        #[command(flatten)]
        batch: BatchArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Fit on start..=split, score one-year-ahead and simulated (--runs engine runs from the
    /// observed state at the end of split) adoption forecasts of split+1..=end against baselines,
    /// with report.html (default --out: output/hindcast); see docs/calibration.md.
    Hindcast {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Observed directory: events.csv (verified rows) and codebook.toml.
        #[arg(long, value_name = "DIR")]
        observed: PathBuf,
        /// First fitted year.
        #[arg(long, default_value_t = 2018)]
        start: i32,
        /// Last fitted year (the scores cover the years after it).
        #[arg(long, default_value_t = 2021)]
        split: i32,
        /// Last scored year.
        #[arg(long, default_value_t = 2025)]
        end: i32,
        /// A key to estimate (repeatable), as for calibrate.
        #[arg(long, value_name = "KEY")]
        free: Vec<String>,
        /// Bootstrap replications of the score differences (resampling states).
        #[arg(long, default_value_t = 1000)]
        bootstrap: usize,
        /// Runs of the simulated window (--runs, default the scenario's batch.runs), their seed
        /// and worker threads.
        #[command(flatten)]
        batch: BatchArgs,
        #[command(flatten)]
        out: OutArgs,
    },
}

/// Flags shared by `sweep` and `sensitivity`.
#[derive(Debug, Clone, Args)]
pub struct ExperimentArgs {
    #[command(flatten)]
    batch: BatchArgs,
    /// An outcome to study (repeatable; default: every final_gdp_share, fragmentation, hedging).
    #[arg(long = "outcome", value_name = "SELECTOR")]
    outcomes: Vec<String>,
    #[command(flatten)]
    out: OutArgs,
    #[command(flatten)]
    plots: PlotArgs,
}

/// Replications per design point of `sweep` and `sensitivity` when `--runs` is not given.
const EXPERIMENT_RUNS: u64 = 10;

impl ExperimentArgs {
    fn command(self, scenario: ScenarioArgs, params: Vec<String>, command: Vec<String>) -> commands::ExperimentCommand {
        commands::ExperimentCommand {
            settings: crate::analysis::Settings {
                scenario: scenario.scenario,
                sets: scenario.set.sets,
                params,
                outcomes: self.outcomes,
                runs: self.batch.runs.runs.unwrap_or(EXPERIMENT_RUNS),
                seed: self.batch.seed.seed,
                threads: self.batch.threads,
                out: self.out.out,
                force: self.out.force,
                command,
            },
            plots: self.plots.options(),
        }
    }
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

/// A progress bar over runs, with rate and ETA (drawn on stderr only when it is a terminal).
struct Bar(ProgressBar);

impl Bar {
    fn new() -> Bar {
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
    fn note(&self, line: &str) {
        self.0.suspend(|| eprintln!("{line}"));
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// Run a parsed command.
pub fn execute(cli: Cli) -> anyhow::Result<()> {
    let command_line: Vec<String> = std::env::args().collect();
    match cli.command {
        Command::Scenarios => {
            print!("{}", commands::scenarios());
            Ok(())
        }
        Command::Check { scenario } => {
            print!("{}", commands::check(&scenario.scenario, &scenario.set.sets)?);
            Ok(())
        }
        Command::Meanfield { scenario } => {
            print!("{}", commands::meanfield(&scenario.scenario, &scenario.set.sets)?);
            Ok(())
        }
        Command::Forecast {
            scenario,
            observed,
            fit_years,
            horizon,
            free,
            batch,
            out,
        } => {
            let done = commands::forecast(commands::ForecastCommand {
                scenario: scenario.scenario,
                sets: scenario.set.sets,
                observed,
                fit_years: Some(fit_years),
                horizon,
                free,
                runs: batch.runs.runs,
                seed: batch.seed.seed,
                threads: batch.threads,
                out: out.out,
                force: out.force,
                command: command_line,
            })?;
            let d = &done.dated;
            println!(
                "{} histories at risk at the end of {}, {} runs; expected acts by year (sum of P):",
                d.spells.spells.len(),
                d.last,
                d.runs
            );
            for (ind, list) in d.spells.by_indicator() {
                let sums: Vec<String> = (0..(d.horizon - d.last) as usize)
                    .map(|t| {
                        format!(
                            "{} {:.1}",
                            d.last + 1 + t as i32,
                            list.iter().map(|&h| d.multi[h].by_year[t]).sum::<f64>()
                        )
                    })
                    .collect();
                println!("  {ind:<24} {}", sums.join("  "));
            }
            eprintln!("wrote {} ({:.2} s)", done.dir.display(), done.seconds);
            Ok(())
        }
        Command::Calibrate {
            scenario,
            observed,
            fit_years,
            free,
            no_profiles,
            out,
        } => {
            let done = commands::calibrate(commands::CalibrateCommand {
                scenario: scenario.scenario,
                sets: scenario.set.sets,
                observed,
                fit_years: Some(fit_years),
                free,
                no_profiles,
                out: out.out,
                force: out.force,
                command: command_line,
            })?;
            print!("{}", crate::calibrate::output::estimates_table(&done.fit, &done.summary));
            if !done.fit.converged {
                eprintln!("warning: the maximisation did not converge in {} iterations", done.fit.iterations);
            }
            eprintln!("wrote {} ({:.2} s)", done.dir.display(), done.seconds);
            Ok(())
        }
        Command::Hindcast {
            scenario,
            observed,
            start,
            split,
            end,
            free,
            bootstrap,
            batch,
            out,
        } => {
            let done = commands::hindcast(commands::HindcastCommand {
                scenario: scenario.scenario,
                sets: scenario.set.sets,
                observed,
                start,
                split,
                end,
                free,
                bootstrap,
                runs: batch.runs.runs,
                seed: batch.seed.seed,
                threads: batch.threads,
                out: out.out,
                force: out.force,
                command: command_line,
            })?;
            println!(
                "{:<34} {:>6} {:>6} {:>10} {:>8} {:>8} {:>8}",
                "window: model", "n", "events", "log score", "Brier", "ROC-AUC", "PR-AUC"
            );
            for (w, m, _, s) in done.scores.iter().filter(|(_, _, i, _)| i == "pooled") {
                println!(
                    "{:<34} {:>6} {:>6} {:>10.4} {:>8.5} {:>8.3} {:>8.3}",
                    format!("{w}: {m}"),
                    s.n,
                    s.events,
                    s.log_score,
                    s.brier,
                    s.roc_auc,
                    s.pr_auc
                );
            }
            for (w, m, score, v, lo, hi) in &done.differences {
                println!("{w}: calibrated - {m:<24} {score:<9} {v:+.5} (95% {lo:+.5} to {hi:+.5})");
            }
            eprintln!("wrote {} ({:.2} s)", done.dir.display(), done.seconds);
            Ok(())
        }
        Command::Run { scenario, seed, run, out } => {
            let done = commands::run(commands::RunCommand {
                scenario: scenario.scenario,
                sets: scenario.set.sets,
                seed: seed.seed,
                run,
                out: out.out,
                force: out.force,
                command: command_line,
            })?;
            eprintln!(
                "wrote run {} of {} (seed {}) to {}",
                done.run,
                done.scenario,
                done.seed,
                done.dir.display()
            );
            Ok(())
        }
        Command::Batch {
            scenario,
            batch,
            shard,
            resume,
            checkpoint_runs,
            no_detail,
            out,
            plots,
        } => {
            let c = commands::BatchCommand {
                scenario: scenario.scenario,
                sets: scenario.set.sets,
                runs: batch.runs.runs,
                seed: batch.seed.seed,
                threads: batch.threads,
                shard,
                out: out.out,
                resume,
                force: out.force,
                checkpoint_runs,
                plots: plots.options(),
                detail: !no_detail,
                command: command_line,
                env: |name| std::env::var(name).ok(),
            };
            let done = {
                let bar = Bar::new();
                commands::batch(c, &bar)?
            };
            let dir = done.dir.display();
            if done.already_complete {
                eprintln!(
                    "{dir}: the batch is already complete ({} runs of {}); nothing to resume",
                    done.range.end - done.range.start,
                    done.scenario
                );
                return Ok(());
            }
            match (resume, done.resumed_at) {
                (true, Some(at)) => eprintln!("resumed at run {at} from the checkpoint in {dir}"),
                (true, None) => eprintln!("no checkpoint in {dir}: ran from the first run"),
                _ => {}
            }
            let what = done.shard.map_or_else(String::new, |s| {
                format!(
                    " (shard {s}: runs {}..{} of {}; merge the shards with `blocsim merge`)",
                    done.range.start, done.range.end, done.runs
                )
            });
            eprintln!(
                "{} runs of {} on {} threads in {:.2} s -> {dir}{what}",
                done.range.end - done.range.start,
                done.scenario,
                done.threads,
                done.wall_seconds,
            );
            Ok(())
        }
        Command::Merge { dirs, out, plots } => {
            let out_dir = out.out.unwrap_or_default();
            let merged = commands::merge(commands::MergeCommand {
                dirs,
                out: out_dir.clone(),
                force: out.force,
                plots: plots.options(),
                command: command_line,
            })?;
            eprintln!(
                "merged {} shards ({} runs of {}) -> {}",
                merged.shards,
                merged.runs,
                merged.scenario,
                out_dir.display()
            );
            Ok(())
        }
        Command::Plot { dir, scale } => {
            let done = commands::plot(&dir, &scale.options())?;
            let to = if done.experiment {
                commands::plot::plots_dir(&dir)
            } else {
                dir.join(crate::export::outputs::REPORT)
            };
            eprintln!("drew {} files -> {}", done.files.len(), to.display());
            Ok(())
        }
        Command::Serve {
            scenario,
            port,
            bind,
            threads,
        } => {
            let server = crate::server::Server::bind(&crate::server::ServeOptions {
                scenario,
                port,
                bind,
                threads,
            })?;
            if !bind.is_loopback() {
                eprintln!(
                    "warning: listening on {bind}: anyone who can reach this machine can use the page and its CPU (use --bind 127.0.0.1 to keep it local)"
                );
            }
            println!("blocsim serve: {} (baseline {}; Ctrl-C to stop)", server.url(), server.baseline);
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
            server.run();
            Ok(())
        }
        Command::Compare {
            baseline,
            alternative,
            set,
            batch,
            out,
            plots,
        } => {
            let c = commands::CompareCommand {
                baseline,
                alternative,
                sets: set.sets,
                runs: batch.runs.runs,
                seed: batch.seed.seed,
                threads: batch.threads,
                out: out.out,
                force: out.force,
                plot_options: plots.scale.options(),
                draw: !plots.no_plots,
                command: command_line,
            };
            let done = {
                let bar = Bar::new();
                commands::compare(c, &bar)?
            };
            print!("{}", done.comparison.to_markdown());
            eprintln!(
                "{} paired runs of {} vs {} -> {}",
                done.runs,
                done.alternative,
                done.baseline,
                done.dir.display()
            );
            Ok(())
        }
        Command::Bench {
            scenario,
            set,
            agents,
            steps,
            runs,
            threads,
            repeats,
            warmup,
            seed,
            json,
        } => {
            let opts = crate::bench::BenchOptions {
                scenario,
                sets: set.sets,
                agents,
                steps,
                runs: runs.runs,
                threads,
                repeats,
                warmup,
                seed: seed.seed,
            };
            let report = commands::bench(&opts, &Lines)?;
            if json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_text());
            }
            Ok(())
        }
        Command::Sweep {
            scenario,
            params,
            design,
            points,
            precision,
            common,
        } => {
            let c = commands::SweepCommand {
                common: common.command(scenario, params, command_line),
                design,
                points,
                precision,
            };
            let started = std::time::Instant::now();
            let (sweep, dir) = {
                let bar = Bar::new();
                commands::sweep(c, &bar)?
            };
            for w in &sweep.warnings {
                eprintln!("warning: {w}");
            }
            eprintln!(
                "{} design points x {} replications of {} in {:.2} s -> {}",
                sweep.points.len(),
                sweep.plan.runs,
                sweep.scenario,
                started.elapsed().as_secs_f64(),
                dir.display()
            );
            Ok(())
        }
        Command::Sensitivity {
            scenario,
            method,
            samples,
            trajectories,
            levels,
            params,
            precision,
            common,
        } => {
            let method = match method.as_str() {
                "sobol" => crate::analysis::sensitivity::Method::Sobol { samples },
                "morris" => crate::analysis::sensitivity::Method::Morris { trajectories, levels },
                other => return Err(Error::Usage(format!("--method {other}: expected sobol or morris")).into()),
            };
            let c = commands::SensitivityCommand {
                common: common.command(scenario, params, command_line),
                method,
                precision,
            };
            let started = std::time::Instant::now();
            let (a, dir) = {
                let bar = Bar::new();
                commands::sensitivity(c, &bar)?
            };
            print!("{}", a.to_text());
            eprintln!(
                "{} design points x {} replications of {} in {:.2} s -> {}",
                a.points.len(),
                a.plan.runs,
                a.scenario,
                started.elapsed().as_secs_f64(),
                dir.display()
            );
            Ok(())
        }
        Command::Discover {
            dir,
            condition,
            alpha,
            min_mass,
            min_coverage,
            boxes,
            out,
            plots,
        } => {
            let (d, out) = commands::discover(commands::DiscoverCommand {
                sweep_dir: dir,
                condition,
                options: crate::analysis::prim::PrimOptions {
                    alpha,
                    min_mass,
                    min_coverage,
                },
                boxes,
                out: out.out,
                force: out.force,
                plots: plots.options(),
                command: command_line,
            })?;
            print!("{}", d.to_text());
            eprintln!("PRIM boxes -> {}", out.display());
            Ok(())
        }
    }
}

/// Progress of `bench`: each line on stderr.
struct Lines;

impl Progress for Lines {
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }
}
