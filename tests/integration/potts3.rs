//! Three options with global interactions on the complete graph (validation case 3).
//!
//! h = 0, logit intensity λ, network weight J: the mean-field map is x ↦ softmax(λJ x). The
//! symmetric point x = (1/3, 1/3, 1/3) has Jacobian λJ/3 on the simplex, so it loses stability at
//! λJ = K = 3; asymmetric equilibria (one option dominant, a = e^{λJa}/(e^{λJa} + 2e^{λJ(1−a)/2}))
//! appear earlier, at a saddle-node λJ_s < 3: a first-order transition with hysteresis. Between λJ_s
//! and 3 both are stable and the initial condition decides which one a population keeps.

use crate::support::scenario::ScenarioText;
use crate::support::validation::*;

/// Complete graph (network term, O(N²) a year).
const N: usize = 1000;
/// Global share through the standards pull (equal GDPs, own choice included, O(N) a year): large N
/// keeps the metastable symmetric state from escaping over the nearby saddle within the horizon.
const N_GLOBAL: usize = 50_000;
const STEPS: usize = 250;
const BURN: usize = 50;
/// Longer burn-in where the deterministic transient is slow (about 35 steps to leave the symmetric
/// point at λJ = 3.3, about 55 steps to return to it from all-A at λJ = 2.6).
const SLOW_BURN: usize = 100;
const RUNS: u64 = 6;
const SEED: u64 = 33;

/// `global = false`: network term on the complete graph of N agents; `true`: standards pull of the
/// global GDP share (= count share) with N_GLOBAL agents and no ties.
fn scenario(lj: f64, init: &str, global: bool) -> String {
    let (n, deg, term) = if global {
        (N_GLOBAL, 0, "standards")
    } else {
        (N, N - 1, "network")
    };
    ScenarioText::synthetic("potts-3", n, deg)
        .frameworks(&["A", "B", "C"])
        .years(0, STEPS)
        .world("seed", 1)
        .utility(term, lj)
        .initial(init)
        .to_string()
}

const ALL_A: &str = "{ A = 1.0 }";
const UNIFORM: &str = "{ A = 0.3333333333333333, B = 0.3333333333333333, C = 0.3333333333333334 }";
const H0: [f64; 3] = [0.0; 3];

fn asymmetric(lj: f64) -> Vec<f64> {
    iterate(&logit_map(1.0, lj, &H0), &[1.0, 0.0, 0.0])
}

/// λJ at which asymmetric equilibria appear: bisection on whether iteration from all-A stays asymmetric.
fn spinodal() -> f64 {
    let (mut lo, mut hi) = (2.0, 3.0);
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if asymmetric(mid)[0] > 0.34 { hi = mid } else { lo = mid }
    }
    0.5 * (lo + hi)
}

fn symmetric_eigenvalue(lj: f64) -> f64 {
    theory(&logit_map(1.0, lj, &H0), &[1.0 / 3.0; 3], N).radius
}

#[test]
fn symmetric_point_loses_stability_at_lambda_j_equal_k() {
    for lj in [2.8, 3.0, 3.3] {
        println!(
            "VALIDATION | K=3 symmetric point | Jacobian eigenvalue at lambdaJ={lj} (theory lambdaJ/3) | {:.5} | {:.5} | | | | | |",
            lj / 3.0,
            symmetric_eigenvalue(lj)
        );
        assert!((symmetric_eigenvalue(lj) - lj / 3.0).abs() < 1e-6);
    }
    // Above K: from a uniform start the population leaves the symmetric point for an asymmetric
    // equilibrium (which option wins is random, so compare the largest share).
    let lj = 3.3;
    let x = asymmetric(lj);
    let t = theory(&logit_map(1.0, lj, &H0), &x, N);
    let m = measure(&model(&scenario(lj, UNIFORM, false)), SEED, RUNS, SLOW_BURN);
    let se = se_theory(&t, &m, 0);
    println!(
        "VALIDATION | K=3 lambdaJ=3.3 from uniform | root a (no O(1/N) term) | {:.5} | | | | | | |",
        x[0]
    );
    check(
        "K=3 lambdaJ=3.3 from uniform",
        "largest share",
        t.mean[0],
        m.mean_of_max(),
        se,
        f64::NAN,
        &m,
    );
}

#[test]
fn asymmetric_equilibria_appear_before_k_with_hysteresis() {
    let s = spinodal();
    println!("VALIDATION | K=3 | lambdaJ where asymmetric equilibria appear (saddle-node) | {s:.5} | | | | | | |");
    assert!(s > 2.6 && s < 2.8 && s < 3.0);

    // Coexistence, λJ = 2.8 in (λJ_s, 3): the symmetric start stays symmetric ...
    let lj = 2.8;
    let t_sym = theory(&logit_map(1.0, lj, &H0), &[1.0 / 3.0; 3], N_GLOBAL);
    let m = measure(&model(&scenario(lj, UNIFORM, true)), SEED, RUNS, BURN);
    check(
        "K=3 global N=5e4 lambdaJ=2.8 from uniform",
        "share of A",
        t_sym.mean[0],
        m.mean(0),
        se_theory(&t_sym, &m, 0),
        m.se_empirical(0),
        &m,
    );
    assert!(m.mean_of_max() < 0.45, "no run left the symmetric equilibrium");
    // ... and the all-A start keeps an asymmetric equilibrium.
    let x = asymmetric(lj);
    println!(
        "VALIDATION | K=3 lambdaJ=2.8 from all-A | root a (no O(1/N) term) | {:.5} | | | | | | |",
        x[0]
    );
    for (label, global, n) in [
        ("K=3 complete graph lambdaJ=2.8 from all-A", false, N),
        ("K=3 global N=5e4 lambdaJ=2.8 from all-A", true, N_GLOBAL),
    ] {
        let t = theory(&logit_map(1.0, lj, &H0), &x, n);
        let m = measure(&model(&scenario(lj, ALL_A, global)), SEED, RUNS, BURN);
        check(
            label,
            "share of A",
            t.mean[0],
            m.mean(0),
            se_theory(&t, &m, 0),
            m.se_empirical(0),
            &m,
        );
    }

    // Below λJ_s the asymmetric state is not sustained: from all-A the population returns to 1/3.
    let lj = 2.6;
    let t = theory(&logit_map(1.0, lj, &H0), &[1.0 / 3.0; 3], N_GLOBAL);
    let m = measure(&model(&scenario(lj, ALL_A, true)), SEED, RUNS, SLOW_BURN);
    check(
        "K=3 global N=5e4 lambdaJ=2.6 from all-A",
        "share of A",
        t.mean[0],
        m.mean(0),
        se_theory(&t, &m, 0),
        m.se_empirical(0),
        &m,
    );
}
