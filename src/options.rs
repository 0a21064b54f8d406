//! The option groups that several commands share, defined once: each is a plain struct that the
//! library's command options embed, and that the command line fills from flags (the clap derives
//! here are the flags' one definition; the CLI wraps the library types without copying a field).
//! The Python module and the server build the same structs.

use std::path::PathBuf;

use clap::Args;

/// `--set PATH=VALUE`, repeatable.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct Sets {
    /// Override a scenario key, e.g. --set choice.lambda=2.5 (repeatable). `compare` applies it to
    /// the alternative only; `sweep` and `sensitivity` at every design point.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
}

/// A scenario and its overrides.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct Source {
    /// Scenario file (TOML) or bundled scenario name.
    pub scenario: String,
    /// `--set` overrides.
    #[command(flatten)]
    pub set: Sets,
}

impl Source {
    /// A scenario with overrides.
    pub fn new(scenario: impl Into<String>, sets: Vec<String>) -> Source {
        Source {
            scenario: scenario.into(),
            set: Sets { sets },
        }
    }

    /// The `--set` texts.
    pub fn sets(&self) -> &[String] {
        &self.set.sets
    }
}

/// `--seed`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Args)]
pub struct Seed {
    /// Master seed (default: the scenario's batch.seed; for compare, the baseline's).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// `--runs`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Args)]
pub struct Runs {
    /// Number of runs (default: the scenario's batch.runs); for sweep and sensitivity, replications
    /// per design point (common random numbers: replication r is run r of the seed; default 10).
    #[arg(long)]
    pub runs: Option<u64>,
}

/// How many runs, from which seed, on how many threads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Args)]
pub struct Plan {
    /// `--runs`.
    #[command(flatten)]
    pub runs: Runs,
    /// `--seed`.
    #[command(flatten)]
    pub seed: Seed,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

impl Plan {
    /// Runs, seed and threads as given.
    pub fn new(runs: Option<u64>, seed: Option<u64>, threads: Option<usize>) -> Plan {
        Plan {
            runs: Runs { runs },
            seed: Seed { seed },
            threads,
        }
    }

    /// `--runs` (None: the command's default).
    pub fn runs(&self) -> Option<u64> {
        self.runs.runs
    }

    /// `--seed` (None: the scenario's).
    pub fn seed(&self) -> Option<u64> {
        self.seed.seed
    }
}

/// Where to write.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct Output {
    /// Output directory (default: output/<scenario>/...; see the command's description).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write into --out even if it is not a blocsim output directory (batch: also discard an
    /// interrupted batch found there).
    #[arg(long)]
    pub force: bool,
}

/// How to draw charts: `--plot-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Args)]
pub struct PlotOptions {
    /// PNG resolution multiplier: 1 = the SVG's pixel size, 2 = default, 4 or more for print.
    #[arg(long = "plot-scale", value_name = "SCALE", default_value_t = 2.0)]
    pub png_scale: f64,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions { png_scale: 2.0 }
    }
}

/// Whether and how to draw charts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Args)]
pub struct Charts {
    /// Do not draw charts (a batch or merge then writes no report.html either).
    #[arg(long)]
    pub no_plots: bool,
    /// `--plot-scale`.
    #[command(flatten)]
    pub scale: PlotOptions,
}

impl Charts {
    /// Charts drawn at `png_scale` (`None`: none drawn).
    pub fn new(png_scale: Option<f64>) -> Charts {
        Charts {
            no_plots: png_scale.is_none(),
            scale: PlotOptions {
                png_scale: png_scale.unwrap_or(2.0),
            },
        }
    }

    /// The chart options, or None when no chart is drawn.
    pub fn options(&self) -> Option<PlotOptions> {
        (!self.no_plots).then_some(self.scale)
    }
}

/// An observed panel and the keys estimated from it (`calibrate`, `forecast`, `hindcast`).
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct Panel {
    /// Observed directory: events.csv (verified rows) and codebook.toml.
    #[arg(long, value_name = "DIR")]
    pub observed: PathBuf,
    /// A key to estimate (repeatable): utility.TERM, domain.D.weights.TERM,
    /// domain.D.switching_cost, domain.D.revision_rate, domain.D.constants.F, rate.COVARIATE,
    /// detect.INDICATOR (default: the global term weights but investment, and the detection
    /// rate of every observation layer with an act in the fit years).
    #[arg(long, value_name = "KEY")]
    pub free: Vec<String>,
}
