//! The revisions of a year: which cells reconsider, and what they choose — synchronously (every
//! decision reads last year's alignments, in fixed blocks of cells that may run in parallel) or
//! sequentially (one state at a time in a random order) — by the exact logit or best-response rule
//! on the full utilities, or by the exp-free table-driven logit where it applies.

use rand::RngExt;

use super::counts::{LIST_BATCH, field};
use super::{Simulation, domain_stretches};
use crate::model::utility;
use crate::model::{MAX_TABLE_DEGREE, choice, hedging};
use crate::pool::in_pieces_over;
use crate::rng::{Generator, positioned};
use crate::scenario::{Revision, TERMS, Term};

/// Cells per block of the parallel synchronous revision. Each block positions its own copy of the
/// stream at its first cell, so neither the block size nor the threads change the numbers drawn;
/// blocks this small keep two threads evenly loaded (16,384-cell blocks left N = 100,000 in 7
/// blocks, 4 on one thread and 3 on the other).
const BLOCK_CELLS: usize = 4 * 1024;

/// Runs with fewer cells revise in one pass.
const PARALLEL_MIN_CELLS: usize = 32 * 1024;

/// Below this total weight the table-driven choice defers to the exact logit (underflow guard).
const MIN_TABLE_TOTAL: f64 = 1e-200;

/// Most domains whose hedging term the table-driven logit handles (one factor per count of the
/// state's other domains on a framework); hedgers of worlds with more take the exact path.
const MAX_HEDGE_DOMAINS: usize = 16;

/// One domain's revision settings for a year.
pub(super) struct DomainKernel {
    rate: f64,
    lambda: f64,
    /// Every term's weight in the domain.
    w: [f64; TERMS],
    /// Whether some state's decisions read a choice-dependent term that the table-driven logit
    /// does not handle (those states then take the exact path).
    other_choice_terms: bool,
    /// The switching cost's factor: 1 for the current framework, exp(−lambda cost) for the others.
    cost_factor: [f64; 2],
    exp_net: [f64; MAX_TABLE_DEGREE + 1],
    /// Per framework, exp(lambda w_std G_dk), scaled so that the largest is 1 (lean runs; all 1
    /// otherwise, the pull being then part of the static factor).
    exp_std: [f64; choice::MAX_FRAMEWORKS],
    /// Whether hedgers' decisions read the hedging term, and its factor exp(−lambda w_hedge o/(D−1))
    /// for o of the state's other domains on a framework, scaled so that the largest is 1.
    hedge: bool,
    exp_hedge: [f64; MAX_HEDGE_DOMAINS],
    /// Neither a standards pull nor hedging in the table: their factors are all 1 and skipped.
    plain: bool,
}

/// The low 32 bits of a draw as a uniform number in [0, 1).
#[inline]
pub(super) fn unit32(x: u64) -> f64 {
    (x & 0xffff_ffff) as f64 * (1.0 / 4_294_967_296.0)
}

/// What one worker of a year's revisions in blocks gives back.
struct Revised {
    /// Per domain its switches, then per domain and framework the cells on it (`[d*K + k]`).
    sums: Vec<u64>,
    /// The deferred fragmentation index, from the worker that summed it.
    fragmentation: Option<f64>,
}

impl Simulation<'_> {
    /// Utilities of one cell given the alignments it reads, into `u[..K]`; `w` holds the domain's
    /// term weights.
    #[inline]
    pub(super) fn utilities(&self, w: &[f64; TERMS], read: &[u8], d: usize, i: usize, u: &mut [f64]) {
        let (n, k) = (self.n, self.k);
        let cur = read[d * n + i] as usize;
        let row = (d * n + i) * k;
        if self.statics.lean {
            let (_, global) = self.standards_row(d);
            self.term_inputs().static_row(w, &global[..k], d, i, u);
        } else {
            u.copy_from_slice(&self.statics.static_u[row..row + k]);
        }
        self.term_inputs().add_choice_terms(w, read, d, i, u);
        let cost = self.knobs.cost[d];
        for (fw, x) in u.iter_mut().enumerate() {
            if fw != cur {
                *x -= cost;
            }
        }
    }

    /// Whether this year's synchronous revisions run in positioned blocks: with a finite lambda
    /// every cell takes exactly one 64-bit draw, so the draw of cell c is the word pair at 2c from
    /// the start of the year.
    pub(super) fn revises_in_blocks(&self) -> bool {
        matches!(self.m.scenario.revision, Revision::Synchronous) && self.knobs.lambda.is_finite() && self.n * self.d >= PARALLEL_MIN_CELLS
    }

    pub(super) fn revise_synchronous(&mut self, step: usize, rng: &mut Generator) {
        // `next` holds each cell's current alignment until it moves.
        let mut next = std::mem::take(&mut self.next);
        let kernels: Vec<DomainKernel> = (0..self.d).map(|d| self.kernel(d)).collect();
        let mut switches = vec![0u64; self.d];
        if self.revises_in_blocks() {
            // Fixed blocks of cells draw from their own copies of the stream, positioned at their
            // first cell, and give the same numbers as a single pass — whatever the number of
            // threads. Last year's fragmentation index, when deferred, is summed beside them (the
            // first piece): both only read the alignments and the partner counts. Each worker
            // sums per domain its switches, then per domain and framework the cells of its blocks
            // on it after the revisions, counted while a block is in cache.
            let pending = self.recorder.pending.take();
            let extra = usize::from(pending.is_some());
            let (this, base) = (&*self, rng.get_word_pos());
            // The deferred sum's piece, then one per block.
            let items: Vec<Option<&mut [u8]>> = pending.iter().map(|_| None).chain(next.chunks_mut(BLOCK_CELLS).map(Some)).collect();
            let workers = (0..rayon::current_num_threads())
                .map(|_| Revised {
                    sums: vec![0; this.d * (1 + this.k)],
                    fragmentation: None,
                })
                .collect();
            let stream = &*rng;
            let done = in_pieces_over(workers, items, |w: &mut Revised, p, item| {
                let Some(block) = item else {
                    w.fragmentation = Some(this.pending_fragmentation());
                    return;
                };
                let first = (p - extra) * BLOCK_CELLS;
                block.copy_from_slice(&this.align[first..first + block.len()]);
                let (sw, tally) = w.sums.split_at_mut(this.d);
                this.revise_cells(first, block, step, &kernels, &mut positioned(stream, base, 2, first), sw);
                this.tally_frameworks(first, block, tally);
            });
            rng.set_word_pos(base + 2 * next.len() as u128);
            let mut tallied = vec![0u64; self.d * self.k];
            for w in done {
                if let (Some(year), Some(index)) = (pending, w.fragmentation) {
                    self.recorder.summed = Some((year, index));
                }
                let (sw, tally) = w.sums.split_at(self.d);
                switches.iter_mut().zip(sw).for_each(|(a, b)| *a += b);
                tallied.iter_mut().zip(tally).for_each(|(a, b)| *a += b);
            }
            self.recorder.tallied = Some(tallied);
        } else {
            next.copy_from_slice(&self.align);
            self.revise_cells(0, &mut next, step, &kernels, rng, &mut switches);
        }
        self.switches.iter_mut().zip(switches).for_each(|(a, b)| *a += b);
        if self.counts.fresh {
            self.shift_partner_counts(&next);
        }
        self.next = std::mem::replace(&mut self.align, next);
    }

    /// What one domain's revisions need this year, looked up once.
    pub(super) fn kernel(&self, d: usize) -> DomainKernel {
        let lambda = self.knobs.lambda;
        let w = utility::weights(&self.knobs, d);
        let w_net = w[Term::Network as usize];
        let mut exp_net = [0.0; MAX_TABLE_DEGREE + 1];
        if let (true, Some(sums)) = (self.fast_logit(), &self.m.tie_sums) {
            // Factor exp(lambda w_net share(c)) for c partners on a framework, scaled so that the
            // largest entry is 1.
            let top = sums.iter().map(|&s| lambda * w_net * s).fold(f64::NEG_INFINITY, f64::max);
            for (e, &s) in exp_net.iter_mut().zip(sums) {
                *e = (lambda * w_net * s - top).exp();
            }
        }
        let mut exp_std = [1.0; choice::MAX_FRAMEWORKS];
        if self.statics.lean && w[Term::Standards as usize] != 0.0 {
            let (_, global) = self.standards_row(d);
            scaled_exp(lambda, &global[..self.k], &mut exp_std);
        }
        let dd = self.d;
        let hedge = w[Term::Hedging as usize] != 0.0 && dd > 1 && dd <= MAX_HEDGE_DOMAINS;
        let mut exp_hedge = [1.0; MAX_HEDGE_DOMAINS];
        if hedge {
            let v: Vec<f64> = (0..dd)
                .map(|o| -w[Term::Hedging as usize] * hedging::concentration(o as u32, dd))
                .collect();
            scaled_exp(lambda, &v, &mut exp_hedge);
        }
        let plain = !hedge && exp_std.iter().all(|&e| e == 1.0);
        DomainKernel {
            rate: self.knobs.rate[d],
            lambda,
            w,
            other_choice_terms: utility::has_other_choice_terms(self.m, &w) && !hedge,
            cost_factor: [1.0, (-lambda * self.knobs.cost[d]).exp()],
            exp_net,
            exp_std,
            hedge,
            exp_hedge,
            plain,
        }
    }

    /// Synchronous revisions of cells `first..first + next.len()` (flat `[d*N + i]` indices), reading
    /// `self.align` and writing changed cells into `next`; one 64-bit draw per cell from `rng`.
    fn revise_cells(
        &self,
        first: usize,
        next: &mut [u8],
        step: usize,
        kernels: &[DomainKernel],
        rng: &mut Generator,
        switches: &mut [u64],
    ) {
        for (d, i0, cells) in domain_stretches(first, next.len(), self.n) {
            let stretch = &mut next[cells];
            // The common numbers of frameworks get a loop specialised to them.
            match self.k {
                2 => self.revise_stretch(2, d, i0, stretch, step, &kernels[d], rng, &mut switches[d]),
                3 => self.revise_stretch(3, d, i0, stretch, step, &kernels[d], rng, &mut switches[d]),
                4 => self.revise_stretch(4, d, i0, stretch, step, &kernels[d], rng, &mut switches[d]),
                k => self.revise_stretch(k, d, i0, stretch, step, &kernels[d], rng, &mut switches[d]),
            }
        }
    }

    /// [`Simulation::revise_cells`] for states `i0..i0 + next.len()` of domain `d`, with `k` the
    /// number of frameworks (inlined so that a constant `k` unrolls the per-framework loops).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn revise_stretch(
        &self,
        k: usize,
        d: usize,
        i0: usize,
        next: &mut [u8],
        step: usize,
        kern: &DomainKernel,
        rng: &mut Generator,
        switches: &mut u64,
    ) {
        let n = self.n;
        // Anchors, locks and blocs are rare: when there are none, no cell needs the check.
        let check = self.m.has_anchors || self.events.lock_max as usize > step || !self.events.in_bloc.is_empty();
        // With rate covariates each cell has its own rate, read in the listing loop below.
        let per_cell = !self.rates.is_empty();
        let rate = |cell: usize| if per_cell { self.rates[cell] } else { kern.rate };
        let revises = |cell: usize, x: u64| (!check || self.revises_alone(cell, step)) && unit32(x >> 32) < rate(cell);
        if !kern.lambda.is_finite() {
            // Best response may take extra draws for ties: one cell after the other.
            for (i, slot) in (i0..i0 + next.len()).zip(next.iter_mut()) {
                let x: u64 = rng.random();
                if revises(d * n + i, x) {
                    let cur = self.align[d * n + i] as usize;
                    let c = self.decide(k, d, i, cur, kern, unit32(x), rng);
                    *switches += u64::from(c != cur);
                    *slot = c as u8;
                }
            }
            return;
        }
        // With a finite lambda every cell takes exactly one draw. Batches of cells draw their words
        // in one go, list the cells that revise, then decide for those alone: the revision coin, a
        // fair coin at rho = 1/2, costs no mispredicted branch.
        let mut words = [0u64; LIST_BATCH];
        let mut listed = [0u16; LIST_BATCH];
        for (b, slots) in next.chunks_mut(LIST_BATCH).enumerate() {
            let first = i0 + b * LIST_BATCH;
            let words = &mut words[..slots.len()];
            rng.fill(words);
            // The listing of `counts::list_where`, written out: through the helper this loop
            // measured 5-10% slower (best of ten alternating rounds), with the revision test
            // inlined less well.
            // Without anchors, locks or blocs the coin alone decides: that loop is written out
            // separately (the shared closure measured about 4 instructions more per cell).
            let mut count = 0;
            if check || per_cell {
                for (t, &x) in words.iter().enumerate() {
                    listed[count] = t as u16;
                    count += usize::from(revises(d * n + first + t, x));
                }
            } else {
                for (t, &x) in words.iter().enumerate() {
                    listed[count] = t as u16;
                    count += usize::from(unit32(x >> 32) < kern.rate);
                }
            }
            for &t in &listed[..count] {
                let (t, i) = (t as usize, first + t as usize);
                let cur = self.align[d * n + i] as usize;
                let c = self.decide(k, d, i, cur, kern, unit32(words[t]), rng);
                *switches += u64::from(c != cur);
                // `next` holds the current alignment until a cell moves: writing it back is harmless.
                slots[t] = c as u8;
            }
        }
    }

    /// The framework revising cell (d, i), now on `cur`, picks at uniform `v`: by the exp-free tables
    /// where they apply, otherwise by the exact rule on the full utilities.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn decide(&self, k: usize, d: usize, i: usize, cur: usize, kern: &DomainKernel, v: f64, rng: &mut Generator) -> usize {
        // States whose decisions read a choice-dependent term besides the network (hedgers with an
        // active hedging term) need the exact utilities.
        if self.fast_logit()
            && (!kern.other_choice_terms || !utility::state_needs_exact_choice(self.m, &kern.w, i))
            && let Some(c) = table_choice(k, &self.table_weights(k, d, i, cur, kern), v)
        {
            return c;
        }
        let mut u = [0.0; choice::MAX_FRAMEWORKS];
        self.utilities(&kern.w, &self.align, d, i, &mut u[..k]);
        choice::choose(&u[..k], cur, kern.lambda, v, rng)
    }

    /// The table-driven logit's weights of cell (d, i), now on `cur`: each framework's weight is
    /// exp(lambda U_f) up to one factor common to all (see [`table_choice`]).
    #[inline(always)]
    pub(super) fn table_weights(&self, k: usize, d: usize, i: usize, cur: usize, kern: &DomainKernel) -> [f64; choice::MAX_FRAMEWORKS] {
        let cell = d * self.n + i;
        let packed = if kern.w[Term::Network as usize] == 0.0 {
            0
        } else if self.counts.fresh {
            // Kept up to date for these alignments.
            u64::from(self.counts.packed[cell])
        } else {
            self.count_partners(d, i)
        };
        let row = if self.statics.shared { i * k } else { cell * k };
        let exp_static = &self.statics.exp_static[row..row + k];
        let mut w = [0.0; choice::MAX_FRAMEWORKS];
        let scaled = |fw: usize| {
            let c = field(packed, fw, self.counts.bits) as usize;
            // Multiplying by 1.0 is exact: the same bits as skipping the factor. Looked up, not
            // chosen: a choice compiled to a branch per framework on whether it is the current
            // one, which varies at random from cell to cell (about one miss per revising cell).
            exp_static[fw] * kern.exp_net[c] * kern.cost_factor[usize::from(fw != cur)]
        };
        if kern.plain {
            for (fw, w) in w[..k].iter_mut().enumerate() {
                *w = scaled(fw);
            }
            return w;
        }
        let mut hedge = [1.0; choice::MAX_FRAMEWORKS];
        if kern.hedge && self.m.hedgers[i] {
            // The state's other domains on each framework pick its hedging factor.
            let mut on = [0usize; choice::MAX_FRAMEWORKS];
            for o in 0..self.d {
                on[self.align[o * self.n + i] as usize] += 1;
            }
            on[cur] -= 1;
            for (h, &o) in hedge[..k].iter_mut().zip(&on[..k]) {
                *h = kern.exp_hedge[o];
            }
        }
        for (fw, w) in w[..k].iter_mut().enumerate() {
            *w = scaled(fw) * kern.exp_std[fw] * hedge[fw];
        }
        w
    }

    pub(super) fn revise_sequential(&mut self, step: usize, rng: &mut Generator) {
        let (n, k) = (self.n, self.k);
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(0..n as u32);
        for j in (1..n).rev() {
            let r = rng.random_range(0..=j);
            order.swap(j, r);
        }
        let weights: Vec<[f64; TERMS]> = (0..self.d).map(|d| utility::weights(&self.knobs, d)).collect();
        let mut u = [0.0; choice::MAX_FRAMEWORKS];
        let mut align = std::mem::take(&mut self.align);
        for &i in &order {
            let i = i as usize;
            for (d, w) in weights.iter().enumerate() {
                let x: u64 = rng.random();
                let cell = d * n + i;
                if !self.revises_alone(cell, step) || unit32(x >> 32) >= self.rate_of(cell, d) {
                    continue;
                }
                self.utilities(w, &align, d, i, &mut u[..k]);
                let cur = align[cell] as usize;
                let c = choice::choose(&u[..k], cur, self.knobs.lambda, unit32(x), rng);
                if c != cur {
                    self.switches[d] += 1;
                    align[cell] = c as u8;
                }
            }
        }
        self.align = align;
        self.order = order;
    }
}

/// The logit choice of a cell without calling exp, from its weights `w` ([`Simulation::table_weights`]):
/// with every tie of one weight, the network share of framework f is a function of the integer
/// count c_f of partners on f, so exp(lambda U_f) is, up to a common factor, exp_static[f] ·
/// exp_net[c_f] · cost_factor[f ≠ current] · exp_std[f] · exp_hedge[o_f] (the last two 1
/// without a standards pull or hedging in the table; o_f the state's other domains on f). Picks
/// the first f whose cumulative weight exceeds `v` times the total, counting instead of branching
/// (the weights are non-negative, so the cumulative sums only grow). `None` when the total
/// underflows (extreme lambda), leaving the choice to the exact path.
#[inline(always)]
fn table_choice(k: usize, w: &[f64; choice::MAX_FRAMEWORKS], v: f64) -> Option<usize> {
    let mut total = 0.0;
    for &x in &w[..k] {
        total += x;
    }
    if !(total > MIN_TABLE_TOTAL && total.is_finite()) {
        return None;
    }
    let target = v * total;
    let mut acc = 0.0;
    let mut below = 0;
    for &x in &w[..k] {
        acc += x;
        below += usize::from(acc <= target);
    }
    if below < k {
        Some(below)
    } else {
        w[..k].iter().rposition(|&x| x > 0.0)
    }
}

/// exp(lambda (x − max x)) of each value of `xs` into `out` (the largest factor is 1).
fn scaled_exp(lambda: f64, xs: &[f64], out: &mut [f64]) {
    let top = xs.iter().map(|&x| lambda * x).fold(f64::NEG_INFINITY, f64::max);
    for (e, &x) in out.iter_mut().zip(xs) {
        *e = (lambda * x - top).exp();
    }
}
