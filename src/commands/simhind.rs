//! `hindcast`'s simulated window: the fitted model run N times on the engine from the observed
//! state at the end of `split` to `end`, scored on what happened over the whole window (P(adopted
//! by the end) of every history at risk) against the same baselines, with yearly adoption counts
//! against the runs' bands. See docs/calibration.md, *Simulated hindcast*.

use std::collections::BTreeMap;

use crate::calibrate::bands::CountBand;
use crate::calibrate::codebook::Codebook;
use crate::calibrate::forecasts::{DiffRow, Forecast, ScoreRow, difference_rows, score_rows};
use crate::calibrate::multiyear::MultiYear;
use crate::calibrate::observations::Meta;
use crate::calibrate::panel::Panel;
use crate::calibrate::params::FreeParam;
use crate::calibrate::simulate::Replications;
use crate::calibrate::spells::Spells;

use super::hindcast::HindcastCommand;

/// A model the window simulates: its name and the `--set` overrides that make it.
pub struct SimModel {
    pub name: String,
    pub sets: Vec<String>,
    /// The detection rate of each indicator with an observation layer.
    pub detection: BTreeMap<String, f64>,
}

/// What the simulated window gives.
pub struct Simulated {
    pub spells: Spells,
    pub split: i32,
    pub end: i32,
    pub runs: u64,
    pub seed: u64,
    pub threads: usize,
    /// P(adopted by the end) of every history, per model (calibrated first), and the outcomes.
    pub forecasts: Vec<Forecast>,
    pub y: Vec<bool>,
    pub meta: Vec<Meta>,
    /// Per simulated model: the multi-year forecast of every history and the yearly count bands.
    pub multi: Vec<(String, Vec<MultiYear>)>,
    pub bands: Vec<(String, Vec<CountBand>)>,
    pub scores: Vec<ScoreRow>,
    pub differences: Vec<DiffRow>,
}

/// `KEY=VALUE` overrides setting each free parameter to its value at `internal`.
pub fn estimate_sets(free: &[FreeParam], internal: &[f64], extra: Option<&str>) -> Vec<String> {
    let mut sets: Vec<String> = extra.map(str::to_string).into_iter().collect();
    sets.extend(
        free.iter()
            .zip(internal)
            .filter(|(p, _)| p.in_scenario())
            .map(|(p, &x)| format!("{}={}", p.key, p.from_internal(x).0)),
    );
    sets
}

/// Simulate every model of `models` (the calibrated one first); `hazard` is each indicator's
/// constant yearly hazard from the fit years, `yearly` the covariates-only and spatial-lag hazards
/// of each (state, indicator) in the first scored year, held over the window (the covariates do
/// not change; the lag stays at what the end of split shows).
pub fn simulate(
    c: &HindcastCommand,
    models: &[SimModel],
    hazard: &BTreeMap<String, f64>,
    yearly: &BTreeMap<(usize, String), [f64; 2]>,
) -> anyhow::Result<Simulated> {
    let years = (c.end - c.split) as usize;
    let mut sets = c.sets.clone();
    sets.extend(models[0].sets.iter().cloned());
    let first = super::load(&c.scenario, &sets)?;
    let s = &first.scenario;
    let runs = c.runs.unwrap_or(s.batch.runs);
    super::check_runs_and_threads(runs, 1, c.threads)?;
    let seed = c.seed.unwrap_or(s.batch.seed);
    let codebook = Codebook::load(&c.observed.join("codebook.toml"), &s.frameworks, &s.domains)?;
    let panel = Panel::load(&c.observed.join("events.csv"), &codebook, &first.world.ids, &s.domains)?;
    let spells = Spells::at_risk(&first, &panel, &codebook, c.split, c.end)?;
    let pool = crate::batch::thread_pool(c.threads)?;
    let reps = Replications {
        codebook: &codebook,
        panel: &panel,
        split: c.split,
        end: c.end,
        seed,
        runs,
    };
    let y: Vec<bool> = spells.spells.iter().map(|h| h.adopted.is_some()).collect();
    let meta: Vec<Meta> = spells
        .spells
        .iter()
        .zip(&y)
        .map(|(h, &event)| Meta {
            indicator: h.indicator.clone(),
            year: c.end,
            event,
            union: h.union,
            scored: true,
        })
        .collect();
    let (mut forecasts, mut multi, mut bands) = (Vec::new(), Vec::new(), Vec::new());
    for (j, sm) in models.iter().enumerate() {
        let model = if j == 0 {
            first.clone()
        } else {
            let mut sets = c.sets.clone();
            sets.extend(sm.sets.iter().cloned());
            super::load(&c.scenario, &sets)?
        };
        let offsets = reps.adoption_years(&model, &spells, &pool, &sm.detection);
        let m: Vec<MultiYear> = offsets.iter().map(|o| MultiYear::from_runs(o, years)).collect();
        forecasts.push(Forecast {
            model: sm.name.clone(),
            p: m.iter().map(MultiYear::by_end).collect(),
        });
        bands.push((sm.name.clone(), count_bands(&spells, &offsets, c.split, years)));
        multi.push((sm.name.clone(), m));
    }
    forecasts.push(Forecast {
        model: "constant_hazard".into(),
        p: spells
            .spells
            .iter()
            .map(|h| 1.0 - (1.0 - hazard.get(&h.indicator).copied().unwrap_or(0.5)).powi(years as i32))
            .collect(),
    });
    forecasts.push(Forecast {
        model: "persistence".into(),
        p: vec![0.0; y.len()],
    });
    for (k, name) in ["hazard_covariates", "hazard_spatial_lag"].into_iter().enumerate() {
        let p = spells
            .spells
            .iter()
            .map(|h| {
                let at = (h.state, h.indicator.clone());
                yearly.get(&at).map(|p| 1.0 - (1.0 - p[k]).powi(years as i32)).ok_or_else(|| {
                    anyhow::anyhow!(
                        "hindcast: no cell-year of {} at risk of {} in {}",
                        first.world.ids[h.state],
                        h.indicator,
                        c.split + 1
                    )
                })
            })
            .collect::<anyhow::Result<Vec<f64>>>()?;
        forecasts.push(Forecast { model: name.into(), p });
    }
    let cluster: Vec<usize> = spells.spells.iter().map(|h| h.state).collect();
    let scores = score_rows("simulated", &forecasts, &y, &meta);
    let mut rng = crate::rng::run_rng(c.start as u64, 1, crate::rng::Purpose::Dynamics);
    let differences = difference_rows("simulated", &forecasts, &y, &cluster, c.bootstrap, &mut rng);
    Ok(Simulated {
        spells,
        split: c.split,
        end: c.end,
        runs,
        seed,
        threads: c.threads.unwrap_or_else(|| pool.current_num_threads()),
        forecasts,
        y,
        meta,
        multi,
        bands,
        scores,
        differences,
    })
}

/// Per indicator and scored year: the observed adoptions against the runs' counts.
fn count_bands(spells: &Spells, offsets: &[Vec<u8>], split: i32, years: usize) -> Vec<CountBand> {
    let runs = offsets.first().map_or(0, Vec::len);
    let mut out = Vec::new();
    for (indicator, list) in spells.by_indicator() {
        for t in 1..=years {
            let year = split + t as i32;
            let observed = list.iter().filter(|&&h| spells.spells[h].adopted == Some(year)).count();
            let simulated: Vec<usize> = (0..runs)
                .map(|r| list.iter().filter(|&&h| usize::from(offsets[h][r]) == t).count())
                .collect();
            out.push(CountBand::new(indicator, year, observed, &simulated));
        }
    }
    out
}
