//! The results a sensitivity analysis reports, shared by [`super::sensitivity`] (which computes
//! them) and [`super::precision`] (which says how many replications would make them precise): the
//! method, the intervals' level and each outcome's indices.

use super::morris::MorrisIndex;
use super::sobol::SobolIndices;

/// The method and its settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Saltelli design with N base samples (N (k + 2) design points).
    Sobol {
        /// Base samples N.
        samples: usize,
    },
    /// r trajectories on an even number of levels (r (k + 1) design points).
    Morris {
        /// Trajectories r.
        trajectories: usize,
        /// Levels of the grid (even).
        levels: usize,
    },
}

impl Method {
    /// `sobol` or `morris`.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Sobol { .. } => "sobol",
            Method::Morris { .. } => "morris",
        }
    }
}

/// Coverage of the intervals.
pub const LEVEL: f64 = 0.95;

/// The indices of one outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Indices {
    /// First-order and total indices with their intervals.
    Sobol(SobolIndices),
    /// Elementary-effect statistics of each parameter.
    Morris(Vec<MorrisIndex>),
}

/// Results for one outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeIndices {
    /// Outcome name.
    pub outcome: String,
    /// The largest share, over this outcome's indices, of an index's sampling variance that comes
    /// from the replications (NaN when it could not be measured: fewer than 3 replications).
    pub noise_share: f64,
    /// Morris only: the largest bound on the noise's upward bias of mu* (NaN for Sobol or R = 1).
    pub noise_mu_star: f64,
    /// Its indices under the analysis's method.
    pub indices: Indices,
}

impl OutcomeIndices {
    /// Whether index `which` of parameter `p` (Sobol: 0 first order, 1 total) cannot be told from 0:
    /// its interval (design and replication noise together) reaches 0, or it is undefined.
    pub fn within_noise(&self, p: usize, which: usize) -> bool {
        let low = match &self.indices {
            Indices::Sobol(s) => {
                if which == 0 {
                    s.first[p].low
                } else {
                    s.total[p].low
                }
            }
            Indices::Morris(m) => m[p].mu_star_low,
        };
        low.is_nan() || low <= 0.0
    }

    /// Per-index replication-noise share of index `which` of parameter `p`.
    pub fn index_noise_share(&self, p: usize, which: usize) -> f64 {
        match &self.indices {
            Indices::Sobol(s) => {
                if which == 0 {
                    s.first[p].noise_share()
                } else {
                    s.total[p].noise_share()
                }
            }
            Indices::Morris(m) => m[p].noise_share(),
        }
    }
}
