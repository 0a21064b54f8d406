//! The simulated hindcast's replications: the engine itself, run r of the seed, from the scenario's
//! start to the last scored year, with the observed state put in place at the end of the last
//! fitted year.
//!
//! Each run draws its uncertain parameters, tastes and initial alignments as a batch run does
//! (run r of `seed`), and before every step the affinity of the dated groups is set as the
//! estimation dates it ([`super::state::dated_affinity`]: GDPR adequacy in force from the year after
//! a decision, ended by a revocation). The steps up to `split` supply what the terms read besides
//! the alignments (investment stocks, events). At the end of `split` the alignments are replaced by
//! a start state drawn from the panel ([`super::start`]); the steps of `split+1..=end` are then the
//! forecast. Each indicator is simulated apart, with its at-risk cells started outside its union U
//! (its own start state, as each history has its own prior in the composite likelihood); the runs
//! of all indicators share their streams. Runs go to a thread pool and come back in run order.

use rand::RngExt;
use rayon::prelude::*;

use super::codebook::Codebook;
use super::panel::Panel;
use super::spells::Spells;
use super::start::{draw_start, start_sets};
use super::state::{dated_affinity, outcome_history};
use crate::model::Model;
use crate::rng::{Purpose, run_rng};
use crate::run::Simulation;

/// What the replications need besides the model.
pub struct Replications<'a> {
    /// The panel's codebook.
    pub codebook: &'a Codebook,
    /// The observed panel.
    pub panel: &'a Panel,
    /// Last fitted year: at its end the alignments are replaced by a start state drawn from the panel.
    pub split: i32,
    /// Last scored year.
    pub end: i32,
    /// Master seed.
    pub seed: u64,
    /// Replications R.
    pub runs: u64,
}

impl Replications<'_> {
    /// Per history of `spells` (in order), per run: the scored year of its adoption as an offset
    /// from `split` (1 = split + 1), or 0 when it does not adopt by `end`.
    ///
    /// An indicator with an observation layer (`detection(indicator, run)`, its δ in that run) acts
    /// in a year the cell is in U with probability δ, drawn from the run's observation stream: the
    /// offset is that of the first act, not of the first year in U.
    pub fn adoption_years(
        &self,
        m: &Model,
        spells: &Spells,
        pool: &rayon::ThreadPool,
        detection: &(dyn Fn(&str, u64) -> Option<f64> + Sync),
    ) -> Vec<Vec<u8>> {
        let n = m.layout.states;
        let history = outcome_history(self.panel, self.codebook, n);
        let mut out = vec![Vec::new(); spells.spells.len()];
        for (_, list) in spells.by_indicator() {
            let first = &spells.spells[list[0]];
            let mut at_risk = vec![false; n];
            for &h in &list {
                at_risk[spells.spells[h].state] = true;
            }
            let sets = start_sets(m, &history, self.split, first.domain, first.union, &at_risk);
            let cells: Vec<usize> = list.iter().map(|&h| first.domain * n + spells.spells[h].state).collect();
            let name = first.indicator.as_str();
            let per_run: Vec<Vec<u8>> = pool.install(|| {
                (0..self.runs)
                    .into_par_iter()
                    .map(|r| self.one_run(m, &sets, &cells, first.union, detection(name, r), r))
                    .collect()
            });
            for (j, &h) in list.iter().enumerate() {
                out[h] = per_run.iter().map(|run| run[j]).collect();
            }
        }
        out
    }

    /// Run `r`: the adoption offset of each of `cells` (entering `union`).
    fn one_run(&self, m: &Model, sets: &[u8], cells: &[usize], union: u8, delta: Option<f64>, r: u64) -> Vec<u8> {
        let s = &m.scenario;
        let draws = s.draws(self.seed, r);
        let mut sim = Simulation::new(m, &draws, &mut run_rng(self.seed, r, Purpose::Setup));
        let base = sim.term_inputs().affinity.to_vec();
        let mut rng = run_rng(self.seed, r, Purpose::Dynamics);
        let mut observed = run_rng(self.seed, r, Purpose::Observed);
        let mut adopted = vec![0u8; cells.len()];
        for step in 1..=(self.end - s.start) as usize {
            let year = s.start + step as i32;
            let (affinity, _) = dated_affinity(m, self.codebook, self.panel, &draws, &base, year);
            sim.set_affinity(&affinity);
            sim.step(step, &mut rng);
            if year == self.split {
                let start = draw_start(m, sets, &mut observed);
                sim.set_alignment(&start);
            } else if year > self.split {
                let align = sim.alignment();
                for (a, &cell) in adopted.iter_mut().zip(cells) {
                    if *a == 0 && union >> align[cell] & 1 == 1 && delta.is_none_or(|d| observed.random::<f64>() < d) {
                        *a = (year - self.split) as u8;
                    }
                }
            }
        }
        adopted
    }
}
