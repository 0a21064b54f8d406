//! The small model-wide sections: `[time]` (the calendar), `[choice]` (how states choose),
//! `[heterogeneity]` (per-state affinity noise) and `[batch]` (the batch command's defaults).

use super::checks::Range;
use super::{MAX_RUNS, MAX_STEPS, Validator};
use crate::error::Result;
use crate::scenario::param::Param;
use crate::scenario::raw::{RawBatch, RawChoice, RawHeterogeneity, RawTime};
use crate::scenario::{BatchDefaults, Heterogeneity, Revision, Year};

impl Validator {
    /// The start and end years, at most [`MAX_STEPS`] apart.
    pub(super) fn time(&self, t: &RawTime) -> Result<(Year, Year)> {
        if !(-100_000..=100_000).contains(&t.start) {
            return Err(self.err("time.start", format!("expected a year from -100000 to 100000, found {}", t.start)));
        }
        let start = t.start as Year;
        if t.end <= t.start {
            return Err(self.err(
                "time.end",
                format!("expected a year after time.start = {}, found {}", t.start, t.end),
            ));
        }
        // In i128: `end - start` of two arbitrary i64 may overflow.
        let horizon = i128::from(t.end) - i128::from(t.start);
        if horizon > MAX_STEPS as i128 {
            return Err(self.err(
                "time.end",
                format!("the horizon is {horizon} years (time.end − time.start); at most {MAX_STEPS} are supported"),
            ));
        }
        Ok((start, t.end as i32))
    }

    /// The choice intensity `lambda` and the revision order.
    pub(super) fn choice(&mut self, c: &RawChoice) -> Result<(Param, Revision)> {
        let lambda = self.param("choice.lambda", &c.lambda, Range::NonNegativeOrInf)?;
        let revision = match c.revision.as_str() {
            "synchronous" => Revision::Synchronous,
            "sequential" => Revision::Sequential,
            other => {
                return Err(self.err(
                    "choice.revision",
                    format!("expected \"synchronous\" or \"sequential\", found \"{other}\""),
                ));
            }
        };
        Ok((lambda, revision))
    }

    pub(super) fn heterogeneity(&self, h: &RawHeterogeneity) -> Result<Heterogeneity> {
        let scale = self.number("heterogeneity.scale", h.scale.unwrap_or(0.0), Range::NonNegative)?;
        match h.distribution.as_deref() {
            None | Some("none") => Ok(Heterogeneity::None),
            Some("uniform") => Ok(Heterogeneity::Uniform(scale)),
            Some("normal") => Ok(Heterogeneity::Normal(scale)),
            Some(o) => Err(self.err(
                "heterogeneity.distribution",
                format!("expected \"none\", \"uniform\" or \"normal\", found \"{o}\""),
            )),
        }
    }

    pub(super) fn batch(&self, b: &RawBatch) -> Result<BatchDefaults> {
        let runs = self.count("batch.runs", b.runs.unwrap_or(1000), 1, MAX_RUNS as i64)? as u64;
        Ok(BatchDefaults {
            runs,
            seed: b.seed.unwrap_or(1),
            detail: b.detail.unwrap_or(true),
        })
    }
}
