//! The simulated window: every model of the registry that runs on the engine is simulated N times
//! from the observed state at the end of `split` to `end`, at its parameters fitted in the time
//! window, and scored on what happened over the whole window (P(act by the end) of every covered
//! history at risk), with yearly act counts against the runs' bands. Every other model compounds
//! its time-window forecast of `split + 1` over the window (its covariates do not change; a
//! spatial lag stays at what the end of `split` shows). See docs/calibration.md.

use std::collections::BTreeMap;

use super::data::{Data, load_model};
use super::models::ForecastModel;
use super::windows::Window;
use crate::calibrate::bands::CountBand;
use crate::calibrate::forecasts::{DiffRow, Forecast, ScoreRow, difference_rows, score_rows};
use crate::calibrate::multiyear::MultiYear;
use crate::calibrate::observations::Meta;
use crate::calibrate::simulate::Replications;
use crate::calibrate::spells::Spells;
use crate::error::{Error, Result};

/// Runs, seed and threads of the window (None: the scenario's `batch.runs` and `batch.seed`, one
/// thread per core), and the bootstrap replications of its differences.
#[derive(Debug, Clone, Copy)]
pub struct SimOptions {
    /// Runs (None: the scenario's `batch.runs`).
    pub runs: Option<u64>,
    /// Master seed (None: the scenario's `batch.seed`).
    pub seed: Option<u64>,
    /// Worker threads (None: one per core).
    pub threads: Option<usize>,
    /// Bootstrap replications of the paired differences' intervals.
    pub bootstrap: usize,
}

/// What the simulated window gives.
pub struct Simulated {
    /// The histories at risk at the end of `split`.
    pub spells: Spells,
    /// Last fitted year: the runs start from the observed state at its end.
    pub split: i32,
    /// Last scored year.
    pub end: i32,
    /// Runs N.
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// Worker threads used.
    pub threads: usize,
    /// P(adopted by the end) of every history, per model (registry order), and the outcomes.
    pub forecasts: Vec<Forecast>,
    /// Whether each history adopted by `end`, in the order of `spells`.
    pub y: Vec<bool>,
    /// What each history's observation is: indicator, year, outcome.
    pub meta: Vec<Meta>,
    /// Per engine model: the multi-year forecast of every history and the yearly count bands.
    pub multi: Vec<(String, Vec<MultiYear>)>,
    /// Per engine model: the yearly count bands of each indicator.
    pub bands: Vec<(String, Vec<CountBand>)>,
    /// Scores of every model, pooled and per indicator.
    pub scores: Vec<ScoreRow>,
    /// Mean score differences of calibrated blocsim from every other model, with their intervals.
    pub differences: Vec<DiffRow>,
}

/// Simulate and score the window for every model of `models`, reading the fits of `time`.
pub fn simulate(data: &Data, models: &[Box<dyn ForecastModel>], time: &Window, opts: &SimOptions) -> Result<Simulated> {
    let spec = &data.spec;
    let (split, end) = (spec.split, spec.end);
    let years = (end - split) as usize;
    let s = &data.model.scenario;
    let runs = opts.runs.unwrap_or(s.batch.runs);
    let seed = opts.seed.unwrap_or(s.batch.seed);
    let spells = Spells::at_risk(&data.model, &data.panel, &data.codebook, split, end)?;
    let pool = crate::batch::thread_pool(opts.threads)?;
    let reps = Replications {
        codebook: &data.codebook,
        panel: &data.panel,
        split,
        end,
        seed,
        runs,
    };
    let y: Vec<bool> = spells.spells.iter().map(|h| h.adopted.is_some()).collect();
    let meta = spell_meta(&spells, &y, end);
    // Each model's time-window forecast of split + 1, per (state, indicator).
    let first_year: Vec<usize> = (0..time.rows.len()).filter(|&j| time.meta[j].year == split + 1).collect();
    let (mut forecasts, mut multi, mut bands) = (Vec::new(), Vec::new(), Vec::new());
    for (m, f) in models.iter().zip(&time.forecasts) {
        let theta = time.thetas.get(m.name());
        if let Some((sets, detection)) = theta.and_then(|t| m.engine(data, t)) {
            let mut all = spec.sets.clone();
            all.extend(sets);
            let model = load_model(&spec.scenario, &all)?;
            let offsets = reps.adoption_years(&model, &spells, &pool, &|name, _| detection.get(name).copied());
            let my: Vec<MultiYear> = offsets.iter().map(|o| MultiYear::from_runs(o, years)).collect();
            forecasts.push(Forecast {
                model: m.name().to_string(),
                p: my.iter().map(MultiYear::by_end).collect(),
            });
            bands.push((m.name().to_string(), count_bands(&spells, &offsets, split, years)));
            multi.push((m.name().to_string(), my));
            continue;
        }
        forecasts.push(Forecast {
            model: m.name().to_string(),
            p: compounded(data, &spells, time, f, &first_year, split, years)?,
        });
    }
    let cluster: Vec<usize> = spells.spells.iter().map(|h| h.state).collect();
    let scores = score_rows("simulated", &forecasts, &y, &meta);
    let mut rng = crate::rng::run_rng(spec.start as u64, 1, crate::rng::Purpose::Dynamics);
    let differences = difference_rows("simulated", &forecasts, &y, &cluster, opts.bootstrap, &mut rng);
    Ok(Simulated {
        spells,
        split,
        end,
        runs,
        seed,
        threads: opts.threads.unwrap_or_else(|| pool.current_num_threads()),
        forecasts,
        y,
        meta,
        multi,
        bands,
        scores,
        differences,
    })
}

/// What each spell's observation is about: its indicator, the last scored year `end`, whether it
/// acted (`y`) and its indicator's union.
fn spell_meta(spells: &Spells, y: &[bool], end: i32) -> Vec<Meta> {
    spells
        .spells
        .iter()
        .zip(y)
        .map(|(h, &event)| Meta {
            indicator: h.indicator.clone(),
            year: end,
            event,
            union: h.union,
            scored: true,
        })
        .collect()
}

/// A model without an engine: its time-window forecast `f` of split + 1 (the rows `first_year` of
/// the window), compounded over the `years` scored years for each spell; a spell without that
/// forecast is an error.
fn compounded(
    data: &Data,
    spells: &Spells,
    time: &Window,
    f: &Forecast,
    first_year: &[usize],
    split: i32,
    years: usize,
) -> Result<Vec<f64>> {
    let yearly: BTreeMap<(usize, &str), f64> = first_year
        .iter()
        .map(|&j| ((time.cluster[j], time.meta[j].indicator.as_str()), f.p[j]))
        .collect();
    spells
        .spells
        .iter()
        .map(|h| {
            let h1 = yearly.get(&(h.state, h.indicator.as_str())).ok_or_else(|| {
                Error::Usage(format!(
                    "hindcast: no covered cell-year of {} at risk of {} in {}",
                    data.ids()[h.state],
                    h.indicator,
                    split + 1
                ))
            })?;
            Ok(1.0 - (1.0 - h1).powi(years as i32))
        })
        .collect::<Result<Vec<f64>>>()
}

/// Per indicator and scored year: the observed acts against the runs' counts.
pub fn count_bands(spells: &Spells, offsets: &[Vec<u8>], split: i32, years: usize) -> Vec<CountBand> {
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
