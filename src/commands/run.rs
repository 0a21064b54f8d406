//! `blocsim run`: simulate one run of a batch and write its trajectory and final state.

use std::path::PathBuf;

use anyhow::Context;

/// What `run` should do.
#[derive(Debug, Clone)]
pub struct RunCommand {
    /// Scenario file (TOML) or bundled scenario name.
    pub scenario: String,
    /// `--set PATH=VALUE` overrides.
    pub sets: Vec<String>,
    /// Master seed (None: the scenario's batch.seed).
    pub seed: Option<u64>,
    /// Which run of the batch with this seed.
    pub run: u64,
    /// Output directory (None: `output/<scenario>/run-<RUN>`).
    pub out: Option<PathBuf>,
    /// Write into `out` even if it is not a blocsim output directory.
    pub force: bool,
    /// The command line, for the manifest.
    pub command: Vec<String>,
}

/// What `run` did.
#[derive(Debug, Clone)]
pub struct RunDone {
    pub scenario: String,
    pub seed: u64,
    pub run: u64,
    pub dir: PathBuf,
}

/// Simulate the run and write `trajectory.csv`, `final_state.csv` and `manifest.json`.
pub fn run(c: RunCommand) -> anyhow::Result<RunDone> {
    let model = super::load(&c.scenario, &c.sets)?;
    let seed = c.seed.unwrap_or(model.scenario.batch.seed);
    let dir = c
        .out
        .unwrap_or_else(|| PathBuf::from("output").join(&model.scenario.name).join(format!("run-{}", c.run)));
    let _lock = crate::outdir::prepare(&dir, c.force)?;
    crate::single::write_run(&model, seed, c.run, &dir, c.command).with_context(|| format!("writing {}", dir.display()))?;
    Ok(RunDone {
        scenario: model.scenario.name.clone(),
        seed,
        run: c.run,
        dir,
    })
}
