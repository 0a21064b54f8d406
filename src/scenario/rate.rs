//! `[rate]`: the state covariates of the revision rate. Each key is a covariate and its value the
//! coefficient on the logit scale per standard deviation of the covariate across the world's
//! states: in domain d, state i reconsiders with probability
//! ρ_id = σ(logit ρ_d + Σ_c β_c z_ic), so `domain.D.revision_rate` is the rate of a state at the
//! world's mean covariates. Without the table every state has its domain's rate.
//!
//! The covariates are `ln_gdp_per_capita`, `ln_population`, `freedom` and, in a custom world, any
//! numeric column of its agents.csv named `x_NAME`.

/// A covariate the revision rate can depend on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RateCovariate {
    /// ln(GDP / population).
    LnGdpPerCapita,
    /// ln population.
    LnPopulation,
    /// The freedom index (0–10).
    Freedom,
    /// A numeric column `x_NAME` of a custom world's agents.csv (the full column name).
    Column(String),
}

impl RateCovariate {
    /// The built-in covariates, in the order of their keys.
    pub const BUILT_IN: [RateCovariate; 3] = [RateCovariate::LnGdpPerCapita, RateCovariate::LnPopulation, RateCovariate::Freedom];

    /// The key under `[rate]`.
    pub fn key(&self) -> &str {
        match self {
            RateCovariate::LnGdpPerCapita => "ln_gdp_per_capita",
            RateCovariate::LnPopulation => "ln_population",
            RateCovariate::Freedom => "freedom",
            RateCovariate::Column(name) => name,
        }
    }

    /// The covariate named `key`: a built-in one, or a column name `x_` followed by ASCII letters,
    /// digits and `_`.
    pub fn from_key(key: &str) -> Option<RateCovariate> {
        if let Some(c) = Self::BUILT_IN.into_iter().find(|c| c.key() == key) {
            return Some(c);
        }
        let rest = key.strip_prefix("x_")?;
        (!rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then(|| RateCovariate::Column(key.to_string()))
    }

    /// What `[rate]` accepts, for messages.
    pub fn expected() -> String {
        let names: Vec<String> = Self::BUILT_IN.iter().map(|c| format!("`{}`", c.key())).collect();
        format!("{} or a custom world's column `x_NAME`", names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for c in RateCovariate::BUILT_IN {
            assert_eq!(RateCovariate::from_key(c.key()), Some(c));
        }
        assert_eq!(RateCovariate::from_key("x_ports"), Some(RateCovariate::Column("x_ports".into())));
        for bad in ["gdp", "x_", "x_a-b", "ports"] {
            assert_eq!(RateCovariate::from_key(bad), None, "{bad}");
        }
    }
}
