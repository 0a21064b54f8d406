//! One step of the forward filter and what it reads: the observation types, the filter's
//! distribution with its derivatives, and [`step`], the one place that computes a one-step
//! predictive probability and its posterior (the maths is in [`super`]'s header). The problem's
//! filter and the partners' frontier ([`crate::calibrate::frontier`]) both call it.

/// A probability of an observation: the revision rate of its domain, or the detection rate of
/// its indicator.
#[derive(Debug, Clone, PartialEq)]
pub enum Rate {
    /// A known probability.
    Fixed(f64),
    /// The index of the free parameter η = logit ρ.
    Free(usize),
    /// ρ = σ(offset + Σ_a θ_a x_a): a logit-linear rate whose free parameters (an intercept, the
    /// coefficients of state covariates) enter with the slopes `(a, x_a)`.
    Linear {
        /// The fixed part of η.
        offset: f64,
        /// (parameter index a, x_a) of each free parameter in η.
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
    /// The yearly act probability δ.
    pub rate: Rate,
}

/// One possible previous framework of an observed cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// Its probability when the filter (re)starts at this observation.
    pub prior: f64,
    /// Index of the framework the cell was on at t − 1.
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
    /// Probability that the cell revises in the year.
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

/// A distribution over frameworks with its derivatives in θ (empty when not needed):
/// `d[a*K + k]`, `dd[(a*np + b)*K + k]`.
#[derive(Debug, Clone)]
pub(in crate::calibrate) struct Dist {
    pub(in crate::calibrate) p: Vec<f64>,
    pub(in crate::calibrate) d: Vec<f64>,
    pub(in crate::calibrate) dd: Vec<f64>,
}

impl Dist {
    pub(in crate::calibrate) fn zeros(k: usize, np: usize, derivs: bool) -> Dist {
        let np = if derivs { np } else { 0 };
        Dist {
            p: vec![0.0; k],
            d: vec![0.0; np * k],
            dd: vec![0.0; np * np * k],
        }
    }

    pub(in crate::calibrate) fn set_zero(&mut self) {
        for x in self.p.iter_mut().chain(&mut self.d).chain(&mut self.dd) {
            *x = 0.0;
        }
    }

    /// self += c · x, value and derivatives.
    pub(in crate::calibrate) fn add_scaled(&mut self, c: f64, x: &Dist) {
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
    pub(in crate::calibrate) fn priors(o: &Observation, k: usize, np: usize, derivs: bool) -> Dist {
        let mut pi = Dist::zeros(k, np, derivs);
        for br in &o.branches {
            pi.p[br.from as usize] += br.prior;
        }
        pi
    }
}

/// The one-step predictive probability of an observation with its derivatives (`ddp[a*np + b]`).
pub(in crate::calibrate) struct Step {
    pub(in crate::calibrate) p: f64,
    pub(in crate::calibrate) dp: Vec<f64>,
    pub(in crate::calibrate) ddp: Vec<f64>,
}

/// Work space of [`Problem::step`], reused from one observation to the next.
pub(in crate::calibrate) struct Scratch {
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
    pub(in crate::calibrate) fn new(k: usize, np: usize, derivs: bool) -> Scratch {
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
#[allow(clippy::too_many_arguments)]
pub(in crate::calibrate) fn step(
    k: usize,
    np: usize,
    o: &Observation,
    theta: &[f64],
    pi: &Dist,
    extra: Option<&Dist>,
    post: &mut Dist,
    w: &mut Scratch,
) -> Step {
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
