//! The parts of the tastes A_ik and S_ik that the world fixes (see [`super::Model::tastes`]): each
//! state's freedom closeness to each framework's ideal point and the group bonuses of affinity and
//! security.

use super::affinity;
use crate::error::Result;
use crate::scenario::{FrameworkSpec, Param, Scenario};
use crate::world::{StateId, World};

/// Membership bonus of a group for a framework (affinity or security).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupTerm {
    /// The framework the members favour.
    pub framework: usize,
    /// The group's member states.
    pub members: Vec<StateId>,
    /// The bonus (the group's weight).
    pub weight: Param,
}

/// Freedom closeness −|f_i − ideal_k|/10, `[i*K + k]` (0 where a framework has no ideal point;
/// empty when none has).
pub(crate) fn freedom(scenario: &Scenario, world: &World) -> Vec<f64> {
    let (n, k_count) = (world.len(), scenario.k());
    if scenario.framework_specs.iter().all(|f| f.freedom_ideal.is_none()) {
        // No ideal point: the empty table, as the model stores all zeros.
        return Vec::new();
    }
    let mut freedom = vec![0.0; n * k_count];
    for (k, f) in scenario.framework_specs.iter().enumerate() {
        if let Some(ideal) = f.freedom_ideal {
            for i in 0..n {
                freedom[i * k_count + k] = affinity::freedom_closeness(world.freedom[i], ideal);
            }
        }
    }
    freedom
}

/// The group bonuses that `pick` lists for each framework, in framework order, with their members;
/// a group the world does not know is an error at its key.
pub(crate) fn group_terms(
    scenario: &Scenario,
    world: &World,
    pick: fn(&FrameworkSpec) -> &Vec<(String, Param, String)>,
) -> Result<Vec<GroupTerm>> {
    let mut out = Vec::new();
    for (k, f) in scenario.framework_specs.iter().enumerate() {
        for (g, weight, key) in pick(f) {
            let m = world.groups.members(g).ok_or_else(|| {
                scenario.error(
                    key,
                    format!("unknown group `{g}`; the world's groups are: {}", world.groups.names.join(", ")),
                )
            })?;
            out.push(GroupTerm {
                framework: k,
                members: m.to_vec(),
                weight: *weight,
            });
        }
    }
    Ok(out)
}
