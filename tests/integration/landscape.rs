//! Axelrod–Bennett landscape theory (validation case 4).
//!
//! K = 2 coalitions, sizes s_i, symmetric signed propensities p_ij. The engine expresses it as a
//! custom world with raw tie weights w_ij = p_ij·s_j (`raw_weights = true`), network weight 1 and
//! every other term off, best response (λ = ∞), one state at a time (sequential), revision rate 1.
//! The utility of coalition k to state i is U_i(k) = Σ_j p_ij s_j [a_j = k] = C_i − φ_i(k) with the
//! frustration φ_i(k) = Σ_j p_ij s_j [a_j ≠ k], so best response minimises own frustration; the
//! energy E = Σ_{i<j} s_i s_j p_ij [a_i ≠ a_j] = ½ Σ_i s_i φ_i(a_i) changes by
//! s_i (φ_i(new) − φ_i(old)) < 0 at each strict improvement (docs/validation.md).

use std::collections::BTreeSet;
use std::fmt::Write;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use blocsim::Scenario;
use blocsim::model::Model;
use blocsim::rng::{Purpose, run_rng};
use blocsim::run::{Simulation, run_one};

use crate::support::scenario::ScenarioText;

struct Instance {
    s: Vec<f64>,
    /// Symmetric, zero diagonal; 0 means no tie.
    p: Vec<Vec<f64>>,
}

impl Instance {
    /// Sizes in {2, ..., 8}/4 and propensities in {±1, ..., ±16}/16 (a tie with probability 0.8):
    /// dyadic values, so that the engine's f32 weights p_ij·s_j and every sum below are exact.
    #[allow(clippy::needless_range_loop, reason = "i and j index both halves of the symmetric matrix")]
    fn random(n: usize, rng: &mut ChaCha8Rng) -> Instance {
        let s: Vec<f64> = (0..n).map(|_| rng.random_range(2..=8) as f64 / 4.0).collect();
        let mut p = vec![vec![0.0; n]; n];
        for i in 0..n {
            for j in i + 1..n {
                if rng.random::<f64>() < 0.8 {
                    let m = rng.random_range(1..=16) as f64 * if rng.random::<bool>() { 1.0 } else { -1.0 };
                    let v = m / 16.0;
                    p[i][j] = v;
                    p[j][i] = v;
                }
            }
        }
        Instance { s, p }
    }

    fn n(&self) -> usize {
        self.s.len()
    }

    fn energy(&self, a: &[u8]) -> f64 {
        let mut e = 0.0;
        for i in 0..self.n() {
            for j in i + 1..self.n() {
                if a[i] != a[j] {
                    e += self.s[i] * self.s[j] * self.p[i][j];
                }
            }
        }
        e
    }

    /// No single flip lowers the energy (a state indifferent between coalitions stays, as the engine does).
    fn is_local_min(&self, a: &[u8]) -> bool {
        let e = self.energy(a);
        (0..self.n()).all(|i| {
            let mut b = a.to_vec();
            b[i] ^= 1;
            self.energy(&b) >= e
        })
    }

    fn local_minima(&self) -> BTreeSet<Vec<u8>> {
        let n = self.n();
        (0..1u32 << n)
            .map(|bits| (0..n).map(|i| ((bits >> i) & 1) as u8).collect::<Vec<u8>>())
            .filter(|a| self.is_local_min(a))
            .collect()
    }

    /// Write agents.csv, ties.csv and the scenario into `dir`; return the model.
    fn model(&self, dir: &std::path::Path, rate: f64, steps: usize) -> Model {
        let mut agents = String::from("id,gdp\n");
        let mut ties = String::from("source,target,weight\n");
        for i in 0..self.n() {
            writeln!(agents, "S{i},{}", self.s[i]).unwrap();
            for j in 0..self.n() {
                if self.p[i][j] != 0.0 {
                    // Propensity times the partner's size, as written (raw weights).
                    writeln!(ties, "S{i},S{j},{:e}", self.p[i][j] * self.s[j]).unwrap();
                }
            }
        }
        std::fs::write(dir.join("agents.csv"), agents).unwrap();
        std::fs::write(dir.join("ties.csv"), ties).unwrap();
        let path = ScenarioText::custom("landscape", "agents.csv", "ties.csv")
            .world("raw_weights", true)
            .years(0, steps)
            .best_response()
            .revision("sequential")
            .utility("network", 1.0)
            .revision_rate(rate)
            .initial("{ A = 0.5, B = 0.5 }")
            .write(dir, "landscape.toml");
        Model::from_scenario(Scenario::load(path.to_str().unwrap(), &[]).unwrap()).unwrap()
    }
}

/// The instance as the engine holds it (f32 weights divided by the partner's size); with the
/// dyadic values of [`Instance::random`] this equals the instance exactly, and the test checks so.
fn engine_instance(model: &Model, sizes: &[f64]) -> Instance {
    let n = model.world.len();
    let mut p = vec![vec![0.0; n]; n];
    for (i, row) in p.iter_mut().enumerate() {
        let (targets, weights) = model.world.ties.row(i);
        for (&j, &w) in targets.iter().zip(weights) {
            row[j as usize] = f64::from(w) / sizes[j as usize];
        }
    }
    Instance { s: sizes.to_vec(), p }
}

#[test]
fn energy_falls_at_every_switch_on_random_instances() {
    let mut instances = ChaCha8Rng::seed_from_u64(1993);
    let (mut years_checked, mut single_switch_years, mut switches) = (0u64, 0u64, 0u64);
    for case in 0..200 {
        let n = 3 + case % 10;
        let inst = Instance::random(n, &mut instances);
        let dir = tempfile::tempdir().unwrap();
        // Rate 1: every state revises every year. Rate 1/(2n): most years see at most one switch,
        // so those switches are observed one by one.
        for rate in [1.0, 0.5 / n as f64] {
            let model = inst.model(dir.path(), rate, 400);
            let held = engine_instance(&model, &inst.s);
            assert_eq!(held.p, inst.p, "weights are exact");
            let run = case as u64;
            let mut sim = Simulation::new(&model, &[], &mut run_rng(7, run, Purpose::Setup));
            let mut rng = run_rng(7, run, Purpose::Dynamics);
            let mut before = sim.alignment().to_vec();
            for step in 1..model.layout.years {
                sim.step(step, &mut rng);
                let after = sim.alignment().to_vec();
                let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count() as u64;
                let (e0, e1) = (inst.energy(&before), inst.energy(&after));
                if changed > 0 {
                    assert!(
                        e1 < e0,
                        "case {case}, rate {rate}, year {step}: {changed} switches, energy {e0} -> {e1}"
                    );
                    switches += changed;
                    single_switch_years += (changed == 1) as u64;
                } else {
                    assert_eq!(e0, e1);
                }
                years_checked += 1;
                before = after;
            }
            if rate == 1.0 {
                assert!(inst.is_local_min(&before), "case {case}: end state is not a local minimum");
            }
        }
    }
    println!(
        "VALIDATION | landscape Lyapunov | 200 random instances (n = 3..12), years with a switch where energy did not fall | 0 | 0 | | | {years_checked} years | {switches} switches, {single_switch_years} years with exactly one | seed 1993 |"
    );
}

#[test]
fn end_states_are_exactly_the_local_minima() {
    let mut instances = ChaCha8Rng::seed_from_u64(23);
    let runs = 2000u64;
    for case in 0..12 {
        let n = 5 + case % 3;
        let inst = Instance::random(n, &mut instances);
        let dir = tempfile::tempdir().unwrap();
        let model = inst.model(dir.path(), 1.0, 200);
        assert_eq!(engine_instance(&model, &inst.s).p, inst.p, "weights are exact");
        let minima = inst.local_minima();
        let mut ends = BTreeSet::new();
        for r in 0..runs {
            let o = run_one(&model, 11, r);
            assert!(
                inst.is_local_min(&o.final_alignment),
                "case {case} run {r}: end state is not a local minimum"
            );
            ends.insert(o.final_alignment);
        }
        println!(
            "VALIDATION | landscape end states | instance {case}, n = {n}: local minima by enumeration of 2^{n} | {} | {} | | | {n} | {runs} | | 11 |",
            minima.len(),
            ends.len()
        );
        assert_eq!(ends, minima, "case {case}");
    }
}
