//! Each state's count of partners on each framework, per domain: gathered over every tie when
//! stale, then kept up to date by synchronous revisions, which add each move to the states that
//! count the mover as a partner (worlds with one tie weight only, where the table-driven logit and
//! the fragmentation index read these counts).

use super::Simulation;
use crate::model::Model;
use crate::model::choice::MAX_FRAMEWORKS;
use crate::pool::{in_pieces, in_pieces_over};

/// Ranges of movers, and of cells to merge, per worker of a split update: enough for the workers to
/// even out their pace.
const PIECES_PER_PART: usize = 8;

/// Packed per-cell counts of partners per framework.
pub(super) struct PartnerCounts {
    /// Per cell `[d*N + i]`: its partners' count on each framework, packed in fields of `bits` bits,
    /// framework f in bits f·bits and up (empty when not kept: several tie weights, or K fields that
    /// do not fit in 32 bits).
    pub packed: Vec<u32>,
    /// Bits per framework ([`Model::count_bits`]).
    pub bits: u32,
    /// Whether `packed` describes the current alignments.
    pub fresh: bool,
    /// Per extra part of a split update, the moves of its range of states, `[d*N + i]` each; all
    /// zero between updates (empty until a split update; see `shift_partner_counts`).
    pub scratch: Vec<u32>,
}

impl PartnerCounts {
    pub fn new(m: &Model) -> PartnerCounts {
        let (n, d, k) = (m.layout.states, m.layout.domains, m.layout.frameworks);
        let kept = m.tie_sums.is_some() && m.frag_sums.is_some() && k as u32 * m.count_bits <= 32;
        PartnerCounts {
            packed: if kept { vec![0; n * d] } else { Vec::new() },
            bits: m.count_bits,
            fresh: false,
            scratch: Vec::new(),
        }
    }

    /// Whether the counts are kept at all.
    #[inline]
    pub fn kept(&self) -> bool {
        !self.packed.is_empty()
    }
}

impl Simulation<'_> {
    /// Bring the partner counts from the current alignments to `next`: each state that moved from
    /// framework a to b adds one partner on b and removes one on a for every state that counts it
    /// as a partner. Far fewer memory touches than gathering every tie again, since only movers
    /// are visited. (Fields never wrap at the end: a count on a is at least one before the
    /// removal, and no count exceeds the degree, which fits in a field.)
    ///
    /// With [`Simulation::parts`] P > 1 the movers are split into ranges of states, taken in turn
    /// by P workers: the first adds its ranges' moves to the counts, each other to its own scratch
    /// array, which is then added to the counts and cleared, in parallel over ranges of cells. A
    /// worker that runs faster takes more ranges, and one that never starts (its thread busy
    /// elsewhere) leaves them to the others. Additions modulo 2^32 in any grouping give the same
    /// integers, so the counts depend neither on P nor on which worker took which range.
    pub(super) fn shift_partner_counts(&mut self, next: &[u8]) {
        let (n, d, parts) = (self.n, self.d, self.parts.max(1));
        let rev = (&self.m.in_offsets[..], &self.m.in_sources[..]);
        let (bits, align) = (self.counts.bits, &self.align[..]);
        let shift_all = |movers: std::ops::Range<usize>, out: &mut [u32]| {
            for ((old, new), out) in align.chunks_exact(n).zip(next.chunks_exact(n)).zip(out.chunks_exact_mut(n)) {
                shift_movers(&old[movers.clone()], &new[movers.clone()], movers.start, rev, bits, out);
            }
        };
        if parts == 1 {
            return shift_all(0..n, &mut self.counts.packed);
        }
        let scratch = &mut self.counts.scratch;
        scratch.resize((parts - 1) * n * d, 0);
        let span = n.div_ceil(parts * PIECES_PER_PART);
        let pieces = n.div_ceil(span);
        let outs: Vec<&mut [u32]> = std::iter::once(&mut self.counts.packed[..])
            .chain(scratch.chunks_exact_mut(n * d))
            .collect();
        in_pieces(outs, pieces, |out, p| shift_all(p * span..((p + 1) * span).min(n), out));
        // Each range of cells takes its moves from every scratch array, which it leaves zero.
        let cells = (n * d).div_ceil(parts * PIECES_PER_PART);
        let mut extras: Vec<_> = scratch.chunks_exact_mut(n * d).map(|e| e.chunks_mut(cells)).collect();
        let ranges: Vec<Merge> = (self.counts.packed.chunks_mut(cells))
            .map(|c| (c, extras.iter_mut().filter_map(Iterator::next).collect()))
            .collect();
        in_pieces_over(vec![(); parts], ranges, |_, _, (counts, extras)| {
            for extra in extras.iter_mut() {
                for (c, e) in counts.iter_mut().zip(extra.iter_mut()) {
                    *c = c.wrapping_add(std::mem::take(e));
                }
            }
        });
    }

    /// State i's partners on each framework in domain d, packed in fields of `count_bits` bits
    /// (K <= 8 fields of at most 8 bits), gathered over its ties.
    #[inline]
    pub(super) fn count_partners(&self, d: usize, i: usize) -> u64 {
        let ties = &self.m.world.ties;
        let align = &self.align[d * self.n..(d + 1) * self.n];
        pack_counts(&ties.targets[ties.offsets[i]..ties.offsets[i + 1]], align, self.counts.bits)
    }
}

/// A range of cells' counts and the same range of every scratch array, to be added to them.
type Merge<'a> = (&'a mut [u32], Vec<&'a mut [u32]>);

/// Add the moves of states `first..first + old.len()` of one domain (alignments `old` to `new`)
/// to `counts`, the packed counts of every state of the domain; `rev` holds the reversed ties.
fn shift_movers(old: &[u8], new: &[u8], first: usize, rev: (&[usize], &[u32]), bits: u32, counts: &mut [u32]) {
    let (ins, srcs) = rev;
    // About a third of the states move in a typical year: listed without a branch each.
    let mut movers = [0u16; LIST_BATCH];
    for (b, (old, new)) in old.chunks(LIST_BATCH).zip(new.chunks(LIST_BATCH)).enumerate() {
        let count = list_where(old.iter().zip(new).map(|(a, b)| a != b), &mut movers);
        for &t in &movers[..count] {
            let (j, t) = (first + b * LIST_BATCH + t as usize, t as usize);
            let delta = (1u32 << (bits * u32::from(new[t]))).wrapping_sub(1u32 << (bits * u32::from(old[t])));
            for &i in &srcs[ins[j]..ins[j + 1]] {
                let c = &mut counts[i as usize];
                *c = c.wrapping_add(delta);
            }
        }
    }
}

/// Field `f` (`bits` wide, from bit f·bits) of a packed count of partners per framework.
#[inline(always)]
pub(super) fn field(packed: u64, f: usize, bits: u32) -> u32 {
    ((packed >> (bits * f as u32)) & ((1u64 << bits) - 1)) as u32
}

/// Cells or states per batch of [`list_where`].
pub(super) const LIST_BATCH: usize = 256;

/// List into `out` the positions of the `true` values of `keep` (at most [`LIST_BATCH`] values),
/// and return how many, without a branch per position: the conditions listed here (a revision
/// coin, whether a state moved) are close to coin flips, which a branch would often mispredict.
#[inline(always)]
pub(super) fn list_where(keep: impl Iterator<Item = bool>, out: &mut [u16; LIST_BATCH]) -> usize {
    let mut count = 0;
    for (t, k) in keep.take(LIST_BATCH).enumerate() {
        out[count] = t as u16;
        count += usize::from(k);
    }
    count
}

/// Count the alignments in `row` of the partners `targets` per framework, framework f in the field
/// of `bits` bits at bit f·bits (every count fits its field: see [`Model::count_bits`]).
#[inline]
pub(super) fn pack_counts(targets: &[u32], row: &[u8], bits: u32) -> u64 {
    let mut packed = 0u64;
    for &j in targets {
        packed += 1u64 << (bits * u32::from(row[j as usize]));
    }
    packed
}

/// The number of alignments in `chunk` on each of the `k` frameworks. One pass per framework
/// comparing every alignment with it: passes the compiler turns into vector compares, where a
/// single pass adding to `c[a]` waits on the last store to the same counter.
pub(super) fn count_frameworks(chunk: &[u8], k: usize) -> [u32; MAX_FRAMEWORKS] {
    let mut c = [0u32; MAX_FRAMEWORKS];
    for (f, c) in c[..k].iter_mut().enumerate() {
        *c = chunk.iter().map(|&a| u32::from(a == f as u8)).sum();
    }
    c
}
