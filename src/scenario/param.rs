//! Scalar parameters that may be uncertain.
//!
//! Any model parameter may be written as a number (`lambda = 2.0`), as `"inf"` where infinity is
//! meaningful, or as a distribution table (`lambda = { dist = "uniform", low = 1, high = 3 }`). A
//! distribution is drawn once per run, from the run's own parameter stream, and recorded in
//! `runs.csv` with the run.

use std::fmt;

use rand::RngExt;
use rand_distr::{Beta, Distribution, LogNormal, Normal, Triangular};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::rng::Generator;
use crate::scenario::joint::Joint;

/// A scalar as written in a scenario: a value or a distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RawParam {
    /// A fixed number (possibly infinite).
    Value(f64),
    /// A distribution drawn once per run.
    Dist(Dist),
}

/// A probability distribution for an uncertain parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    /// Uniform on [low, high].
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal with mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (> 0).
        sd: f64,
    },
    /// Triangular on [low, high] with the given mode.
    Triangular {
        /// Lower bound.
        low: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        high: f64,
    },
    /// Beta(alpha, beta) rescaled to [low, high] (default [0, 1]).
    Beta {
        /// First shape parameter (> 0).
        alpha: f64,
        /// Second shape parameter (> 0).
        beta: f64,
        /// Lower end of the rescaled support (default 0).
        #[serde(default)]
        low: Option<f64>,
        /// Upper end of the rescaled support (default 1).
        #[serde(default)]
        high: Option<f64>,
    },
    /// Log-normal: exp of a normal with parameters mu and sigma.
    Lognormal {
        /// Mean of the underlying normal.
        mu: f64,
        /// Standard deviation of the underlying normal (> 0).
        sigma: f64,
    },
    /// One coordinate of the set `[joint.SET]`, drawn with the set's other keys
    /// ([`crate::scenario::joint`]).
    Joint {
        /// Name of the set (`SET` of `[joint.SET]`).
        set: String,
    },
}

impl<'de> Deserialize<'de> for RawParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ParamVisitor;
        impl<'de> Visitor<'de> for ParamVisitor {
            type Value = RawParam;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, \"inf\", or a distribution table such as { dist = \"uniform\", low = 0, high = 1 }")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawParam, E> {
                Ok(RawParam::Value(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawParam, E> {
                Ok(RawParam::Value(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawParam, E> {
                Ok(RawParam::Value(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawParam, E> {
                match v {
                    "inf" | "infinity" | "+inf" => Ok(RawParam::Value(f64::INFINITY)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<RawParam, M::Error> {
                Dist::deserialize(de::value::MapAccessDeserializer::new(map)).map(RawParam::Dist)
            }
        }
        deserializer.deserialize_any(ParamVisitor)
    }
}

impl Dist {
    /// Check the distribution's own parameters; returns what is wrong.
    pub fn check(&self) -> Result<(), String> {
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        match *self {
            Dist::Uniform { low, high } if finite(&[low, high]) && low < high => Ok(()),
            Dist::Uniform { .. } => Err("uniform needs finite low < high".into()),
            Dist::Normal { mean, sd } if finite(&[mean, sd]) && sd > 0.0 => Ok(()),
            Dist::Normal { .. } => Err("normal needs a finite mean and sd > 0".into()),
            Dist::Triangular { low, mode, high } if finite(&[low, mode, high]) && low < high && low <= mode && mode <= high => Ok(()),
            Dist::Triangular { .. } => Err("triangular needs finite low <= mode <= high and low < high".into()),
            Dist::Beta { alpha, beta, low, high } => {
                let (l, h) = (low.unwrap_or(0.0), high.unwrap_or(1.0));
                if finite(&[alpha, beta, l, h]) && alpha > 0.0 && beta > 0.0 && l < h {
                    Ok(())
                } else {
                    Err("beta needs alpha > 0, beta > 0 and low < high".into())
                }
            }
            Dist::Lognormal { mu, sigma } if finite(&[mu, sigma]) && sigma > 0.0 => Ok(()),
            Dist::Lognormal { .. } => Err("lognormal needs a finite mu and sigma > 0".into()),
            Dist::Joint { .. } => Ok(()),
        }
    }

    /// The smallest and largest value the distribution can produce (for a joint coordinate, which
    /// its set decides, the whole line: see [`Joint::support`]).
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Dist::Uniform { low, high } | Dist::Triangular { low, high, .. } => (low, high),
            Dist::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Dist::Beta { low, high, .. } => (low.unwrap_or(0.0), high.unwrap_or(1.0)),
            Dist::Lognormal { .. } => (0.0, f64::INFINITY),
            Dist::Joint { .. } => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// Draw one value. Parameters were checked by [`Dist::check`], so construction cannot fail;
    /// should it anyway, the mean-like centre is returned rather than panicking.
    pub fn sample(&self, rng: &mut Generator) -> f64 {
        match *self {
            Dist::Uniform { low, high } => low + (high - low) * rng.random::<f64>(),
            Dist::Normal { mean, sd } => Normal::new(mean, sd).map_or(mean, |d| d.sample(rng)),
            Dist::Triangular { low, mode, high } => Triangular::new(low, high, mode).map_or(mode, |d| d.sample(rng)),
            Dist::Beta { alpha, beta, low, high } => {
                let (l, h) = (low.unwrap_or(0.0), high.unwrap_or(1.0));
                let u = Beta::new(alpha, beta).map_or(alpha / (alpha + beta), |d| d.sample(rng));
                l + (h - l) * u
            }
            Dist::Lognormal { mu, sigma } => LogNormal::new(mu, sigma).map_or(mu.exp(), |d| d.sample(rng)),
            // Drawn with its set by `draw_all`; alone it has no value.
            Dist::Joint { .. } => f64::NAN,
        }
    }
}

/// A validated model parameter: a fixed value or the index of an uncertain parameter drawn per run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param {
    /// A value fixed for every run.
    Fixed(f64),
    /// Index of the parameter in the scenario's uncertain list, and so in a run's draws.
    Drawn(usize),
}

impl Param {
    /// The value of this parameter for a run whose uncertain parameters took the values `draws`.
    #[inline]
    pub fn value(self, draws: &[f64]) -> f64 {
        match self {
            Param::Fixed(v) => v,
            Param::Drawn(i) => draws[i],
        }
    }
}

/// An uncertain parameter: its key path in the scenario and its distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncertain {
    /// Key path in the scenario, e.g. `choice.lambda`.
    pub key: String,
    /// Its distribution.
    pub dist: Dist,
}

/// Draw every uncertain parameter of run `run` under master seed `seed`, listed in scenario order:
/// each scalar distribution from its own stream ([`crate::rng::parameter_rng`] of its key path),
/// each joint set once from the stream of `joint.NAME`, its coordinates going to the keys that
/// name it.
pub fn draw_all(uncertain: &[Uncertain], joints: &[Joint], seed: u64, run: u64) -> Vec<f64> {
    let vectors: Vec<Vec<f64>> = joints
        .iter()
        .map(|j| j.draw(&mut crate::rng::parameter_rng(seed, run, &j.stream_key())))
        .collect();
    uncertain
        .iter()
        .map(|u| match &u.dist {
            Dist::Joint { set } => joints
                .iter()
                .zip(&vectors)
                .find(|(j, _)| j.name == *set)
                .and_then(|(j, v)| j.keys.iter().position(|k| *k == u.key).map(|i| v[i]))
                .unwrap_or(f64::NAN),
            d => d.sample(&mut crate::rng::parameter_rng(seed, run, &u.key)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        x: RawParam,
    }

    #[test]
    fn adding_a_parameter_leaves_the_draws_of_the_others_unchanged() {
        let u = |key: &str| Uncertain {
            key: key.into(),
            dist: Dist::Uniform { low: 0.0, high: 1.0 },
        };
        let one = [u("choice.lambda")];
        let two = [u("utility.econ"), u("choice.lambda")];
        for run in 0..20 {
            let (a, b) = (draw_all(&one, &[], 5, run), draw_all(&two, &[], 5, run));
            assert_eq!(a[0].to_bits(), b[1].to_bits(), "run {run}");
            assert_ne!(b[0], b[1], "run {run}: two parameters, two streams");
        }
        assert_ne!(draw_all(&one, &[], 5, 0), draw_all(&one, &[], 6, 0), "the seed matters");
    }

    #[test]
    fn parses_numbers_inf_and_tables() {
        let h: Holder = toml::from_str("x = 2").unwrap();
        assert_eq!(h.x, RawParam::Value(2.0));
        let h: Holder = toml::from_str("x = \"inf\"").unwrap();
        assert_eq!(h.x, RawParam::Value(f64::INFINITY));
        let h: Holder = toml::from_str("x = { dist = \"uniform\", low = 1, high = 3 }").unwrap();
        assert_eq!(h.x, RawParam::Dist(Dist::Uniform { low: 1.0, high: 3.0 }));
        assert!(toml::from_str::<Holder>("x = \"big\"").is_err());
        assert!(toml::from_str::<Holder>("x = { dist = \"uniform\", low = 1 }").is_err());
    }

    #[test]
    fn uniform_draws_stay_in_support() {
        let d = Dist::Uniform { low: 1.0, high: 3.0 };
        let mut rng = crate::rng::seeded(3);
        for _ in 0..1000 {
            let v = d.sample(&mut rng);
            assert!((1.0..=3.0).contains(&v));
        }
    }

    #[test]
    fn bad_distributions_are_refused() {
        assert!(Dist::Uniform { low: 2.0, high: 1.0 }.check().is_err());
        assert!(Dist::Normal { mean: 0.0, sd: 0.0 }.check().is_err());
        assert!(
            Dist::Beta {
                alpha: 1.0,
                beta: 2.0,
                low: None,
                high: None
            }
            .check()
            .is_ok()
        );
    }
}
