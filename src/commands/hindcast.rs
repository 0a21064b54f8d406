//! `blocsim hindcast`: out of sample by time, one year ahead. Fit the weights on the revisions of
//! `start..=split`, then score the forecast probability of every adoption at risk in
//! `split+1..=end`, each year conditional on the observed state at the end of the year before,
//! against baselines on the same cell-years (persistence, a constant hazard per indicator, the
//! scenario's own uncalibrated weights, the calibrated model with the network term off, and two
//! event-history logit hazards: internal covariates only, and with a gravity-weighted spatial lag),
//! with paired state-bootstrap intervals on every score difference. Out of sample by state as well:
//! each subregion's cell-years of `start..=end` forecast by a fit on every other subregion.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use super::hindcast_outputs::Tables;
use super::simhind::{SimModel, estimate_sets};
use crate::calibrate::codebook::Codebook;
use crate::calibrate::covariates::CovariatePath;
use crate::calibrate::forecasts::{DiffRow, Forecast, ScoreRow, difference_rows, score_rows};
use crate::calibrate::hazard::{self, Hazard, Regressors};
use crate::calibrate::likelihood::{Observation, Problem};
use crate::calibrate::observations::{CellModel, Meta, build};
use crate::calibrate::panel::Panel;
use crate::calibrate::{estimate, params};
use crate::error::Error;
use crate::export::write_atomic;
use crate::model::Knobs;

/// The files `hindcast` writes besides the manifest.
pub const FILES: [&str; 4] = ["scores.csv", "differences.csv", "forecasts.csv", "hindcast.json"];

/// The columns of `forecasts.csv`: every scored forecast, so that anyone can rescore.
const FORECAST_HEADER: &str = "window,model,state,indicator,year,p,event\n";

/// The rows of `forecasts.csv` of one window: model by model, cell-year by cell-year, the state by
/// its ISO3 code (`ids`, indexed by `cluster`). A simulated window's year is its last: the forecast
/// is of an adoption by then.
fn forecast_rows(window: &str, forecasts: &[Forecast], y: &[bool], meta: &[Meta], cluster: &[usize], ids: &[String]) -> String {
    let mut s = String::new();
    for f in forecasts {
        for (i, m) in meta.iter().enumerate() {
            let (state, ind, year) = (&ids[cluster[i]], &m.indicator, m.year);
            let _ = writeln!(s, "{window},{},{state},{ind},{year},{:.8},{}", f.model, f.p[i], u8::from(y[i]));
        }
    }
    s
}

/// What `hindcast` should do.
#[derive(Debug, Clone)]
pub struct HindcastCommand {
    pub scenario: String,
    pub sets: Vec<String>,
    pub observed: PathBuf,
    /// First fitted year, last fitted year, last scored year.
    pub start: i32,
    pub split: i32,
    pub end: i32,
    /// Keys to estimate (empty: the default weights).
    pub free: Vec<String>,
    /// Bootstrap replications of the score differences.
    pub bootstrap: usize,
    /// Runs, seed and threads of the simulated window (None: the scenario's batch.runs and
    /// batch.seed, one thread per core).
    pub runs: Option<u64>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub out: Option<PathBuf>,
    pub force: bool,
    pub command: Vec<String>,
}

/// What `hindcast` did.
#[derive(Debug, Clone)]
pub struct HindcastDone {
    pub dir: PathBuf,
    pub scores: Vec<ScoreRow>,
    pub differences: Vec<DiffRow>,
    pub seconds: f64,
}

/// The fit and score observations of one variant of the scenario, with θ̂ and the scenario's θ.
struct Variant {
    /// The scored cell-years (`split+1..=end`), in the order of [`Variant::all`].
    meta: Vec<Meta>,
    fitted: Vec<f64>,
    start: Vec<f64>,
    fit_meta: Vec<Meta>,
    /// Every observation of start..=end, with its meta, the free parameters and each state's
    /// subregion (for the window by state).
    all: Problem,
    all_meta: Vec<Meta>,
    free: Vec<params::FreeParam>,
    subregion: Vec<String>,
    /// The event-history baselines' regressors of every observation of [`Variant::all`].
    hazard: Regressors,
    /// The last fitted year.
    split: i32,
    /// The codebook's observation layers, (indicator, δ).
    layers: Vec<(String, f64)>,
    /// The states' ISO3 codes.
    ids: Vec<String>,
}

impl Variant {
    /// The detection rate of every layer at `theta`: the free ones' values, else the codebook's.
    fn detection(&self, theta: &[f64]) -> BTreeMap<String, f64> {
        let mut out: BTreeMap<String, f64> = self.layers.iter().cloned().collect();
        for (p, &x) in self.free.iter().zip(theta) {
            if let params::Target::Detection(j) = p.target {
                out.insert(self.layers[j].0.clone(), p.from_internal(x).0);
            }
        }
        out
    }
}

/// The positions of `meta` whose cell-years are inside coverage (scored).
fn scored(meta: &[Meta]) -> Vec<usize> {
    (0..meta.len()).filter(|&i| meta[i].scored).collect()
}

/// `v` at the positions `keep`.
fn pick<T: Clone>(v: &[T], keep: &[usize]) -> Vec<T> {
    keep.iter().map(|&i| v[i].clone()).collect()
}

fn variant(c: &HindcastCommand, extra_set: Option<&str>, free: &[String]) -> anyhow::Result<Variant> {
    let mut sets = c.sets.clone();
    sets.extend(extra_set.map(str::to_string));
    let model = super::load(&c.scenario, &sets)?;
    let s = &model.scenario;
    CovariatePath::check_window(&model, c.start, c.end)?;
    let codebook = Codebook::load(&c.observed.join("codebook.toml"), &s.frameworks, &s.domains)?;
    let panel = Panel::load(&c.observed.join("events.csv"), &codebook, &model.world.ids, &s.domains)?;
    let draws = params::centre_draws(s);
    let knobs = Knobs::realize(s, &draws);
    let layers = codebook.layers();
    let acted = |name: &str| {
        panel
            .rows
            .iter()
            .any(|r| r.indicator == name && (c.start..=c.split).contains(&r.year))
    };
    let keys = if free.is_empty() {
        params::default_keys(&layers, acted)
    } else {
        free.to_vec()
    };
    let free = params::parse_free_with(&keys, s, &knobs, &layers)?;
    let mut path = CovariatePath::new(&model, &draws, s.batch.seed);
    let cells = CellModel::new(&model, &free)?;
    let (obs, meta, _) = build(&cells, &panel, &codebook, c.start, c.end, &mut path)?;
    let states: Vec<usize> = obs.iter().map(|o| o.cluster).collect();
    let hazard = hazard::regressors(&model, &panel, &codebook, &meta, &states)?;
    let problem = |obs: Vec<Observation>| Problem {
        frameworks: model.layout.frameworks,
        params: free.len(),
        clusters: model.layout.states,
        obs,
    };
    let all = problem(obs.clone());
    let all_meta = meta.clone();
    let (mut fit_obs, mut fit_meta, mut score_meta) = (Vec::new(), Vec::new(), Vec::new());
    for (o, m) in obs.into_iter().zip(meta) {
        if m.year <= c.split {
            fit_obs.push(o);
            fit_meta.push(m);
        } else {
            score_meta.push(m);
        }
    }
    if !fit_meta.iter().any(|m| m.event) || !score_meta.iter().any(|m| m.scored) {
        return Err(Error::Usage(format!(
            "hindcast {}:{}:{}: the fit years need at least one event and the scored years some cell-years",
            c.start, c.split, c.end
        ))
        .into());
    }
    let fit = estimate(&problem(fit_obs), &free, false)?;
    Ok(Variant {
        meta: score_meta,
        fitted: fit.internal,
        start: free.iter().map(|p| p.to_internal(p.start)).collect(),
        fit_meta,
        all,
        all_meta,
        subregion: model.world.subregion.iter().map(|r| r.to_string()).collect(),
        free,
        hazard,
        split: c.split,
        layers,
        ids: model.world.ids.clone(),
    })
}

/// Out of sample by state: for each subregion, fit on every other state's cell-years of
/// start..=end and forecast the subregion's. Returns, per cell-year of [`Variant::all`], the
/// calibrated forecast, the constant hazard of the other states, the uncalibrated forecast, and
/// the covariates-only and spatial-lag hazards of the other states.
///
/// A subregion whose held-out fit the other states do not identify (a singular information
/// matrix) is not forecast: its cell-years are left NaN in every model, so that the window scores
/// every model on the same cells, and its name is returned.
fn by_subregion(v: &Variant) -> anyhow::Result<([Vec<f64>; 5], Vec<String>)> {
    let mut unfitted = Vec::new();
    let n = v.all.obs.len();
    let (mut cal, mut constant) = (vec![f64::NAN; n], vec![f64::NAN; n]);
    let (mut covariates, mut lagged) = (vec![f64::NAN; n], vec![f64::NAN; n]);
    let y: Vec<bool> = v.all_meta.iter().map(|m| m.event).collect();
    let mut regions: Vec<&str> = v.all.obs.iter().map(|o| v.subregion[o.cluster].as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    for g in regions {
        let held = |i: usize| v.subregion[v.all.obs[i].cluster] == g;
        let train = Problem {
            obs: (0..n).filter(|&i| !held(i)).map(|i| v.all.obs[i].clone()).collect(),
            ..v.all.clone_empty()
        };
        let fit = match estimate(&train, &v.free, false) {
            Ok(fit) => fit,
            Err(Error::Usage(m)) if m.contains("do not identify") => {
                unfitted.push(format!("{g}: {m}"));
                continue;
            }
            Err(e) => return Err(anyhow::anyhow!("leaving out {g}: {e}")),
        };
        let mut rate: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
        for i in (0..n).filter(|&i| !held(i) && v.all_meta[i].scored) {
            let e = rate.entry(v.all_meta[i].indicator.as_str()).or_insert((0.5, 1.0));
            e.0 += f64::from(u8::from(v.all_meta[i].event));
            e.1 += 1.0;
        }
        let rows: Vec<usize> = (0..n).filter(|&i| !held(i) && v.all_meta[i].scored).collect();
        let fit_hazard = |lag| hazard::fit(&v.hazard, &y, &rows, lag).map_err(|e| anyhow::anyhow!("leaving out {g}: {e}"));
        let (h0, h1) = (fit_hazard(false)?, fit_hazard(true)?);
        let forecast = filtered_adoption(&v.all, &v.all_meta, &fit.internal);
        for i in (0..n).filter(|&i| held(i)) {
            cal[i] = forecast[i];
            constant[i] = rate.get(v.all_meta[i].indicator.as_str()).map_or(0.5, |&(e, n)| e / n);
            covariates[i] = h0.probability(&v.hazard, i);
            lagged[i] = h1.probability(&v.hazard, i);
        }
    }
    let mut uncal = filtered_adoption(&v.all, &v.all_meta, &v.start);
    for (u, c) in uncal.iter_mut().zip(&cal) {
        if c.is_nan() {
            *u = f64::NAN;
        }
    }
    Ok(([cal, constant, uncal, covariates, lagged], unfitted))
}

/// P(the cell enters U) in every cell-year of `all` at `theta`, each conditional on what the panel
/// shows up to the year before: the forward filter run over each history (its years outside U update
/// what is known of the cell's framework). Every outcome is replaced by "outside U": that changes
/// only adoption years, which end their history, so the filter's state at each year is the one the
/// real outcomes give, and the predictive probability of "outside U" is one minus the forecast.
fn filtered_adoption(all: &Problem, meta: &[Meta], theta: &[f64]) -> Vec<f64> {
    let full = ((1u16 << all.frameworks) - 1) as u8;
    let survive = Problem {
        obs: all
            .obs
            .iter()
            .zip(meta)
            .map(|(o, m)| Observation {
                outcome: full & !m.union,
                // An act's year becomes a year without one, like every other.
                detection: o.detection.as_ref().map(|d| crate::calibrate::likelihood::Detection {
                    event: false,
                    rate: d.rate.clone(),
                }),
                ..o.clone()
            })
            .collect(),
        ..all.clone_empty()
    };
    survive.predictive(theta).iter().map(|q| 1.0 - q).collect()
}

/// P(adoption) of every scored cell-year at `theta`, filtered over the histories from `start`.
fn event_probabilities(v: &Variant, theta: &[f64]) -> Vec<f64> {
    let all = filtered_adoption(&v.all, &v.all_meta, theta);
    v.all_meta
        .iter()
        .zip(all)
        .filter(|(m, _)| m.year > v.split)
        .map(|(_, p)| p)
        .collect()
}

/// Fit, forecast, score, write `scores.csv`, `differences.csv` and `hindcast.json`.
pub fn hindcast(c: HindcastCommand) -> anyhow::Result<HindcastDone> {
    let t0 = std::time::Instant::now();
    if !(c.start <= c.split && c.split < c.end) {
        return Err(Error::Usage(format!(
            "--start {} --split {} --end {}: expected start <= split < end",
            c.start, c.split, c.end
        ))
        .into());
    }
    if c.bootstrap == 0 {
        return Err(Error::Usage("--bootstrap 0: expected at least 1".into()).into());
    }
    super::check_runs_and_threads(c.runs.unwrap_or(1), 1, c.threads)?;
    let main = variant(&c, None, &c.free)?;
    let free_keys: Vec<String> = main.free.iter().map(|p| p.key.clone()).collect();
    let no_network: Vec<String> = free_keys.iter().filter(|k| *k != "utility.network").cloned().collect();
    let off = variant(&c, Some("utility.network=0"), &no_network)?;
    // The same model with every state at its domain's revision rate (no rate covariates).
    let no_rate_keys: Vec<String> = free_keys.iter().filter(|k| !k.starts_with("rate.")).cloned().collect();
    let no_rate = variant(&c, None, &no_rate_keys)?;
    let y: Vec<bool> = main.meta.iter().map(|m| m.event).collect();
    let cluster_all: Vec<usize> = main.all.obs.iter().map(|o| o.cluster).collect();
    // Constant hazard per indicator from the fit years, (events + ½) / (at risk + 1).
    let mut rate: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for m in main.fit_meta.iter().filter(|m| m.scored) {
        let e = rate.entry(m.indicator.as_str()).or_insert((0.5, 1.0));
        e.0 += f64::from(u8::from(m.event));
        e.1 += 1.0;
    }
    // The event-history hazards, fitted on the fit years' cell-years of `all` (which lists the fit
    // years first, in the order of `fit_meta`, then the scored years in the order of `meta`).
    let y_all: Vec<bool> = main.all_meta.iter().map(|m| m.event).collect();
    let (fit_all, scored): (Vec<usize>, Vec<usize>) = (0..y_all.len()).partition(|&i| main.all_meta[i].year <= c.split);
    let fit_rows: Vec<usize> = fit_all.into_iter().filter(|&i| main.all_meta[i].scored).collect();
    debug_assert!(scored.len() == y.len() && scored.iter().zip(&main.meta).all(|(&i, m)| main.all_meta[i] == *m));
    let hazards: Vec<(&str, Hazard)> = vec![
        ("hazard_covariates", hazard::fit(&main.hazard, &y_all, &fit_rows, false)?),
        ("hazard_spatial_lag", hazard::fit(&main.hazard, &y_all, &fit_rows, true)?),
    ];
    let mut forecasts = vec![
        Forecast {
            model: "calibrated".into(),
            p: event_probabilities(&main, &main.fitted),
        },
        Forecast {
            model: "uncalibrated".into(),
            p: event_probabilities(&main, &main.start),
        },
        Forecast {
            model: "calibrated_network_off".into(),
            p: event_probabilities(&off, &off.fitted),
        },
        Forecast {
            model: "calibrated_no_rate_covariates".into(),
            p: event_probabilities(&no_rate, &no_rate.fitted),
        },
        Forecast {
            model: "constant_hazard".into(),
            p: main
                .meta
                .iter()
                .map(|m| rate.get(m.indicator.as_str()).map_or(0.5, |&(e, n)| e / n))
                .collect(),
        },
        Forecast {
            model: "persistence".into(),
            p: vec![0.0; y.len()],
        },
    ];
    forecasts.extend(hazards.iter().map(|(name, h)| Forecast {
        model: name.to_string(),
        p: scored.iter().map(|&i| h.probability(&main.hazard, i)).collect(),
    }));
    let cluster: Vec<usize> = scored.iter().map(|&i| cluster_all[i]).collect();
    // Only cell-years inside coverage are scored.
    let keep = self::scored(&main.meta);
    let forecasts: Vec<Forecast> = forecasts
        .into_iter()
        .map(|f| Forecast {
            model: f.model,
            p: pick(&f.p, &keep),
        })
        .collect();
    let (y, cluster, time_meta) = (pick(&y, &keep), pick(&cluster, &keep), pick(&main.meta, &keep));
    let ids = main.ids.clone();
    let mut rows = forecast_rows("time", &forecasts, &y, &time_meta, &cluster, &ids);
    let mut rng = crate::rng::run_rng(c.start as u64, 0, crate::rng::Purpose::Dynamics);
    let mut table = score_rows("time", &forecasts, &y, &time_meta);
    let mut differences = difference_rows("time", &forecasts, &y, &cluster, c.bootstrap, &mut rng);
    // Out of sample by state: leave one subregion out, over every year of start..=end.
    let ([cal, constant, uncal, covariates, lagged], unfitted) = by_subregion(&main)?;
    let loso = vec![
        Forecast {
            model: "calibrated".into(),
            p: cal,
        },
        Forecast {
            model: "uncalibrated".into(),
            p: uncal,
        },
        Forecast {
            model: "constant_hazard".into(),
            p: constant,
        },
        Forecast {
            model: "persistence".into(),
            p: vec![0.0; y_all.len()],
        },
        Forecast {
            model: "hazard_covariates".into(),
            p: covariates,
        },
        Forecast {
            model: "hazard_spatial_lag".into(),
            p: lagged,
        },
    ];
    let keep: Vec<usize> = self::scored(&main.all_meta)
        .into_iter()
        .filter(|&i| !loso[0].p[i].is_nan())
        .collect();
    let loso: Vec<Forecast> = loso
        .into_iter()
        .map(|f| Forecast {
            model: f.model,
            p: pick(&f.p, &keep),
        })
        .collect();
    let (y_all, cluster_all_kept, all_meta) = (pick(&y_all, &keep), pick(&cluster_all, &keep), pick(&main.all_meta, &keep));
    rows.push_str(&forecast_rows("subregion", &loso, &y_all, &all_meta, &cluster_all_kept, &ids));
    table.extend(score_rows("subregion", &loso, &y_all, &all_meta));
    differences.extend(difference_rows(
        "subregion",
        &loso,
        &y_all,
        &cluster_all_kept,
        c.bootstrap,
        &mut rng,
    ));
    // Simulated: N runs of the engine from the observed state at the end of split.
    let sim_models = [
        SimModel {
            name: "calibrated".into(),
            sets: estimate_sets(&main.free, &main.fitted, None),
            detection: main.detection(&main.fitted),
        },
        SimModel {
            name: "uncalibrated".into(),
            sets: Vec::new(),
            detection: main.detection(&main.start),
        },
        SimModel {
            name: "calibrated_network_off".into(),
            sets: estimate_sets(&off.free, &off.fitted, Some("utility.network=0")),
            detection: off.detection(&off.fitted),
        },
    ];
    let hazard: BTreeMap<String, f64> = rate.iter().map(|(k, &(e, n))| (k.to_string(), e / n)).collect();
    // The event-history hazards of each (state, indicator) in the first scored year: their
    // covariates do not change, and the spatial lag stays at what the end of split shows.
    let yearly: BTreeMap<(usize, String), [f64; 2]> = scored
        .iter()
        .filter(|&&i| main.all_meta[i].year == c.split + 1)
        .map(|&i| {
            let p = [hazards[0].1.probability(&main.hazard, i), hazards[1].1.probability(&main.hazard, i)];
            ((cluster_all[i], main.all_meta[i].indicator.clone()), p)
        })
        .collect();
    let sim = super::simhind::simulate(&c, &sim_models, &hazard, &yearly)?;
    let states: Vec<usize> = sim.spells.spells.iter().map(|h| h.state).collect();
    rows.push_str(&forecast_rows("simulated", &sim.forecasts, &sim.y, &sim.meta, &states, &ids));
    table.extend(sim.scores.iter().cloned());
    differences.extend(sim.differences.iter().cloned());
    let dir = c.out.clone().unwrap_or_else(|| PathBuf::from("output").join("hindcast"));
    let _lock = crate::outdir::prepare(&dir, c.force)?;
    let reference: BTreeMap<(&str, &str), f64> = table
        .iter()
        .filter(|(_, m, _, _)| m == "constant_hazard")
        .map(|(w, _, i, s)| ((w.as_str(), i.as_str()), s.brier))
        .collect();
    let mut csv = String::from("window,model,indicator,n,events,log_score,brier,brier_skill,roc_auc,pr_auc\n");
    for (w, m, i, s) in &table {
        let skill = reference.get(&(w.as_str(), i.as_str())).map_or(f64::NAN, |b| 1.0 - s.brier / b);
        let _ = writeln!(
            csv,
            "{w},{m},{i},{},{},{:.6},{:.6},{:.6},{:.6},{:.6}",
            s.n, s.events, s.log_score, s.brier, skill, s.roc_auc, s.pr_auc
        );
    }
    write_atomic(&dir.join("scores.csv"), csv.as_bytes())?;
    let mut diff = String::from("window,model,score,calibrated_minus_model,low95,high95\n");
    for (w, m, s, v, lo, hi) in &differences {
        let _ = writeln!(diff, "{w},{m},{s},{v:.6},{lo:.6},{hi:.6}");
    }
    write_atomic(&dir.join("differences.csv"), diff.as_bytes())?;
    write_atomic(&dir.join("forecasts.csv"), format!("{FORECAST_HEADER}{rows}").as_bytes())?;
    let seconds = t0.elapsed().as_secs_f64();
    let json = serde_json::json!({
        "scenario": c.scenario, "observed": c.observed.display().to_string(),
        "windows": {
            "time": {"fit_years": [c.start, c.split], "scored_years": [c.split + 1, c.end],
                     "scored_cell_years": y.len(), "scored_events": y.iter().filter(|&&e| e).count()},
            "subregion": {"years": [c.start, c.end], "scored_cell_years": y_all.len(),
                          "scored_events": y_all.iter().filter(|&&e| e).count(),
                          "subregions_not_fitted": unfitted},
        },
        "hazards": hazards.iter().map(|(name, h)| (name.to_string(), serde_json::json!(h))).collect::<serde_json::Map<_, _>>(),
        "bootstrap": c.bootstrap, "simulated": sim.json(),
    });
    let mut bytes = serde_json::to_vec_pretty(&json).unwrap_or_default();
    bytes.push(b'\n');
    write_atomic(&dir.join("hindcast.json"), &bytes)?;
    let model = super::load(&c.scenario, &c.sets)?;
    let tables = Tables {
        scenario: &model.scenario.name,
        years: (c.start, c.split, c.end),
        scores: &table,
        differences: &differences,
        one_year: (&forecasts, &y),
    };
    super::hindcast_outputs::write(&dir, &sim, &tables, &model.world.ids)?;
    let files: Vec<&str> = FILES.iter().chain(&super::hindcast_outputs::FILES).copied().collect();
    let runs = (sim.runs, sim.threads);
    super::calibrate::write_manifest(&dir, &model, &files, c.command.clone(), seconds, runs)?;
    Ok(HindcastDone {
        dir,
        scores: table,
        differences,
        seconds,
    })
}
