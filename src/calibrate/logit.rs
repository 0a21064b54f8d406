//! A weighted binary logit fitted by maximum likelihood with Newton's method on nalgebra: the
//! engine of the event-history baselines ([`super::hazard`]).
//!
//! With rows x_r, outcomes y_r ∈ {0, 1}, weights w_r and p_r = 1/(1 + e^{−x_r·β}),
//!
//! ```text
//! ℓ = Σ w_r [y_r ln p_r + (1 − y_r) ln(1 − p_r)],  ∇ℓ = Σ w_r (y_r − p_r) x_r,  −∇²ℓ = Σ w_r p_r (1 − p_r) x_r x_rᵀ.
//! ```
//!
//! ℓ is concave, so Newton steps halved until ℓ does not fall reach the maximum when it exists;
//! the iteration stops when the Newton decrement gᵀ(−H)⁻¹g / 2 falls below [`TOLERANCE`]
//! (and, with the penalty below, every coordinate of the step below [`STEP_TOLERANCE`]). The
//! standard errors are the square roots of the diagonal of the inverse information I = −H.
//!
//! **Firth's penalty** (optional; Firth 1993, Heinze and Schemper 2002): maximise
//! ℓ* = ℓ + ½ ln det I(β), whose score is Σ [w_r (y_r − p_r) + h_r (½ − p_r)] x_r with h_r the
//! diagonal of the hat matrix, h_r = w_r p_r (1 − p_r) x_rᵀ I⁻¹ x_r; the steps are I⁻¹ times that
//! score, halved until ℓ* does not fall. Its estimate is finite under separation (a regressor
//! that splits the adoptions from the rest, or an indicator without adoption), where the MLE does
//! not exist; with per-group constants only it is (events + ½)/(cases + 1) in every group.
//! (The calibration's own [`super::likelihood::Problem`] and its Newton have neither weights nor
//! this penalty; hence this small separate solver.)

use nalgebra::{DMatrix, DVector};

use crate::error::Error;

/// Newton iterations before giving up.
pub const MAX_ITERATIONS: usize = 100;
/// Stop when a full Newton step would raise ℓ by less than this.
pub const TOLERANCE: f64 = 1e-10;
/// With Firth's penalty, stop only once no coordinate of the step exceeds this either.
pub const STEP_TOLERANCE: f64 = 1e-10;
/// A variance beyond this (information below 1e-6 on a regressor) marks separation: every row
/// adds p(1 − p)x² to the information, and the baselines' regressors are standardised.
pub const MAX_VARIANCE: f64 = 1e6;

/// ℓ, its gradient and the information −∇²ℓ at one β.
#[derive(Debug, Clone)]
pub struct Eval {
    /// ℓ (ℓ* with Firth's penalty).
    pub loglik: f64,
    /// Gradient of ℓ with respect to β.
    pub grad: DVector<f64>,
    /// Information −∇²ℓ.
    pub info: DMatrix<f64>,
}

/// The maximum: β̂, its standard errors, ℓ(β̂) (ℓ*(β̂) with the penalty) and the Newton
/// iterations taken.
#[derive(Debug, Clone)]
pub struct Fit {
    /// Coefficients β̂, in column order.
    pub beta: Vec<f64>,
    /// Their standard errors from the information.
    pub se: Vec<f64>,
    /// ℓ(β̂), ℓ*(β̂) with the penalty.
    pub loglik: f64,
    /// Newton iterations taken.
    pub iterations: usize,
}

/// ln(1 + e^x) without overflow.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// 1/(1 + e^{−η}).
pub fn logistic(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
}

/// ℓ alone.
pub fn loglik(x: &DMatrix<f64>, y: &[bool], w: &[f64], beta: &DVector<f64>) -> f64 {
    -(0..x.nrows())
        .map(|r| {
            let eta = x.row(r).dot(&beta.transpose());
            w[r] * softplus(if y[r] { -eta } else { eta })
        })
        .sum::<f64>()
}

/// ℓ* = ℓ + ½ ln det I, its score and I at `beta` (None when I is singular).
pub fn penalised(x: &DMatrix<f64>, y: &[bool], w: &[f64], beta: &DVector<f64>) -> Option<Eval> {
    let mut e = eval(x, y, w, beta);
    let ch = e.info.clone().cholesky()?;
    let l = ch.l();
    e.loglik += (0..l.nrows()).map(|a| l[(a, a)].ln()).sum::<f64>();
    for (r, &wr) in w.iter().enumerate().take(x.nrows()) {
        let row = x.row(r).transpose();
        let pr = logistic(row.dot(beta));
        let v = l.solve_lower_triangular(&row)?;
        let h = wr * pr * (1.0 - pr) * v.norm_squared();
        e.grad += row * (h * (0.5 - pr));
    }
    Some(e)
}

/// ℓ, gradient and information at `beta`.
pub fn eval(x: &DMatrix<f64>, y: &[bool], w: &[f64], beta: &DVector<f64>) -> Eval {
    let p = x.ncols();
    let mut e = Eval {
        loglik: 0.0,
        grad: DVector::zeros(p),
        info: DMatrix::zeros(p, p),
    };
    for r in 0..x.nrows() {
        let row = x.row(r);
        let eta = row.dot(&beta.transpose());
        let pr = logistic(eta);
        e.loglik -= w[r] * softplus(if y[r] { -eta } else { eta });
        let resid = w[r] * (f64::from(u8::from(y[r])) - pr);
        let curv = w[r] * pr * (1.0 - pr);
        for a in 0..p {
            e.grad[a] += resid * row[a];
            for b in a..p {
                e.info[(a, b)] += curv * row[a] * row[b];
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            e.info[(a, b)] = e.info[(b, a)];
        }
    }
    e
}

/// Maximise ℓ (or ℓ* with `firth`) from β = 0; `names` label the columns in the error messages.
pub fn fit(x: &DMatrix<f64>, y: &[bool], w: &[f64], names: &[String], firth: bool) -> Result<Fit, Error> {
    let objective = |beta: &DVector<f64>| {
        if firth {
            penalised(x, y, w, beta)
        } else {
            Some(eval(x, y, w, beta))
        }
    };
    let mut beta = DVector::zeros(x.ncols());
    let zero = Eval {
        loglik: 0.0,
        grad: DVector::zeros(0),
        info: DMatrix::zeros(x.ncols(), x.ncols()),
    };
    let mut e = objective(&beta).ok_or_else(|| singular_error(&zero, names))?;
    let singular = |e: &Eval| singular_error(e, names);
    for iteration in 0..MAX_ITERATIONS {
        let ch = e.info.clone().cholesky().ok_or_else(|| singular(&e))?;
        let step = ch.solve(&e.grad);
        let near = 0.5 * e.grad.dot(&step) < TOLERANCE;
        // The penalised steps use I, not −∇²ℓ*: they converge linearly, hence the step bound;
        // so close to the maximum ℓ* no longer changes beyond rounding, so the steps are full.
        if near && firth && step.amax() >= STEP_TOLERANCE {
            beta += &step;
            e = objective(&beta).ok_or_else(|| singular(&e))?;
            continue;
        }
        if near {
            let last = &beta + &step;
            if let Some(last_eval) = objective(&last)
                && last_eval.loglik >= e.loglik
            {
                beta = last;
                e = last_eval;
            }
            let inv = e.info.clone().cholesky().ok_or_else(|| singular(&e))?.inverse();
            let se: Vec<f64> = (0..inv.nrows()).map(|a| inv[(a, a)].sqrt()).collect();
            // Under separation ℓ creeps towards its supremum along a direction of vanishing
            // information: the steps end with that coefficient's variance beyond MAX_VARIANCE.
            if let Some(a) = (0..se.len()).find(|&a| se[a].is_nan() || se[a] * se[a] > MAX_VARIANCE) {
                return Err(separated(&names[a]));
            }
            return Ok(Fit {
                beta: beta.iter().copied().collect(),
                se,
                loglik: e.loglik,
                iterations: iteration,
            });
        }
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..50 {
            let trial = &beta + &step * t;
            let better = if firth {
                objective(&trial).filter(|f| f.loglik >= e.loglik)
            } else {
                (loglik(x, y, w, &trial) >= e.loglik).then(|| eval(x, y, w, &trial))
            };
            if let Some(f) = better {
                beta = trial;
                e = f;
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            break;
        }
    }
    Err(separated(&format!(
        "a coefficient (no convergence in {MAX_ITERATIONS} Newton steps)"
    )))
}

fn singular_error(e: &Eval, names: &[String]) -> Error {
    let diag = (0..e.info.nrows())
        .filter(|&a| e.info[(a, a)] <= 0.0)
        .map(|a| names[a].as_str())
        .collect::<Vec<_>>();
    Error::Usage(format!(
        "the hazard baseline's information is singular (collinear regressors{}{}); the fit sample does not identify its coefficients",
        if diag.is_empty() { "" } else { "; no information on " },
        diag.join(", ")
    ))
}

fn separated(what: &str) -> Error {
    Error::Usage(format!(
        "the hazard baseline's logit has no maximum: {what} separates the adoptions from the other \
         cell-years (its information vanishes), so its maximum likelihood estimate does not exist"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2×2 table: 3 of 10 adopt at x = 0, 7 of 12 at x = 1. The maximum is α̂ = ln(3/7),
    /// β̂ = ln(7/5) − ln(3/7) (the log odds ratio), with SE(α̂)² = 1/3 + 1/7 and
    /// SE(β̂)² = 1/3 + 1/7 + 1/7 + 1/5 (Woolf).
    #[test]
    fn a_two_by_two_table_has_its_closed_form_maximum() {
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for (x, events, n) in [(0.0, 3, 10), (1.0, 7, 12)] {
            for r in 0..n {
                rows.extend([1.0, x]);
                y.push(r < events);
            }
        }
        let x = DMatrix::from_row_slice(y.len(), 2, &rows);
        let f = fit(&x, &y, &vec![1.0; y.len()], &["a".into(), "b".into()], false).unwrap();
        let (a, b) = ((3.0f64 / 7.0).ln(), (7.0f64 / 5.0).ln() - (3.0f64 / 7.0).ln());
        assert!((f.beta[0] - a).abs() < 1e-9 && (f.beta[1] - b).abs() < 1e-9, "{:?}", f.beta);
        let se_a = (1.0 / 3.0 + 1.0 / 7.0_f64).sqrt();
        let se_b = (1.0 / 3.0 + 1.0 / 7.0 + 1.0 / 7.0 + 1.0 / 5.0_f64).sqrt();
        assert!((f.se[0] - se_a).abs() < 1e-9 && (f.se[1] - se_b).abs() < 1e-9, "{:?}", f.se);
        // ℓ̂ = Σ n [p̂ ln p̂ + (1 − p̂) ln(1 − p̂)] per cell.
        let cell = |e: f64, n: f64| e * (e / n).ln() + (n - e) * (1.0 - e / n).ln();
        assert!((f.loglik - cell(3.0, 10.0) - cell(7.0, 12.0)).abs() < 1e-9);
        // Firth's estimate of a saturated table adds ½ to every cell (each cell's hat values sum
        // to 1): α* = ln(3.5/7.5), β* = ln(7.5/5.5) − ln(3.5/7.5).
        let f = fit(&x, &y, &vec![1.0; y.len()], &["a".into(), "b".into()], true).unwrap();
        let (a, b) = ((3.5f64 / 7.5).ln(), (7.5f64 / 5.5).ln() - (3.5f64 / 7.5).ln());
        assert!((f.beta[0] - a).abs() < 1e-8 && (f.beta[1] - b).abs() < 1e-8, "{:?}", f.beta);
    }

    /// Nine weighted rows of three regressors (a constant and two covariates) and a point to
    /// differentiate at.
    fn nine_rows() -> (DMatrix<f64>, Vec<bool>, Vec<f64>, DVector<f64>) {
        let n = 9;
        let rows: Vec<f64> = (0..n)
            .flat_map(|r| [1.0, r as f64 / 4.0 - 1.0, ((r * 7) % 5) as f64 / 2.0])
            .collect();
        let x = DMatrix::from_row_slice(n, 3, &rows);
        let y: Vec<bool> = (0..n).map(|r| r % 3 == 1 || r == 8).collect();
        let w: Vec<f64> = (0..n).map(|r| 0.5 + r as f64 / 8.0).collect();
        (x, y, w, DVector::from_vec(vec![0.3, -0.8, 0.4]))
    }

    #[test]
    fn gradient_and_information_match_finite_differences() {
        let (x, y, w, beta) = nine_rows();
        let e = eval(&x, &y, &w, &beta);
        assert!((e.loglik - loglik(&x, &y, &w, &beta)).abs() < 1e-12);
        let h = 1e-5;
        for a in 0..3 {
            let (mut up, mut dn) = (beta.clone(), beta.clone());
            up[a] += h;
            dn[a] -= h;
            // Central differences err by O(h²·ℓ''') ~ 1e-10, plus rounding ~ 1e-16·|ℓ|/h.
            let fd = (loglik(&x, &y, &w, &up) - loglik(&x, &y, &w, &dn)) / (2.0 * h);
            assert!((fd - e.grad[a]).abs() < 1e-7, "gradient {a}: {fd} vs {}", e.grad[a]);
            let (gu, gd) = (eval(&x, &y, &w, &up).grad, eval(&x, &y, &w, &dn).grad);
            for b in 0..3 {
                let fd = -(gu[b] - gd[b]) / (2.0 * h);
                assert!(
                    (fd - e.info[(a, b)]).abs() < 1e-6,
                    "information {a},{b}: {fd} vs {}",
                    e.info[(a, b)]
                );
            }
        }
    }

    #[test]
    fn the_penalised_score_matches_finite_differences_of_the_penalised_loglik() {
        let (x, y, w, beta) = nine_rows();
        let e = penalised(&x, &y, &w, &beta).unwrap();
        let h = 1e-5;
        for a in 0..3 {
            let (mut up, mut dn) = (beta.clone(), beta.clone());
            up[a] += h;
            dn[a] -= h;
            let f = |b: &DVector<f64>| penalised(&x, &y, &w, b).unwrap().loglik;
            let fd = (f(&up) - f(&dn)) / (2.0 * h);
            assert!((fd - e.grad[a]).abs() < 1e-7, "penalised score {a}: {fd} vs {}", e.grad[a]);
        }
    }

    #[test]
    fn separation_is_an_error_of_the_mle_only_and_collinearity_of_both() {
        let x = DMatrix::from_row_slice(4, 2, &[1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
        let names = ["a".to_string(), "b".to_string()];
        let separated = [false, false, true, true];
        let err = fit(&x, &separated, &[1.0; 4], &names, false).unwrap_err();
        assert!(err.to_string().contains("separates"), "{err}");
        // Firth: ½ added to each cell of the 2×2 table, 0.5/2.5 and 2.5/0.5 odds.
        let f = fit(&x, &separated, &[1.0; 4], &names, true).unwrap();
        assert!((f.beta[1] - 2.0 * 5.0f64.ln()).abs() < 1e-8, "{:?}", f.beta);
        let x = DMatrix::from_row_slice(3, 2, &[1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
        let err = fit(&x, &[false, true, false], &[1.0; 3], &names, false).unwrap_err();
        assert!(err.to_string().contains("singular"), "{err}");
    }
}
