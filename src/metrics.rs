//! What is observed in a run: the single list of outcomes that aggregation, export and charts read.

/// Sizes that fix the layout of every per-run array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// States N.
    pub states: usize,
    /// Domains D.
    pub domains: usize,
    /// Frameworks K.
    pub frameworks: usize,
    /// Recorded years: the initial state plus one per step (T + 1).
    pub years: usize,
}

impl Layout {
    /// Index of (year t, domain d, framework k) in per-year share arrays.
    #[inline]
    pub fn share_index(&self, t: usize, d: usize, k: usize) -> usize {
        (t * self.domains + d) * self.frameworks + k
    }
    /// Length of per-year share arrays.
    pub fn share_len(&self) -> usize {
        self.years * self.domains * self.frameworks
    }
    /// Index of (domain d, state i) in alignment arrays.
    #[inline]
    pub fn cell(&self, d: usize, i: usize) -> usize {
        d * self.states + i
    }
}

/// Everything recorded about one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// Position of the run in the batch plan.
    pub run: u64,
    /// Values drawn for the scenario's uncertain parameters, in scenario order.
    pub draws: Vec<f64>,
    /// Number of states on each framework, per year and domain: `[Layout::share_index]`.
    pub counts: Vec<u32>,
    /// GDP-weighted share of each framework, per year and domain: `[Layout::share_index]`.
    pub gdp_shares: Vec<f64>,
    /// Population-weighted share of each framework at the horizon: `[d * K + k]`.
    pub pop_shares: Vec<f64>,
    /// Fragmentation index per year, averaged over domains: `[t]`.
    pub fragmentation: Vec<f64>,
    /// Fragmentation index per domain at the horizon: `[d]`.
    pub fragmentation_final: Vec<f64>,
    /// Hedging index per year: `[t]`.
    pub hedging: Vec<f64>,
    /// Share of states aligned with each framework in every domain, at the horizon: `[k]`.
    pub bloc: Vec<f64>,
    /// Number of alignment changes made by revising states (forced moves excluded), per domain: `[d]`.
    pub switches: Vec<u64>,
    /// First year in which each framework's GDP share in each domain exceeded one half, if ever: `[d * K + k]`.
    pub tipping_year: Vec<Option<i32>>,
    /// Final framework of every state in every domain: `[Layout::cell]`.
    pub final_alignment: Vec<u8>,
}

/// Names that turn the indices of a [`RunOutcome`] into labelled output (serialised into a shard's
/// `partial.bin`, so that a merge needs neither the model nor the world data).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Labels {
    /// Scenario name.
    pub scenario: String,
    /// Framework names, in scenario order.
    pub frameworks: Vec<String>,
    /// Domain names, in scenario order.
    pub domains: Vec<String>,
    /// State identifiers (ISO3 codes for countries).
    pub state_ids: Vec<String>,
    /// State names, in the order of `state_ids`.
    pub state_names: Vec<String>,
    /// Key paths of the uncertain parameters, in draw order.
    pub uncertain: Vec<String>,
    /// Calendar year of recorded year index 0 (the initial state).
    pub start_year: i32,
}

impl RunOutcome {
    /// Bytes of one run's outcome: counts (u32) and GDP shares (f64) per year, domain and framework;
    /// two yearly indices; the final alignments; small per-(d, k) arrays.
    pub fn footprint(sizes: &crate::limits::Sizes) -> u64 {
        use crate::limits::{mul, sat_sum};
        let shares = mul(&[sizes.years, sizes.domains, sizes.frameworks]);
        sat_sum(&[
            mul(&[shares, 12]),
            mul(&[sizes.years, 16]),
            mul(&[sizes.agents, sizes.domains]),
            mul(&[sizes.domains, sizes.frameworks, 32]),
            256,
        ])
    }
}
