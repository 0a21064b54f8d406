//! `[rate]`: the coefficients of the revision rate's state covariates, in covariate order.

use super::Validator;
use super::checks::Range;
use crate::error::Result;
use crate::scenario::param::{Param, RawParam};
use crate::scenario::rate::RateCovariate;
use std::collections::BTreeMap;

impl Validator {
    /// The coefficient of every covariate the table names, in [`RateCovariate::ALL`] order (the
    /// order of their draws when they are uncertain).
    pub(super) fn rate_covariates(&mut self, raw: &BTreeMap<String, RawParam>) -> Result<Vec<(RateCovariate, Param)>> {
        if let Some(unknown) = raw.keys().find(|k| RateCovariate::from_key(k).is_none()) {
            let expected: Vec<String> = RateCovariate::ALL.iter().map(|c| format!("`{}`", c.key())).collect();
            return Err(self.err(
                &format!("rate.{unknown}"),
                format!("unknown covariate `{unknown}`, expected one of {}", expected.join(", ")),
            ));
        }
        let mut out = Vec::new();
        for c in RateCovariate::ALL {
            if let Some(r) = raw.get(c.key()) {
                out.push((c, self.param(&format!("rate.{}", c.key()), r, Range::Any)?));
            }
        }
        Ok(out)
    }
}
