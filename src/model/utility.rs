//! The utility terms: the one list of what a state values in a framework, and the one place that
//! computes each term's value.
//!
//! ```text
//! U_idk = α_dk + Σ_t w_dt x_tidk − X_idk − c_d [k ≠ current]
//! ```
//!
//! α_dk is the framework constant (`domain.D.constants.F`, 0 for the first framework, the
//! reference), w_dt is term t's weight in domain d (`utility.KEY`, or `domain.D.weights.KEY`),
//! x_tidk its value (the *feature*) for state i, domain d and framework k, X_idk the export-control
//! penalty (a fixed offset) and c_d the switching cost. [`REGISTRY`] describes every term; [`TermInputs`] computes
//! their values from a run's state, for the run itself ([`TermInputs::static_row`],
//! [`TermInputs::add_choice_terms`]), for the estimator of the weights ([`TermInputs::features`]),
//! and for the mean-field approximation. Code that treats terms differently matches on [`Term`]
//! exhaustively, so a new term cannot be skipped silently.
//!
//! Adding a term: its own file with its pure functions (like [`super::economy`]), a [`Term`]
//! variant, its [`REGISTRY`] entry, its arm in [`TermInputs::feature`] (and in
//! [`TermInputs::static_row`] or [`TermInputs::add_choice_terms`]), and its row in
//! `docs/model.md` (a test checks the table against the registry).

use super::{Knobs, Model, choice, hedging, investment, network};
use crate::scenario::{TERMS, Term};

/// When a term's value can change, which decides where the run computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Varies {
    /// Fixed for a run, except by events (the run computes it once, and again after an event).
    ByEvents,
    /// Recomputed once a year, before the revisions, from last year's state.
    Yearly,
    /// Read from the alignments the revising state sees: computed at each decision.
    WithChoices,
}

/// What the registry says of one term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermDef {
    /// The term described.
    pub term: Term,
    /// The symbol in the equations of `docs/model.md`.
    pub symbol: &'static str,
    /// What the term measures, in one line.
    pub meaning: &'static str,
    /// When its value changes within a run.
    pub varies: Varies,
}

/// Every utility term, in [`Term`] order.
pub const REGISTRY: [TermDef; TERMS] = [
    TermDef {
        term: Term::Econ,
        symbol: "E",
        meaning: "share of the state's trade with the framework's home states",
        varies: Varies::ByEvents,
    },
    TermDef {
        term: Term::Investment,
        symbol: "I",
        meaning: "ln(1 + investment stock from the framework's sponsor / (scale × GDP))",
        varies: Varies::Yearly,
    },
    TermDef {
        term: Term::Network,
        symbol: "N",
        meaning: "trade-weighted share of the state's partners on the framework in the domain",
        varies: Varies::WithChoices,
    },
    TermDef {
        term: Term::Affinity,
        symbol: "A",
        meaning: "governance affinity: freedom closeness, memberships, partnerships, taste heterogeneity",
        varies: Varies::ByEvents,
    },
    TermDef {
        term: Term::Security,
        symbol: "S",
        meaning: "security ties: alliance memberships",
        varies: Varies::ByEvents,
    },
    TermDef {
        term: Term::Standards,
        symbol: "G",
        meaning: "GDP share of the framework in the domain last year plus its standards push",
        varies: Varies::Yearly,
    },
    TermDef {
        term: Term::Hedging,
        symbol: "H",
        meaning: "minus the share of the state's other domains on the framework (hedgers only)",
        varies: Varies::WithChoices,
    },
];

/// The registry entry of `term`.
pub const fn def(term: Term) -> &'static TermDef {
    &REGISTRY[term as usize]
}

/// The weight of every term in domain `d`, in [`Term`] order.
pub fn weights(knobs: &Knobs, d: usize) -> [f64; TERMS] {
    Term::ALL.map(|t| knobs.weight(d, t))
}

/// What an empty per-state array (every value 0, not stored) reads as: the same arithmetic as the
/// zeros it stands for.
const ZEROS: [f64; choice::MAX_FRAMEWORKS] = [0.0; choice::MAX_FRAMEWORKS];

/// What the terms read from a run in one year. Per-state arrays are `[i*K + k]`, per-cell arrays
/// `[(d*N + i)*K + k]`; the optional per-cell arrays are empty when the scenario has nothing in
/// them (no partnership events, no export controls, no sponsors).
#[derive(Debug, Clone, Copy)]
pub struct TermInputs<'a> {
    /// The model the run simulates.
    pub model: &'a Model,
    /// The run's parameter values.
    pub knobs: &'a Knobs,
    /// A_ik before weighting: freedom closeness, group bonuses and taste heterogeneity.
    pub affinity: &'a [f64],
    /// S_ik before weighting (empty when every value is 0).
    pub security: &'a [f64],
    /// Partnership bonuses P_idk, part of the affinity term.
    pub partnership: &'a [f64],
    /// Export-control penalties X_idk.
    pub export: &'a [f64],
    /// Investment stocks, million US$.
    pub stock: &'a [f64],
    /// GDP share of each framework per domain `[d*K + k]`, as of last year.
    pub gdp_share: &'a [f64],
}

/// The value of every term for every state and framework of one domain, at one alignment state:
/// the utility is `constant(k) + Σ_t weight[t] · value(t, i, k) + offset(i, k) − c_d [k ≠ current(i)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// Number of states N.
    pub states: usize,
    /// Number of frameworks K.
    pub frameworks: usize,
    /// `[(t*N + i)*K + k]`, t in [`Term`] order.
    pub values: Vec<f64>,
    /// Minus the export-control penalty, `[i*K + k]`.
    pub offset: Vec<f64>,
    /// The framework constants α_dk of the domain, `[k]`.
    pub constant: Vec<f64>,
    /// The framework each state is on in the domain.
    pub current: Vec<u8>,
}

impl Features {
    /// x_t for state i and framework k.
    pub fn value(&self, t: Term, i: usize, k: usize) -> f64 {
        self.values[(t as usize * self.states + i) * self.frameworks + k]
    }

    /// U_ik for the given weights (in [`Term`] order) and switching cost.
    pub fn utility(&self, weights: &[f64; TERMS], cost: f64, i: usize, k: usize) -> f64 {
        let mut u = self.offset[i * self.frameworks + k];
        for t in Term::ALL {
            u += weights[t as usize] * self.value(t, i, k);
        }
        if self.constant[k] != 0.0 {
            u += self.constant[k];
        }
        if k != self.current[i] as usize {
            u -= cost;
        }
        u
    }
}

impl TermInputs<'_> {
    /// x_t for state i, domain d and framework k, with `read` the alignments it sees (`[d*N + i]`).
    pub fn feature(&self, t: Term, read: &[u8], d: usize, i: usize, k: usize) -> f64 {
        let m = self.model;
        let (n, kk) = (m.layout.states, m.layout.frameworks);
        let cell = (d * n + i) * kk + k;
        match t {
            Term::Econ => m.econ.get(i * kk + k).copied().unwrap_or(0.0),
            Term::Investment => match self.stock.get(cell) {
                Some(&s) if s > 0.0 => investment::value(s, m.world.gdp[i], self.knobs.investment_scale),
                _ => 0.0,
            },
            Term::Network => {
                let (targets, weights) = m.world.ties.row(i);
                let mut shares = [0.0; choice::MAX_FRAMEWORKS];
                network::partner_shares(targets, weights, &read[d * n..(d + 1) * n], &mut shares[..kk]);
                shares[k]
            }
            Term::Affinity => self.affinity[i * kk + k] + self.partnership.get(cell).copied().unwrap_or(0.0),
            Term::Security => self.security.get(i * kk + k).copied().unwrap_or(0.0),
            Term::Standards => self.gdp_share[d * kk + k] + self.knobs.standards[d * kk + k],
            Term::Hedging => {
                if m.layout.domains > 1 && m.hedgers[i] {
                    -hedging::concentration(others_on(read, m.layout.domains, n, d, i, k), m.layout.domains)
                } else {
                    0.0
                }
            }
        }
    }

    /// Every term's value for every state of domain `d` at the alignments `read`.
    pub fn features(&self, read: &[u8], d: usize) -> Features {
        let (n, k) = (self.model.layout.states, self.model.layout.frameworks);
        let mut values = Vec::with_capacity(TERMS * n * k);
        for t in Term::ALL {
            for i in 0..n {
                for fw in 0..k {
                    values.push(self.feature(t, read, d, i, fw));
                }
            }
        }
        let offset = (0..n * k)
            .map(|c| -self.export.get(d * n * k + c).copied().unwrap_or(0.0))
            .collect();
        Features {
            states: n,
            frameworks: k,
            values,
            offset,
            constant: self.knobs.constant[d * k..(d + 1) * k].to_vec(),
            current: read[d * n..(d + 1) * n].to_vec(),
        }
    }

    /// The part of U_idk that does not depend on this year's choices, for every framework k of cell
    /// (d, i), into `out[..K]`: every term that is not [`Varies::WithChoices`], and the export
    /// penalty and the framework constant. `global[k]` is w_std·G_dk (the same for all states of the
    /// domain, computed once by [`TermInputs::standards_pull`]). The additions run in a fixed order,
    /// which is part of the output bytes; a zero constant is not added (so a scenario without
    /// constants computes exactly what it did before they existed).
    #[inline]
    pub fn static_row(&self, w: &[f64; TERMS], global: &[f64], d: usize, i: usize, out: &mut [f64]) {
        let m = self.model;
        let (n, kk) = (m.layout.states, m.layout.frameworks);
        let (base, cell) = (i * kk, (d * n + i) * kk);
        let (econ, affinity, security) = (
            m.econ.get(base..base + kk).unwrap_or(&ZEROS[..kk]),
            &self.affinity[base..base + kk],
            self.security.get(base..base + kk).unwrap_or(&ZEROS[..kk]),
        );
        let partnership = self.partnership.get(cell..cell + kk);
        let export = self.export.get(cell..cell + kk);
        let (w_econ, w_aff, w_sec, w_inv) = (
            w[Term::Econ as usize],
            w[Term::Affinity as usize],
            w[Term::Security as usize],
            w[Term::Investment as usize],
        );
        // ln(1 + 0) = 0: without investment the logarithm is skipped.
        let stock = self.stock.get(cell..cell + kk).filter(|_| w_inv != 0.0);
        let gdp = m.world.gdp[i];
        let constant = &self.knobs.constant[d * kk..(d + 1) * kk];
        for (fw, o) in out[..kk].iter_mut().enumerate() {
            let mut u = global[fw] + w_econ * econ[fw] + w_aff * affinity[fw] + w_sec * security[fw];
            if let Some(p) = partnership {
                u += w_aff * p[fw];
            }
            if let Some(x) = export {
                u -= x[fw];
            }
            if let Some(s) = stock
                && s[fw] > 0.0
            {
                u += w_inv * investment::value(s[fw], gdp, self.knobs.investment_scale);
            }
            if constant[fw] != 0.0 {
                u += constant[fw];
            }
            *o = u;
        }
    }

    /// w_std·G_dk: the standards term, the same for every state of domain `d`.
    #[inline]
    pub fn standards_pull(&self, w: &[f64; TERMS], d: usize, k: usize) -> f64 {
        let kk = self.model.layout.frameworks;
        w[Term::Standards as usize] * (self.gdp_share[d * kk + k] + self.knobs.standards[d * kk + k])
    }

    /// Add the [`Varies::WithChoices`] terms of state i in domain d, at the alignments `read`, to
    /// `u[..K]` (which holds the static part).
    #[inline]
    pub fn add_choice_terms(&self, w: &[f64; TERMS], read: &[u8], d: usize, i: usize, u: &mut [f64]) {
        let m = self.model;
        let (n, k, dd) = (m.layout.states, m.layout.frameworks, m.layout.domains);
        for t in Term::ALL {
            let wt = w[t as usize];
            if !choice_term_applies(m, t, wt, i) {
                continue;
            }
            match t {
                Term::Network => {
                    let (targets, weights) = m.world.ties.row(i);
                    let mut shares = [0.0; choice::MAX_FRAMEWORKS];
                    network::partner_shares(targets, weights, &read[d * n..(d + 1) * n], &mut shares[..k]);
                    for fw in 0..k {
                        u[fw] += wt * shares[fw];
                    }
                }
                Term::Hedging => {
                    let mut on = [0u32; choice::MAX_FRAMEWORKS];
                    for other in (0..dd).filter(|&o| o != d) {
                        on[read[other * n + i] as usize] += 1;
                    }
                    for fw in 0..k {
                        u[fw] -= wt * hedging::concentration(on[fw], dd);
                    }
                }
                Term::Econ | Term::Investment | Term::Affinity | Term::Security | Term::Standards => {}
            }
        }
    }
}

/// Whether term `t`, with weight `w`, reads the alignments at state i's decisions: a
/// [`Varies::WithChoices`] term with a non-zero weight that applies to the state (hedging applies
/// to hedgers when there are several domains). False for every other term.
#[inline]
pub fn choice_term_applies(m: &Model, t: Term, w: f64, i: usize) -> bool {
    if w == 0.0 {
        return false;
    }
    match t {
        Term::Network => true,
        Term::Hedging => m.layout.domains > 1 && m.hedgers[i],
        Term::Econ | Term::Investment | Term::Affinity | Term::Security | Term::Standards => false,
    }
}

/// Whether some state's decisions in a domain with weights `w` read a [`Varies::WithChoices`] term
/// other than the network term (which the run's table-driven choice handles by counts of partners);
/// [`state_needs_exact_choice`] then says which states.
pub fn has_other_choice_terms(m: &Model, w: &[f64; TERMS]) -> bool {
    Term::ALL.into_iter().any(|t| {
        t != Term::Network
            && def(t).varies == Varies::WithChoices
            && w[t as usize] != 0.0
            && (0..m.layout.states).any(|i| choice_term_applies(m, t, w[t as usize], i))
    })
}

/// Whether state i's decisions read a [`Varies::WithChoices`] term other than the network term.
#[inline]
pub fn state_needs_exact_choice(m: &Model, w: &[f64; TERMS], i: usize) -> bool {
    Term::ALL
        .into_iter()
        .any(|t| t != Term::Network && choice_term_applies(m, t, w[t as usize], i))
}

/// How many of state i's domains other than d are on framework k.
fn others_on(read: &[u8], domains: usize, n: usize, d: usize, i: usize, k: usize) -> u32 {
    (0..domains).filter(|&o| o != d && read[o * n + i] as usize == k).count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_follows_term_order() {
        for (i, (def, t)) in REGISTRY.iter().zip(Term::ALL).enumerate() {
            assert_eq!(def.term, t, "entry {i}");
        }
    }

    #[test]
    fn the_model_docs_table_lists_every_term_of_the_registry() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/model.md")).unwrap();
        for d in &REGISTRY {
            let when = match d.varies {
                Varies::ByEvents => "by events",
                Varies::Yearly => "yearly",
                Varies::WithChoices => "with choices",
            };
            let row = format!("| `{}` | {} | {} | {when} |", d.term.key(), d.symbol, d.meaning);
            assert!(doc.contains(&row), "docs/model.md lacks the registry row {row}");
        }
    }
}
