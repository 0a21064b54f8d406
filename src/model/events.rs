//! The scenario's events resolved against the world: each event's step and the states it acts on.

use super::bind::{members, select};
use crate::error::Result;
use crate::scenario::{Action, Condition, Knob, Scenario, SetValue};
use crate::world::{StateId, World};

/// An event resolved against the world: the step it applies at (1 = the first simulated year), or,
/// with a condition, the first step at which the condition is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelEvent {
    /// The step it applies at, or from which its condition is checked.
    pub step: usize,
    /// The condition that triggers it the first time it holds (None: it applies at `step`).
    pub when: Option<Condition>,
    /// Years after which a reversible action is undone.
    pub duration: Option<u32>,
    /// What it does.
    pub action: ModelAction,
}

impl ModelEvent {
    /// Bytes this event holds on the heap: its state list and domain flags (capacities).
    pub fn heap_bytes(&self) -> u64 {
        let lists = |states: &Vec<StateId>, domains: &Vec<bool>| (4 * states.capacity() + domains.capacity()) as u64;
        match &self.action {
            ModelAction::Set { .. } => 0,
            ModelAction::Partnership { states, domains, .. }
            | ModelAction::ExportControl { states, domains, .. }
            | ModelAction::Force { states, domains, .. }
            | ModelAction::Coordinate { states, domains } => lists(states, domains),
        }
    }
}

/// What a resolved event does.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelAction {
    /// Replace or scale a parameter of the run.
    Set {
        /// The parameter.
        knob: Knob,
        /// Its new value, or the factor it is scaled by.
        value: SetValue,
    },
    /// Add an affinity bonus for a framework to the partner states in some domains.
    Partnership {
        /// The framework.
        framework: usize,
        /// The partner states.
        states: Vec<StateId>,
        /// Per domain: whether the bonus applies.
        domains: Vec<bool>,
        /// Added to the states' affinity for the framework.
        bonus: f64,
    },
    /// Penalise choosing a framework in some domains for the states it restricts.
    ExportControl {
        /// The framework penalised.
        framework: usize,
        /// The restricted states: neither exempt nor home states of the framework.
        states: Vec<StateId>,
        /// Per domain: whether the penalty applies.
        domains: Vec<bool>,
        /// Utility penalty of choosing the framework.
        penalty: f64,
    },
    /// Move states onto a framework and lock them there.
    Force {
        /// The framework.
        framework: usize,
        /// The states moved.
        states: Vec<StateId>,
        /// Per domain: whether they are moved.
        domains: Vec<bool>,
        /// Years the states stay locked.
        lock_years: u32,
    },
    /// Make states decide as one bloc in some domains.
    Coordinate {
        /// The bloc's members.
        states: Vec<StateId>,
        /// Per domain: whether they decide together.
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
