//! Raw scenario types: exactly what the TOML file says, checked only for shape by serde.
//!
//! Every table denies unknown keys, so a typo is an error rather than a silently ignored setting.
//! [`super::validate`] turns these into the typed [`super::Scenario`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::param::RawParam;

/// The whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub frameworks: Vec<String>,
    pub domains: Vec<String>,
    pub time: RawTime,
    pub world: RawWorld,
    pub choice: RawChoice,
    #[serde(default)]
    pub utility: RawUtility,
    /// `[rate]`: covariate = coefficient of the revision rate (logit scale, per SD).
    #[serde(default)]
    pub rate: BTreeMap<String, RawParam>,
    #[serde(default)]
    pub investment: RawInvestment,
    #[serde(default)]
    pub hedging: RawHedging,
    #[serde(default)]
    pub heterogeneity: RawHeterogeneity,
    #[serde(default)]
    pub framework: BTreeMap<String, RawFramework>,
    #[serde(default)]
    pub domain: BTreeMap<String, RawDomain>,
    #[serde(default, rename = "event")]
    pub events: Vec<RawEvent>,
    #[serde(default)]
    pub batch: RawBatch,
    #[serde(default)]
    pub joint: BTreeMap<String, crate::scenario::joint::RawJoint>,
}

/// `[time]`: the simulated calendar.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTime {
    pub start: i64,
    pub end: i64,
}

/// `[world]`: which states exist and how they are tied.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorld {
    pub source: String,
    pub data_dir: Option<PathBuf>,
    /// Population and GDP of another year (`source = "countries"` only).
    pub vintage: Option<PathBuf>,
    #[serde(default = "yes")]
    pub include_non_sovereign: bool,
    #[serde(default)]
    pub gravity: RawGravity,
    pub synthetic: Option<RawSynthetic>,
    pub custom: Option<RawCustom>,
}

fn yes() -> bool {
    true
}

/// `[world.gravity]`: trade ties W_ij ∝ GDP_i^a GDP_j^b / distance^c, boosted within blocs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGravity {
    #[serde(default = "one")]
    pub origin_gdp_exponent: f64,
    #[serde(default = "one")]
    pub partner_gdp_exponent: f64,
    #[serde(default = "one")]
    pub distance_exponent: f64,
    #[serde(default = "default_min_distance")]
    pub min_distance_km: f64,
    #[serde(default = "default_top")]
    pub top_partners: i64,
    #[serde(default)]
    pub bloc_boost: BTreeMap<String, f64>,
}

fn one() -> f64 {
    1.0
}
fn default_min_distance() -> f64 {
    100.0
}
fn default_top() -> i64 {
    20
}

impl Default for RawGravity {
    fn default() -> Self {
        RawGravity {
            origin_gdp_exponent: 1.0,
            partner_gdp_exponent: 1.0,
            distance_exponent: 1.0,
            min_distance_km: default_min_distance(),
            top_partners: default_top(),
            bloc_boost: BTreeMap::new(),
        }
    }
}

/// `[world.synthetic]`: a random world of any size.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSynthetic {
    pub agents: i64,
    pub degree: i64,
    #[serde(default = "default_world_seed")]
    pub seed: u64,
    #[serde(default)]
    pub gdp_sigma: f64,
    #[serde(default)]
    pub groups: i64,
}

fn default_world_seed() -> u64 {
    1
}

/// `[world.custom]`: agents and ties read from CSV files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustom {
    pub agents: PathBuf,
    pub ties: PathBuf,
    #[serde(default)]
    pub raw_weights: bool,
}

/// `[choice]`: how a revising state picks a framework.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChoice {
    pub lambda: RawParam,
    pub revision: String,
}

/// `[utility]`: global weights of the utility terms by scenario key (each defaults to 0, term off);
/// the keys are checked against the terms in validation.
pub type RawUtility = BTreeMap<String, RawParam>;

/// `[investment]`: stock dynamics of sponsor finance.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInvestment {
    pub depreciation: Option<RawParam>,
    pub scale: Option<RawParam>,
}

/// `[hedging]`: which states prefer to spread domains over frameworks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHedging {
    pub states: Option<Vec<String>>,
    #[serde(default)]
    pub except: Vec<String>,
}

/// `[heterogeneity]`: per-run, per-state random taste for each framework, added to affinity.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHeterogeneity {
    pub distribution: Option<String>,
    pub scale: Option<f64>,
}

/// `[framework.NAME]`: a framework, its sponsor and what draws states to it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFramework {
    #[serde(default)]
    pub home: Vec<String>,
    pub freedom_ideal: Option<f64>,
    pub freedom_weight: Option<RawParam>,
    #[serde(default)]
    pub affinity: BTreeMap<String, RawParam>,
    #[serde(default)]
    pub security: BTreeMap<String, RawParam>,
    pub sponsor: Option<RawSponsor>,
}

/// `[framework.NAME.sponsor]`: yearly budget and how it is allocated.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSponsor {
    pub budget: RawParam,
    pub strategy: String,
    pub split: BTreeMap<String, f64>,
    #[serde(default)]
    pub targets: Option<Vec<String>>,
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// `[domain.NAME]`: a domain's dynamics and initial alignment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDomain {
    pub revision_rate: RawParam,
    pub switching_cost: RawParam,
    #[serde(default)]
    pub anchored: Vec<String>,
    #[serde(default)]
    pub standards: BTreeMap<String, RawParam>,
    #[serde(default)]
    pub weights: BTreeMap<String, RawParam>,
    /// Framework constants α_dk (the first framework is the reference, whose constant is 0).
    #[serde(default)]
    pub constants: BTreeMap<String, RawParam>,
    pub initial: Vec<RawInitial>,
}

/// One initial-alignment rule: the states it covers and the probability of each framework.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInitial {
    pub states: Vec<String>,
    #[serde(default)]
    pub except: Vec<String>,
    pub shares: BTreeMap<String, f64>,
}

/// `[[event]]`: something that happens at a year, or at the first year from `year` on in which a
/// condition (`when`) holds; reversible kinds can last `duration` years (or `until` a fixed year).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RawEvent {
    /// Change a model parameter: set it to `value`, or multiply it by `scale`.
    Set {
        year: Option<i64>,
        path: String,
        value: Option<f64>,
        scale: Option<f64>,
        when: Option<RawCondition>,
        duration: Option<i64>,
        until: Option<i64>,
    },
    /// A framework's sponsor starts a partnership: an affinity bonus for the partner states.
    Partnership {
        year: Option<i64>,
        framework: String,
        states: Vec<String>,
        #[serde(default)]
        except: Vec<String>,
        #[serde(default)]
        domains: Option<Vec<String>>,
        affinity: f64,
        when: Option<RawCondition>,
        duration: Option<i64>,
        until: Option<i64>,
    },
    /// A framework's sponsor restricts access in some domains to exempt states only.
    ExportControl {
        year: Option<i64>,
        framework: String,
        domains: Vec<String>,
        #[serde(default)]
        exempt: Vec<String>,
        penalty: f64,
        when: Option<RawCondition>,
        duration: Option<i64>,
        until: Option<i64>,
    },
    /// States are made to adopt a framework (rip-and-replace), optionally locked for some years.
    Force {
        year: Option<i64>,
        framework: String,
        domains: Vec<String>,
        states: Vec<String>,
        #[serde(default)]
        except: Vec<String>,
        #[serde(default)]
        lock_years: i64,
        when: Option<RawCondition>,
    },
    /// A bloc decides jointly: its members stop revising alone in `domains` and move together.
    Coordinate {
        year: Option<i64>,
        states: Vec<String>,
        #[serde(default)]
        except: Vec<String>,
        #[serde(default)]
        domains: Option<Vec<String>>,
        when: Option<RawCondition>,
        duration: Option<i64>,
        until: Option<i64>,
    },
}

/// `when = { framework = "CN", domain = "telecom", measure = "gdp_share", above = 0.4 }`: a
/// condition on last year's share of a framework in a domain.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCondition {
    pub framework: String,
    pub domain: String,
    /// `gdp_share` (default) or `count_share`.
    #[serde(default)]
    pub measure: Option<String>,
    pub above: Option<f64>,
    pub below: Option<f64>,
}

/// `[batch]`: defaults for the batch command.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBatch {
    pub runs: Option<i64>,
    pub seed: Option<u64>,
    pub detail: Option<bool>,
}
