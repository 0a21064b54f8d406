//! `[utility]`: the weight of each utility term, read in [`Term`] order (the order of their draws
//! when they are uncertain).

use super::Validator;
use super::checks::Range;
use crate::error::Result;
use crate::scenario::param::Param;
use crate::scenario::raw::RawUtility;
use crate::scenario::{TERM_NAMES, TERMS, Term};

impl Validator {
    /// One weight per term, in [`Term`] order; an absent weight is 0.
    pub(super) fn utility_weights(&mut self, u: &RawUtility) -> Result<[Param; TERMS]> {
        if let Some(unknown) = u.keys().find(|k| Term::from_key(k).is_none()) {
            let expected: Vec<String> = TERM_NAMES.iter().map(|t| format!("`{t}`")).collect();
            return Err(self.err(
                &format!("utility.{unknown}"),
                format!("unknown field `{unknown}`, expected one of {}", expected.join(", ")),
            ));
        }
        let mut weights = [Param::Fixed(0.0); TERMS];
        for t in Term::ALL {
            weights[t as usize] = self.opt_param(&format!("utility.{}", t.key()), &u.get(t.key()).cloned(), Range::Any, 0.0)?;
        }
        Ok(weights)
    }
}

/// The term at index `i` of [`TERM_NAMES`].
pub(super) fn term_of(i: usize) -> Term {
    Term::ALL[i]
}
