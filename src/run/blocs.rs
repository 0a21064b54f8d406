//! Coordinating blocs: members of a bloc in force decide a domain jointly, after the individual
//! revisions of the year.

use rand::RngExt;

use super::Simulation;
use super::kernels::unit32;
use crate::model::{ModelAction, choice, utility};
use crate::rng::Generator;

impl Simulation<'_> {
    /// Joint decisions of coordinating blocs. Each bloc revises a domain with the domain's revision
    /// probability; it then values each framework by the mean utility of its movable members (their
    /// own switching costs included) and picks one by the same logit (or best-response) rule; every
    /// movable member adopts it. Later blocs in file order decide after earlier ones and see their
    /// moves.
    pub(super) fn revise_blocs(&mut self, step: usize, rng: &mut Generator) {
        let (n, k) = (self.n, self.k);
        let mut u = [0.0; choice::MAX_FRAMEWORKS];
        let mut sum = [0.0; choice::MAX_FRAMEWORKS];
        for idx in 0..self.m.events.len() {
            if !self.events.coordinating[idx] {
                continue;
            }
            let ModelAction::Coordinate { states, domains } = &self.m.events[idx].action else {
                continue;
            };
            for d in (0..self.d).filter(|&d| domains[d]) {
                let x: u64 = rng.random();
                if unit32(x >> 32) >= self.knobs.rate[d] {
                    continue;
                }
                let w = utility::weights(&self.knobs, d);
                sum[..k].iter_mut().for_each(|s| *s = 0.0);
                let mut movable = 0usize;
                let mut current = [0u32; choice::MAX_FRAMEWORKS];
                for &i in states {
                    let cell = d * n + i as usize;
                    if !self.may_revise(cell, step) {
                        continue;
                    }
                    self.utilities(&w, &self.align, d, i as usize, &mut u[..k]);
                    for fw in 0..k {
                        sum[fw] += u[fw];
                    }
                    current[self.align[cell] as usize] += 1;
                    movable += 1;
                }
                if movable == 0 {
                    continue;
                }
                sum[..k].iter_mut().for_each(|s| *s /= movable as f64);
                // The bloc's "current" framework, for best-response ties: the one most members use.
                let majority = (0..k).max_by_key(|&fw| (current[fw], std::cmp::Reverse(fw))).unwrap_or(0);
                let c = choice::choose(&sum[..k], majority, self.knobs.lambda, unit32(x), rng);
                for &i in states {
                    let cell = d * n + i as usize;
                    if self.may_revise(cell, step) && self.align[cell] as usize != c {
                        self.switches[d] += 1;
                        self.align[cell] = c as u8;
                    }
                }
            }
        }
    }
}
