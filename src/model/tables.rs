//! The tables a model precomputes from its world's ties and GDP: the fragmentation weight of each
//! tie, the sums of equal weights as look-ups of counts, the width of a packed partner count and the
//! ties reversed.

use crate::error::{Error, Result};
use crate::world::{StateId, World};

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
        let (frag_scale, frag_total) = frag_scale(world);
        let tie_frag_weights = |i: usize| {
            let (_, w) = world.ties.row(i);
            let scale = if frag_total > 0.0 { frag_scale[i] / frag_total } else { 0.0 };
            w.iter().map(move |&x| f64::from(x).abs() * scale)
        };
        let all_frag_weights = || (0..n).flat_map(tie_frag_weights);

        if n == 0 {
            return Err(Error::Usage("the world has no states".into()));
        }
        let max_degree = (0..n).map(|i| world.ties.offsets[i + 1] - world.ties.offsets[i]).max().unwrap_or(0);
        // Counts of partners index these tables; beyond MAX_TABLE_DEGREE they do not fit a byte.
        let small = max_degree <= MAX_TABLE_DEGREE;
        let tie_sums = small
            .then(|| repeated_sums((0..n).flat_map(|i| world.ties.row(i).1).map(|&w| f64::from(w)), max_degree))
            .flatten();
        let frag_sums = small.then(|| repeated_sums(all_frag_weights(), max_degree)).flatten();
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

/// Per state, the factor s_i that turns its normalised tie weights back into its trade volume (0 for
/// a state without ties), and the total volume T.
fn frag_scale(world: &World) -> (Vec<f64>, f64) {
    let mut frag_scale = vec![0.0; world.len()];
    let mut frag_total = 0.0;
    for (i, scale) in frag_scale.iter_mut().enumerate() {
        let (_, w) = world.ties.row(i);
        let abs: f64 = w.iter().map(|&x| f64::from(x).abs()).sum();
        if abs > 0.0 {
            *scale = world.ties.row_total[i] / abs;
            frag_total += world.ties.row_total[i];
        }
    }
    (frag_scale, frag_total)
}

/// The ties reversed, in compressed rows: the row offsets and, per state j, the states that count j
/// as a partner, in state order.
fn reversed(world: &World) -> (Vec<usize>, Vec<StateId>) {
    let n = world.len();
    let mut in_offsets = vec![0usize; n + 1];
    for &j in &world.ties.targets {
        in_offsets[j as usize + 1] += 1;
    }
    for j in 0..n {
        in_offsets[j + 1] += in_offsets[j];
    }
    let mut fill = in_offsets.clone();
    let mut in_sources = vec![0; world.ties.targets.len()];
    for i in 0..n {
        for &j in world.ties.row(i).0 {
            in_sources[fill[j as usize]] = i as StateId;
            fill[j as usize] += 1;
        }
    }
    (in_offsets, in_sources)
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
