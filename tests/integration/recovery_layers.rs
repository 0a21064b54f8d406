//! Parameter recovery with the revision rate's covariates and observation layers: the engine
//! simulates the 2017 fit scenario with `[rate]` coefficients set, each cell's acts are drawn at a
//! detection rate δ_d per domain while the cell is on the act's framework, and `calibrate`'s
//! likelihood (hidden previous frameworks, the forward filter with the layer) is fitted with the six
//! weights, both rate coefficients and the three detection rates free. Over R = 100 replications
//! the reported (state jackknife) 95% intervals must cover each truth a binomially consistent
//! number of times: 95 ± 3 sd (sd = √(100 · 0.95 · 0.05) = 2.18), so [89, 100].
//!
//! The design is the hidden-history one of `calibrate.rs` (every non-anchored cell of the panel's
//! three domains, an act history per framework, eight years), with the partners read at their true
//! alignments: it checks the new layer and rate terms, not the partner approximation.

use rand::RngExt;

use blocsim::calibrate::likelihood::Problem;
use blocsim::calibrate::observations::{CellModel, features_at};
use blocsim::calibrate::{estimate, params};
use blocsim::model::{Knobs, NO_ANCHOR};
use blocsim::rng::{Purpose, run_rng};
use blocsim::run::Simulation;

const FIT: &str = "scenarios/data/observed/fit-2017.toml";
/// The rate coefficients the engine runs with (logit scale, per SD).
const RATE: [(&str, f64); 2] = [("ln_gdp_per_capita", 0.5), ("ln_population", 0.4)];
/// δ of the acts of each observed domain.
const DETECTION: [(&str, f64); 3] = [("telecom", 0.3), ("cloud", 0.4), ("data", 0.5)];
const YEARS: usize = 8;
const R: u64 = 100;

#[test]
fn intervals_cover_rate_coefficients_detection_rates_and_weights() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sets: Vec<String> = RATE.iter().map(|(c, b)| format!("rate.{c}={b}")).collect();
    let scenario = blocsim::scenario::Scenario::load(&root.join(FIT).display().to_string(), &sets).unwrap();
    let model = blocsim::model::Model::from_scenario(scenario).unwrap();
    let s = &model.scenario;
    let (n, k) = (model.layout.states, model.layout.frameworks);
    let draws = params::centre_draws(s);
    let layers: Vec<(String, f64)> = DETECTION.iter().map(|(d, x)| (d.to_string(), *x)).collect();
    let mut keys: Vec<String> = params::DEFAULT_FREE.iter().map(|k| k.to_string()).collect();
    keys.extend(RATE.iter().map(|(c, _)| format!("rate.{c}")));
    keys.extend(DETECTION.iter().map(|(d, _)| format!("detect.{d}")));
    let free = params::parse_free_with(&keys, s, &Knobs::realize(s, &draws), &layers).unwrap();
    let truth: Vec<f64> = free.iter().map(|p| p.start).collect();
    assert_eq!(&truth[6..8], &[0.5, 0.4], "the scenario's coefficients are the truth");
    let domains: Vec<usize> = DETECTION
        .iter()
        .map(|(d, _)| s.domains.iter().position(|x| x == d).unwrap())
        .collect();
    let cells = CellModel::new(&model, &free).unwrap();
    let all = ((1u16 << k) - 1) as u8;
    let mut covered = vec![0u32; free.len()];
    let mut moments = vec![[0.0f64; 2]; free.len()];
    for rep in 0..R {
        let mut sim = Simulation::new(&model, &draws, &mut run_rng(17, rep, Purpose::Setup));
        let mut rng = run_rng(17, rep, Purpose::Dynamics);
        let mut acts = run_rng(17, rep, Purpose::Observed);
        // History (layer j, framework u, state i) is at risk until its first act.
        let id = |j: usize, u: usize, i: usize| (j * k + u) * n + i;
        let mut at_risk: Vec<bool> = (0..domains.len() * k * n)
            .map(|h| model.anchor[domains[h / (k * n)] * n + h % n] == NO_ANCHOR)
            .collect();
        let mut obs = Vec::new();
        for step in 1..=YEARS {
            let prev = sim.alignment().to_vec();
            sim.step(step, &mut rng);
            let next = sim.alignment().to_vec();
            let inputs = sim.term_inputs();
            for (j, &d) in domains.iter().enumerate() {
                let f = features_at(&inputs, &prev, d);
                for u in 0..k {
                    let union = 1u8 << u;
                    for i in 0..n {
                        if !at_risk[id(j, u, i)] {
                            continue;
                        }
                        let on = next[d * n + i] as usize == u;
                        let act = on && acts.random::<f64>() < DETECTION[j].1;
                        let outcome = if act { union } else { all & !union };
                        let detection = Some(cells.detection(j, DETECTION[j].1, act));
                        let (o, _) =
                            cells.adoption_observation(&f, sim.knobs(), d, i, union, outcome, None, id(j, u, i), step == 1, detection);
                        obs.push(o);
                        at_risk[id(j, u, i)] &= !act;
                    }
                }
            }
        }
        let problem = Problem {
            frameworks: k,
            params: free.len(),
            clusters: n,
            obs,
            frontier: None,
        };
        let fit = estimate(&problem, &free, false).unwrap();
        assert!(fit.converged, "replication {rep}");
        for (a, e) in fit.estimates.iter().enumerate() {
            covered[a] += u32::from(e.low <= truth[a] && truth[a] <= e.high);
            let err = e.value - truth[a];
            moments[a][0] += err;
            moments[a][1] += err * err;
        }
    }
    let r = R as f64;
    for (a, p) in free.iter().enumerate() {
        let (bias, sd) = (moments[a][0] / r, (moments[a][1] / r - (moments[a][0] / r).powi(2)).max(0.0).sqrt());
        eprintln!(
            "{}: truth {:.3}, bias {bias:+.4} (MC SE {:.4}), covered {} of {R}",
            p.key,
            truth[a],
            sd / r.sqrt(),
            covered[a]
        );
    }
    for (p, &c) in free.iter().zip(&covered) {
        assert!(
            (89..=100).contains(&c),
            "{}: the reported intervals covered the truth {c} times of {R}",
            p.key
        );
    }
}
