//! Resource limits: absurd sizes are refused with a clear error before anything is allocated.
//!
//! A scenario's memory use follows from a handful of sizes: the number of states N, of ties, of
//! domains D, frameworks K and recorded years Y, and of events. [`estimate`] adds up what the world,
//! the model, each run in progress, the outcomes waiting to be aggregated and the aggregates take
//! (see `docs/errors.md` for the formulas). A scenario is checked three times, each time before the
//! allocation it guards:
//!
//! 1. after validation ([`check_scenario`]), with the sizes the scenario states (a synthetic world's
//!    N and degree; the real-world and custom worlds count 0 states here);
//! 2. after its world is loaded and before the model is built ([`check_world`]), with the world's
//!    real N and number of ties;
//! 3. before a batch or comparison ([`check_batch`]), with its number of worker threads.
//!
//! The first two assume one worker thread; the third the real number. The default limit,
//! [`DEFAULT_MEMORY_LIMIT`], leaves room for a batch of a million states in five domains on a
//! machine of 24 GiB; a larger machine raises it with the environment variable
//! `BLOCSIM_MEMORY_LIMIT` (e.g. `BLOCSIM_MEMORY_LIMIT=64GiB`). Besides memory, a few sizes have hard
//! caps because of the width of the indices that store them ([`MAX_AGENTS`], [`MAX_RUNS`],
//! [`MAX_INITIAL_RULES`]) or to bound the work of one run ([`MAX_STEPS`], [`MAX_EVENTS`]).

use crate::error::{Error, Result};
use crate::metrics::Layout;
use crate::model::Model;
use crate::scenario::{Action, Scenario, WorldSource};

/// Most states a world may have: state indices are 32-bit.
pub const MAX_AGENTS: u64 = u32::MAX as u64 - 1;
/// Longest horizon, in simulated years.
pub const MAX_STEPS: usize = 10_000;
/// Most runs in one batch (run indices are 32-bit in the detail table).
pub const MAX_RUNS: u64 = u32::MAX as u64;
/// Most out-neighbours per state in a synthetic world.
pub const MAX_DEGREE: usize = 10_000;
/// Most `[[event]]`s in a scenario.
pub const MAX_EVENTS: usize = 10_000;
/// Most initial-alignment rules per domain (rule indices are 16-bit).
pub const MAX_INITIAL_RULES: usize = 10_000;
/// Largest scenario file read, in bytes.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;
/// Largest data file (custom world CSV) read, in bytes.
pub const MAX_DATA_BYTES: u64 = 4 << 30;
/// Memory a run may be estimated to need when `BLOCSIM_MEMORY_LIMIT` is not set: 16 GiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 16 << 30;
/// The environment variable that raises (or lowers) the memory limit.
pub const MEMORY_LIMIT_VAR: &str = "BLOCSIM_MEMORY_LIMIT";
/// Memory for finished outcomes waiting to be aggregated, at most (but always one per worker).
pub const IN_FLIGHT_BUDGET: u64 = 1 << 30;

/// Sizes that decide memory use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sizes {
    /// States N (0 when not known yet).
    pub agents: u64,
    /// Directed ties in the world.
    pub ties: u64,
    pub domains: u64,
    pub frameworks: u64,
    /// Recorded years: the horizon plus one.
    pub years: u64,
    pub events: u64,
    /// Per-(state, domain, framework) arrays of a run: static utility, and investment stocks,
    /// partnership bonuses and export penalties when the scenario has them (1 to 4).
    pub cell_arrays: u64,
}

impl Sizes {
    /// The sizes a validated scenario states before its world is loaded: a synthetic world's N and
    /// N × degree ties; 0 states for real-world and custom worlds (checked again once loaded).
    pub fn of_scenario(s: &Scenario) -> Sizes {
        let (agents, ties) = match s.world.source {
            WorldSource::Synthetic { agents, degree, .. } => (
                agents as u64,
                (agents as u64).saturating_mul(degree.min(agents.saturating_sub(1)) as u64),
            ),
            _ => (0, 0),
        };
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
        }
    }

    /// The sizes of a scenario with its world loaded.
    pub fn of_world(s: &Scenario, agents: usize, ties: usize) -> Sizes {
        Sizes {
            agents: agents as u64,
            ties: ties as u64,
            ..Sizes::of_scenario(s)
        }
    }

    /// The sizes of a built model.
    pub fn of_model(m: &Model) -> Sizes {
        Sizes::of_world(&m.scenario, m.world.len(), m.world.ties.targets.len())
    }

    fn layout(&self) -> Layout {
        let u = |x: u64| usize::try_from(x).unwrap_or(usize::MAX);
        Layout {
            states: u(self.agents),
            domains: u(self.domains),
            frameworks: u(self.frameworks),
            years: u(self.years),
        }
    }
}

/// Estimated bytes, by part. Every figure saturates instead of overflowing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Estimate {
    /// States' attributes and the tie matrix.
    pub world: u64,
    /// The model: per-state static terms, masks and the member lists of events.
    pub model: u64,
    /// The state of the runs in progress (one per worker).
    pub runs: u64,
    /// Finished outcomes waiting to be aggregated.
    pub outcomes: u64,
    /// The batch's aggregates (histograms per year, domain and framework; per-state tallies).
    pub aggregates: u64,
    /// The sum.
    pub total: u64,
}

/// Bytes of one run's outcome.
pub fn outcome_bytes(sizes: &Sizes) -> u64 {
    let shares = mul(&[sizes.years, sizes.domains, sizes.frameworks]);
    // counts (u32) + GDP shares (f64) per cell; two yearly indices; final alignments; small per-(d, k) arrays.
    sat_sum(&[
        mul(&[shares, 12]),
        mul(&[sizes.years, 16]),
        mul(&[sizes.agents, sizes.domains]),
        mul(&[sizes.domains, sizes.frameworks, 32]),
        256,
    ])
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
    let fit = IN_FLIGHT_BUDGET / outcome_bytes(&sizes).max(1);
    fit.min(per_worker.saturating_mul(workers)).max(workers)
}

/// Estimate the memory of `workers` runs in parallel with `in_flight` finished outcomes held, plus
/// the aggregates. A comparison (`paired`) holds two models, two runs per worker and two outcomes
/// per pair.
pub fn estimate(sizes: &Sizes, workers: u64, in_flight: u64, paired: bool) -> Estimate {
    let (n, d, k) = (sizes.agents, sizes.domains, sizes.frameworks);
    let copies = if paired { 2 } else { 1 };
    // Ids, names, continent and subregion strings; GDP, population, freedom, position; CSR rows.
    let world = sat_sum(&[mul(&[n, 216]), mul(&[sizes.ties, 16])]);
    // home, anchor, E, freedom, hedgers, initial rule, sponsor targets, the reversed ties' row
    // offsets and the equal-GDP table, plus one member list per event; per tie, its fragmentation
    // weight and reversed entry.
    let per_state = sat_sum(&[mul(&[k, 21]), mul(&[d, 3]), 18]);
    let model = sat_sum(&[
        mul(&[n, per_state]),
        mul(&[sizes.ties, 12]),
        mul(&[sizes.events, n, 5]),
        mul(&[sizes.events, 512]),
    ]);
    let run = sat_sum(&[
        mul(&[n, k, 16]),
        mul(&[n, d, 15]),
        mul(&[n, 4]),
        mul(&[n, d, k, 8, sizes.cell_arrays.max(1)]),
        mul(&[sizes.events, 32]),
        outcome_bytes(sizes),
    ]);
    let cells = mul(&[sizes.years, d, k]);
    let count_bins = n.saturating_add(1).min(crate::aggregate::MAX_COUNT_BINS as u64);
    let fraction_bins = crate::aggregate::FRACTION_BINS as u64;
    let aggregates = sat_sum(&[
        mul(&[cells, sat_sum(&[96, mul(&[8, count_bins]), mul(&[8, fraction_bins])])]),
        mul(&[d, n, k, 8]),
        mul(&[sizes.years, 2, sat_sum(&[48, mul(&[8, fraction_bins])])]),
    ]);
    let e = Estimate {
        world: mul(&[world, copies]),
        model: mul(&[model, copies]),
        runs: mul(&[run, workers.max(1), copies]),
        outcomes: mul(&[outcome_bytes(sizes), in_flight, copies]),
        aggregates: mul(&[aggregates, copies]),
        total: 0,
    };
    Estimate {
        total: sat_sum(&[e.world, e.model, e.runs, e.outcomes, e.aggregates]),
        ..e
    }
}

impl Estimate {
    /// "41.2 GiB of memory (world and ties 40 GiB, model 1 GiB, ...)".
    pub fn describe(&self) -> String {
        format!(
            "{} of memory (world and ties {}, model {}, runs in progress {}, outcomes awaiting aggregation {}, aggregates {})",
            human(self.total),
            human(self.world),
            human(self.model),
            human(self.runs),
            human(self.outcomes),
            human(self.aggregates)
        )
    }
}

/// The memory limit in bytes: `BLOCSIM_MEMORY_LIMIT` if set (a size such as `64GiB`, `512MiB`, `2T`
/// or a number of bytes), else [`DEFAULT_MEMORY_LIMIT`].
pub fn memory_limit() -> Result<u64> {
    match std::env::var(MEMORY_LIMIT_VAR) {
        Ok(v) => parse_size(&v).map_err(|m| Error::Usage(format!("{MEMORY_LIMIT_VAR}={v}: {m}"))),
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_MEMORY_LIMIT),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::Usage(format!("{MEMORY_LIMIT_VAR}: not valid text"))),
    }
}

/// Parse a size: a non-negative number, optionally followed by a unit B, K/KB/KiB, M/MB/MiB,
/// G/GB/GiB or T/TB/TiB (all binary multiples of 1024).
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let expected = "expected a size such as 64GiB, 512MiB or 17179869184 (bytes)";
    let value: f64 = num.parse().map_err(|_| expected.to_string())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(expected.to_string()),
    };
    let bytes = value * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes >= u64::MAX as f64 {
        return Err(expected.to_string());
    }
    Ok(bytes as u64)
}

/// Bytes in binary units: "512 B", "1.5 KiB", "16 GiB", "7.3 PiB".
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else if v >= 100.0 || (v - v.round()).abs() < 0.05 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

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
    check_sizes(s, &Sizes::of_scenario(s), "one run of this scenario")
}

/// Check a scenario against its loaded world (before the model is built).
pub fn check_world(s: &Scenario, agents: usize, ties: usize) -> Result<()> {
    check_sizes(s, &Sizes::of_world(s, agents, ties), "one run of this scenario")
}

/// Check a batch (or, `paired`, a comparison) of `runs` runs on `workers` threads before it starts.
pub fn check_batch(m: &Model, runs: u64, workers: usize, per_worker: u64, paired: bool) -> Result<()> {
    if runs > MAX_RUNS {
        return Err(Error::Usage(format!("--runs {runs}: at most {MAX_RUNS} runs are supported")));
    }
    let sizes = Sizes::of_model(m);
    let in_flight = runs_in_flight(&sizes.layout(), workers, per_worker).min(runs.max(1));
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

fn mul(xs: &[u64]) -> u64 {
    xs.iter().fold(1u64, |a, &b| a.saturating_mul(b))
}

fn sat_sum(xs: &[u64]) -> u64 {
    xs.iter().fold(0u64, |a, &b| a.saturating_add(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(agents: u64, degree: u64, domains: u64, frameworks: u64, years: u64) -> Sizes {
        Sizes {
            agents,
            ties: agents * degree,
            domains,
            frameworks,
            years,
            events: 0,
            cell_arrays: 1,
        }
    }

    #[test]
    fn a_million_states_in_five_domains_fits_the_default_limit() {
        let s = sizes(1_000_000, 10, 5, 3, 26);
        let l = s.layout();
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
            n * outcome_bytes(&sizes(10_000_000, 0, 5, 3, 26)) <= IN_FLIGHT_BUDGET && n >= 2,
            "{n}"
        );
        let huge = Layout {
            states: 1_000_000_000,
            ..small
        };
        assert_eq!(runs_in_flight(&huge, 4, 512), 4);
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("64GiB"), Ok(64 << 30));
        assert_eq!(parse_size("512 MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2t"), Ok(2 << 40));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        for bad in ["", "G", "-1G", "12 parsecs", "1e99", "0"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert_eq!(human(512), "512 B");
        assert_eq!(human(16 << 30), "16 GiB");
        assert_eq!(human(3 << 29), "1.5 GiB");
    }
}
