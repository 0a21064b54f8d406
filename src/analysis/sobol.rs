//! Variance-based sensitivity indices from a Saltelli design ([`super::design::saltelli`]).
//!
//! With f_A, f_B and f_AB_i the model outputs on the rows of A, B and AB_i, and V the variance of
//! the outputs on A and B together:
//! - first order (Saltelli et al. 2010), with f_B centred on the mean output f̄ of A and B:
//!   S_i = (1/N) Σ_j (f_B(j) − f̄) (f_AB_i(j) − f_A(j)) / V. Centring leaves the expectation
//!   unchanged (E[f_AB_i − f_A] = 0) and removes the term f̄ (f_AB_i − f_A), whose variance grows with
//!   the squared mean of the output: it matters for shares near 0.5 with small variance.
//! - total (Jansen 1999): ST_i = (1/(2N)) Σ_j (f_A(j) − f_AB_i(j))² / V
//!
//! Confidence intervals are bootstrap percentile intervals: the N rows are resampled with
//! replacement (the same resample for every index, from a seeded generator) and the indices
//! recomputed.

use rand::RngExt;

use super::quantile;
use crate::rng::Generator;

/// The outputs of a Saltelli design, split into its matrices.
#[derive(Debug, Clone, PartialEq)]
pub struct SaltelliOutputs {
    /// f(A_j), j = 0..N.
    pub fa: Vec<f64>,
    /// f(B_j).
    pub fb: Vec<f64>,
    /// f(AB_i,j): `fab[i][j]`.
    pub fab: Vec<Vec<f64>>,
}

impl SaltelliOutputs {
    /// Split outputs given in the order of [`super::design::saltelli`] (per j: A, B, AB_1..AB_k).
    pub fn from_design_order(y: &[f64], k: usize) -> SaltelliOutputs {
        let g = k + 2;
        let n = y.len() / g;
        SaltelliOutputs {
            fa: (0..n).map(|j| y[j * g]).collect(),
            fb: (0..n).map(|j| y[j * g + 1]).collect(),
            fab: (0..k).map(|i| (0..n).map(|j| y[j * g + 2 + i]).collect()).collect(),
        }
    }
}

/// An estimate with its bootstrap standard error and percentile interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    /// Standard deviation of the bootstrap replicates.
    pub se: f64,
    pub low: f64,
    pub high: f64,
}

/// First-order and total indices of every parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolIndices {
    pub first: Vec<Estimate>,
    pub total: Vec<Estimate>,
    /// Output variance V over A and B.
    pub variance: f64,
}

/// Point estimates (S_i, ST_i) from the rows `rows` (indices into 0..N, repeats allowed).
fn point(o: &SaltelliOutputs, rows: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let n = rows.len() as f64;
    let mean = rows.iter().map(|&j| o.fa[j] + o.fb[j]).sum::<f64>() / (2.0 * n);
    let var = rows
        .iter()
        .map(|&j| (o.fa[j] - mean).powi(2) + (o.fb[j] - mean).powi(2))
        .sum::<f64>()
        / (2.0 * n - 1.0);
    let first = o
        .fab
        .iter()
        .map(|ab| rows.iter().map(|&j| (o.fb[j] - mean) * (ab[j] - o.fa[j])).sum::<f64>() / n / var)
        .collect();
    let total = o
        .fab
        .iter()
        .map(|ab| rows.iter().map(|&j| (o.fa[j] - ab[j]).powi(2)).sum::<f64>() / (2.0 * n) / var)
        .collect();
    (first, total)
}

/// Indices with `resamples` bootstrap replicates and a central `level` interval (e.g. 0.95).
/// With zero output variance every index is NaN.
pub fn indices(o: &SaltelliOutputs, resamples: usize, level: f64, rng: &mut Generator) -> SobolIndices {
    let n = o.fa.len();
    let k = o.fab.len();
    let all: Vec<usize> = (0..n).collect();
    let (s1, st) = point(o, &all);
    let mut boot_first = vec![Vec::with_capacity(resamples); k];
    let mut boot_total = vec![Vec::with_capacity(resamples); k];
    let mut rows = vec![0; n];
    for _ in 0..resamples {
        for r in rows.iter_mut() {
            *r = rng.random_range(0..n);
        }
        let (b1, bt) = point(o, &rows);
        for i in 0..k {
            boot_first[i].push(b1[i]);
            boot_total[i].push(bt[i]);
        }
    }
    let est = |v: f64, boot: &mut Vec<f64>| {
        boot.retain(|x| x.is_finite());
        boot.sort_by(f64::total_cmp);
        let m = boot.iter().sum::<f64>() / boot.len() as f64;
        let se = (boot.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (boot.len() as f64 - 1.0)).sqrt();
        let a = (1.0 - level) / 2.0;
        Estimate {
            value: v,
            se,
            low: quantile(boot, a),
            high: quantile(boot, 1.0 - a),
        }
    };
    let mean = all.iter().map(|&j| o.fa[j] + o.fb[j]).sum::<f64>() / (2.0 * n as f64);
    let variance = all
        .iter()
        .map(|&j| (o.fa[j] - mean).powi(2) + (o.fb[j] - mean).powi(2))
        .sum::<f64>()
        / (2.0 * n as f64 - 1.0);
    SobolIndices {
        first: (0..k).map(|i| est(s1[i], &mut boot_first[i])).collect(),
        total: (0..k).map(|i| est(st[i], &mut boot_total[i])).collect(),
        variance,
    }
}

#[cfg(test)]
mod tests {
    use super::super::design::saltelli;
    use super::*;
    use std::f64::consts::PI;

    fn run(k: usize, n: usize, f: impl Fn(&[f64]) -> f64) -> SobolIndices {
        let d = saltelli(k, n, 11).unwrap();
        let y: Vec<f64> = d.iter().map(|x| f(x)).collect();
        indices(&SaltelliOutputs::from_design_order(&y, k), 500, 0.95, &mut crate::rng::seeded(5))
    }

    /// |estimate − truth| < 4 bootstrap standard errors (a 4-sigma band: a correct estimator fails it
    /// with probability below 1e-4), and the standard error is small enough for the check to bite.
    fn close(e: Estimate, truth: f64, what: &str) {
        assert!(e.se < 0.03, "{what}: bootstrap se {} too large for a meaningful test", e.se);
        assert!(
            (e.value - truth).abs() <= 4.0 * e.se,
            "{what}: {} vs {truth} (se {})",
            e.value,
            e.se
        );
        assert!(e.low <= e.value && e.value <= e.high, "{what}: interval {:?}", e);
    }

    #[test]
    fn ishigami_indices_match_the_analytic_values() {
        // Ishigami & Homma (1990), a = 7, b = 0.1, x_i ~ U(−π, π).
        let (a, b) = (7.0, 0.1);
        let f = |u: &[f64]| {
            let x: Vec<f64> = u.iter().map(|v| -PI + 2.0 * PI * v).collect();
            x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
        };
        let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
        let v2 = a * a / 8.0;
        let v13 = b * b * PI.powi(8) * (1.0 / 18.0 - 1.0 / 50.0);
        let v = v1 + v2 + v13;
        let s = run(3, 1 << 13, f);
        close(s.first[0], v1 / v, "S1");
        close(s.first[1], v2 / v, "S2");
        close(s.first[2], 0.0, "S3");
        close(s.total[0], (v1 + v13) / v, "ST1");
        close(s.total[1], v2 / v, "ST2");
        close(s.total[2], v13 / v, "ST3");
        assert!((v1 / v - 0.3139).abs() < 1e-4 && ((v1 + v13) / v - 0.5576).abs() < 1e-4);
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn linear_model_indices_are_the_variance_shares() {
        // y = Σ c_i x_i with independent U(0,1) inputs: S_i = ST_i = c_i² / Σ c².
        let c = [1.0, 2.0, 3.0, 0.0];
        let s = run(4, 1 << 14, |x| x.iter().zip(c).map(|(x, c)| c * x).sum());
        let total: f64 = c.iter().map(|c| c * c).sum();
        for i in 0..4 {
            close(s.first[i], c[i] * c[i] / total, &format!("S{i}"));
            close(s.total[i], c[i] * c[i] / total, &format!("ST{i}"));
        }
        // A parameter without effect has a total index of exactly zero (f_A = f_AB_i row by row).
        assert_eq!(s.total[3].value, 0.0);
        // Variance of Σ c_i U_i is Σ c² / 12; the relative standard error of a variance estimated from
        // 2N = 32768 draws is about sqrt(2 / 32768) = 0.8%, so 5% is a band of six standard errors.
        assert!((s.variance - total / 12.0).abs() < 0.05 * total / 12.0);
    }
}
