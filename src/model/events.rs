//! The scenario's events resolved against the world: each event's step and the states it acts on.

use super::bind::{members, select};
use crate::error::Result;
use crate::scenario::{Action, Condition, Knob, Scenario, SetValue};
use crate::world::{StateId, World};

/// An event resolved against the world: the step it applies at (1 = the first simulated year), or,
/// with a condition, the first step at which the condition is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelEvent {
    pub step: usize,
    pub when: Option<Condition>,
    /// Years after which a reversible action is undone.
    pub duration: Option<u32>,
    pub action: ModelAction,
}

/// What a resolved event does.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelAction {
    Set {
        knob: Knob,
        value: SetValue,
    },
    Partnership {
        framework: usize,
        states: Vec<StateId>,
        domains: Vec<bool>,
        bonus: f64,
    },
    ExportControl {
        framework: usize,
        states: Vec<StateId>,
        domains: Vec<bool>,
        penalty: f64,
    },
    Force {
        framework: usize,
        states: Vec<StateId>,
        domains: Vec<bool>,
        lock_years: u32,
    },
    Coordinate {
        states: Vec<StateId>,
        domains: Vec<bool>,
    },
}

/// The scenario's events in its order, each resolved against the world.
pub(crate) fn resolve(scenario: &Scenario, world: &World, home: &[Vec<bool>]) -> Result<Vec<ModelEvent>> {
    let mut events = Vec::new();
    for e in &scenario.events {
        let step = (e.year - scenario.start) as usize;
        let action = resolve_action(scenario, world, home, &e.action)?;
        events.push(ModelEvent {
            step,
            when: e.when,
            duration: e.duration,
            action,
        });
    }
    Ok(events)
}

/// One event's action with its selectors turned into member lists; an export control acts on every
/// state that is neither exempt nor a home state of the framework.
fn resolve_action(scenario: &Scenario, world: &World, home: &[Vec<bool>], action: &Action) -> Result<ModelAction> {
    let n = world.len();
    Ok(match action {
        Action::Set { knob, value } => ModelAction::Set {
            knob: *knob,
            value: *value,
        },
        Action::Partnership {
            framework,
            states,
            domains,
            affinity,
        } => ModelAction::Partnership {
            framework: *framework,
            states: members(&select(scenario, world, states)?),
            domains: domains.clone(),
            bonus: *affinity,
        },
        Action::ExportControl {
            framework,
            exempt,
            domains,
            penalty,
        } => {
            let ex = select(scenario, world, exempt)?;
            let states = (0..n).filter(|&i| !ex[i] && !home[*framework][i]).map(|i| i as StateId).collect();
            ModelAction::ExportControl {
                framework: *framework,
                states,
                domains: domains.clone(),
                penalty: *penalty,
            }
        }
        Action::Force {
            framework,
            states,
            domains,
            lock_years,
        } => ModelAction::Force {
            framework: *framework,
            states: members(&select(scenario, world, states)?),
            domains: domains.clone(),
            lock_years: *lock_years,
        },
        Action::Coordinate { states, domains } => ModelAction::Coordinate {
            states: members(&select(scenario, world, states)?),
            domains: domains.clone(),
        },
    })
}
