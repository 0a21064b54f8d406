//! `[rate]`: the state covariates of the revision rate. Each key is a covariate and its value the
//! coefficient on the logit scale per standard deviation of the covariate across the world's
//! states: in domain d, state i reconsiders with probability
//! ρ_id = σ(logit ρ_d + Σ_c β_c z_ic), so `domain.D.revision_rate` is the rate of a state at the
//! world's mean covariates. Without the table every state has its domain's rate.

/// A covariate the revision rate can depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RateCovariate {
    /// ln(GDP / population).
    LnGdpPerCapita,
    /// ln population.
    LnPopulation,
    /// The freedom index (0–10).
    Freedom,
}

impl RateCovariate {
    /// Every covariate, in the order of their keys.
    pub const ALL: [RateCovariate; 3] = [RateCovariate::LnGdpPerCapita, RateCovariate::LnPopulation, RateCovariate::Freedom];

    /// The key under `[rate]`.
    pub fn key(self) -> &'static str {
        match self {
            RateCovariate::LnGdpPerCapita => "ln_gdp_per_capita",
            RateCovariate::LnPopulation => "ln_population",
            RateCovariate::Freedom => "freedom",
        }
    }

    /// The covariate named `key`.
    pub fn from_key(key: &str) -> Option<RateCovariate> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for c in RateCovariate::ALL {
            assert_eq!(RateCovariate::from_key(c.key()), Some(c));
        }
        assert_eq!(RateCovariate::from_key("gdp"), None);
    }
}
