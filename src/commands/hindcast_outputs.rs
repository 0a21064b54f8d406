//! The files `hindcast` writes after its score tables: the simulated window's tables, the
//! reliability diagram and count-band chart, and `report.html`.

use std::path::Path;

use crate::calibrate::bands::coverage;
use crate::calibrate::forecasts::{DiffRow, Forecast, ScoreRow};
use crate::calibrate::report::{HindcastPage, StateRow};
use crate::error::Result;
use crate::export::write_atomic;
use crate::plot::PlotOptions;
use crate::plot::counts::plot_counts;
use crate::plot::reliability::plot_reliability;

use super::simhind_files::{reliability, write_reliability};
use crate::forecast::simulated::Simulated;

/// The files written here, in the manifest's order.
pub const FILES: [&str; 9] = [
    "states.csv",
    "counts.csv",
    "reliability.csv",
    "brier_decomposition.csv",
    "plots/reliability.svg",
    "plots/reliability.png",
    "plots/counts.svg",
    "plots/counts.png",
    "report.html",
];

/// What the report reads besides the simulated window.
pub struct Tables<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// First fitted, last fitted and last scored year.
    pub years: (i32, i32, i32),
    /// Scores per window, model and indicator.
    pub scores: &'a [ScoreRow],
    /// Score differences from the calibrated model.
    pub differences: &'a [DiffRow],
    /// The one-year-ahead forecasts of the window by time and their outcomes.
    pub one_year: (&'a [Forecast], &'a [bool]),
}

/// Write every file of [`FILES`] into `dir`.
pub fn write(dir: &Path, sim: &Simulated, t: &Tables, ids: &[String]) -> Result<()> {
    write_atomic(&dir.join("states.csv"), sim.states_csv(ids).as_bytes())?;
    write_atomic(&dir.join("counts.csv"), sim.counts_csv().as_bytes())?;
    let rel = reliability(&[("time", t.one_year.0, t.one_year.1), ("simulated", &sim.forecasts, &sim.y)]);
    write_reliability(dir, &rel)?;
    let opts = PlotOptions::default();
    plot_reliability(dir, t.scenario, &opts)?;
    plot_counts(dir, t.scenario, &opts)?;
    let model = &sim.bands[0].0;
    let svg = |name: &str| -> Result<String> {
        let path = dir.join("plots").join(name);
        std::fs::read_to_string(&path).map_err(|source| crate::error::Error::Read { path, source })
    };
    let states: Vec<StateRow> = sim
        .spells
        .spells
        .iter()
        .zip(&sim.multi[0].1)
        .map(|(h, m)| {
            (
                ids[h.state].clone(),
                h.indicator.clone(),
                h.adopted,
                m.by_end(),
                m.median_text(sim.split),
            )
        })
        .collect();
    let page = HindcastPage {
        scenario: t.scenario,
        years: t.years,
        runs: sim.runs,
        seed: sim.seed,
        scores: t.scores,
        differences: t.differences,
        decomposition: rel.iter().map(|(w, m, _, d)| (w.clone(), m.clone(), *d)).collect(),
        coverage: sim
            .bands
            .iter()
            .map(|(m, b)| {
                let ((c50, c90), (sd50, sd90)) = coverage(b);
                (m.clone(), b.len(), c50, c90, sd50, sd90)
            })
            .collect(),
        states,
        not_scored: sim.spells.inside_union.values().sum(),
        charts: vec![
            (
                "Reliability diagram".into(),
                "Observed rate against mean forecast per bin; bins in reliability.csv, the decomposition above.".into(),
                svg("reliability.svg")?,
            ),
            (
                "Yearly adoptions against the simulated bands".into(),
                format!(
                    "Per indicator and year, the observed number of adoptions and the {} runs' 50% and 90% bands (model {model}).",
                    sim.runs
                ),
                svg("counts.svg")?,
            ),
        ],
    };
    write_atomic(&dir.join("report.html"), page.render().as_bytes())
}
