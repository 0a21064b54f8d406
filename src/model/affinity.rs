//! A: governance affinity — closeness on the freedom scale, shared memberships, partnerships and
//! per-run heterogeneity of tastes.

use rand_distr::{Distribution, StandardNormal};

use crate::rng::{Generator, for_each_unit, in_positioned_blocks};
use crate::scenario::Heterogeneity;

/// Freedom term of framework k for a state: −|freedom − ideal| / 10, in [−1, 0].
#[inline]
pub fn freedom_closeness(freedom: f64, ideal: f64) -> f64 {
    -(freedom - ideal).abs() / 10.0
}

/// Draws per block of uniform heterogeneity (each a 64-bit word pair, taken in positioned blocks).
const UNIFORM_BLOCK: usize = 16 * 1024;

/// Add one heterogeneity draw per (state, framework) to `a` (length N·K, state-major), in state order;
/// uniform draws on several threads when `parallel` (the same numbers).
pub fn add_heterogeneity(a: &mut [f64], h: Heterogeneity, rng: &mut Generator, parallel: bool) {
    match h {
        Heterogeneity::None => {}
        Heterogeneity::Uniform(scale) => {
            in_positioned_blocks(rng, a, 2, UNIFORM_BLOCK, parallel, |_, block, r| {
                for_each_unit(r, block, 1, |x, u| *x += scale * u)
            });
        }
        Heterogeneity::Normal(scale) => a.iter_mut().for_each(|x| {
            let z: f64 = StandardNormal.sample(rng);
            *x += scale * z
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closeness_is_zero_at_ideal_and_falls_linearly() {
        assert_eq!(freedom_closeness(8.0, 8.0), 0.0);
        assert!((freedom_closeness(3.0, 8.0) + 0.5).abs() < 1e-12);
    }

    #[test]
    fn uniform_heterogeneity_stays_in_range() {
        let mut a = vec![1.0; 300];
        add_heterogeneity(&mut a, Heterogeneity::Uniform(0.5), &mut crate::rng::seeded(9), false);
        assert!(a.iter().all(|&x| (1.0..=1.5).contains(&x)));
    }
}
