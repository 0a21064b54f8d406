//! Recovery of the network weight where it matters: panels simulated by blocsim at the real panel's
//! size, coverage and observation layer, fitted by `calibrate`'s own pipeline (the joint filter:
//! partners read from the factored frontier, [`blocsim::calibrate::frontier`]).
//!
//! **Design.** The 2017 fit scenario with `utility.network` set to 1.5 (the baseline's) or 0. Each
//! replication runs the engine (the covariate path's own seed, so the fit reads the same stocks
//! and events the truth ran on) over 2018-2025 and draws the acts of the bundled codebook's three
//! complete indicators (Huawei restrictions, CBPR, risk-based AI laws) on their declared coverage:
//! a covered cell at risk acts in year t with the probability δ of its layer when it is on the
//! act's frameworks at the end of t, as the observation layer says. δ is the bundled panel's
//! estimate over 2018-2025 (`blocsim forecast`'s default fit). Nothing else is observed: the partners of every
//! cell are latent. The fit frees the network weight and the three detection rates (the other
//! weights at the scenario's values, which generated the data).
//!
//! **What must hold.** Over R = 100 replications per truth, the reported (state jackknife) 95%
//! intervals cover each truth 95 ± 3 binomial sd times, [89, 100]; the mean error of each estimate
//! is within 3 Monte Carlo standard errors of 0. The power to tell 1.5 from 0 (the share of
//! 1.5-replications whose interval excludes 0) and the size (the share of 0-replications whose
//! interval excludes 0) are printed.

use rayon::prelude::*;

use blocsim::calibrate::codebook::{Codebook, Kind, Use};
use blocsim::calibrate::covariates::CovariatePath;
use blocsim::calibrate::observations::{CellModel, build};
use blocsim::calibrate::panel::{Panel, Row};
use blocsim::calibrate::{Fit, estimate, inference, params};
use blocsim::model::{Knobs, Model, NO_ANCHOR};
use blocsim::rng::{Purpose, run_rng};
use rand::RngExt;

const FIT: &str = "scenarios/data/observed/fit-2017.toml";
const OBSERVED: &str = "scenarios/data/observed";
/// The simulated indicators and their detection rates (the bundled panel's 2018-2025 estimates).
const LAYERS: [(&str, f64); 3] = [("ai_law_risk_based", 0.013), ("cbpr", 0.021), ("huawei_5g_restriction", 0.042)];
const FIRST: i32 = 2018;
const LAST: i32 = 2025;
const R: u64 = 100;

struct Design {
    model: Model,
    codebook: Codebook,
    draws: Vec<f64>,
    free: Vec<params::FreeParam>,
    truth: Vec<f64>,
}

impl Design {
    fn new(network: f64) -> Design {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let sets = vec![format!("utility.network={network}")];
        let scenario = blocsim::scenario::Scenario::load(&root.join(FIT).display().to_string(), &sets).unwrap();
        let model = Model::from_scenario(scenario).unwrap();
        let s = &model.scenario;
        let mut codebook = Codebook::load(&root.join(OBSERVED).join("codebook.toml"), &s.frameworks, &s.domains).unwrap();
        // Only the three layers are observed (a covariate without rows would undate its group).
        for ind in codebook.indicators.values_mut() {
            match LAYERS.iter().find(|(name, _)| *name == ind.name) {
                Some(&(_, delta)) => ind.detection = Some(delta),
                None => ind.use_ = Use::Ignore,
            }
        }
        let draws = params::centre_draws(s);
        let mut keys = vec!["utility.network".to_string()];
        keys.extend(LAYERS.iter().map(|(name, _)| format!("detect.{name}")));
        let free = params::parse_free_with(&keys, s, &Knobs::realize(s, &draws), &codebook.layers()).unwrap();
        let truth = free.iter().map(|p| p.start).collect();
        Design {
            model,
            codebook,
            draws,
            free,
            truth,
        }
    }

    /// The acts of one replication, drawn on the engine's run with the covariate path's seed.
    fn panel(&self, seed: u64) -> Panel {
        let (m, n) = (&self.model, self.model.layout.states);
        let mut truth = CovariatePath::new(m, &self.draws, seed);
        let mut acts = run_rng(seed, 0, Purpose::Observed);
        let layers: Vec<_> = LAYERS
            .iter()
            .map(|(name, delta)| {
                let ind = &self.codebook.indicators[*name];
                let (value, code) = ind.values.iter().next().unwrap();
                (ind, value.clone(), code.set, *delta, ind.covered_states(&m.world).unwrap())
            })
            .collect();
        let mut at_risk: Vec<Vec<bool>> = layers
            .iter()
            .map(|(ind, ..)| (0..n).map(|i| m.anchor[ind.domain.unwrap() * n + i] == NO_ANCHOR).collect())
            .collect();
        let mut rows = Vec::new();
        for t in FIRST..=LAST {
            truth.advance_to(t);
            let a = truth.sim.alignment();
            for ((ind, value, set, delta, covered), risk) in layers.iter().zip(&mut at_risk) {
                let d = ind.domain.unwrap();
                for i in 0..n {
                    if !(risk[i] && ind.covers(covered, i, t)) {
                        continue;
                    }
                    if set >> a[d * n + i] & 1 == 1 && acts.random::<f64>() < *delta {
                        risk[i] = false;
                        rows.push(Row {
                            line: rows.len() + 2,
                            state: i,
                            indicator: ind.name.clone(),
                            year: t,
                            value: value.clone(),
                            kind: Kind::Choice,
                            set: *set,
                        });
                    }
                }
            }
        }
        Panel {
            path: "simulated".into(),
            rows,
        }
    }

    /// One replication: its panel's events, the fit and the network weight's profile interval
    /// (None on a side where the profile does not cross the 95% level within ±3 SE: open).
    fn replicate(&self, seed: u64) -> (usize, Fit, (Option<f64>, Option<f64>)) {
        let panel = self.panel(seed);
        let mut path = CovariatePath::new(&self.model, &self.draws, seed);
        let cells = CellModel::new(&self.model, &self.free).unwrap().with_filtered_partners();
        let (problem, _, summary) = build(&cells, &panel, &self.codebook, FIRST, LAST, &mut path).unwrap();
        let fit = estimate(&problem, &self.free, false).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        // The network weight's internal scale is its own: its information SE sets the grid.
        let net = &fit.estimates[0];
        let profile = inference::profile(&problem, &fit.internal, fit.loglik, 0, net.se_information);
        (summary.events, fit, (profile.low, profile.high))
    }
}

/// What the replications of one truth give, per key: how often the reported (jackknife) interval
/// covered the truth, and the network weight's profile interval; the mean error with its Monte
/// Carlo SE; how often the network weight's (profile, jackknife) intervals excluded 0.
struct Recovery {
    design: Design,
    jackknife: Vec<u32>,
    profile: u32,
    bias: Vec<(f64, f64)>,
    excludes_zero: (u32, u32),
    events: f64,
}

fn recover(network: f64, seed: u64) -> Recovery {
    let design = Design::new(network);
    let reps: Vec<_> = (0..R).into_par_iter().map(|r| design.replicate(seed + r)).collect();
    let keys = design.free.len();
    let (mut jackknife, mut profile) = (vec![0u32; keys], 0u32);
    let mut moments = vec![[0.0f64; 2]; keys];
    let mut excludes_zero = (0u32, 0u32);
    let covers = |(low, high): (Option<f64>, Option<f64>), x: f64| low.is_none_or(|l| l <= x) && high.is_none_or(|h| x <= h);
    for (_, fit, interval) in &reps {
        assert!(fit.converged, "a replication did not converge");
        for (a, e) in fit.estimates.iter().enumerate() {
            let t = design.truth[a];
            jackknife[a] += u32::from(e.low <= t && t <= e.high);
            moments[a][0] += e.value - t;
            moments[a][1] += (e.value - t).powi(2);
        }
        profile += u32::from(covers(*interval, design.truth[0]));
        let net = &fit.estimates[0];
        excludes_zero.0 += u32::from(!covers(*interval, 0.0));
        excludes_zero.1 += u32::from(net.low > 0.0 || net.high < 0.0);
    }
    let r = R as f64;
    let bias = moments
        .iter()
        .map(|m| (m[0] / r, ((m[1] / r - (m[0] / r).powi(2)).max(0.0) / r).sqrt()))
        .collect();
    let events = reps.iter().map(|(e, ..)| *e as f64).sum::<f64>() / r;
    Recovery {
        design,
        jackknife,
        profile,
        bias,
        excludes_zero,
        events,
    }
}

/// Recover `network` and check the intervals' coverage (the network weight's profile interval, the
/// detection rates' reported ones) and the mean errors; returns how often the network weight's
/// (profile, jackknife) intervals excluded 0.
fn check(network: f64, seed: u64) -> (u32, u32) {
    let rec = recover(network, seed);
    let Recovery { design, bias, .. } = &rec;
    for (a, p) in design.free.iter().enumerate() {
        eprintln!(
            "network {network}: {}: truth {:.3}, bias {:+.4} (MC SE {:.4}), jackknife intervals covered {} of {R}; mean events {:.1}",
            p.key, design.truth[a], bias[a].0, bias[a].1, rec.jackknife[a], rec.events
        );
    }
    eprintln!(
        "network {network}: profile intervals of the network weight covered {} of {R}",
        rec.profile
    );
    let covered = std::iter::once(rec.profile).chain(rec.jackknife[1..].iter().copied());
    for ((a, p), c) in design.free.iter().enumerate().zip(covered) {
        assert!(
            (89..=100).contains(&c),
            "network {network}, {}: the intervals covered the truth {c} times of {R}",
            p.key
        );
        assert!(
            bias[a].0.abs() <= 3.0 * bias[a].1,
            "network {network}, {}: mean error {:+.4} beyond 3 Monte Carlo SE ({:.4})",
            p.key,
            bias[a].0,
            bias[a].1
        );
    }
    rec.excludes_zero
}

#[test]
fn the_joint_filter_recovers_a_positive_network_weight() {
    let (profile, jackknife) = check(1.5, 41_000);
    eprintln!("power to tell 1.5 from 0 at the panel's size: profile {profile}, jackknife {jackknife} of {R}");
}

#[test]
fn the_joint_filter_recovers_a_zero_network_weight() {
    let (profile, jackknife) = check(0.0, 42_000);
    eprintln!("size (intervals excluding a true 0): profile {profile}, jackknife {jackknife} of {R}");
}
