//! The mean-field solver against the analytic results, and against agent-based runs at large N
//! (validation case 5).

use crate::support::scenario::ScenarioText;
use crate::support::validation::*;

use blocsim::meanfield;
use blocsim::model::affinity::freedom_closeness;

fn stable(model: &blocsim::model::Model) -> Vec<Vec<f64>> {
    meanfield::solve(model).unwrap()[0]
        .iter()
        .filter(|p| p.stable)
        .map(|p| p.shares.clone())
        .collect()
}

/// Network-free: the single fixed point is the softmax of the static utilities averaged over states.
#[test]
#[allow(clippy::needless_range_loop, reason = "k indexes several per-framework arrays at once")]
fn network_free_fixed_point_is_the_average_softmax() {
    let text = include_str!("../fixtures/plain-logit.toml").replace("agents = 4000", "agents = 100000");
    let model = model(&text);
    let fps = meanfield::solve(&model).unwrap();
    assert_eq!(fps[0].len(), 1);
    let fp = &fps[0][0];
    assert!(fp.stable);
    let n = model.world.len();
    let (lambda, ideals) = (1.7, [2.0, 5.0, 9.0]);
    let (mut mean, mut var) = ([0.0f64; 3], [0.0f64; 3]);
    for &f in &model.world.freedom {
        let u: Vec<f64> = ideals.iter().map(|&id| 3.0 * freedom_closeness(f, id)).collect();
        let z: f64 = u.iter().map(|x| (lambda * x).exp()).sum();
        for k in 0..3 {
            let p = (lambda * u[k]).exp() / z;
            mean[k] += p / n as f64;
            var[k] += p * (1.0 - p) / (n * n) as f64;
        }
    }
    for k in 0..3 {
        assert!(
            (fp.shares[k] - mean[k]).abs() < 1e-12,
            "solver {} vs formula {}",
            fp.shares[k],
            mean[k]
        );
    }
    // Agent-based, N = 100,000, one synchronous step from all-A: shares are independent Bernoulli sums.
    let m = measure(&model, 8, 8, 1);
    for k in 0..3 {
        let se = (var[k] / 8.0).sqrt();
        check(
            "mean field, network-free",
            &format!("share of {}", ["A", "B", "C"][k]),
            fp.shares[k],
            m.mean(k),
            se,
            m.se_empirical(k),
            &m,
        );
    }
}

/// `k` options (A, B, C), `n` agents with `degree` out-neighbours each and field `h` on A; the
/// caller adds the interaction term (standards: the global share; network: the neighbours').
fn global(k: usize, n: usize, degree: usize, h: f64, init: &str, steps: usize) -> ScenarioText {
    ScenarioText::synthetic("global-interaction", n, degree)
        .frameworks(&["A", "B", "C"][..k])
        .years(0, steps)
        .world("seed", 1)
        .world("groups", 1)
        .utility("affinity", 1.0)
        .group_affinity("A", "G1", h)
        .initial(init)
}

/// Complete graph (network term, degree N − 1): the solver's fixed points are the tanh roots and
/// the three-option branches, with the predicted stability.
#[test]
fn complete_graph_fixed_points_match_the_analytic_roots() {
    let bd = |j: f64, h: f64| {
        let text = ScenarioText::synthetic("bd", 50, 49)
            .world("groups", 1)
            .utility("network", j)
            .utility("affinity", 1.0)
            .group_affinity("A", "G1", h);
        model(&text.to_string())
    };
    for (j, h, n_fixed, n_stable) in [
        (1.5, 0.0, 1, 1),
        (1.5, 0.1, 1, 1),
        (3.0, 0.0, 3, 2),
        (3.0, 0.3, 3, 2),
        (3.0, 0.5, 1, 1),
    ] {
        let fps = &meanfield::solve(&bd(j, h)).unwrap()[0];
        let stable = fps.iter().filter(|p| p.stable).count();
        println!(
            "VALIDATION | mean field K=2 | lambdaJ={j} h={h}: fixed points / stable (theory vs solver) | {n_fixed}/{n_stable} | {}/{stable} | | | | | |",
            fps.len()
        );
        assert_eq!((fps.len(), stable), (n_fixed, n_stable), "λJ = {j}, h = {h}");
        for p in fps {
            let m = 2.0 * p.shares[0] - 1.0;
            assert!(
                (m - (j * m / 2.0 + h / 2.0).tanh()).abs() < 1e-10,
                "m = {m} solves m = tanh((h + J m)/2)"
            );
            let slope = j / 2.0 * (1.0 - m * m);
            assert_eq!(p.stable, slope < 1.0);
        }
    }
    for (lj, n_fixed, n_stable) in [(2.6, 1, 1), (2.8, 7, 4), (3.3, 7, 3)] {
        let text = global(3, 30, 29, 0.0, "{ A = 1.0 }", 1).utility("network", lj).to_string();
        let fps = &meanfield::solve(&model(&text)).unwrap()[0];
        let stable = fps.iter().filter(|p| p.stable).count();
        println!(
            "VALIDATION | mean field K=3 | lambdaJ={lj}: fixed points / stable (theory vs solver) | {n_fixed}/{n_stable} | {}/{stable} | | | | | |",
            fps.len()
        );
        assert_eq!((fps.len(), stable), (n_fixed, n_stable), "λJ = {lj}");
        for p in fps {
            let f = logit_map(1.0, lj, &[0.0; 3])(&p.shares);
            assert!(f.iter().zip(&p.shares).all(|(a, b)| (a - b).abs() < 1e-10));
        }
    }
}

/// Large N: the global share enters through the standards pull (equal GDPs, so the GDP share is the
/// count share, own choice included), which costs O(N) a step; N = 100,000 agents.
#[test]
fn agent_based_runs_at_large_n_sit_on_the_stable_fixed_points() {
    let n = 100_000;
    let cases: [(&str, usize, f64, f64, &str); 4] = [
        ("K=2 lambdaJ=3 h=0.3 from B", 2, 3.0, 0.3, "{ B = 1.0 }"),
        ("K=2 lambdaJ=3 h=0.3 from A", 2, 3.0, 0.3, "{ A = 1.0 }"),
        ("K=3 lambdaJ=2.8 from all-A", 3, 2.8, 0.0, "{ A = 1.0 }"),
        (
            "K=3 lambdaJ=2.8 from uniform",
            3,
            2.8,
            0.0,
            "{ A = 0.3333333333333333, B = 0.3333333333333333, C = 0.3333333333333334 }",
        ),
    ];
    for (label, k, lj, h, init) in cases {
        let model = model(&global(k, n, 0, h, init, 150).utility("standards", lj).to_string());
        let fps = stable(&model);
        let m = measure(&model, 5, 4, 50);
        // The stable fixed point this run sits on: the nearest one.
        let sim: Vec<f64> = (0..k).map(|fw| m.mean(fw)).collect();
        let x = fps
            .iter()
            .min_by(|a, b| dist(a, &sim).partial_cmp(&dist(b, &sim)).unwrap())
            .unwrap()
            .clone();
        let mut hv = vec![0.0; k];
        hv[0] = h;
        let t = theory(&logit_map(1.0, lj, &hv), &x, n);
        check(
            &format!("mean field vs ABM N=1e5, {label}"),
            "share of A",
            t.mean[0],
            m.mean(0),
            se_theory(&t, &m, 0),
            m.se_empirical(0),
            &m,
        );
        println!(
            "VALIDATION | mean field vs ABM N=1e5, {label} | solver fixed point, share of A | {:.5} | | | | | | |",
            x[0]
        );
    }
}

fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum()
}
