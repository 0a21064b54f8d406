//! The one-year-ahead windows, each iterating over the registry: **time** (fit on
//! `start..=split`, forecast every covered cell-year of `split+1..=end`) and **subregion** (for
//! each subregion, fit on every other state's cell-years of `start..=end` and forecast its covered
//! ones). Every model forecasts the same cell-years; a held-out subregion whose fit some model's
//! data do not identify is forecast by none, and named.

use std::collections::BTreeMap;

use super::data::Data;
use rayon::prelude::*;

use super::models::{ForecastModel, Prediction};
use crate::calibrate::forecasts::Forecast;
use crate::calibrate::observations::Meta;
use crate::error::{Error, Result};

/// What a window forecast: per model (registry order) P(act) of each scored cell-year, with the
/// cell-years' indices into [`Data::meta`], outcomes and states.
#[derive(Debug, Clone)]
pub struct Window {
    /// `time` or `subregion`.
    pub name: &'static str,
    /// One per model, in registry order.
    pub forecasts: Vec<Forecast>,
    /// Index of each scored cell-year into [`Data::meta`].
    pub rows: Vec<usize>,
    /// Whether each scored cell-year acted.
    pub y: Vec<bool>,
    /// What each scored cell-year is: indicator, year, outcome.
    pub meta: Vec<Meta>,
    /// Cluster (state) of each scored cell-year.
    pub cluster: Vec<usize>,
    /// Subregions no model forecast, with the reason.
    pub unfitted: Vec<String>,
    /// Each model's fitted θ (internal scale) where it has one: the time window's feed the
    /// simulated window.
    pub thetas: BTreeMap<String, Vec<f64>>,
    /// What each statistical model fitted in the time window (its coefficients).
    pub fitted: BTreeMap<String, serde_json::Value>,
}

impl Window {
    fn assemble(name: &'static str, data: &Data, models: &[Box<dyn ForecastModel>], p: Vec<Vec<f64>>, rows: Vec<usize>) -> Window {
        Window {
            name,
            forecasts: models
                .iter()
                .zip(p)
                .map(|(m, p)| Forecast {
                    model: m.name().to_string(),
                    p: rows.iter().map(|&i| p[i]).collect(),
                })
                .collect(),
            y: rows.iter().map(|&i| data.y[i]).collect(),
            meta: rows.iter().map(|&i| data.meta[i].clone()).collect(),
            cluster: rows.iter().map(|&i| data.cluster[i]).collect(),
            rows,
            unfitted: Vec::new(),
            thetas: BTreeMap::new(),
            fitted: BTreeMap::new(),
        }
    }
}

/// Out of sample by time, one year ahead.
pub fn time(data: &Data, models: &[Box<dyn ForecastModel>]) -> Result<Window> {
    let split = data.spec.split;
    let n = data.meta.len();
    let train: Vec<usize> = (0..n).filter(|&i| data.meta[i].year <= split).collect();
    let target: Vec<usize> = (0..n).filter(|&i| data.meta[i].year > split && data.meta[i].scored).collect();
    let mut p = vec![vec![f64::NAN; n]; models.len()];
    let (mut thetas, mut fitted) = (BTreeMap::new(), BTreeMap::new());
    // One task per model, collected in the registry's order.
    let preds: Vec<Result<Prediction>> = models.par_iter().map(|m| m.forecast(data, &train, &target)).collect();
    for ((m, out), pred) in models.iter().zip(&mut p).zip(preds) {
        let pred = pred?;
        for (&i, x) in target.iter().zip(pred.p) {
            out[i] = x;
        }
        if let Some(t) = pred.theta {
            thetas.insert(m.name().to_string(), t);
        }
        if let Some(f) = pred.fitted {
            fitted.insert(m.name().to_string(), f);
        }
    }
    let mut w = Window::assemble("time", data, models, p, target);
    w.thetas = thetas;
    w.fitted = fitted;
    Ok(w)
}

/// A held-out subregion's forecasts per model, or why one model could not be fitted without it.
type Fitted = std::result::Result<Vec<Vec<f64>>, String>;

/// Out of sample by state: each subregion held out in turn.
pub fn subregion(data: &Data, models: &[Box<dyn ForecastModel>]) -> Result<Window> {
    let n = data.meta.len();
    let region = |i: usize| data.model.world.subregion(data.cluster[i]);
    let mut regions: Vec<&str> = (0..n).map(region).collect();
    regions.sort_unstable();
    regions.dedup();
    let mut p = vec![vec![f64::NAN; n]; models.len()];
    let mut unfitted = Vec::new();
    // One task per subregion, collected in the regions' order.
    let held_out = |g: &str| -> Result<(Vec<usize>, Fitted)> {
        let train: Vec<usize> = (0..n).filter(|&i| region(i) != g).collect();
        let target: Vec<usize> = (0..n).filter(|&i| region(i) == g && data.meta[i].scored).collect();
        let mut preds = Vec::with_capacity(models.len());
        for m in models.iter().filter(|_| !target.is_empty()) {
            match m.forecast(data, &train, &target) {
                Ok(pred) => preds.push(pred.p),
                Err(Error::NotIdentified(why)) => return Ok((target, Err(format!("{g}: {} {why}", m.name())))),
                Err(e) => return Err(Error::Usage(format!("leaving out {g}: {}: {e}", m.name()))),
            }
        }
        Ok((target, Ok(preds)))
    };
    let outcomes: Vec<_> = regions.par_iter().map(|g| held_out(g)).collect();
    for outcome in outcomes {
        let (target, preds) = outcome?;
        let preds = match preds {
            Ok(preds) => preds,
            Err(why) => {
                unfitted.push(why);
                continue;
            }
        };
        for (out, pred) in p.iter_mut().zip(preds) {
            for (&i, x) in target.iter().zip(pred) {
                out[i] = x;
            }
        }
    }
    let rows: Vec<usize> = (0..n).filter(|&i| !p[0][i].is_nan()).collect();
    let mut w = Window::assemble("subregion", data, models, p, rows);
    w.unfitted = unfitted;
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::data::{Data, Spec};
    use crate::forecast::models::{ConstantHazard, registry};
    use std::sync::OnceLock;

    /// The bundled fit scenario and panel, loaded once for every test here.
    fn data() -> &'static Data {
        static DATA: OnceLock<Data> = OnceLock::new();
        DATA.get_or_init(|| {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            Data::load(Spec {
                scenario: root.join("scenarios/data/observed/fit-2017.toml").display().to_string(),
                sets: Vec::new(),
                observed: root.join("scenarios/data/observed"),
                start: 2018,
                split: 2021,
                end: 2025,
                free: Vec::new(),
            })
            .unwrap()
        })
    }

    #[test]
    fn the_registry_names_each_model_once_and_nests_within_it() {
        let models = registry();
        let names: Vec<&str> = models.iter().map(|m| m.name()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "{names:?}");
        assert_eq!(names[0], "calibrated", "differences are taken against the first");
        for m in &models {
            if let Some(outer) = m.nested_in() {
                assert!(names.contains(&outer), "{} nested in unknown {outer}", m.name());
            }
        }
    }

    #[test]
    fn every_model_forecasts_the_same_covered_cell_years_by_time() {
        let d = data();
        let models = registry();
        let w = time(d, &models).unwrap();
        assert!(!w.rows.is_empty());
        assert!(w.rows.iter().all(|&i| d.meta[i].scored && d.meta[i].year > 2021));
        // Every covered scored cell-year is there, once.
        let expected = (0..d.meta.len()).filter(|&i| d.meta[i].scored && d.meta[i].year > 2021).count();
        assert_eq!(w.rows.len(), expected);
        for f in &w.forecasts {
            assert_eq!(f.p.len(), w.rows.len(), "{}", f.model);
            // Probabilities; a fit at a boundary may give exactly 0 (its log score is then −∞).
            let zero = f.model == "persistence";
            assert!(
                f.p.iter().all(|&p| if zero { p == 0.0 } else { (0.0..=1.0).contains(&p) }),
                "{}",
                f.model
            );
        }
        // The engine models keep their fitted θ for the simulated window.
        assert!(w.thetas.contains_key("calibrated") && w.thetas.contains_key("calibrated_network_off"));
        assert!(w.fitted.contains_key("hazard_covariates") && !w.fitted.contains_key("calibrated"));
    }

    #[test]
    fn the_constant_hazard_is_the_shrunk_share_of_covered_training_acts() {
        let d = data();
        let train: Vec<usize> = (0..d.meta.len()).filter(|&i| d.meta[i].year <= 2021).collect();
        let target: Vec<usize> = (0..d.meta.len()).filter(|&i| d.meta[i].year > 2021 && d.meta[i].scored).collect();
        let pred = ConstantHazard.forecast(d, &train, &target).unwrap();
        let (ind, p) = (&d.meta[target[0]].indicator, pred.p[0]);
        let covered: Vec<usize> = train
            .iter()
            .copied()
            .filter(|&i| d.meta[i].scored && &d.meta[i].indicator == ind)
            .collect();
        let acts = covered.iter().filter(|&&i| d.y[i]).count();
        assert_eq!(p, (acts as f64 + 0.5) / (covered.len() as f64 + 1.0));
    }

    #[test]
    fn the_versions_of_blocsim_differ_only_in_what_is_free() {
        let d = data();
        let keys = |v: usize| d.variants[v].free.iter().map(|p| p.key.clone()).collect::<Vec<_>>();
        let main = keys(crate::forecast::data::MAIN);
        assert!(main.iter().any(|k| k == "utility.network") && !main.iter().any(|k| k.starts_with("rate.")));
        assert!(!keys(crate::forecast::data::NETWORK_OFF).iter().any(|k| k == "utility.network"));
        let rate = keys(crate::forecast::data::RATE_COVARIATES);
        assert_eq!(rate.len(), main.len() + 2);
        assert!(rate.iter().any(|k| k == "rate.ln_gdp_per_capita") && rate.iter().any(|k| k == "rate.ln_population"));
        for v in &d.variants {
            assert_eq!(v.all.obs.len(), d.meta.len());
        }
    }
}
