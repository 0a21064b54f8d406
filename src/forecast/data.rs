//! What every forecasting window reads, loaded once: the scenario's model, the codebook and the
//! panel, every observed cell-year of `start..=end` with its outcome and state, the event-history
//! baselines' regressors, and the likelihood problem of each version of blocsim the registry
//! forecasts with (the free keys, network off, rate covariates added).

use std::path::PathBuf;

use crate::calibrate::codebook::Codebook;
use crate::calibrate::covariates::CovariatePath;
use crate::calibrate::hazard::{self, Regressors};
use crate::calibrate::likelihood::Problem;
use crate::calibrate::observations::{CellModel, Meta, build};
use crate::calibrate::panel::Panel;
use crate::calibrate::params::{self, FreeParam};
use crate::error::{Error, Result};
use crate::model::{Knobs, Model};
use crate::scenario::Scenario;

/// What to forecast: the scenario with its overrides, the panel's directory, the first fitted,
/// last fitted and last scored years, and the keys to estimate (empty: the defaults).
#[derive(Debug, Clone)]
pub struct Spec {
    /// Scenario name or path.
    pub scenario: String,
    /// Its `--set` overrides.
    pub sets: Vec<String>,
    /// Directory of the observed panel.
    pub observed: PathBuf,
    /// First fitted year.
    pub start: i32,
    /// Last fitted year; the years after it are forecast.
    pub split: i32,
    /// Last scored year.
    pub end: i32,
    /// Keys to estimate (empty: the defaults).
    pub free: Vec<String>,
}

/// One version of blocsim: its extra overrides, free parameters, θ at the scenario's values and
/// the likelihood of every observation of `start..=end`, in the order of [`Data::meta`].
pub struct Variant {
    /// Overrides this version adds to the scenario's.
    pub sets: Vec<String>,
    /// Its free parameters.
    pub free: Vec<FreeParam>,
    /// θ at the scenario's values (internal scale).
    pub start: Vec<f64>,
    /// The likelihood of every observation of `start..=end`.
    pub all: Problem,
}

/// Index of the main version of blocsim in [`Data::variants`].
pub const MAIN: usize = 0;
/// Index of the version without the network term.
pub const NETWORK_OFF: usize = 1;
/// Index of the version with the revision rate's covariates.
pub const RATE_COVARIATES: usize = 2;

/// The inputs of every window.
pub struct Data {
    /// What was asked.
    pub spec: Spec,
    /// The scenario bound to its world.
    pub model: Model,
    /// The panel's codebook.
    pub codebook: Codebook,
    /// The observed panel.
    pub panel: Panel,
    /// The codebook's observation layers, (indicator, δ).
    pub layers: Vec<(String, f64)>,
    /// Every observed cell-year of `start..=end` (fit years first), its outcome and state.
    pub meta: Vec<Meta>,
    /// Whether each cell-year of [`Data::meta`] acted.
    pub y: Vec<bool>,
    /// Cluster (state) of each cell-year of [`Data::meta`].
    pub cluster: Vec<usize>,
    /// The event-history baselines' regressors of every cell-year.
    pub hazard: Regressors,
    /// [`MAIN`], [`NETWORK_OFF`], [`RATE_COVARIATES`].
    pub variants: Vec<Variant>,
}

/// A scenario with overrides, bound to its world.
pub fn load_model(scenario: &str, sets: &[String]) -> Result<Model> {
    crate::footprint::load_model(Scenario::load(scenario, sets)?)
}

impl Data {
    /// Load and check everything once; refuse years that are out of order or that the scenario or
    /// the panel cannot explain.
    pub fn load(spec: Spec) -> Result<Data> {
        if !(spec.start <= spec.split && spec.split < spec.end) {
            return Err(Error::Usage(format!(
                "--start {} --split {} --end {}: expected start <= split < end",
                spec.start, spec.split, spec.end
            )));
        }
        let model = load_model(&spec.scenario, &spec.sets)?;
        let s = &model.scenario;
        CovariatePath::check_window(&model, spec.start, spec.end)?;
        let codebook = Codebook::load(&spec.observed.join("codebook.toml"), &s.frameworks, &s.domains)?;
        let panel = Panel::load(&spec.observed.join("events.csv"), &codebook, &model.world.ids.to_vec(), &s.domains)?;
        let layers = codebook.layers();
        let acted = |name: &str| panel.has_row_in(name, spec.start, spec.split);
        let keys = if spec.free.is_empty() {
            params::default_keys(&layers, acted)
        } else {
            spec.free.clone()
        };
        let (main, meta) = variant(&model, &codebook, &panel, &spec, &layers, &keys, Vec::new())?;
        let mut with_rate = keys.clone();
        for c in params::RATE_COVARIATES {
            let key = format!("rate.{}", c.key());
            if !with_rate.contains(&key) {
                with_rate.push(key);
            }
        }
        let (with_rate, meta_rate) = variant(&model, &codebook, &panel, &spec, &layers, &with_rate, Vec::new())?;
        let off_sets = vec!["utility.network=0".to_string()];
        let mut sets = spec.sets.clone();
        sets.extend(off_sets.iter().cloned());
        let off_model = load_model(&spec.scenario, &sets)?;
        let off_keys: Vec<String> = keys.iter().filter(|k| *k != "utility.network").cloned().collect();
        let (off, meta_off) = variant(&off_model, &codebook, &panel, &spec, &layers, &off_keys, off_sets)?;
        if meta_rate != meta || meta_off != meta {
            return Err(Error::Usage(
                "hindcast: the versions of the model observe different cell-years".into(),
            ));
        }
        let y: Vec<bool> = meta.iter().map(|m| m.event).collect();
        let cluster: Vec<usize> = main.all.obs.iter().map(|o| o.cluster).collect();
        let hazard = hazard::regressors(&model, &panel, &codebook, &meta, &cluster)?;
        let fit_events = meta.iter().any(|m| m.event && m.scored && m.year <= spec.split);
        if !fit_events || !meta.iter().any(|m| m.scored && m.year > spec.split) {
            return Err(Error::Usage(format!(
                "hindcast {}:{}:{}: the fit years need at least one covered event and the scored years some covered cell-years",
                spec.start, spec.split, spec.end
            )));
        }
        Ok(Data {
            spec,
            model,
            codebook,
            panel,
            layers,
            meta,
            y,
            cluster,
            hazard,
            variants: vec![main, off, with_rate],
        })
    }

    /// The states' ISO3 codes.
    pub fn ids(&self) -> Vec<String> {
        self.model.world.ids.to_vec()
    }

    /// The detection rate of every layer under variant `v` at `theta`: free ones at their value,
    /// the others at the codebook's.
    pub fn detection(&self, v: usize, theta: &[f64]) -> std::collections::BTreeMap<String, f64> {
        let mut out: std::collections::BTreeMap<String, f64> = self.layers.iter().cloned().collect();
        for (p, &x) in self.variants[v].free.iter().zip(theta) {
            if let params::Target::Detection(j) = p.target {
                out.insert(self.layers[j].0.clone(), p.from_internal(x).0);
            }
        }
        out
    }
}

/// The observations of `start..=end` under `model` with `keys` free.
pub fn variant(
    model: &Model,
    codebook: &Codebook,
    panel: &Panel,
    spec: &Spec,
    layers: &[(String, f64)],
    keys: &[String],
    sets: Vec<String>,
) -> Result<(Variant, Vec<Meta>)> {
    let s = &model.scenario;
    let draws = params::centre_draws(s);
    let knobs = Knobs::realize(s, &draws);
    let free = params::parse_free_with(keys, s, &knobs, layers)?;
    let mut path = CovariatePath::new(model, &draws, s.batch.seed);
    let cells = CellModel::new(model, &free)?.with_filtered_partners();
    let (all, meta, _) = build(&cells, panel, codebook, spec.start, spec.end, &mut path)?;
    let start = free.iter().map(|p| p.to_internal(p.start)).collect();
    Ok((Variant { sets, free, start, all }, meta))
}

/// `KEY=VALUE` overrides setting each free scenario parameter to its value at `internal`.
pub fn estimate_sets(free: &[FreeParam], internal: &[f64]) -> Vec<String> {
    free.iter()
        .zip(internal)
        .filter(|(p, _)| p.in_scenario())
        .map(|(p, &x)| format!("{}={}", p.key, p.from_internal(x).0))
        .collect()
}
