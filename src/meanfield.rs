//! Mean-field approximation: deterministic expected shares, their fixed points and their stability.
//!
//! For one domain, write s_ik for the static utility of framework k to state i (every term that
//! does not depend on the others' alignments) and x for the aggregate count shares. In the
//! mean-field approximation the network term of every state is J·x_k (exact for the complete graph
//! as N → ∞, where N_idk is the share of the N − 1 others on k), and the standards pull of the GDP
//! share is b_std·x_k when all states have equal GDP. The expected share after one revision round
//! (revision rate ρ, no switching cost) is
//!
//! ```text
//! x' = (1 − ρ) x + ρ F(x),   F_k(x) = (1/N) Σ_i softmax_k(λ (s_i + J x))     (anchored cells fixed)
//! ```
//!
//! Fixed points solve F(x) = x on the simplex; [`solve`] finds them by damped Newton from a grid of
//! starts and dedupes them. A fixed point is stable when the spectral radius of the Jacobian of the
//! map x ↦ (1 − ρ) x + ρ F(x), restricted to the simplex's tangent space, is below one. Without
//! interactions (J = 0) F is constant: the single fixed point is the softmax averaged over states.
//!
//! What the approximation cannot express is refused: switching costs (the choice then depends on
//! the current framework), hedging across domains, sponsors' investment, the network term on a
//! country or custom world, and the GDP-share standards pull with unequal GDPs. Events are ignored
//! (the fixed points are those of the parameters at the start); uncertain parameters take run 0's
//! draws; taste heterogeneity is drawn once from the batch seed.

use nalgebra::DMatrix;

use crate::error::{Error, Result};
use crate::model::utility::{self, TermInputs};
use crate::model::{Model, NO_ANCHOR, choice};
use crate::rng::seeded;
use crate::scenario::term::TERMS;
use crate::scenario::{Term, WorldSource};

/// Every utility term, in the order `meanfield` checks them and reports what it cannot express. Its
/// length is the number of terms: a new term does not compile until it has its place here.
const MESSAGE_ORDER: [Term; TERMS] = [
    Term::Hedging,
    Term::Investment,
    Term::Network,
    Term::Standards,
    Term::Econ,
    Term::Affinity,
    Term::Security,
];

/// One fixed point of the expected-share map.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedPoint {
    /// Count shares per framework.
    pub shares: Vec<f64>,
    /// Eigenvalues (re, im) of the map's Jacobian on the simplex tangent space.
    pub eigenvalues: Vec<(f64, f64)>,
    /// Spectral radius of that Jacobian.
    pub spectral_radius: f64,
    /// Whether the spectral radius is below 1.
    pub stable: bool,
}

/// The mean-field problem of one domain: distinct static-utility rows with their multiplicities.
#[derive(Debug, Clone)]
pub struct DomainField {
    /// Number of frameworks K.
    pub k: usize,
    /// Choice intensity λ.
    pub lambda: f64,
    /// Coupling J of the aggregate share x_k (network weight on a synthetic network, plus the
    /// standards weight when GDPs are equal).
    pub coupling: f64,
    /// Revision rate ρ of the domain.
    pub rate: f64,
    /// Distinct utility rows `[r*K + k]` of the revisable cells.
    pub rows: Vec<f64>,
    /// How many revisable cells have each row, divided by N.
    pub mass: Vec<f64>,
    /// Share of all N cells anchored to each framework.
    pub anchored: Vec<f64>,
}

/// Build the mean-field problem of every domain of a model.
pub fn fields(model: &Model) -> Result<Vec<DomainField>> {
    let s = &model.scenario;
    let (k_count, d_count) = (model.layout.frameworks, model.layout.domains);
    let draws = s.draws(s.batch.seed, 0);
    let knobs = crate::model::Knobs::realize(s, &draws);
    if !knobs.lambda.is_finite() {
        return Err(refuse("lambda = inf (best response) has no smooth expected-share map"));
    }
    let (affinity, security) = model.tastes(&draws, &mut seeded(s.batch.seed), false);
    let equal_gdp = model.world.gdp.iter().all(|&g| g == model.world.gdp[0]);
    // Events are ignored and the GDP-share part of the standards pull enters through the coupling:
    // the static rows read the push s_dk alone.
    let no_gdp_share = vec![0.0; d_count * k_count];
    let inputs = TermInputs {
        model,
        knobs: &knobs,
        affinity: &affinity,
        security: &security,
        partnership: &[],
        export: &[],
        stock: &[],
        gdp_share: &no_gdp_share,
    };
    let mut out = Vec::with_capacity(d_count);
    for d in 0..d_count {
        let name = &s.domains[d];
        if knobs.cost[d] != 0.0 {
            return Err(refuse(&format!("domain {name} has a switching cost")));
        }
        let w = utility::weights(&knobs, d);
        let coupling = coupling(model, &w, equal_gdp)?;
        let (rows, mass, anchored) = static_rows(&inputs, &w, d);
        out.push(DomainField {
            k: k_count,
            lambda: knobs.lambda,
            coupling,
            rate: knobs.rate[d],
            rows,
            mass,
            anchored,
        });
    }
    Ok(out)
}

/// The error for what the mean-field approximation does not cover.
fn refuse(what: &str) -> Error {
    Error::Usage(format!("meanfield: {what}; the mean-field approximation does not cover it"))
}

/// The coupling J of a domain whose term weights are `w`: the network weight on a synthetic network
/// of positive degree, plus the standards weight when GDPs are equal. Every term, in the order of
/// the messages: what the approximation cannot express is refused.
fn coupling(model: &Model, w: &[f64; TERMS], equal_gdp: bool) -> Result<f64> {
    let mut coupling = 0.0;
    for t in MESSAGE_ORDER {
        let wt = w[t as usize];
        if wt == 0.0 {
            continue;
        }
        match t {
            Term::Hedging if model.layout.domains > 1 => return Err(refuse("the hedging term couples domains")),
            Term::Investment if model.has_sponsors => return Err(refuse("sponsors' investment changes the utilities over time")),
            Term::Network => match &model.scenario.world.source {
                WorldSource::Synthetic { degree, .. } if *degree > 0 => coupling += wt,
                WorldSource::Synthetic { .. } => {}
                _ => {
                    return Err(refuse(
                        "the network term outside a synthetic world (N_idk is not the aggregate share)",
                    ));
                }
            },
            Term::Standards if !equal_gdp => return Err(refuse("the standards pull weights shares by GDP and the GDPs differ")),
            Term::Standards => coupling += wt,
            // Static within a run: in the rows below.
            Term::Hedging | Term::Investment | Term::Econ | Term::Affinity | Term::Security => {}
        }
    }
    Ok(coupling)
}

/// The distinct static utility rows of domain d's revisable cells (`[r*K + k]`), the share of the N
/// cells with each, and the share anchored to each framework.
fn static_rows(inputs: &TermInputs, w: &[f64; TERMS], d: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let model = inputs.model;
    let (n, k_count) = (model.layout.states, model.layout.frameworks);
    let mut anchored = vec![0.0; k_count];
    let mut map: std::collections::HashMap<Vec<u64>, usize> = std::collections::HashMap::new();
    let (mut rows, mut mass) = (Vec::new(), Vec::new());
    let mut row = vec![0.0; k_count];
    for i in 0..n {
        let a = model.anchor[d * n + i];
        if a != NO_ANCHOR {
            anchored[a as usize] += 1.0 / n as f64;
            continue;
        }
        let global: Vec<f64> = (0..k_count).map(|fw| inputs.standards_pull(w, d, fw)).collect();
        inputs.static_row(w, &global, d, i, &mut row);
        let key: Vec<u64> = row.iter().map(|x| x.to_bits()).collect();
        let idx = *map.entry(key).or_insert_with(|| {
            rows.extend_from_slice(&row);
            mass.push(0.0);
            mass.len() - 1
        });
        mass[idx] += 1.0 / n as f64;
    }
    (rows, mass, anchored)
}

impl DomainField {
    /// F(x) into `f`, and its Jacobian dF_k/dx_j into `jac` (`[k*K + j]`) when given.
    pub fn eval(&self, x: &[f64], f: &mut [f64], mut jac: Option<&mut [f64]>) {
        let k = self.k;
        f.copy_from_slice(&self.anchored);
        if let Some(j) = jac.as_deref_mut() {
            j.iter_mut().for_each(|v| *v = 0.0);
        }
        let mut u = [0.0; choice::MAX_FRAMEWORKS];
        let mut p = [0.0; choice::MAX_FRAMEWORKS];
        for (r, &m) in self.mass.iter().enumerate() {
            for fw in 0..k {
                u[fw] = self.rows[r * k + fw] + self.coupling * x[fw];
            }
            choice::probabilities(&u[..k], self.lambda, &mut p[..k]);
            for fw in 0..k {
                f[fw] += m * p[fw];
            }
            if let Some(j) = jac.as_deref_mut() {
                let c = m * self.lambda * self.coupling;
                for a in 0..k {
                    for b in 0..k {
                        j[a * k + b] += c * p[a] * ((a == b) as u8 as f64 - p[b]);
                    }
                }
            }
        }
    }

    /// Jacobian of the revision map on the simplex's tangent space, in the coordinates x_1..x_{K−1}.
    fn tangent_jacobian(&self, x: &[f64]) -> DMatrix<f64> {
        let k = self.k;
        let mut f = vec![0.0; k];
        let mut j = vec![0.0; k * k];
        self.eval(x, &mut f, Some(&mut j));
        DMatrix::from_fn(k - 1, k - 1, |a, b| j[a * k + b] - j[a * k + (k - 1)])
    }

    /// Stability of a fixed point under x' = (1 − ρ) x + ρ F(x).
    pub fn classify(&self, x: &[f64]) -> FixedPoint {
        let a = self.tangent_jacobian(x);
        let m = DMatrix::identity(self.k - 1, self.k - 1) * (1.0 - self.rate) + a * self.rate;
        let eig = m.complex_eigenvalues();
        let eigenvalues: Vec<(f64, f64)> = eig.iter().map(|c| (c.re, c.im)).collect();
        let spectral_radius = eig.iter().map(|c| c.norm()).fold(0.0, f64::max);
        FixedPoint {
            shares: x.to_vec(),
            eigenvalues,
            spectral_radius,
            stable: spectral_radius < 1.0,
        }
    }

    /// Newton on G(y) = F(y) − y in the coordinates y = x_1..x_{K−1}, damped to stay in the simplex.
    fn newton(&self, start: &[f64]) -> Option<Vec<f64>> {
        let k = self.k;
        let mut x = start.to_vec();
        let mut f = vec![0.0; k];
        let mut jac = vec![0.0; k * k];
        for _ in 0..200 {
            self.eval(&x, &mut f, Some(&mut jac));
            let g: Vec<f64> = (0..k - 1).map(|a| f[a] - x[a]).collect();
            let norm = g.iter().map(|v| v.abs()).fold(0.0, f64::max);
            if norm < 1e-13 {
                return Some(x);
            }
            let a = DMatrix::from_fn(k - 1, k - 1, |r, c| {
                jac[r * k + c] - jac[r * k + (k - 1)] - if r == c { 1.0 } else { 0.0 }
            });
            let rhs = nalgebra::DVector::from_iterator(k - 1, g.iter().map(|v| -v));
            let step = match a.lu().solve(&rhs) {
                Some(s) if s.iter().all(|v| v.is_finite()) => s,
                _ => nalgebra::DVector::from_iterator(k - 1, g.iter().copied()),
            };
            // Damp: halve until the new point lies in the simplex.
            let mut t = 1.0;
            let next = loop {
                let mut y: Vec<f64> = (0..k - 1).map(|a| x[a] + t * step[a]).collect();
                let last = 1.0 - y.iter().sum::<f64>();
                y.push(last);
                if y.iter().all(|&v| v >= -1e-15) {
                    break Some(y);
                }
                t *= 0.5;
                if t < 1e-10 {
                    break None;
                }
            };
            x = next?;
        }
        None
    }

    /// All fixed points found from a grid of starts on the simplex, deduped, with their stability.
    pub fn fixed_points(&self) -> Vec<FixedPoint> {
        let k = self.k;
        // Grid resolution: as fine as keeps the number of starts near 300.
        let mut m = 1usize;
        while binomial(m + 1 + k - 1, k - 1) <= 300 && m < 60 {
            m += 1;
        }
        let mut found: Vec<Vec<f64>> = Vec::new();
        let mut comp = vec![0usize; k];
        grid(m, k, 0, m, &mut comp, &mut |c| {
            // Starts strictly inside the simplex: shrink towards the centre.
            let start: Vec<f64> = c.iter().map(|&v| 0.98 * v as f64 / m as f64 + 0.02 / k as f64).collect();
            if let Some(x) = self.newton(&start)
                && !found.iter().any(|y| y.iter().zip(&x).all(|(a, b)| (a - b).abs() < 1e-7))
            {
                found.push(x);
            }
        });
        found.sort_by(|a, b| b.partial_cmp(a).unwrap_or(std::cmp::Ordering::Equal));
        found.iter().map(|x| self.classify(x)).collect()
    }
}

fn binomial(n: usize, r: usize) -> usize {
    (0..r).fold(1usize, |acc, i| acc * (n - i) / (i + 1))
}

/// Visit every composition of `total` into `k` non-negative parts.
fn grid(total: usize, k: usize, pos: usize, left: usize, comp: &mut Vec<usize>, visit: &mut dyn FnMut(&[usize])) {
    if pos == k - 1 {
        comp[pos] = left;
        visit(comp);
        return;
    }
    let _ = total;
    for v in 0..=left {
        comp[pos] = v;
        grid(total, k, pos + 1, left - v, comp, visit);
    }
}

/// Fixed points of every domain of a model.
pub fn solve(model: &Model) -> Result<Vec<Vec<FixedPoint>>> {
    Ok(fields(model)?.iter().map(DomainField::fixed_points).collect())
}

/// The report printed by `blocsim meanfield`.
pub fn report(model: &Model) -> Result<String> {
    use std::fmt::Write;
    let fields = fields(model)?;
    let s = &model.scenario;
    let mut out = String::new();
    let _ = writeln!(out, "mean-field fixed points of {} ({} states)", s.name, model.layout.states);
    for (d, f) in fields.iter().enumerate() {
        let _ = writeln!(
            out,
            "domain {}: lambda = {}, coupling J = {}, revision rate = {}",
            s.domains[d], f.lambda, f.coupling, f.rate
        );
        let header: Vec<String> = s.frameworks.iter().map(|n| format!("{n:>10}")).collect();
        let _ = writeln!(out, "  {}  {:>8}  stability", header.join(""), "radius");
        for p in f.fixed_points() {
            let shares: Vec<String> = p.shares.iter().map(|v| format!("{v:>10.6}")).collect();
            let _ = writeln!(
                out,
                "  {}  {:>8.4}  {}",
                shares.join(""),
                p.spectral_radius,
                if p.stable { "stable" } else { "unstable" }
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(k: usize, lambda: f64, j: f64, h: &[f64]) -> DomainField {
        DomainField {
            k,
            lambda,
            coupling: j,
            rate: 1.0,
            rows: h.to_vec(),
            mass: vec![1.0],
            anchored: vec![0.0; k],
        }
    }

    #[test]
    fn no_interaction_gives_the_softmax() {
        let f = field(3, 1.3, 0.0, &[0.0, 0.5, 1.0]);
        let fp = f.fixed_points();
        assert_eq!(fp.len(), 1);
        let mut p = [0.0; 3];
        choice::probabilities(&[0.0, 0.5, 1.0], 1.3, &mut p);
        assert!(fp[0].shares.iter().zip(p).all(|(a, b)| (a - b).abs() < 1e-10));
        assert!(fp[0].stable && fp[0].spectral_radius < 1e-12);
    }

    #[test]
    fn two_options_bifurcate_at_lambda_j_two() {
        assert_eq!(field(2, 1.0, 1.9, &[0.0, 0.0]).fixed_points().len(), 1);
        let fp = field(2, 1.0, 2.5, &[0.0, 0.0]).fixed_points();
        assert_eq!(fp.len(), 3);
        assert_eq!(fp.iter().filter(|p| p.stable).count(), 2);
        // m = tanh(λJ m / 2) at the stable points.
        for p in fp.iter().filter(|p| p.stable) {
            let m = 2.0 * p.shares[0] - 1.0;
            assert!((m - (1.25 * m).tanh()).abs() < 1e-10);
        }
    }

    #[test]
    fn three_options_symmetric_point_changes_stability_at_k() {
        for (lj, stable) in [(2.9, true), (3.1, false)] {
            let fp = field(3, 1.0, lj, &[0.0; 3]).fixed_points();
            let sym = fp.iter().find(|p| p.shares.iter().all(|&x| (x - 1.0 / 3.0).abs() < 1e-9)).unwrap();
            assert_eq!(sym.stable, stable, "λJ = {lj}");
            assert!((sym.spectral_radius - lj / 3.0).abs() < 1e-9);
        }
    }
}
