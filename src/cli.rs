//! The command line: flags, progress bars, printing and exit codes — nothing else.
//!
//! Exit codes: 0 success; 2 bad input (scenario, flags, data files); 1 anything else (e.g. a disk
//! error while writing).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::batch::{self, BatchOptions, Shard};
use crate::error::Error;
use crate::model::Model;
use crate::scenario::{self, Scenario};

/// Agent-based Monte Carlo simulator of states aligning with rival digital frameworks.
#[derive(Debug, Parser)]
#[command(name = "blocsim", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate one run and write its trajectory and final state.
    Run {
        /// Scenario file (TOML) or bundled scenario name.
        scenario: String,
        /// Master seed (default: the scenario's batch.seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Which run of the batch with this seed to reproduce.
        #[arg(long, default_value_t = 0)]
        run: u64,
        /// Output directory (default: output/<scenario>/run-<RUN>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override a scenario key, e.g. --set choice.lambda=2.5 (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Write into --out even if it is not a blocsim output directory.
        #[arg(long)]
        force: bool,
    },
    /// Run a Monte Carlo batch and write the output directory.
    Batch {
        /// Scenario file (TOML) or bundled scenario name.
        scenario: String,
        /// Number of runs (default: the scenario's batch.runs).
        #[arg(long)]
        runs: Option<u64>,
        /// Master seed (default: the scenario's batch.seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        /// Output directory (default: output/<scenario>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override a scenario key, e.g. --set choice.lambda=2.5 (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Run only shard I of N (0-based), e.g. --shard 0/4, and write a partial result for
        /// `blocsim merge`; `auto` takes I and N from a Slurm job array, `auto/N` takes I from a
        /// Kubernetes indexed job (JOB_COMPLETION_INDEX).
        #[arg(long, value_name = "I/N|auto|auto/N")]
        shard: Option<String>,
        /// Continue an interrupted batch in --out from its last checkpoint (same scenario, --set,
        /// --seed, --runs, --shard); starts from the first run if there is none.
        #[arg(long)]
        resume: bool,
        /// Runs between checkpoints (default 512 per thread); results do not depend on it.
        #[arg(long, hide = true)]
        checkpoint_runs: Option<u64>,
        /// Do not draw charts (or write report.html).
        #[arg(long)]
        no_plots: bool,
        /// PNG resolution multiplier: 1 = screen, 2 = default, 4 or more for print.
        #[arg(long, value_name = "SCALE", default_value_t = 2.0)]
        plot_scale: f64,
        /// Do not write the per-run, per-state Parquet table.
        #[arg(long)]
        no_detail: bool,
        /// Write into --out even if it is not a blocsim output directory, or holds an interrupted
        /// batch (which is discarded).
        #[arg(long)]
        force: bool,
    },
    /// Merge the shard directories of one batch into the output a single machine would have written.
    Merge {
        /// Shard directories written by `blocsim batch --shard`, in any order.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Do not draw charts (or write report.html).
        #[arg(long)]
        no_plots: bool,
        /// PNG resolution multiplier: 1 = screen, 2 = default, 4 or more for print.
        #[arg(long, value_name = "SCALE", default_value_t = 2.0)]
        plot_scale: f64,
        /// Write into --out even if it is not a blocsim output directory.
        #[arg(long)]
        force: bool,
    },
    /// Redraw every chart (and report.html) from a saved output directory: a batch, or the output
    /// of sweep, sensitivity or discover.
    Plot {
        /// Output directory written by `blocsim batch`, `sweep`, `sensitivity` or `discover`.
        dir: PathBuf,
        /// PNG resolution multiplier: 1 = screen, 2 = default, 4 or more for print.
        #[arg(long, value_name = "SCALE", default_value_t = 2.0)]
        plot_scale: f64,
    },
    /// Validate a scenario and print what it resolves to.
    Check {
        /// Scenario file (TOML) or bundled scenario name.
        scenario: String,
        /// Override a scenario key (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
    },
    /// Compare an alternative scenario with a baseline on common random numbers.
    Compare {
        /// Baseline scenario file or bundled name.
        baseline: String,
        /// Alternative scenario file or bundled name.
        alternative: String,
        /// Number of paired runs (default: the baseline's batch.runs).
        #[arg(long)]
        runs: Option<u64>,
        /// Master seed (default: the baseline's batch.seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        /// Output directory (default: output/compare/<baseline>--<alternative>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override a key of the alternative scenario only (repeatable), e.g. to compare a
        /// scenario with a variant of itself.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Do not draw the comparison chart.
        #[arg(long)]
        no_plots: bool,
        /// PNG resolution multiplier of the chart (1 = SVG pixel size; 4 or more for print).
        #[arg(long, default_value_t = 2.0)]
        plot_scale: f64,
        /// Write into --out even if it is not a blocsim output directory.
        #[arg(long)]
        force: bool,
    },
    /// Sweep scenario keys over a grid or Latin hypercube, with replications per point.
    Sweep {
        /// Scenario file (TOML) or bundled scenario name.
        scenario: String,
        /// A swept key and its range, e.g. --param choice.lambda=1:4 (repeatable).
        #[arg(long = "param", value_name = "PATH=LO:HI", required = true)]
        params: Vec<String>,
        /// Design: grid (full factorial) or lhs (Latin hypercube).
        #[arg(long, default_value = "grid")]
        design: String,
        /// Levels per parameter (grid, default 5) or points in all (lhs, default 100).
        #[arg(long)]
        points: Option<usize>,
        #[command(flatten)]
        common: ExperimentArgs,
    },
    /// Global sensitivity analysis: Sobol indices or Morris elementary effects.
    Sensitivity {
        /// Scenario file (TOML) or bundled scenario name.
        scenario: String,
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
        #[command(flatten)]
        common: ExperimentArgs,
    },
    /// Scenario discovery: PRIM boxes of a sweep's parameter space where a condition is frequent.
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
        /// Output directory (default: DIR/discover).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Do not draw charts.
        #[arg(long)]
        no_plots: bool,
        /// Write into --out even if it is not a blocsim output directory.
        #[arg(long)]
        force: bool,
    },
    /// List the bundled scenarios.
    Scenarios,
    /// Measure throughput: agent-updates per second, setup vs step time, per thread count.
    Bench {
        /// Scenario file (TOML) or bundled scenario name.
        #[arg(default_value = "bench/logit-network")]
        scenario: String,
        /// World sizes to measure (synthetic worlds), comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1000,100000,1000000")]
        agents: Vec<usize>,
        /// Steps per run (default: the scenario's).
        #[arg(long)]
        steps: Option<usize>,
        /// Runs per measurement (default: the scenario's batch.runs).
        #[arg(long)]
        runs: Option<u64>,
        /// Thread counts to measure, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,2")]
        threads: Vec<usize>,
        /// Measured repeats per configuration; the median is reported.
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        /// Unmeasured warm-up repeats per configuration.
        #[arg(long, default_value_t = 1)]
        warmup: usize,
        /// Master seed (default: the scenario's batch.seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Override a scenario key (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Print a machine-readable JSON record instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Print the mean-field fixed points of every domain and their stability.
    Meanfield {
        /// Scenario file (TOML) or bundled scenario name.
        scenario: String,
        /// Override a scenario key (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
    },
}

/// Flags shared by `sweep` and `sensitivity`.
#[derive(Debug, clap::Args)]
pub struct ExperimentArgs {
    /// Replications per design point (common random numbers: replication r is run r of the seed).
    #[arg(long, default_value_t = 10)]
    runs: u64,
    /// Master seed (default: the scenario's batch.seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Output directory (default: output/<scenario>/sweep or sensitivity-<method>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override a scenario key at every design point (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// An outcome to study (repeatable; default: every final_gdp_share, fragmentation, hedging).
    #[arg(long = "outcome", value_name = "SELECTOR")]
    outcomes: Vec<String>,
    /// Do not draw charts.
    #[arg(long)]
    no_plots: bool,
    /// PNG resolution multiplier of the charts.
    #[arg(long, value_name = "SCALE", default_value_t = 2.0)]
    plot_scale: f64,
    /// Write into --out even if it is not a blocsim output directory.
    #[arg(long)]
    force: bool,
}

impl ExperimentArgs {
    fn settings(self, scenario: String, params: Vec<String>, command: Vec<String>) -> crate::analysis::Settings {
        crate::analysis::Settings {
            scenario,
            sets: self.sets,
            params,
            outcomes: self.outcomes,
            runs: self.runs,
            seed: self.seed,
            threads: self.threads,
            out: self.out,
            force: self.force,
            plots: (!self.no_plots).then_some(crate::plot::PlotOptions {
                png_scale: self.plot_scale,
            }),
            command,
        }
    }
}

/// Parse the command line, run, print errors and return the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let input = err.chain().any(|c| c.downcast_ref::<Error>().is_some_and(is_input_error));
            let mut msg = format!("error: {err}");
            for cause in err.chain().skip(1) {
                // Library errors already print their underlying cause; do not repeat it.
                let cause = cause.to_string();
                if !msg.contains(&cause) {
                    msg.push_str(&format!(": {cause}"));
                }
            }
            eprintln!("{msg}");
            if input { ExitCode::from(2) } else { ExitCode::FAILURE }
        }
    }
}

fn is_input_error(e: &Error) -> bool {
    !matches!(e, Error::Write { .. } | Error::Parquet { .. } | Error::Plot { .. })
}

fn load(scenario: &str, sets: &[String]) -> anyhow::Result<Model> {
    let scenario = Scenario::load(scenario, sets)?;
    Ok(crate::footprint::load_model(scenario)?)
}

/// Run a parsed command.
pub fn execute(cli: Cli) -> anyhow::Result<()> {
    let command_line: Vec<String> = std::env::args().collect();
    match cli.command {
        Command::Scenarios => {
            let mut out = std::io::stdout().lock();
            for (name, text) in scenario::bundled::all() {
                writeln!(out, "{name:<28} {}", scenario::bundled::summary(text))?;
            }
            Ok(())
        }
        Command::Compare {
            baseline,
            alternative,
            runs,
            seed,
            threads,
            out,
            sets,
            no_plots,
            plot_scale,
            force,
        } => {
            let plot_opts = crate::plot::PlotOptions { png_scale: plot_scale };
            crate::plot::check_options(&plot_opts)?;
            let base = load(&baseline, &[])?;
            let alt = load(&alternative, &sets)?;
            let runs = runs.unwrap_or(base.scenario.batch.runs);
            check_runs_and_threads(runs, 2, threads)?;
            let workers = threads.unwrap_or_else(rayon::current_num_threads);
            crate::footprint::check_batch(&base, runs, workers, crate::compare::CHUNK, true)?;
            let dir = out.unwrap_or_else(|| crate::compare::default_dir(&base.scenario.name, &alt.scenario.name));
            batch::check_output_dir(&dir, force)?;
            let opts = crate::compare::CompareOptions {
                runs,
                seed: seed.unwrap_or(base.scenario.batch.seed),
                threads,
            };
            let bar = progress_bar(runs);
            let started = std::time::Instant::now();
            let cmp = crate::compare::compare(&base, &alt, &opts, &|done| bar.set_position(done))?;
            bar.finish_and_clear();
            let mut files = cmp.write(&dir).with_context(|| format!("writing {}", dir.display()))?;
            files.push("manifest.json".into());
            let bopts = BatchOptions {
                runs,
                seed: opts.seed,
                threads,
                shard: None,
                detail: false,
                out: None,
                command: command_line,
            };
            let mut manifest = batch::manifest(
                &alt,
                &bopts,
                threads.unwrap_or_else(rayon::current_num_threads),
                started.elapsed().as_secs_f64(),
                files,
            );
            manifest.scenario = format!("{} vs {}", alt.scenario.name, base.scenario.name);
            crate::export::write_atomic(&dir.join("manifest.json"), &manifest.to_json())?;
            if !no_plots {
                crate::plot::comparison::plot_comparison(&dir, &plot_opts)
                    .with_context(|| format!("drawing the comparison chart in {}", dir.display()))?;
            }
            crate::report::write_comparison_report(&dir)?;
            print!("{}", cmp.to_markdown());
            eprintln!(
                "{runs} paired runs of {} vs {} -> {}",
                alt.scenario.name,
                base.scenario.name,
                dir.display()
            );
            Ok(())
        }
        Command::Bench {
            scenario,
            agents,
            steps,
            runs,
            threads,
            repeats,
            warmup,
            seed,
            sets,
            json,
        } => {
            let opts = crate::bench::BenchOptions {
                scenario,
                sets,
                agents,
                steps,
                runs,
                threads,
                repeats,
                warmup,
                seed,
            };
            let report = crate::bench::run(&opts, &|line| eprintln!("{line}"))?;
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
            common,
        } => {
            let kind = crate::analysis::sweep::DesignKind::parse(&design)?;
            let settings = common.settings(scenario, params, command_line);
            let bar = progress_bar(0);
            let started = std::time::Instant::now();
            let (sweep, dir) =
                crate::analysis::sweep::command(&settings, kind, points, &|n| bar.set_length(n), &|done| bar.set_position(done))?;
            bar.finish_and_clear();
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
            common,
        } => {
            let method = match method.as_str() {
                "sobol" => crate::analysis::sensitivity::Method::Sobol { samples },
                "morris" => crate::analysis::sensitivity::Method::Morris { trajectories, levels },
                other => return Err(Error::Usage(format!("--method {other}: expected sobol or morris")).into()),
            };
            let settings = common.settings(scenario, params, command_line);
            let bar = progress_bar(0);
            let started = std::time::Instant::now();
            let (a, dir) =
                crate::analysis::sensitivity::command(&settings, method, &|n| bar.set_length(n), &|done| bar.set_position(done))?;
            bar.finish_and_clear();
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
            no_plots,
            force,
        } => {
            let opts = crate::analysis::prim::PrimOptions {
                alpha,
                min_mass,
                min_coverage,
            };
            let plot_opts = crate::plot::PlotOptions::default();
            let (d, out) = crate::analysis::discover::command(
                &dir,
                &condition,
                &opts,
                boxes,
                out,
                force,
                (!no_plots).then_some(&plot_opts),
                command_line,
            )?;
            print!("{}", d.to_text());
            eprintln!("PRIM boxes -> {}", out.display());
            Ok(())
        }
        Command::Check { scenario, sets } => {
            let model = load(&scenario, &sets)?;
            print!("{}", crate::describe::describe(&model));
            Ok(())
        }
        Command::Meanfield { scenario, sets } => {
            let model = load(&scenario, &sets)?;
            print!("{}", crate::meanfield::report(&model)?);
            Ok(())
        }
        Command::Run {
            scenario,
            seed,
            run,
            out,
            sets,
            force,
        } => {
            let model = load(&scenario, &sets)?;
            let seed = seed.unwrap_or(model.scenario.batch.seed);
            let dir = out.unwrap_or_else(|| PathBuf::from("output").join(&model.scenario.name).join(format!("run-{run}")));
            batch::check_output_dir(&dir, force)?;
            crate::single::write_run(&model, seed, run, &dir, command_line).with_context(|| format!("writing {}", dir.display()))?;
            eprintln!("wrote run {run} of {} (seed {seed}) to {}", model.scenario.name, dir.display());
            Ok(())
        }
        Command::Plot { dir, plot_scale } => {
            crate::merge::refuse_shard_dir(&dir)?;
            let opts = crate::plot::PlotOptions { png_scale: plot_scale };
            crate::plot::check_options(&opts)?;
            if let Some(files) = crate::analysis::load::replot(&dir, &opts).with_context(|| format!("plotting {}", dir.display()))? {
                eprintln!("drew {} files -> {}", files.len(), dir.join("plots").display());
                return Ok(());
            }
            let files = crate::plot::plot_all(&dir, &crate::plot::PlotOptions { png_scale: plot_scale })
                .with_context(|| format!("plotting {}", dir.display()))?;
            eprintln!("drew {} files -> {}", files.len(), dir.join("report.html").display());
            Ok(())
        }
        Command::Batch {
            scenario,
            runs,
            seed,
            threads,
            out,
            sets,
            shard,
            resume,
            checkpoint_runs,
            no_plots,
            plot_scale,
            no_detail,
            force,
        } => {
            let plot_opts = crate::plot::PlotOptions { png_scale: plot_scale };
            if !no_plots {
                crate::plot::check_options(&plot_opts)?;
            }
            let model = load(&scenario, &sets)?;
            let runs = runs.unwrap_or(model.scenario.batch.runs);
            check_runs_and_threads(runs, 1, threads)?;
            let workers = threads.unwrap_or_else(rayon::current_num_threads);
            crate::footprint::check_batch(&model, runs, workers, batch::CHUNK, false)?;
            let shard = shard
                .as_deref()
                .map(|s| Shard::resolve(s, &|name| std::env::var(name).ok()))
                .transpose()?;
            let dir = out.unwrap_or_else(|| PathBuf::from("output").join(&model.scenario.name));
            batch::check_output_dir(&dir, force)?;
            let opts = BatchOptions {
                runs,
                seed: seed.unwrap_or(model.scenario.batch.seed),
                threads,
                shard,
                detail: model.scenario.batch.detail && !no_detail,
                out: Some(dir.clone()),
                command: command_line,
            };
            let durability = batch::Durability {
                recovery: crate::checkpoint::Recovery { resume, discard: force },
                chunk_runs: checkpoint_runs,
            };
            let range = opts.range();
            let planned = range.end - range.start;
            let bar = progress_bar(planned);
            let result = batch::run_batch_durable(&model, &opts, &durability, &|done| bar.set_position(done))
                .with_context(|| format!("batch of {} into {}", model.scenario.name, dir.display()))?;
            bar.finish_and_clear();
            match (resume, result.resumed_at) {
                (true, Some(at)) => eprintln!("resumed at run {at} from the checkpoint in {}", dir.display()),
                (true, None) => eprintln!("no checkpoint in {}: ran from the first run", dir.display()),
                _ => {}
            }
            if shard.is_none() && !no_plots {
                crate::plot::plot_all(&dir, &plot_opts).with_context(|| format!("charts for {}", dir.display()))?;
            }
            let what = shard.map_or_else(String::new, |s| {
                format!(
                    " (shard {s}: runs {}..{} of {runs}; merge the shards with `blocsim merge`)",
                    range.start, range.end
                )
            });
            eprintln!(
                "{} runs of {} on {} threads in {:.2} s -> {}{what}",
                planned,
                model.scenario.name,
                result.threads,
                result.wall_seconds,
                dir.display()
            );
            Ok(())
        }
        Command::Merge {
            dirs,
            out,
            no_plots,
            plot_scale,
            force,
        } => {
            let plot_opts = crate::plot::PlotOptions { png_scale: plot_scale };
            if !no_plots {
                crate::plot::check_options(&plot_opts)?;
            }
            // A missing --out is created by the merge only once every shard has been checked, so that a
            // refused merge writes nothing.
            if out.exists() {
                batch::check_output_dir(&out, force)?;
            }
            let merged = crate::merge::merge(&dirs, &out, command_line).with_context(|| format!("merging into {}", out.display()))?;
            if !no_plots {
                crate::plot::plot_all(&out, &plot_opts).with_context(|| format!("charts for {}", out.display()))?;
            }
            eprintln!(
                "merged {} shards ({} runs of {}) -> {}",
                merged.shards,
                merged.runs,
                merged.scenario,
                out.display()
            );
            Ok(())
        }
    }
}

/// Refuse a run count outside `min..=MAX_RUNS` and a zero thread count, before any work.
fn check_runs_and_threads(runs: u64, min: u64, threads: Option<usize>) -> Result<(), Error> {
    let max = scenario::validate::MAX_RUNS;
    if !(min..=max).contains(&runs) {
        return Err(Error::Usage(format!("--runs {runs}: expected {min} to {max}")));
    }
    if threads == Some(0) {
        return Err(Error::Usage("--threads 0: expected at least 1".into()));
    }
    Ok(())
}

/// A progress bar over runs, with rate and ETA (drawn on stderr only when it is a terminal).
fn progress_bar(runs: u64) -> ProgressBar {
    let bar = ProgressBar::new(runs);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} runs ({per_sec}, ETA {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}
