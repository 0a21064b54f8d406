//! The scenario's state selectors resolved against its world: masks and member lists, the home
//! states of each framework, the anchored cells and the initial rule of each cell.

use super::NO_ANCHOR;
use crate::error::Result;
use crate::scenario::{Scenario, Selector, WorldSource};
use crate::world::{StateId, World};

/// The states that `sel` picks in `world`, as a mask; a name the world does not know is an error at
/// the selector's key.
pub(crate) fn select(scenario: &Scenario, world: &World, sel: &Selector) -> Result<Vec<bool>> {
    world.select(sel).map_err(|(i, msg)| {
        let key = match i.checked_sub(sel.include.len()) {
            None => format!("{}[{i}]", sel.key),
            Some(j) => format!("{}[{j}]", sel.except_key),
        };
        scenario.error(&key, msg)
    })
}

/// The states of a mask, in state order.
pub(crate) fn members(mask: &[bool]) -> Vec<StateId> {
    mask.iter().enumerate().filter(|(_, m)| **m).map(|(i, _)| i as StateId).collect()
}

/// Checks that every group of the gravity model's bloc boost exists in a world of the bundled
/// countries.
pub(crate) fn check_bloc_boost(scenario: &Scenario, world: &World) -> Result<()> {
    for (g, _) in &scenario.world.gravity.bloc_boost {
        if world.groups.members(g).is_none() && matches!(scenario.world.source, WorldSource::Countries { .. }) {
            return Err(scenario.error(
                &format!("world.gravity.bloc_boost.{g}"),
                format!("unknown group `{g}`; the world's groups are: {}", world.groups.names.join(", ")),
            ));
        }
    }
    Ok(())
}

/// `home[k][i]`: is state i a home state of framework k?
pub(crate) fn homes(scenario: &Scenario, world: &World) -> Result<Vec<Vec<bool>>> {
    let mut home = Vec::with_capacity(scenario.k());
    for f in &scenario.framework_specs {
        home.push(select(scenario, world, &f.home)?);
    }
    Ok(home)
}

/// `anchor[d*N + i]`: the framework whose home state i is, where that framework is anchored in domain
/// d, or [`NO_ANCHOR`]; a state at home in two frameworks anchored in one domain is an error.
pub(crate) fn anchors(scenario: &Scenario, world: &World, home: &[Vec<bool>]) -> Result<Vec<u8>> {
    let (n, k_count) = (world.len(), scenario.k());
    let mut anchor = vec![NO_ANCHOR; scenario.d() * n];
    for (d, dom) in scenario.domain_specs.iter().enumerate() {
        for k in (0..k_count).filter(|&k| dom.anchored[k]) {
            for i in (0..n).filter(|&i| home[k][i]) {
                let cell = &mut anchor[d * n + i];
                if *cell != NO_ANCHOR && *cell as usize != k {
                    return Err(scenario.error(
                        &format!("domain.{}.anchored", dom.name),
                        format!(
                            "state {} is a home state of both {} and {}, which are anchored in this domain",
                            &world.ids[i], scenario.frameworks[*cell as usize], scenario.frameworks[k]
                        ),
                    ));
                }
                *cell = k as u8;
            }
        }
    }
    Ok(anchor)
}

/// `initial_rule[d*N + i]`: the first initial rule of domain d that covers state i; a cell that is
/// neither covered nor anchored is an error.
pub(crate) fn initial_rules(scenario: &Scenario, world: &World, anchor: &[u8]) -> Result<Vec<u16>> {
    let n = world.len();
    let mut initial_rule = vec![u16::MAX; scenario.d() * n];
    for (d, dom) in scenario.domain_specs.iter().enumerate() {
        for (r, rule) in dom.initial.iter().enumerate() {
            let mask = select(scenario, world, &rule.states)?;
            for i in 0..n {
                if mask[i] && initial_rule[d * n + i] == u16::MAX {
                    initial_rule[d * n + i] = r as u16;
                }
            }
        }
        if let Some(i) = (0..n).find(|&i| initial_rule[d * n + i] == u16::MAX && anchor[d * n + i] == NO_ANCHOR) {
            return Err(scenario.error(
                &format!("domain.{}.initial", dom.name),
                format!(
                    "no initial rule covers state {}; add a last rule with states = [\"all\"]",
                    &world.ids[i]
                ),
            ));
        }
    }
    Ok(initial_rule)
}
