//! The checks every section of a scenario uses: a number in its [`Range`], a count between bounds,
//! a possibly uncertain parameter, a list of names, a name looked up in a list, a state selector, a
//! set of domains and framework shares. Each error names the key it concerns.

use std::collections::BTreeMap;

use super::Validator;
use crate::error::{Error, Result};
use crate::scenario::Selector;
use crate::scenario::param::{Dist, Param, RawParam, Uncertain};

/// Allowed range of a number.
#[derive(Clone, Copy)]
pub(super) enum Range {
    Any,
    NonNegative,
    Positive,
    Probability,
    /// Non-negative, and infinity allowed.
    NonNegativeOrInf,
}

impl Range {
    pub(super) fn contains(self, v: f64) -> bool {
        match self {
            Range::Any => v.is_finite(),
            Range::NonNegative => v.is_finite() && v >= 0.0,
            Range::Positive => v.is_finite() && v > 0.0,
            Range::Probability => (0.0..=1.0).contains(&v),
            Range::NonNegativeOrInf => v >= 0.0 && !v.is_nan(),
        }
    }
    pub(super) fn expected(self) -> &'static str {
        match self {
            Range::Any => "a finite number",
            Range::NonNegative => "a finite number >= 0",
            Range::Positive => "a finite number > 0",
            Range::Probability => "a probability in [0, 1]",
            Range::NonNegativeOrInf => "a number >= 0 or \"inf\"",
        }
    }
    pub(super) fn bounds(self) -> (f64, f64) {
        match self {
            Range::Any => (f64::NEG_INFINITY, f64::INFINITY),
            Range::NonNegative | Range::NonNegativeOrInf => (0.0, f64::INFINITY),
            Range::Positive => (f64::MIN_POSITIVE, f64::INFINITY),
            Range::Probability => (0.0, 1.0),
        }
    }
}

impl Validator {
    pub(super) fn err(&self, key: &str, message: impl Into<String>) -> Error {
        Error::invalid(self.locator.origin(key), key, message)
    }

    pub(super) fn number(&self, key: &str, v: f64, range: Range) -> Result<f64> {
        if range.contains(v) {
            Ok(v)
        } else {
            Err(self.err(key, format!("expected {}, found {v}", range.expected())))
        }
    }

    pub(super) fn count(&self, key: &str, v: i64, min: i64, max: i64) -> Result<usize> {
        if v < min || v > max {
            if max == i64::MAX {
                return Err(self.err(key, format!("expected an integer >= {min}, found {v}")));
            }
            return Err(self.err(key, format!("expected an integer from {min} to {max}, found {v}")));
        }
        Ok(v as usize)
    }

    pub(super) fn param(&mut self, key: &str, raw: &RawParam, range: Range) -> Result<Param> {
        self.read.insert(key.to_string());
        match raw {
            RawParam::Value(v) => self.number(key, *v, range).map(Param::Fixed),
            RawParam::Dist(d) => {
                d.check().map_err(|m| self.err(key, m))?;
                let (lo, hi) = match d {
                    Dist::Joint { set } => self.joint_support(key, set)?,
                    d => d.support(),
                };
                let (min, max) = range.bounds();
                if lo < min || hi > max {
                    return Err(self.err(
                        key,
                        format!(
                            "expected {}, but this distribution can draw values in [{lo}, {hi}]",
                            range.expected()
                        ),
                    ));
                }
                self.uncertain.push(Uncertain {
                    key: key.to_string(),
                    dist: d.clone(),
                });
                Ok(Param::Drawn(self.uncertain.len() - 1))
            }
        }
    }

    pub(super) fn opt_param(&mut self, key: &str, raw: &Option<RawParam>, range: Range, default: f64) -> Result<Param> {
        match raw {
            Some(r) => self.param(key, r, range),
            None => {
                self.read.insert(key.to_string());
                Ok(Param::Fixed(default))
            }
        }
    }

    /// The support of `key`'s coordinate in the joint set `set`, which must list it.
    fn joint_support(&self, key: &str, set: &str) -> Result<(f64, f64)> {
        let names = || self.joints.iter().map(|j| j.name.as_str()).collect::<Vec<_>>().join(", ");
        let j = self.joints.iter().find(|j| j.name == set).ok_or_else(|| {
            let known = if self.joints.is_empty() { "none".to_string() } else { names() };
            self.err(key, format!("no set `[joint.{set}]` in this scenario (its sets: {known})"))
        })?;
        let i = j.keys.iter().position(|k| k == key).ok_or_else(|| {
            self.err(
                key,
                format!("`[joint.{set}]` does not list `{key}` in its keys ({})", j.keys.join(", ")),
            )
        })?;
        Ok(j.support(i))
    }

    pub(super) fn names(&self, key: &str, names: &[String], min: usize, max: usize, what: &str) -> Result<()> {
        if names.len() < min || names.len() > max {
            return Err(self.err(key, format!("expected {min} to {max} {what}, found {}", names.len())));
        }
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(self.err(
                    &format!("{key}[{i}]"),
                    format!("`{n}` is not a valid name (ASCII letters, digits, `_` and `-`)"),
                ));
            }
            if names[..i].contains(n) {
                return Err(self.err(&format!("{key}[{i}]"), format!("`{n}` is listed twice")));
            }
        }
        Ok(())
    }

    pub(super) fn index_of(&self, key: &str, list: &[String], name: &str, what: &str) -> Result<usize> {
        list.iter()
            .position(|n| n == name)
            .ok_or_else(|| self.err(key, format!("unknown {what} `{name}`; expected one of: {}", list.join(", "))))
    }

    pub(super) fn selector(&self, key: &str, include: &[String], except_key: &str, except: &[String]) -> Result<Selector> {
        for (i, t) in include.iter().enumerate() {
            if t.trim().is_empty() {
                return Err(self.err(&format!("{key}[{i}]"), "empty state selector"));
            }
        }
        for (i, t) in except.iter().enumerate() {
            if t.trim().is_empty() {
                return Err(self.err(&format!("{except_key}[{i}]"), "empty state selector"));
            }
        }
        Ok(Selector {
            include: include.to_vec(),
            except: except.to_vec(),
            key: key.to_string(),
            except_key: except_key.to_string(),
        })
    }

    pub(super) fn domain_mask(&self, key: &str, names: &[String], domains: &[String]) -> Result<Vec<bool>> {
        if names.is_empty() {
            return Err(self.err(key, "expected at least one domain"));
        }
        let mut mask = vec![false; domains.len()];
        for (i, n) in names.iter().enumerate() {
            mask[self.index_of(&format!("{key}[{i}]"), domains, n, "domain")?] = true;
        }
        Ok(mask)
    }

    /// Shares keyed by framework name, checked to be probabilities summing to 1.
    pub(super) fn shares(&self, key: &str, map: &BTreeMap<String, f64>, frameworks: &[String]) -> Result<Vec<f64>> {
        let mut out = vec![0.0; frameworks.len()];
        for (name, &v) in map {
            let k = self.index_of(&format!("{key}.{name}"), frameworks, name, "framework")?;
            out[k] = self.number(&format!("{key}.{name}"), v, Range::Probability)?;
        }
        let sum: f64 = out.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(self.err(key, format!("expected shares summing to 1, found a sum of {sum}")));
        }
        Ok(out)
    }
}
