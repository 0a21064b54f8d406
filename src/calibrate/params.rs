//! The parameters `calibrate` estimates (`--free KEY`), their scenario keys, their internal scale
//! and their starting values.
//!
//! Free keys: `utility.TERM` (the global weight, in every domain that does not override it),
//! `domain.D.weights.TERM`, `domain.D.switching_cost`, `domain.D.revision_rate` and
//! `domain.D.constants.F` (the framework constant α_dF; not for the reference framework, the first
//! of `frameworks`, whose constant is 0). The weights, costs and constants enter the logit linearly
//! and are estimated on their own scale; a revision rate ρ is
//! estimated as η = ln(ρ / (1 − ρ)), so that it stays in (0, 1), and reported back on its own
//! scale (delta method). The logit intensity λ is never free: it multiplies every weight and cost,
//! so only λ·w is identified, and λ stays at the scenario's value.

use crate::error::Error;
use crate::model::Knobs;
use crate::scenario::rate::RateCovariate;
use crate::scenario::{Scenario, TERM_NAMES, Term, param};

/// What a free parameter is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A term weight: global (`utility.TERM`, None) or of one domain.
    Weight {
        /// Domain index, or None for the global weight.
        domain: Option<usize>,
        /// The term weighted.
        term: Term,
    },
    /// The switching cost of a domain (`domain.D.switching_cost`), by index.
    SwitchingCost(usize),
    /// The framework constant α_dk of (domain, framework).
    Constant(usize, usize),
    /// Estimated on the logit scale.
    RevisionRate(usize),
    /// The coefficient of a revision-rate covariate (`rate.COV`), on the logit scale per SD.
    RateCoef(RateCovariate),
    /// The detection rate δ of the observation layer of an outcome indicator (`detect.NAME`), its
    /// index in the list of layers given to [`parse_free_with`]; estimated on the logit scale.
    Detection(usize),
}

/// One free parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct FreeParam {
    /// Key path, as given to `--free` (`utility.network`, `detect.NAME`).
    pub key: String,
    /// What the key estimates.
    pub target: Target,
    /// The scenario's value (the centre of its distribution when it is uncertain), own scale.
    pub start: f64,
}

impl FreeParam {
    /// The internal (optimiser's) value of an own-scale value.
    pub fn to_internal(&self, v: f64) -> f64 {
        match self.target {
            Target::RevisionRate(_) | Target::Detection(_) => (v / (1.0 - v)).ln(),
            _ => v,
        }
    }

    /// The own-scale value of an internal value, and its derivative (for the delta method).
    pub fn from_internal(&self, x: f64) -> (f64, f64) {
        match self.target {
            Target::RevisionRate(_) | Target::Detection(_) => {
                let r = 1.0 / (1.0 + (-x).exp());
                (r, r * (1.0 - r))
            }
            _ => (x, 1.0),
        }
    }
}

/// The default free parameters: the global weight of every term but investment (whose stocks
/// start at zero in a calibration window and so say nothing in its first years).
pub const DEFAULT_FREE: [&str; 6] = [
    "utility.econ",
    "utility.network",
    "utility.affinity",
    "utility.security",
    "utility.standards",
    "utility.hedging",
];

/// The centre of every uncertain parameter (mean of its distribution): the values the estimation
/// holds fixed parameters at, and the starting values of the free ones.
pub fn centre_draws(s: &Scenario) -> Vec<f64> {
    s.uncertain
        .iter()
        .map(|u| match u.dist {
            param::Dist::Joint { ref set } => s.joint_coordinate(set, &u.key).map_or(f64::NAN, |(j, i)| j.centre(i)),
            param::Dist::Uniform { low, high } => 0.5 * (low + high),
            param::Dist::Normal { mean, .. } => mean,
            param::Dist::Triangular { low, mode, high } => (low + mode + high) / 3.0,
            param::Dist::Beta { alpha, beta, low, high } => {
                let (l, h) = (low.unwrap_or(0.0), high.unwrap_or(1.0));
                l + (h - l) * alpha / (alpha + beta)
            }
            param::Dist::Lognormal { mu, sigma } => (mu + 0.5 * sigma * sigma).exp(),
        })
        .collect()
}

impl FreeParam {
    /// Whether the key is a scenario key (a detection rate belongs to the codebook).
    pub fn in_scenario(&self) -> bool {
        !matches!(self.target, Target::Detection(_))
    }
}

/// The default free parameters of a panel whose codebook declares the observation layers
/// `layers`: [`DEFAULT_FREE`] and the detection rate of every layer with an act in the fit years
/// (`acted`: a rate with no act to learn from would run to 0, so it stays at the codebook's
/// value). The rate covariates are not among them: on the bundled panel's covered cells they are
/// not identified (docs/calibration.md); `--free rate.COVARIATE` adds them, and `hindcast` scores
/// the model with [`RATE_COVARIATES`] added as a model of its own.
pub fn default_keys(layers: &[(String, f64)], acted: impl Fn(&str) -> bool) -> Vec<String> {
    let mut keys: Vec<String> = DEFAULT_FREE.iter().map(|k| k.to_string()).collect();
    keys.extend(
        layers
            .iter()
            .filter(|(name, _)| acted(name))
            .map(|(name, _)| format!("detect.{name}")),
    );
    keys
}

/// The revision-rate covariates of the event-history hazards' strongest regressors, which
/// `hindcast`'s rate-covariates model adds to the free keys.
pub const RATE_COVARIATES: [RateCovariate; 2] = [RateCovariate::LnGdpPerCapita, RateCovariate::LnPopulation];

/// Parse `--free` keys (empty: [`DEFAULT_FREE`]) against the scenario; starting values from `knobs`.
pub fn parse_free(keys: &[String], s: &Scenario, knobs: &Knobs) -> Result<Vec<FreeParam>, Error> {
    parse_free_with(keys, s, knobs, &[])
}

/// [`parse_free`] with the observation layers of the codebook, (indicator, δ), whose detection
/// rates `detect.NAME` may be free.
pub fn parse_free_with(keys: &[String], s: &Scenario, knobs: &Knobs, layers: &[(String, f64)]) -> Result<Vec<FreeParam>, Error> {
    let keys: Vec<String> = if keys.is_empty() {
        DEFAULT_FREE.iter().map(|k| k.to_string()).collect()
    } else {
        keys.to_vec()
    };
    let mut out: Vec<FreeParam> = Vec::new();
    for key in keys {
        let target = target(&key, s, layers)?;
        if out.iter().any(|p| p.target == target) {
            return Err(Error::Usage(format!("--free {key}: given twice")));
        }
        let start = start(&key, &target, s, knobs, layers)?;
        out.push(FreeParam { key, target, start });
    }
    Ok(out)
}

/// What the `--free` key `key` sets.
fn target(key: &str, s: &Scenario, layers: &[(String, f64)]) -> Result<Target, Error> {
    let parts: Vec<&str> = key.split('.').collect();
    Ok(match parts.as_slice() {
        ["utility", t] => Target::Weight {
            domain: None,
            term: term(t, key)?,
        },
        ["domain", d, "weights", t] => Target::Weight {
            domain: Some(domain(s, d, key)?),
            term: term(t, key)?,
        },
        ["domain", d, "switching_cost"] => Target::SwitchingCost(domain(s, d, key)?),
        ["domain", d, "constants", f] => constant(s, d, f, key)?,
        ["domain", d, "revision_rate"] => Target::RevisionRate(domain(s, d, key)?),
        ["rate", c] => Target::RateCoef(RateCovariate::from_key(c).ok_or_else(|| {
            Error::Usage(format!(
                "--free {key}: unknown rate covariate `{c}` (expected {})",
                RateCovariate::expected()
            ))
        })?),
        ["detect", name] => Target::Detection(layers.iter().position(|(n, _)| n == name).ok_or_else(|| {
            let names: Vec<&str> = layers.iter().map(|(n, _)| n.as_str()).collect();
            Error::Usage(format!(
                "--free {key}: `{name}` has no observation layer in the codebook (`detection = ...`); those that do: {}",
                if names.is_empty() { "none".to_string() } else { names.join(", ") }
            ))
        })?),
        ["choice", "lambda"] => {
            return Err(Error::Usage(format!(
                "--free {key}: λ multiplies every weight and cost, so only λ·w is identified; λ stays fixed \
                 at the scenario's value (set it with --set choice.lambda=...)"
            )));
        }
        _ => {
            return Err(Error::Usage(format!(
                "--free {key}: expected utility.TERM, domain.D.weights.TERM, domain.D.switching_cost, \
                 domain.D.revision_rate, domain.D.constants.F, rate.COVARIATE or detect.INDICATOR"
            )));
        }
    })
}

/// The index of domain `name` of `--free key`.
fn domain(s: &Scenario, name: &str, key: &str) -> Result<usize, Error> {
    s.domains.iter().position(|d| d == name).ok_or_else(|| {
        Error::Usage(format!(
            "--free {key}: unknown domain `{name}` (expected one of {})",
            s.domains.join(", ")
        ))
    })
}

/// The term `name` of `--free key`.
fn term(name: &str, key: &str) -> Result<Term, Error> {
    Term::from_key(name).ok_or_else(|| {
        Error::Usage(format!(
            "--free {key}: unknown term `{name}` (expected one of {})",
            TERM_NAMES.join(", ")
        ))
    })
}

/// The constant of framework `f` in domain `d` (`--free key`); the reference framework's is not
/// identified.
fn constant(s: &Scenario, d: &str, f: &str, key: &str) -> Result<Target, Error> {
    let d = domain(s, d, key)?;
    match s.frameworks.iter().position(|x| x == f) {
        Some(0) => Err(Error::Usage(format!(
            "--free {key}: `{f}` is the reference framework (the first of `frameworks`), whose \
             constant is 0: only differences of constants are identified; expected one of {}",
            s.frameworks[1..].join(", ")
        ))),
        Some(k) => Ok(Target::Constant(d, k)),
        None => Err(Error::Usage(format!(
            "--free {key}: unknown framework `{f}` (expected one of {})",
            s.frameworks[1..].join(", ")
        ))),
    }
}

/// The starting value of `target` (`--free key`): the knobs' value, or the codebook's δ; a revision
/// rate must lie strictly between 0 and 1.
fn start(key: &str, target: &Target, s: &Scenario, knobs: &Knobs, layers: &[(String, f64)]) -> Result<f64, Error> {
    Ok(match *target {
        Target::Weight { domain: None, term } => knobs.weights[term as usize],
        Target::Weight { domain: Some(d), term } => knobs.weight(d, term),
        Target::SwitchingCost(d) => knobs.cost[d],
        Target::Constant(d, k) => knobs.constant[d * s.frameworks.len() + k],
        Target::RevisionRate(d) => {
            let r = knobs.rate[d];
            if !(r > 0.0 && r < 1.0) {
                return Err(Error::Usage(format!(
                    "--free {key}: the scenario's rate {r} must lie strictly between 0 and 1 to be estimated"
                )));
            }
            r
        }
        Target::RateCoef(ref c) => s
            .rate_covariates
            .iter()
            .position(|(x, _)| x == c)
            .map_or(0.0, |j| knobs.rate_coef[j]),
        Target::Detection(j) => layers[j].1,
    })
}

/// Which free parameter (index) sets term `t`'s weight in domain `d`: the domain's own weight if it
/// is free, else the global one if the domain does not override it.
pub fn weight_index(params: &[FreeParam], s: &Scenario, d: usize, t: Term) -> Option<usize> {
    let own = params.iter().position(|p| p.target == Target::Weight { domain: Some(d), term: t });
    own.or_else(|| {
        if s.domain_specs[d].weights[t as usize].is_some() {
            None
        } else {
            params.iter().position(|p| p.target == Target::Weight { domain: None, term: t })
        }
    })
}
