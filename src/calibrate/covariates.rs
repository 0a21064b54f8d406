//! The covariate path: one simulation of the scenario that supplies, year by year, what the
//! utility terms read besides the alignments (tastes, investment stocks, events, knobs).
//!
//! The run is run 0 of the scenario's `batch.seed`, with every uncertain parameter at the centre
//! of its distribution ([`super::params::centre_draws`]). The revisions of calendar year t use its
//! state after step t − start: that year's events and investment applied, as in the run itself.
//! Its alignments are not read: the observations read the observed state instead.

use crate::error::Error;
use crate::model::Model;
use crate::rng::{Generator, Purpose, run_rng};
use crate::run::Simulation;

/// One simulation advanced year by year.
pub struct CovariatePath<'m> {
    /// The run, at its current year.
    pub sim: Simulation<'m>,
    /// The values of the scenario's uncertain parameters the path runs at.
    pub draws: Vec<f64>,
    rng: Generator,
    step: usize,
    start: i32,
}

impl<'m> CovariatePath<'m> {
    /// The path of `model` at the given draws of its uncertain parameters.
    pub fn new(model: &'m Model, draws: &[f64], seed: u64) -> CovariatePath<'m> {
        let sim = Simulation::new(model, draws, &mut run_rng(seed, 0, Purpose::Setup));
        CovariatePath {
            sim,
            draws: draws.to_vec(),
            rng: run_rng(seed, 0, Purpose::Dynamics),
            step: 0,
            start: model.scenario.start,
        }
    }

    /// Check that the revisions of `first..=last` happen within the scenario's steps.
    pub fn check_window(model: &Model, first: i32, last: i32) -> Result<(), Error> {
        let start = model.scenario.start;
        let end = model.scenario.end;
        if first <= start || last > end {
            return Err(Error::Usage(format!(
                "--fit-years {first}:{last}: the scenario `{}` describes {start} and runs to {end}, so it can \
                 explain revisions in {}:{end} only; use a scenario whose start is before the window (e.g. \
                 scenarios/data/observed/fit-2017.toml, or --set time.start=YEAR)",
                model.scenario.name,
                start + 1
            )));
        }
        Ok(())
    }

    /// Advance to the state after the step of calendar year `year` (never backwards).
    pub fn advance_to(&mut self, year: i32) {
        let target = (year - self.start).max(0) as usize;
        while self.step < target {
            self.step += 1;
            self.sim.step(self.step, &mut self.rng);
        }
    }
}
