//! `[[event]]`: what each kind of event does, and for `set` the parameter it changes (its `path`
//! resolved to a [`Knob`], with the range the new value must keep). Its timing (year, `when`,
//! duration) is checked in [`super::timing`]; here each kind checks only its own keys.

use super::checks::Range;
use super::weights::term_of;
use super::{MAX_STEPS, Validator};
use crate::error::Result;
use crate::scenario::raw::RawEvent;
use crate::scenario::{Action, Event, FrameworkSpec, Knob, SetValue, TERM_NAMES, Year};

impl Validator {
    /// The events of `raw`, in order. Each is checked key by key in a fixed order: its condition
    /// and year, then the keys of its kind, then its duration.
    pub(super) fn events(
        &self,
        raw: &[RawEvent],
        start: Year,
        end: Year,
        frameworks: &[String],
        domains: &[String],
        specs: &[FrameworkSpec],
    ) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        for (i, e) in raw.iter().enumerate() {
            let key = format!("event[{i}]");
            let timing = self.timing(&key, e, (start, end), frameworks, domains)?;
            let action = self.action(&key, e, frameworks, domains, specs)?;
            out.push(timing.event(self, key, action)?);
        }
        Ok(out)
    }

    /// What the event `key` does, from the keys of its kind, checked in the order written here
    /// (fields of a struct expression are evaluated in order): the first error found is reported.
    fn action(&self, key: &str, e: &RawEvent, frameworks: &[String], domains: &[String], specs: &[FrameworkSpec]) -> Result<Action> {
        let fw = |f: &str| self.index_of(&format!("{key}.framework"), frameworks, f, "framework");
        let states =
            |states: &[String], except: &[String]| self.selector(&format!("{key}.states"), states, &format!("{key}.except"), except);
        let some_domains = |ds: &[String]| self.domain_mask(&format!("{key}.domains"), ds, domains);
        // Absent `domains` means every domain.
        let all_domains = |ds: &Option<Vec<String>>| match ds {
            Some(ds) => some_domains(ds),
            None => Ok(vec![true; domains.len()]),
        };
        Ok(match e {
            RawEvent::Set { path, value, scale, .. } => {
                let value = match (value, scale) {
                    (Some(v), None) => SetValue::To(*v),
                    (None, Some(f)) => SetValue::Scale(*f),
                    _ => {
                        return Err(self.err(
                            key,
                            "expected exactly one of `value` (the new value) or `scale` (a factor on the current value)",
                        ));
                    }
                };
                let knob = self.knob(key, path, value, frameworks, domains, specs)?;
                Action::Set { knob, value }
            }
            RawEvent::Partnership {
                framework,
                states: include,
                except,
                domains: ds,
                affinity,
                ..
            } => Action::Partnership {
                framework: fw(framework)?,
                states: states(include, except)?,
                domains: all_domains(ds)?,
                affinity: self.number(&format!("{key}.affinity"), *affinity, Range::Any)?,
            },
            RawEvent::ExportControl {
                framework,
                domains: ds,
                exempt,
                penalty,
                ..
            } => Action::ExportControl {
                framework: fw(framework)?,
                exempt: self.selector(&format!("{key}.exempt"), exempt, "", &[])?,
                domains: some_domains(ds)?,
                penalty: self.number(&format!("{key}.penalty"), *penalty, Range::NonNegative)?,
            },
            RawEvent::Force {
                framework,
                domains: ds,
                states: include,
                except,
                lock_years,
                ..
            } => Action::Force {
                framework: fw(framework)?,
                states: states(include, except)?,
                domains: some_domains(ds)?,
                lock_years: self.count(&format!("{key}.lock_years"), *lock_years, 0, MAX_STEPS as i64)? as u32,
            },
            RawEvent::Coordinate {
                states: include,
                except,
                domains: ds,
                ..
            } => Action::Coordinate {
                states: states(include, except)?,
                domains: all_domains(ds)?,
            },
        })
    }

    /// The parameter `path` names (said at `{key}.path`), once `value` is checked to keep it in
    /// its range (at `{key}.value` or `{key}.scale`).
    pub(super) fn knob(
        &self,
        key: &str,
        path: &str,
        value: SetValue,
        frameworks: &[String],
        domains: &[String],
        specs: &[FrameworkSpec],
    ) -> Result<Knob> {
        let parts: Vec<&str> = path.split('.').collect();
        let term = |name: &str| TERM_NAMES.iter().position(|t| *t == name);
        let dom = |name: &str| domains.iter().position(|d| d == name);
        let fw = |name: &str| frameworks.iter().position(|f| f == name);
        let (knob, range) = match parts.as_slice() {
            ["choice", "lambda"] => (Some(Knob::Lambda), Range::NonNegative),
            ["utility", t] => (term(t).map(|t| Knob::Weight(term_of(t))), Range::Any),
            ["investment", "depreciation"] => (Some(Knob::Depreciation), Range::Probability),
            ["investment", "scale"] => (Some(Knob::InvestmentScale), Range::Positive),
            ["domain", d, "revision_rate"] => (dom(d).map(Knob::RevisionRate), Range::Probability),
            ["domain", d, "switching_cost"] => (dom(d).map(Knob::SwitchingCost), Range::NonNegative),
            ["domain", d, "standards", f] => (dom(d).zip(fw(f)).map(|(d, f)| Knob::Standards(d, f)), Range::Any),
            ["domain", d, "weights", t] => (dom(d).zip(term(t)).map(|(d, t)| Knob::DomainWeight(d, term_of(t))), Range::Any),
            ["framework", f, "sponsor", "budget"] => {
                let k = fw(f);
                if let Some(k) = k
                    && specs[k].sponsor.is_none()
                {
                    return Err(self.err(
                        &format!("{key}.path"),
                        format!("framework `{f}` has no [framework.{f}.sponsor] whose budget could change"),
                    ));
                }
                (k.map(Knob::Budget), Range::NonNegative)
            }
            _ => (None, Range::Any),
        };
        let knob = knob.ok_or_else(|| {
            self.err(
                &format!("{key}.path"),
                format!("`{path}` is not a parameter an event can set; expected choice.lambda, utility.TERM, investment.depreciation, investment.scale, domain.D.revision_rate, domain.D.switching_cost, domain.D.standards.F, domain.D.weights.TERM or framework.F.sponsor.budget"),
            )
        })?;
        match value {
            SetValue::To(value) => {
                self.number(&format!("{key}.value"), value, range)?;
            }
            SetValue::Scale(scale) => {
                // A factor keeps the parameter in its range: probabilities shrink, signs hold.
                let (factor_range, what) = match range {
                    Range::Probability => (Range::Probability, "a factor in [0, 1] for a probability"),
                    Range::Positive => (Range::Positive, "a factor > 0 for a positive parameter"),
                    Range::NonNegative | Range::NonNegativeOrInf => (Range::NonNegative, "a factor >= 0 for a non-negative parameter"),
                    Range::Any => (Range::Any, "a finite factor"),
                };
                if !factor_range.contains(scale) {
                    return Err(self.err(&format!("{key}.scale"), format!("expected {what}, found {scale}")));
                }
            }
        }
        Ok(knob)
    }
}
