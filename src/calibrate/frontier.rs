//! The partners as the joint filter sees them: a factored frontier (Boyen and Koller 1998; Murphy
//! and Weiss 2001) over every cell of every domain, which the network, standards and hedging terms
//! read instead of an observed or initial state.
//!
//! **The marginals.** q_i^t is the distribution of cell i's framework at the end of year t given
//! what the panel records of it up to t. The frontier keeps one per cell (an anchored cell at its
//! anchor) and treats the cells as independent given the past, the factored approximation:
//!
//! ```text
//! q̃_ik^t = Σ_j q_ij^{t−1} T_ijk(θ, q^{t−1}),    q_ik^t = m_ik^t q̃_ik^t / Σ_l m_il^t q̃_il^t
//! ```
//!
//! with T the cell's transition of [`super::likelihood`] and m^t the evidence of year t: the
//! frameworks every outcome row of the cell's domain that year leaves possible (an act puts the
//! cell in its set whatever the detection rate, which cancels), and, for an indicator without an
//! observation layer, a covered year without an act (outside U). A covered silent year of an
//! indicator with a layer is not evidence here (it would shift the mass on U by 1 − δ; with the
//! panel's δ of a few percent, little). The window starts from the scenario's initial shares
//! restricted to what the rows before it say.
//!
//! **What the terms read.** The utilities of cell i (state i in domain d) read the marginals of the
//! year before, linearly:
//!
//! ```text
//! E_ik = λ [ w_N Σ_j ω_ij q_jk + w_S Σ_{j≠i} g_j q_jk − w_H h_i Σ_{d'≠d} q_{d'i,k} / (D − 1) ]
//! ```
//!
//! (ω the trade ties' weights and q_j the partner's cell in the same domain, g the GDP shares,
//! h_i whether the state hedges and q_{d'i} its own cells in the other domains: the hedging term
//! is the share of those on k, linear in them too; the cell's own GDP share at the branch's
//! framework and the standards push stay in the branch's fixed utilities). E is added to every
//! branch of the cell-year's observations and of its own transition.
//!
//! **Derivatives.** q depends on θ through every earlier transition, so the frontier carries
//! ∂q/∂θ and ∂²q/∂θ∂θᵀ like the filter's π ([`step`] does both), and
//! ∂E_k/∂θ_a = λ Σ_T [w_T ∂X^T_k + 1{a = T} X^T_k] and
//! ∂²E_k/∂θ_a∂θ_b = λ Σ_T [w_T ∂²X^T_k + 1{a = T} ∂_b X^T_k + 1{b = T} ∂_a X^T_k], over the three
//! terms T with X^T their sums above and 1{a = T} whether θ_a is T's weight.
//!
//! **The fixed point.** Partners are read at t − 1, so the system is triangular in time: one
//! forward sweep is its fixed point, with no iteration within a year.

use super::likelihood::step::{Dist, Observation, Reads, Scratch, step};

/// A weight of a term that reads the partners: fixed, or a free parameter's index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weight {
    /// A value that the fit does not estimate.
    Fixed(f64),
    /// The index of a free parameter in θ.
    Free(usize),
}

impl Weight {
    fn at(self, theta: &[f64]) -> f64 {
        match self {
            Weight::Fixed(w) => w,
            Weight::Free(a) => theta[a],
        }
    }

    fn is(self, a: usize) -> bool {
        self == Weight::Free(a)
    }
}

/// How one domain's utilities read the partners in one year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Choice intensity λ.
    pub lambda: f64,
    /// Weight of the network term.
    pub network: Weight,
    /// Weight of the standards term.
    pub standards: Weight,
    /// Weight of the hedging term.
    pub hedging: Weight,
}

/// One year of the frontier.
#[derive(Debug, Clone, PartialEq)]
pub struct Year {
    /// Per slot (domain).
    pub reading: Vec<Reading>,
    /// Per cell (slot × N + state): its transition into the year, one branch per framework, with
    /// the year's evidence as its outcome (every framework when the panel says nothing); None for
    /// an anchored cell.
    pub cells: Vec<Option<Observation>>,
}

/// The frontier of a problem: every cell of every domain, year by year.
#[derive(Debug, Clone, PartialEq)]
pub struct Frontier {
    /// Number of states N.
    pub states: usize,
    /// The domains, in the scenario's order (slot = domain).
    pub slots: usize,
    /// Number of frameworks K.
    pub frameworks: usize,
    /// Per cell: q at the end of the year before the window, and the scenario's initial shares
    /// (what it is without the rows before the window).
    pub initial: Vec<Vec<f64>>,
    /// Per cell: the scenario's initial shares, which `initial` falls back to for a state held out.
    pub shares: Vec<Vec<f64>>,
    /// Per state: its partners and the weights ω_ij of the network term.
    pub partners: Vec<Vec<(usize, f64)>>,
    /// Per state: its share of the world's GDP, and whether its hedging term applies.
    pub gdp: Vec<f64>,
    /// Per state: whether its hedging term applies.
    pub hedgers: Vec<bool>,
    /// The window's years, in order.
    pub years: Vec<Year>,
}

impl Frontier {
    /// The same frontier without any evidence of the states `held` (`[state]`): their marginals
    /// follow the model alone.
    pub fn without_evidence(&self, held: &[bool]) -> Frontier {
        let all = ((1u16 << self.frameworks) - 1) as u8;
        let mut f = self.clone();
        for (c, q) in f.initial.iter_mut().enumerate() {
            if held[c % self.states] && f.years.first().is_some_and(|y| y.cells[c].is_some()) {
                q.clone_from(&self.shares[c]);
            }
        }
        for y in &mut f.years {
            for (c, cell) in y.cells.iter_mut().enumerate() {
                if let Some(o) = cell.as_mut().filter(|_| held[c % self.states]) {
                    o.outcome = all;
                }
            }
        }
        f
    }
}

/// The frontier run at one θ, advanced as the filter's observations reach each year.
pub(in crate::calibrate) struct Run<'a> {
    f: &'a Frontier,
    np: usize,
    /// The year whose readings `e` holds; `q` is at the end of the year before.
    year: usize,
    q: Vec<Dist>,
    e: Vec<Dist>,
    spare: Dist,
    scratch: Scratch,
    /// Σ_j g_j q_j over a slot, and the three sums of one cell.
    s: Dist,
    xn: Dist,
    xs: Dist,
    xh: Dist,
}

impl<'a> Run<'a> {
    pub(in crate::calibrate) fn new(f: &'a Frontier, np: usize, theta: &[f64], derivs: bool) -> Run<'a> {
        let k = f.frameworks;
        let zeros = || Dist::zeros(k, np, derivs);
        let q = f
            .initial
            .iter()
            .map(|p| {
                let mut d = zeros();
                d.p.copy_from_slice(p);
                d
            })
            .collect();
        let mut run = Run {
            f,
            np,
            year: 0,
            q,
            e: vec![zeros(); f.slots * f.states],
            spare: zeros(),
            scratch: Scratch::new(k, np, derivs),
            s: zeros(),
            xn: zeros(),
            xs: zeros(),
            xh: zeros(),
        };
        if !f.years.is_empty() {
            run.read(theta);
        }
        run
    }

    /// E (with its derivatives) of the cell-year `r`; the years come in order.
    pub(in crate::calibrate) fn extra(&mut self, theta: &[f64], r: Reads) -> &Dist {
        while self.year < r.year {
            self.advance(theta);
        }
        assert_eq!(self.year, r.year, "the observations come in year order");
        &self.e[r.cell]
    }

    /// Every cell's transition into the current year and its evidence, then the next year's E.
    fn advance(&mut self, theta: &[f64]) {
        let (k, np) = (self.f.frameworks, self.np);
        let y = &self.f.years[self.year];
        for (c, cell) in y.cells.iter().enumerate() {
            let Some(o) = cell else { continue };
            let p = step(k, np, o, theta, &self.q[c], Some(&self.e[c]), &mut self.spare, &mut self.scratch).p;
            if !(p > 0.0 && p.is_finite()) {
                // Evidence the transition gives no chance (a revision rate of 0): the cell
                // follows the model alone this year.
                let all = ((1u16 << self.f.frameworks) - 1) as u8;
                let free = Observation { outcome: all, ..o.clone() };
                step(
                    k,
                    np,
                    &free,
                    theta,
                    &self.q[c],
                    Some(&self.e[c]),
                    &mut self.spare,
                    &mut self.scratch,
                );
            }
            std::mem::swap(&mut self.q[c], &mut self.spare);
        }
        self.year += 1;
        if self.year < self.f.years.len() {
            self.read(theta);
        }
    }

    /// E of every cell of the current year from the marginals `q` (see the module header).
    fn read(&mut self, theta: &[f64]) {
        let (f, np) = (self.f, self.np);
        let (n, k) = (f.states, f.frameworks);
        let y = &f.years[self.year];
        for slot in 0..f.slots {
            let r = y.reading[slot];
            let (wn, ws, wh, lambda) = (r.network.at(theta), r.standards.at(theta), r.hedging.at(theta), r.lambda);
            let cells = slot * n..(slot + 1) * n;
            self.s.set_zero();
            for (j, q) in self.q[cells].iter().enumerate() {
                self.s.add_scaled(f.gdp[j], q);
            }
            for i in 0..n {
                let c = slot * n + i;
                if y.cells[c].is_none() {
                    continue;
                }
                self.xn.set_zero();
                for &(j, w) in &f.partners[i] {
                    self.xn.add_scaled(w, &self.q[slot * n + j]);
                }
                self.xs.clone_from(&self.s);
                self.xs.add_scaled(-f.gdp[i], &self.q[c]);
                self.xh.set_zero();
                if f.hedgers[i] {
                    for other in (0..f.slots).filter(|&o| o != slot) {
                        self.xh.add_scaled(-1.0 / (f.slots - 1) as f64, &self.q[other * n + i]);
                    }
                }
                let (xn, xs, xh, e) = (&self.xn, &self.xs, &self.xh, &mut self.e[c]);
                for kk in 0..k {
                    e.p[kk] = lambda * (wn * xn.p[kk] + ws * xs.p[kk] + wh * xh.p[kk]);
                }
                if e.d.is_empty() {
                    continue;
                }
                let first = |x: &Dist, a: usize, kk: usize| x.d[a * k + kk];
                for a in 0..np {
                    for kk in 0..k {
                        let mut v = wn * first(xn, a, kk) + ws * first(xs, a, kk) + wh * first(xh, a, kk);
                        for (w, x) in [(r.network, xn), (r.standards, xs), (r.hedging, xh)] {
                            v += if w.is(a) { x.p[kk] } else { 0.0 };
                        }
                        e.d[a * k + kk] = lambda * v;
                    }
                }
                for a in 0..np {
                    for b in 0..np {
                        for kk in 0..k {
                            let at = (a * np + b) * k + kk;
                            let mut v = wn * xn.dd[at] + ws * xs.dd[at] + wh * xh.dd[at];
                            for (w, x) in [(r.network, xn), (r.standards, xs), (r.hedging, xh)] {
                                v += if w.is(a) { first(x, b, kk) } else { 0.0 };
                                v += if w.is(b) { first(x, a, kk) } else { 0.0 };
                            }
                            e.dd[at] = lambda * v;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::calibrate::likelihood::tests::assert_derivatives_match_finite_differences;
    use crate::calibrate::likelihood::{Branch, Filter, Problem, Rate};

    const K: usize = 3;
    const NP: usize = 5;
    const YEARS: usize = 4;

    /// Three states, state 0 anchored on framework 0 in every domain; θ = (network weight,
    /// standards weight, η of the revision rate, a utility slope, hedging weight).
    fn branch(year: usize, i: usize, from: u8, prior: f64) -> Branch {
        let x = 0.3 * year as f64 - 0.2 * i as f64;
        let mut slope = vec![0.0; NP * K];
        slope[3 * K..4 * K].copy_from_slice(&[x, -0.5 * x, 0.2]);
        Branch {
            prior,
            from,
            fixed: (0..K)
                .map(|k| 0.2 * k as f64 * x - if k == from as usize { 0.0 } else { 0.4 })
                .collect(),
            slope,
        }
    }

    /// One domain; `evidence(year, state)`: what the frontier is told of free states 1 and 2.
    fn frontier(evidence: impl Fn(usize, usize) -> u8, initial: [[f64; K]; 2]) -> Frontier {
        domains(1, evidence, initial)
    }

    /// `slots` domains with the same evidence in each, states 1 and 2 hedging when there are
    /// several.
    fn domains(slots: usize, evidence: impl Fn(usize, usize) -> u8, initial: [[f64; K]; 2]) -> Frontier {
        let reading = Reading {
            lambda: 1.3,
            network: Weight::Free(0),
            standards: Weight::Free(1),
            hedging: Weight::Free(4),
        };
        let years = (0..YEARS)
            .map(|y| Year {
                reading: vec![reading; slots],
                cells: (0..3 * slots)
                    .map(|c| {
                        let i = c % 3;
                        (i > 0).then(|| Observation {
                            cluster: i,
                            rate: Rate::Free(2),
                            outcome: evidence(y, i),
                            branches: (0..K as u8).map(|j| branch(y + c / 3, i, j, 0.0)).collect(),
                            filter: None,
                            detection: None,
                            reads: None,
                        })
                    })
                    .collect(),
            })
            .collect();
        let per = |x: Vec<Vec<f64>>| (0..slots).flat_map(|_| x.clone()).collect();
        Frontier {
            states: 3,
            slots,
            frameworks: K,
            initial: per(vec![vec![1.0, 0.0, 0.0], initial[0].to_vec(), initial[1].to_vec()]),
            shares: per(vec![vec![1.0, 0.0, 0.0], vec![0.5, 0.3, 0.2], vec![0.2, 0.2, 0.6]]),
            partners: vec![vec![(1, 1.0)], vec![(0, 0.5), (2, 0.5)], vec![(0, 0.3), (1, 0.7)]],
            gdp: vec![0.5, 0.3, 0.2],
            hedgers: vec![false, slots > 1, slots > 1],
            years,
        }
    }

    /// Histories of states 1 and 2 (U = {CN}) reading the frontier: state 1 adopts in year 2.
    fn problem(f: Frontier) -> Problem {
        let mut obs = Vec::new();
        for y in 0..YEARS {
            for i in 1..3 {
                if i == 1 && y > 2 {
                    continue;
                }
                obs.push(Observation {
                    cluster: i,
                    rate: Rate::Free(2),
                    outcome: if i == 1 && y == 2 { 0b100 } else { 0b011 },
                    branches: vec![branch(y, i, 0, 0.6), branch(y, i, 1, 0.4)],
                    filter: Some(Filter {
                        history: i,
                        restart: y == 0,
                    }),
                    detection: None,
                    reads: Some(Reads { year: y, cell: i }),
                });
            }
        }
        Problem {
            frameworks: K,
            params: NP,
            clusters: 3,
            obs,
            frontier: Some(Arc::new(f)),
        }
    }

    const ALL: u8 = 0b111;

    /// One domain, and two where states 1 and 2 hedge (the hedging term reads their other
    /// domain's marginal).
    #[test]
    fn gradient_and_hessian_through_the_partners_match_finite_differences() {
        let evidence = |y: usize, i: usize| if (y, i) == (2, 1) { 0b100 } else { ALL };
        let initial = [[0.6, 0.4, 0.0], [0.3, 0.3, 0.4]];
        for slots in [1, 2] {
            finite_differences(&problem(domains(slots, evidence, initial)), slots > 1);
        }
        let p = problem(frontier(evidence, initial));
        let theta = [0.8, -0.5, -1.0, 0.3, 0.6];
        let e = p.eval(&theta);
        // The partners matter: their weights have a gradient, and the frontier's evidence moves ℓ.
        assert!(e.grad[0].abs() > 1e-3 && e.grad[1].abs() > 1e-3, "{}", e.grad);
        let silent = problem(frontier(|_, _| ALL, initial));
        assert!((silent.loglik(&theta) - e.loglik).abs() > 1e-6);
    }

    fn finite_differences(p: &Problem, hedging: bool) {
        let theta = [0.8, -0.5, -1.0, 0.3, 0.6];
        assert_eq!(p.eval(&theta).grad[4] != 0.0, hedging);
        assert_derivatives_match_finite_differences(p, &theta);
    }

    /// Partners the evidence pins to one framework every year are read exactly as the old
    /// observed state read them: the frontier's problem equals one whose branches carry the
    /// network and standards features of those frameworks as constant slopes.
    #[test]
    fn known_partners_are_read_at_their_frameworks() {
        let at = |y: usize, i: usize| ((y + i) % K) as u8;
        let f = frontier(|y, i| 1 << at(y, i), [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
        let p = problem(f.clone());
        let mut hard = p.clone();
        hard.frontier = None;
        // The framework of state j at the end of year y − 1 (y = 0: the initial point masses).
        let on = |y: usize, j: usize| match (j, y) {
            (0, _) => 0,
            (_, 0) => j,
            _ => at(y - 1, j) as usize,
        };
        for o in &mut hard.obs {
            let r = o.reads.take().unwrap();
            let i = r.cell;
            for br in &mut o.branches {
                for &(j, w) in &f.partners[i] {
                    br.slope[on(r.year, j)] += 1.3 * w;
                }
                for j in (0..3).filter(|&j| j != i) {
                    br.slope[K + on(r.year, j)] += 1.3 * f.gdp[j];
                }
            }
        }
        let theta = [0.8, -0.5, -1.0, 0.3, 0.6];
        let (a, b) = (p.eval(&theta), hard.eval(&theta));
        assert!((a.loglik - b.loglik).abs() < 1e-12, "{} vs {}", a.loglik, b.loglik);
        assert!((a.grad - b.grad).norm() < 1e-10 && (a.hess - b.hess).norm() < 1e-10);
    }

    /// A held-out state's evidence is gone from the subset's frontier: its marginal follows the
    /// model, so the remaining observations' likelihood changes; keeping every observation
    /// changes nothing.
    #[test]
    fn a_subset_drops_the_evidence_of_the_states_it_holds_out() {
        let p = problem(frontier(
            |y, i| if (y, i) == (1, 1) { 0b001 } else { ALL },
            [[0.6, 0.4, 0.0], [0.3, 0.3, 0.4]],
        ));
        let theta = [0.8, -0.5, -1.0, 0.3, 0.6];
        let everything: Vec<usize> = (0..p.obs.len()).collect();
        assert_eq!(p.subset(&everything).loglik(&theta), p.loglik(&theta));
        let of_two: Vec<usize> = everything.iter().copied().filter(|&o| p.obs[o].cluster == 2).collect();
        let sub = p.subset(&of_two);
        let f = sub.frontier.as_ref().unwrap();
        assert!(f.years.iter().all(|y| y.cells[1].as_ref().unwrap().outcome == ALL));
        assert_eq!(f.initial[1], f.shares[1]);
        let kept = Problem {
            obs: of_two.iter().map(|&o| p.obs[o].clone()).collect(),
            ..p.clone_empty()
        };
        assert!((sub.loglik(&theta) - kept.loglik(&theta)).abs() > 1e-9);
    }
}
