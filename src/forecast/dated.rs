//! A dated forecast (`blocsim forecast`): the model fitted on every panel year up to `last`, then
//! run N times from the observed state at the end of `last` to `horizon`. Each run draws the
//! scenario's free keys from the estimates' multivariate normal (the jackknife covariance, through
//! the `[joint.calibrated]` set of `calibrated.toml`) and each observation layer's detection rate
//! from its estimate's normal on the logit scale, so the forecast carries the estimation
//! uncertainty as well as the simulation's. Per covered history at risk at the end of `last`:
//! P(act by each year) and the median year, to be checked as each year closes.

use std::collections::BTreeMap;

use rand_distr::{Distribution, StandardNormal};

use super::data::{Spec, load_model, variant};
use crate::calibrate::bands::CountBand;
use crate::calibrate::codebook::Codebook;
use crate::calibrate::multiyear::MultiYear;
use crate::calibrate::panel::Panel;
use crate::calibrate::params::{FreeParam, Target};
use crate::calibrate::simulate::Replications;
use crate::calibrate::spells::Spells;
use crate::calibrate::{Fit, estimate};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::rng::{Purpose, run_rng};

/// What the dated forecast gives.
pub struct Dated {
    /// The fit on `spec.start..=last`, its free parameters and its observations' count.
    pub fit: Fit,
    /// The fit's free parameters, in θ order.
    pub free: Vec<FreeParam>,
    /// The fit's observations (cell-years).
    pub observations: usize,
    /// Events (acts) among them.
    pub events: usize,
    /// Last panel year fitted: the runs start from the observed state at its end.
    pub last: i32,
    /// Last year forecast.
    pub horizon: i32,
    /// Runs N.
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// Worker threads used.
    pub threads: usize,
    /// The histories forecast, and per history P(act by each year) and the median year.
    pub spells: Spells,
    /// Per history, in the order of `spells`: P(act by each year) and the median year.
    pub multi: Vec<MultiYear>,
    /// Per indicator and year: the runs' counts of acts (observed: rows already in the panel).
    pub counts: Vec<CountBand>,
    /// The model the runs ran (the calibrated scenario, to `horizon`).
    pub model: Model,
}

/// The options of the simulation: runs, seed and threads (None: the scenario's, one thread per
/// core).
#[derive(Debug, Clone, Copy)]
pub struct DatedOptions {
    /// Runs (None: the scenario's `batch.runs`).
    pub runs: Option<u64>,
    /// Master seed (None: the scenario's `batch.seed`).
    pub seed: Option<u64>,
    /// Worker threads (None: one per core).
    pub threads: Option<usize>,
}

/// Fit on `spec.start..=spec.split` (the last panel year used) and forecast to `spec.end` (the
/// horizon). `calibrated` turns the fit into the text of the calibrated scenario (written by the
/// caller, which also knows its directory), from which the runs are loaded.
pub fn dated(
    spec: &Spec,
    opts: &DatedOptions,
    calibrated: impl FnOnce(&Fit, &[FreeParam], &Model, usize, usize) -> Result<std::path::PathBuf>,
) -> Result<Dated> {
    let (last, horizon) = (spec.split, spec.end);
    let (model, codebook, panel) = load_inputs(spec, last, horizon)?;
    let layers = codebook.layers();
    let keys = free_keys(spec, &codebook, &panel, &layers, last)?;
    let fit_spec = Spec { end: last, ..spec.clone() };
    let (v, meta) = variant(&model, &codebook, &panel, &fit_spec, &layers, &keys, Vec::new())?;
    let events = meta.iter().filter(|m| m.event && m.scored).count();
    if events == 0 {
        return Err(Error::Usage(format!(
            "{}: no covered event falls in the fit years {}:{last}: nothing to estimate from",
            panel.path.display(),
            spec.start
        )));
    }
    let fit = estimate(&v.all, &v.free, false)?;
    // The runs: the calibrated scenario (joint draws of the scenario's keys), to the horizon.
    let path = calibrated(&fit, &v.free, &model, events, v.all.obs.len())?;
    let mut sets = vec![format!("time.end={horizon}")];
    sets.extend(spec.sets.iter().cloned());
    let runs_model = load_model(&path.display().to_string(), &sets)?;
    let runs = opts.runs.unwrap_or(runs_model.scenario.batch.runs);
    let seed = opts.seed.unwrap_or(runs_model.scenario.batch.seed);
    let draws = LayerDraws::new(&layers, &v.free, &fit, seed);
    let detection = |name: &str, r: u64| draws.at(name, r);
    let spells = Spells::at_risk_beyond(&runs_model, &panel, &codebook, last, horizon)?;
    let pool = crate::batch::thread_pool(opts.threads)?;
    let reps = Replications {
        codebook: &codebook,
        panel: &panel,
        split: last,
        end: horizon,
        seed,
        runs,
    };
    let offsets = reps.adoption_years(&runs_model, &spells, &pool, &detection);
    let years = (horizon - last) as usize;
    let multi = offsets.iter().map(|o| MultiYear::from_runs(o, years)).collect();
    let counts = super::simulated::count_bands(&spells, &offsets, last, years);
    Ok(Dated {
        observations: v.all.obs.len(),
        fit,
        free: v.free,
        events,
        last,
        horizon,
        runs,
        seed,
        threads: opts.threads.unwrap_or_else(|| pool.current_num_threads()),
        spells,
        multi,
        counts,
        model: runs_model,
    })
}

/// The model, codebook and panel of a dated forecast fitted on `spec.start..=last` and run to
/// `horizon`, each checked against the years.
fn load_inputs(spec: &Spec, last: i32, horizon: i32) -> Result<(Model, Codebook, Panel)> {
    if !(spec.start <= last && last < horizon) {
        return Err(Error::Usage(format!(
            "--fit-years {}:{last} --horizon {horizon}: expected start <= last < horizon",
            spec.start
        )));
    }
    let model = load_model(&spec.scenario, &spec.sets)?;
    let s = &model.scenario;
    crate::calibrate::covariates::CovariatePath::check_window(&model, spec.start, last)?;
    let codebook = Codebook::load(&spec.observed.join("codebook.toml"), &s.frameworks, &s.domains)?;
    if codebook.first_year > spec.start || codebook.last_year < last {
        return Err(Error::Usage(format!(
            "--fit-years {}:{last}: outside the panel's horizon {}-{} ({})",
            spec.start,
            codebook.first_year,
            codebook.last_year,
            codebook.path.display()
        )));
    }
    let panel = Panel::load(&spec.observed.join("events.csv"), &codebook, &model.world.ids.to_vec(), &s.domains)?;
    Ok((model, codebook, panel))
}

/// The keys the fit frees: `--free`'s, or by default the detection rate of every observation layer
/// with an act in `spec.start..=last` (an error when there is none).
fn free_keys(spec: &Spec, codebook: &Codebook, panel: &Panel, layers: &[(String, f64)], last: i32) -> Result<Vec<String>> {
    let acted = |name: &str| panel.has_row_in(name, spec.start, last);
    if spec.free.is_empty() && !layers.iter().any(|(n, _)| acted(n)) {
        return Err(Error::Usage(format!(
            "{}: no observation layer has an act in {}:{last}, so nothing is free by default; name keys with --free",
            codebook.path.display(),
            spec.start
        )));
    }
    // By default only the detection rates: on the covered cells the weights are not identified
    // (their fit over 2018-2025 runs off to thousands; docs/calibration.md), so they stay at the
    // scenario's values unless `--free` names them.
    Ok(if spec.free.is_empty() {
        layers
            .iter()
            .filter(|(n, _)| acted(n))
            .map(|(n, _)| format!("detect.{n}"))
            .collect()
    } else {
        spec.free.clone()
    })
}

/// Each observation layer's detection rate per run: its estimate's normal on the logit scale (fixed
/// ones stay put), one standard normal per layer in name order from the run's own stream.
struct LayerDraws {
    /// Per layer: the logit of its rate and that logit's standard error.
    delta: BTreeMap<String, (f64, f64)>,
    names: Vec<String>,
    seed: u64,
}

impl LayerDraws {
    /// The draws of the `layers` (name, δ) given the fit of `free`, for the runs of `seed`.
    fn new(layers: &[(String, f64)], free: &[FreeParam], fit: &Fit, seed: u64) -> LayerDraws {
        let mut delta: BTreeMap<String, (f64, f64)> = layers.iter().map(|(n, d)| (n.clone(), ((d / (1.0 - d)).ln(), 0.0))).collect();
        for (a, p) in free.iter().enumerate() {
            if let Target::Detection(j) = p.target {
                let e = &fit.estimates[a];
                let d = e.value;
                delta.insert(layers[j].0.clone(), (fit.internal[a], e.se_jackknife / (d * (1.0 - d))));
            }
        }
        let names: Vec<String> = delta.keys().cloned().collect();
        LayerDraws { delta, names, seed }
    }

    /// The detection rate of layer `name` in run r (None for an outcome without a layer).
    fn at(&self, name: &str, r: u64) -> Option<f64> {
        let (eta, se) = *self.delta.get(name)?;
        // One normal per layer, in name order, from the run's own stream.
        let mut rng = run_rng(self.seed, r, Purpose::Layers);
        let mut z = 0.0;
        for n in &self.names {
            let x: f64 = StandardNormal.sample(&mut rng);
            if n == name {
                z = x;
            }
        }
        Some(1.0 / (1.0 + (-(eta + se * z)).exp()))
    }
}

impl Dated {
    /// `forecast.csv`: per history, `state,indicator,p_by_YEAR...,median_year,observed_year`
    /// (`observed_year`: a row the panel already has after `last`, else empty).
    pub fn forecast_csv(&self) -> String {
        use std::fmt::Write as _;
        let ids = &self.model.world.ids;
        let mut s = String::from("state,indicator");
        for y in self.last + 1..=self.horizon {
            let _ = write!(s, ",p_by_{y}");
        }
        s.push_str(",median_year,observed_year\n");
        for (h, m) in self.spells.spells.iter().zip(&self.multi) {
            let _ = write!(s, "{},{}", &ids[h.state], h.indicator);
            for p in &m.by_year {
                let _ = write!(s, ",{p:.6}");
            }
            let observed = h.adopted.map_or(String::new(), |y| y.to_string());
            let _ = writeln!(s, ",{},{observed}", m.median_text(self.last));
        }
        s
    }
}
