//! Without interactions, each revising state picks framework k with the softmax probability of its
//! own utilities, independently of the others; the count share is then a sum of independent
//! Bernoulli draws whose mean and standard error follow from the per-state probabilities.

use blocsim::Scenario;
use blocsim::model::Model;
use blocsim::model::affinity::freedom_closeness;
use blocsim::run::run_one;

/// 4,000 synthetic states without ties, three frameworks at freedom ideals 2, 5 and 9, λ = 1.7.
const SCENARIO: &str = include_str!("../fixtures/plain-logit.toml");

#[test]
#[allow(clippy::needless_range_loop, reason = "k indexes several per-framework arrays at once")]
fn shares_match_softmax_within_four_standard_errors() {
    let model = Model::from_scenario(Scenario::from_str("plain-logit.toml", SCENARIO).unwrap()).unwrap();
    let n = model.world.len();
    let ideals = [2.0, 5.0, 9.0];
    let lambda = 1.7;
    // Per-state probabilities from the formula, independently of the engine.
    let mut mean = [0.0f64; 3];
    let mut var = [0.0f64; 3];
    for &f in &model.world.freedom {
        let u: Vec<f64> = ideals.iter().map(|&id| 3.0 * freedom_closeness(f, id)).collect();
        let z: f64 = u.iter().map(|x| (lambda * x).exp()).sum();
        for k in 0..3 {
            let p = (lambda * u[k]).exp() / z;
            mean[k] += p / n as f64;
            var[k] += p * (1.0 - p) / (n * n) as f64;
        }
    }
    let runs = 20u64;
    let mut sim = [0.0f64; 3];
    for r in 0..runs {
        let o = run_one(&model, 99, r);
        for k in 0..3 {
            sim[k] += f64::from(o.counts[model.layout.share_index(1, 0, k)]) / n as f64 / runs as f64;
        }
    }
    for k in 0..3 {
        let se = (var[k] / runs as f64).sqrt();
        println!(
            "VALIDATION | plain logit | share of {} | {:.5} | {:.5} | {:.5} | | {n} | {runs} | 1 | 99",
            ["A", "B", "C"][k],
            mean[k],
            sim[k],
            se
        );
        assert!(
            (sim[k] - mean[k]).abs() < 4.0 * se,
            "framework {k}: simulated {:.5}, softmax {:.5}, 4 SE = {:.5}",
            sim[k],
            mean[k],
            4.0 * se
        );
    }
    // The test has power: the three shares differ by far more than their standard errors.
    assert!((mean[0] - mean[2]).abs() > 20.0 * (var[0] / runs as f64).sqrt());
}

#[test]
fn spread_across_runs_matches_the_binomial_standard_error() {
    let model = Model::from_scenario(Scenario::from_str("plain-logit.toml", SCENARIO).unwrap()).unwrap();
    let n = model.world.len() as f64;
    let lambda = 1.7;
    let mut var_theory = 0.0;
    for &f in &model.world.freedom {
        let u: Vec<f64> = [2.0, 5.0, 9.0].iter().map(|&id| 3.0 * freedom_closeness(f, id)).collect();
        let z: f64 = u.iter().map(|x| (lambda * x).exp()).sum();
        let p = (lambda * u[1]).exp() / z;
        var_theory += p * (1.0 - p) / (n * n);
    }
    let runs = 400u64;
    let shares: Vec<f64> = (0..runs)
        .map(|r| f64::from(run_one(&model, 5, r).counts[model.layout.share_index(1, 0, 1)]) / n)
        .collect();
    let m = shares.iter().sum::<f64>() / runs as f64;
    let var_sim = shares.iter().map(|s| (s - m).powi(2)).sum::<f64>() / (runs - 1) as f64;
    // The sample variance of R normal draws has relative standard error sqrt(2/(R-1)).
    let rel_se = (2.0 / (runs - 1) as f64).sqrt();
    let ratio = var_sim / var_theory;
    println!(
        "VALIDATION | plain logit | run-to-run variance of the share of B | {var_theory:.4e} | {var_sim:.4e} | {:.4e} | | {} | {runs} | 1 | 5",
        rel_se * var_theory,
        n as u64
    );
    assert!(
        (ratio - 1.0).abs() < 4.0 * rel_se,
        "variance ratio {ratio:.3}, 4 SE = {:.3}",
        4.0 * rel_se
    );
}
