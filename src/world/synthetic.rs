//! Synthetic worlds of any size, for experiments, validation cases and benchmarks.
//!
//! Agents are named `S1`...`SN`, zero-padded to equal width (`S01`...`S12`). From one seed: every
//! agent gets `degree` out-neighbours drawn uniformly without replacement from
//! the other N − 1 agents (weight 1/degree each; `degree = N − 1` is the complete graph), a GDP
//! that is log-normal with log-sd `gdp_sigma` around 1,000 (equal sizes when 0), a population
//! proportional to GDP, a freedom score uniform on [0, 10], and, when `groups > 0`, membership of
//! one of `groups` groups named `G1`, `G2`, ... chosen uniformly. Synthetic agents have no position
//! (`lon` and `lat` stay empty: nothing reads them); the two draws that once placed each agent on
//! the sphere are still taken and left unused, so that every other attribute of a given seed stays
//! the same.
//! The ties are built straight into compressed rows, so a world of millions of agents needs no
//! per-agent allocation; their one weight is stored once, and each state's name is its id.

use rand::RngExt;
use rand_distr::{Distribution, LogNormal};
use rayon::prelude::*;

use crate::rng::{for_each_unit, positioned, seeded};
use crate::world::{Groups, Ids, StateId, Ties, World, neighbours};

/// Agents per block of the parallel work: the attributes' positioned draws and the ids.
const BLOCK: usize = 4 * 1024;

/// Build a synthetic world of `agents` states; see the module documentation.
pub fn build(agents: usize, degree: usize, seed: u64, gdp_sigma: f64, groups: usize) -> World {
    let n = agents;
    let degree = degree.min(n.saturating_sub(1));
    let mut rng = seeded(seed);

    // Ties first, so that the network of a given (N, degree, seed) does not depend on the attributes.
    // Every row has `degree` ties, sorted by partner.
    let targets = neighbours::draw(&mut rng, n, degree);
    let offsets = (0..=n).map(|i| i * degree).collect();
    let w = if degree > 0 { 1.0 / degree as f64 } else { 0.0 };
    let ties = Ties {
        weights: Vec::new(),
        uniform: vec![w as f32; degree],
        row_total: vec![if degree > 0 { 1.0 } else { 0.0 }; n],
        offsets,
        targets,
    };

    let lognormal = LogNormal::new(0.0, gdp_sigma).ok();
    let mut world = World {
        ties,
        gdp: Vec::with_capacity(n),
        population: Vec::with_capacity(n),
        freedom: Vec::with_capacity(n),
        freedom_imputed: Vec::with_capacity(n),
        ..World::default()
    };
    let drawn_sizes = lognormal.is_some() && gdp_sigma > 0.0;
    if !drawn_sizes && groups == 0 {
        // Equal sizes and no groups: three 64-bit draws per agent (freedom and the two unused),
        // taken in positioned blocks on several threads (the same numbers as the loop below), a
        // batch of agents' words at a time. The arrays are filled in the same blocks, so that
        // their first touch is shared out too.
        let zeros = || vec![0.0; n];
        (world.gdp, world.population, world.freedom) = (zeros(), zeros(), zeros());
        world.freedom_imputed = vec![false; n];
        let base = rng.get_word_pos();
        let sizes = world.gdp.par_chunks_mut(BLOCK).zip(world.population.par_chunks_mut(BLOCK));
        sizes
            .zip(world.freedom.par_chunks_mut(BLOCK))
            .enumerate()
            .for_each(|(b, ((gdp, population), f))| {
                gdp.fill(1000.0);
                population.fill(1000.0 * 1000.0);
                let mut r = positioned(&rng, base, 6, b * BLOCK);
                for_each_unit(&mut r, f, 3, |f, u| *f = 10.0 * u);
            });
        // The stream continues after the last agent's draws, as after the loop below.
        rng.set_word_pos(base + 6 * n as u128);
    }
    let mut pairs = Vec::with_capacity(if groups > 0 { n } else { 0 });
    for i in (0..n).filter(|_| drawn_sizes || groups > 0) {
        let size = match &lognormal {
            Some(d) if gdp_sigma > 0.0 => 1000.0 * d.sample(&mut rng),
            _ => 1000.0,
        };
        world.gdp.push(size);
        world.population.push(size * 1000.0);
        world.freedom.push(10.0 * rng.random::<f64>());
        world.freedom_imputed.push(false);
        let _unused_position: [u64; 2] = [rng.random(), rng.random()];
        if groups > 0 {
            pairs.push((format!("G{}", rng.random_range(0..groups) + 1), i as StateId));
        }
    }
    // Names take no draws, so they are made apart from the loop above, in parallel.
    world.ids = ids(n);
    // Names are the ids: `world.names` stays empty (see `World::name`).
    // Continents and subregions are all `SYNTHETIC_REGION`: not stored (see `World::continent`).
    world.groups = Groups::from_pairs(pairs);
    world.description = format!("synthetic: {n} agents, {degree} out-neighbours each, seed {seed}");
    world
}

/// The ids `S1`...`SN`, zero-padded to equal width, in one buffer of exactly N × (1 + digits of N)
/// bytes, each block of ids written in place on its own thread, digit by digit from the right
/// (through `write!` the formatting machinery took ten times as long).
fn ids(n: usize) -> Ids {
    let width = n.to_string().len();
    let mut text = vec![0u8; n * (1 + width)];
    text.par_chunks_mut(BLOCK * (1 + width)).enumerate().for_each(|(b, out)| {
        for (slot, id) in out.chunks_exact_mut(1 + width).zip(b * BLOCK + 1..) {
            slot[0] = b'S';
            let mut rest = id;
            for digit in slot[1..].iter_mut().rev() {
                *digit = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
        }
    });
    Ids::equal_width(String::from_utf8(text).expect("ids are ASCII"), 1 + width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_are_distinct_others_with_equal_weight() {
        let w = build(50, 7, 3, 1.0, 3);
        assert_eq!(w.len(), 50);
        for i in 0..50 {
            let (t, wt) = w.ties.row(i);
            assert_eq!(t.len(), 7);
            assert!(t.windows(2).all(|p| p[0] < p[1]), "sorted and distinct");
            assert!(!t.contains(&(i as StateId)), "no self-tie");
            assert!(wt.iter().all(|&x| (x - 1.0 / 7.0).abs() < 1e-7));
        }
        assert!(w.groups.names.iter().all(|g| g.starts_with('G')));
        assert_eq!(w.groups.members.iter().map(Vec::len).sum::<usize>(), 50);
    }

    #[test]
    fn ids_are_zero_padded_to_the_width_of_n() {
        for n in [0, 1, 9, 10, 12, 99, 100, 1001, 2 * BLOCK + 7, 100_000] {
            let width = n.to_string().len();
            let got = ids(n);
            assert_eq!(got.len(), n);
            for i in 0..n {
                assert_eq!(&got[i], format!("S{:0width$}", i + 1), "id {i} of {n}");
            }
        }
    }

    #[test]
    fn complete_graph_and_same_seed_same_world() {
        let w = build(5, 4, 1, 0.0, 0);
        for i in 0..5 {
            assert_eq!(w.ties.row(i).0.len(), 4);
        }
        assert!(w.gdp.iter().all(|&g| g == 1000.0));
        assert_eq!(build(30, 4, 9, 0.5, 2), build(30, 4, 9, 0.5, 2));
        assert_ne!(build(30, 4, 9, 0.5, 2).ties, build(30, 4, 10, 0.5, 2).ties);
    }

    #[test]
    fn neighbour_choice_is_uniform_over_others() {
        // Each of the other N - 1 agents is picked with probability m / (N - 1); in-degrees over
        // N rows are Binomial(N, m / (N - 1)): check the mean in-degree of agent 0 over many worlds.
        let (n, m, worlds) = (20usize, 3usize, 400u64);
        let mut hits = 0usize;
        for seed in 0..worlds {
            let w = build(n, m, seed, 0.0, 0);
            hits += (0..n).filter(|&i| w.ties.row(i).0.contains(&0)).count();
        }
        let p = m as f64 / (n - 1) as f64;
        let trials = (n - 1) as f64 * worlds as f64;
        let se = (trials * p * (1.0 - p)).sqrt();
        assert!((hits as f64 - trials * p).abs() < 4.0 * se, "{hits} vs {}", trials * p);
    }
}
