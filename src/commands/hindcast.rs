//! `blocsim hindcast`: every model of the forecasting registry ([`crate::forecast`]) out of sample
//! by time (fit `start..=split`, forecast `split+1..=end` one year ahead), by subregion (each held
//! out in turn) and simulated (N engine runs over `split+1..=end`), scored on the same covered
//! cell-years, with paired state-bootstrap differences against calibrated blocsim and a
//! state-clustered test of every pair. The pipeline: load, windows, simulate, compare, write.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::hindcast_outputs::Tables;
use crate::calibrate::forecasts::{DiffRow, Forecast, ScoreRow, difference_rows, score_rows};
use crate::error::Error;
use crate::export::write_atomic;
use crate::forecast::compare::{Comparison, comparisons_csv, every_pair};
use crate::forecast::data::{Data, Spec};
use crate::forecast::models::registry;
use crate::forecast::simulated::{SimOptions, simulate};
use crate::forecast::windows::{self, Window};
use crate::options::{Output, Panel, Plan, Source};

/// The files `hindcast` writes besides the manifest and [`super::hindcast_outputs::FILES`].
pub const FILES: [&str; 5] = ["scores.csv", "differences.csv", "comparisons.csv", "forecasts.csv", "hindcast.json"];

/// What `hindcast` should do: fit on start..=split and score adoption forecasts of
/// split+1..=end against baselines (default --out: output/hindcast).
#[derive(Debug, Clone, clap::Args)]
pub struct HindcastCommand {
    /// The scenario and its overrides.
    #[command(flatten)]
    pub source: Source,
    /// The observed panel and the keys to estimate.
    #[command(flatten)]
    pub panel: Panel,
    /// First fitted year.
    #[arg(long, default_value_t = 2018)]
    pub start: i32,
    /// Last fitted year (the scores cover the years after it).
    #[arg(long, default_value_t = 2021)]
    pub split: i32,
    /// Last scored year.
    #[arg(long, default_value_t = 2025)]
    pub end: i32,
    /// Bootstrap replications of the score differences (resampling states).
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Runs of the simulated window (--runs, default the scenario's batch.runs), their seed
    /// and worker threads.
    #[command(flatten)]
    pub plan: Plan,
    /// Output directory (None: `output/hindcast`).
    #[command(flatten)]
    pub output: Output,
    /// The command line, for the manifest (set by the caller).
    #[arg(skip)]
    pub command: Vec<String>,
}

/// What `hindcast` did.
#[derive(Debug, Clone)]
pub struct HindcastDone {
    /// The output directory.
    pub dir: PathBuf,
    /// Scores per window, model and indicator (`pooled` for all).
    pub scores: Vec<ScoreRow>,
    /// Differences of the calibrated model's scores from each other model's, with bootstrap intervals.
    pub differences: Vec<DiffRow>,
    /// Every pair of models compared on the same cell-years.
    pub comparisons: Vec<Comparison>,
    /// Wall-clock seconds the command took.
    pub seconds: f64,
}

/// Load, forecast in every window, compare, write.
pub fn hindcast(c: HindcastCommand) -> anyhow::Result<HindcastDone> {
    let t0 = std::time::Instant::now();
    if c.bootstrap == 0 {
        return Err(Error::Usage("--bootstrap 0: expected at least 1".into()).into());
    }
    super::check_runs_and_threads(c.plan.runs().unwrap_or(1), 1, c.plan.threads)?;
    let data = Data::load(Spec {
        scenario: c.source.scenario.clone(),
        sets: c.source.set.sets.clone(),
        observed: c.panel.observed.clone(),
        start: c.start,
        split: c.split,
        end: c.end,
        free: c.panel.free.clone(),
    })?;
    let models = registry();
    let time = windows::time(&data, &models)?;
    let by_state = windows::subregion(&data, &models)?;
    let opts = SimOptions {
        runs: c.plan.runs(),
        seed: c.plan.seed(),
        threads: c.plan.threads,
        bootstrap: c.bootstrap,
    };
    let sim = simulate(&data, &models, &time, &opts)?;
    let nested = |a: &str, b: &str| {
        let of = |x: &str| models.iter().find(|m| m.name() == x).and_then(|m| m.nested_in());
        of(a) == Some(b) || of(b) == Some(a)
    };
    let mut rng = crate::rng::run_rng(c.start as u64, 0, crate::rng::Purpose::Dynamics);
    let (mut scores, mut differences, mut comparisons, mut rows) = (Vec::new(), Vec::new(), Vec::new(), String::new());
    for w in [&time, &by_state] {
        scores.extend(score_rows(w.name, &w.forecasts, &w.y, &w.meta));
        differences.extend(difference_rows(w.name, &w.forecasts, &w.y, &w.cluster, c.bootstrap, &mut rng));
        comparisons.extend(every_pair(w.name, &w.forecasts, &w.y, &w.cluster, nested));
        rows.push_str(&forecast_rows(w.name, &w.forecasts, &w.y, &w.meta, &w.cluster, &data.ids()));
    }
    let states: Vec<usize> = sim.spells.spells.iter().map(|h| h.state).collect();
    scores.extend(sim.scores.iter().cloned());
    differences.extend(sim.differences.iter().cloned());
    comparisons.extend(every_pair("simulated", &sim.forecasts, &sim.y, &states, nested));
    rows.push_str(&forecast_rows("simulated", &sim.forecasts, &sim.y, &sim.meta, &states, &data.ids()));

    let dir = c.output.out.clone().unwrap_or_else(|| PathBuf::from("output").join("hindcast"));
    let _lock = crate::outdir::prepare(&dir, c.output.force)?;
    write_atomic(&dir.join("scores.csv"), scores_csv(&scores).as_bytes())?;
    write_atomic(&dir.join("differences.csv"), differences_csv(&differences).as_bytes())?;
    write_atomic(&dir.join("comparisons.csv"), comparisons_csv(&comparisons).as_bytes())?;
    write_atomic(&dir.join("forecasts.csv"), format!("{FORECAST_HEADER}{rows}").as_bytes())?;
    let json = serde_json::json!({
        "scenario": c.source.scenario, "observed": c.panel.observed.display().to_string(),
        "models": models.iter().map(|m| serde_json::json!({"name": m.name(), "nested_in": m.nested_in()})).collect::<Vec<_>>(),
        "windows": {
            "time": {"fit_years": [c.start, c.split], "scored_years": [c.split + 1, c.end],
                     "scored_cell_years": time.y.len(), "scored_events": events(&time)},
            "subregion": {"years": [c.start, c.end], "scored_cell_years": by_state.y.len(),
                          "scored_events": events(&by_state), "subregions_not_fitted": by_state.unfitted},
        },
        "hazards": time.fitted, "bootstrap": c.bootstrap, "simulated": sim.json(),
    });
    let mut bytes = serde_json::to_vec_pretty(&json).unwrap_or_default();
    bytes.push(b'\n');
    write_atomic(&dir.join("hindcast.json"), &bytes)?;
    let tables = Tables {
        scenario: &data.model.scenario.name,
        years: (c.start, c.split, c.end),
        scores: &scores,
        differences: &differences,
        one_year: (&time.forecasts, &time.y),
    };
    super::hindcast_outputs::write(&dir, &sim, &tables, &data.ids())?;
    let files: Vec<&str> = FILES.iter().chain(&super::hindcast_outputs::FILES).copied().collect();
    let seconds = t0.elapsed().as_secs_f64();
    super::calibrate::write_manifest(&dir, &data.model, &files, c.command.clone(), seconds, (sim.runs, sim.threads))?;
    Ok(HindcastDone {
        dir,
        scores,
        differences,
        comparisons,
        seconds,
    })
}

fn events(w: &Window) -> usize {
    w.y.iter().filter(|&&e| e).count()
}

/// `scores.csv`, with each score's Brier skill against the window's constant hazard.
fn scores_csv(table: &[ScoreRow]) -> String {
    let reference: std::collections::BTreeMap<(&str, &str), f64> = table
        .iter()
        .filter(|(_, m, _, _)| m == "constant_hazard")
        .map(|(w, _, i, s)| ((w.as_str(), i.as_str()), s.brier))
        .collect();
    let mut csv = String::from("window,model,indicator,n,events,log_score,brier,brier_skill,roc_auc,pr_auc\n");
    for (w, m, i, s) in table {
        let skill = reference.get(&(w.as_str(), i.as_str())).map_or(f64::NAN, |b| 1.0 - s.brier / b);
        let _ = writeln!(
            csv,
            "{w},{m},{i},{},{},{:.6},{:.6},{:.6},{:.6},{:.6}",
            s.n, s.events, s.log_score, s.brier, skill, s.roc_auc, s.pr_auc
        );
    }
    csv
}

/// `differences.csv`: calibrated minus every other model, paired state bootstrap.
fn differences_csv(rows: &[DiffRow]) -> String {
    let mut diff = String::from("window,model,score,calibrated_minus_model,low95,high95\n");
    for (w, m, s, v, lo, hi) in rows {
        let _ = writeln!(diff, "{w},{m},{s},{v:.6},{lo:.6},{hi:.6}");
    }
    diff
}

/// The columns of `forecasts.csv`: every scored forecast, so that anyone can rescore.
const FORECAST_HEADER: &str = "window,model,state,indicator,year,p,event\n";

/// The rows of `forecasts.csv` of one window: model by model, cell-year by cell-year, the state by
/// its ISO3 code. A simulated window's year is its last: the forecast is of an act by then.
fn forecast_rows(
    window: &str,
    forecasts: &[Forecast],
    y: &[bool],
    meta: &[crate::calibrate::observations::Meta],
    cluster: &[usize],
    ids: &[String],
) -> String {
    let mut s = String::new();
    for f in forecasts {
        for (i, m) in meta.iter().enumerate() {
            let (state, ind, year) = (&ids[cluster[i]], &m.indicator, m.year);
            let _ = writeln!(s, "{window},{},{state},{ind},{year},{:.8},{}", f.model, f.p[i], u8::from(y[i]));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::observations::Meta;

    #[test]
    fn forecast_rows_name_states_and_years() {
        let meta = Meta {
            indicator: "cbpr".into(),
            year: 2023,
            event: true,
            union: 0b010,
            scored: true,
        };
        let f = [Forecast {
            model: "m".into(),
            p: vec![0.25],
        }];
        let rows = forecast_rows("time", &f, &[true], &[meta], &[1], &["AAA".into(), "BBB".into()]);
        assert_eq!(rows, "time,m,BBB,cbpr,2023,0.25000000,1\n");
    }
}
