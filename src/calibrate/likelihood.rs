//! The log-likelihood of observed decisions under the model's choice rule, with its analytic
//! gradient and Hessian, and the score of each cluster (state) for the sandwich.
//!
//! One observation: a cell (state i, domain d) in year t, whose framework at t − 1 is `from` with
//! probability `prior` (one branch with prior 1 when it is known), is seen in the set S at t. Under
//! the model the cell revises with probability ρ_d and then picks k with p_k = softmax(v)_k, so
//!
//! ```text
//! P = Σ_j prior_j [(1 − ρ) 1{j ∈ S} + ρ q_j],   q_j = Σ_{k∈S} p_k(v_j),
//! v_jk = fixed_jk + Σ_a θ_a slope_jak
//! ```
//!
//! (v is λ times the utility: the free weights and costs enter linearly). With s_k = 1{k ∈ S},
//! ∂q/∂v_k = p_k (s_k − q) and ∂²q/∂v_k∂v_l = p_k (δ_kl − p_l)(s_k − q) − p_k p_l (s_l − q); a free
//! revision rate enters as ρ = 1/(1 + e^{−η}). ℓ = Σ ln P.

use nalgebra::{DMatrix, DVector};

/// The revision rate of an observation's domain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    Fixed(f64),
    /// The index of the free parameter η = logit ρ.
    Free(usize),
}

/// One possible previous framework of an observed cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    pub prior: f64,
    pub from: u8,
    /// v_k at θ = 0, `[k]`.
    pub fixed: Vec<f64>,
    /// ∂v_k/∂θ_a, `[a*K + k]` (zero for a revision rate).
    pub slope: Vec<f64>,
}

/// One observed cell-year.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The state (cluster of the sandwich).
    pub cluster: usize,
    pub rate: Rate,
    /// S as a mask over frameworks.
    pub outcome: u8,
    pub branches: Vec<Branch>,
}

/// Everything the likelihood needs.
#[derive(Debug, Clone)]
pub struct Problem {
    pub frameworks: usize,
    pub params: usize,
    pub clusters: usize,
    pub obs: Vec<Observation>,
}

/// ℓ, its gradient and Hessian at one θ, and the score summed per cluster.
#[derive(Debug, Clone)]
pub struct Eval {
    pub loglik: f64,
    pub grad: DVector<f64>,
    pub hess: DMatrix<f64>,
    /// `[cluster]`: Σ of the gradients of that cluster's observations.
    pub scores: Vec<DVector<f64>>,
}

impl Problem {
    /// The same problem without observations.
    pub fn clone_empty(&self) -> Problem {
        Problem { obs: Vec::new(), ..*self }
    }
    /// ℓ alone (cheaper than [`Problem::eval`]).
    pub fn loglik(&self, theta: &[f64]) -> f64 {
        self.obs.iter().map(|o| self.prob(o, theta, None).ln()).sum()
    }

    /// P of one observation at `theta`.
    pub fn probability(&self, o: &Observation, theta: &[f64]) -> f64 {
        self.prob(o, theta, None)
    }

    /// ℓ, gradient, Hessian and cluster scores at `theta`.
    pub fn eval(&self, theta: &[f64]) -> Eval {
        let np = self.params;
        let mut e = Eval {
            loglik: 0.0,
            grad: DVector::zeros(np),
            hess: DMatrix::zeros(np, np),
            scores: vec![DVector::zeros(np); self.clusters],
        };
        let mut dp = vec![0.0; np];
        let mut d2p = vec![0.0; np * np];
        for o in &self.obs {
            dp.iter_mut().for_each(|x| *x = 0.0);
            d2p.iter_mut().for_each(|x| *x = 0.0);
            let p = self.prob(o, theta, Some((&mut dp, &mut d2p)));
            e.loglik += p.ln();
            for a in 0..np {
                let ga = dp[a] / p;
                e.grad[a] += ga;
                e.scores[o.cluster][a] += ga;
                for b in 0..np {
                    e.hess[(a, b)] += d2p[a * np + b] / p - ga * dp[b] / p;
                }
            }
        }
        e
    }

    /// P of one observation, adding ∂P and ∂²P into `derivs` when given.
    fn prob(&self, o: &Observation, theta: &[f64], mut derivs: Option<(&mut [f64], &mut [f64])>) -> f64 {
        let (k, np) = (self.frameworks, self.params);
        let (rho, rate_index) = match o.rate {
            Rate::Fixed(r) => (r, None),
            Rate::Free(a) => (1.0 / (1.0 + (-theta[a]).exp()), Some(a)),
        };
        let d1 = rho * (1.0 - rho);
        let s = |kk: usize| if o.outcome >> kk & 1 == 1 { 1.0 } else { 0.0 };
        let mut total = 0.0;
        let mut v = vec![0.0; k];
        let mut pk = vec![0.0; k];
        let mut dq = vec![0.0; np];
        let mut dqdv = vec![0.0; k];
        for br in &o.branches {
            for (kk, vk) in v.iter_mut().enumerate() {
                *vk = br.fixed[kk] + (0..np).map(|a| theta[a] * br.slope[a * k + kk]).sum::<f64>();
            }
            let max = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = v.iter().map(|x| (x - max).exp()).sum();
            for kk in 0..k {
                pk[kk] = (v[kk] - max).exp() / z;
            }
            let q: f64 = (0..k).map(|kk| s(kk) * pk[kk]).sum();
            let sj = s(br.from as usize);
            let pj = (1.0 - rho) * sj + rho * q;
            total += br.prior * pj;
            let Some((dp, d2p)) = derivs.as_mut() else { continue };
            for kk in 0..k {
                dqdv[kk] = pk[kk] * (s(kk) - q);
            }
            for (a, dqa) in dq.iter_mut().enumerate() {
                *dqa = (0..k).map(|kk| dqdv[kk] * br.slope[a * k + kk]).sum();
            }
            let w = br.prior;
            for a in 0..np {
                if Some(a) == rate_index {
                    dp[a] += w * d1 * (q - sj);
                } else {
                    dp[a] += w * rho * dq[a];
                }
            }
            // ∂²q/∂θ_a∂θ_b = Σ_kl z_ak z_bl H_kl, H_kl = p_k(δ_kl − p_l)(s_k − q) − p_k p_l (s_l − q).
            for a in 0..np {
                for b in a..np {
                    let value = match (Some(a) == rate_index, Some(b) == rate_index) {
                        (true, true) => d1 * (1.0 - 2.0 * rho) * (q - sj),
                        (true, false) => d1 * dq[b],
                        (false, true) => d1 * dq[a],
                        (false, false) => {
                            let mut h = 0.0;
                            for kk in 0..k {
                                let za = br.slope[a * k + kk];
                                if za == 0.0 {
                                    continue;
                                }
                                for l in 0..k {
                                    let zb = br.slope[b * k + l];
                                    let delta = if kk == l { 1.0 } else { 0.0 };
                                    let hkl = pk[kk] * (delta - pk[l]) * (s(kk) - q) - pk[kk] * pk[l] * (s(l) - q);
                                    h += za * zb * hkl;
                                }
                            }
                            rho * h
                        }
                    };
                    d2p[a * np + b] += w * value;
                    if a != b {
                        d2p[b * np + a] += w * value;
                    }
                }
            }
        }
        total
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small problem with two utility parameters, a free rate and mixed priors.
    pub(crate) fn toy() -> Problem {
        let k = 3;
        let mut obs = Vec::new();
        for i in 0..12 {
            let x = i as f64 / 6.0 - 1.0;
            let slope = vec![x, 0.0, -x, 0.5, -0.2 * x, 0.1, 0.0, 0.0, 0.0];
            let branch = |from: u8, prior: f64| Branch {
                prior,
                from,
                fixed: vec![0.1 * from as f64, -0.3, 0.2],
                slope: slope.clone(),
            };
            obs.push(Observation {
                cluster: i % 4,
                rate: Rate::Free(2),
                outcome: [0b001, 0b110, 0b011, 0b100][i % 4],
                branches: vec![branch(0, 0.7), branch(2, 0.3)],
            });
        }
        Problem {
            frameworks: k,
            params: 3,
            clusters: 4,
            obs,
        }
    }

    #[test]
    fn gradient_and_hessian_match_finite_differences() {
        let p = toy();
        let theta = [0.4, -0.7, -1.2];
        let e = p.eval(&theta);
        assert!((e.loglik - p.loglik(&theta)).abs() < 1e-12);
        let h = 1e-5;
        for a in 0..3 {
            let mut up = theta;
            let mut dn = theta;
            up[a] += h;
            dn[a] -= h;
            let fd = (p.loglik(&up) - p.loglik(&dn)) / (2.0 * h);
            // Central differences err by O(h²·ℓ''') ~ 1e-10 here, plus rounding ~ 1e-16·|ℓ|/h.
            assert!((fd - e.grad[a]).abs() < 1e-7, "gradient {a}: {fd} vs {}", e.grad[a]);
            let (gu, gd) = (p.eval(&up).grad, p.eval(&dn).grad);
            for b in 0..3 {
                let fd = (gu[b] - gd[b]) / (2.0 * h);
                assert!((fd - e.hess[(a, b)]).abs() < 1e-6, "hessian {a},{b}: {fd} vs {}", e.hess[(a, b)]);
            }
        }
        let total: DVector<f64> = e.scores.iter().sum();
        assert!((total - &e.grad).norm() < 1e-12);
    }
}
