//! `blocsim forecast`: the dated forecast ([`crate::forecast::dated`]). Fit on every panel year up
//! to the last, write the calibrated scenario the runs draw from, run to the horizon, and write
//! `forecast.csv` (per covered history at risk: P(act by each year), the median year), `counts.csv`
//! and its chart, `estimates.csv`, `forecast.json` and the manifest.

use std::path::PathBuf;

use anyhow::Context as _;

use crate::calibrate::observations::Summary;
use crate::calibrate::output::{self, Context};
use crate::export::write_atomic;
use crate::forecast::data::Spec;
use crate::forecast::dated::{Dated, DatedOptions, dated};
use crate::options::{Output, Panel, Plan, Source};

/// The files `forecast` writes besides the manifest.
pub const FILES: [&str; 7] = [
    "forecast.csv",
    "counts.csv",
    "estimates.csv",
    "calibrated.toml",
    "forecast.json",
    "plots/counts.svg",
    "plots/counts.png",
];

/// What `forecast` should do: fit on every panel year up to the last and forecast each covered
/// history at risk to the horizon (default --out: output/<scenario>/forecast).
#[derive(Debug, Clone, clap::Args)]
pub struct ForecastCommand {
    /// The scenario and its overrides.
    #[command(flatten)]
    pub source: Source,
    /// The observed panel and the keys to estimate.
    #[command(flatten)]
    pub panel: Panel,
    /// Calendar years whose revisions are fitted, FIRST:LAST (default 2018:2025; the last is where
    /// the forecast starts).
    #[arg(long, value_name = "FIRST:LAST")]
    pub fit_years: Option<String>,
    /// Last forecast year.
    #[arg(long, default_value_t = 2030)]
    pub horizon: i32,
    /// Runs (default the scenario's batch.runs), their seed and worker threads.
    #[command(flatten)]
    pub plan: Plan,
    /// Output directory (None: `output/<scenario>/forecast`).
    #[command(flatten)]
    pub output: Output,
    /// The command line, for the manifest (set by the caller).
    #[arg(skip)]
    pub command: Vec<String>,
}

/// What `forecast` did.
pub struct ForecastDone {
    /// The output directory.
    pub dir: PathBuf,
    /// The dated forecast: P(act by each year) per history at risk.
    pub dated: Dated,
    /// Wall-clock seconds the command took.
    pub seconds: f64,
}

/// Fit, simulate to the horizon, write.
pub fn forecast(c: ForecastCommand) -> anyhow::Result<ForecastDone> {
    let t0 = std::time::Instant::now();
    let (first, last) = super::calibrate::parse_years(c.fit_years.as_deref().unwrap_or("2018:2025"))?;
    super::check_runs_and_threads(c.plan.runs().unwrap_or(1), 1, c.plan.threads)?;
    // The scenario alone names the output directory; its world is built once, by the fit.
    let name = crate::scenario::Scenario::load(&c.source.scenario, c.source.sets())?.name;
    let dir = c
        .output
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&name).join("forecast"));
    let _lock = crate::outdir::prepare(&dir, c.output.force)?;
    let extends = super::calibrate::extends_of(&c.source.scenario);
    let spec = Spec {
        scenario: c.source.scenario.clone(),
        sets: c.source.set.sets.clone(),
        observed: c.panel.observed.clone(),
        start: first,
        split: last,
        end: c.horizon,
        free: c.panel.free.clone(),
    };
    let opts = DatedOptions {
        runs: c.plan.runs(),
        seed: c.plan.seed(),
        threads: c.plan.threads,
    };
    let calibrated =
        |fit: &crate::calibrate::Fit, free: &[crate::calibrate::params::FreeParam], m: &crate::model::Model, events, observations| {
            let ctx = Context {
                scenario: m.scenario.name.clone(),
                extends: extends.clone(),
                observed: c.panel.observed.display().to_string(),
                fit_years: (first, last),
                lambda: crate::model::Knobs::realize(&m.scenario, &crate::calibrate::params::centre_draws(&m.scenario)).lambda,
                seconds: 0.0,
            };
            let summary = Summary {
                events,
                observations,
                ..Summary::default()
            };
            let path = dir.join("calibrated.toml");
            write_atomic(&path, output::calibrated_toml(fit, free, &summary, &ctx).as_bytes())?;
            write_atomic(&dir.join("estimates.csv"), output::estimates_csv(fit).as_bytes())?;
            Ok(path)
        };
    let d = dated(&spec, &opts, calibrated).with_context(|| format!("forecast of {}", c.source.scenario))?;
    write_atomic(&dir.join("forecast.csv"), d.forecast_csv().as_bytes())?;
    let bands = vec![("calibrated".to_string(), d.counts.clone())];
    write_atomic(&dir.join("counts.csv"), super::simhind_files::counts_csv(&bands, false).as_bytes())?;
    let json = serde_json::json!({
        "scenario": c.source.scenario, "observed": c.panel.observed.display().to_string(),
        "fit_years": [first, last], "horizon": c.horizon, "events": d.events, "observations": d.observations,
        "loglik": d.fit.loglik, "converged": d.fit.converged,
        "runs": d.runs, "seed": d.seed, "histories": d.spells.spells.len(),
        "uncertainty": "each run draws the scenario's free keys from [joint.calibrated] (calibrated.toml) and each layer's detection rate from its estimate's normal on the logit scale (state-jackknife SE)",
    });
    let mut bytes = serde_json::to_vec_pretty(&json).unwrap_or_default();
    bytes.push(b'\n');
    write_atomic(&dir.join("forecast.json"), &bytes)?;
    crate::plot::counts::plot_counts(&dir, &name, &crate::plot::PlotOptions::default())?;
    let seconds = t0.elapsed().as_secs_f64();
    super::calibrate::write_manifest(&dir, &d.model, &FILES, c.command.clone(), seconds, (d.runs, d.threads))?;
    Ok(ForecastDone { dir, dated: d, seconds })
}
