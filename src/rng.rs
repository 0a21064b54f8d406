//! The one place that names the random generator.
//!
//! Every random draw of a run comes from a [`ChaCha8Rng`] built here: by [`run_rng`] from the master
//! seed, the run index and the purpose of the stream, and by [`parameter_rng`] from the master seed,
//! the run index and the key path of an uncertain parameter. ChaCha is portable (same output on every
//! platform) and supports 2^64 independent streams per key, so each run owns its streams whatever
//! thread executes it. Each uncertain parameter has its own stream, so a scenario that adds, removes
//! or reorders uncertain parameters leaves the draws of the others unchanged, and scenarios compared
//! on common random numbers stay paired parameter by parameter.
//! Within the dynamics stream, [`RunRng::at_step`] moves to a fixed word position per simulated year,
//! so two scenarios compared on common random numbers use the same random numbers each year even
//! when their earlier years consumed different amounts.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use sha2::{Digest, Sha256};

/// The generator used everywhere in blocsim.
pub type Generator = ChaCha8Rng;

/// Version of the layout of the random streams: which stream each draw comes from. Recorded in every
/// manifest and batch identity; results of different layouts differ even for the same seed.
/// 1: parameters drawn in scenario order from one stream per run; 2: one stream per parameter key.
pub const STREAM_LAYOUT: u32 = 2;

/// What a stream of a run is used for; each purpose has its own ChaCha stream. (Slot 0 held the
/// parameter draws of stream layout 1; they now have streams of their own, [`parameter_rng`].)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// A dated forecast's draws of the detection rates of observation layers (`blocsim
    /// forecast`); the slot that stream layout 1 used for parameter draws, free since then.
    Layers = 0,
    /// Per-run state heterogeneity and initial alignments.
    Setup = 1,
    /// Revision draws and choice noise, year by year.
    Dynamics = 2,
    /// Draws of a start state from what is observed of it (`hindcast`'s simulated window).
    Observed = 3,
}

/// Number of stream slots reserved per run.
const PURPOSES: u64 = 4;

/// The generator for `purpose` of run `run` under master seed `seed`.
pub fn run_rng(seed: u64, run: u64, purpose: Purpose) -> Generator {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(run.wrapping_mul(PURPOSES).wrapping_add(purpose as u64));
    rng
}

/// The generator of the uncertain parameter at `key` (its key path, e.g. `choice.lambda`) in run `run`
/// under master seed `seed`: ChaCha8 keyed by SHA-256 of the seed and the key path, stream `run`.
pub fn parameter_rng(seed: u64, run: u64, key: &str) -> Generator {
    let mut h = Sha256::new();
    h.update(b"blocsim parameter stream\0");
    h.update(seed.to_le_bytes());
    h.update(key.as_bytes());
    let mut rng = ChaCha8Rng::from_seed(h.finalize().into());
    rng.set_stream(run);
    rng
}

/// A generator for one-off uses outside runs (synthetic world structure), from a seed alone.
pub fn seeded(seed: u64) -> Generator {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A secret for the explorer's page to send back with its state-changing requests: 128 bits from
/// the operating system's entropy (through `rand`'s thread generator), in hexadecimal. Never a
/// simulation stream: runs draw only from [`run_rng`] and [`parameter_rng`].
pub fn secret_token() -> String {
    use rand::RngExt;
    format!("{:032x}", rand::rng().random::<u128>())
}

/// Words of the dynamics stream reserved for each simulated year (2^36 32-bit words).
const WORDS_PER_STEP: u128 = 1 << 36;

/// Extension for positioning a dynamics stream at the start of a year.
pub trait RunRng {
    /// Move the stream to the fixed position of step `step`.
    fn at_step(&mut self, step: u32);
}

impl RunRng for Generator {
    fn at_step(&mut self, step: u32) {
        self.set_word_pos(u128::from(step) * WORDS_PER_STEP);
    }
}

/// A copy of `rng` positioned at item `item` of a sequence that starts at word `base` and takes
/// `words` 32-bit words per item (see [`in_positioned_blocks`]).
pub fn positioned(rng: &Generator, base: u128, words: u128, item: usize) -> Generator {
    let mut r = rng.clone();
    r.set_word_pos(base + words * item as u128);
    r
}

/// The uniform number in [0, 1) that `random::<f64>()` makes of the 64-bit word `x`: its top 53
/// bits times 2^-53 (rand's `StandardUniform`, pinned with rand's minor version; checked by the
/// tests against `random`).
#[inline(always)]
pub fn unit53(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Words per batch of [`for_each_unit`].
const UNIT_BATCH: usize = 256;

/// Call `each(item, u)` for every item of `items` in order, where each item takes `draws` 64-bit
/// words and u is the uniform in [0, 1) that `random::<f64>()` would make of its first (the others
/// are skipped): the same numbers and the same stream position after as drawing them one by one,
/// but the words are drawn a batch at a time (one call per batch instead of one per number; with
/// the batched initial alignments, a run's set-up took about 0.9 ms less, of 8.7, at N = 10^5:
/// `docs/performance.md`, round ten). `draws` is 1 to 256: a batch's words sit on the stack.
pub fn for_each_unit<T>(rng: &mut Generator, items: &mut [T], draws: usize, mut each: impl FnMut(&mut T, f64)) {
    use rand::RngExt;
    assert!((1..=UNIT_BATCH).contains(&draws), "between 1 and {UNIT_BATCH} draws per item");
    let mut words = [0u64; UNIT_BATCH];
    for chunk in items.chunks_mut(UNIT_BATCH / draws) {
        let words = &mut words[..chunk.len() * draws];
        rng.fill(words);
        for (item, w) in chunk.iter_mut().zip(words.chunks_exact(draws)) {
            each(item, unit53(w[0]));
        }
    }
}

/// Run `each(first, block, rng)` over `items` in blocks of `block` items, where each item takes
/// exactly `words` 32-bit words of `rng`, in order: each block draws from its own copy of the
/// stream positioned at its first item's words, so the numbers drawn are those of one pass whatever
/// the blocks or the threads (on rayon's threads when `parallel`). Leaves `rng` after the last
/// item's words; returns the blocks' results in order.
pub fn in_positioned_blocks<T: Send, R: Send>(
    rng: &mut Generator,
    items: &mut [T],
    words: u128,
    block: usize,
    parallel: bool,
    each: impl Fn(usize, &mut [T], &mut Generator) -> R + Sync,
) -> Vec<R> {
    use rayon::prelude::*;
    let base = rng.get_word_pos();
    let one = |(b, chunk): (usize, &mut [T])| {
        let first = b * block;
        each(first, chunk, &mut positioned(rng, base, words, first))
    };
    let out = if parallel {
        items.par_chunks_mut(block).enumerate().map(one).collect()
    } else {
        items.chunks_mut(block).enumerate().map(one).collect()
    };
    rng.set_word_pos(base + words * items.len() as u128);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    /// The first word of `parameter_rng(1, 0, "choice.lambda")`.
    const PINNED_LAMBDA_WORD: u64 = 0x878e_a02e_5b42_e34c;

    /// Batched uniforms are `random::<f64>()`'s numbers, and leave the stream where it would,
    /// from an even or an odd word and across the generator's blocks.
    #[test]
    fn batched_uniforms_are_those_drawn_one_by_one() {
        for skip in [0u32, 1, 63] {
            let mut one = run_rng(3, 1, Purpose::Setup);
            for _ in 0..skip {
                let _: u32 = one.random();
            }
            let mut batched = one.clone();
            let want: Vec<u64> = (0..1000).map(|_| one.random::<f64>().to_bits()).collect();
            let mut got = vec![0u64; 1000];
            for_each_unit(&mut batched, &mut got, 1, |g, u| *g = u.to_bits());
            assert_eq!(got, want, "from word {skip}");
            assert_eq!(batched.get_word_pos(), one.get_word_pos());
            assert_eq!(batched.random::<u64>(), one.random::<u64>());
            // Three draws per item, the first used.
            let mut batched = one.clone();
            let want: Vec<u64> = (0..700).map(|_| one.random::<[f64; 3]>()[0].to_bits()).collect();
            let mut got = vec![0u64; 700];
            for_each_unit(&mut batched, &mut got, 3, |g, u| *g = u.to_bits());
            assert_eq!(got, want, "three draws each, from word {skip}");
            assert_eq!(batched.get_word_pos(), one.get_word_pos());
        }
        assert_eq!(unit53(u64::MAX), 1.0 - f64::EPSILON / 2.0);
        assert_eq!(unit53(0x7ff), 0.0);
    }

    #[test]
    fn streams_differ_by_run_and_purpose() {
        let a: u64 = run_rng(7, 0, Purpose::Dynamics).random();
        let b: u64 = run_rng(7, 1, Purpose::Dynamics).random();
        let c: u64 = run_rng(7, 0, Purpose::Setup).random();
        let a2: u64 = run_rng(7, 0, Purpose::Dynamics).random();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, a2);
    }

    #[test]
    fn parameter_streams_differ_by_key_seed_and_run_and_are_pinned() {
        let draw = |seed, run, key| -> u64 { parameter_rng(seed, run, key).random() };
        let a = draw(1, 0, "choice.lambda");
        assert_ne!(a, draw(1, 0, "utility.network"));
        assert_ne!(a, draw(2, 0, "choice.lambda"));
        assert_ne!(a, draw(1, 1, "choice.lambda"));
        assert_eq!(a, draw(1, 0, "choice.lambda"));
        // Value stability: stream layout 2 gives these words; a change here changes every result.
        assert_eq!(a, PINNED_LAMBDA_WORD, "{a:#x}");
    }

    #[test]
    fn positioned_blocks_draw_what_one_pass_draws() {
        let mut one = run_rng(2, 1, Purpose::Setup);
        let _: u32 = one.random();
        let mut blocks = one.clone();
        let want: Vec<u64> = (0..1000).map(|_| one.random()).collect();
        let mut got = vec![0u64; 1000];
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let firsts = pool.install(|| {
            in_positioned_blocks(&mut blocks, &mut got, 2, 77, true, |first, block, r| {
                block.iter_mut().for_each(|x| *x = r.random());
                first
            })
        });
        assert_eq!(got, want);
        assert_eq!(firsts, (0..1000).step_by(77).collect::<Vec<_>>());
        assert_eq!(blocks.random::<u64>(), one.random::<u64>(), "left after the last item");
    }

    #[test]
    fn at_step_is_independent_of_earlier_consumption() {
        let mut x = run_rng(1, 3, Purpose::Dynamics);
        let mut y = run_rng(1, 3, Purpose::Dynamics);
        for _ in 0..1000 {
            let _: u64 = x.random();
        }
        x.at_step(5);
        y.at_step(5);
        let (p, q): (u64, u64) = (x.random(), y.random());
        assert_eq!(p, q);
    }
}
