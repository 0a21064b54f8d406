//! Scenarios: what a user asks blocsim to simulate.
//!
//! A scenario is read from TOML (`raw`), command-line overrides are applied ([`overrides`]), and
//! the result is validated once into the typed [`Scenario`] ([`validate`]); after that nothing is
//! checked again. Names of frameworks, domains and utility terms become compact indices here.

pub mod bundled;
pub mod files;
pub mod joint;
pub mod locate;
pub mod overrides;
pub mod param;
pub mod rate;
pub(crate) mod raw;
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
    /// No heterogeneity (`none`, the default).
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
        /// Directory of `countries.csv` and `memberships.csv` instead of the bundled copies.
        data_dir: Option<PathBuf>,
        /// Keep the territories as well as the sovereign states.
        include_non_sovereign: bool,
        /// A file of population and GDP of another year ([`crate::world::vintage`]).
        vintage: Option<PathBuf>,
    },
    /// A random world.
    Synthetic {
        /// Number of states N.
        agents: usize,
        /// Out-ties per state, each of weight 1/degree (N − 1 gives the complete graph).
        degree: usize,
        /// Seed of the world's own generator (not the runs').
        seed: u64,
        /// Log-sd of GDP around 1,000 (0: every state the same size).
        gdp_sigma: f64,
        /// Number of groups `G1`, `G2`, ...; each state is a member of one, drawn uniformly (0: no groups).
        groups: usize,
    },
    /// Agents and ties from CSV files.
    Custom {
        /// CSV file of the states and their attributes.
        agents: PathBuf,
        /// CSV file of the weighted ties.
        ties: PathBuf,
        /// Use the tie weights as written instead of normalising each state's absolute weights to sum to one.
        raw_weights: bool,
    },
}

/// Gravity-model settings for the real-world ties.
#[derive(Debug, Clone, PartialEq)]
pub struct Gravity {
    /// Exponent a of the origin's GDP.
    pub origin_gdp_exponent: f64,
    /// Exponent b of the partner's GDP.
    pub partner_gdp_exponent: f64,
    /// Exponent c of distance.
    pub distance_exponent: f64,
    /// Distances below this floor count as the floor, in km.
    pub min_distance_km: f64,
    /// Ties kept per state: its largest partners.
    pub top_partners: usize,
    /// (group, multiplier) for pairs that share the group.
    pub bloc_boost: Vec<(String, f64)>,
}

/// How the world is built.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldSpec {
    /// Which states exist.
    pub source: WorldSource,
    /// How the ties of bundled countries are built (ignored by other sources).
    pub gravity: Gravity,
}

/// A set of states, written as a list of terms: `all`, an ISO3 code or id, `group:NAME`,
/// `continent:NAME`, `subregion:NAME`; minus the `except` terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    /// Terms that select states.
    pub include: Vec<String>,
    /// Terms whose states are removed from the selection.
    pub except: Vec<String>,
    /// Key path of the include list, for error messages.
    pub key: String,
    /// Key path of the except list, for error messages.
    pub except_key: String,
}

/// A framework and its sponsor.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameworkSpec {
    /// Name as written in `frameworks`.
    pub name: String,
    /// The sponsor's home states.
    pub home: Selector,
    /// Ideal point on the 0–10 freedom scale; affinity falls with distance from it.
    pub freedom_ideal: Option<f64>,
    /// Weight of the freedom closeness in affinity.
    pub freedom_weight: Param,
    /// (group, weight, key path) membership bonuses to affinity.
    pub affinity: Vec<(String, Param, String)>,
    /// (group, weight, key path) membership bonuses to security.
    pub security: Vec<(String, Param, String)>,
    /// Its sponsor, if the framework has one.
    pub sponsor: Option<SponsorSpec>,
}

/// A sponsor's yearly budget and allocation.
#[derive(Debug, Clone, PartialEq)]
pub struct SponsorSpec {
    /// USD million per year.
    pub budget: Param,
    /// How the budget is spread over target states.
    pub strategy: Strategy,
    /// Share of the budget per domain (sums to 1).
    pub split: Vec<f64>,
    /// States the sponsor may finance.
    pub targets: Selector,
}

/// One initial-alignment rule.
#[derive(Debug, Clone, PartialEq)]
pub struct InitialRule {
    /// States the rule covers.
    pub states: Selector,
    /// Probability of each framework (sums to 1).
    pub shares: Vec<f64>,
}

/// A domain's dynamics and initial alignment.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainSpec {
    /// Name as written in `domains`.
    pub name: String,
    /// Probability ρ_d that a cell revises in a year.
    pub revision_rate: Param,
    /// Utility cost c_d of leaving the current framework.
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
    /// The choice intensity λ (`choice.lambda`).
    Lambda,
    /// A term's global weight (`utility.KEY`).
    Weight(Term),
    /// Yearly depreciation δ of investment stocks (`investment.depreciation`).
    Depreciation,
    /// The share of GDP at which an investment stock is worth ln 2 (`investment.scale`).
    InvestmentScale,
    /// Revision rate of a domain (`domain.D.revision_rate`), by domain index.
    RevisionRate(usize),
    /// Switching cost of a domain (`domain.D.switching_cost`), by domain index.
    SwitchingCost(usize),
    /// Standards push of a (domain, framework) (`domain.D.standards.F`).
    Standards(usize, usize),
    /// A term's weight in one domain (`domain.D.weights.KEY`), by domain index.
    DomainWeight(usize, Term),
    /// Sponsor budget of a framework (`framework.F.sponsor.budget`), by framework index.
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
    /// Change a parameter for the rest of the run, or for `duration` years.
    Set {
        /// The parameter changed.
        knob: Knob,
        /// Its new value or factor.
        value: SetValue,
    },
    /// Add `affinity` to the partner states' affinity for `framework` in `domains`.
    Partnership {
        /// Framework index.
        framework: usize,
        /// The partner states.
        states: Selector,
        /// Per domain: is the bonus given there?
        domains: Vec<bool>,
        /// Bonus added to affinity.
        affinity: f64,
    },
    /// Penalise choosing `framework` in `domains` for every state not exempt.
    ExportControl {
        /// Framework index.
        framework: usize,
        /// States that keep access.
        exempt: Selector,
        /// Per domain: is access restricted there?
        domains: Vec<bool>,
        /// Utility penalty of choosing the framework.
        penalty: f64,
    },
    /// Move `states` to `framework` in `domains`, locked for `lock_years`.
    Force {
        /// Framework index.
        framework: usize,
        /// The states moved.
        states: Selector,
        /// Per domain: are they moved there?
        domains: Vec<bool>,
        /// Years for which the moved cells may not revise (0: not locked).
        lock_years: u32,
    },
    /// The selected states decide jointly in `domains` (one choice for the whole bloc).
    Coordinate {
        /// The bloc.
        states: Selector,
        /// Per domain: does the bloc decide jointly there?
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
    /// Framework index.
    pub framework: usize,
    /// Domain index.
    pub domain: usize,
    /// Share of states or of GDP.
    pub measure: ShareMeasure,
    /// True: holds when the share is above `threshold`; false: below it.
    pub above: bool,
    /// The share the condition compares with.
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
    /// Year of the action, or the first year in which `when` is checked.
    pub year: Year,
    /// Condition that triggers the action, if any.
    pub when: Option<Condition>,
    /// Years after which a reversible action is undone (none: it lasts to the end).
    pub duration: Option<u32>,
    /// What happens.
    pub action: Action,
    /// Key path of the event, for error messages.
    pub key: String,
}

/// Batch defaults written in the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchDefaults {
    /// Number of Monte Carlo runs.
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// Write the per-run, per-state Parquet detail table.
    pub detail: bool,
}

/// A validated scenario: every name resolved to an index, every number checked.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Name of the scenario.
    pub name: String,
    /// Free text shown in listings and reports.
    pub description: String,
    /// The scenario in canonical TOML after overrides: what was run, and what the manifest hashes.
    pub resolved: String,
    /// Framework names, in index order.
    pub frameworks: Vec<String>,
    /// Domain names, in index order.
    pub domains: Vec<String>,
    /// First year: its alignments are the initial ones (year index 0).
    pub start: Year,
    /// Last simulated year; a run takes `end − start` yearly steps.
    pub end: Year,
    /// Which states exist and how they are tied.
    pub world: WorldSpec,
    /// Choice intensity λ (logit; infinity is best response).
    pub lambda: Param,
    /// Whether states revise together or one at a time within a year.
    pub revision: Revision,
    /// Global weight of each utility term, by [`Term`] index.
    pub weights: [Param; TERMS],
    /// `[rate]`: the revision rate's state covariates and their coefficients (empty: every state
    /// has its domain's rate).
    pub rate_covariates: Vec<(rate::RateCovariate, Param)>,
    /// Yearly depreciation δ of investment stocks.
    pub depreciation: Param,
    /// Investment scale: the share of GDP at which a stock is worth ln 2.
    pub investment_scale: Param,
    /// States that prefer to spread domains over frameworks (the hedging term).
    pub hedgers: Selector,
    /// Random per-run tastes added to affinity.
    pub heterogeneity: Heterogeneity,
    /// One per framework, in index order.
    pub framework_specs: Vec<FrameworkSpec>,
    /// One per domain, in index order.
    pub domain_specs: Vec<DomainSpec>,
    /// Events in file order.
    pub events: Vec<Event>,
    /// Uncertain parameters, drawn per run in this order.
    pub uncertain: Vec<Uncertain>,
    /// Sets of parameters drawn together (`[joint.NAME]`), in name order.
    pub joints: Vec<Joint>,
    /// Defaults of the batch command.
    pub batch: BatchDefaults,
    /// Maps key paths back to positions in the scenario file, for error messages.
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
