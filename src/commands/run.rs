//! `blocsim run`: simulate one run of a batch and write its trajectory and final state.

use std::path::PathBuf;

use anyhow::Context;

use crate::options::{Output, Seed, Source};

/// What `run` should do: simulate one run and write its trajectory and final state (default --out:
/// output/<scenario>/run-<RUN>).
#[derive(Debug, Clone, clap::Args)]
pub struct RunCommand {
    /// The scenario and its overrides.
    #[command(flatten)]
    pub source: Source,
    /// Master seed (None: the scenario's batch.seed).
    #[command(flatten)]
    pub seed: Seed,
    /// Which run of the batch with this seed to reproduce.
    #[arg(long, default_value_t = 0)]
    pub run: u64,
    /// Output directory (None: `output/<scenario>/run-<RUN>`).
    #[command(flatten)]
    pub output: Output,
    /// The command line, for the manifest (set by the caller).
    #[arg(skip)]
    pub command: Vec<String>,
}

/// What `run` did.
#[derive(Debug, Clone)]
pub struct RunDone {
    /// Scenario name.
    pub scenario: String,
    /// Master seed used.
    pub seed: u64,
    /// The run reproduced.
    pub run: u64,
    /// The output directory.
    pub dir: PathBuf,
}

/// Simulate the run and write `trajectory.csv`, `final_state.csv` and `manifest.json`.
pub fn run(c: RunCommand) -> anyhow::Result<RunDone> {
    let model = super::load(&c.source.scenario, c.source.sets())?;
    let seed = c.seed.seed.unwrap_or(model.scenario.batch.seed);
    let dir = c
        .output
        .out
        .unwrap_or_else(|| PathBuf::from("output").join(&model.scenario.name).join(format!("run-{}", c.run)));
    let _lock = crate::outdir::prepare(&dir, c.output.force)?;
    crate::single::write_run(&model, seed, c.run, &dir, c.command).with_context(|| format!("writing {}", dir.display()))?;
    Ok(RunDone {
        scenario: model.scenario.name.clone(),
        seed,
        run: c.run,
        dir,
    })
}
