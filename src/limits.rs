//! Resource limits: hard caps on sizes, the memory limit, and the plain numbers a memory estimate is
//! made of (basic types, used by every layer).
//!
//! A scenario's memory use follows from a handful of sizes ([`Sizes`]): the number of states N, of
//! ties, of domains D, frameworks K and recorded years Y, and of events. Each structure reports its
//! own bytes for given sizes (`World::footprint`, `Model::footprint`, `Simulation::footprint`,
//! [`crate::metrics::RunOutcome::footprint`], `Aggregator::footprint`), and [`crate::footprint`] adds
//! them up into an [`Estimate`] and refuses absurd sizes before anything is allocated (see
//! `docs/errors.md` for the formulas). The default limit, [`DEFAULT_MEMORY_LIMIT`], leaves room for a
//! batch of a million states in five domains on a machine of 24 GiB; a larger machine raises it with
//! the environment variable `BLOCSIM_MEMORY_LIMIT` (e.g. `BLOCSIM_MEMORY_LIMIT=64GiB`). Besides
//! memory, a few sizes have hard caps because of the width of the indices that store them
//! ([`MAX_AGENTS`], [`MAX_RUNS`], [`MAX_INITIAL_RULES`]) or to bound the work of one run
//! ([`MAX_STEPS`], [`MAX_EVENTS`]).

use crate::error::{Error, Result};

/// Most states a world may have: state indices are 32-bit.
pub const MAX_AGENTS: u64 = u32::MAX as u64 - 1;
/// Most worker threads a command may start (the largest machines have a few hundred cores; more
/// threads than that only cost memory, a stack each).
pub const MAX_THREADS: usize = 1024;
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
    /// Domains D.
    pub domains: u64,
    /// Frameworks K.
    pub frameworks: u64,
    /// Recorded years: the horizon plus one.
    pub years: u64,
    /// Events of the scenario.
    pub events: u64,
    /// Per-(state, domain, framework) arrays of a run: static utility, and investment stocks,
    /// partnership bonuses and export penalties when the scenario has them (1 to 4).
    pub cell_arrays: u64,
    /// Covariates of the revision rate (`[rate]`): a standardised value per state each, and then a
    /// rate per cell in a run.
    pub rate_covariates: u64,
    /// Whether every tie has one weight and states have no names or regions of their own (synthetic
    /// worlds): the world then keeps no per-tie weights, and ids of 1 + digits(N) bytes.
    pub uniform_ties: bool,
    /// Whether some framework has home states (the model then keeps the economic pull, K f64 per
    /// state).
    pub homes: bool,
    /// Whether some framework has a freedom ideal (the model then keeps the freedom closeness, K
    /// f64 per state).
    pub freedom_ideals: bool,
    /// Memberships of groups over all groups (a synthetic world's states are in one group each when
    /// it has groups; real and custom worlds count an allowance of 8 per state).
    pub group_members: u64,
    /// Whether some framework has security groups (a run then keeps S_ik, K f64 per state).
    pub security: bool,
    /// Rows of a run's exp factors per state: 1 when every domain has the same static utility
    /// weights and constants and no per-cell inputs or events can make them differ, D otherwise.
    pub static_rows: u64,
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

/// The product of `xs`, saturating.
pub fn mul(xs: &[u64]) -> u64 {
    xs.iter().fold(1u64, |a, &b| a.saturating_mul(b))
}

/// The sum of `xs`, saturating.
pub fn sat_sum(xs: &[u64]) -> u64 {
    xs.iter().fold(0u64, |a, &b| a.saturating_add(b))
}

#[cfg(test)]
mod tests {
    use super::*;

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
