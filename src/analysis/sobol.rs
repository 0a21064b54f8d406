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
//! With R replications per point on common random numbers, every product of two outputs of the
//! same row is taken between *different* replications (the mean over pairs r ≠ s), and each
//! replication is centred on its own mean: replication noise then adds nothing to the expected
//! numerators or to V (E[e_r e_s] = 0 for independent streams), so the indices estimate those of
//! the mean response E[Y | x], whatever R, instead of being pulled towards the noise. With one
//! replication the products are the plain ones.
//!
//! Intervals ([`super::replicated`]): the design part is the bootstrap variance over the N rows
//! (the same resample for every index, from a seeded generator), the replication part the jackknife
//! variance over replications; the interval is the estimate ± t_ν times their combined standard error.

use rand::RngExt;

pub use super::replicated::Estimate;
use super::replicated::{combine, jackknife_variance, sample_variance};
use crate::rng::Generator;

/// The outputs of a Saltelli design, split into its matrices, per replication.
#[derive(Debug, Clone, PartialEq)]
pub struct SaltelliOutputs {
    /// f(A_j) in each replication: `fa[j][r]`, j = 0..N.
    pub fa: Vec<Vec<f64>>,
    /// f(B_j): `fb[j][r]`.
    pub fb: Vec<Vec<f64>>,
    /// f(AB_i,j): `fab[i][j][r]`.
    pub fab: Vec<Vec<Vec<f64>>>,
}

impl SaltelliOutputs {
    /// Split per-point replication values `y[p][r]` given in the order of
    /// [`super::design::saltelli`] (per j: A, B, AB_1..AB_k).
    pub fn from_design_order(y: &[Vec<f64>], k: usize) -> SaltelliOutputs {
        let g = k + 2;
        let n = y.len() / g;
        SaltelliOutputs {
            fa: (0..n).map(|j| y[j * g].clone()).collect(),
            fb: (0..n).map(|j| y[j * g + 1].clone()).collect(),
            fab: (0..k).map(|i| (0..n).map(|j| y[j * g + 2 + i].clone()).collect()).collect(),
        }
    }

    /// One value per point (a deterministic function, or means already taken).
    pub fn single(y: &[f64], k: usize) -> SaltelliOutputs {
        let y: Vec<Vec<f64>> = y.iter().map(|v| vec![*v]).collect();
        SaltelliOutputs::from_design_order(&y, k)
    }

    /// Replications per point.
    pub fn replications(&self) -> usize {
        self.fa.first().map_or(0, Vec::len)
    }
}

/// First-order and total indices of every parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolIndices {
    /// First-order index S_i of each parameter.
    pub first: Vec<Estimate>,
    /// Total index S_Ti of each parameter.
    pub total: Vec<Estimate>,
    /// Variance V of the mean response over A and B (between-replication products).
    pub variance: f64,
}

/// Mean over pairs r ≠ s of u_r v_s from Σu, Σv, Σ u_r v_r over m replications (the plain product
/// when m = 1).
fn cross(su: f64, sv: f64, suv: f64, m: usize) -> f64 {
    if m > 1 { (su * sv - suv) / (m * (m - 1)) as f64 } else { suv }
}

/// Point estimates (S_i, ST_i, V) from the rows `rows` (indices into 0..N, repeats allowed) and the
/// replications `reps`.
fn point(o: &SaltelliOutputs, rows: &[usize], reps: &[usize]) -> (Vec<f64>, Vec<f64>, f64) {
    let n = rows.len() as f64;
    let m = reps.len();
    let k = o.fab.len();
    // Each replication centred on its own mean over A and B: a stream's common shift cancels.
    let centre: Vec<f64> = reps
        .iter()
        .map(|&r| rows.iter().map(|&j| o.fa[j][r] + o.fb[j][r]).sum::<f64>() / (2.0 * n))
        .collect();
    let mut var = 0.0;
    let mut u = vec![0.0; k];
    let mut t = vec![0.0; k];
    let mut ca = vec![0.0; m];
    let mut cb = vec![0.0; m];
    for &j in rows {
        let (mut sa, mut saa, mut sb, mut sbb) = (0.0, 0.0, 0.0, 0.0);
        for (q, &r) in reps.iter().enumerate() {
            ca[q] = o.fa[j][r] - centre[q];
            cb[q] = o.fb[j][r] - centre[q];
            sa += ca[q];
            saa += ca[q] * ca[q];
            sb += cb[q];
            sbb += cb[q] * cb[q];
        }
        var += cross(sa, sa, saa, m) + cross(sb, sb, sbb, m);
        for i in 0..k {
            let ab = &o.fab[i][j];
            let (mut sd, mut sdd, mut sbd) = (0.0, 0.0, 0.0);
            for (q, &r) in reps.iter().enumerate() {
                let d = ab[r] - o.fa[j][r];
                sd += d;
                sdd += d * d;
                sbd += cb[q] * d;
            }
            u[i] += cross(sb, sd, sbd, m);
            t[i] += cross(sd, sd, sdd, m);
        }
    }
    let var = var / (2.0 * n - 1.0);
    (
        u.iter().map(|x| x / n / var).collect(),
        t.iter().map(|x| x / (2.0 * n) / var).collect(),
        var,
    )
}

/// Indices with `resamples` bootstrap replicates over rows and the jackknife over replications
/// (with at least 3), and central `level` intervals (e.g. 0.95). With zero output variance every
/// index is NaN.
pub fn indices(o: &SaltelliOutputs, resamples: usize, level: f64, rng: &mut Generator) -> SobolIndices {
    let n = o.fa.len();
    let k = o.fab.len();
    let m = o.replications();
    let all: Vec<usize> = (0..n).collect();
    let reps: Vec<usize> = (0..m).collect();
    let (s1, st, variance) = point(o, &all, &reps);
    let mut boot_first = vec![Vec::with_capacity(resamples); k];
    let mut boot_total = vec![Vec::with_capacity(resamples); k];
    let mut rows = vec![0; n];
    for _ in 0..resamples {
        for r in rows.iter_mut() {
            *r = rng.random_range(0..n);
        }
        let (b1, bt, _) = point(o, &rows, &reps);
        for i in 0..k {
            boot_first[i].push(b1[i]);
            boot_total[i].push(bt[i]);
        }
    }
    let mut jack_first = vec![Vec::with_capacity(m); k];
    let mut jack_total = vec![Vec::with_capacity(m); k];
    if m >= 3 {
        for left in 0..m {
            let keep: Vec<usize> = reps.iter().copied().filter(|&r| r != left).collect();
            let (j1, jt, _) = point(o, &all, &keep);
            for i in 0..k {
                jack_first[i].push(j1[i]);
                jack_total[i].push(jt[i]);
            }
        }
    }
    let (nu_d, nu_s) = ((n - 1) as f64, (m as f64 - 1.0).max(1.0));
    let est = |v: f64, boot: &[f64], jack: &[f64]| {
        if !v.is_finite() {
            return combine(f64::NAN, f64::NAN, nu_d, f64::NAN, nu_s, level);
        }
        combine(v, sample_variance(boot), nu_d, jackknife_variance(jack), nu_s, level)
    };
    SobolIndices {
        first: (0..k).map(|i| est(s1[i], &boot_first[i], &jack_first[i])).collect(),
        total: (0..k).map(|i| est(st[i], &boot_total[i], &jack_total[i])).collect(),
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
        indices(&SaltelliOutputs::single(&y, k), 500, 0.95, &mut crate::rng::seeded(5))
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
