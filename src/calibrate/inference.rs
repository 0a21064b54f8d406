//! What the maximum says: standard errors from the observed information and from the
//! state-clustered sandwich, 95% intervals, the weakest direction of the information, and profile
//! likelihoods that show which parameters the data identify only weakly.
//!
//! With A = −H(θ̂) and s_c the score of state c, the observed-information covariance is A⁻¹ and
//! the sandwich is A⁻¹ B A⁻¹, B = G/(G − 1) Σ_c s_c s_cᵀ over the G states with observations. The
//! sandwich is the one the intervals use: the real panel's likelihood is a composite (several
//! indicators of one cell are treated as separate histories), for which A⁻¹ is not the covariance.
//! Intervals are θ̂ ± 1.96 SE on the internal scale, mapped to the parameter's own scale.
//!
//! A profile fixes one parameter on a grid of ±3 observed-information SEs and maximises ℓ over the
//! others; its 95% interval is where 2(ℓ̂ − ℓ_p) crosses 3.84 (χ²₁). A parameter is flagged weakly
//! identified when the profile does not reach 3.84 within the grid on one side, or when the
//! profile interval and the Wald interval differ by more than half a Wald half-width.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

use super::likelihood::{Eval, Problem};
use super::newton::maximise;

/// χ²₁ 0.95 quantile.
pub const CHI2_95: f64 = 3.841_458_820_694_124;
/// Standard normal 0.975 quantile.
pub const Z_975: f64 = 1.959_963_984_540_054;
/// Grid of a profile, in observed-information SEs.
pub const PROFILE_GRID: [f64; 13] = [-3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0];

/// Covariances at the maximum, on the internal scale.
#[derive(Debug, Clone)]
pub struct Covariances {
    pub oim: DMatrix<f64>,
    pub sandwich: DMatrix<f64>,
    /// Eigenvalues of the information scaled to unit diagonal (a correlation-like matrix), smallest
    /// first, with their eigenvectors as columns.
    pub eigenvalues: Vec<f64>,
    pub eigenvectors: DMatrix<f64>,
}

/// The covariances at a maximum, or the direction the information does not identify.
pub fn covariances(eval: &Eval) -> Result<Covariances, Vec<f64>> {
    let a = -&eval.hess;
    let n = a.nrows();
    let d: Vec<f64> = (0..n).map(|r| a[(r, r)].max(0.0).sqrt()).collect();
    let scaled = DMatrix::from_fn(n, n, |r, c| if d[r] > 0.0 && d[c] > 0.0 { a[(r, c)] / (d[r] * d[c]) } else { 0.0 });
    let eig = SymmetricEigen::new(scaled);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| eig.eigenvalues[x].total_cmp(&eig.eigenvalues[y]));
    let eigenvalues: Vec<f64> = order.iter().map(|&c| eig.eigenvalues[c]).collect();
    let eigenvectors = DMatrix::from_fn(n, n, |r, c| eig.eigenvectors[(r, order[c])]);
    let weakest = eigenvectors.column(0).iter().copied().collect::<Vec<_>>();
    let positive = |x: f64| x > 0.0 && x.is_finite();
    if !d.iter().all(|&x| positive(x)) || !eigenvalues.first().is_none_or(|&e| positive(e - 1e-9)) {
        return Err(weakest);
    }
    let Some(inv) = a.clone().try_inverse() else { return Err(weakest) };
    let mut b = DMatrix::zeros(n, n);
    let mut g = 0usize;
    for s in &eval.scores {
        if s.iter().any(|&x| x != 0.0) {
            g += 1;
            b += s * s.transpose();
        }
    }
    if g > 1 {
        b *= g as f64 / (g as f64 - 1.0);
    }
    let sandwich = &inv * b * &inv;
    Ok(Covariances {
        oim: inv,
        sandwich,
        eigenvalues,
        eigenvectors,
    })
}

/// One profile: ℓ_p at θ̂_a + c·SE for c in [`PROFILE_GRID`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Profile {
    /// Internal-scale values of the parameter.
    pub values: Vec<f64>,
    /// 2(ℓ̂ − ℓ_p) at each value.
    pub lr: Vec<f64>,
    /// Where the profile crosses [`CHI2_95`] below and above θ̂ (internal scale), if within the grid.
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub converged: bool,
}

/// The profile of parameter `a` around the maximum `theta` with observed-information SE `se`.
pub fn profile(problem: &Problem, theta: &[f64], loglik: f64, a: usize, se: f64) -> Profile {
    let mut fixed = vec![false; theta.len()];
    fixed[a] = true;
    let mut values = Vec::new();
    let mut lr = Vec::new();
    let mut converged = true;
    for c in PROFILE_GRID {
        let mut start = theta.to_vec();
        start[a] = theta[a] + c * se;
        let opt = maximise(problem, &start, &fixed);
        converged &= opt.converged;
        values.push(start[a]);
        lr.push((2.0 * (loglik - opt.eval.loglik)).max(0.0));
    }
    let mid = PROFILE_GRID.len() / 2;
    let cross = |range: Vec<usize>| {
        range.windows(2).find_map(|w| {
            let (inner, outer) = (w[0], w[1]);
            (lr[inner] < CHI2_95 && lr[outer] >= CHI2_95).then(|| {
                let f = (CHI2_95 - lr[inner]) / (lr[outer] - lr[inner]);
                values[inner] + f * (values[outer] - values[inner])
            })
        })
    };
    let low = cross((0..=mid).rev().collect());
    let high = cross((mid..PROFILE_GRID.len()).collect());
    Profile {
        values,
        lr,
        low,
        high,
        converged,
    }
}

/// Whether a profile flags its parameter as weakly identified (see the module header).
pub fn weak(p: &Profile, estimate: f64, se: f64) -> bool {
    let half = Z_975 * se;
    match (p.low, p.high) {
        (Some(l), Some(h)) => ((estimate - l) - half).abs() > 0.5 * half || ((h - estimate) - half).abs() > 0.5 * half,
        _ => true,
    }
}

/// The standard errors (square roots of the diagonal) of a covariance.
pub fn standard_errors(v: &DMatrix<f64>) -> DVector<f64> {
    DVector::from_iterator(v.nrows(), (0..v.nrows()).map(|r| v[(r, r)].max(0.0).sqrt()))
}
