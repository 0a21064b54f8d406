//! The start state of a simulated hindcast: every cell's alignment at the end of a year, drawn
//! from what the panel says of it.
//!
//! - An anchored cell sits at its anchor.
//! - A cell whose outcome rows up to then place it in one framework is pinned there.
//! - A cell they place in a set, and an unobserved cell (the set of every framework), is drawn
//!   from the scenario's initial shares of the cell restricted to the set (uniform over the set
//!   when those shares give it no mass).
//! - A cell at risk of the simulated indicator (no adoption yet) is further restricted to the
//!   frameworks outside the indicator's union U, as the likelihood's prior is: not having adopted
//!   is what the panel says of it. When that leaves nothing (the rows place the cell inside U),
//!   the cell keeps its set and its history cannot be scored (see [`super::spells`]).
//!
//! One uniform draw per cell, anchored and pinned cells included, so the start states of two
//! models drawn from the same generator are the same.

use rand::RngExt;

use super::state::{History, initial_shares, known_set};
use crate::model::{Model, NO_ANCHOR};
use crate::rng::Generator;

/// The frameworks each cell `[d*N + i]` may start in at the end of year `before`; the cells of
/// domain `d` flagged in `at_risk` (one flag per state) are restricted to the frameworks outside
/// `union` where that leaves any.
pub(super) fn start_sets(m: &Model, history: &History, before: i32, d: usize, union: u8, at_risk: &[bool]) -> Vec<u8> {
    let (n, dd, k) = (m.layout.states, m.layout.domains, m.layout.frameworks);
    let all = ((1u16 << k) - 1) as u8;
    (0..n * dd)
        .map(|cell| {
            let (dom, i) = (cell / n, cell % n);
            if m.anchor[cell] != NO_ANCHOR {
                return 1 << m.anchor[cell];
            }
            let known = known_set(history, dom, i, before, all);
            let outside = known & !union;
            if dom == d && at_risk[i] && outside != 0 { outside } else { known }
        })
        .collect()
}

/// One start alignment drawn from `sets` (see the module header).
pub fn draw_start(m: &Model, sets: &[u8], rng: &mut Generator) -> Vec<u8> {
    let (n, k) = (m.layout.states, m.layout.frameworks);
    sets.iter()
        .enumerate()
        .map(|(cell, &set)| {
            let v: f64 = rng.random();
            let shares = initial_shares(m, cell / n, cell % n);
            pick_in(shares, set, k, v)
        })
        .collect()
}

/// The framework of `set` at `v` ∈ [0, 1) by the inverse CDF of `shares` restricted to `set`
/// (uniform over `set` when the shares give it no mass).
pub fn pick_in(shares: &[f64], set: u8, k: usize, v: f64) -> u8 {
    let members: Vec<usize> = (0..k).filter(|&j| set >> j & 1 == 1).collect();
    if members.len() == 1 {
        return members[0] as u8;
    }
    let mass: f64 = members.iter().map(|&j| shares[j]).sum();
    let weight = |j: usize| if mass > 0.0 { shares[j] / mass } else { 1.0 / members.len() as f64 };
    let mut acc = 0.0;
    for &j in &members {
        acc += weight(j);
        if v < acc {
            return j as u8;
        }
    }
    members.iter().rev().find(|&&j| weight(j) > 0.0).copied().unwrap_or(members[0]) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_drawn_from_the_shares_restricted_to_it() {
        let shares = [0.2, 0.3, 0.5];
        // {EU, US}: EU with 0.2/0.5 = 0.4, US with 0.6.
        assert_eq!(pick_in(&shares, 0b011, 3, 0.39), 0);
        assert_eq!(pick_in(&shares, 0b011, 3, 0.41), 1);
        // A single framework is pinned whatever the draw.
        assert_eq!(pick_in(&shares, 0b100, 3, 0.0), 2);
        // No mass on the set: uniform over it.
        assert_eq!(pick_in(&[0.0, 0.0, 1.0], 0b011, 3, 0.49), 0);
        assert_eq!(pick_in(&[0.0, 0.0, 1.0], 0b011, 3, 0.51), 1);
        // The top of the CDF lands on the last member with mass.
        assert_eq!(pick_in(&[0.5, 0.5, 0.0], 0b111, 3, 0.999_999_999_999_999_9), 1);
    }
}
