//! The observed state the terms read, and the dated covariates: what the panel says of every
//! cell at the end of a year, and the affinity bonus of the groups that covariates date.
//!
//! A cell's observed framework: its anchor; else the one framework its outcome rows up to then
//! place it in; else the member of the set they place it in with the largest initial share; else its
//! most probable initial framework. A dated group's bonus (e.g. `GDPR_ADEQUACY`) counts in year t
//! for the states whose latest covariate row before t is in force, instead of the world's list.

use std::collections::BTreeMap;

use super::codebook::{Codebook, Use};
use super::panel::Panel;
use crate::model::{Model, NO_ANCHOR};

/// Per (domain, state): the outcome rows' (year, set), in year order.
pub(super) type History = BTreeMap<(usize, usize), Vec<(i32, u8)>>;

/// The initial shares of cell (d, i) in the scenario.
pub fn initial_shares(m: &Model, d: usize, i: usize) -> &[f64] {
    let cell = d * m.layout.states + i;
    &m.scenario.domain_specs[d].initial[m.initial_rule[cell] as usize].shares
}

/// The framework of `mask` with the largest initial share of cell (d, i) (the lowest on ties).
pub(super) fn likeliest_in(m: &Model, d: usize, i: usize, mask: u8) -> u8 {
    let shares = initial_shares(m, d, i);
    let mut best: Option<(usize, f64)> = None;
    for (k, &s) in shares.iter().enumerate() {
        if mask >> k & 1 == 1 && best.is_none_or(|(_, b)| s > b) {
            best = Some((k, s));
        }
    }
    best.map_or(0, |(k, _)| k as u8)
}

/// The outcome rows of the panel, per (domain, state): (year, set), in year order.
pub(super) fn outcome_history(panel: &Panel, codebook: &Codebook, n: usize) -> History {
    let mut h: History = BTreeMap::new();
    for r in panel.rows_used_as(codebook, Use::Outcome) {
        if r.set == 0 {
            continue;
        }
        let d = codebook.indicators[&r.indicator].domain.expect("outcomes have a domain");
        debug_assert!(r.state < n);
        h.entry((d, r.state)).or_default().push((r.year, r.set));
    }
    for v in h.values_mut() {
        v.sort();
    }
    h
}

/// What the panel says of cell (d, i) by the end of year `before`: the intersection of every set
/// its outcome rows up to then place it in, or the latest set when they disagree.
pub(super) fn known_set(history: &History, d: usize, i: usize, before: i32, all: u8) -> u8 {
    let mut set = all;
    for &(year, s) in history.get(&(d, i)).map_or(&[][..], |v| v.as_slice()) {
        if year > before {
            break;
        }
        set = if set & s != 0 { set & s } else { s };
    }
    set
}

/// The observed state at the end of year `before` (see the module header), `[d*N + i]`.
pub(super) fn observed_state(m: &Model, history: &History, before: i32) -> Vec<u8> {
    let (n, dd, k) = (m.layout.states, m.layout.domains, m.layout.frameworks);
    let all = ((1u16 << k) - 1) as u8;
    let mut read = vec![0u8; n * dd];
    for d in 0..dd {
        for i in 0..n {
            let cell = d * n + i;
            read[cell] = if m.anchor[cell] != NO_ANCHOR {
                m.anchor[cell]
            } else {
                likeliest_in(m, d, i, known_set(history, d, i, before, all))
            };
        }
    }
    read
}

/// The affinity of every state and framework (`[i*K + k]`, before weighting) with the bonus of
/// each dated group counted only for the states the covariate rows before `year` put in it.
/// Returns the affinity and the number of (state, framework) entries changed.
pub(super) fn dated_affinity(m: &Model, codebook: &Codebook, panel: &Panel, draws: &[f64], base: &[f64], year: i32) -> (Vec<f64>, usize) {
    let k = m.layout.frameworks;
    let mut aff = base.to_vec();
    let mut changed = 0;
    for ind in codebook.indicators.values().filter(|c| c.use_ == Use::Covariate) {
        let Some(group) = &ind.group else { continue };
        let mut in_force: BTreeMap<usize, (i32, bool)> = BTreeMap::new();
        for r in panel.rows.iter().filter(|r| r.indicator == ind.name && r.year < year) {
            let e = in_force.entry(r.state).or_insert((r.year, r.set != 0));
            if r.year >= e.0 {
                *e = (r.year, r.set != 0);
            }
        }
        let members = m.world.groups.members(group).unwrap_or(&[]);
        for (fw, spec) in m.scenario.framework_specs.iter().enumerate() {
            for (_, weight, _) in spec.affinity.iter().filter(|(g, _, _)| g == group) {
                let w = weight.value(draws);
                for i in 0..m.layout.states {
                    let listed = members.contains(&(i as u32));
                    let dated = in_force.get(&i).is_some_and(|&(_, on)| on);
                    if listed != dated && w != 0.0 {
                        aff[i * k + fw] += if dated { w } else { -w };
                        changed += 1;
                    }
                }
            }
        }
    }
    (aff, changed)
}
