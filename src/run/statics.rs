//! The part of every utility that does not depend on this year's choices, refreshed when an input
//! changed ([`crate::model::utility::TermInputs::static_row`]), and the per-framework exp factors
//! of the table-driven logit.
//!
//! On worlds with one tie weight and no sponsors (`lean`) the run keeps no static utilities: the
//! table-driven logit reads exp factors of the static part without the standards pull (which is the
//! same for every state of a domain and enters the kernel as one factor per domain and framework),
//! one row per state when no input differs by domain; the exact rule computes a cell's static part
//! when it needs it.

use rayon::prelude::*;

use super::Simulation;
use super::counts::{LIST_BATCH, count_frameworks, list_where};
use crate::model::utility;
use crate::model::{Model, choice, standards};
use crate::scenario::Term;

/// Rows per block of the exp factors refreshed in parallel.
const EXP_BLOCK_ROWS: usize = 8 * 1024;

/// Static utilities and the GDP shares they read.
pub(super) struct Statics {
    /// Utility terms that do not depend on this year's moves, `[(d*N + i)*K + k]` (empty when lean).
    pub static_u: Vec<f64>,
    /// exp(lambda (s − max_k s)) per row of static parts s, for the table-driven logit kernel
    /// (empty when it is not used; see [`Simulation::fast_logit`]): `[(d*N + i)*K + k]`, or
    /// `[i*K + k]` when `shared`. Lean runs leave the standards pull out of s.
    pub exp_static: Vec<f64>,
    /// Whether the run keeps no static utilities (see the module documentation).
    pub lean: bool,
    /// Whether `exp_static` holds one row per state, shared by the domains (lean runs whose
    /// static inputs do not differ by domain).
    pub shared: bool,
    /// Whether `static_u` (and `exp_static`) still hold for this year's knobs and alignments.
    pub fresh: bool,
    /// GDP share of each framework per domain `[d*K + k]`, as of the last record.
    pub gdp_share: Vec<f64>,
    /// Whether `gdp_share` still describes the current alignments.
    pub gdp_fresh: bool,
}

impl Statics {
    pub fn new(m: &Model) -> Statics {
        let (n, d, k) = (m.layout.states, m.layout.domains, m.layout.frameworks);
        let lean = m.tie_sums.is_some() && !m.has_sponsors;
        Statics {
            static_u: if lean { Vec::new() } else { vec![0.0; n * d * k] },
            exp_static: Vec::new(),
            lean,
            shared: false,
            fresh: false,
            gdp_share: vec![0.0; d * k],
            gdp_fresh: false,
        }
    }
}

/// One domain's GDP shares into `out` (length K), its alignments `row`: with every GDP the same
/// ([`Model::gdp_sums`]), look-ups of the `counts` of its states on each framework, the same bits
/// as the sum over its states, which is taken otherwise.
pub(super) fn domain_gdp_shares(m: &Model, row: &[u8], counts: impl FnOnce() -> [u32; choice::MAX_FRAMEWORKS], out: &mut [f64]) {
    match &m.gdp_sums {
        Some(sums) => standards::gdp_shares_of_counts(&counts()[..out.len()], sums, m.total_gdp, out),
        None => standards::gdp_shares(row, &m.world.gdp, m.total_gdp, out),
    }
}

impl Simulation<'_> {
    /// The GDP shares of the current alignments, unless they are fresh.
    pub(super) fn refresh_gdp_shares(&mut self) {
        if self.statics.gdp_fresh {
            return;
        }
        let (n, k) = (self.n, self.k);
        for d in 0..self.d {
            let (row, out) = (&self.align[d * n..(d + 1) * n], &mut self.statics.gdp_share[d * k..(d + 1) * k]);
            domain_gdp_shares(self.m, row, || count_frameworks(row, k), out);
        }
        self.statics.gdp_fresh = true;
    }

    /// Recompute the utility terms that stay fixed within a year. Skipped (see [`Simulation::step`])
    /// when none of their inputs changed: recomputing would give the same values.
    pub(super) fn refresh_static(&mut self) {
        self.refresh_gdp_shares();
        if self.statics.lean {
            self.refresh_lean();
            self.statics.fresh = true;
            return;
        }
        let (n, k) = (self.n, self.k);
        let mut static_u = std::mem::take(&mut self.statics.static_u);
        for d in 0..self.d {
            let (w, global) = self.standards_row(d);
            let inputs = self.term_inputs();
            for (i, row) in static_u[d * n * k..(d + 1) * n * k].chunks_exact_mut(k).enumerate() {
                inputs.static_row(&w, &global[..k], d, i, row);
            }
        }
        self.statics.static_u = static_u;
        if self.fast_logit() {
            // exp(lambda U) factorises into a static, a network and a switching factor; the static
            // one changes only here.
            let lambda = self.knobs.lambda;
            let s = &mut self.statics;
            s.exp_static.clone_from(&s.static_u);
            exp_rows(lambda, k, &mut s.exp_static);
        }
        self.statics.fresh = true;
    }

    /// A domain's term weights and its standards pull w_std·G_dk per framework.
    pub(super) fn standards_row(&self, d: usize) -> ([f64; crate::scenario::TERMS], [f64; choice::MAX_FRAMEWORKS]) {
        let w = utility::weights(&self.knobs, d);
        let mut global = [0.0; choice::MAX_FRAMEWORKS];
        for (fw, g) in global[..self.k].iter_mut().enumerate() {
            *g = self.term_inputs().standards_pull(&w, d, fw);
        }
        (w, global)
    }

    /// The exp factors of a lean run's static parts without the standards pull (its static parts
    /// themselves are not kept).
    fn refresh_lean(&mut self) {
        if !self.fast_logit() {
            return;
        }
        let (n, k, lambda) = (self.n, self.k, self.knobs.lambda);
        let shared = self.static_shared();
        let rows = if shared { n } else { n * self.d };
        let mut exp = std::mem::take(&mut self.statics.exp_static);
        if exp.len() != rows * k {
            // Fresh zeroed memory, not a serial fill: the blocks below first touch their own pages.
            exp = vec![0.0; rows * k];
        }
        let zero = [0.0; choice::MAX_FRAMEWORKS];
        let inputs = self.term_inputs();
        let weights: Vec<_> = (0..self.d).map(|d| utility::weights(&self.knobs, d)).collect();
        // Rows are independent: in parallel blocks when the run is split.
        // The block's static parts first, then their factors in place: two simple loops, each
        // faster than the two interleaved.
        let fill = |(b, block): (usize, &mut [f64])| {
            let first = b * EXP_BLOCK_ROWS;
            let (mut d, mut i) = (first / n, first % n);
            for u in block.chunks_exact_mut(k) {
                inputs.static_row(&weights[d], &zero[..k], d, i, u);
                i += 1;
                if i == n {
                    (d, i) = (d + 1, 0);
                }
            }
            exp_rows(lambda, k, block);
        };
        if self.parts > 1 {
            exp.par_chunks_mut(EXP_BLOCK_ROWS * k).enumerate().for_each(fill);
        } else {
            exp.chunks_mut(EXP_BLOCK_ROWS * k).enumerate().for_each(fill);
        }
        self.statics.exp_static = exp;
        self.statics.shared = shared;
    }

    /// Whether every domain gives each state the same static part without the standards pull: no
    /// per-cell inputs (partnerships, export controls, investment) and the same weights of the
    /// static terms and the same constants in every domain.
    fn static_shared(&self) -> bool {
        let k = self.k;
        let same = |d: usize| {
            [Term::Econ, Term::Investment, Term::Affinity, Term::Security]
                .iter()
                .all(|&t| self.knobs.weight(d, t).to_bits() == self.knobs.weight(0, t).to_bits())
                && self.knobs.constant[d * k..(d + 1) * k] == self.knobs.constant[..k]
        };
        self.events.partnership.is_empty() && self.events.export.is_empty() && self.stocks.stock.is_empty() && (1..self.d).all(same)
    }

    /// Whether revisions use the table-driven logit kernel: finite lambda and a world whose ties all
    /// have one weight (so a state's network term depends only on integer counts of partners).
    #[inline]
    pub(super) fn fast_logit(&self) -> bool {
        self.knobs.lambda.is_finite() && self.m.tie_sums.is_some()
    }
}

/// Replace each row u (`k` values) of static parts in `rows` by exp(lambda (u − max u)).
fn exp_rows(lambda: f64, k: usize, rows: &mut [f64]) {
    for u in rows.chunks_exact_mut(k) {
        let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for x in u {
            *x = lambda * (*x - max);
        }
    }
    exp_of_nonzero(rows);
}

/// Replace each value a by exp(a), calling `exp` only where a ≠ 0: exp(±0) = 1 exactly, and the
/// maximum of each row gives a zero (a third of the calls with three frameworks). Where the zero
/// falls in a row is random, so the nonzero values are listed without a branch first.
fn exp_of_nonzero(args: &mut [f64]) {
    let mut listed = [0u16; LIST_BATCH];
    for chunk in args.chunks_mut(LIST_BATCH) {
        let count = list_where(chunk.iter().map(|&a| a != 0.0), &mut listed);
        for x in chunk.iter_mut() {
            *x = if *x == 0.0 { 1.0 } else { *x };
        }
        for &p in &listed[..count] {
            let x = &mut chunk[usize::from(p)];
            *x = x.exp();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::exp_rows;

    /// The factors are those of the formula, bit for bit, with the maximum's exp(0) not called:
    /// ties for the maximum, signed zeros, lambda = 0, underflow, infinities and NaN.
    #[test]
    fn factors_are_the_formulas_bits() {
        let rows: [&[f64]; 8] = [
            &[0.3, -1.2, 0.7],
            &[0.7, 0.7, -0.1],
            &[-0.0, 0.0, -2.0],
            &[1e300, -1e300, 0.0],
            &[f64::INFINITY, 1.0, 0.0],
            &[f64::NEG_INFINITY, 1.0, 0.5],
            &[f64::NAN, 1.0, 0.5],
            &[5.0, -900.0, 4.999_999_999_999_999],
        ];
        for lambda in [0.0, 1.0, 3.5, 1e6] {
            let mut want = Vec::new();
            for row in rows {
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                // Computed at run time as the code computes it (a folded constant NaN has
                // another sign bit).
                let (lambda, max) = std::hint::black_box((lambda, max));
                want.extend(row.iter().map(|&v| (lambda * (std::hint::black_box(v) - max)).exp().to_bits()));
            }
            // Enough rows to span several batches of the listing.
            let (all, want) = (rows.concat().repeat(100), want.repeat(100));
            let mut got = all.clone();
            exp_rows(lambda, 3, &mut got);
            for (r, (got, want)) in got.chunks(3).zip(want.chunks(3)).enumerate() {
                let got: Vec<u64> = got.iter().map(|x| x.to_bits()).collect();
                assert_eq!(got, want, "lambda {lambda}, row {:?}", &all[3 * r..3 * r + 3]);
            }
        }
    }
}
