//! Outcome selectors: the scalar read from each run that an experiment studies.
//!
//! | selector | value at the horizon |
//! |----------|----------------------|
//! | `final_share.<domain>.<framework>` | share of states on the framework in the domain |
//! | `final_gdp_share.<domain>.<framework>` | GDP-weighted share |
//! | `final_pop_share.<domain>.<framework>` | population-weighted share |
//! | `fragmentation` | fragmentation index, mean over domains |
//! | `fragmentation.<domain>` | fragmentation index of one domain |
//! | `hedging` | hedging index |
//! | `bloc.<framework>` | share of states aligned with the framework in every domain |
//! | `switches` / `switches.<domain>` | alignment changes made by revising states (all domains / one) |
//! | `tipped.<domain>.<framework>` | 1 if the framework's GDP share in the domain ever exceeded one half, else 0 |
//!
//! Default (no `--outcome`): `final_gdp_share` of every domain and framework, `fragmentation` and `hedging`.

use crate::error::{Error, Result};
use crate::metrics::{Labels, Layout, RunOutcome};

/// What an outcome reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    Share(usize, usize),
    GdpShare(usize, usize),
    PopShare(usize, usize),
    Fragmentation(Option<usize>),
    Hedging,
    Bloc(usize),
    Switches(Option<usize>),
    Tipped(usize, usize),
}

/// A parsed outcome selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The selector as written (column name in the output tables).
    pub name: String,
    measure: Measure,
}

impl Outcome {
    /// Parse a selector against the scenario's domain and framework names.
    pub fn parse(text: &str, labels: &Labels) -> Result<Outcome> {
        let parts: Vec<&str> = text.trim().split('.').collect();
        let d = |s: &str| labels.domains.iter().position(|x| x == s);
        let k = |s: &str| labels.frameworks.iter().position(|x| x == s);
        let measure = match parts.as_slice() {
            ["final_share", a, b] => d(a).zip(k(b)).map(|(d, k)| Measure::Share(d, k)),
            ["final_gdp_share", a, b] => d(a).zip(k(b)).map(|(d, k)| Measure::GdpShare(d, k)),
            ["final_pop_share", a, b] => d(a).zip(k(b)).map(|(d, k)| Measure::PopShare(d, k)),
            ["tipped", a, b] => d(a).zip(k(b)).map(|(d, k)| Measure::Tipped(d, k)),
            ["fragmentation"] => Some(Measure::Fragmentation(None)),
            ["fragmentation", a] => d(a).map(|d| Measure::Fragmentation(Some(d))),
            ["hedging"] => Some(Measure::Hedging),
            ["bloc", b] => k(b).map(Measure::Bloc),
            ["switches"] => Some(Measure::Switches(None)),
            ["switches", a] => d(a).map(|d| Measure::Switches(Some(d))),
            _ => None,
        };
        measure
            .map(|measure| Outcome {
                name: text.trim().to_string(),
                measure,
            })
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--outcome {text}: unknown outcome; expected one of final_share.<domain>.<framework>, \
                     final_gdp_share.<domain>.<framework>, final_pop_share.<domain>.<framework>, fragmentation, \
                     fragmentation.<domain>, hedging, bloc.<framework>, switches, switches.<domain>, \
                     tipped.<domain>.<framework> (domains: {}; frameworks: {})",
                    labels.domains.join(", "),
                    labels.frameworks.join(", ")
                ))
            })
    }

    /// Parse a list of selectors; the default set when `texts` is empty.
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

    /// `final_gdp_share` of every domain and framework, then `fragmentation` and `hedging`.
    pub fn defaults(labels: &Labels) -> Vec<Outcome> {
        let mut out = Vec::new();
        for (d, dn) in labels.domains.iter().enumerate() {
            for (k, kn) in labels.frameworks.iter().enumerate() {
                out.push(Outcome {
                    name: format!("final_gdp_share.{dn}.{kn}"),
                    measure: Measure::GdpShare(d, k),
                });
            }
        }
        out.push(Outcome {
            name: "fragmentation".into(),
            measure: Measure::Fragmentation(None),
        });
        out.push(Outcome {
            name: "hedging".into(),
            measure: Measure::Hedging,
        });
        out
    }

    /// The value of this outcome in run `o`.
    pub fn value(&self, o: &RunOutcome, l: &Layout) -> f64 {
        let t = l.years - 1;
        let get = |xs: &[f64], i: usize| xs.get(i).copied().unwrap_or(f64::NAN);
        match self.measure {
            Measure::Share(d, k) => o
                .counts
                .get(l.share_index(t, d, k))
                .map_or(f64::NAN, |&c| f64::from(c) / l.states as f64),
            Measure::GdpShare(d, k) => get(&o.gdp_shares, l.share_index(t, d, k)),
            Measure::PopShare(d, k) => get(&o.pop_shares, d * l.frameworks + k),
            Measure::Fragmentation(None) => get(&o.fragmentation, t),
            Measure::Fragmentation(Some(d)) => get(&o.fragmentation_final, d),
            Measure::Hedging => get(&o.hedging, t),
            Measure::Bloc(k) => get(&o.bloc, k),
            Measure::Switches(None) => o.switches.iter().sum::<u64>() as f64,
            Measure::Switches(Some(d)) => o.switches.get(d).map_or(f64::NAN, |&s| s as f64),
            Measure::Tipped(d, k) => match o.tipping_year.get(d * l.frameworks + k) {
                Some(Some(_)) => 1.0,
                Some(None) => 0.0,
                None => f64::NAN,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels {
        Labels {
            scenario: "t".into(),
            frameworks: vec!["EU".into(), "US".into()],
            domains: vec!["telecom".into(), "data".into()],
            state_ids: vec![],
            state_names: vec![],
            uncertain: vec![],
            start_year: 2025,
        }
    }

    #[test]
    fn parses_selectors_and_lists_what_exists_on_error() {
        let l = labels();
        assert!(Outcome::parse("final_gdp_share.data.US", &l).is_ok());
        assert!(Outcome::parse("fragmentation.telecom", &l).is_ok());
        assert!(Outcome::parse("tipped.telecom.EU", &l).is_ok());
        let e = Outcome::parse("final_share.cloud.EU", &l).unwrap_err().to_string();
        assert!(e.contains("domains: telecom, data") && e.contains("frameworks: EU, US"), "{e}");
        assert_eq!(Outcome::defaults(&l).len(), 6);
    }

    #[test]
    fn reads_values_from_a_run() {
        let l = labels();
        let layout = Layout {
            states: 4,
            domains: 2,
            frameworks: 2,
            years: 2,
        };
        let o = RunOutcome {
            run: 0,
            draws: vec![],
            counts: vec![2, 2, 1, 3, 3, 1, 0, 4],
            gdp_shares: vec![0.5, 0.5, 0.5, 0.5, 0.9, 0.1, 0.2, 0.8],
            pop_shares: vec![0.1, 0.9, 0.3, 0.7],
            fragmentation: vec![0.4, 0.3],
            fragmentation_final: vec![0.2, 0.4],
            hedging: vec![0.0, 0.25],
            bloc: vec![0.5, 0.0],
            switches: vec![3, 4],
            tipping_year: vec![Some(2026), None, None, Some(2026)],
            final_alignment: vec![],
        };
        let v = |s: &str| Outcome::parse(s, &l).unwrap().value(&o, &layout);
        assert_eq!(v("final_share.telecom.EU"), 0.75);
        assert_eq!(v("final_gdp_share.data.US"), 0.8);
        assert_eq!(v("final_pop_share.data.EU"), 0.3);
        assert_eq!(v("fragmentation"), 0.3);
        assert_eq!(v("fragmentation.data"), 0.4);
        assert_eq!(v("hedging"), 0.25);
        assert_eq!(v("switches"), 7.0);
        assert_eq!(v("tipped.telecom.US"), 0.0);
        assert_eq!(v("tipped.data.US"), 1.0);
    }
}
