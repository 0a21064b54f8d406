//! Every model against every other on a window's cell-years: a Diebold–Mariano-style test of the
//! mean log-score difference with a state-clustered variance.
//!
//! With d_i = ln p_a(y_i) − ln p_b(y_i) over the N cell-years and G states (clusters),
//! d̄ = Σ d_i / N and V = G/(G − 1) Σ_g (Σ_{i∈g} (d_i − d̄))² / N², the cluster-robust variance
//! of d̄ (the cell-years of one state are not independent: its histories share a latent chain,
//! and its years follow one another). t = d̄ / √V is referred to Student's t with G − 1 degrees of
//! freedom (the small-G correction of cluster-robust inference). For a **nested** pair (one model
//! a restriction of the other) the test's null distribution is not standard: under equal
//! population accuracy the larger model's estimation noise makes d̄ negative in expectation
//! (Clark and West, 2007), so a nested comparison that is not significant says little; the
//! table marks those pairs. A pair in which either model gives an act probability 0 (persistence)
//! has no finite log score and is left out.

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::calibrate::forecasts::Forecast;
use crate::calibrate::scores::log_prob;

/// One comparison of model `a` against model `b` on one window.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Window name.
    pub window: String,
    /// Name of model a (earlier in the registry).
    pub a: String,
    /// Name of model b.
    pub b: String,
    /// One model is a restriction of the other (Clark and West: a non-significant result says little).
    pub nested: bool,
    /// Cell-years compared.
    pub n: usize,
    /// States (clusters) among them.
    pub clusters: usize,
    /// Mean of ln p_a − ln p_b: positive when `a` forecasts better.
    pub mean: f64,
    /// Its state-clustered standard error.
    pub se: f64,
    /// `mean / se`.
    pub t: f64,
    /// Two-sided p-value from Student's t with clusters − 1 degrees of freedom.
    pub p_value: f64,
    /// Lower end of the 95% interval of the mean.
    pub low: f64,
    /// Upper end of the 95% interval of the mean.
    pub high: f64,
}

/// The test of `d` (one value per cell-year) clustered by `cluster`: (mean, se, t, G, p, low95,
/// high95), or None with fewer than two clusters or no variation.
pub fn clustered_mean_test(d: &[f64], cluster: &[usize]) -> Option<(f64, f64, f64, usize, f64, f64, f64)> {
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let mut sums: std::collections::BTreeMap<usize, f64> = std::collections::BTreeMap::new();
    for (x, &c) in d.iter().zip(cluster) {
        *sums.entry(c).or_default() += x - mean;
    }
    let g = sums.len();
    if g < 2 {
        return None;
    }
    let gf = g as f64;
    let v = gf / (gf - 1.0) * sums.values().map(|s| s * s).sum::<f64>() / (n * n);
    let se = v.sqrt();
    if se.is_nan() || se <= 0.0 {
        return None;
    }
    let dist = StudentsT::new(0.0, 1.0, gf - 1.0).ok()?;
    let t = mean / se;
    let p = 2.0 * (1.0 - dist.cdf(t.abs()));
    let q = dist.inverse_cdf(0.975);
    Some((mean, se, t, g, p, mean - q * se, mean + q * se))
}

/// Every pair (a before b in registry order) of `forecasts` on the cell-years with outcomes `y`
/// and states `cluster`; `nested(a, b)` says whether one is a restriction of the other.
pub fn every_pair(
    window: &str,
    forecasts: &[Forecast],
    y: &[bool],
    cluster: &[usize],
    nested: impl Fn(&str, &str) -> bool,
) -> Vec<Comparison> {
    let logs: Vec<Vec<f64>> = forecasts
        .iter()
        .map(|f| f.p.iter().zip(y).map(|(&p, &y)| log_prob(p, y)).collect())
        .collect();
    let mut out = Vec::new();
    for a in 0..forecasts.len() {
        for b in a + 1..forecasts.len() {
            let d: Vec<f64> = logs[a].iter().zip(&logs[b]).map(|(x, z)| x - z).collect();
            if d.iter().any(|x| !x.is_finite()) {
                continue;
            }
            let Some((mean, se, t, clusters, p_value, low, high)) = clustered_mean_test(&d, cluster) else {
                continue;
            };
            let (ma, mb) = (&forecasts[a].model, &forecasts[b].model);
            out.push(Comparison {
                window: window.to_string(),
                a: ma.clone(),
                b: mb.clone(),
                nested: nested(ma, mb),
                n: d.len(),
                clusters,
                mean,
                se,
                t,
                p_value,
                low,
                high,
            });
        }
    }
    out
}

/// `comparisons.csv`.
pub fn comparisons_csv(rows: &[Comparison]) -> String {
    use std::fmt::Write as _;
    let mut s = String::from("window,model_a,model_b,nested,n,clusters,mean_log_score_a_minus_b,se,t,p_value,low95,high95\n");
    for c in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{:.6},{:.6},{:.4},{:.6},{:.6},{:.6}",
            c.window, c.a, c.b, c.nested, c.n, c.clusters, c.mean, c.se, c.t, c.p_value, c.low, c.high
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// By hand: two clusters of two, d = (1, 3 | 2, 6): d̄ = 3, cluster sums of deviations −2 and
    /// +2, V = 2/1 · 8 / 16 = 1, t = 3 on 1 degree of freedom: p = 2(1 − F(3)) = 0.2048.
    #[test]
    fn the_clustered_variance_matches_a_hand_computation() {
        let (mean, se, t, g, p, low, high) = clustered_mean_test(&[1.0, 3.0, 2.0, 6.0], &[0, 0, 1, 1]).unwrap();
        assert_eq!((mean, se, t, g), (3.0, 1.0, 3.0, 2));
        // Student t with 1 df is Cauchy: F(3) = ½ + atan(3)/π.
        let exact = 2.0 * (0.5 - 3f64.atan() / std::f64::consts::PI);
        assert!((p - exact).abs() < 1e-12, "{p} vs {exact}");
        // t_{0.975, 1} = tan(0.475 π) = 12.706.
        let q = (0.475 * std::f64::consts::PI).tan();
        assert!((low - (3.0 - q)).abs() < 1e-9 && (high - (3.0 + q)).abs() < 1e-9);
        assert!(clustered_mean_test(&[1.0, 2.0], &[0, 0]).is_none(), "one cluster");
    }

    /// Under the null (two models with the same forecast distribution), the test rejects at 5%
    /// about 5% of the time: 400 simulated comparisons of 60 clusters, within 3 binomial sd of
    /// 20 (sd = √(400 · 0.05 · 0.95) = 4.4), so 7 to 33 rejections.
    #[test]
    fn the_test_has_its_size_under_the_null() {
        use rand::RngExt;
        let mut rng = crate::rng::run_rng(5, 0, crate::rng::Purpose::Dynamics);
        let mut rejections = 0;
        for _ in 0..400 {
            let mut d = Vec::new();
            let mut cluster = Vec::new();
            for g in 0..60 {
                // A shared cluster effect and independent noise, mean 0.
                let shared: f64 = rng.random::<f64>() - 0.5;
                for _ in 0..5 {
                    d.push(shared + rng.random::<f64>() - 0.5);
                    cluster.push(g);
                }
            }
            let (.., p, _, _) = clustered_mean_test(&d, &cluster).unwrap();
            rejections += usize::from(p < 0.05);
        }
        assert!((7..=33).contains(&rejections), "{rejections} rejections of 400");
    }

    #[test]
    fn pairs_skip_infinite_log_scores_and_mark_nesting() {
        let f = |m: &str, p: Vec<f64>| Forecast { model: m.into(), p };
        let forecasts = [
            f("a", vec![0.2, 0.1, 0.3, 0.1]),
            f("b", vec![0.1, 0.1, 0.1, 0.2]),
            f("zero", vec![0.0; 4]),
        ];
        let rows = every_pair("time", &forecasts, &[true, false, false, true], &[0, 0, 1, 1], |a, b| {
            a == "a" && b == "b"
        });
        assert_eq!(rows.len(), 1, "only a-b is finite");
        assert!(rows[0].nested && rows[0].a == "a" && rows[0].b == "b");
        assert!(comparisons_csv(&rows).lines().nth(1).unwrap().starts_with("time,a,b,true,4,2,"));
    }
}
