//! The reliability diagram and Murphy's decomposition of the Brier score on stated bins.
//!
//! With N forecasts in bins k of n_k forecasts, mean forecast f̄_k and observed rate ō_k, and ō the
//! overall rate:
//! - reliability REL = Σ n_k (f̄_k − ō_k)² / N,
//! - resolution RES = Σ n_k (ō_k − ō)² / N,
//! - uncertainty UNC = ō (1 − ō).
//!
//! REL − RES + UNC is the Brier score of the forecasts replaced by their bin means (the *binned*
//! Brier). The Brier score of the forecasts themselves adds the within-bin terms (Stephenson,
//! Coelho and Jolliffe 2008): B = REL − RES + UNC + WBV − 2 WBC, with the within-bin variance
//! WBV = Σ_k Σ_i (f_i − f̄_k)² / N and covariance WBC = Σ_k Σ_i (f_i − f̄_k)(o_i − ō_k) / N. Both
//! are reported, so the identity can be checked from the outputs.

/// Bin edges of the forecasts: rare events put most forecasts below 0.05, so the low bins are
/// narrow. A bin holds [low, high); the last one holds 1 as well.
pub const EDGES: [f64; 9] = [0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0];

/// One bin of the reliability diagram.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Bin {
    /// Lower edge of the bin (included).
    pub low: f64,
    /// Upper edge of the bin (excluded, except 1 in the last bin).
    pub high: f64,
    /// Forecasts in the bin.
    pub n: usize,
    /// Mean forecast and observed event rate (NaN when the bin is empty).
    pub forecast: f64,
    /// Observed event rate ō_k of the bin.
    pub observed: f64,
}

/// Murphy's decomposition and the within-bin terms (see the module header).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Decomposition {
    /// Brier score of the forecasts, B.
    pub brier: f64,
    /// Reliability REL (lower is better).
    pub reliability: f64,
    /// Resolution RES (higher is better).
    pub resolution: f64,
    /// Uncertainty UNC = ō (1 − ō).
    pub uncertainty: f64,
    /// Within-bin variance WBV.
    pub within_variance: f64,
    /// Within-bin covariance WBC.
    pub within_covariance: f64,
    /// REL − RES + UNC.
    pub binned_brier: f64,
}

/// The bins and the decomposition of forecasts `p` of outcomes `y` on `edges`.
pub fn decompose(p: &[f64], y: &[bool], edges: &[f64]) -> (Vec<Bin>, Decomposition) {
    let nb = edges.len() - 1;
    let bin_of = |v: f64| (1..nb).take_while(|&b| v >= edges[b]).count();
    let (mut n, mut fs, mut os) = (vec![0usize; nb], vec![0.0; nb], vec![0.0; nb]);
    for (&v, &e) in p.iter().zip(y) {
        let b = bin_of(v);
        n[b] += 1;
        fs[b] += v;
        os[b] += f64::from(u8::from(e));
    }
    let total = p.len().max(1) as f64;
    let rate = os.iter().sum::<f64>() / total;
    let bins: Vec<Bin> = (0..nb)
        .map(|b| Bin {
            low: edges[b],
            high: edges[b + 1],
            n: n[b],
            forecast: fs[b] / n[b] as f64,
            observed: os[b] / n[b] as f64,
        })
        .collect();
    let full = bins.iter().filter(|b| b.n > 0);
    let reliability = full.clone().map(|b| b.n as f64 * (b.forecast - b.observed).powi(2)).sum::<f64>() / total;
    let resolution = full.map(|b| b.n as f64 * (b.observed - rate).powi(2)).sum::<f64>() / total;
    let (mut wv, mut wc, mut brier) = (0.0, 0.0, 0.0);
    for (&v, &e) in p.iter().zip(y) {
        let b = &bins[bin_of(v)];
        let o = f64::from(u8::from(e));
        wv += (v - b.forecast).powi(2);
        wc += (v - b.forecast) * (o - b.observed);
        brier += (v - o).powi(2);
    }
    let uncertainty = rate * (1.0 - rate);
    let d = Decomposition {
        brier: brier / total,
        reliability,
        resolution,
        uncertainty,
        within_variance: wv / total,
        within_covariance: wc / total,
        binned_brier: reliability - resolution + uncertainty,
    };
    (bins, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HALVES: [f64; 3] = [0.0, 0.5, 1.0];

    #[test]
    fn the_decomposition_of_a_hand_computed_example() {
        // Bins [0, .5): .1, .3 (mean .2, rate .5); [.5, 1]: .6, .8 (mean .7, rate .5); ō = .5.
        let (bins, d) = decompose(&[0.1, 0.3, 0.6, 0.8], &[false, true, false, true], &HALVES);
        assert_eq!((bins[0].n, bins[1].n), (2, 2));
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        // REL = (2·.3² + 2·.2²)/4 = .065; RES = 0; UNC = .25; binned Brier .315.
        assert!(close(d.reliability, 0.065) && close(d.resolution, 0.0) && close(d.uncertainty, 0.25));
        assert!(close(d.binned_brier, 0.315));
        // Brier (.01 + .49 + .36 + .04)/4 = .225; WBV = 4·.01/4 = .01; WBC = (.05 + .05 + .05 + .05)/4 = .05.
        assert!(close(d.brier, 0.225) && close(d.within_variance, 0.01) && close(d.within_covariance, 0.05));
        assert!(close(d.binned_brier + d.within_variance - 2.0 * d.within_covariance, d.brier));
    }

    #[test]
    fn resolution_rewards_bins_that_separate_events() {
        let (bins, d) = decompose(&[0.1, 0.3, 0.6, 0.8], &[false, false, true, true], &HALVES);
        assert_eq!((bins[0].observed, bins[1].observed), (0.0, 1.0));
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        // REL = (2·.2² + 2·.3²)/4 = .065; RES = (2·.25 + 2·.25)/4 = .25; Brier .3/4 = .075.
        assert!(close(d.reliability, 0.065) && close(d.resolution, 0.25) && close(d.brier, 0.075));
        assert!(close(d.within_covariance, 0.0) && close(d.binned_brier + d.within_variance, d.brier));
        // 1 falls in the last bin, the lower edge in its own bin.
        let (bins, _) = decompose(&[1.0, 0.5, 0.0], &[true, true, false], &HALVES);
        assert_eq!((bins[0].n, bins[1].n), (1, 2));
    }
}
