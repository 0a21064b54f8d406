//! Scenarios: what a user asks blocsim to simulate.
//!
//! A scenario is read from TOML ([`raw`]), command-line overrides are applied ([`overrides`]), and
//! the result is validated once into the typed [`Scenario`] ([`validate`]); after that nothing is
//! checked again. Names of frameworks, domains and utility terms become compact indices here.

pub mod bundled;
pub mod joint;
pub mod locate;
pub mod overrides;
pub mod param;
pub mod rate;
pub mod raw;
pub mod term;
pub mod validate;

use std::path::{Path, PathBuf};

pub use joint::Joint;
pub use locate::Locator;
pub use param::{Dist, Param, Uncertain};
pub use term::{TERM_NAMES, TERMS, Term};

use crate::error::{Error, Origin, Result};

/// Simulated calendar year.
pub type Year = i32;

/// How states revise within a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revision {
    /// Every decision reads last year's alignments.
    Synchronous,
    /// States revise one at a time in a random order, each seeing earlier revisions of the year.
    Sequential,
}

/// How a sponsor spreads its budget over target states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Equal amounts to every target.
    Uniform,
    /// In proportion to GDP.
    Gdp,
    /// In proportion to p(1-p), the logit sensitivity of the state's choice of the sponsor's framework.
    Swing,
    /// In proportion to trade with the sponsor's home states, doubled for states already aligned.
    Partners,
}

/// Per-run heterogeneity of tastes, added to the affinity term.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Heterogeneity {
    None,
    /// U(0, scale) for every state and framework.
    Uniform(f64),
    /// N(0, scale) for every state and framework.
    Normal(f64),
}

/// Where a world comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum WorldSource {
    /// The bundled real-world country data, or the same tables from `data_dir`.
    Countries {
        data_dir: Option<PathBuf>,
        include_non_sovereign: bool,
        /// A file of population and GDP of another year ([`crate::world::vintage`]).
        vintage: Option<PathBuf>,
    },
    /// A random world.
    Synthetic {
        agents: usize,
        degree: usize,
        seed: u64,
        gdp_sigma: f64,
        groups: usize,
    },
    /// Agents and ties from CSV files.
    Custom { agents: PathBuf, ties: PathBuf, raw_weights: bool },
}

/// Gravity-model settings for the real-world ties.
#[derive(Debug, Clone, PartialEq)]
pub struct Gravity {
    pub origin_gdp_exponent: f64,
    pub partner_gdp_exponent: f64,
    pub distance_exponent: f64,
    pub min_distance_km: f64,
    pub top_partners: usize,
    /// (group, multiplier) for pairs that share the group.
    pub bloc_boost: Vec<(String, f64)>,
}

/// How the world is built.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldSpec {
    pub source: WorldSource,
    pub gravity: Gravity,
}

/// A set of states, written as a list of terms: `all`, an ISO3 code or id, `group:NAME`,
/// `continent:NAME`, `subregion:NAME`; minus the `except` terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub include: Vec<String>,
    pub except: Vec<String>,
    /// Key path of the include list, for error messages.
    pub key: String,
    /// Key path of the except list, for error messages.
    pub except_key: String,
}

/// A framework and its sponsor.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameworkSpec {
    pub name: String,
    pub home: Selector,
    /// Ideal point on the 0–10 freedom scale; affinity falls with distance from it.
    pub freedom_ideal: Option<f64>,
    pub freedom_weight: Param,
    /// (group, weight, key path) membership bonuses to affinity.
    pub affinity: Vec<(String, Param, String)>,
    /// (group, weight, key path) membership bonuses to security.
    pub security: Vec<(String, Param, String)>,
    pub sponsor: Option<SponsorSpec>,
}

/// A sponsor's yearly budget and allocation.
#[derive(Debug, Clone, PartialEq)]
pub struct SponsorSpec {
    /// USD million per year.
    pub budget: Param,
    pub strategy: Strategy,
    /// Share of the budget per domain (sums to 1).
    pub split: Vec<f64>,
    pub targets: Selector,
}

/// One initial-alignment rule.
#[derive(Debug, Clone, PartialEq)]
pub struct InitialRule {
    pub states: Selector,
    /// Probability of each framework (sums to 1).
    pub shares: Vec<f64>,
}

/// A domain's dynamics and initial alignment.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainSpec {
    pub name: String,
    pub revision_rate: Param,
    pub switching_cost: Param,
    /// Per framework: are its home states locked to it in this domain?
    pub anchored: Vec<bool>,
    /// Per framework: exogenous standards push added to G.
    pub standards: Vec<Param>,
    /// Per term: a domain-specific weight replacing the global one.
    pub weights: [Option<Param>; TERMS],
    /// Per framework: the framework constant α_dk added to the utility (0 for the reference, the
    /// first framework).
    pub constants: Vec<Param>,
    /// Rules in order; the first that selects a state decides its initial probabilities.
    pub initial: Vec<InitialRule>,
}

/// A parameter that a `set` event can change during a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Knob {
    Lambda,
    Weight(Term),
    Depreciation,
    InvestmentScale,
    RevisionRate(usize),
    SwitchingCost(usize),
    Standards(usize, usize),
    DomainWeight(usize, Term),
    Budget(usize),
}

impl Knob {
    /// The key path a scenario names this parameter by (`framework.EU.sponsor.budget`), with the
    /// scenario's `domains` and `frameworks` (the path a `set` event's `path` gave).
    pub fn key_path(&self, domains: &[String], frameworks: &[String]) -> String {
        let d = |i: &usize| domains.get(*i).map_or("?", String::as_str);
        let f = |i: &usize| frameworks.get(*i).map_or("?", String::as_str);
        match self {
            Knob::Lambda => "choice.lambda".into(),
            Knob::Weight(t) => format!("utility.{}", t.key()),
            Knob::Depreciation => "investment.depreciation".into(),
            Knob::InvestmentScale => "investment.scale".into(),
            Knob::RevisionRate(i) => format!("domain.{}.revision_rate", d(i)),
            Knob::SwitchingCost(i) => format!("domain.{}.switching_cost", d(i)),
            Knob::Standards(i, k) => format!("domain.{}.standards.{}", d(i), f(k)),
            Knob::DomainWeight(i, t) => format!("domain.{}.weights.{}", d(i), t.key()),
            Knob::Budget(k) => format!("framework.{}.sponsor.budget", f(k)),
        }
    }
}

/// How a `set` event changes its parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SetValue {
    /// Replace the value.
    To(f64),
    /// Multiply the run's current value (keeps a drawn parameter's uncertainty).
    Scale(f64),
}

/// What an event does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Set {
        knob: Knob,
        value: SetValue,
    },
    /// Add `affinity` to the partner states' affinity for `framework` in `domains`.
    Partnership {
        framework: usize,
        states: Selector,
        domains: Vec<bool>,
        affinity: f64,
    },
    /// Penalise choosing `framework` in `domains` for every state not exempt.
    ExportControl {
        framework: usize,
        exempt: Selector,
        domains: Vec<bool>,
        penalty: f64,
    },
    /// Move `states` to `framework` in `domains`, locked for `lock_years`.
    Force {
        framework: usize,
        states: Selector,
        domains: Vec<bool>,
        lock_years: u32,
    },
    /// The selected states decide jointly in `domains` (one choice for the whole bloc).
    Coordinate {
        states: Selector,
        domains: Vec<bool>,
    },
}

/// Which share a condition reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareMeasure {
    /// Share of states.
    Count,
    /// GDP-weighted share.
    Gdp,
}

/// A condition on last year's share of a framework in a domain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    pub framework: usize,
    pub domain: usize,
    pub measure: ShareMeasure,
    /// True: holds when the share is above `threshold`; false: below it.
    pub above: bool,
    pub threshold: f64,
}

impl Condition {
    /// Whether the condition holds for a share.
    pub fn holds(&self, share: f64) -> bool {
        if self.above {
            share > self.threshold
        } else {
            share < self.threshold
        }
    }
}

/// An action at a year, or at the first year from `year` on when `when` holds; reversible actions
/// (set, partnership, export control, coordination) may be undone after `duration` years.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub year: Year,
    pub when: Option<Condition>,
    pub duration: Option<u32>,
    pub action: Action,
    /// Key path of the event, for error messages.
    pub key: String,
}

/// Batch defaults written in the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchDefaults {
    pub runs: u64,
    pub seed: u64,
    /// Write the per-run, per-state Parquet detail table.
    pub detail: bool,
}

/// A validated scenario: every name resolved to an index, every number checked.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The scenario in canonical TOML after overrides: what was run, and what the manifest hashes.
    pub resolved: String,
    pub frameworks: Vec<String>,
    pub domains: Vec<String>,
    pub start: Year,
    pub end: Year,
    pub world: WorldSpec,
    pub lambda: Param,
    pub revision: Revision,
    pub weights: [Param; TERMS],
    /// `[rate]`: the revision rate's state covariates and their coefficients (empty: every state
    /// has its domain's rate).
    pub rate_covariates: Vec<(rate::RateCovariate, Param)>,
    pub depreciation: Param,
    pub investment_scale: Param,
    pub hedgers: Selector,
    pub heterogeneity: Heterogeneity,
    pub framework_specs: Vec<FrameworkSpec>,
    pub domain_specs: Vec<DomainSpec>,
    pub events: Vec<Event>,
    /// Uncertain parameters, drawn per run in this order.
    pub uncertain: Vec<Uncertain>,
    /// Sets of parameters drawn together (`[joint.NAME]`), in name order.
    pub joints: Vec<Joint>,
    pub batch: BatchDefaults,
    pub locator: Locator,
}

impl Scenario {
    /// Number of frameworks K.
    pub fn k(&self) -> usize {
        self.frameworks.len()
    }
    /// Number of domains D.
    pub fn d(&self) -> usize {
        self.domains.len()
    }
    /// Number of yearly steps simulated.
    pub fn steps(&self) -> usize {
        (self.end - self.start) as usize
    }
    /// The values of every uncertain parameter in run `run` under master seed `seed`.
    pub fn draws(&self, seed: u64, run: u64) -> Vec<f64> {
        param::draw_all(&self.uncertain, &self.joints, seed, run)
    }
    /// The joint set `set` and the coordinate of `key` in it (validation made sure both exist for
    /// every parameter written `{ dist = "joint" }`).
    pub fn joint_coordinate(&self, set: &str, key: &str) -> Option<(&Joint, usize)> {
        let j = self.joints.iter().find(|j| j.name == set)?;
        Some((j, j.keys.iter().position(|k| k == key)?))
    }
    /// Where the value at `key` came from.
    pub fn origin(&self, key: &str) -> Origin {
        self.locator.origin(key)
    }
    /// An error about the value at `key`.
    pub fn error(&self, key: &str, message: impl Into<String>) -> Error {
        Error::invalid(self.origin(key), key, message)
    }
    /// Path of the file the scenario came from (or its bundled label).
    pub fn path(&self) -> &Path {
        self.locator.path()
    }

    /// Load a scenario by file path or bundled name and apply `--set` overrides.
    pub fn load(name_or_path: &str, sets: &[String]) -> Result<Scenario> {
        let (path, text, base_dir) = bundled::resolve(name_or_path)?;
        let overrides = sets.iter().map(|s| overrides::parse(s)).collect::<Result<Vec<_>>>()?;
        validate::from_text(&path, &text, base_dir.as_deref(), &overrides)
    }

    /// Parse and validate scenario text (no overrides); `path` is used in messages only.
    pub fn from_str(path: &str, text: &str) -> Result<Scenario> {
        validate::from_text(Path::new(path), text, None, &[])
    }
}
