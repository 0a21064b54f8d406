//! H: hedging — a middle power's preference for spreading its domains over several frameworks, and
//! the hedging index that measures how much states do so.

/// Hedging penalty of choosing framework k in one domain: the share of the state's *other* domains
/// already on k, in [0, 1]. `others_on_k` counts them; `domains` is D. Zero when D = 1.
#[inline]
pub fn concentration(others_on_k: u32, domains: usize) -> f64 {
    if domains <= 1 {
        0.0
    } else {
        f64::from(others_on_k) / (domains - 1) as f64
    }
}

/// Normalised diversity of one state's alignments: (1 − Σ_k s_k²) / (1 − 1/min(K, D)), where s_k is
/// the share of its domains on k. 0 = all domains on one framework, 1 = spread as evenly as possible.
pub fn diversity(per_framework: &[u32], domains: usize) -> f64 {
    let cap = per_framework.len().min(domains);
    if cap <= 1 {
        return 0.0;
    }
    let d = domains as f64;
    let hhi: f64 = per_framework.iter().map(|&c| (f64::from(c) / d).powi(2)).sum();
    (1.0 - hhi) / (1.0 - 1.0 / cap as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diversity_is_zero_when_concentrated_and_one_when_even() {
        assert_eq!(diversity(&[5, 0, 0], 5), 0.0);
        assert!((diversity(&[1, 1, 1], 3) - 1.0).abs() < 1e-12);
        assert!(diversity(&[3, 1, 1], 5) > 0.0);
        assert_eq!(diversity(&[1, 0], 1), 0.0);
    }

    #[test]
    fn concentration_counts_other_domains() {
        assert_eq!(concentration(2, 5), 0.5);
        assert_eq!(concentration(0, 1), 0.0);
    }
}
