//! The yearly record (shares per domain and framework, GDP shares, tipping, fragmentation and
//! hedging indices) and the outcomes read at the horizon.

use rayon::prelude::*;

use super::counts::{count_frameworks, field, pack_counts};
use super::statics::domain_gdp_shares;
use super::{Simulation, domain_stretches};
use crate::metrics::RunOutcome;
use crate::model::{Model, choice, hedging};

/// What the record keeps between years.
pub(super) struct Recorder {
    /// Per (d, k): 0 = may still tip, 1 = tipped, 2 = already above one half at the start.
    tip_state: Vec<u8>,
    /// Per cell: its term of the fragmentation sum as last computed, and the alignments it was
    /// computed from (weighted ties only; empty until the first record).
    frag_apart: Vec<f64>,
    frag_seen: Vec<u8>,
    /// Scratch marks of the states whose fragmentation term must be recomputed.
    frag_dirty: Vec<u8>,
    /// A year whose fragmentation index waits to be summed beside the next revisions (see
    /// `defers_fragmentation`).
    pub pending: Option<usize>,
    /// That year and its index once summed, for the next record to write.
    pub summed: Option<(usize, f64)>,
    /// The cells on each framework (`[d*K + k]`) as this year's revisions in blocks counted them,
    /// for the record to take instead of counting again; `None` once anything else may have
    /// moved a state since.
    pub tallied: Option<Vec<u64>>,
}

impl Recorder {
    pub fn new(m: &Model) -> Recorder {
        Recorder {
            tip_state: vec![0; m.layout.domains * m.layout.frameworks],
            frag_apart: Vec::new(),
            frag_seen: Vec::new(),
            frag_dirty: Vec::new(),
            pending: None,
            summed: None,
            tallied: None,
        }
    }
}

impl Simulation<'_> {
    /// Record year index `t`.
    pub fn record(&mut self, t: usize, out: &mut RunOutcome) {
        debug_assert!(self.recorder.pending.is_none(), "a deferred index is summed before any move");
        if let Some((year, index)) = self.recorder.summed.take() {
            out.fragmentation[year] = index;
        }
        let defer = self.defers_fragmentation(t);
        let (n, k) = (self.n, self.k);
        let l = self.m.layout;
        let mut frag_sum = 0.0;
        let tallied = self.recorder.tallied.take();
        for d in 0..self.d {
            let row = &self.align[d * n..(d + 1) * n];
            // A domain's cells number at most N, which fits 32 bits.
            let counts = match &tallied {
                Some(t) => {
                    let mut c = [0u32; choice::MAX_FRAMEWORKS];
                    c[..k].iter_mut().zip(&t[d * k..(d + 1) * k]).for_each(|(c, &t)| *c = t as u32);
                    c
                }
                None => framework_counts(row, k, n.div_ceil(self.parts)),
            };
            let out_shares = &mut self.statics.gdp_share[d * k..(d + 1) * k];
            domain_gdp_shares(self.m, row, || counts, out_shares);
            for (fw, &count) in counts[..k].iter().enumerate() {
                let idx = l.share_index(t, d, fw);
                out.counts[idx] = count;
                let share = self.statics.gdp_share[d * k + fw];
                out.gdp_shares[idx] = share;
                let tip = &mut self.recorder.tip_state[d * k + fw];
                if t == 0 {
                    *tip = if share > 0.5 { 2 } else { 0 };
                } else if *tip == 0 && share > 0.5 {
                    *tip = 1;
                    out.tipping_year[d * k + fw] = Some(self.m.scenario.start + t as i32);
                }
            }
            if defer {
                self.gather_counts(d);
                continue;
            }
            let f = self.fragmentation(d);
            frag_sum += f;
            if t + 1 == l.years {
                out.fragmentation_final[d] = f;
            }
        }
        if defer {
            self.recorder.pending = Some(t);
        } else {
            out.fragmentation[t] = frag_sum / self.d as f64;
        }
        let mut div = 0.0;
        // With one domain or one framework every state's diversity is 0.
        if self.d > 1 && k > 1 {
            let mut per = [0u32; choice::MAX_FRAMEWORKS];
            for i in 0..n {
                per.iter_mut().for_each(|c| *c = 0);
                for d in 0..self.d {
                    per[self.align[d * n + i] as usize] += 1;
                }
                div += hedging::diversity(&per[..k], self.d);
            }
        }
        out.hedging[t] = div / n as f64;
        self.statics.gdp_fresh = true;
        self.counts.fresh = self.counts.kept();
    }

    /// Trade-weighted share of partner pairs on different frameworks in one domain (branch-free sum
    /// over the ties with the precomputed weights of [`Model::frag_weight`]).
    pub(super) fn fragmentation(&mut self, d: usize) -> f64 {
        let n = self.n;
        let gathered = self.counts.kept() && self.m.frag_sums.is_some() && (self.counts.fresh || self.parts > 1);
        if gathered {
            self.gather_counts(d);
        }
        let ties = &self.m.world.ties;
        let row = &self.align[d * n..(d + 1) * n];
        let mut total = 0.0;
        if let Some(sums) = &self.m.frag_sums {
            // All weights equal: a state's sum is the table entry of its count of differing partners
            // (the same additions in the same order, so the same bits). With one tie weight, the
            // counts per framework are kept for next year's revisions, which read these alignments.
            let keep = self.counts.kept();
            let bits = self.counts.bits;
            if gathered {
                return kept_fragmentation(row, &self.counts.packed[d * n..(d + 1) * n], &ties.offsets, sums, bits);
            }
            for (i, &own) in row.iter().enumerate() {
                let (a, b) = (ties.offsets[i], ties.offsets[i + 1]);
                let apart = if keep {
                    // Fits in 32 bits, or the counts would not be kept.
                    let packed = pack_counts(&ties.targets[a..b], row, bits) as u32;
                    self.counts.packed[d * n + i] = packed;
                    (b - a) as u32 - field(packed.into(), own.into(), bits)
                } else {
                    ties.targets[a..b].iter().map(|&j| u32::from(row[j as usize] != own)).sum()
                };
                total += sums[apart as usize];
            }
            return total;
        }
        let fw = &self.m.frag_weight;
        let term = |i: usize| {
            let own = row[i];
            let (a, b) = (ties.offsets[i], ties.offsets[i + 1]);
            let mut apart = 0.0;
            for (&j, &w) in ties.targets[a..b].iter().zip(&fw[a..b]) {
                apart += w * f64::from(u8::from(row[j as usize] != own));
            }
            apart
        };
        // Each state's term is kept between records; only states that moved, and the states that
        // count them as partners, are recomputed (the same additions, so the same bits).
        let rec = &mut self.recorder;
        if rec.frag_apart.is_empty() {
            rec.frag_apart = vec![0.0; n * self.d];
            rec.frag_seen = vec![u8::MAX; n * self.d];
        }
        let apart = &mut rec.frag_apart[d * n..(d + 1) * n];
        let seen = &mut rec.frag_seen[d * n..(d + 1) * n];
        // Marks, not a list: a state that many others trade with would otherwise be listed many times.
        let dirty = &mut rec.frag_dirty;
        dirty.clear();
        dirty.resize(n, 0);
        let (ins, srcs) = (&self.m.in_offsets, &self.m.in_sources);
        for (j, (&now, was)) in row.iter().zip(seen.iter_mut()).enumerate() {
            if now != *was {
                *was = now;
                dirty[j] = 1;
                for &i in &srcs[ins[j]..ins[j + 1]] {
                    dirty[i as usize] = 1;
                }
            }
        }
        for (i, (a, &flag)) in apart.iter_mut().zip(dirty.iter()).enumerate() {
            if flag != 0 {
                *a = term(i);
            }
        }
        for &a in apart.iter() {
            total += a;
        }
        total
    }

    /// Gather domain `d`'s partner counts over every tie when they are stale, in parallel ranges of
    /// states (integer counts: the same whatever the ranges).
    fn gather_counts(&mut self, d: usize) {
        if self.counts.fresh {
            return;
        }
        let (n, ties, bits) = (self.n, &self.m.world.ties, self.counts.bits);
        let row = &self.align[d * n..(d + 1) * n];
        let span = n.div_ceil(self.parts);
        let packed = &mut self.counts.packed[d * n..(d + 1) * n];
        packed.par_chunks_mut(span).enumerate().for_each(|(p, chunk)| {
            let first = p * span;
            for (t, c) in chunk.iter_mut().enumerate() {
                let (a, b) = (ties.offsets[first + t], ties.offsets[first + t + 1]);
                *c = pack_counts(&ties.targets[a..b], row, bits) as u32;
            }
        });
    }

    /// Whether year `t`'s fragmentation index waits for next year's revisions, which read the same
    /// alignments and partner counts: its sum, sequential in state order, then runs beside them on
    /// another thread. Only in split runs with kept counts whose next revisions run in blocks and
    /// are the first thing to move a state (no events, which alone could move a state or change
    /// lambda before them); never at the horizon. The one other way to move a state,
    /// [`Simulation::set_alignment`], sums a pending index first.
    fn defers_fragmentation(&self, t: usize) -> bool {
        self.parts > 1
            && t + 1 < self.m.layout.years
            && self.m.frag_sums.is_some()
            && self.counts.kept()
            && self.m.events.is_empty()
            && self.revises_in_blocks()
    }

    /// The fragmentation index of a deferred year, from the kept counts: the sum `record` takes.
    pub(super) fn pending_fragmentation(&self) -> f64 {
        let (n, bits) = (self.n, self.counts.bits);
        let sums = self.m.frag_sums.as_deref().unwrap_or_default();
        let mut total = 0.0;
        for d in 0..self.d {
            let cells = d * n..(d + 1) * n;
            total += kept_fragmentation(
                &self.align[cells.clone()],
                &self.counts.packed[cells],
                &self.m.world.ties.offsets,
                sums,
                bits,
            );
        }
        total / self.d as f64
    }

    /// Sum a deferred fragmentation index now, before `set_alignment` replaces the alignments.
    pub(super) fn settle_fragmentation(&mut self) {
        if let Some(year) = self.recorder.pending.take() {
            self.recorder.summed = Some((year, self.pending_fragmentation()));
        }
    }

    /// Add the cells `first..first + cells.len()` (flat `[d*N + i]`) on each framework to `tally`
    /// (`[d*K + k]`).
    pub(super) fn tally_frameworks(&self, first: usize, cells: &[u8], tally: &mut [u64]) {
        let k = self.k;
        for (d, _, stretch) in domain_stretches(first, cells.len(), self.n) {
            let c = count_frameworks(&cells[stretch], k);
            tally[d * k..(d + 1) * k].iter_mut().zip(c).for_each(|(t, c)| *t += u64::from(c));
        }
    }

    /// Horizon-only outcomes.
    pub fn finish(&self, out: &mut RunOutcome) {
        let (n, k) = (self.n, self.k);
        let world = &self.m.world;
        for d in 0..self.d {
            for i in 0..n {
                out.pop_shares[d * k + self.align[d * n + i] as usize] += world.population[i];
            }
        }
        if self.m.total_population > 0.0 {
            out.pop_shares.iter_mut().for_each(|x| *x /= self.m.total_population);
        }
        for i in 0..n {
            let first = self.align[i];
            if (1..self.d).all(|d| self.align[d * n + i] == first) {
                out.bloc[first as usize] += 1.0;
            }
        }
        out.bloc.iter_mut().for_each(|x| *x /= n as f64);
        out.switches.copy_from_slice(&self.switches);
        out.final_alignment = self.align.clone();
    }
}

/// The fragmentation sum of one domain from its kept partner counts: each state's term is the table
/// entry of its count of partners on another framework, added in state order.
fn kept_fragmentation(row: &[u8], counts: &[u32], offsets: &[usize], sums: &[f64], bits: u32) -> f64 {
    let mut total = 0.0;
    for (i, (&own, &packed)) in row.iter().zip(counts).enumerate() {
        let degree = (offsets[i + 1] - offsets[i]) as u32;
        total += sums[(degree - field(packed.into(), own.into(), bits)) as usize];
    }
    total
}

/// The number of states on each of the `k` frameworks in one domain's row, counted in chunks of
/// `span` states in parallel (integer sums: the same whatever the chunks).
fn framework_counts(row: &[u8], k: usize, span: usize) -> [u32; choice::MAX_FRAMEWORKS] {
    let count = |chunk: &[u8]| count_frameworks(chunk, k);
    if span >= row.len() {
        return count(row);
    }
    row.par_chunks(span).map(count).reduce(
        || [0; choice::MAX_FRAMEWORKS],
        |mut a, b| {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
            a
        },
    )
}

#[cfg(test)]
mod tests {
    use super::framework_counts;

    #[test]
    fn framework_counts_match_a_count_of_each_alignment() {
        // A row with every framework of 5, long runs of one framework and an odd length.
        let row: Vec<u8> = (0..10_007u32).map(|i| ((i * i / 7 + i / 300) % 5) as u8).collect();
        let mut expected = [0u32; 8];
        for &a in &row {
            expected[a as usize] += 1;
        }
        for span in [row.len(), 1_000, 333] {
            assert_eq!(framework_counts(&row, 5, span), expected, "span {span}");
        }
        assert_eq!(framework_counts(&[], 3, 1), [0; 8]);
    }
}
