//! The registry of forecasting models. Each implements [`ForecastModel`]: fitted on the cell-years
//! of a window's training set, it forecasts P(act) of each target cell-year, conditional on what
//! the panel shows up to the year before. The data stay in [`Data`]; a model holds only what
//! makes it that model. Adding a model is one entry in [`registry`].

use std::collections::BTreeMap;

use super::data::{Data, MAIN, NETWORK_OFF, RATE_COVARIATES};
use crate::calibrate::estimate;
use crate::calibrate::hazard;
use crate::calibrate::likelihood::{Detection, Observation, Problem};
use crate::calibrate::observations::Meta;
use crate::error::Result;

/// A model's forecasts of a window's targets, and its fitted θ where it has one (internal scale).
#[derive(Debug, Clone)]
pub struct Prediction {
    /// P(act) of each target cell-year, in target order.
    pub p: Vec<f64>,
    /// Fitted θ̂ (internal scale), for a model that has one.
    pub theta: Option<Vec<f64>>,
    /// What a statistical model fitted (its coefficients), for `hindcast.json`.
    pub fitted: Option<serde_json::Value>,
}

/// One forecasting model.
pub trait ForecastModel: Sync {
    /// Its name in every table.
    fn name(&self) -> &'static str;
    /// The model this one is a restriction of, if any (a nested pair in the comparisons).
    fn nested_in(&self) -> Option<&'static str> {
        None
    }
    /// Fit on `train` (indices into [`Data::meta`]) and forecast every cell-year of `target`.
    fn forecast(&self, data: &Data, train: &[usize], target: &[usize]) -> Result<Prediction>;
    /// For a model the engine can run: the overrides and detection rates it runs with at its
    /// fitted `theta` (the simulated window); None for a statistical model.
    fn engine(&self, _data: &Data, _theta: &[f64]) -> Option<(Vec<String>, BTreeMap<String, f64>)> {
        None
    }
}

/// Every model, blocsim's first (the one every difference is taken against).
pub fn registry() -> Vec<Box<dyn ForecastModel>> {
    vec![
        Box::new(Blocsim::new("calibrated", MAIN, true, Some("calibrated_rate_covariates"))),
        Box::new(Blocsim::new("uncalibrated", MAIN, false, Some("calibrated"))),
        Box::new(Blocsim::new("calibrated_network_off", NETWORK_OFF, true, Some("calibrated"))),
        Box::new(Blocsim::new("calibrated_rate_covariates", RATE_COVARIATES, true, None)),
        Box::new(ConstantHazard),
        Box::new(Persistence),
        Box::new(LogitHazard { lag: false }),
        Box::new(LogitHazard { lag: true }),
    ]
}

/// blocsim: the likelihood of one of [`Data::variants`], at θ̂ fitted on the training cell-years
/// (calibrated) or at the scenario's values.
pub struct Blocsim {
    name: &'static str,
    variant: usize,
    calibrated: bool,
    nested_in: Option<&'static str>,
}

impl Blocsim {
    /// The model `name` on version `variant` of [`Data::variants`], fitted when `calibrated`, nested in `nested_in`.
    pub fn new(name: &'static str, variant: usize, calibrated: bool, nested_in: Option<&'static str>) -> Blocsim {
        Blocsim {
            name,
            variant,
            calibrated,
            nested_in,
        }
    }
}

impl ForecastModel for Blocsim {
    fn name(&self) -> &'static str {
        self.name
    }

    fn nested_in(&self) -> Option<&'static str> {
        self.nested_in
    }

    fn forecast(&self, data: &Data, train: &[usize], target: &[usize]) -> Result<Prediction> {
        let v = &data.variants[self.variant];
        let theta = if self.calibrated {
            estimate(&v.all.subset(train), &v.free, false)?.internal
        } else {
            v.start.clone()
        };
        let all = filtered_adoption(&v.all, &data.meta, &theta);
        Ok(Prediction {
            p: target.iter().map(|&i| all[i]).collect(),
            theta: Some(theta),
            fitted: None,
        })
    }

    fn engine(&self, data: &Data, theta: &[f64]) -> Option<(Vec<String>, BTreeMap<String, f64>)> {
        let v = &data.variants[self.variant];
        let mut sets = v.sets.clone();
        if self.calibrated {
            sets.extend(super::data::estimate_sets(&v.free, theta));
        }
        Some((sets, data.detection(self.variant, theta)))
    }
}

/// P(the cell acts) in every cell-year of `all` at `theta`, each conditional on what the panel
/// shows up to the year before: the forward filter run over each history with every outcome
/// replaced by "no act" (that changes only the years of acts, which end their history, so the
/// filter's state at each year is the one the real outcomes give), and in each year the
/// probability of the act itself from the filter's π: the cell in U (times δ with a layer).
pub fn filtered_adoption(all: &Problem, meta: &[Meta], theta: &[f64]) -> Vec<f64> {
    let full = ((1u16 << all.frameworks) - 1) as u8;
    let with = |o: &Observation, act: bool, outcome: u8| Observation {
        outcome,
        detection: o.detection.as_ref().map(|d| Detection {
            event: act,
            rate: d.rate.clone(),
        }),
        ..o.clone()
    };
    let survive = Problem {
        obs: all.obs.iter().zip(meta).map(|(o, m)| with(o, false, full & !m.union)).collect(),
        ..all.clone_empty()
    };
    let act: Vec<Observation> = all.obs.iter().zip(meta).map(|(o, m)| with(o, true, m.union)).collect();
    survive.predictive_of(theta, &act)
}

/// The training cell-years inside coverage: what the statistical baselines are fitted on.
fn scored(data: &Data, train: &[usize]) -> Vec<usize> {
    train.iter().copied().filter(|&i| data.meta[i].scored).collect()
}

/// A constant yearly hazard per indicator, (acts + ½)/(cell-years + 1) of the training set (½
/// for an indicator it has not seen).
pub struct ConstantHazard;

impl ForecastModel for ConstantHazard {
    fn name(&self) -> &'static str {
        "constant_hazard"
    }

    fn forecast(&self, data: &Data, train: &[usize], target: &[usize]) -> Result<Prediction> {
        let mut rate: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
        for i in scored(data, train) {
            let e = rate.entry(data.meta[i].indicator.as_str()).or_insert((0.5, 1.0));
            e.0 += f64::from(u8::from(data.y[i]));
            e.1 += 1.0;
        }
        let p = target
            .iter()
            .map(|&i| rate.get(data.meta[i].indicator.as_str()).map_or(0.5, |&(e, n)| e / n))
            .collect();
        Ok(Prediction {
            p,
            theta: None,
            fitted: None,
        })
    }
}

/// No act, ever: the Brier score's floor for rare events (its log score is −∞ on any act).
pub struct Persistence;

impl ForecastModel for Persistence {
    fn name(&self) -> &'static str {
        "persistence"
    }

    fn forecast(&self, _: &Data, _: &[usize], target: &[usize]) -> Result<Prediction> {
        Ok(Prediction {
            p: vec![0.0; target.len()],
            theta: None,
            fitted: None,
        })
    }
}

/// The event-history logit hazards: the states' covariates, with a gravity-weighted spatial lag
/// of the partners' acts when `lag` ([`crate::calibrate::hazard`]).
pub struct LogitHazard {
    /// With the spatial lag of the partners' acts.
    pub lag: bool,
}

impl ForecastModel for LogitHazard {
    fn name(&self) -> &'static str {
        if self.lag { "hazard_spatial_lag" } else { "hazard_covariates" }
    }

    fn nested_in(&self) -> Option<&'static str> {
        (!self.lag).then_some("hazard_spatial_lag")
    }

    fn forecast(&self, data: &Data, train: &[usize], target: &[usize]) -> Result<Prediction> {
        let h = hazard::fit(&data.hazard, &data.y, &scored(data, train), self.lag)?;
        Ok(Prediction {
            p: target.iter().map(|&i| h.probability(&data.hazard, i)).collect(),
            theta: None,
            fitted: Some(serde_json::json!(h)),
        })
    }
}
