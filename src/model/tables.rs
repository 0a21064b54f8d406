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

/// The reversal's buckets: about this many at most (fewer write positions while staging than a
/// core's first-level cache holds lines), of 2^9 to 2^16 states each (a bucket's rows stay in
/// the cache while sorted; a state's place in its bucket fits 16 bits).
const MAX_BUCKETS: usize = 128;
const MIN_BUCKET_SHIFT: u32 = 9;
const MAX_BUCKET_SHIFT: u32 = 16;

/// The ties reversed, in compressed rows: the row offsets and, per state j, the states that count j
/// as a partner, in state order.
///
/// Writing each tie straight to its row would scatter over the whole array (about one cache miss
/// per tie at N = 10^6). Instead the ties pass through buckets of consecutive states j: counted
/// per bucket, staged in place in source order (each bucket's ties in the stretch its rows will
/// fill, j's place in its bucket beside them), then each bucket sorted into its rows by counting,
/// alone in the cache. Parts of the buckets, one per thread, each scan every tie for those of
/// their buckets and write only their own stretch.
fn reversed(world: &World) -> (Vec<usize>, Vec<StateId>) {
    let (n, ties) = (world.len(), &world.ties);
    let shift = n.div_ceil(MAX_BUCKETS).next_power_of_two().trailing_zeros();
    let shift = shift.clamp(MIN_BUCKET_SHIFT, MAX_BUCKET_SHIFT);
    let buckets = n.div_ceil(1 << shift);
    let parts = rayon::current_num_threads().min(n / REVERSE_MIN_STATES).clamp(1, buckets.max(1));
    let per_bucket = ties
        .targets
        .par_chunks(ties.targets.len().div_ceil(parts).max(1))
        .map(|chunk| {
            let mut count = vec![0usize; buckets];
            chunk.iter().for_each(|&j| count[j as usize >> shift] += 1);
            count
        })
        .reduce(|| vec![0; buckets], |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect());
    // Each bucket's first position, and the end.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(per_bucket.iter().scan(0, |end, c| {
            *end += c;
            Some(*end)
        }))
        .collect();
    let mut in_offsets = vec![0usize; n + 1];
    let mut in_sources = vec![0; ties.targets.len()];
    let mut places = vec![0u16; ties.targets.len()];
    let mut jobs = Vec::with_capacity(parts);
    let (mut offsets, mut sources, mut place) = (&mut in_offsets[1..], &mut in_sources[..], &mut places[..]);
    for p in 0..parts {
        let range = p * buckets / parts..(p + 1) * buckets / parts;
        let states = (range.end << shift).min(n) - (range.start << shift);
        let len = starts[range.end] - starts[range.start];
        let (o, o_rest) = offsets.split_at_mut(states);
        let (s, s_rest) = sources.split_at_mut(len);
        let (l, l_rest) = place.split_at_mut(len);
        jobs.push(Part {
            range,
            offsets: o,
            sources: s,
            places: l,
        });
        (offsets, sources, place) = (o_rest, s_rest, l_rest);
    }
    jobs.into_par_iter().for_each(|part| part.fill(ties, shift, &starts));
    (in_offsets, in_sources)
}

/// A range of the reversal's buckets and its stretches of the output (see [`reversed`]).
struct Part<'a> {
    range: std::ops::Range<usize>,
    /// Row ends of the part's states (the offsets after the first).
    offsets: &'a mut [usize],
    /// The part's rows.
    sources: &'a mut [StateId],
    /// Staging: each staged tie's state j, as its place in its bucket.
    places: &'a mut [u16],
}

impl Part<'_> {
    /// Fill the part's rows, `starts` holding every bucket's first position in the reversed ties.
    fn fill(self, ties: &Ties, shift: u32, starts: &[usize]) {
        let Part {
            range,
            offsets,
            sources,
            places,
        } = self;
        let base = starts[range.start];
        let mask = (1usize << shift) - 1;
        let mut at: Vec<usize> = starts[range.clone()].iter().map(|&s| s - base).collect();
        for i in 0..ties.offsets.len() - 1 {
            for &j in &ties.targets[ties.offsets[i]..ties.offsets[i + 1]] {
                if let Some(a) = at.get_mut((j as usize >> shift).wrapping_sub(range.start)) {
                    sources[*a] = i as StateId;
                    places[*a] = (j as usize & mask) as u16;
                    *a += 1;
                }
            }
        }
        let (mut next, mut staged) = (vec![0usize; mask + 1], Vec::new());
        for b in range.clone() {
            let (first, last) = (starts[b] - base, starts[b + 1] - base);
            let lo = (b - range.start) << shift;
            let rows = (lo + mask + 1).min(offsets.len());
            next.fill(0);
            places[first..last].iter().for_each(|&l| next[l as usize] += 1);
            // Each row's end into the offsets and its first position into `next`.
            let mut end = starts[b];
            for (row_end, c) in offsets[lo..rows].iter_mut().zip(next.iter_mut()) {
                (*c, end) = (end - starts[b], end + *c);
                *row_end = end;
            }
            staged.clear();
            staged.extend_from_slice(&sources[first..last]);
            let out = &mut sources[first..last];
            for (&i, &l) in staged.iter().zip(&places[first..last]) {
                out[next[l as usize]] = i;
                next[l as usize] += 1;
            }
        }
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

    /// Each state's followers in state order, the plain way.
    fn followers(world: &World) -> (Vec<usize>, Vec<StateId>) {
        let mut rows = vec![Vec::new(); world.len()];
        for i in 0..world.len() {
            world.ties.row(i).0.iter().for_each(|&j| rows[j as usize].push(i as StateId));
        }
        let offsets = std::iter::once(0).chain(rows.iter().scan(0, |end, r| {
            *end += r.len();
            Some(*end)
        }));
        (offsets.collect(), rows.concat())
    }

    #[test]
    fn reversed_ties_list_each_states_followers_in_order_on_any_number_of_threads() {
        // Buckets of 2^9 states in three parts (N = 50,000); of 2^10 (N = 70,000, a last bucket
        // cut short, rows of 0 to 3 ties); rows sorted or not.
        let sorted = synthetic::build(50_000, 5, 8, 0.0, 0);
        let mut unsorted = sorted.clone();
        unsorted.ties.targets.chunks_mut(5).for_each(|row| row.reverse());
        let mut uneven = synthetic::build(70_000, 3, 2, 0.0, 0);
        let (mut targets, mut offsets) = (Vec::new(), vec![0]);
        for i in 0..uneven.len() {
            targets.extend_from_slice(&uneven.ties.row(i).0[..i % 4]);
            offsets.push(targets.len());
        }
        (uneven.ties.targets, uneven.ties.offsets) = (targets, offsets);
        for world in [sorted, unsorted, uneven] {
            let want = followers(&world);
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                assert!(
                    pool.install(|| reversed(&world)) == want,
                    "{} states on {threads} threads",
                    world.len()
                );
            }
        }
    }
}
