//! `blocsim calibrate`: a known-answer conditional logit, parameter recovery on histories the
//! engine itself simulates (interval coverage over 200 replications against a binomial bound),
//! the command on the bundled panel, and bad observed files refused with file:line and the reason.

use std::path::{Path, PathBuf};

use blocsim::calibrate::likelihood::Problem;
use blocsim::calibrate::observations::{CellModel, exact_transitions, features_at};
use blocsim::calibrate::{estimate, params};
use blocsim::model::Knobs;
use blocsim::rng::{Purpose, run_rng};
use blocsim::run::Simulation;

use crate::support::Test;

const FIT: &str = "scenarios/data/observed/fit-2017.toml";
const OBSERVED: &str = "scenarios/data/observed";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the bundled observed directory with `events.csv` replaced by `events`.
fn observed_with(events: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(OBSERVED).join("codebook.toml"), dir.path().join("codebook.toml")).unwrap();
    std::fs::write(dir.path().join("events.csv"), events).unwrap();
    dir
}

fn calibrate(observed: &Path) -> Test {
    Test::with(["calibrate", FIT, "--observed"])
        .arg(observed)
        .arg("--no-profiles")
        .temp_out("cal")
}

/// Three alternatives with framework constants only (`--free domain.x.constants.B` and `.C`, A
/// the reference), no other term, no switching cost and certain revision: the maximum is
/// α̂_k = ln(n_k / n_A), the closed form of the multinomial logit with constants, and the
/// information is n (diag p − p pᵀ). The observations come from a scenario through the key, as
/// `calibrate` builds them.
#[test]
fn constants_of_a_multinomial_logit_are_log_share_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("constants.toml");
    std::fs::write(
        &path,
        r#"name = "constants"
frameworks = ["A", "B", "C"]
domains = ["x"]
[time]
start = 0
end = 1
[world]
source = "synthetic"
[world.synthetic]
agents = 100
degree = 0
seed = 1
[choice]
lambda = 1.0
revision = "synchronous"
[domain.x]
revision_rate = 1.0
switching_cost = 0.0
constants = { B = 0.25, C = -0.5 }
initial = [{ states = ["all"], shares = { A = 1.0 } }]
"#,
    )
    .unwrap();
    let scenario = blocsim::scenario::Scenario::load(&path.display().to_string(), &[]).unwrap();
    let model = blocsim::model::Model::from_scenario(scenario).unwrap();
    let draws = params::centre_draws(&model.scenario);
    let knobs = Knobs::realize(&model.scenario, &draws);
    let keys = ["domain.x.constants.B".to_string(), "domain.x.constants.C".to_string()];
    let free = params::parse_free(&keys, &model.scenario, &knobs).unwrap();
    assert_eq!(free.iter().map(|p| p.start).collect::<Vec<_>>(), [0.25, -0.5]);
    let sim = Simulation::new(&model, &draws, &mut run_rng(1, 0, Purpose::Setup));
    let cells = CellModel::new(&model, &free).unwrap();
    // 50 states stay on A, 30 move to B and 20 to C.
    let counts = [50usize, 30, 20];
    let prev = vec![0u8; 100];
    let next: Vec<u8> = (0..100u8).map(|i| u8::from(i >= 50) + u8::from(i >= 80)).collect();
    let obs = exact_transitions(&cells, &sim.term_inputs(), &knobs, &prev, &next, &[0]);
    assert_eq!(obs.len(), 100);
    let problem = Problem {
        frameworks: 3,
        params: 2,
        clusters: 100,
        obs,
        frontier: None,
    };
    let fit = estimate(&problem, &free, true).unwrap();
    for (e, n) in fit.estimates.iter().zip([counts[1] as f64, counts[2] as f64]) {
        assert!((e.value - (n / 50.0).ln()).abs() < 1e-8, "{}: {}", e.key, e.value);
        // The profile of a logit is close to quadratic at n = 100: it must close on both sides.
        assert!(e.profile_low.is_some() && e.profile_high.is_some() && !e.weak, "{e:?}");
    }
    // Information of the constants: n (diag(p) − p pᵀ) over frameworks B and C.
    let p = [0.3, 0.2];
    let info = nalgebra::Matrix2::new(
        100.0 * p[0] * (1.0 - p[0]),
        -100.0 * p[0] * p[1],
        -100.0 * p[0] * p[1],
        100.0 * p[1] * (1.0 - p[1]),
    );
    let v = info.try_inverse().unwrap();
    assert!((fit.vcov_information[(0, 0)] - v[(0, 0)]).abs() < 1e-8);
    assert!((fit.vcov_information[(0, 1)] - v[(0, 1)]).abs() < 1e-8);
    // The reference framework's constant is not a free key.
    let err = params::parse_free(&["domain.x.constants.A".to_string()], &model.scenario, &knobs).unwrap_err();
    assert!(err.to_string().contains("reference framework"), "{err}");
}

/// Histories simulated by the engine (the 2017 fit scenario: 183 states; the three domains the
/// panel observes; four years, as the real fit), fitted by exact transitions. Over R = 200
/// replications the number of 95% intervals that cover the true value is Binomial(R, 0.95) when
/// the SEs are right: mean 190, sd √(200·0.95·0.05) = 3.08; the test accepts 190 ± 3 sd, [181, 199].
/// Exact transitions make ℓ a true likelihood, whose covariance is the inverse information: the
/// test holds the information intervals to the binomial bound, and the interval `calibrate`
/// reports (the state jackknife, CR3, because the real panel's likelihood is composite) as well.
/// The state-clustered sandwich (CR1) is printed, not asserted: it is biased downwards with few
/// events per state (measured with the 2017 world: 180–192 of 200; docs/calibration.md).
#[test]
fn intervals_cover_the_true_weights_of_engine_simulated_histories_at_95_percent() {
    let Recovery {
        model,
        draws,
        free,
        truth,
        domains,
    } = Recovery::new();
    let cells = CellModel::new(&model, &free).unwrap();
    const R: u64 = 200;
    let mut cover = Coverage::new(free.len());
    for rep in 0..R {
        let mut sim = Simulation::new(&model, &draws, &mut run_rng(7, rep, Purpose::Setup));
        let mut rng = run_rng(7, rep, Purpose::Dynamics);
        let mut obs = Vec::new();
        for step in 1..=4 {
            let prev = sim.alignment().to_vec();
            sim.step(step, &mut rng);
            let next = sim.alignment().to_vec();
            obs.extend(exact_transitions(&cells, &sim.term_inputs(), sim.knobs(), &prev, &next, &domains));
        }
        let problem = Problem {
            frameworks: model.layout.frameworks,
            params: free.len(),
            clusters: model.layout.states,
            obs,
            frontier: None,
        };
        let fit = estimate(&problem, &free, false).unwrap();
        assert!(fit.converged, "replication {rep}");
        cover.add(&fit, &truth);
    }
    let Coverage {
        jackknife: covered_jackknife,
        sandwich: covered_sandwich,
        information: covered_information,
    } = cover;
    eprintln!(
        "exact transitions, coverage of {R}: jackknife (CR3, reported) {covered_jackknife:?}, sandwich (CR1) \
         {covered_sandwich:?}, information {covered_information:?}"
    );
    for (a, p) in free.iter().enumerate() {
        for (what, c) in [
            ("information", covered_information[a]),
            ("reported (jackknife)", covered_jackknife[a]),
        ] {
            assert!(
                (181..=199).contains(&c),
                "{}: {what} intervals covered the truth {c} times of {R}",
                p.key
            );
        }
    }
}

/// Whether θ̂ ± 1.96 SE covers the truth (the parameters of these tests are weights: their internal
/// scale is their own).
fn wald_covers(value: f64, se: f64, truth: f64) -> bool {
    (value - truth).abs() <= 1.959_963_984_540_054 * se
}

/// Where the terms of a hidden-history fit read the partners' alignments.
#[derive(Clone, Copy, PartialEq)]
enum Partners {
    /// The engine's alignments at t − 1: the filter is then exact for each cell's own chain.
    True,
    /// The observed state as `calibrate` builds it from a panel: anchors, the framework a cell
    /// was last seen entering, else its most probable initial framework.
    Observed,
}

/// Coverage of the 95% intervals over R replications of histories whose previous framework is
/// hidden, as in the real panel. The engine simulates four years of the 2017 fit scenario; each
/// non-anchored cell of the three observed domains gives one adoption history per framework u it
/// is not on at the start (indicator "enters u", U = {u}): each year until it enters u, the cell
/// is seen outside U, and in the year it enters, in {u}. Nothing else about the cell is observed,
/// so every year is a filtered observation. The three histories of a cell share its latent chain:
/// the likelihood is a composite one, for which the sandwich (clustered by state) is the
/// covariance and the information is not. Returns the keys and, per key, the cover counts of the
/// reported interval (the state jackknife, CR3), the sandwich (CR1) and the information.
fn hidden_history_coverage(partners: Partners, years: usize, replications: u64) -> (Vec<String>, Coverage) {
    let Recovery {
        model,
        draws,
        free,
        truth,
        domains,
    } = Recovery::new();
    let s = &model.scenario;
    let (n, k) = (model.layout.states, model.layout.frameworks);
    let all = ((1u16 << k) - 1) as u8;
    let cells = CellModel::new(&model, &free).unwrap();
    // The most probable initial framework of each cell (the lowest on ties), as the observed state.
    let likeliest: Vec<u8> = (0..model.layout.domains * n)
        .map(|cell| {
            let shares = &s.domain_specs[cell / n].initial[model.initial_rule[cell] as usize].shares;
            (0..k).fold(0, |b, j| if shares[j] > shares[b] { j } else { b }) as u8
        })
        .collect();
    let mut cover = Coverage::new(free.len());
    // Per key: Σ error, Σ error², Σ SE (information, sandwich, jackknife), for the printed summary.
    let mut moments = vec![[0.0f64; 5]; free.len()];
    for rep in 0..replications {
        let mut sim = Simulation::new(&model, &draws, &mut run_rng(11, rep, Purpose::Setup));
        let mut rng = run_rng(11, rep, Purpose::Dynamics);
        let start = sim.alignment().to_vec();
        // History (d, u, i) is at risk while the cell has not entered u.
        let id = |d: usize, u: usize, i: usize| (d * k + u) * n + i;
        let mut at_risk: Vec<bool> = (0..model.layout.domains * k * n)
            .map(|h| {
                let (du, i) = (h / n, h % n);
                let (d, u) = (du / k, du % k);
                model.anchor[d * n + i] == blocsim::model::NO_ANCHOR && start[d * n + i] as usize != u
            })
            .collect();
        let mut seen = likeliest.clone();
        for (cell, a) in seen.iter_mut().enumerate() {
            if model.anchor[cell] != blocsim::model::NO_ANCHOR {
                *a = model.anchor[cell];
            }
        }
        let mut obs = Vec::new();
        for step in 1..=years {
            let prev = sim.alignment().to_vec();
            sim.step(step, &mut rng);
            let next = sim.alignment().to_vec();
            let read = if partners == Partners::True { &prev } else { &seen };
            let inputs = sim.term_inputs();
            let mut entered = Vec::new();
            for &d in &domains {
                let f = features_at(&inputs, read, d);
                for u in 0..k {
                    for i in 0..n {
                        if !at_risk[id(d, u, i)] {
                            continue;
                        }
                        let union = 1u8 << u;
                        let adopt = next[d * n + i] as usize == u;
                        let outcome = if adopt { union } else { all & !union };
                        let (o, _) = cells.adoption_observation(&f, sim.knobs(), d, i, union, outcome, None, id(d, u, i), step == 1, None);
                        obs.push(o);
                        if adopt {
                            at_risk[id(d, u, i)] = false;
                            entered.push((d * n + i, u as u8));
                        }
                    }
                }
            }
            for (cell, u) in entered {
                seen[cell] = u;
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
        cover.add(&fit, &truth);
        for (a, e) in fit.estimates.iter().enumerate() {
            let err = e.value - truth[a];
            for (m, x) in moments[a]
                .iter_mut()
                .zip([err, err * err, e.se_information, e.se_sandwich, e.se_jackknife])
            {
                *m += x;
            }
        }
    }
    let r = replications as f64;
    for (p, m) in free.iter().zip(&moments) {
        let (bias, sd) = (m[0] / r, (m[1] / r - (m[0] / r).powi(2)).max(0.0).sqrt());
        eprintln!(
            "{}: bias {bias:+.4}, sd of estimates {sd:.4}, mean SE information {:.4}, sandwich {:.4}, jackknife {:.4}",
            p.key,
            m[2] / r,
            m[3] / r,
            m[4] / r
        );
    }
    (free.iter().map(|p| p.key.clone()).collect(), cover)
}

/// Per key, how many of the replications' 95% intervals covered the truth.
struct Coverage {
    /// The reported interval: the state jackknife (CR3).
    jackknife: Vec<u32>,
    /// The state-clustered sandwich (CR1).
    sandwich: Vec<u32>,
    information: Vec<u32>,
}

impl Coverage {
    fn new(keys: usize) -> Coverage {
        Coverage {
            jackknife: vec![0; keys],
            sandwich: vec![0; keys],
            information: vec![0; keys],
        }
    }

    /// Count the intervals of one replication's fit that cover `truth`.
    fn add(&mut self, fit: &blocsim::calibrate::Fit, truth: &[f64]) {
        for (a, e) in fit.estimates.iter().enumerate() {
            self.jackknife[a] += u32::from(e.low <= truth[a] && truth[a] <= e.high);
            self.sandwich[a] += u32::from(wald_covers(e.value, e.se_sandwich, truth[a]));
            self.information[a] += u32::from(wald_covers(e.value, e.se_information, truth[a]));
        }
    }
}

/// What the recovery tests simulate and fit: the 2017 fit scenario's model, its parameters at the
/// centre of their distributions, the six default weights free (their truth, the scenario's values)
/// and the three domains the panel observes.
struct Recovery {
    model: blocsim::model::Model,
    draws: Vec<f64>,
    free: Vec<params::FreeParam>,
    truth: Vec<f64>,
    domains: Vec<usize>,
}

impl Recovery {
    fn new() -> Recovery {
        let scenario = blocsim::scenario::Scenario::load(&root().join(FIT).display().to_string(), &[]).unwrap();
        let model = blocsim::model::Model::from_scenario(scenario).unwrap();
        let s = &model.scenario;
        let draws = params::centre_draws(s);
        let free = params::parse_free(&[], s, &Knobs::realize(s, &draws)).unwrap();
        let truth = free.iter().map(|p| p.start).collect();
        let domains = ["telecom", "cloud", "data"]
            .iter()
            .map(|d| s.domains.iter().position(|x| x == d).unwrap())
            .collect();
        Recovery {
            model,
            draws,
            free,
            truth,
            domains,
        }
    }
}

/// Hidden previous frameworks, partners at their true alignments: the filter's likelihood is then
/// the exact likelihood of each cell's own observations given its partners (up to the feedback of
/// the cell on its partners), and the sandwich intervals must cover at 95%: over R = 200
/// replications, 190 ± 3 binomial sd, [181, 199]. Eight simulated years: with four, the hidden
/// histories carry so little information that every SE is some 10% below the spread of the
/// estimates and two keys fall just under the bound (177 and 180; docs/calibration.md gives every
/// measured figure). The sandwich (CR1) and information intervals are printed, not asserted: a
/// composite likelihood's information is not its covariance.
#[test]
fn intervals_cover_the_true_weights_when_the_previous_framework_is_hidden() {
    let (keys, c) = hidden_history_coverage(Partners::True, 8, 200);
    eprintln!(
        "hidden, true partners, 8 years: jackknife (CR3, reported) {:?}, sandwich (CR1) {:?}, information {:?} of 200",
        c.jackknife, c.sandwich, c.information
    );
    for (key, &n) in keys.iter().zip(&c.jackknife) {
        assert!(
            (181..=199).contains(&n),
            "{key}: reported (jackknife) intervals covered the truth {n} times of 200"
        );
    }
}

/// Hidden previous frameworks with the partners at the observed state, as the real panel is
/// fitted (partners' unobserved cells at their most probable initial framework), and the
/// four-year design with true partners: a measurement, not a check (run with `--ignored
/// --nocapture`). The observed-state approximation biases the estimates and its coverage falls
/// well below 95%; docs/calibration.md reports the figures.
#[test]
#[ignore = "a measurement of the partner approximation's coverage; see docs/calibration.md"]
fn coverage_with_partners_at_the_observed_state() {
    for (partners, what, years) in [
        (Partners::True, "true", 4),
        (Partners::Observed, "observed", 4),
        (Partners::Observed, "observed", 8),
    ] {
        let (_, c) = hidden_history_coverage(partners, years, 200);
        eprintln!(
            "hidden, {what} partners, {years} years: jackknife (CR3, reported) {:?}, sandwich (CR1) {:?}, information {:?} of 200",
            c.jackknife, c.sandwich, c.information
        );
    }
}

#[test]
fn the_bundled_panel_is_fitted_and_written() {
    let run = Test::with(["calibrate", FIT, "--observed", OBSERVED])
        .temp_out("cal")
        .run()
        .success();
    let estimates = String::from_utf8(run.file("estimates.csv")).unwrap();
    // The default keys: the six weights and the detection rates of the two layers with an act in
    // 2018-2021 (cbpr, huawei_5g_restriction; ai_law_risk_based has none).
    let keys: Vec<&str> = estimates.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    let mut expected: Vec<String> = params::DEFAULT_FREE.iter().map(|k| k.to_string()).collect();
    expected.extend(["detect.cbpr", "detect.huawei_5g_restriction"].map(String::from));
    assert_eq!(keys, expected, "{estimates}");
    assert_eq!(estimates.lines().next(), Some(blocsim::calibrate::output::ESTIMATES_COLUMNS));
    let positive = |x: &str| x.parse::<f64>().is_ok_and(|x| x > 0.0);
    assert!(
        estimates
            .lines()
            .skip(1)
            .all(|l| l.split(',').count() == 11 && l.split(',').nth(10).is_some_and(positive)),
        "{estimates}"
    );
    let fit: serde_json::Value = serde_json::from_slice(&run.file("fit.json")).unwrap();
    assert!(fit["events"].as_u64().unwrap() > 0 && fit["converged"] == true, "{fit}");
    // Acts outside coverage enter as presence; the two pulls built on the trade ties are measured.
    assert!(fit["presence"].as_u64().unwrap() > 0, "{fit}");
    assert!(fit["econ_network_correlation"].as_f64().is_some_and(|r| r.abs() < 1.0), "{fit}");
    assert!(
        fit["clusters"].as_u64().unwrap() > 0 && fit["jackknife_fallback_clusters"].is_u64(),
        "{fit}"
    );
    // Adequacy decisions date the GDPR_ADEQUACY bonus: JPN 2018-19, GBR and KOR 2018-21, USA 2021
    // and BRA (listed, decided 2026) 2018-21 differ from the as-of-2025 list: 2 + 8 + 1 + 4.
    assert_eq!(fit["dated_groups"], serde_json::json!(["GDPR_ADEQUACY"]));
    assert_eq!(fit["dated_changes"], 15);
    let profiles = String::from_utf8(run.file("profiles.csv")).unwrap();
    assert_eq!(profiles.lines().count(), 1 + 13 * expected.len());
    assert!(String::from_utf8(run.file("plots/profiles.svg")).unwrap().starts_with("<svg"));
    // The calibrated scenario loads, extends the fit scenario and carries the estimates.
    let calibrated = run.out().join("calibrated.toml");
    let text = std::fs::read_to_string(&calibrated).unwrap();
    assert!(text.contains("utility.econ = ") && text.contains("# estimate"), "{text}");
    // A detection rate is the codebook's, not a scenario key: calibrated.toml leaves it out.
    assert!(text.contains("utility.hedging = ") && !text.contains("detect."), "{text}");
    Test::with(["check"])
        .arg(&calibrated)
        .run()
        .success()
        .stdout_contains("fit-2017-calibrated");
}

#[test]
fn bad_observed_files_are_refused_with_file_line_and_reason() {
    let header = "iso3,domain,indicator,year,value,kind,source,note\nFRA,telecom,huawei_5g_restriction,2020,1,choice,x,\n";
    let cases = [
        (
            "ZZZ,telecom,huawei_5g_restriction,2020,1,choice,x,\n",
            "events.csv:3: iso3 `ZZZ` is not a state",
        ),
        (
            "DEU,telecom,huawei_5g_ban,2020,1,choice,x,\n",
            "events.csv:3: indicator `huawei_5g_ban` is not in the codebook",
        ),
        (
            "DEU,telecom,huawei_5g_restriction,2031,1,choice,x,\n",
            "events.csv:3: year 2031 is outside the panel's horizon",
        ),
        (
            "FRA,telecom,huawei_5g_restriction,2020,1,choice,y,\n",
            "events.csv:3: FRA huawei_5g_restriction 2020: duplicate of line 2",
        ),
        (
            "USA,data,gdpr_adequacy,2000,safe_harbour,designation,x,\nUSA,data,gdpr_adequacy,2000,revoked,designation,x,\n",
            "events.csv:4: USA gdpr_adequacy 2000: contradicts line 3",
        ),
    ];
    for (rows, expected) in cases {
        let dir = observed_with(&format!("{header}{rows}"));
        let err = calibrate(dir.path()).run().input_error();
        assert!(err.contains(expected), "{rows}: {err}");
    }
}

/// Coverage entries and detection rates that do not make sense exit 2 with the codebook's
/// file:line and the reason, through the command line; so do selectors the world does not know
/// and free keys the codebook or the world cannot supply.
#[test]
fn bad_coverage_and_layers_are_refused_with_file_line_and_reason() {
    let bundled = std::fs::read_to_string(root().join(OBSERVED).join("codebook.toml")).unwrap();
    let events = std::fs::read_to_string(root().join(OBSERVED).join("events.csv")).unwrap();
    let line_of = |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let cbpr = "coverage = { states = [\"all\"], except = [\"PHL\"], years = [2012, 2025] }";
    let cases = [
        (cbpr, "coverage = \"complete\"", "expected \"presence\""),
        (cbpr, "coverage = { states = [\"all\"], years = [2025, 2012] }", "FROM <= TO"),
        (cbpr, "coverage = { states = [\"group:NOPE\"], years = [2012, 2025] }", "NOPE"),
        (
            "detection = 0.2          # an act (a measure",
            "detection = 0.0          # an act (a measure",
            "in (0, 1]",
        ),
    ];
    for (old, new, expected) in cases {
        assert!(bundled.contains(old), "{old}");
        let text = bundled.replacen(old, new, 1);
        let dir = observed_with(&events);
        std::fs::write(dir.path().join("codebook.toml"), &text).unwrap();
        let err = calibrate(dir.path()).run().input_error();
        let at = format!("codebook.toml:{}:", line_of(&text, new.split('#').next().unwrap().trim()));
        assert!(
            err.contains(&at) && err.contains(expected),
            "{new}: expected {at} … {expected}: {err}"
        );
    }
    for (key, expected) in [
        ("detect.cloud_region_us", "has no observation layer"),
        ("rate.x_ports", "no column `x_ports`"),
        ("rate.gdp", "unknown rate covariate"),
    ] {
        let err = calibrate(&root().join(OBSERVED)).args(["--free", key]).run().input_error();
        assert!(err.contains(expected), "{key}: {err}");
    }
}

#[test]
fn a_window_the_scenario_cannot_explain_and_lambda_as_free_are_refused() {
    let err = Test::with(["calibrate", "baseline", "--observed", OBSERVED])
        .temp_out("cal")
        .run()
        .input_error();
    assert!(err.contains("--fit-years 2018:2021") && err.contains("describes 2025"), "{err}");
    let err = calibrate(&root().join(OBSERVED))
        .args(["--free", "choice.lambda"])
        .run()
        .input_error();
    assert!(err.contains("only λ·w is identified"), "{err}");
}

#[test]
fn hindcast_scores_every_model_on_the_same_cell_years() {
    let run = Test::with(["hindcast", FIT, "--observed", OBSERVED, "--bootstrap", "200", "--runs", "10"])
        .temp_out("hind")
        .run()
        .success();
    let scores = String::from_utf8(run.file("scores.csv")).unwrap();
    let rows: Vec<Vec<&str>> = scores.lines().skip(1).map(|l| l.split(',').collect()).collect();
    for window in ["time", "subregion", "simulated"] {
        let pooled: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == window && r[2] == "pooled").collect();
        let models: Vec<&str> = pooled.iter().map(|r| r[1]).collect();
        // Every window forecasts with the whole registry, in its order.
        let expected: Vec<&str> = blocsim::forecast::models::registry().iter().map(|m| m.name()).collect();
        assert_eq!(models, expected, "{window}");
        // Every model is scored on the same cell-years and events.
        assert!(pooled.iter().all(|r| r[3] == pooled[0][3] && r[4] == pooled[0][4]), "{scores}");
        // Persistence forecasts no adoption: its Brier score is the event rate, its ROC-AUC one half.
        let (n, events): (f64, f64) = (pooled[0][3].parse().unwrap(), pooled[0][4].parse().unwrap());
        let persistence = pooled.iter().find(|r| r[1] == "persistence").unwrap();
        assert!(
            (persistence[6].parse::<f64>().unwrap() - events / n).abs() < 1e-6,
            "{persistence:?}"
        );
        assert_eq!(persistence[8], "0.500000");
    }
    let differences = String::from_utf8(run.file("differences.csv")).unwrap();
    assert!(
        differences.contains("time,constant_hazard,brier,") && differences.contains("subregion,constant_hazard,brier,"),
        "{differences}"
    );
    // Both event-history hazards have a paired interval on both scores in both windows, the log
    // score only where calibrated's is finite (a held-out fit at a boundary can give an act
    // probability 0: docs/calibration.md).
    let finite = |window: &str| {
        scores
            .lines()
            .find(|l| l.starts_with(&format!("{window},calibrated,pooled,")))
            .is_some_and(|l| l.split(',').nth(5).is_some_and(|x| x.parse::<f64>().is_ok_and(f64::is_finite)))
    };
    for window in ["time", "subregion"] {
        for model in ["hazard_covariates", "hazard_spatial_lag"] {
            for score in ["log_score", "brier"].into_iter().filter(|s| *s == "brier" || finite(window)) {
                let row = format!("{window},{model},{score},");
                let line = differences.lines().find(|l| l.starts_with(&row));
                let v: Vec<f64> = line
                    .unwrap_or_else(|| panic!("{row}: {differences}"))
                    .split(',')
                    .skip(3)
                    .map(|x| x.parse().unwrap())
                    .collect();
                assert!(v.len() == 3 && v.iter().all(|x| x.is_finite()) && v[1] <= v[2], "{row} {v:?}");
            }
        }
    }
    // Their coefficients, with information SEs: the lag's only in the spatial-lag hazard.
    let json: serde_json::Value = serde_json::from_slice(&run.file("hindcast.json")).unwrap();
    for (model, lag) in [("hazard_covariates", false), ("hazard_spatial_lag", true)] {
        let coefficients = json["hazards"][model]["coefficients"].as_array().unwrap();
        let names: Vec<&str> = coefficients.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert!(
            names.contains(&"log_gdp_per_capita") && names.contains(&"constant.huawei_5g_restriction"),
            "{names:?}"
        );
        assert_eq!(names.contains(&"spatial_lag"), lag, "{names:?}");
        assert!(coefficients.iter().all(|c| c["se"].as_f64().unwrap() > 0.0), "{coefficients:?}");
    }
}

fn csv_rows(text: &str) -> (Vec<&str>, Vec<Vec<&str>>) {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("").split(',').collect();
    (header, lines.map(|l| l.split(',').collect()).collect())
}

fn hindcast_sim(runs: &str, threads: &str, name: &str) -> crate::support::command::Run {
    Test::with([
        "hindcast",
        FIT,
        "--observed",
        OBSERVED,
        "--bootstrap",
        "50",
        "--runs",
        runs,
        "--threads",
        threads,
    ])
    .temp_out(name)
    .run()
    .success()
}

#[test]
fn simulated_hindcast_writes_probabilities_bands_reliability_and_a_report() {
    let run = hindcast_sim("12", "2", "sim");
    for f in blocsim::commands::hindcast_outputs::FILES {
        assert!(run.out().join(f).is_file(), "{f} missing");
    }
    let manifest = String::from_utf8(run.file("manifest.json")).unwrap();
    assert!(manifest.contains("\"states.csv\"") && manifest.contains("\"plots/counts.svg\"") && manifest.contains("\"report.html\""));
    // states.csv: probabilities in [0, 1], non-decreasing by year, median a scored year or "after 2025".
    let states = String::from_utf8(run.file("states.csv")).unwrap();
    let (header, rows) = csv_rows(&states);
    assert_eq!(
        header,
        [
            "state",
            "indicator",
            "observed_year",
            "p_adopted_by_end",
            "median_year",
            "p_by_2022",
            "p_by_2023",
            "p_by_2024",
            "p_by_2025"
        ]
    );
    assert!(!rows.is_empty());
    let mut adopted: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for r in &rows {
        let p: Vec<f64> = r[5..].iter().map(|v| v.parse().unwrap()).collect();
        assert!(
            p.iter().all(|&x| (0.0..=1.0).contains(&x)) && p.windows(2).all(|w| w[0] <= w[1]),
            "{r:?}"
        );
        assert_eq!(r[3], r[8], "P(by end) is P(by 2025): {r:?}");
        let median_ok = r[4] == "after 2025" || (2022..=2025).contains(&r[4].parse::<i32>().unwrap_or(0));
        assert!(median_ok, "{r:?}");
        // Half the runs adopt by the median year: P (shrunk by half a run of 12) reaches 6.5/13.
        if r[4] != "after 2025" {
            let at = r[4].parse::<usize>().unwrap() - 2022;
            assert!(p[at] >= 6.5 / 13.0 - 1e-6, "{r:?}");
        } else {
            assert!(p[3] < 6.5 / 13.0 - 1e-6, "{r:?}");
        }
        if !r[2].is_empty() {
            *adopted.entry((r[1].to_string(), r[2].to_string())).or_default() += 1;
        }
    }
    // counts.csv: the observed counts are the adoptions of states.csv; bands are ordered.
    let counts = String::from_utf8(run.file("counts.csv")).unwrap();
    let (header, rows) = csv_rows(&counts);
    assert_eq!(header[..6], ["model", "indicator", "year", "observed", "mean", "median"]);
    for r in &rows {
        let expected = adopted.get(&(r[1].to_string(), r[2].to_string())).copied().unwrap_or(0);
        assert_eq!(r[3].parse::<usize>().unwrap(), expected, "{r:?}");
        let q: Vec<usize> = [8, 6, 5, 7, 9].iter().map(|&c| r[c].parse().unwrap()).collect();
        assert!(
            q.windows(2).all(|w| w[0] <= w[1]),
            "low90 <= low50 <= median <= high50 <= high90: {r:?}"
        );
    }
    // The decomposition's identity: binned Brier + WBV − 2 WBC = Brier (eight decimals written).
    let dec = String::from_utf8(run.file("brier_decomposition.csv")).unwrap();
    let (_, rows) = csv_rows(&dec);
    assert!(rows.iter().any(|r| r[0] == "simulated") && rows.iter().any(|r| r[0] == "time"));
    for r in &rows {
        let v: Vec<f64> = r[2..].iter().map(|x| x.parse().unwrap()).collect();
        assert!((v[6] + v[4] - 2.0 * v[5] - v[0]).abs() < 5e-8, "{r:?}");
        assert!((v[1] - v[2] + v[3] - v[6]).abs() < 5e-8, "{r:?}");
    }
    // The report: self-contained, names every baseline, says where blocsim does not beat one.
    let report = String::from_utf8(run.file("report.html")).unwrap();
    for name in [
        "persistence",
        "constant_hazard",
        "uncalibrated",
        "calibrated_network_off",
        "Where blocsim does not beat a baseline",
        "<svg",
    ] {
        assert!(report.contains(name), "report lacks {name}");
    }
    assert!(
        !report.contains("src=\"http") && !report.contains("href=\"http"),
        "the report loads nothing"
    );
}

#[test]
fn simulated_hindcast_is_byte_identical_on_one_and_two_threads() {
    let one = hindcast_sim("6", "1", "one");
    let two = hindcast_sim("6", "2", "two");
    let mut files: Vec<&str> = blocsim::commands::hindcast::FILES.to_vec();
    files.extend(blocsim::commands::hindcast_outputs::FILES);
    for f in files {
        assert!(one.file(f) == two.file(f), "{f} differs between 1 and 2 threads");
    }
}

#[test]
fn hindcast_refuses_zero_runs() {
    let err = Test::with(["hindcast", FIT, "--observed", OBSERVED, "--runs", "0"])
        .temp_out("zero")
        .run()
        .input_error();
    assert!(err.contains("--runs 0"), "{err}");
}
