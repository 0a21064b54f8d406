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

/// A probability of an observation: the revision rate of its domain, or the detection rate of
/// its indicator.
#[derive(Debug, Clone, PartialEq)]
pub enum Rate {
    Fixed(f64),
    /// The index of the free parameter η = logit ρ.
    Free(usize),
    /// ρ = σ(offset + Σ_a θ_a x_a): a logit-linear rate whose free parameters (an intercept, the
    /// coefficients of state covariates) enter with the slopes `(a, x_a)`.
    Linear {
        offset: f64,
        slopes: Vec<(usize, f64)>,
    },
}

impl Rate {
    /// The probability at `theta`, and its slopes ∂η/∂θ_a on the logit scale into `slopes`
    /// (zero for every parameter it does not depend on).
    fn at(&self, theta: &[f64], slopes: &mut [f64]) -> f64 {
        slopes.iter_mut().for_each(|x| *x = 0.0);
        match self {
            Rate::Fixed(r) => *r,
            Rate::Free(a) => {
                if let Some(x) = slopes.get_mut(*a) {
                    *x = 1.0;
                }
                1.0 / (1.0 + (-theta[*a]).exp())
            }
            Rate::Linear { offset, slopes: s } => {
                let mut eta = *offset;
                for &(a, x) in s {
                    eta += theta[a] * x;
                    if let Some(y) = slopes.get_mut(a) {
                        *y += x;
                    }
                }
                1.0 / (1.0 + (-eta).exp())
            }
        }
    }
}

/// The observation layer of an indicator whose events are acts (a law passed, a region opened)
/// rather than the alignment itself: while the cell is in the indicator's set, the act happens
/// with the yearly probability δ (`rate`); outside it, never.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The act happened this year (`outcome` is then its set S); otherwise `outcome` is the
    /// frameworks outside U, and a cell in U stayed silent with probability 1 − δ.
    pub event: bool,
    pub rate: Rate,
}

/// One possible previous framework of an observed cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// Its probability when the filter (re)starts at this observation.
    pub prior: f64,
    pub from: u8,
    /// v_k at θ = 0, `[k]`.
    pub fixed: Vec<f64>,
    /// ∂v_k/∂θ_a, `[a*K + k]` (zero for a revision rate).
    pub slope: Vec<f64>,
}

/// Which history an observation continues, for the forward filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    /// The history's identifier, unique within a problem. Its observations come in year order.
    pub history: usize,
    /// Start the filter afresh from the branches' priors: the history's first year, or a year
    /// whose previous framework is known. An observation whose history has not been seen earlier
    /// in the problem (a problem holding only later years) starts from its priors as well.
    pub restart: bool,
}

/// One observed cell-year.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The state (cluster of the sandwich).
    pub cluster: usize,
    pub rate: Rate,
    /// S as a mask over frameworks.
    pub outcome: u8,
    /// One per framework the cell may have been on at t − 1: every framework the filter's π can
    /// put mass on.
    pub branches: Vec<Branch>,
    /// None: the observation stands alone, with π = the branches' priors.
    pub filter: Option<Filter>,
    /// None: the observation is the alignment itself, the cell is in `outcome` at t. Some: the
    /// indicator's observation layer ([`Detection`]).
    pub detection: Option<Detection>,
    /// None: the branches' utilities are complete. Some: the terms that read the partners (network,
    /// standards) are left out of them and come from the problem's [`Frontier`] at this cell-year.
    pub reads: Option<Reads>,
}

/// The cell-year of the problem's [`Frontier`] whose partners an observation reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    /// The index of the observation's year in the frontier (0: the window's first year).
    pub year: usize,
    /// The frontier's cell: slot × N + state.
    pub cell: usize,
}

/// Everything the likelihood needs.
#[derive(Debug, Clone)]
pub struct Problem {
    pub frameworks: usize,
    pub params: usize,
    pub clusters: usize,
    pub obs: Vec<Observation>,
    /// The partners' filtered frameworks that the observations with [`Observation::reads`] need.
    pub frontier: Option<Arc<Frontier>>,
}

/// ℓ, its gradient and Hessian at one θ, and the score summed per cluster.
#[derive(Debug, Clone)]
pub struct Eval {
    pub loglik: f64,
    pub grad: DVector<f64>,
    pub hess: DMatrix<f64>,
    /// `[cluster]`: Σ of the gradients of that cluster's observations.
    pub scores: Vec<DVector<f64>>,
    /// `[cluster]`: the number of that cluster's observations.
    pub members: Vec<usize>,
    /// `[cluster]`: Σ of the Hessians of that cluster's observations; empty unless computed by
    /// [`Problem::eval_clustered`] (the Newton iterations do not need them).
    pub hessians: Vec<DMatrix<f64>>,
}

/// A distribution over frameworks with its derivatives in θ (empty when not needed):
/// `d[a*K + k]`, `dd[(a*np + b)*K + k]`.
#[derive(Debug, Clone)]
pub(super) struct Dist {
    pub(super) p: Vec<f64>,
    pub(super) d: Vec<f64>,
    pub(super) dd: Vec<f64>,
}

impl Dist {
    pub(super) fn zeros(k: usize, np: usize, derivs: bool) -> Dist {
        let np = if derivs { np } else { 0 };
        Dist {
            p: vec![0.0; k],
            d: vec![0.0; np * k],
            dd: vec![0.0; np * np * k],
        }
    }

    pub(super) fn set_zero(&mut self) {
        for x in self.p.iter_mut().chain(&mut self.d).chain(&mut self.dd) {
            *x = 0.0;
        }
    }

    /// self += c · x, value and derivatives.
    pub(super) fn add_scaled(&mut self, c: f64, x: &Dist) {
        for (y, v) in self
            .p
            .iter_mut()
            .zip(&x.p)
            .chain(self.d.iter_mut().zip(&x.d))
            .chain(self.dd.iter_mut().zip(&x.dd))
        {
            *y += c * v;
        }
    }

    /// The branches' priors, constant in θ.
    fn priors(o: &Observation, k: usize, np: usize, derivs: bool) -> Dist {
        let mut pi = Dist::zeros(k, np, derivs);
        for br in &o.branches {
            pi.p[br.from as usize] += br.prior;
        }
        pi
    }
}

/// The one-step predictive probability of an observation with its derivatives (`ddp[a*np + b]`).
pub(super) struct Step {
    pub(super) p: f64,
    dp: Vec<f64>,
    ddp: Vec<f64>,
}

/// Work space of [`Problem::step`], reused from one observation to the next.
pub(super) struct Scratch {
    v: Vec<f64>,
    pk: Vec<f64>,
    t: Vec<f64>,
    zc: Vec<f64>,
    cov: Vec<f64>,
    dt: Vec<f64>,
    ddt: Vec<f64>,
    /// ∂η/∂θ of the revision rate and of the detection rate.
    rs: Vec<f64>,
    es: Vec<f64>,
}

impl Scratch {
    pub(super) fn new(k: usize, np: usize, derivs: bool) -> Scratch {
        let nd = if derivs { np } else { 0 };
        Scratch {
            v: vec![0.0; k],
            pk: vec![0.0; k],
            t: vec![0.0; k],
            zc: vec![0.0; nd * k],
            cov: vec![0.0; nd * nd],
            dt: vec![0.0; nd * k],
            ddt: vec![0.0; nd * nd * k],
            rs: vec![0.0; nd],
            es: vec![0.0; nd],
        }
    }
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
        let mut frontier = self.frontier.as_deref().map(|f| Run::new(self, f, theta, derivs));
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
                run.extra(self, theta, r)
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

    /// One filter step: P = Σ_k e_k Σ_j π_j T_jk with its derivatives (when `pi` carries them),
    /// and the posterior π' = e_k Σ_j π_j T_jk / P with its derivatives, into `post` (of the same
    /// shape as `pi`). e_k is the observation's emission: 1{k∈S} for an alignment, δ·1{k∈S} for an
    /// act, 1 − δ·1{k∈U} for a year without one ([`Detection`]). With ρ = σ(η) and η linear in θ
    /// (slopes r_a), ∂T_jk/∂θ_a = ρ'(p_k − 1{k=j}) r_a + ρ ∂p_k/∂θ_a, and likewise for the second
    /// derivatives; e_k depends on δ = σ(η_δ) alone. Second derivatives are computed for a ≤ b
    /// and mirrored.
    ///
    /// `extra` is the part E_k of the utilities read from the partners (with its derivatives when
    /// `pi` carries them), added to every branch: v_jk = fixed_jk + Σ_a θ_a slope_jak + E_k. Its
    /// slopes g_ak = slope_jak + ∂E_k/∂θ_a replace the constant slopes in ∂p, and its curvature
    /// adds p_k (∂²E_k − Σ_l p_l ∂²E_l) to ∂²p_k.
    pub(super) fn step(&self, o: &Observation, theta: &[f64], pi: &Dist, extra: Option<&Dist>, post: &mut Dist, w: &mut Scratch) -> Step {
        let (k, np) = (self.frameworks, self.params);
        let nd = if pi.d.is_empty() { 0 } else { np };
        let rho = o.rate.at(theta, &mut w.rs[..nd]);
        // dρ/dη and d²ρ/dη².
        let d1 = rho * (1.0 - rho);
        let d2 = d1 * (1.0 - 2.0 * rho);
        let full = ((1u16 << k) - 1) as u8;
        // The frameworks whose emission is not zero.
        let support = match &o.detection {
            Some(det) if !det.event => full,
            _ => o.outcome,
        };
        // α accumulates in `post`.
        post.p.iter_mut().for_each(|x| *x = 0.0);
        post.d.iter_mut().for_each(|x| *x = 0.0);
        post.dd.iter_mut().for_each(|x| *x = 0.0);
        let alpha = post;
        let Scratch {
            v,
            pk,
            t,
            zc,
            cov,
            dt,
            ddt,
            rs,
            es,
        } = w;
        debug_assert!(
            (0..k).all(|j| pi.p[j] == 0.0 || o.branches.iter().any(|b| b.from as usize == j)),
            "the filter holds mass on a framework the observation has no branch for"
        );
        let curvature = |a: usize, b: usize, kk: usize| extra.map_or(0.0, |e| e.dd[(a * np + b) * k + kk]);
        for br in &o.branches {
            let j = br.from as usize;
            let a_j = pi.p[j];
            for (kk, vk) in v.iter_mut().enumerate() {
                *vk = br.fixed[kk] + (0..np).map(|a| theta[a] * br.slope[a * k + kk]).sum::<f64>();
                if let Some(e) = extra {
                    *vk += e.p[kk];
                }
            }
            let max = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = v.iter().map(|x| (x - max).exp()).sum();
            for kk in 0..k {
                pk[kk] = (v[kk] - max).exp() / z;
                t[kk] = rho * pk[kk] + if kk == j { 1.0 - rho } else { 0.0 };
            }
            if nd > 0 {
                for a in 0..np {
                    let g = |l: usize| br.slope[a * k + l] + extra.map_or(0.0, |e| e.d[a * k + l]);
                    let zbar: f64 = (0..k).map(|l| pk[l] * g(l)).sum();
                    for kk in 0..k {
                        zc[a * k + kk] = g(kk) - zbar;
                    }
                }
                for a in 0..np {
                    for b in a..np {
                        cov[a * np + b] = (0..k).map(|l| pk[l] * zc[a * k + l] * zc[b * k + l]).sum();
                        // The curvature of the utilities read from the partners, centred: Σ_l p_l ∂²E_l
                        // is subtracted below.
                        if let Some(e) = extra {
                            cov[a * np + b] += (0..k).map(|l| pk[l] * e.dd[(a * np + b) * k + l]).sum::<f64>();
                        }
                    }
                }
                for kk in 0..k {
                    let stay = pk[kk] - if kk == j { 1.0 } else { 0.0 };
                    for a in 0..np {
                        dt[a * k + kk] = d1 * rs[a] * stay + rho * pk[kk] * zc[a * k + kk];
                        for b in a..np {
                            ddt[(a * np + b) * k + kk] = d2 * rs[a] * rs[b] * stay
                                + d1 * pk[kk] * (rs[a] * zc[b * k + kk] + rs[b] * zc[a * k + kk])
                                + rho * pk[kk] * (zc[a * k + kk] * zc[b * k + kk] - cov[a * np + b] + curvature(a, b, kk));
                        }
                    }
                }
            }
            for kk in (0..k).filter(|&kk| support >> kk & 1 == 1) {
                alpha.p[kk] += a_j * t[kk];
                for a in 0..nd {
                    let da = pi.d[a * k + j];
                    alpha.d[a * k + kk] += da * t[kk] + a_j * dt[a * k + kk];
                    for b in a..nd {
                        let (db, dda) = (pi.d[b * k + j], pi.dd[(a * np + b) * k + j]);
                        alpha.dd[(a * np + b) * k + kk] +=
                            dda * t[kk] + da * dt[b * k + kk] + db * dt[a * k + kk] + a_j * ddt[(a * np + b) * k + kk];
                    }
                }
            }
        }
        if let Some(det) = &o.detection {
            // α_k ← e_k α_k with e_k = c0 + c1 δ, in place (second derivatives first, from the
            // old first derivatives).
            let delta = det.rate.at(theta, &mut es[..nd]);
            let (e1, e2) = (delta * (1.0 - delta), delta * (1.0 - delta) * (1.0 - 2.0 * delta));
            for kk in (0..k).filter(|&kk| support >> kk & 1 == 1) {
                let (c0, c1) = match (det.event, o.outcome >> kk & 1 == 1) {
                    (true, _) => (0.0, 1.0),
                    (false, true) => (1.0, 0.0),
                    (false, false) => (1.0, -1.0),
                };
                let (e, p) = (c0 + c1 * delta, alpha.p[kk]);
                for a in 0..nd {
                    for b in a..nd {
                        let i = (a * np + b) * k + kk;
                        let (da, db) = (alpha.d[a * k + kk], alpha.d[b * k + kk]);
                        alpha.dd[i] = alpha.dd[i] * e + c1 * e1 * (da * es[b] + db * es[a]) + p * c1 * e2 * es[a] * es[b];
                    }
                }
                for (a, &ea) in es.iter().enumerate().take(nd) {
                    alpha.d[a * k + kk] = alpha.d[a * k + kk] * e + p * c1 * e1 * ea;
                }
                alpha.p[kk] = p * e;
            }
        }
        let p: f64 = alpha.p.iter().sum();
        let mut dp = vec![0.0; nd];
        let mut ddp = vec![0.0; nd * nd];
        for a in 0..nd {
            dp[a] = alpha.d[a * k..(a + 1) * k].iter().sum();
            for b in a..nd {
                let x: f64 = alpha.dd[(a * np + b) * k..(a * np + b + 1) * k].iter().sum();
                ddp[a * nd + b] = x;
                ddp[b * nd + a] = x;
            }
        }
        // The posterior, in place of α.
        let post = alpha;
        for kk in 0..k {
            let q = post.p[kk] / p;
            post.p[kk] = q;
            for (a, &dpa) in dp.iter().enumerate() {
                post.d[a * k + kk] = (post.d[a * k + kk] - q * dpa) / p;
            }
        }
        for kk in 0..k {
            let q = post.p[kk];
            for a in 0..nd {
                for b in a..nd {
                    let x = post.dd[(a * np + b) * k + kk];
                    let y = (x - post.d[a * k + kk] * dp[b] - post.d[b * k + kk] * dp[a] - q * ddp[a * nd + b]) / p;
                    post.dd[(a * np + b) * k + kk] = y;
                    post.dd[(b * np + a) * k + kk] = y;
                }
            }
        }
        Step { p, dp, ddp }
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
    use super::tests::toy;
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
        let e = p.eval(&theta);
        assert!((e.loglik - p.loglik(&theta)).abs() < 1e-12);
        let h = 1e-5;
        for a in 0..6 {
            let (mut up, mut dn) = (theta, theta);
            up[a] += h;
            dn[a] -= h;
            let fd = (p.loglik(&up) - p.loglik(&dn)) / (2.0 * h);
            assert!((fd - e.grad[a]).abs() < 1e-7, "gradient {a}: {fd} vs {}", e.grad[a]);
            let (gu, gd) = (p.eval(&up).grad, p.eval(&dn).grad);
            for b in 0..6 {
                let fd = (gu[b] - gd[b]) / (2.0 * h);
                assert!((fd - e.hess[(a, b)]).abs() < 1e-6, "hessian {a},{b}: {fd} vs {}", e.hess[(a, b)]);
            }
        }
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
