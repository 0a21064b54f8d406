//! The log-likelihood of observed decisions under the model's choice rule, with its analytic
//! gradient and Hessian, and the score of each cluster (state) for the sandwich.
//!
//! **One step.** A cell (state i, domain d) whose framework at t − 1 is j revises with probability
//! ρ_d and then picks k with p_k(v_j) = softmax(v_j)_k, so its transition is
//!
//! ```text
//! T_jk = (1 − ρ) 1{k = j} + ρ p_k(v_j),   v_jk = fixed_jk + Σ_a θ_a slope_jak
//! ```
//!
//! (v is λ times the utility: the free weights, costs and constants enter linearly; a free
//! revision rate enters as ρ = 1/(1 + e^{−η})). An observation says that the cell is in the set S
//! at t. Given a distribution π over its framework at t − 1, its probability is the one-step
//! predictive
//!
//! ```text
//! P = Σ_j π_j Σ_{k∈S} T_jk
//! ```
//!
//! **The forward filter.** The observations of one history (a state, domain and indicator, see
//! [`Filter`]) are the years of one latent chain. The first year's π is the branches' priors (the
//! scenario's initial shares outside U, or a point mass when the previous framework is known);
//! every later year's π is the previous year's posterior
//!
//! ```text
//! π'_k = 1{k∈S} Σ_j π_j T_jk / P,
//! ```
//!
//! so the history's likelihood Π_t P_t is the forward algorithm's, normalised each year, and the
//! years a cell survived (stayed outside U) update what is known of its framework. A year whose
//! previous framework the panel knows restarts the filter from that point mass.
//!
//! **Derivatives.** The filter carries ∂π/∂θ and ∂²π/∂θ∂θᵀ through the recursion: with
//! α_k = 1{k∈S} Σ_j π_j T_jk, P = Σ_k α_k and π' = α/P,
//! ∂π' = (∂α − π' ∂P)/P and ∂²π'_ab = (∂²α_ab − ∂_aπ' ∂_bP − ∂_bπ' ∂_aP − π' ∂²P_ab)/P, where
//! ∂α and ∂²α follow from the product rule on π_j T_jk. For the softmax, with z_ak = ∂v_k/∂θ_a and
//! z̄_a = Σ_l p_l z_al, ∂p_k/∂θ_a = p_k (z_ak − z̄_a) and
//! ∂²p_k/∂θ_a∂θ_b = p_k [(z_ak − z̄_a)(z_bk − z̄_b) − Σ_l p_l (z_al − z̄_a)(z_bl − z̄_b)].
//! ℓ = Σ ln P, ∇ℓ = Σ ∇P/P and ∇²ℓ = Σ (∇²P/P − ∇P∇Pᵀ/P²): gradient and Hessian are analytic.
//! A history's scores all belong to its state, so the per-state scores sum to the gradient, and
//! (with [`Problem::eval_clustered`]) the per-state Hessians sum to the Hessian: the likelihood of
//! the panel without state g is exactly ℓ − ℓ_g, which the cluster jackknife
//! ([`super::inference`]) relies on.

use std::sync::Arc;

use nalgebra::{DMatrix, DVector};

use super::frontier::{Frontier, Run};

pub(in crate::calibrate) mod step;

pub use step::{Branch, Detection, Filter, Observation, Rate, Reads};
use step::{Dist, Scratch, Step};

/// Everything the likelihood needs.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Number of frameworks K.
    pub frameworks: usize,
    /// Number of free parameters (the length of θ).
    pub params: usize,
    /// Number of clusters (states with observations).
    pub clusters: usize,
    /// The observed cell-years.
    pub obs: Vec<Observation>,
    /// The partners' filtered frameworks that the observations with [`Observation::reads`] need.
    pub frontier: Option<Arc<Frontier>>,
}

/// ℓ, its gradient and Hessian at one θ, and the score summed per cluster.
#[derive(Debug, Clone)]
pub struct Eval {
    /// ℓ at θ.
    pub loglik: f64,
    /// Gradient ∇ℓ.
    pub grad: DVector<f64>,
    /// Hessian ∇²ℓ.
    pub hess: DMatrix<f64>,
    /// `[cluster]`: Σ of the gradients of that cluster's observations.
    pub scores: Vec<DVector<f64>>,
    /// `[cluster]`: the number of that cluster's observations.
    pub members: Vec<usize>,
    /// `[cluster]`: Σ of the Hessians of that cluster's observations; empty unless computed by
    /// [`Problem::eval_clustered`] (the Newton iterations do not need them).
    pub hessians: Vec<DMatrix<f64>>,
}

impl Problem {
    /// The same problem without observations.
    pub fn clone_empty(&self) -> Problem {
        Problem {
            obs: Vec::new(),
            frontier: self.frontier.clone(),
            ..*self
        }
    }

    /// The observations `keep` (in their order), with the frontier's evidence of every state that
    /// has observations here but none in `keep` removed: a fit that holds a state out sees none of
    /// its acts, not even through its partners' utilities.
    pub fn subset(&self, keep: &[usize]) -> Problem {
        let mut held = vec![false; self.clusters];
        self.obs.iter().for_each(|o| held[o.cluster] = true);
        keep.iter().for_each(|&i| held[self.obs[i].cluster] = false);
        Problem {
            obs: keep.iter().map(|&i| self.obs[i].clone()).collect(),
            frontier: self.frontier.as_ref().map(|f| match held.iter().any(|&h| h) {
                true => Arc::new(f.without_evidence(&held)),
                false => f.clone(),
            }),
            ..*self
        }
    }

    /// ℓ alone (cheaper than [`Problem::eval`]).
    pub fn loglik(&self, theta: &[f64]) -> f64 {
        let mut ll = 0.0;
        self.filter(theta, false, |_, s, _, _| ll += s.p.ln());
        ll
    }

    /// P of one observation at `theta`, on its own: π is its branches' priors, not filtered (an
    /// observation that reads the frontier is not on its own).
    pub fn probability(&self, o: &Observation, theta: &[f64]) -> f64 {
        assert!(o.reads.is_none(), "an observation that reads its partners needs the filter");
        let (k, np) = (self.frameworks, self.params);
        let pi = Dist::priors(o, k, np, false);
        let mut post = Dist::zeros(k, np, false);
        self.step(o, theta, &pi, None, &mut post, &mut Scratch::new(k, np, false)).p
    }

    /// The one-step predictive probability of every observation in turn, with the filter run
    /// over the problem's histories, at `theta`.
    pub fn predictive(&self, theta: &[f64]) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.obs.len());
        self.filter(theta, false, |_, s, _, _| out.push(s.p));
        out
    }

    /// For every observation in turn, the probability of `alternative[i]` (an observation of the
    /// same cell, year and branches) given the filter's π from the problem's own observations up to
    /// the year before, at `theta`: e.g. the probability of an act, computed directly rather than
    /// as one minus the probability of no act (which cancels to 0 below 1e-16).
    pub fn predictive_of(&self, theta: &[f64], alternative: &[Observation]) -> Vec<f64> {
        assert_eq!(alternative.len(), self.obs.len(), "one alternative per observation");
        let (k, np) = (self.frameworks, self.params);
        let (mut scratch, mut other) = (Scratch::new(k, np, false), Dist::zeros(k, np, false));
        let mut out = Vec::with_capacity(self.obs.len());
        self.filter(theta, false, |_, _, pi, extra| {
            out.push(self.step(&alternative[out.len()], theta, pi, extra, &mut other, &mut scratch).p);
        });
        out
    }

    /// ∂v_k/∂θ_a of every branch of every observation at `theta`, `[a*K + k]` per branch, in
    /// order: the constant slopes plus those of the utilities read from the partners.
    pub fn utility_slopes(&self, theta: &[f64]) -> Vec<Vec<f64>> {
        let mut out = Vec::new();
        self.filter(theta, true, |o, _, _, extra| {
            for br in &o.branches {
                let mut g = br.slope.clone();
                if let Some(e) = extra {
                    g.iter_mut().zip(&e.d).for_each(|(x, y)| *x += y);
                }
                out.push(g);
            }
        });
        out
    }

    /// ℓ, gradient, Hessian and cluster scores at `theta`.
    pub fn eval(&self, theta: &[f64]) -> Eval {
        self.eval_with(theta, false)
    }

    /// [`Problem::eval`] with the Hessian of each cluster as well ([`Eval::hessians`]), for the
    /// cluster jackknife at the maximum.
    pub fn eval_clustered(&self, theta: &[f64]) -> Eval {
        self.eval_with(theta, true)
    }

    fn eval_with(&self, theta: &[f64], per_cluster: bool) -> Eval {
        let np = self.params;
        let mut e = Eval {
            loglik: 0.0,
            grad: DVector::zeros(np),
            hess: DMatrix::zeros(np, np),
            scores: vec![DVector::zeros(np); self.clusters],
            members: vec![0; self.clusters],
            hessians: if per_cluster {
                vec![DMatrix::zeros(np, np); self.clusters]
            } else {
                Vec::new()
            },
        };
        let mut h = DMatrix::zeros(np, np);
        self.filter(theta, true, |o, s, _, _| {
            let p = s.p;
            e.loglik += p.ln();
            e.members[o.cluster] += 1;
            for a in 0..np {
                let ga = s.dp[a] / p;
                e.grad[a] += ga;
                e.scores[o.cluster][a] += ga;
                for b in 0..np {
                    h[(a, b)] = s.ddp[a * np + b] / p - ga * s.dp[b] / p;
                }
            }
            e.hess += &h;
            if per_cluster {
                e.hessians[o.cluster] += &h;
            }
        });
        e
    }

    /// Run the forward filter over the observations in order, calling `each` with every
    /// observation's step, the π it started from and the part of its utilities read from the
    /// partners (the frontier, advanced year by year as the observations reach it).
    fn filter(&self, theta: &[f64], derivs: bool, mut each: impl FnMut(&Observation, &Step, &Dist, Option<&Dist>)) {
        let (k, np) = (self.frameworks, self.params);
        let mut frontier = self.frontier.as_deref().map(|f| Run::new(f, self.params, theta, derivs));
        let histories = self.obs.iter().filter_map(|o| o.filter.map(|f| f.history + 1)).max().unwrap_or(0);
        let mut state: Vec<Option<Dist>> = vec![None; histories];
        let mut scratch = Scratch::new(k, np, derivs);
        let mut spare = Dist::zeros(k, np, derivs);
        for o in &self.obs {
            let pi = match o.filter {
                Some(f) if !f.restart => state[f.history].take(),
                _ => None,
            }
            .unwrap_or_else(|| Dist::priors(o, k, np, derivs));
            let extra = o.reads.map(|r| {
                let run = frontier
                    .as_mut()
                    .expect("an observation reads partners the problem has no frontier for");
                run.extra(theta, r)
            });
            let step = self.step(o, theta, &pi, extra, &mut spare, &mut scratch);
            each(o, &step, &pi, extra);
            if let Some(f) = o.filter {
                // The posterior becomes the history's state; the old π is recycled.
                state[f.history] = Some(std::mem::replace(&mut spare, pi));
            } else {
                spare = pi;
            }
        }
    }

    /// [`step::step`] with the problem's sizes.
    fn step(&self, o: &Observation, theta: &[f64], pi: &Dist, extra: Option<&Dist>, post: &mut Dist, w: &mut Scratch) -> Step {
        step::step(self.frameworks, self.params, o, theta, pi, extra, post, w)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small problem with two utility parameters and a free rate: stand-alone observations with
    /// mixed priors, and filtered histories of four years (U = {CN}, some ending in an adoption,
    /// one restarted by a known previous framework).
    pub(crate) fn toy() -> Problem {
        let k = 3;
        let mut obs = Vec::new();
        let branch = |from: u8, prior: f64, x: f64| Branch {
            prior,
            from,
            fixed: vec![0.1 * from as f64 + 0.2 * x, -0.3, 0.2 - 0.1 * x],
            slope: vec![x, 0.0, -x, 0.5, -0.2 * x, 0.1, 0.0, 0.0, 0.0],
        };
        for i in 0..12 {
            let x = i as f64 / 6.0 - 1.0;
            obs.push(Observation {
                cluster: i % 4,
                rate: Rate::Free(2),
                outcome: [0b001, 0b110, 0b011, 0b100][i % 4],
                branches: vec![branch(0, 0.7, x), branch(2, 0.3, x)],
                filter: None,
                detection: None,
                reads: None,
            });
        }
        // Histories: outside U = {EU, US}; each year's features differ.
        for h in 0..6 {
            let adopt = [Some(3), Some(1), None, Some(2), None, Some(0)][h];
            for year in 0..4 {
                if adopt.is_some_and(|a| year > a) {
                    break;
                }
                let x = (h as f64 - 2.5) / 3.0 + 0.2 * year as f64;
                let known = h == 4 && year == 2;
                let branches = if known {
                    vec![branch(1, 1.0, x)]
                } else {
                    vec![branch(0, 0.6, x), branch(1, 0.4, x)]
                };
                obs.push(Observation {
                    cluster: h % 4,
                    rate: Rate::Free(2),
                    outcome: if adopt == Some(year) { 0b100 } else { 0b011 },
                    branches,
                    filter: Some(Filter {
                        history: h,
                        restart: year == 0 || known,
                    }),
                    detection: None,
                    reads: None,
                });
            }
        }
        Problem {
            frameworks: k,
            params: 3,
            clusters: 4,
            obs,
            frontier: None,
        }
    }

    /// ℓ of `eval` equals `loglik`, and its gradient and Hessian equal central finite differences
    /// of ℓ and of the gradient at `theta`. Central differences err by O(h²·ℓ''') ~ 1e-10 here,
    /// plus rounding ~ 1e-16·|ℓ|/h.
    pub(crate) fn assert_derivatives_match_finite_differences(p: &Problem, theta: &[f64]) {
        let e = p.eval(theta);
        assert!((e.loglik - p.loglik(theta)).abs() < 1e-12);
        let h = 1e-5;
        for a in 0..theta.len() {
            let (mut up, mut dn) = (theta.to_vec(), theta.to_vec());
            up[a] += h;
            dn[a] -= h;
            let fd = (p.loglik(&up) - p.loglik(&dn)) / (2.0 * h);
            assert!((fd - e.grad[a]).abs() < 1e-7, "gradient {a}: {fd} vs {}", e.grad[a]);
            let (gu, gd) = (p.eval(&up).grad, p.eval(&dn).grad);
            for b in 0..theta.len() {
                let fd = (gu[b] - gd[b]) / (2.0 * h);
                assert!((fd - e.hess[(a, b)]).abs() < 1e-6, "hessian {a},{b}: {fd} vs {}", e.hess[(a, b)]);
            }
        }
    }

    #[test]
    fn gradient_and_hessian_match_finite_differences() {
        let p = toy();
        let theta = [0.4, -0.7, -1.2];
        assert_derivatives_match_finite_differences(&p, &theta);
        let e = p.eval(&theta);
        let total: DVector<f64> = e.scores.iter().sum();
        assert!((total - &e.grad).norm() < 1e-12);
        // The per-cluster Hessians sum to the Hessian; the plain eval does not compute them.
        assert!(e.hessians.is_empty());
        let c = p.eval_clustered(&theta);
        let total: DMatrix<f64> = c.hessians.iter().sum();
        assert!((total - &e.hess).norm() < 1e-12 && (c.hess - &e.hess).norm() == 0.0);
        assert_eq!(c.members.iter().sum::<usize>(), p.obs.len());
    }

    /// The filter carries information: a history's later years differ from stand-alone
    /// observations with the initial priors, and a restart makes them equal again.
    #[test]
    fn survival_updates_the_filtered_distribution() {
        let p = toy();
        let theta = [0.4, -0.7, -1.2];
        let filtered = p.predictive(&theta);
        for (o, &f) in p.obs.iter().zip(&filtered) {
            let alone = p.probability(o, &theta);
            match o.filter {
                Some(Filter { restart: false, .. }) => assert!((f - alone).abs() > 1e-6, "{f} vs {alone}"),
                _ => assert_eq!(f, alone),
            }
        }
    }

    /// T_jk of one branch at θ.
    fn transition(br: &Branch, theta: &[f64], rho: f64, k: usize) -> Vec<f64> {
        let v: Vec<f64> = (0..k)
            .map(|kk| br.fixed[kk] + theta.iter().enumerate().map(|(a, t)| t * br.slope[a * k + kk]).sum::<f64>())
            .collect();
        let z: f64 = v.iter().map(|x| x.exp()).sum();
        (0..k)
            .map(|kk| rho * v[kk].exp() / z + if kk == br.from as usize { 1.0 - rho } else { 0.0 })
            .collect()
    }

    /// A three-year history over three frameworks, by brute force: the sum over every latent
    /// path x_0..x_3 of π_0(x_0) Π_t T_t(x_{t−1}, x_t) 1{x_t ∈ S_t} equals the filter's Π_t P_t.
    #[test]
    fn the_filter_equals_enumeration_over_latent_paths() {
        let k = 3;
        let theta = [0.8, -0.5];
        let rho = 0.35;
        // Year t's utilities from framework j: fixed and slope vary with t and j.
        let branch = |t: usize, j: u8, prior: f64| Branch {
            prior,
            from: j,
            fixed: (0..k)
                .map(|kk| 0.3 * (t as f64) - 0.4 * (kk as f64) + if kk == j as usize { 0.9 } else { 0.0 })
                .collect(),
            slope: vec![0.2 * t as f64, -0.5, 1.0, 0.3, 0.7 - 0.2 * j as f64, -0.4],
        };
        let prior = [0.5, 0.3, 0.2];
        // U = {CN} for the first two years is not used: here every year's S is a different set,
        // so the filter must carry mass on all three frameworks.
        let outcomes = [0b011u8, 0b110, 0b101];
        let obs: Vec<Observation> = outcomes
            .iter()
            .enumerate()
            .map(|(t, &s)| Observation {
                cluster: 0,
                rate: Rate::Fixed(rho),
                outcome: s,
                branches: (0..k as u8).map(|j| branch(t, j, prior[j as usize])).collect(),
                filter: Some(Filter {
                    history: 0,
                    restart: t == 0,
                }),
                detection: None,
                reads: None,
            })
            .collect();
        let mut brute = 0.0;
        for (x0, &prior0) in prior.iter().enumerate() {
            for x1 in 0..k {
                for x2 in 0..k {
                    for x3 in 0..k {
                        let path = [x0, x1, x2, x3];
                        let mut w = prior0;
                        for t in 0..3 {
                            let (from, to) = (path[t], path[t + 1]);
                            if outcomes[t] >> to & 1 == 0 {
                                w = 0.0;
                                break;
                            }
                            w *= transition(&obs[t].branches[from], &theta, rho, k)[to];
                        }
                        brute += w;
                    }
                }
            }
        }
        let problem = Problem {
            frameworks: k,
            params: 2,
            clusters: 1,
            obs,
            frontier: None,
        };
        let ll = problem.loglik(&theta);
        assert!((ll - brute.ln()).abs() < 1e-13, "filter {ll}, enumeration {}", brute.ln());
        // And the stand-alone product (priors not updated) differs: the filter is not a no-op.
        let alone: f64 = problem.obs.iter().map(|o| problem.probability(o, &theta).ln()).sum();
        assert!((alone - ll).abs() > 1e-3, "{alone} vs {ll}");
    }
}

#[cfg(test)]
mod layer_tests {
    use super::tests::{assert_derivatives_match_finite_differences, toy};
    use super::*;

    /// [`toy`] with a logit-linear revision rate (intercept θ_2, a state covariate's coefficient
    /// θ_3) and, on the histories, an observation layer with a free detection rate (θ_4, with a
    /// covariate's coefficient θ_5): every framework is a branch, since a cell in U may not have
    /// acted yet.
    fn toy_layer() -> Problem {
        let mut p = toy();
        p.params = 6;
        for o in &mut p.obs {
            let x = (o.cluster as f64 - 1.5) / 2.0;
            o.rate = Rate::Linear {
                offset: -0.3,
                slopes: vec![(2, 1.0), (3, x)],
            };
            for br in &mut o.branches {
                br.slope.extend(std::iter::repeat_n(0.0, 3 * p.frameworks));
            }
            if o.filter.is_some() {
                let event = o.outcome == 0b100;
                o.detection = Some(Detection {
                    event,
                    rate: Rate::Linear {
                        offset: 0.2,
                        slopes: vec![(4, 1.0), (5, -x)],
                    },
                });
                if o.branches.len() < 3 && o.filter.is_some_and(|f| f.restart) && o.branches[0].prior < 1.0 {
                    let mut cn = o.branches[0].clone();
                    cn.from = 2;
                    o.branches.iter_mut().for_each(|b| b.prior *= 0.8);
                    cn.prior = 0.2;
                    o.branches.push(cn);
                }
            }
        }
        // Later years of a history carry mass on every framework: each needs its branch.
        for o in &mut p.obs {
            if o.detection.is_some() && !o.branches.iter().any(|b| b.from == 2) {
                let mut cn = o.branches[0].clone();
                cn.from = 2;
                cn.prior = 0.0;
                o.branches.push(cn);
            }
        }
        p
    }

    #[test]
    fn layer_gradient_and_hessian_match_finite_differences() {
        let p = toy_layer();
        let theta = [0.4, -0.7, -1.2, 0.5, -0.8, 0.3];
        assert_derivatives_match_finite_differences(&p, &theta);
    }

    /// δ = 1 is the alignment itself: an observation layer that always acts gives the same
    /// likelihood as observing the cell's set directly (the layer nests the model without it).
    #[test]
    fn certain_detection_is_the_alignment_itself() {
        let p = toy();
        let mut q = p.clone();
        for o in &mut q.obs {
            o.detection = Some(Detection {
                event: o.outcome == 0b100 && o.filter.is_some(),
                rate: Rate::Fixed(1.0),
            });
        }
        let theta = [0.4, -0.7, -1.2];
        assert!((p.loglik(&theta) - q.loglik(&theta)).abs() < 1e-12);
    }

    /// A history with an observation layer by brute force: the sum over latent paths of
    /// π_0(x_0) Π_t T(x_{t−1}, x_t) e_t(x_t), with e_t = δ 1{x_t ∈ S} in the year of the act and
    /// 1 − δ 1{x_t ∈ U} before it, equals the filter's Π_t P_t.
    #[test]
    fn the_layer_equals_enumeration_over_latent_paths() {
        let k = 3;
        let (rho, delta) = (0.3, 0.45);
        let theta = [0.6];
        let branch = |t: usize, j: u8, prior: f64| Branch {
            prior,
            from: j,
            fixed: (0..k)
                .map(|kk| 0.2 * t as f64 - 0.3 * kk as f64 + if kk == j as usize { 0.8 } else { 0.0 })
                .collect(),
            slope: vec![0.4, -0.2 * t as f64, 0.1 * j as f64],
        };
        let prior = [0.5, 0.2, 0.3];
        // U = {CN}: two silent years, then the act.
        let (union, events) = (0b100u8, [false, false, true]);
        let obs: Vec<Observation> = events
            .iter()
            .enumerate()
            .map(|(t, &event)| Observation {
                cluster: 0,
                rate: Rate::Fixed(rho),
                outcome: if event { union } else { 0b011 },
                branches: (0..k as u8).map(|j| branch(t, j, prior[j as usize])).collect(),
                filter: Some(Filter {
                    history: 0,
                    restart: t == 0,
                }),
                detection: Some(Detection {
                    event,
                    rate: Rate::Fixed(delta),
                }),
                reads: None,
            })
            .collect();
        let transition = |br: &Branch| -> Vec<f64> {
            let v: Vec<f64> = (0..k).map(|kk| br.fixed[kk] + theta[0] * br.slope[kk]).collect();
            let z: f64 = v.iter().map(|x| x.exp()).sum();
            (0..k)
                .map(|kk| rho * v[kk].exp() / z + if kk == br.from as usize { 1.0 - rho } else { 0.0 })
                .collect()
        };
        let mut brute = 0.0;
        for (x0, &p0) in prior.iter().enumerate() {
            for x1 in 0..k {
                for x2 in 0..k {
                    for x3 in 0..k {
                        let path = [x0, x1, x2, x3];
                        let mut w = p0;
                        for t in 0..3 {
                            let to = path[t + 1];
                            let in_u = union >> to & 1 == 1;
                            let e = match (events[t], in_u) {
                                (true, true) => delta,
                                (true, false) => 0.0,
                                (false, true) => 1.0 - delta,
                                (false, false) => 1.0,
                            };
                            w *= transition(&obs[t].branches[path[t]])[to] * e;
                        }
                        brute += w;
                    }
                }
            }
        }
        let problem = Problem {
            frameworks: k,
            params: 1,
            clusters: 1,
            obs,
            frontier: None,
        };
        let ll = problem.loglik(&theta);
        assert!((ll - brute.ln()).abs() < 1e-13, "filter {ll}, enumeration {}", brute.ln());
    }
}

#[cfg(test)]
mod predictive_tests {
    use super::tests::toy;
    use super::*;

    /// The probability of the complementary outcome, from the same filtered π, is one minus the
    /// observation's own predictive probability.
    #[test]
    fn the_alternative_and_the_observation_partition_the_year() {
        let p = toy();
        let theta = [0.4, -0.7, -1.2];
        let own = p.predictive(&theta);
        let alt: Vec<Observation> = p
            .obs
            .iter()
            .map(|o| Observation {
                outcome: 0b111 & !o.outcome,
                ..o.clone()
            })
            .collect();
        for (a, b) in own.iter().zip(p.predictive_of(&theta, &alt)) {
            assert!((a + b - 1.0).abs() < 1e-14, "{a} + {b}");
        }
    }
}
