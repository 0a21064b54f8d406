//! `[domain.D]`: each domain's revision rate, switching cost, anchored frameworks, standards push,
//! per-domain term weights, framework constants and the initial alignment rules.

use std::collections::BTreeMap;

use super::Validator;
use super::checks::Range;
use crate::error::Result;
use crate::limits::MAX_INITIAL_RULES;
use crate::scenario::param::Param;
use crate::scenario::raw::RawDomain;
use crate::scenario::{DomainSpec, InitialRule, TERM_NAMES, TERMS};

impl Validator {
    /// One spec per domain, in the order of `domains`; every domain needs its table, and a table
    /// for an unknown domain is an error.
    pub(super) fn domains(
        &mut self,
        raw: &BTreeMap<String, RawDomain>,
        domains: &[String],
        frameworks: &[String],
    ) -> Result<Vec<DomainSpec>> {
        for name in raw.keys() {
            self.index_of(&format!("domain.{name}"), domains, name, "domain")?;
        }
        let mut specs = Vec::new();
        for name in domains {
            let d = raw.get(name).ok_or_else(|| {
                self.err(
                    "domain",
                    format!("missing table [domain.{name}] (revision_rate, switching_cost, initial)"),
                )
            })?;
            specs.push(self.domain(name, d, frameworks)?);
        }
        Ok(specs)
    }

    fn domain(&mut self, name: &str, d: &RawDomain, frameworks: &[String]) -> Result<DomainSpec> {
        let key = format!("domain.{name}");
        let revision_rate = self.param(&format!("{key}.revision_rate"), &d.revision_rate, Range::Probability)?;
        let switching_cost = self.param(&format!("{key}.switching_cost"), &d.switching_cost, Range::NonNegative)?;
        let mut anchored = vec![false; frameworks.len()];
        for (i, f) in d.anchored.iter().enumerate() {
            anchored[self.index_of(&format!("{key}.anchored[{i}]"), frameworks, f, "framework")?] = true;
        }
        let mut standards = vec![Param::Fixed(0.0); frameworks.len()];
        for (f, p) in &d.standards {
            let k = format!("{key}.standards.{f}");
            let idx = self.index_of(&k, frameworks, f, "framework")?;
            standards[idx] = self.param(&k, p, Range::Any)?;
        }
        let mut weights = [None; TERMS];
        for (t, p) in &d.weights {
            let k = format!("{key}.weights.{t}");
            let names: Vec<String> = TERM_NAMES.iter().map(|s| s.to_string()).collect();
            let idx = self.index_of(&k, &names, t, "utility term")?;
            weights[idx] = Some(self.param(&k, p, Range::Any)?);
        }
        let mut constants = vec![Param::Fixed(0.0); frameworks.len()];
        for (f, p) in &d.constants {
            let k = format!("{key}.constants.{f}");
            if !frameworks.contains(f) {
                return Err(self.err(
                    &k,
                    format!(
                        "unknown framework `{f}`; expected one of {} (the first framework, {}, is the reference, whose constant is 0)",
                        frameworks[1..].join(", "),
                        frameworks[0]
                    ),
                ));
            }
            let idx = self.index_of(&k, frameworks, f, "framework")?;
            if idx == 0 {
                return Err(self.err(
                    &k,
                    format!(
                        "`{f}` is the reference framework (the first of `frameworks`): its constant is 0, since only \
                         differences of constants change choices; expected a constant for one of {}",
                        frameworks[1..].join(", ")
                    ),
                ));
            }
            constants[idx] = self.param(&k, p, Range::Any)?;
        }
        if d.initial.is_empty() {
            return Err(self.err(
                &format!("{key}.initial"),
                "expected at least one initial rule, e.g. { states = [\"all\"], shares = { ... } }",
            ));
        }
        if d.initial.len() > MAX_INITIAL_RULES {
            return Err(self.err(
                &format!("{key}.initial"),
                format!("{} initial rules; at most {MAX_INITIAL_RULES} are supported", d.initial.len()),
            ));
        }
        let mut initial = Vec::new();
        for (i, r) in d.initial.iter().enumerate() {
            let rk = format!("{key}.initial[{i}]");
            initial.push(InitialRule {
                states: self.selector(&format!("{rk}.states"), &r.states, &format!("{rk}.except"), &r.except)?,
                shares: self.shares(&format!("{rk}.shares"), &r.shares, frameworks)?,
            });
        }
        Ok(DomainSpec {
            name: name.to_string(),
            revision_rate,
            switching_cost,
            anchored,
            standards,
            weights,
            constants,
            initial,
        })
    }
}
