//! Memory estimates and the checks that refuse absurd sizes before anything is allocated.
//!
//! [`estimate`] adds up what each structure reports for the sizes at hand: the world, the model,
//! each run in progress, the outcomes waiting to be aggregated and the aggregates. A scenario is
//! checked three times, each time before the allocation it guards:
//!
//! 1. before its world is built ([`check_scenario`]), with the sizes the scenario states (a
//!    synthetic world's N and degree; the real-world and custom worlds count 0 states here);
//! 2. after its world is loaded and before the model is built ([`check_world`]), with the world's
//!    real N and number of ties;
//! 3. before a batch or comparison ([`check_batch`]), with its number of worker threads.
//!
//! The first two assume one worker thread; the third the real number. [`load_model`] does the first
//! two around building the model: the way every command turns a scenario into a model.

use crate::aggregate::Aggregator;
use crate::error::{Error, Result};
use crate::limits::{Estimate, IN_FLIGHT_BUDGET, MAX_AGENTS, MAX_RUNS, MEMORY_LIMIT_VAR, Sizes, human, memory_limit, mul, sat_sum};
use crate::metrics::Layout;
use crate::metrics::RunOutcome;
use crate::model::Model;
use crate::run::Simulation;
use crate::scenario::{Action, Scenario, WorldSource};
use crate::world::World;

/// The sizes a validated scenario states before its world is loaded: a synthetic world's N and
/// N × degree ties; 0 states for real-world and custom worlds (checked again once loaded).
pub fn scenario_sizes(s: &Scenario) -> Sizes {
    let (agents, ties, grouped) = match s.world.source {
        WorldSource::Synthetic {
            agents, degree, groups, ..
        } => (
            agents as u64,
            (agents as u64).saturating_mul(degree.min(agents.saturating_sub(1)) as u64),
            groups > 0,
        ),
        _ => (0, 0, true),
    };
    let uniform_ties = matches!(s.world.source, WorldSource::Synthetic { .. });
    let has = |f: fn(&Action) -> bool| u64::from(s.events.iter().any(|e| f(&e.action)));
    Sizes {
        agents,
        ties,
        domains: s.d() as u64,
        frameworks: s.k() as u64,
        years: s.steps() as u64 + 1,
        events: s.events.len() as u64,
        cell_arrays: 1
            + has(|a| matches!(a, Action::Partnership { .. }))
            + has(|a| matches!(a, Action::ExportControl { .. }))
            + u64::from(s.framework_specs.iter().any(|f| f.sponsor.is_some())),
        rate_covariates: s.rate_covariates.len() as u64,
        uniform_ties,
        group_members: if !grouped {
            0
        } else if uniform_ties {
            agents
        } else {
            agents.saturating_mul(8)
        },
        security: s.framework_specs.iter().any(|f| !f.security.is_empty()),
        static_rows: if same_static_domains(s) { 1 } else { s.d() as u64 },
        homes: s.framework_specs.iter().any(|f| !f.home.include.is_empty()),
        freedom_ideals: s.framework_specs.iter().any(|f| f.freedom_ideal.is_some()),
    }
}

/// Whether a run's static utilities are the same in every domain (so that its exp factors take
/// one row per state): no per-cell inputs, no events, the same weights and constants per domain.
fn same_static_domains(s: &Scenario) -> bool {
    let per_cell = s.framework_specs.iter().any(|f| f.sponsor.is_some()) || !s.events.is_empty();
    !per_cell
        && s.domain_specs
            .windows(2)
            .all(|w| w[0].weights == w[1].weights && w[0].constants == w[1].constants)
}

/// The sizes of a scenario with its world loaded.
pub fn world_sizes(s: &Scenario, agents: usize, ties: usize) -> Sizes {
    let s = scenario_sizes(s);
    let agents = agents as u64;
    Sizes {
        agents,
        ties: ties as u64,
        group_members: if s.uniform_ties {
            s.group_members.min(agents)
        } else {
            agents.saturating_mul(8)
        },
        ..s
    }
}

/// The sizes of a built model.
pub fn model_sizes(m: &Model) -> Sizes {
    world_sizes(&m.scenario, m.world.len(), m.world.ties.targets.len())
}

/// How many finished outcomes a batch keeps in memory before aggregating them: `per_worker` per
/// worker thread, fewer when they would exceed [`IN_FLIGHT_BUDGET`], but at least one per worker.
pub fn runs_in_flight(layout: &Layout, workers: usize, per_worker: u64) -> u64 {
    let sizes = Sizes {
        agents: layout.states as u64,
        domains: layout.domains as u64,
        frameworks: layout.frameworks as u64,
        years: layout.years as u64,
        ..Sizes::default()
    };
    let workers = workers.max(1) as u64;
    let fit = IN_FLIGHT_BUDGET / RunOutcome::footprint(&sizes).max(1);
    fit.min(per_worker.saturating_mul(workers)).max(workers)
}

/// The layout of a run's arrays with these sizes.
fn layout_of(sizes: &Sizes) -> Layout {
    let u = |x: u64| usize::try_from(x).unwrap_or(usize::MAX);
    Layout {
        states: u(sizes.agents),
        domains: u(sizes.domains),
        frameworks: u(sizes.frameworks),
        years: u(sizes.years),
    }
}

/// Estimate the memory of `workers` runs in parallel with `in_flight` finished outcomes held, plus
/// the aggregates. A comparison (`paired`) holds two models, two runs per worker and two outcomes
/// per pair. Every figure saturates instead of overflowing.
pub fn estimate(sizes: &Sizes, workers: u64, in_flight: u64, paired: bool) -> Estimate {
    let copies = if paired { 2 } else { 1 };
    let e = Estimate {
        world: mul(&[World::footprint(sizes), copies]),
        model: mul(&[Model::footprint(sizes), copies]),
        runs: mul(&[Simulation::footprint(sizes), workers.max(1), copies]),
        outcomes: mul(&[RunOutcome::footprint(sizes), in_flight, copies]),
        aggregates: mul(&[Aggregator::footprint(sizes), copies]),
        total: 0,
    };
    Estimate {
        total: sat_sum(&[e.world, e.model, e.runs, e.outcomes, e.aggregates]),
        ..e
    }
}

/// Build the model of a scenario, refusing sizes above the limits before the world and again
/// before the model is built.
pub fn load_model(scenario: Scenario) -> Result<Model> {
    check_scenario(&scenario)?;
    let large = matches!(scenario.world.source, WorldSource::Synthetic { agents, .. } if agents >= PARALLEL_BUILD_AGENTS);
    let build = || {
        let world = World::build(&scenario.world.clone())?;
        check_world(&scenario, world.len(), world.ties.targets.len())?;
        Model::build(scenario, world)
    };
    // A large synthetic world's build forks and joins a few times per thousand agents: the idle
    // threads wait for that work awake.
    if large { crate::pool::kept_awake(build) } else { build() }
}

/// Synthetic worlds from this many agents up build with the idle threads kept awake.
const PARALLEL_BUILD_AGENTS: usize = 16 * 1024;

/// The key a user should change when `e` is too large, and how to say it.
fn culprit(s: &Scenario, sizes: &Sizes, e: &Estimate) -> (String, String) {
    let yearly = mul(&[sizes.years, sizes.domains, sizes.frameworks, 8 * 6144]);
    let ties = mul(&[sizes.ties, 16]);
    let events = mul(&[sizes.events, sizes.agents, 5]);
    let biggest = [yearly, ties, events].into_iter().max().unwrap_or(0);
    let horizon = || {
        (
            "time.end".to_string(),
            format!(
                "shorten the horizon (time.end − time.start = {} years) or use fewer domains ({}) or frameworks ({})",
                sizes.years.saturating_sub(1),
                sizes.domains,
                sizes.frameworks
            ),
        )
    };
    if biggest.saturating_mul(2) < e.total {
        // Per-state arrays dominate.
        return match &s.world.source {
            WorldSource::Synthetic { agents, .. } => (
                "world.synthetic.agents".into(),
                format!("use fewer states (world.synthetic.agents = {agents})"),
            ),
            WorldSource::Custom { .. } => (
                "world.custom.agents".into(),
                format!("use a smaller world ({} states)", sizes.agents),
            ),
            WorldSource::Countries { .. } => horizon(),
        };
    }
    if biggest == ties {
        return match &s.world.source {
            WorldSource::Synthetic { degree, .. } => (
                "world.synthetic.degree".into(),
                format!("use fewer ties (world.synthetic.degree = {degree} per state)"),
            ),
            WorldSource::Custom { .. } => ("world.custom.ties".into(), format!("use fewer ties ({})", sizes.ties)),
            WorldSource::Countries { .. } => (
                "world.gravity.top_partners".into(),
                format!("keep fewer partners per state ({} ties)", sizes.ties),
            ),
        };
    }
    if biggest == events {
        return ("event".into(), format!("use fewer events ({})", sizes.events));
    }
    horizon()
}

fn refuse(s: &Scenario, sizes: &Sizes, e: &Estimate, limit: u64, what: &str) -> Error {
    let (key, advice) = culprit(s, sizes, e);
    s.error(
        &key,
        format!(
            "{what} needs an estimated {}, above the limit of {}; {advice}, or raise the limit with the environment variable {MEMORY_LIMIT_VAR} (e.g. {MEMORY_LIMIT_VAR}=64GiB)",
            e.describe(),
            human(limit)
        ),
    )
}

/// Hard caps and the memory of one run and its aggregates, with the sizes `sizes`.
fn check_sizes(s: &Scenario, sizes: &Sizes, what: &str) -> Result<()> {
    let limit = memory_limit()?;
    let e = estimate(sizes, 1, 1, false);
    if e.total > limit {
        return Err(refuse(s, sizes, &e, limit, what));
    }
    if sizes.agents > MAX_AGENTS {
        let key = match s.world.source {
            WorldSource::Synthetic { .. } => "world.synthetic.agents",
            WorldSource::Custom { .. } => "world.custom.agents",
            WorldSource::Countries { .. } => "world",
        };
        return Err(s.error(key, format!("{} states; at most {MAX_AGENTS} are supported", sizes.agents)));
    }
    Ok(())
}

/// Check a validated scenario's own sizes (before its world is built).
pub fn check_scenario(s: &Scenario) -> Result<()> {
    check_sizes(s, &scenario_sizes(s), "one run of this scenario")
}

/// Check a scenario against its loaded world (before the model is built).
pub fn check_world(s: &Scenario, agents: usize, ties: usize) -> Result<()> {
    check_sizes(s, &world_sizes(s, agents, ties), "one run of this scenario")
}

/// Check a batch (or, `paired`, a comparison) of `runs` runs on `workers` threads before it starts.
pub fn check_batch(m: &Model, runs: u64, workers: usize, per_worker: u64, paired: bool) -> Result<()> {
    if runs > MAX_RUNS {
        return Err(Error::Usage(format!("--runs {runs}: at most {MAX_RUNS} runs are supported")));
    }
    let sizes = model_sizes(m);
    let in_flight = runs_in_flight(&layout_of(&sizes), workers, per_worker).min(runs.max(1));
    let e = estimate(&sizes, workers as u64, in_flight, paired);
    let limit = memory_limit()?;
    if e.total <= limit {
        return Ok(());
    }
    let single = estimate(&sizes, 1, 1, paired);
    let what = if paired { "a comparison" } else { "a batch" };
    if single.total <= limit {
        return Err(Error::Usage(format!(
            "{what} on {workers} threads needs an estimated {}, above the limit of {}; use fewer threads (--threads), or raise the limit with the environment variable {MEMORY_LIMIT_VAR} (e.g. {MEMORY_LIMIT_VAR}=64GiB)",
            e.describe(),
            human(limit)
        )));
    }
    Err(refuse(&m.scenario, &sizes, &single, limit, what))
}

#[cfg(test)]
mod alloc_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::DEFAULT_MEMORY_LIMIT;

    fn sizes(agents: u64, degree: u64, domains: u64, frameworks: u64, years: u64) -> Sizes {
        Sizes {
            agents,
            ties: agents * degree,
            domains,
            frameworks,
            years,
            events: 0,
            cell_arrays: 1,
            rate_covariates: 0,
            uniform_ties: false,
            homes: true,
            freedom_ideals: true,
            group_members: agents * 8,
            security: true,
            static_rows: domains,
        }
    }

    #[test]
    fn a_million_states_in_five_domains_fits_the_default_limit() {
        let s = sizes(1_000_000, 10, 5, 3, 26);
        let l = layout_of(&s);
        let e = estimate(&s, 8, runs_in_flight(&l, 8, 512), false);
        assert!(e.total < DEFAULT_MEMORY_LIMIT, "{}", e.describe());
        // ... and the estimate is not trivially small: the per-state arrays alone take gigabytes.
        assert!(e.total > 1 << 30, "{}", e.describe());
    }

    #[test]
    fn absurd_sizes_exceed_it_without_overflow() {
        let e = estimate(&sizes(1_000_000_000_000, 10, 5, 3, 26), 1, 1, false);
        assert!(e.total > DEFAULT_MEMORY_LIMIT * 1000);
        let e = estimate(&sizes(u64::MAX, u64::MAX / 2, 16, 8, 10_001), u64::MAX, u64::MAX, true);
        assert_eq!(e.total, u64::MAX, "saturates");
        // The longest horizon with the most domains and frameworks: the yearly histograms alone.
        let e = estimate(&sizes(200, 20, 16, 8, 10_001), 1, 1, false);
        assert!(e.aggregates > DEFAULT_MEMORY_LIMIT, "{}", e.describe());
    }

    #[test]
    fn outcomes_in_flight_stay_within_the_budget_but_one_per_worker() {
        let small = Layout {
            states: 200,
            domains: 5,
            frameworks: 3,
            years: 26,
        };
        assert_eq!(runs_in_flight(&small, 2, 512), 1024);
        let big = Layout {
            states: 10_000_000,
            ..small
        };
        let n = runs_in_flight(&big, 2, 512);
        assert!(
            n * RunOutcome::footprint(&sizes(10_000_000, 0, 5, 3, 26)) <= IN_FLIGHT_BUDGET && n >= 2,
            "{n}"
        );
        let huge = Layout {
            states: 1_000_000_000,
            ..small
        };
        assert_eq!(runs_in_flight(&huge, 4, 512), 4);
    }
}
