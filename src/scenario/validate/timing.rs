//! When an event acts, checked once for every kind of event: its `year`, or a `when` condition on
//! last year's share of a framework in a domain (checked every year from `year`, by default the
//! year after the start), and how long it lasts: `duration` years, or `until` a fixed year.
//!
//! Every kind but `force` may last (a forced adoption is held by its own `lock_years`); `force`
//! has no `duration` or `until` key, so serde refuses them there as unknown keys.

use super::checks::Range;
use super::{MAX_STEPS, Validator};
use crate::error::Result;
use crate::scenario::raw::{RawCondition, RawEvent};
use crate::scenario::{Action, Condition, Event, ShareMeasure, Year};

/// An event's checked start (its year and condition), holding its duration to be checked once
/// the kind's own fields are (see [`Timing::event`]).
pub(super) struct Timing {
    year: Year,
    when: Option<Condition>,
    duration: Option<i64>,
    until: Option<i64>,
    end: Year,
}

/// The timing keys of an event, whatever its kind.
struct RawTiming<'a> {
    year: Option<i64>,
    when: Option<&'a RawCondition>,
    duration: Option<i64>,
    until: Option<i64>,
}

fn raw_timing(e: &RawEvent) -> RawTiming<'_> {
    match e {
        RawEvent::Set {
            year,
            when,
            duration,
            until,
            ..
        }
        | RawEvent::Partnership {
            year,
            when,
            duration,
            until,
            ..
        }
        | RawEvent::ExportControl {
            year,
            when,
            duration,
            until,
            ..
        }
        | RawEvent::Coordinate {
            year,
            when,
            duration,
            until,
            ..
        } => RawTiming {
            year: *year,
            when: when.as_ref(),
            duration: *duration,
            until: *until,
        },
        RawEvent::Force { year, when, .. } => RawTiming {
            year: *year,
            when: when.as_ref(),
            duration: None,
            until: None,
        },
    }
}

impl Validator {
    /// The condition (`{key}.when`), then the year (`{key}.year`): after the start year `start`
    /// and at most `end`, and required unless the event has a condition.
    pub(super) fn timing(
        &self,
        key: &str,
        e: &RawEvent,
        (start, end): (Year, Year),
        frameworks: &[String],
        domains: &[String],
    ) -> Result<Timing> {
        let raw = raw_timing(e);
        let when = raw
            .when
            .map(|c| self.condition(&format!("{key}.when"), c, frameworks, domains))
            .transpose()?;
        let year = match raw.year {
            Some(y) => y,
            None if when.is_some() => start as i64 + 1,
            None => return Err(self.err(key, "expected `year` (or a `when` condition)")),
        };
        if year <= start as i64 || year > end as i64 {
            return Err(self.err(
                &format!("{key}.year"),
                format!(
                    "expected a year from {} to {end} (after the start year {start}), found {year}",
                    start + 1
                ),
            ));
        }
        Ok(Timing {
            year: year as Year,
            when,
            duration: raw.duration,
            until: raw.until,
            end,
        })
    }

    fn condition(&self, key: &str, c: &RawCondition, frameworks: &[String], domains: &[String]) -> Result<Condition> {
        let framework = self.index_of(&format!("{key}.framework"), frameworks, &c.framework, "framework")?;
        let domain = self.index_of(&format!("{key}.domain"), domains, &c.domain, "domain")?;
        let measure = match c.measure.as_deref() {
            None | Some("gdp_share") => ShareMeasure::Gdp,
            Some("count_share") => ShareMeasure::Count,
            Some(other) => {
                return Err(self.err(
                    &format!("{key}.measure"),
                    format!("expected \"gdp_share\" or \"count_share\", found \"{other}\""),
                ));
            }
        };
        let (above, threshold) = match (c.above, c.below) {
            (Some(t), None) => (true, self.number(&format!("{key}.above"), t, Range::Probability)?),
            (None, Some(t)) => (false, self.number(&format!("{key}.below"), t, Range::Probability)?),
            _ => return Err(self.err(key, "expected exactly one of `above` or `below` (a share in [0, 1])")),
        };
        Ok(Condition {
            framework,
            domain,
            measure,
            above,
            threshold,
        })
    }
}

impl Timing {
    /// The event `key` doing `action`, once its duration is checked: `duration` years from 1, or
    /// `until` a year after the event's and at most the end (not with `when`, whose year is not
    /// known in advance).
    pub(super) fn event(self, v: &Validator, key: String, action: Action) -> Result<Event> {
        let year = self.year;
        let conditional = self.when.is_some();
        let duration = match (self.duration, self.until) {
            (None, None) => None,
            (Some(_), Some(_)) => return Err(v.err(&format!("{key}.until"), "give `duration` or `until`, not both")),
            (Some(d), None) => Some(v.count(&format!("{key}.duration"), d, 1, MAX_STEPS as i64)? as u32),
            (None, Some(_)) if conditional => {
                return Err(v.err(
                    &format!("{key}.until"),
                    "a conditional event (`when`) takes `duration` in years, not `until`",
                ));
            }
            (None, Some(u)) if u > year as i64 && u <= self.end as i64 => Some((u - year as i64) as u32),
            (None, Some(u)) => {
                return Err(v.err(
                    &format!("{key}.until"),
                    format!("expected a year after {year} and at most {}, found {u}", self.end),
                ));
            }
        };
        Ok(Event {
            year,
            when: self.when,
            duration,
            action,
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::{Event, Scenario};

    /// One event of `kind` with `keys`, added after the events of the bundled baseline (2025-2040).
    fn event(kind: &str, keys: &str) -> Result<Event, String> {
        let own = match kind {
            "set" => "path = \"choice.lambda\"\nvalue = 2.0",
            "partnership" => "framework = \"EU\"\nstates = [\"all\"]\naffinity = 0.5",
            "export_control" => "framework = \"US\"\ndomains = [\"ai\"]\npenalty = 1.0",
            "force" => "framework = \"EU\"\ndomains = [\"ai\"]\nstates = [\"all\"]",
            "coordinate" => "states = [\"all\"]",
            _ => unreachable!(),
        };
        let text = format!("extends = \"baseline\"\nname = \"t\"\n[[event]]\nkind = \"{kind}\"\n{own}\n{keys}\n");
        let s = Scenario::from_str("t.toml", &text).map_err(|e| e.to_string())?;
        Ok(s.events.last().unwrap().clone())
    }

    const LASTING: [&str; 4] = ["set", "partnership", "export_control", "coordinate"];

    #[test]
    fn every_kind_but_force_lasts_a_duration_or_until_a_year() {
        for kind in LASTING {
            assert_eq!(event(kind, "year = 2030\nduration = 3").unwrap().duration, Some(3), "{kind}");
            assert_eq!(event(kind, "year = 2030\nuntil = 2034").unwrap().duration, Some(4), "{kind}");
            assert_eq!(event(kind, "year = 2030").unwrap().duration, None, "{kind}");
        }
        let e = event("force", "year = 2030\nduration = 3").unwrap_err();
        assert!(e.contains("unknown field `duration`"), "{e}");
    }

    #[test]
    fn a_conditional_event_is_checked_from_the_year_after_the_start_and_takes_no_until() {
        let when = "when = { framework = \"CN\", domain = \"ai\", above = 0.4 }";
        for kind in LASTING.iter().chain(&["force"]) {
            let e = event(kind, when).unwrap();
            assert_eq!((e.year, e.when.is_some()), (2026, true), "{kind}");
        }
        for kind in LASTING {
            let e = event(kind, &format!("{when}\nuntil = 2030")).unwrap_err();
            assert!(e.contains("].until`") && e.contains("takes `duration` in years"), "{kind}: {e}");
        }
    }

    #[test]
    fn the_year_is_required_after_the_start_and_within_the_end() {
        for kind in LASTING.iter().chain(&["force"]) {
            assert!(
                event(kind, "").unwrap_err().contains("expected `year` (or a `when` condition)"),
                "{kind}"
            );
            for year in [2025, 2041] {
                let e = event(kind, &format!("year = {year}")).unwrap_err();
                assert!(e.contains("].year`") && e.contains("from 2026 to 2040"), "{kind}: {e}");
            }
        }
    }
}
