//! What the maximum says: standard errors from the observed information, the state-clustered
//! sandwich and the state jackknife, 95% intervals, the weakest direction of the information, and
//! profile likelihoods that show which parameters the data identify only weakly.
//!
//! With A = −H(θ̂), s_c the score of state c and A_c = −H_c(θ̂) its Hessian contribution, over the G
//! states with observations:
//!
//! - the observed-information covariance is A⁻¹;
//! - the sandwich (CR1) is A⁻¹ B A⁻¹, B = G/(G − 1) Σ_c s_c s_cᵀ;
//! - the cluster jackknife (CR3) is ((G − 1)/G) Σ_c δ_c δ_cᵀ with δ_c = θ̂_(−c) − θ̂ ≈ −(A − A_c)⁻¹ s_c,
//!   one Newton step of the likelihood without state c (ℓ − ℓ_c) from θ̂. It is centred at θ̂, not
//!   at the mean of the δ_c: this is the CV₃ of MacKinnon, Nielsen & Webb (2023, "Cluster-robust
//!   inference: a guide to empirical practice", J. Econometrics), which for least squares is exactly
//!   the CR3 of Bell & McCaffrey (2002), and it exceeds the centred jackknife by
//!   (G − 1) δ̄ δ̄ᵀ (δ̄ the mean δ_c), so it errs towards the conservative side. A state whose A − A_c is not
//!   positive definite (without it the rest of the panel does not identify θ by this step) takes
//!   δ_c = −A⁻¹ s_c, the sandwich's own term, and is counted.
//!
//! The jackknife is the one the intervals use. The real panel's likelihood is a composite (several
//! indicators of one cell are treated as separate histories), for which A⁻¹ is not the covariance,
//! so a cluster-robust estimate is needed; and with ~60 adoptions over 183 states the scores are
//! concentrated in a few states, i.e. the clusters are few in effect and very unbalanced in
//! leverage, where CR1 is biased downwards and the literature above recommends CR3. Intervals are
//! θ̂ ± 1.96 SE on the internal scale, mapped to the parameter's own scale.
//!
//! A profile fixes one parameter on a grid of ±3 observed-information SEs and maximises ℓ over the
//! others; its 95% interval is where 2(ℓ̂ − ℓ_p) crosses 3.84 (χ²₁). A parameter is flagged weakly
//! identified when the profile does not reach 3.84 within the grid on one side, or when the
//! profile interval and the Wald interval differ by more than half a Wald half-width.

use nalgebra::{Cholesky, DMatrix, DVector, SymmetricEigen};

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
    /// Inverse observed information.
    pub oim: DMatrix<f64>,
    /// CR1.
    pub sandwich: DMatrix<f64>,
    /// CR3, the one-step cluster jackknife.
    pub jackknife: DMatrix<f64>,
    /// The states with observations (G).
    pub clusters: usize,
    /// The states whose A − A_c is not positive definite, where the jackknife used −A⁻¹ s_c.
    pub jackknife_fallbacks: usize,
    /// Eigenvalues of the information scaled to unit diagonal (a correlation-like matrix), smallest
    /// first, with their eigenvectors as columns.
    pub eigenvalues: Vec<f64>,
    /// Their eigenvectors, as columns.
    pub eigenvectors: DMatrix<f64>,
}

/// The covariances at a maximum, or the direction the information does not identify. `eval` must
/// come from [`Problem::eval_clustered`] (per-state Hessians) for the jackknife; without them the
/// jackknife is computed with A_c = 0.
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
    let mut jack = DMatrix::zeros(n, n);
    let mut g = 0usize;
    let mut fallbacks = 0usize;
    for (c, s) in eval.scores.iter().enumerate() {
        if eval.members.get(c).is_some_and(|&m| m == 0) {
            continue;
        }
        g += 1;
        b += s * s.transpose();
        let without = match eval.hessians.get(c) {
            Some(h_c) => &a + h_c,
            None => a.clone(),
        };
        let delta = match Cholesky::new(without) {
            Some(ch) if ch.l().diagonal().iter().all(|x| x.is_finite() && *x > 0.0) => ch.solve(s),
            _ => {
                fallbacks += 1;
                &inv * s
            }
        };
        jack += &delta * delta.transpose();
    }
    if g > 1 {
        b *= g as f64 / (g as f64 - 1.0);
        jack *= (g as f64 - 1.0) / g as f64;
    }
    let sandwich = &inv * b * &inv;
    Ok(Covariances {
        oim: inv,
        sandwich,
        jackknife: jack,
        clusters: g,
        jackknife_fallbacks: fallbacks,
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
    /// The crossing above θ̂ (see `low`).
    pub high: Option<f64>,
    /// Whether every maximisation of the profile converged.
    pub converged: bool,
}

/// The profile of parameter `a` around the maximum `theta` with observed-information SE `se`.
pub fn profile(problem: &Problem, theta: &[f64], loglik: f64, a: usize, se: f64) -> Profile {
    let mut fixed = vec![false; theta.len()];
    fixed[a] = true;
    let mid = PROFILE_GRID.len() / 2;
    let values: Vec<f64> = PROFILE_GRID.iter().map(|c| theta[a] + c * se).collect();
    let mut lr = vec![0.0; PROFILE_GRID.len()];
    let mut converged = true;
    // Outward from the maximum on each side, each point starting from its inner neighbour's
    // optimum (continuation: far fewer Newton steps than restarting from θ̂ where ℓ is flat).
    for side in [(0..=mid).rev().collect::<Vec<usize>>(), (mid..PROFILE_GRID.len()).collect()] {
        let mut start = theta.to_vec();
        for g in side {
            start[a] = values[g];
            let opt = maximise(problem, &start, &fixed);
            converged &= opt.converged;
            lr[g] = (2.0 * (loglik - opt.eval.loglik)).max(0.0);
            start = opt.theta.clone();
        }
    }
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

/// The correlation of the slopes of parameters `a` and `b` over every branch and framework
/// (`slopes`, one `[a*K + k]` per branch, as [`super::likelihood::Problem::utility_slopes`] gives
/// them), each centred over the frameworks of its branch (only differences of utilities enter the
/// logit); None when either does not vary.
pub fn slope_correlation(slopes: &[Vec<f64>], k: usize, a: usize, b: usize) -> Option<f64> {
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for slope in slopes {
        let (x, y) = (&slope[a * k..(a + 1) * k], &slope[b * k..(b + 1) * k]);
        let (mx, my) = (x.iter().sum::<f64>() / k as f64, y.iter().sum::<f64>() / k as f64);
        for (xi, yi) in x.iter().zip(y) {
            let (dx, dy) = (xi - mx, yi - my);
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slopes that are an affine function of each other (per branch, over the frameworks) have
    /// correlation ±1; the likelihood test problem's two utility slopes are partly correlated.
    #[test]
    fn slope_correlation_is_that_of_the_centred_slopes() {
        let mut p = crate::calibrate::likelihood::tests::toy();
        assert!(
            slope_correlation(&p.utility_slopes(&[0.0; 3]), 3, 0, 2).is_none(),
            "the rate's slope does not vary"
        );
        for br in p.obs.iter_mut().flat_map(|o| o.branches.iter_mut()) {
            for kk in 0..3 {
                br.slope[3 + kk] = 2.0 * br.slope[kk] + 5.0;
            }
        }
        assert!((slope_correlation(&p.utility_slopes(&[0.0; 3]), 3, 0, 1).unwrap() - 1.0).abs() < 1e-12);
        for br in p.obs.iter_mut().flat_map(|o| o.branches.iter_mut()) {
            for kk in 0..3 {
                br.slope[3 + kk] = -br.slope[kk];
            }
        }
        assert!((slope_correlation(&p.utility_slopes(&[0.0; 3]), 3, 0, 1).unwrap() + 1.0).abs() < 1e-12);
    }
    use crate::calibrate::likelihood::{Branch, Observation, Rate};

    /// A binary logit P(adopt) = 1/(1 + e^{−(θ₀ + θ₁ x + θ₂ z)}) over stand-alone observations in
    /// states of unbalanced sizes (2 to 30 observations, as a panel where a few states carry most
    /// of the information), outcomes drawn from θ = (−0.5, 1, ·) by a fixed generator. `z` is the
    /// feature of the third parameter (`None`: only two parameters).
    fn logit(z: Option<fn(usize) -> f64>) -> Problem {
        let sizes = [2usize, 30, 4, 12, 3, 25, 6, 2, 18, 8, 5, 20, 3, 10, 7, 15];
        let np = if z.is_some() { 3 } else { 2 };
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut obs = Vec::new();
        for (c, &m) in sizes.iter().enumerate() {
            for i in 0..m {
                let x = ((c * 31 + i * 17) % 41) as f64 / 20.0 - 1.0;
                let zz = z.map_or(0.0, |f| f(c));
                let v = -0.5 + x + 0.8 * zz;
                let adopt = uniform() < 1.0 / (1.0 + (-v).exp());
                let mut slope = vec![0.0, 1.0, 0.0, x];
                if z.is_some() {
                    slope.extend([0.0, zz]);
                }
                obs.push(Observation {
                    cluster: c,
                    rate: Rate::Fixed(1.0),
                    outcome: if adopt { 0b10 } else { 0b01 },
                    branches: vec![Branch {
                        prior: 1.0,
                        from: 0,
                        fixed: vec![0.0, 0.0],
                        slope,
                    }],
                    filter: None,
                    detection: None,
                    reads: None,
                });
            }
        }
        Problem {
            frameworks: 2,
            params: np,
            clusters: sizes.len(),
            obs,
            frontier: None,
        }
    }

    fn without(problem: &Problem, c: usize) -> Problem {
        Problem {
            obs: problem.obs.iter().filter(|o| o.cluster != c).cloned().collect(),
            ..problem.clone_empty()
        }
    }

    /// The one-step δ_c = −(A − A_c)⁻¹ s_c against the exact refit without state c. The step's
    /// error is what a second Newton step of ℓ − ℓ_c from θ̂ + δ_c would still move, ε_c; in the
    /// quadratic basin the exact refit is within O(ε_c²) of that, so the test asks the refit to be
    /// within 2|ε_c| of θ̂ + δ_c, and |ε_c| to be under a tenth of |δ_c| (the case is well
    /// conditioned: one step does most of the work). Empty states are skipped: the problem without
    /// state c still has `clusters` states, one with no observations, and counts G − 1.
    #[test]
    fn the_one_step_jackknife_matches_the_leave_one_state_out_refit() {
        let p = logit(None);
        let opt = maximise(&p, &[0.0, 0.0], &[false, false]);
        assert!(opt.converged);
        let e = p.eval_clustered(&opt.theta);
        let a = -&e.hess;
        let g = p.clusters;
        let mut jack = DMatrix::zeros(2, 2);
        for c in 0..g {
            let delta = -(&a + &e.hessians[c]).try_inverse().unwrap() * &e.scores[c];
            let one: Vec<f64> = opt.theta.iter().zip(delta.iter()).map(|(t, d)| t + d).collect();
            let q = without(&p, c);
            let refit = maximise(&q, &opt.theta, &[false, false]);
            assert!(refit.converged);
            let at = q.eval(&one);
            let eps = (-&at.hess).try_inverse().unwrap() * &at.grad;
            let err = (DVector::from_column_slice(&refit.theta) - DVector::from_column_slice(&one)).norm();
            assert!(eps.norm() < 0.1 * delta.norm(), "state {c}: ε {} vs δ {}", eps.norm(), delta.norm());
            assert!(err <= 2.0 * eps.norm() + 1e-10, "state {c}: error {err}, ε {}", eps.norm());
            jack += &delta * delta.transpose();
            if c == 0 {
                let cq = covariances(&q.eval_clustered(&refit.theta)).unwrap();
                assert_eq!((cq.clusters, cq.jackknife_fallbacks), (g - 1, 0));
            }
        }
        jack *= (g as f64 - 1.0) / g as f64;
        let cov = covariances(&e).unwrap();
        assert_eq!((cov.clusters, cov.jackknife_fallbacks), (g, 0));
        assert!((&cov.jackknife - &jack).norm() < 1e-12 * jack.norm());
        // CR3 ≥ CR1 in the psd sense here. It is not a theorem: (G − 1)/G against G/(G − 1) costs
        // CR3 a factor ((G − 1)/G)² = 0.88, which (A − A_c)⁻¹ ≥ A⁻¹ must make up; with states this
        // unbalanced in leverage it does, and by a margin.
        let diff = SymmetricEigen::new(&cov.jackknife - &cov.sandwich).eigenvalues;
        assert!(diff.iter().all(|&x| x > 0.0), "CR3 − CR1 eigenvalues {diff:?}");
        eprintln!(
            "SE CR1 {:?}, CR3 {:?}",
            standard_errors(&cov.sandwich).as_slice(),
            standard_errors(&cov.jackknife).as_slice()
        );
    }

    /// A parameter that only one state's observations move: without that state the rest of the
    /// panel does not identify it, A − A_c is singular, and the jackknife takes the sandwich's term
    /// −A⁻¹ s_c for that state and counts it, without failing.
    #[test]
    fn a_state_whose_removal_leaves_the_information_singular_falls_back() {
        let p = logit(Some(|c| if c == 1 { 1.0 } else { 0.0 }));
        let opt = maximise(&p, &[0.0; 3], &[false; 3]);
        assert!(opt.converged);
        let cov = covariances(&p.eval_clustered(&opt.theta)).unwrap();
        assert_eq!((cov.clusters, cov.jackknife_fallbacks), (16, 1));
        assert!(cov.jackknife.iter().all(|x| x.is_finite()));
        assert!(standard_errors(&cov.jackknife).iter().all(|&x| x > 0.0));
    }
}
