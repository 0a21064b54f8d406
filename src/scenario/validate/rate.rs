//! `[rate]`: the coefficients of the revision rate's state covariates: the built-in ones in their
//! order, then a custom world's columns in name order.

use super::Validator;
use super::checks::Range;
use crate::error::Result;
use crate::scenario::param::{Param, RawParam};
use crate::scenario::rate::RateCovariate;
use std::collections::BTreeMap;

impl Validator {
    /// The coefficient of every covariate the table names, built-in ones first (the order of
    /// their draws when they are uncertain). Whether a column exists is checked against the world.
    pub(super) fn rate_covariates(&mut self, raw: &BTreeMap<String, RawParam>) -> Result<Vec<(RateCovariate, Param)>> {
        if let Some(unknown) = raw.keys().find(|k| RateCovariate::from_key(k).is_none()) {
            return Err(self.err(
                &format!("rate.{unknown}"),
                format!("unknown covariate `{unknown}`, expected {}", RateCovariate::expected()),
            ));
        }
        let mut keys: Vec<RateCovariate> = raw.keys().filter_map(|k| RateCovariate::from_key(k)).collect();
        keys.sort();
        let mut out = Vec::new();
        for c in keys {
            let p = self.param(&format!("rate.{}", c.key()), &raw[c.key()], Range::Any)?;
            out.push((c, p));
        }
        Ok(out)
    }
}
