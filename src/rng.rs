//! The one place that names the random generator.
//!
//! Every random draw of a run comes from a [`ChaCha8Rng`] built by [`run_rng`] from the master seed, the
//! run index and the purpose of the stream. ChaCha is portable (same output on every platform) and
//! supports 2^64 independent streams per key, so each run owns its streams whatever thread executes it.
//! Within the dynamics stream, [`RunRng::at_step`] moves to a fixed word position per simulated year,
//! so two scenarios compared on common random numbers use the same random numbers each year even
//! when their earlier years consumed different amounts.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

/// The generator used everywhere in blocsim.
pub type Generator = ChaCha8Rng;

/// What a stream of a run is used for; each purpose has its own ChaCha stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Draws of uncertain scenario parameters.
    Parameters = 0,
    /// Per-run state heterogeneity and initial alignments.
    Setup = 1,
    /// Revision draws and choice noise, year by year.
    Dynamics = 2,
}

/// Number of stream slots reserved per run.
const PURPOSES: u64 = 4;

/// The generator for `purpose` of run `run` under master seed `seed`.
pub fn run_rng(seed: u64, run: u64, purpose: Purpose) -> Generator {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(run.wrapping_mul(PURPOSES).wrapping_add(purpose as u64));
    rng
}

/// A generator for one-off uses outside runs (synthetic world structure), from a seed alone.
pub fn seeded(seed: u64) -> Generator {
    ChaCha8Rng::seed_from_u64(seed)
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

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
