//! `[framework.F]`: each framework's home states, freedom ideal, affinity and security ties to
//! groups of states, and its sponsor (budget, strategy, split over domains, targets).

use std::collections::BTreeMap;

use super::Validator;
use super::checks::Range;
use crate::error::Result;
use crate::scenario::raw::{RawFramework, RawSponsor};
use crate::scenario::{FrameworkSpec, SponsorSpec, Strategy};

impl Validator {
    /// One spec per framework, in the order of `frameworks`; a framework without a table has the
    /// defaults, a table for an unknown framework is an error.
    pub(super) fn frameworks(
        &mut self,
        raw: &BTreeMap<String, RawFramework>,
        frameworks: &[String],
        domains: &[String],
    ) -> Result<Vec<FrameworkSpec>> {
        for name in raw.keys() {
            self.index_of(&format!("framework.{name}"), frameworks, name, "framework")?;
        }
        let mut specs = Vec::new();
        for name in frameworks {
            let f = raw.get(name).cloned().unwrap_or_default();
            specs.push(self.framework(name, &f, domains)?);
        }
        Ok(specs)
    }

    fn framework(&mut self, name: &str, f: &RawFramework, domains: &[String]) -> Result<FrameworkSpec> {
        let key = format!("framework.{name}");
        let freedom_ideal = match f.freedom_ideal {
            Some(v) => Some(self.number(&format!("{key}.freedom_ideal"), v, Range::NonNegative).and_then(|v| {
                if v <= 10.0 {
                    Ok(v)
                } else {
                    Err(self.err(
                        &format!("{key}.freedom_ideal"),
                        format!("expected a score on the 0-10 freedom scale, found {v}"),
                    ))
                }
            })?),
            None => None,
        };
        let freedom_weight = self.opt_param(&format!("{key}.freedom_weight"), &f.freedom_weight, Range::Any, 0.0)?;
        if freedom_ideal.is_none() && f.freedom_weight.is_some() {
            return Err(self.err(
                &format!("{key}.freedom_weight"),
                "freedom_weight needs freedom_ideal (the framework's ideal point on the 0-10 scale)",
            ));
        }
        let mut affinity = Vec::new();
        for (g, p) in &f.affinity {
            let k = format!("{key}.affinity.{g}");
            affinity.push((g.clone(), self.param(&k, p, Range::Any)?, k));
        }
        let mut security = Vec::new();
        for (g, p) in &f.security {
            let k = format!("{key}.security.{g}");
            security.push((g.clone(), self.param(&k, p, Range::Any)?, k));
        }
        let sponsor = match &f.sponsor {
            None => None,
            Some(s) => Some(self.sponsor(&key, s, domains)?),
        };
        Ok(FrameworkSpec {
            name: name.to_string(),
            home: self.selector(&format!("{key}.home"), &f.home, "", &[])?,
            freedom_ideal,
            freedom_weight,
            affinity,
            security,
            sponsor,
        })
    }

    /// The sponsor of framework `key`: its budget, strategy, split over `domains` (shares summing
    /// to 1) and targets (all states unless listed).
    fn sponsor(&mut self, key: &str, s: &RawSponsor, domains: &[String]) -> Result<SponsorSpec> {
        let sk = format!("{key}.sponsor");
        let budget = self.param(&format!("{sk}.budget"), &s.budget, Range::NonNegative)?;
        let strategy = match s.strategy.as_str() {
            "uniform" => Strategy::Uniform,
            "gdp" => Strategy::Gdp,
            "swing" => Strategy::Swing,
            "partners" => Strategy::Partners,
            o => {
                return Err(self.err(
                    &format!("{sk}.strategy"),
                    format!("expected \"uniform\", \"gdp\", \"swing\" or \"partners\", found \"{o}\""),
                ));
            }
        };
        let mut split = vec![0.0; domains.len()];
        for (d, v) in &s.split {
            let dk = format!("{sk}.split.{d}");
            split[self.index_of(&dk, domains, d, "domain")?] = self.number(&dk, *v, Range::Probability)?;
        }
        let sum: f64 = split.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(self.err(
                &format!("{sk}.split"),
                format!("expected domain shares summing to 1, found a sum of {sum}"),
            ));
        }
        let all = vec!["all".to_string()];
        let targets = self.selector(
            &format!("{sk}.targets"),
            s.targets.as_ref().unwrap_or(&all),
            &format!("{sk}.exclude"),
            &s.exclude,
        )?;
        Ok(SponsorSpec {
            budget,
            strategy,
            split,
            targets,
        })
    }
}
