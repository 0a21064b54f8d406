//! Shared helpers of the validation tests: run a scenario many times, time-average the count
//! shares, and compute the theory side (small-noise expansion around a mean-field fixed point).
//!
//! Every test prints `VALIDATION |`-prefixed rows with `--nocapture`; docs/validation.md is made of
//! those rows (`cargo test --release --test integration brock_durlauf:: -- --nocapture | grep VALIDATION`).
#![allow(dead_code)]

use nalgebra::DMatrix;
use rayon::prelude::*;

use blocsim::Scenario;
use blocsim::model::Model;
use blocsim::run::run_one;

/// Time-averaged count shares of every framework in domain 0, per run: `out[run][k]`, averaged over
/// the years `burn..=T`; also the pooled within-run variance of the shares about the run mean.
pub struct Measured {
    pub n: usize,
    pub runs: u64,
    pub seed: u64,
    pub samples: usize,
    pub run_means: Vec<Vec<f64>>,
    pub within_var: Vec<f64>,
}

impl Measured {
    pub fn mean(&self, k: usize) -> f64 {
        self.run_means.iter().map(|m| m[k]).sum::<f64>() / self.runs as f64
    }
    /// Empirical standard error of the grand mean, from the spread of the run means.
    pub fn se_empirical(&self, k: usize) -> f64 {
        let m = self.mean(k);
        let v = self.run_means.iter().map(|r| (r[k] - m).powi(2)).sum::<f64>() / (self.runs - 1) as f64;
        (v / self.runs as f64).sqrt()
    }
    /// Largest framework share per run, time-averaged (for symmetric cases where the winner is random).
    pub fn mean_of_max(&self) -> f64 {
        self.run_means.iter().map(|m| m.iter().copied().fold(0.0, f64::max)).sum::<f64>() / self.runs as f64
    }
}

pub fn model(text: &str) -> Model {
    Model::from_scenario(Scenario::from_str("validation.toml", text).unwrap()).unwrap()
}

pub fn measure(model: &Model, seed: u64, runs: u64, burn: usize) -> Measured {
    let (n, k, years) = (model.layout.states, model.layout.frameworks, model.layout.years);
    let per_run: Vec<(Vec<f64>, Vec<f64>)> = (0..runs)
        .into_par_iter()
        .map(|r| {
            let o = run_one(model, seed, r);
            let series: Vec<Vec<f64>> = (burn..years)
                .map(|t| {
                    (0..k)
                        .map(|fw| f64::from(o.counts[model.layout.share_index(t, 0, fw)]) / n as f64)
                        .collect()
                })
                .collect();
            let mean: Vec<f64> = (0..k)
                .map(|fw| series.iter().map(|s| s[fw]).sum::<f64>() / series.len() as f64)
                .collect();
            let var: Vec<f64> = (0..k)
                .map(|fw| series.iter().map(|s| (s[fw] - mean[fw]).powi(2)).sum::<f64>() / (series.len() - 1) as f64)
                .collect();
            (mean, var)
        })
        .collect();
    let within_var = (0..k)
        .map(|fw| per_run.iter().map(|p| p.1[fw]).sum::<f64>() / runs as f64)
        .collect();
    Measured {
        n,
        runs,
        seed,
        samples: years - burn,
        run_means: per_run.into_iter().map(|p| p.0).collect(),
        within_var,
    }
}

/// Softmax of lambda·(h + J·x): the expected choice of every agent given aggregate shares x.
pub fn logit_map(lambda: f64, j: f64, h: &[f64]) -> impl Fn(&[f64]) -> Vec<f64> + '_ {
    move |x: &[f64]| {
        let u: Vec<f64> = h.iter().zip(x).map(|(h, x)| lambda * (h + j * x)).collect();
        let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = u.iter().map(|v| (v - max).exp()).sum();
        u.iter().map(|v| (v - max).exp() / z).collect()
    }
}

/// Iterate x ← F(x) from `start` to a fixed point (converges to a stable one from its basin).
pub fn iterate(f: &dyn Fn(&[f64]) -> Vec<f64>, start: &[f64]) -> Vec<f64> {
    let mut x = start.to_vec();
    for _ in 0..100_000 {
        let y = f(&x);
        let d = y.iter().zip(&x).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        x = y;
        if d < 1e-15 {
            break;
        }
    }
    x
}

/// Small-noise theory of synchronous revision (rate 1) near a stable fixed point x* of F with N agents:
/// x_{t+1} = F(x_t) + e_t with Cov(e) = Q = (diag F − F Fᵀ)/N. Linearised with A = DF (tangent
/// coordinates x_1..x_{K−1}), the stationary covariance solves C = A C Aᵀ + Q; the mean is shifted by
/// the curvature, E[x] − x* = (I − A)⁻¹ ½ Σ_ab ∂²F/∂x_a∂x_b C_ab; and the time average of T steps has
/// variance (I − A)⁻¹ Q (I − A)⁻ᵀ / T (long-run variance of a vector AR(1)).
pub struct Theory {
    /// x* + bias, all K components.
    pub mean: Vec<f64>,
    pub bias: Vec<f64>,
    /// Stationary variance of each share.
    pub var: Vec<f64>,
    /// Long-run variance of each share (times 1/T gives the variance of a T-step average).
    pub long_run: Vec<f64>,
    /// Eigenvalue moduli of A.
    pub radius: f64,
}

pub fn theory(f: &dyn Fn(&[f64]) -> Vec<f64>, xstar: &[f64], n: usize) -> Theory {
    let k = xstar.len();
    let m = k - 1;
    let fy = |y: &[f64]| -> Vec<f64> {
        let mut x = y.to_vec();
        x.push(1.0 - y.iter().sum::<f64>());
        f(&x)
    };
    let y0: Vec<f64> = xstar[..m].to_vec();
    let h = 1e-4;
    let shift = |a: usize, da: f64, b: usize, db: f64| -> Vec<f64> {
        let mut y = y0.clone();
        y[a] += da;
        y[b] += db;
        fy(&y)
    };
    let a_mat = DMatrix::from_fn(m, m, |c, j| (shift(j, h, j, 0.0)[c] - shift(j, -h, j, 0.0)[c]) / (2.0 * h));
    let fx = f(xstar);
    let q = DMatrix::from_fn(m, m, |a, b| ((a == b) as u8 as f64 * fx[a] - fx[a] * fx[b]) / n as f64);
    let mut c = q.clone();
    for _ in 0..20_000 {
        c = &a_mat * &c * a_mat.transpose() + &q;
    }
    let h2 = 1e-3;
    let curv = nalgebra::DVector::from_fn(m, |out, _| {
        let mut s = 0.0;
        for a in 0..m {
            for b in 0..m {
                let d2 = (shift(a, h2, b, h2)[out] - shift(a, h2, b, -h2)[out] - shift(a, -h2, b, h2)[out] + shift(a, -h2, b, -h2)[out])
                    / (4.0 * h2 * h2);
                s += 0.5 * d2 * c[(a, b)];
            }
        }
        s
    });
    let inv = (DMatrix::identity(m, m) - &a_mat).try_inverse().unwrap();
    let bias_y = &inv * curv;
    let lr = &inv * &q * inv.transpose();
    let mut bias: Vec<f64> = bias_y.iter().copied().collect();
    bias.push(-bias.iter().sum::<f64>());
    let ones = nalgebra::DVector::from_element(m, 1.0);
    let mut var: Vec<f64> = (0..m).map(|i| c[(i, i)]).collect();
    var.push((ones.transpose() * &c * &ones)[(0, 0)]);
    let mut long_run: Vec<f64> = (0..m).map(|i| lr[(i, i)]).collect();
    long_run.push((ones.transpose() * &lr * &ones)[(0, 0)]);
    let radius = a_mat.complex_eigenvalues().iter().map(|z| z.norm()).fold(0.0, f64::max);
    Theory {
        mean: xstar.iter().zip(&bias).map(|(x, b)| x + b).collect(),
        bias,
        var,
        long_run,
        radius,
    }
}

/// Standard error of the grand mean of share k under the theory.
pub fn se_theory(t: &Theory, m: &Measured, k: usize) -> f64 {
    (t.long_run[k] / (m.samples as f64 * m.runs as f64)).sqrt()
}

/// Print one `VALIDATION |` row and assert |sim − theory| < 4 SE (SE from theory).
pub fn check(case: &str, quantity: &str, theory_value: f64, sim: f64, se: f64, se_emp: f64, m: &Measured) {
    println!(
        "VALIDATION | {case} | {quantity} | {theory_value:.5} | {sim:.5} | {se:.5} | {se_emp:.5} | {} | {} | {} | {}",
        m.n, m.runs, m.samples, m.seed
    );
    assert!(
        (sim - theory_value).abs() < 4.0 * se,
        "{case} {quantity}: simulated {sim:.6}, theory {theory_value:.6}, 4 SE = {:.6}",
        4.0 * se
    );
}
