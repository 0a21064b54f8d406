//! The tables a model precomputes from its world's ties and GDP: the fragmentation weight of each
//! tie, the sums of equal weights as look-ups of counts, the width of a packed partner count and the
//! ties reversed.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::world::{StateId, Ties, World};

/// Largest number of partners per state for the count tables ([`super::Model::tie_sums`]): counts
/// are packed as bytes.
pub const MAX_TABLE_DEGREE: usize = 255;

/// The precomputed tables of a model, each documented at its field of [`super::Model`].
pub(crate) struct Tables {
    pub frag_weight: Vec<f64>,
    pub gdp_sums: Option<Vec<f64>>,
    pub tie_sums: Option<Vec<f64>>,
    pub frag_sums: Option<Vec<f64>>,
    pub count_bits: u32,
    pub in_offsets: Vec<usize>,
    pub in_sources: Vec<StateId>,
}

impl Tables {
    /// The tables of `world`; a world without states is an error.
    pub(crate) fn build(world: &World) -> Result<Tables> {
        let n = world.len();
        if n == 0 {
            return Err(Error::Usage("the world has no states".into()));
        }
        let degree = |i: usize| world.ties.offsets[i + 1] - world.ties.offsets[i];
        let max_degree = (0..n).map(degree).max().unwrap_or(0);
        let one_weight = one_tie_weight(world);
        let (frag_scale, frag_total) = frag_scale(world, one_weight, max_degree);
        let scale = |i: usize| if frag_total > 0.0 { frag_scale[i] / frag_total } else { 0.0 };
        let tie_frag_weights = |i: usize| {
            let (_, w) = world.ties.row(i);
            let scale = scale(i);
            w.iter().map(move |&x| f64::from(x).abs() * scale)
        };
        let all_frag_weights = || (0..n).flat_map(tie_frag_weights);

        // Counts of partners index these tables; beyond MAX_TABLE_DEGREE they do not fit a byte.
        let small = max_degree <= MAX_TABLE_DEGREE;
        let (tie_sums, frag_sums) = match one_weight {
            // One weight: every row's ties weigh the same, so each sequence is checked row by row
            // (a row without ties adds nothing to it).
            Some(w) => {
                let firsts = || (0..n).filter(|&i| degree(i) > 0);
                let tie = small.then(|| repeated_sums(firsts().map(|_| w), max_degree)).flatten();
                let frag = small.then(|| repeated_sums(firsts().map(|i| w.abs() * scale(i)), max_degree));
                (tie, frag.flatten())
            }
            None => (
                small
                    .then(|| repeated_sums((0..n).flat_map(|i| world.ties.row(i).1).map(|&w| f64::from(w)), max_degree))
                    .flatten(),
                small.then(|| repeated_sums(all_frag_weights(), max_degree)).flatten(),
            ),
        };
        // With one weight the index needs only the table above.
        let frag_weight: Vec<f64> = if frag_sums.is_some() {
            Vec::new()
        } else {
            all_frag_weights().collect()
        };
        let gdp_sums = repeated_sums(world.gdp.iter().copied(), n);
        let (in_offsets, in_sources) = if frag_sums.is_none() || tie_sums.is_some() {
            reversed(world)
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(Tables {
            frag_weight,
            gdp_sums,
            tie_sums,
            frag_sums,
            count_bits: (usize::BITS - max_degree.leading_zeros()).max(1),
            in_offsets,
            in_sources,
        })
    }
}

/// The one weight of every tie when the world stores it once ([`crate::world::Ties::uniform`]).
fn one_tie_weight(world: &World) -> Option<f64> {
    let ties = &world.ties;
    let w = ties.uniform.first().copied().unwrap_or(0.0);
    (ties.weights.is_empty() && ties.uniform.iter().all(|x| x.to_bits() == w.to_bits())).then_some(f64::from(w))
}

/// Per state, the factor s_i that turns its normalised tie weights back into its trade volume (0 for
/// a state without ties), and the total volume T. With one tie weight, a row's sum of absolute
/// weights is the table entry of its degree (the same additions).
fn frag_scale(world: &World, one_weight: Option<f64>, max_degree: usize) -> (Vec<f64>, f64) {
    let abs_sums = one_weight.and_then(|w| repeated_sums(std::iter::once(w.abs()), max_degree));
    let mut frag_scale = vec![0.0; world.len()];
    let mut frag_total = 0.0;
    for (i, scale) in frag_scale.iter_mut().enumerate() {
        let (t, w) = world.ties.row(i);
        let abs: f64 = match &abs_sums {
            Some(sums) => sums[t.len()],
            None => w.iter().map(|&x| f64::from(x).abs()).sum(),
        };
        if abs > 0.0 {
            *scale = world.ties.row_total[i] / abs;
            frag_total += world.ties.row_total[i];
        }
    }
    (frag_scale, frag_total)
}

/// States per part of the reversal below which it runs in one part.
const REVERSE_MIN_STATES: usize = 16 * 1024;

/// The ties reversed, in compressed rows: the row offsets and, per state j, the states that count j
/// as a partner, in state order. Parts of the states j, one per thread, each scan every tie and keep
/// those to their own range: the scans read in order, and each part writes only its own rows. The
/// counts are taken in the offsets themselves (no second array of N entries at the peak of the
/// build); the write positions kept per state while filling are 32-bit where they fit (half the
/// cache lines of `usize` for the scattered updates).
fn reversed(world: &World) -> (Vec<usize>, Vec<StateId>) {
    let (n, ties) = (world.len(), &world.ties);
    let parts = rayon::current_num_threads().min(n / REVERSE_MIN_STATES).max(1);
    let span = n.div_ceil(parts);
    let mut in_offsets = vec![0usize; n + 1];
    in_offsets[1..].par_chunks_mut(span).enumerate().for_each(|(p, counts)| {
        let lo = p * span;
        for &j in &ties.targets {
            if let Some(c) = counts.get_mut((j as usize).wrapping_sub(lo)) {
                *c += 1;
            }
        }
    });
    for j in 0..n {
        in_offsets[j + 1] += in_offsets[j];
    }
    let mut in_sources = vec![0; ties.targets.len()];
    let mut rest = &mut in_sources[..];
    let mut slices = Vec::with_capacity(parts);
    for p in 0..parts {
        let (lo, hi) = ((p * span).min(n), ((p + 1) * span).min(n));
        let (mine, after) = rest.split_at_mut(in_offsets[hi] - in_offsets[lo]);
        slices.push((lo, hi, mine));
        rest = after;
    }
    slices.into_par_iter().for_each(|(lo, hi, out)| {
        let starts = in_offsets[lo..hi].iter().map(|&o| o - in_offsets[lo]);
        if u32::try_from(out.len()).is_ok() {
            fill_sources::<u32>(ties, lo, starts.map(|o| o as u32).collect(), out);
        } else {
            fill_sources::<usize>(ties, lo, starts.collect(), out);
        }
    });
    (in_offsets, in_sources)
}

/// Write every tie i -> j with j in the part starting at state `lo` into `out`, at the position
/// `fill[j − lo]` (then advanced), scanning the sources i in order.
fn fill_sources<C: Cursor>(ties: &Ties, lo: usize, mut fill: Vec<C>, out: &mut [StateId]) {
    for i in 0..ties.offsets.len() - 1 {
        for &j in &ties.targets[ties.offsets[i]..ties.offsets[i + 1]] {
            if let Some(f) = fill.get_mut((j as usize).wrapping_sub(lo)) {
                out[f.advance()] = i as StateId;
            }
        }
    }
}

/// A write position in a part of the reversed ties.
trait Cursor: Copy {
    /// The position, then move to the next.
    fn advance(&mut self) -> usize;
}

impl Cursor for u32 {
    #[inline(always)]
    fn advance(&mut self) -> usize {
        *self += 1;
        *self as usize - 1
    }
}

impl Cursor for usize {
    #[inline(always)]
    fn advance(&mut self) -> usize {
        *self += 1;
        *self - 1
    }
}

/// `Some(table)` when every value of `w` is the same, with `table[c]` the sum of c copies added one
/// at a time, c = 0..=`max_count`.
fn repeated_sums(w: impl Iterator<Item = f64>, max_count: usize) -> Option<Vec<f64>> {
    let mut w = w.peekable();
    let first = w.peek().copied().unwrap_or(0.0);
    if !w.all(|x| x.to_bits() == first.to_bits()) {
        return None;
    }
    let mut table = Vec::with_capacity(max_count + 1);
    let mut acc = 0.0;
    table.push(acc);
    for _ in 0..max_count {
        acc += first;
        table.push(acc);
    }
    Some(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::synthetic;

    /// The same world with every tie's weight stored (the general path of [`Tables::build`]).
    fn weights_stored(world: &World) -> World {
        let mut w = world.clone();
        w.ties.weights = (0..w.len()).flat_map(|i| world.ties.row(i).1.to_vec()).collect();
        w.ties.uniform.clear();
        w
    }

    fn bits(x: &Option<Vec<f64>>) -> Option<Vec<u64>> {
        x.as_ref().map(|v| v.iter().map(|y| y.to_bits()).collect())
    }

    fn assert_same(a: &Tables, b: &Tables) {
        assert_eq!(bits(&a.tie_sums), bits(&b.tie_sums));
        assert_eq!(bits(&a.frag_sums), bits(&b.frag_sums));
        assert_eq!(bits(&Some(a.frag_weight.clone())), bits(&Some(b.frag_weight.clone())));
        assert_eq!(bits(&a.gdp_sums), bits(&b.gdp_sums));
        assert_eq!(
            (a.count_bits, &a.in_offsets, &a.in_sources),
            (b.count_bits, &b.in_offsets, &b.in_sources)
        );
    }

    #[test]
    fn one_stored_weight_gives_the_tables_of_every_weight_stored() {
        for (n, m) in [(40_000, 16), (300, 7), (5, 4), (6, 0)] {
            let world = synthetic::build(n, m, 3, 0.0, 0);
            assert!(world.ties.weights.is_empty());
            let one = Tables::build(&world).unwrap();
            assert_same(&one, &Tables::build(&weights_stored(&world)).unwrap());
        }
        // Rows of different lengths with one weight: the fragmentation weights differ by row.
        let mut world = synthetic::build(200, 6, 4, 0.5, 0);
        let mut targets = Vec::new();
        let mut offsets = vec![0];
        for i in 0..world.len() {
            targets.extend_from_slice(&world.ties.row(i).0[..i % 7]);
            offsets.push(targets.len());
        }
        (world.ties.targets, world.ties.offsets) = (targets, offsets);
        let one = Tables::build(&world).unwrap();
        assert!(one.frag_sums.is_none() && !one.frag_weight.is_empty());
        assert_same(&one, &Tables::build(&weights_stored(&world)).unwrap());
    }

    #[test]
    fn both_widths_of_write_positions_fill_the_same_rows() {
        // The 64-bit positions serve parts of more than 2^32 ties: held here to the 32-bit ones.
        let world = synthetic::build(3_000, 7, 8, 0.0, 3);
        let (offsets, sources) = reversed(&world);
        let (lo, hi) = (1_000, 2_000);
        let starts = || offsets[lo..hi].iter().map(|&o| o - offsets[lo]);
        let mut narrow = vec![0; offsets[hi] - offsets[lo]];
        let mut wide = narrow.clone();
        fill_sources::<u32>(&world.ties, lo, starts().map(|o| o as u32).collect(), &mut narrow);
        fill_sources::<usize>(&world.ties, lo, starts().collect(), &mut wide);
        assert_eq!(narrow, wide);
        assert_eq!(narrow, sources[offsets[lo]..offsets[hi]]);
    }

    #[test]
    fn reversed_ties_list_each_states_followers_in_order_on_any_number_of_threads() {
        let sorted = synthetic::build(50_000, 5, 8, 0.0, 0);
        // Rows in any order.
        let mut unsorted = sorted.clone();
        unsorted.ties.targets.chunks_mut(5).for_each(|row| row.reverse());
        for world in [sorted, unsorted] {
            let on = |threads| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                pool.install(|| reversed(&world))
            };
            let (offsets, sources) = on(1);
            for (j, w) in offsets.windows(2).enumerate().step_by(997) {
                let follows = |i: StateId| world.ties.row(i as usize).0.contains(&(j as StateId));
                let want: Vec<StateId> = (0..world.len() as StateId).filter(|&i| follows(i)).collect();
                assert_eq!(&sources[w[0]..w[1]], &want[..], "followers of {j}");
            }
            assert_eq!(on(3), (offsets, sources));
        }
    }
}
