//! Maximisation of the log-likelihood: Newton steps on the analytic Hessian, damped towards
//! gradient ascent (Levenberg–Marquardt) whenever the Hessian is not negative definite or a full
//! step does not raise ℓ, on nalgebra.
//!
//! Some coordinates can be held fixed (a profile likelihood maximises over the others). The
//! iteration stops when the Newton decrement gᵀ(−H)⁻¹g / 2 (the gain a full step would bring in
//! ℓ) falls below `1e-10`, after one last full step (which, in the quadratic basin, leaves an error
//! of the order of the square of the last one), or after [`MAX_ITERATIONS`].

use nalgebra::{DMatrix, DVector};

use super::likelihood::{Eval, Problem};

/// Newton iterations before giving up.
pub const MAX_ITERATIONS: usize = 200;

/// Stop when a full Newton step would raise ℓ by less than this.
pub const TOLERANCE: f64 = 1e-10;

/// Where the iteration ended.
#[derive(Debug, Clone)]
pub struct Optimum {
    /// θ at the end, internal scale.
    pub theta: Vec<f64>,
    /// ℓ and its derivatives there.
    pub eval: Eval,
    /// Newton iterations taken.
    pub iterations: usize,
    /// Whether a full step would have raised ℓ by less than [`TOLERANCE`] (else [`MAX_ITERATIONS`] ran out).
    pub converged: bool,
}

/// Maximise ℓ from `start`, keeping the coordinates with `fixed[a]` at their start value.
pub fn maximise(problem: &Problem, start: &[f64], fixed: &[bool]) -> Optimum {
    let free: Vec<usize> = (0..start.len()).filter(|&a| !fixed[a]).collect();
    let mut theta = start.to_vec();
    let mut eval = problem.eval(&theta);
    let mut mu = 0.0_f64;
    for iteration in 0..MAX_ITERATIONS {
        let m = free.len();
        if m == 0 {
            return Optimum {
                theta,
                eval,
                iterations: iteration,
                converged: true,
            };
        }
        let g = DVector::from_iterator(m, free.iter().map(|&a| eval.grad[a]));
        let neg_h = DMatrix::from_fn(m, m, |r, c| -eval.hess[(free[r], free[c])]);
        // The decrement at the undamped Newton step, when −H is positive definite.
        if let Some(ch) = neg_h.clone().cholesky() {
            let step = ch.solve(&g);
            if 0.5 * g.dot(&step) < TOLERANCE {
                let (theta, eval) = last_step(problem, &free, &step, theta, eval);
                return Optimum {
                    theta,
                    eval,
                    iterations: iteration,
                    converged: true,
                };
            }
        }
        if !damped_step(problem, &free, &g, &neg_h, &mut theta, &mut eval, &mut mu) {
            // No step raises ℓ at any damping: a stationary point to machine precision.
            let converged = g.amax() < 1e-6;
            return Optimum {
                theta,
                eval,
                iterations: iteration,
                converged,
            };
        }
    }
    Optimum {
        theta,
        eval,
        iterations: MAX_ITERATIONS,
        converged: false,
    }
}

/// Within the quadratic basin: one last full Newton `step` over the `free` coordinates squares the
/// remaining error; kept when it does not lower ℓ.
fn last_step(problem: &Problem, free: &[usize], step: &DVector<f64>, theta: Vec<f64>, eval: Eval) -> (Vec<f64>, Eval) {
    let mut last = theta.clone();
    for (r, &a) in free.iter().enumerate() {
        last[a] += step[r];
    }
    let last_eval = problem.eval(&last);
    if last_eval.loglik >= eval.loglik {
        (last, last_eval)
    } else {
        (theta, eval)
    }
}

/// One Levenberg–Marquardt step over the `free` coordinates from gradient `g` and −H `neg_h`: the
/// damping `mu` (relative to the largest diagonal entry) rises tenfold until a step does not lower
/// ℓ, which is taken (and the damping lowered tenfold); false when no step of 60 dampings is taken.
fn damped_step(
    problem: &Problem,
    free: &[usize],
    g: &DVector<f64>,
    neg_h: &DMatrix<f64>,
    theta: &mut Vec<f64>,
    eval: &mut Eval,
    mu: &mut f64,
) -> bool {
    let m = free.len();
    let scale = (0..m).map(|r| neg_h[(r, r)].abs()).fold(1e-8, f64::max);
    for _ in 0..60 {
        let damped = neg_h + DMatrix::identity(m, m) * (*mu * scale);
        let Some(ch) = damped.cholesky() else {
            *mu = if *mu == 0.0 { 1e-6 } else { *mu * 10.0 };
            continue;
        };
        let step = ch.solve(g);
        let mut trial = theta.clone();
        for (r, &a) in free.iter().enumerate() {
            trial[a] += step[r];
        }
        let ll = problem.loglik(&trial);
        if ll.is_finite() && ll >= eval.loglik {
            *theta = trial;
            *eval = problem.eval(theta);
            *mu *= 0.1;
            if *mu < 1e-12 {
                *mu = 0.0;
            }
            return true;
        }
        *mu = if *mu == 0.0 { 1e-6 } else { *mu * 10.0 };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::likelihood::{Branch, Observation, Rate};

    /// A conditional logit with one parameter and a known maximum: n₁ of n choices of framework 1
    /// between two alternatives whose utilities differ by β·1, revision certain (ρ = 1). The
    /// maximum is β̂ = ln(n₁ / (n − n₁)), and the information is n p (1 − p).
    #[test]
    fn a_binary_logit_has_its_closed_form_maximum() {
        let (n, n1) = (40, 29);
        let obs = (0..n)
            .map(|i| Observation {
                cluster: i,
                rate: Rate::Fixed(1.0),
                outcome: if i < n1 { 0b10 } else { 0b01 },
                branches: vec![Branch {
                    prior: 1.0,
                    from: 0,
                    fixed: vec![0.0, 0.0],
                    slope: vec![0.0, 1.0],
                }],
                filter: None,
                detection: None,
                reads: None,
            })
            .collect();
        let problem = Problem {
            frameworks: 2,
            params: 1,
            clusters: n,
            obs,
            frontier: None,
        };
        let opt = maximise(&problem, &[0.0], &[false]);
        assert!(opt.converged);
        let expected = (n1 as f64 / (n - n1) as f64).ln();
        assert!((opt.theta[0] - expected).abs() < 1e-8, "{} vs {expected}", opt.theta[0]);
        let p = n1 as f64 / n as f64;
        assert!((-opt.eval.hess[(0, 0)] - n as f64 * p * (1.0 - p)).abs() < 1e-8);
    }

    #[test]
    fn a_fixed_coordinate_stays_where_it_started() {
        let p = crate::calibrate::likelihood::tests::toy();
        let opt = maximise(&p, &[0.3, 0.0, -1.0], &[true, false, false]);
        assert_eq!(opt.theta[0], 0.3);
        assert!(opt.converged);
        assert!(opt.eval.grad[1].abs() < 1e-4 && opt.eval.grad[2].abs() < 1e-4);
    }
}
