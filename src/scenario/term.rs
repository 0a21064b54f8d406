//! The names of the utility terms: which terms exist, in what order, and their scenario keys.
//!
//! This is identity only; what each term means and how it is computed is the registry
//! [`crate::model::utility::REGISTRY`], one entry per [`Term`] in this order.

/// Number of utility terms.
pub const TERMS: usize = 7;

/// The utility terms, in the order used by every per-term array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Term {
    /// E: trade weight towards the framework's home states.
    Econ = 0,
    /// I: concave investment stock received from the framework's sponsor.
    Investment = 1,
    /// N: share of trade partners on the framework in the domain.
    Network = 2,
    /// A: governance affinity (freedom index, memberships, partnerships, heterogeneity).
    Affinity = 3,
    /// S: security ties.
    Security = 4,
    /// G: global standards pull (GDP share of the framework in the domain plus standards push).
    Standards = 5,
    /// H: hedging penalty for concentrating domains on one framework.
    Hedging = 6,
}

impl Term {
    /// Every term, in index order.
    pub const ALL: [Term; TERMS] = [
        Term::Econ,
        Term::Investment,
        Term::Network,
        Term::Affinity,
        Term::Security,
        Term::Standards,
        Term::Hedging,
    ];

    /// The term's key in a scenario: `utility.KEY` and `domain.D.weights.KEY`.
    pub const fn key(self) -> &'static str {
        TERM_NAMES[self as usize]
    }

    /// The term whose scenario key is `key`.
    pub fn from_key(key: &str) -> Option<Term> {
        Term::ALL.into_iter().find(|t| t.key() == key)
    }
}

/// Scenario keys of the terms, in [`Term`] order.
pub const TERM_NAMES: [&str; TERMS] = ["econ", "investment", "network", "affinity", "security", "standards", "hedging"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_keys_and_order_agree() {
        for (i, t) in Term::ALL.into_iter().enumerate() {
            assert_eq!(t as usize, i);
            assert_eq!(Term::from_key(t.key()), Some(t));
        }
        assert_eq!(Term::from_key("speed"), None);
    }
}
