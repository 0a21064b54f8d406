//! Sponsors: each year a framework's sponsor spreads its budget over target states by a strategy.

use super::bind::select;
use crate::error::Result;
use crate::scenario::{Scenario, Strategy};
use crate::world::{StateId, World};

/// Allocation weight of one eligible state under `strategy`.
/// `p` is the logit probability that the state picks the sponsor's framework in the domain (from
/// the static utilities of the year before), `trade` its trade share with the sponsor's home states,
/// `aligned` whether it is on the sponsor's framework now.
#[inline]
pub fn weight(strategy: Strategy, gdp: f64, p: f64, trade: f64, aligned: bool) -> f64 {
    match strategy {
        Strategy::Uniform => 1.0,
        Strategy::Gdp => gdp,
        Strategy::Swing => p * (1.0 - p),
        Strategy::Partners => trade * if aligned { 2.0 } else { 1.0 },
    }
}

/// Per framework: the eligible recipients of its sponsor's budget, its targets minus its home states
/// (none without a sponsor).
pub(crate) fn targets(scenario: &Scenario, world: &World, home: &[Vec<bool>]) -> Result<Vec<Vec<StateId>>> {
    let n = world.len();
    let mut sponsor_targets = Vec::with_capacity(scenario.k());
    for (k, f) in scenario.framework_specs.iter().enumerate() {
        let targets = match &f.sponsor {
            Some(s) => {
                let mask = select(scenario, world, &s.targets)?;
                (0..n).filter(|&i| mask[i] && !home[k][i]).map(|i| i as StateId).collect()
            }
            None => Vec::new(),
        };
        sponsor_targets.push(targets);
    }
    Ok(sponsor_targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swing_targets_undecided_states() {
        assert!(weight(Strategy::Swing, 1.0, 0.5, 0.0, false) > weight(Strategy::Swing, 1.0, 0.95, 0.0, false));
        assert_eq!(weight(Strategy::Gdp, 7.0, 0.1, 0.0, false), 7.0);
        assert_eq!(weight(Strategy::Partners, 1.0, 0.0, 0.3, true), 0.6);
    }
}
