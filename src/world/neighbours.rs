//! The out-neighbours of a synthetic world: `degree` distinct others per agent, drawn from one
//! stream agent after agent, in rows of partners sorted by id.
//!
//! Each row is `rand::seq::index::sample(rng, N − 1, degree)` with index j >= i standing for agent
//! j + 1. Where that call is known to take Floyd's algorithm (see [`floyd_certain`]), the draws
//! and the rest are taken apart: Floyd's t_j = uniform on 0..=j, j = L − m .. L − 1, are drawn in
//! one sequential pass (the same calls, so the same stream), and each row's duplicates are then
//! resolved as Floyd does (a t already chosen is replaced by j), in parallel over rows. The tests
//! hold both paths to `index::sample` draw for draw.

use rand::RngExt;
use rand::seq::index;
use rayon::prelude::*;

use crate::rng::Generator;
use crate::world::StateId;

/// The rows of out-neighbours of `n` agents with `degree` each (at most N − 1), concatenated.
pub(crate) fn draw(rng: &mut Generator, n: usize, degree: usize) -> Vec<StateId> {
    let mut targets: Vec<StateId> = vec![0; n * degree];
    if degree == 0 {
        return targets;
    }
    let others = n - 1;
    if degree == others {
        targets.par_chunks_mut(degree).enumerate().for_each(|(i, row)| {
            row.iter_mut()
                .zip((0..n as StateId).filter(|&j| j as usize != i))
                .for_each(|(t, j)| *t = j);
        });
        return targets;
    }
    let first = (others - degree) as u32;
    let floyd = floyd_certain(others, degree);
    // The draws, one chunk of rows after another from the one stream; each chunk's rows are
    // finished (resolved, mapped to agents, sorted) while the next chunk is drawn.
    let draw_chunk = |rng: &mut Generator, chunk: &mut [StateId]| {
        for row in chunk.chunks_exact_mut(degree) {
            if floyd {
                row.iter_mut().zip(first..).for_each(|(t, j)| *t = rng.random_range(..=j));
            } else {
                row.iter_mut()
                    .zip(index::sample(rng, others, degree).iter())
                    .for_each(|(t, j)| *t = j as StateId);
            }
        }
    };
    let finish_chunk = |first_row: usize, chunk: &mut [StateId]| {
        chunk.par_chunks_mut(degree).enumerate().for_each(|(r, row)| {
            // Index j >= i stands for agent j + 1 (a map that keeps the order).
            let i = first_row + r;
            let to_agent = |j: StateId| j + StateId::from(j as usize >= i);
            // Without a repeated draw Floyd's sample is the draws themselves (the usual case: two
            // of 16 draws among 10^5 coincide about once in 800 rows).
            if floyd {
                if place_if_distinct(row, to_agent) {
                    return;
                }
                resolve_floyd(row, first);
            }
            row.iter_mut().for_each(|j| *j = to_agent(*j));
            sort_distinct(row);
        })
    };
    let mut drawn: (usize, &mut [StateId]) = (0, &mut []);
    let mut rest = &mut targets[..];
    let mut next_row = 0;
    while !rest.is_empty() || !drawn.1.is_empty() {
        let (now, after) = rest.split_at_mut((CHUNK_ROWS * degree).min(rest.len()));
        let (done_row, done) = std::mem::replace(&mut drawn, (next_row, &mut []));
        rayon::join(|| draw_chunk(rng, now), || finish_chunk(done_row, done));
        next_row += now.len() / degree;
        drawn.1 = now;
        rest = after;
    }
    targets
}

/// Rows per chunk of the draws.
const CHUNK_ROWS: usize = 2 * 1024;

/// Whether `index::sample(rng, length, amount)` takes Floyd's algorithm: for amounts below 163 it
/// does when the amount is at most 11 or the length at least (10 + 1.6·amount)·amount (at most
/// 43,611 for such amounts); 50,000 bounds that with room to spare.
fn floyd_certain(length: usize, amount: usize) -> bool {
    amount < 163 && (amount <= 11 || length >= 50_000) && length <= u32::MAX as usize
}

/// Turn Floyd's draws t_j (j = `first`, `first` + 1, ...) into its sample, in place: each t joins
/// the sample, and a t already in it is first replaced there by j.
fn resolve_floyd(row: &mut [StateId], first: StateId) {
    for idx in 0..row.len() {
        let t = row[idx];
        if let Some(pos) = row[..idx].iter().position(|&x| x == t) {
            row[pos] = first + idx as StateId;
        }
        row[idx] = t;
    }
}

/// Rows up to this length are sorted by rank.
const SHORT: usize = 32;

/// Sort a row of distinct partners. Short rows (the usual degrees) are placed by rank, each entry
/// at the count of entries below it: no data-dependent branch, where an insertion sort of random
/// values mispredicts about once per entry, and in blocks of fixed length the compiler turns into
/// vector compares.
fn sort_distinct(row: &mut [StateId]) {
    if !place_if_distinct(row, |j| j) {
        row.sort_unstable();
    }
}

/// When `row` is short and its entries distinct, replace it with `map` of its entries in
/// increasing order (`map` must keep the order) and return true; otherwise leave it as it is.
/// Equal entries show as equal ranks, so the ranks then miss a place.
fn place_if_distinct(row: &mut [StateId], map: impl Fn(StateId) -> StateId) -> bool {
    match row.len() {
        0..=16 => place_padded::<16>(row, map),
        17..=SHORT => place_padded::<32>(row, map),
        _ => false,
    }
}

/// [`place_if_distinct`] for rows of at most `L` entries, ranked in a block of fixed length `L`:
/// the entries as signed 32-bit keys with the top bit flipped (the same order as the unsigned ids,
/// and a compare that the vector units of every x86-64 have), the rest of the block the largest
/// key, which no id takes (ids stay below `u32::MAX`), so it never counts below an entry.
fn place_padded<const L: usize>(row: &mut [StateId], map: impl Fn(StateId) -> StateId) -> bool {
    const FLIP: StateId = 1 << 31;
    let mut key = [i32::MAX; L];
    key.iter_mut().zip(row.iter()).for_each(|(k, &x)| *k = (x ^ FLIP) as i32);
    let mut rank = [0i32; L];
    for (r, &x) in rank.iter_mut().zip(&key) {
        *r = key.iter().map(|&y| i32::from(y < x)).sum();
    }
    let len = row.len();
    let places = rank[..len].iter().fold(0u64, |p, &r| p | 1 << r);
    if places != (1u64 << len) - 1 {
        return false;
    }
    for (&r, &k) in rank[..len].iter().zip(&key) {
        row[r as usize] = map(k as StateId ^ FLIP);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    /// The rows that `index::sample`, called agent after agent, gives (the complete graph takes no
    /// draws).
    fn by_index_sample(rng: &mut Generator, n: usize, degree: usize) -> Vec<StateId> {
        if degree + 1 == n {
            return (0..n).flat_map(|i| (0..n as StateId).filter(move |&j| j as usize != i)).collect();
        }
        let mut out = Vec::new();
        for i in 0..n {
            let mut row: Vec<StateId> = index::sample(rng, n - 1, degree)
                .iter()
                .map(|j| if j >= i { j as StateId + 1 } else { j as StateId })
                .collect();
            row.sort_unstable();
            out.extend(row);
        }
        out
    }

    #[test]
    fn rows_are_those_of_index_sample_on_either_path() {
        // Floyd (small amounts; large lengths), the in-place shuffle (length below the bound), and
        // amounts on both sides of 11.
        for (n, degree) in [(60_001, 16), (50_001, 40), (20, 11), (300, 12), (800, 16), (40, 39), (7, 0), (5, 2)] {
            for seed in [1u64, 9] {
                let (mut a, mut b) = (seeded(seed), seeded(seed));
                let got = draw(&mut a, n, degree);
                assert_eq!(got, by_index_sample(&mut b, n, degree), "N {n}, degree {degree}");
                assert_eq!(a.random::<u64>(), b.random::<u64>(), "the stream is left where it was");
            }
        }
    }

    #[test]
    fn floyd_is_certain_only_where_index_sample_takes_it() {
        assert!(floyd_certain(99_999, 16) && floyd_certain(300, 11) && floyd_certain(1_000_000, 162));
        assert!(!floyd_certain(300, 12) && !floyd_certain(49_999, 16) && !floyd_certain(1_000_000, 163));
    }

    #[test]
    fn rows_of_distinct_partners_sort_as_the_standard_sort_does() {
        let mut rng = seeded(5);
        for len in [0usize, 1, 2, 16, 31, 32, 33, 60] {
            for _ in 0..50 {
                let mut row: Vec<StateId> = index::sample(&mut rng, 1000, len).iter().map(|j| j as StateId).collect();
                let mut want = row.clone();
                want.sort_unstable();
                sort_distinct(&mut row);
                assert_eq!(row, want, "{len} partners");
            }
        }
    }

    #[test]
    fn a_row_with_a_repeated_entry_is_left_as_it_is() {
        for row in [vec![4, 9, 4], vec![7, 7], vec![1, 2, 3, 2, 0]] {
            let mut placed = row.clone();
            assert!(!place_if_distinct(&mut placed, |j| j + 1));
            assert_eq!(placed, row);
        }
        let mut row = vec![8, 3, 5];
        assert!(place_if_distinct(&mut row, |j| j + StateId::from(j >= 5)));
        assert_eq!(row, [3, 6, 9]);
        let mut long: Vec<StateId> = (0..40).rev().collect();
        assert!(!place_if_distinct(&mut long, |j| j));
    }

    #[test]
    fn ids_on_both_sides_of_the_top_bit_are_placed_in_unsigned_order() {
        // The ranks compare keys with the top bit flipped: ids from 2^31 up must still sort above
        // the others, in rows that fill the block of 16 exactly and that spill into the block of 32.
        let big = [u32::MAX - 2, 1 << 31, (1 << 31) - 1, (1 << 31) + 7];
        for len in [4usize, 16, 17, 32] {
            let mut row: Vec<StateId> = (0..len as StateId).map(|k| k * 3 + 1).rev().collect();
            row[..4].copy_from_slice(&big);
            let mut want = row.clone();
            want.sort_unstable();
            assert!(place_if_distinct(&mut row, |j| j), "{len} entries");
            assert_eq!(row, want, "{len} entries");
        }
    }
}
