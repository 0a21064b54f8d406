//! `[utility]`: the weight of each utility term, and the term a name or an index stands for. The
//! only place that lists the terms' raw fields, so a new term changes this file alone.

use super::Validator;
use super::checks::Range;
use crate::error::Result;
use crate::scenario::param::Param;
use crate::scenario::raw::RawUtility;
use crate::scenario::{TERM_NAMES, TERMS, Term};

impl Validator {
    /// One weight per term, in [`Term`] order; an absent weight is 0.
    pub(super) fn utility_weights(&mut self, u: &RawUtility) -> Result<[Param; TERMS]> {
        let raws = [
            &u.econ,
            &u.investment,
            &u.network,
            &u.affinity,
            &u.security,
            &u.standards,
            &u.hedging,
        ];
        let mut weights = [Param::Fixed(0.0); TERMS];
        for (t, r) in raws.iter().enumerate() {
            weights[t] = self.opt_param(&format!("utility.{}", TERM_NAMES[t]), r, Range::Any, 0.0)?;
        }
        Ok(weights)
    }
}

/// The term at index `i` of [`TERM_NAMES`].
pub(super) fn term_of(i: usize) -> Term {
    [
        Term::Econ,
        Term::Investment,
        Term::Network,
        Term::Affinity,
        Term::Security,
        Term::Standards,
        Term::Hedging,
    ][i]
}
