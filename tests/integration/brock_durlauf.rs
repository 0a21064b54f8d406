//! Brock–Durlauf binary choice with global interactions on the complete graph (validation case 2).
//!
//! Share form: U_A = h + J·x_A, U_B = J·x_B with logit intensity λ; in ±1 form (m = x_A − x_B) the
//! mean field is m = tanh(a·m + b) with a = λJ/2 and b = λh/2 (docs/validation.md). Critical
//! coupling a = 1 (λJ = 2); for a > 1 two stable equilibria coexist while |b| < b*(a) = a·m_s −
//! atanh(m_s), m_s = sqrt(1 − 1/a). The simulated stationary mean (time average after a burn-in,
//! over independent runs) must match the root plus its O(1/N) small-noise correction within 4
//! theory standard errors.

use crate::support::scenario::ScenarioText;
use crate::support::validation::*;

const N: usize = 1000;
const STEPS: usize = 200;
const BURN: usize = 50;
const RUNS: u64 = 6;
const SEED: u64 = 2024;

fn scenario(lambda: f64, j: f64, h: f64, init_a: f64) -> String {
    ScenarioText::synthetic("brock-durlauf", N, N - 1)
        .years(0, STEPS)
        .world("seed", 1)
        .world("groups", 1)
        .lambda(lambda)
        .utility("network", j)
        .utility("affinity", 1.0)
        .group_affinity("A", "G1", h)
        .initial(format!("{{ A = {init_a}, B = {init_b} }}", init_b = 1.0 - init_a))
        .to_string()
}

/// Outermost root of m = tanh(a m + b) reached from m0 = ±1.
fn root(a: f64, b: f64, m0: f64) -> f64 {
    let mut m = m0;
    for _ in 0..1_000_000 {
        let next = (a * m + b).tanh();
        if (next - m).abs() < 1e-15 {
            break;
        }
        m = next;
    }
    m
}

/// Simulate from `init_a` and compare the share of A with the root reached from the same side.
fn case(label: &str, lambda: f64, j: f64, h: f64, init_a: f64) -> (f64, f64) {
    let m0 = if init_a > 0.5 { 1.0 } else { -1.0 };
    let m_star = root(lambda * j / 2.0, lambda * h / 2.0, m0);
    let x_star = (1.0 + m_star) / 2.0;
    let hv = [h, 0.0];
    let f = logit_map(lambda, j, &hv);
    let t = theory(&f, &[x_star, 1.0 - x_star], N);
    assert!(t.radius < 1.0, "{label}: the root must be stable");
    let measured = measure(&model(&scenario(lambda, j, h, init_a)), SEED, RUNS, BURN);
    let sim = measured.mean(0);
    let se = se_theory(&t, &measured, 0);
    println!("VALIDATION | {label} | root x* (no O(1/N) term) | {x_star:.5} | | | | | | |");
    check(
        label,
        "stationary share of A",
        t.mean[0],
        sim,
        se,
        measured.se_empirical(0),
        &measured,
    );
    println!(
        "VALIDATION | {label} | stationary variance of the share | {:.3e} | {:.3e} | | | {N} | {RUNS} | {} | {SEED}",
        t.var[0], measured.within_var[0], measured.samples
    );
    (x_star, sim)
}

#[test]
fn subcritical_coupling_has_one_equilibrium_reached_from_both_sides() {
    // λJ = 1.5 < 2, field h = 0.1: a unique root; runs from all-A and all-B end at the same share.
    let (xa, sa) = case("BD lambdaJ=1.5 h=0.1 from A", 1.0, 1.5, 0.1, 1.0);
    let (xb, sb) = case("BD lambdaJ=1.5 h=0.1 from B", 1.0, 1.5, 0.1, 0.0);
    assert!((xa - xb).abs() < 1e-12);
    assert!((sa - sb).abs() < 0.01);
}

#[test]
fn supercritical_coupling_has_two_stable_equilibria() {
    // λJ = 3 > 2, h = 0: m = ±0.858..., the initial condition selects the equilibrium.
    let (xa, sa) = case("BD lambdaJ=3 h=0 from A", 1.0, 3.0, 0.0, 1.0);
    let (xb, sb) = case("BD lambdaJ=3 h=0 from B", 1.0, 3.0, 0.0, 0.0);
    assert!((xa + xb - 1.0).abs() < 1e-12 && xa > 0.9);
    assert!(sa > 0.9 && sb < 0.1);
}

#[test]
fn field_beyond_the_threshold_leaves_one_equilibrium() {
    // λJ = 3 (a = 1.5): b* = a m_s − atanh(m_s), i.e. h* = 2 b* / λ. Starting from all-B, against
    // the field: below h* the population stays on the B-leaning branch; above it, only the
    // A-leaning equilibrium remains and the population tips.
    let (lambda, j) = (1.0, 3.0);
    let a: f64 = lambda * j / 2.0;
    let ms = (1.0 - 1.0 / a).sqrt();
    let h_star = 2.0 * (a * ms - ms.atanh()) / lambda;
    println!("VALIDATION | BD field threshold | h* for lambda=1, J=3 | {h_star:.5} | | | | | | |");
    let (x_low, s_low) = case("BD lambdaJ=3 h=0.8h* from B", lambda, j, 0.8 * h_star, 0.0);
    let (x_high, s_high) = case("BD lambdaJ=3 h=1.2h* from B", lambda, j, 1.2 * h_star, 0.0);
    assert!(x_low < 0.5 && s_low < 0.5, "below h* the B-leaning equilibrium persists");
    assert!(x_high > 0.5 && s_high > 0.5, "above h* only the A-leaning equilibrium remains");
}
