//! Events during a run: `set` changes of parameters, partnership bonuses, export-control
//! penalties, forced moves with their locks, and which cells belong to coordinating blocs.

use super::Simulation;
use crate::model::{Model, ModelAction, NO_ANCHOR};
use crate::scenario::{SetValue, ShareMeasure};

/// What the events of a run have done so far.
pub(super) struct EventState {
    /// Per event: the step it fired at, if it has.
    fired: Vec<Option<usize>>,
    /// Per event: the value a `set` event replaced, restored when its duration ends.
    saved: Vec<f64>,
    /// Per event: whether a coordination event is in force.
    pub coordinating: Vec<bool>,
    /// Per cell `[d*N + i]`: the cell belongs to a coordinating bloc and does not revise alone (empty
    /// until a coordination event first fires).
    pub in_bloc: Vec<bool>,
    /// Per cell: a forced cell may not revise while the step is below this value (empty until a
    /// forced move first fires).
    pub locked_until: Vec<u32>,
    /// The largest value of `locked_until`: from that step on no cell is locked.
    pub lock_max: u32,
    /// Partnership bonuses P_idk (empty without partnership events).
    pub partnership: Vec<f64>,
    /// Export-control penalties X_idk (empty without export-control events).
    pub export: Vec<f64>,
}

impl EventState {
    pub fn new(m: &Model) -> EventState {
        let (n, d, k) = (m.layout.states, m.layout.domains, m.layout.frameworks);
        let events = m.events.len();
        EventState {
            fired: vec![None; events],
            saved: vec![0.0; events],
            coordinating: vec![false; events],
            in_bloc: Vec::new(),
            locked_until: Vec::new(),
            lock_max: 0,
            partnership: vec![0.0; if m.has_partnerships { n * d * k } else { 0 }],
            export: vec![0.0; if m.has_export_controls { n * d * k } else { 0 }],
        }
    }
}

impl Simulation<'_> {
    /// Fire the events due this step (fixed-year ones at their step; conditional ones at the first
    /// step from theirs whose condition holds on last year's shares), then undo those whose duration
    /// ends now. Events apply in file order. Returns whether any event acted.
    pub(super) fn apply_events(&mut self, step: usize) -> bool {
        let mut blocs_changed = false;
        let mut acted = false;
        for idx in 0..self.m.events.len() {
            let e = &self.m.events[idx];
            match self.events.fired[idx] {
                None => {
                    let due = match &e.when {
                        None => e.step == step,
                        Some(c) => step >= e.step && c.holds(self.share(c.domain, c.framework, c.measure)),
                    };
                    if due {
                        self.events.fired[idx] = Some(step);
                        blocs_changed |= self.act(idx, step, true);
                        acted = true;
                    }
                }
                Some(at) => {
                    if e.duration.is_some_and(|d| at + d as usize == step) {
                        blocs_changed |= self.act(idx, step, false);
                        acted = true;
                    }
                }
            }
        }
        if blocs_changed {
            self.refresh_blocs();
        }
        if acted {
            // A forced move changes the alignments that GDP shares and partner counts come from.
            self.statics.gdp_fresh = false;
            self.counts.fresh = false;
        }
        acted
    }

    /// Last year's share of framework `k` in domain `d` (the alignments as they stand before this
    /// year's events).
    fn share(&self, d: usize, k: usize, measure: ShareMeasure) -> f64 {
        let row = &self.align[d * self.n..(d + 1) * self.n];
        match measure {
            ShareMeasure::Count => row.iter().filter(|&&a| a as usize == k).count() as f64 / self.n as f64,
            ShareMeasure::Gdp => {
                let on: f64 = row
                    .iter()
                    .zip(&self.m.world.gdp)
                    .filter(|&(&a, _)| a as usize == k)
                    .map(|(_, &g)| g)
                    .sum();
                if self.m.total_gdp > 0.0 { on / self.m.total_gdp } else { 0.0 }
            }
        }
    }

    /// Start (`on`) or undo event `idx`; returns whether coordinating blocs changed.
    fn act(&mut self, idx: usize, step: usize, on: bool) -> bool {
        let (n, k) = (self.n, self.k);
        let sign = if on { 1.0 } else { -1.0 };
        let ev = &mut self.events;
        match &self.m.events[idx].action {
            ModelAction::Set { knob, value } => {
                if on {
                    let before = self.knobs.get(*knob, k);
                    ev.saved[idx] = before;
                    let new = match *value {
                        SetValue::To(v) => v,
                        SetValue::Scale(f) => before * f,
                    };
                    self.knobs.set(*knob, new, k);
                } else {
                    self.knobs.set(*knob, ev.saved[idx], k);
                }
            }
            ModelAction::Partnership {
                framework,
                states,
                domains,
                bonus,
            } => {
                for d in (0..self.d).filter(|&d| domains[d]) {
                    for &i in states {
                        ev.partnership[(d * n + i as usize) * k + framework] += sign * bonus;
                    }
                }
            }
            ModelAction::ExportControl {
                framework,
                states,
                domains,
                penalty,
            } => {
                for d in (0..self.d).filter(|&d| domains[d]) {
                    for &i in states {
                        ev.export[(d * n + i as usize) * k + framework] += sign * penalty;
                    }
                }
            }
            ModelAction::Force {
                framework,
                states,
                domains,
                lock_years,
            } => {
                if on {
                    for d in (0..self.d).filter(|&d| domains[d]) {
                        for &i in states {
                            let cell = d * n + i as usize;
                            if self.m.anchor[cell] == NO_ANCHOR {
                                self.align[cell] = *framework as u8;
                                // Keep the longer lock when forced events overlap.
                                let until = (step + 1) as u32 + lock_years;
                                if ev.locked_until.is_empty() {
                                    ev.locked_until = vec![0; n * self.d];
                                }
                                ev.locked_until[cell] = ev.locked_until[cell].max(until);
                                ev.lock_max = ev.lock_max.max(until);
                            }
                        }
                    }
                }
            }
            ModelAction::Coordinate { .. } => {
                ev.coordinating[idx] = on;
                return true;
            }
        }
        false
    }

    /// Recompute which cells belong to a coordinating bloc.
    fn refresh_blocs(&mut self) {
        let ev = &mut self.events;
        // Allocated on first use: runs without blocs keep no per-cell flags.
        ev.in_bloc.clear();
        ev.in_bloc.resize(self.n * self.d, false);
        for (idx, e) in self.m.events.iter().enumerate() {
            if let (true, ModelAction::Coordinate { states, domains }) = (ev.coordinating[idx], &e.action) {
                for d in (0..self.d).filter(|&d| domains[d]) {
                    for &i in states {
                        ev.in_bloc[d * self.n + i as usize] = true;
                    }
                }
            }
        }
    }
}
