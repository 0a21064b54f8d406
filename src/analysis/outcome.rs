//! Outcome selectors: the scalar read from each run that an experiment studies, one outcome of the
//! registry ([`crate::outcomes`]) under its canonical name (`final_gdp_share.cloud.US`,
//! `fragmentation`, `tipped.ai.CN`...; `--outcome` also accepts the spellings of output format 1).
//!
//! Default (no `--outcome`): the registry's default outcomes, `final_gdp_share` of every domain and
//! framework, `fragmentation` and `hedging`.

use crate::error::Result;
use crate::metrics::{Labels, Layout, RunOutcome};
use crate::outcomes;

/// A parsed outcome selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The outcome's canonical name (its column name in the output tables).
    pub name: String,
    id: outcomes::Outcome,
}

impl Outcome {
    fn of(id: outcomes::Outcome, labels: &Labels) -> Outcome {
        Outcome {
            name: id.name(&labels.domains, &labels.frameworks),
            id,
        }
    }

    /// Parse a selector against the scenario's domain and framework names.
    pub fn parse(text: &str, labels: &Labels) -> Result<Outcome> {
        outcomes::Outcome::parse(text, labels).map(|id| Outcome::of(id, labels))
    }

    /// Parse a list of selectors (duplicates, also under former spellings, kept once); the
    /// default set when `texts` is empty.
    pub fn parse_all(texts: &[String], labels: &Labels) -> Result<Vec<Outcome>> {
        if texts.is_empty() {
            return Ok(Outcome::defaults(labels));
        }
        let mut out: Vec<Outcome> = Vec::new();
        for t in texts {
            let o = Outcome::parse(t, labels)?;
            if !out.contains(&o) {
                out.push(o);
            }
        }
        Ok(out)
    }

    /// The registry's default outcomes, in registry order.
    pub fn defaults(labels: &Labels) -> Vec<Outcome> {
        let l = outcomes::layout_of(labels, 1);
        outcomes::expand(&l, |f| f.uses.default)
            .into_iter()
            .map(|id| Outcome::of(id, labels))
            .collect()
    }

    /// The value of this outcome in run `o` (NaN if the run has none).
    pub fn value(&self, o: &RunOutcome, l: &Layout) -> f64 {
        self.id.value(o, l).unwrap_or(f64::NAN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_take_the_canonical_name_and_defaults_follow_the_registry() {
        let l = Labels {
            scenario: "t".into(),
            frameworks: vec!["EU".into(), "US".into()],
            domains: vec!["telecom".into(), "data".into()],
            state_ids: vec![],
            state_names: vec![],
            uncertain: vec![],
            start_year: 2025,
        };
        let o = Outcome::parse_all(&["fragmentation.data".into(), "fragmentation_by_domain.data".into()], &l).unwrap();
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].name, "fragmentation_by_domain.data");
        let names: Vec<String> = Outcome::defaults(&l).into_iter().map(|o| o.name).collect();
        assert_eq!(
            names,
            [
                "final_gdp_share.telecom.EU",
                "final_gdp_share.telecom.US",
                "final_gdp_share.data.EU",
                "final_gdp_share.data.US",
                "fragmentation",
                "hedging"
            ]
        );
    }
}
