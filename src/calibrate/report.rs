//! `report.html` of a hindcast: one self-contained page (inline SVG, no other file) with the
//! design, the pooled scores of every window against the baselines with the paired intervals, a
//! plain list of where blocsim does not beat a baseline, the Brier decomposition and reliability
//! diagram, the yearly-count bands with their coverage, and the histories whose forecast missed
//! most. Built from the results only, with fixed precision, so the same results give the same bytes.

use std::fmt::Write as _;

use super::forecasts::{DiffRow, ScoreRow};
use super::reliability::Decomposition;
use super::verdict::{Outcome, outcome, sentence};
use crate::export::html::{esc, page_head};

/// One row of the per-state table: state, indicator, observed year, P(adopted by end), median year.
pub type StateRow = (String, String, Option<i32>, f64, String);

/// Everything the page shows.
pub struct HindcastPage<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// First fitted, last fitted and last scored year.
    pub years: (i32, i32, i32),
    /// Runs of the simulated window.
    pub runs: u64,
    /// Master seed of the simulated window.
    pub seed: u64,
    /// Scores of every window and model, pooled and per indicator.
    pub scores: &'a [ScoreRow],
    /// Mean score differences of calibrated blocsim from every other model, with their intervals.
    pub differences: &'a [DiffRow],
    /// (window, model, Brier decomposition) of each reliability diagram.
    pub decomposition: Vec<(String, String, Decomposition)>,
    /// Per simulated model: indicator-years, coverage of the 50% and 90% bands, their binomial sds.
    pub coverage: Vec<(String, usize, f64, f64, f64, f64)>,
    /// Per-state rows, largest miss first.
    pub states: Vec<StateRow>,
    /// Histories at risk that the panel places inside U (not scored).
    pub not_scored: usize,
    /// (title, caption, SVG text).
    pub charts: Vec<(String, String, String)>,
}

/// The number of per-state rows shown (largest |observed − predicted| first).
pub const STATE_ROWS: usize = 30;

fn f(x: f64, d: usize) -> String {
    if x.is_finite() {
        format!("{x:.d$}")
    } else {
        "\u{2212}\u{221e}".into()
    }
}

impl HindcastPage<'_> {
    /// The whole page.
    pub fn render(&self) -> String {
        let (start, split, end) = self.years;
        let mut h = String::new();
        page_head(&mut h, &format!("blocsim hindcast: {}", self.scenario));
        let _ = writeln!(
            h,
            "<p class=\"lead\">Weights fitted by maximum likelihood on the revisions of {start}\u{2013}{split}; every forecast below is scored on {}\u{2013}{end}, out of sample by time (window <b>time</b>: one year ahead; window <b>simulated</b>: {} runs of the engine, seed {}), or by state (window <b>subregion</b>: each UN subregion forecast by a fit on all others).</p>",
            split + 1,
            self.runs,
            self.seed
        );
        let _ = writeln!(
            h,
            "<h2>Design</h2>\n<ul><li><b>time</b>: the probability that each history at risk adopts in year t, conditional on the observed state at the end of t\u{2212}1 (the forward filter run over the history's earlier years).</li><li><b>simulated</b>: the fitted model, run by the engine from the observed state at the end of {split} (pinned where the panel places a cell in one framework, drawn from the scenario's initial shares restricted to what the panel says otherwise; a history at risk starts outside its indicator's set), with GDPR adequacy dated by the panel each year. Scored: P(adopted by {end}) of every history at risk at the end of {split}. {} histories that the panel already places inside their indicator's set are not scored.</li><li><b>Baselines</b>: persistence (no adoption), a constant hazard per indicator from the fit years (over the window: 1\u{2212}(1\u{2212}h)<sup>years</sup>), two event-history logit hazards fitted on the fit years (internal covariates only: log GDP per capita, log population, freedom index; and the same with a gravity-weighted spatial lag of partners' adoptions, held at the end of {split} over the simulated window), the uncalibrated scenario, and the calibrated model with the network term off; all on the same histories. Differences are calibrated \u{2212} baseline with 95% intervals from a paired bootstrap over states.</li></ul>",
            self.not_scored
        );
        self.scores_table(&mut h);
        self.verdicts(&mut h);
        self.decomposition_table(&mut h);
        for (title, caption, svg) in &self.charts {
            let _ = writeln!(
                h,
                "<h2>{}</h2>\n<figure>{svg}<figcaption>{}</figcaption></figure>",
                esc(title),
                esc(caption)
            );
        }
        self.coverage_table(&mut h);
        self.states_table(&mut h);
        h.push_str("</body>\n</html>\n");
        h
    }

    fn scores_table(&self, h: &mut String) {
        h.push_str("<h2>Scores (pooled)</h2>\n<table>\n<tr><th>window</th><th>model</th><th>n</th><th>events</th><th>log score</th><th>Brier</th><th>ROC-AUC</th><th>PR-AUC</th></tr>\n");
        for (w, m, _, s) in self.scores.iter().filter(|r| r.2 == "pooled") {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(w),
                esc(m),
                s.n,
                s.events,
                f(s.log_score, 4),
                f(s.brier, 5),
                f(s.roc_auc, 3),
                f(s.pr_auc, 4)
            );
        }
        h.push_str("</table>\n<h3>Calibrated minus each baseline (paired state bootstrap, 95%)</h3>\n<table>\n<tr><th>window</th><th>baseline</th><th>score</th><th>difference</th><th>95% interval</th><th>verdict</th></tr>\n");
        for r in self.differences {
            let verdict = match outcome(r) {
                Outcome::Better => "calibrated better",
                Outcome::Worse => "<b>calibrated worse</b>",
                Outcome::Undetected => "no detectable difference",
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{:+.5}</td><td class=\"n\">{:+.5} to {:+.5}</td><td>{verdict}</td></tr>",
                esc(&r.0),
                esc(&r.1),
                esc(&r.2),
                r.3,
                r.4,
                r.5
            );
        }
        h.push_str("</table>\n<p>A log-score difference above 0 and a Brier difference below 0 favour the calibrated model. Persistence has no log-score difference: it gives every adoption probability 0 (log score \u{2212}\u{221e}).</p>\n");
    }

    fn verdicts(&self, h: &mut String) {
        let losses: Vec<&DiffRow> = self.differences.iter().filter(|r| outcome(r) != Outcome::Better).collect();
        h.push_str("<h2>Where blocsim does not beat a baseline</h2>\n");
        if losses.is_empty() {
            h.push_str("<p>Nowhere: the calibrated model beats every baseline on every score, in every window.</p>\n");
            return;
        }
        h.push_str("<ul class=\"note\">\n");
        for r in losses {
            let _ = writeln!(h, "<li>{}</li>", esc(&sentence(r)));
        }
        h.push_str("</ul>\n");
    }

    fn decomposition_table(&self, h: &mut String) {
        h.push_str("<h2>Brier decomposition</h2>\n<p>Murphy's decomposition on the bins of the reliability diagram: the binned Brier REL \u{2212} RES + UNC scores the forecasts replaced by their bin means; the Brier score adds the within-bin variance WBV and subtracts twice the within-bin covariance WBC.</p>\n<table>\n<tr><th>window</th><th>model</th><th>Brier</th><th>REL</th><th>RES</th><th>UNC</th><th>WBV</th><th>WBC</th><th>binned</th></tr>\n");
        for (w, m, d) in &self.decomposition {
            let _ = write!(h, "<tr><td>{}</td><td>{}</td>", esc(w), esc(m));
            for v in [
                d.brier,
                d.reliability,
                d.resolution,
                d.uncertainty,
                d.within_variance,
                d.within_covariance,
                d.binned_brier,
            ] {
                let _ = write!(h, "<td class=\"n\">{}</td>", f(v, 6));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }

    fn coverage_table(&self, h: &mut String) {
        h.push_str("<h3>Coverage of the yearly-count bands</h3>\n<table>\n<tr><th>model</th><th>indicator-years</th><th>in 50% band</th><th>in 90% band</th></tr>\n");
        for (m, n, c50, c90, sd50, sd90) in &self.coverage {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"n\">{n}</td><td class=\"n\">{:.2} (nominal 0.50 \u{00b1} {:.2})</td><td class=\"n\">{:.2} (nominal 0.90 \u{00b1} {:.2})</td></tr>",
                esc(m),
                c50,
                sd50,
                c90,
                sd90
            );
        }
        h.push_str("</table>\n<p>\u{00b1} one binomial sd over the indicator-years (not independent, so a lower bound on the spread). Counts are integers and bands include their bounds, so a calibrated model covers at least the nominal share; an indicator with no adoption in any run has band [0, 0] and covers a year with none trivially.</p>\n");
    }

    fn states_table(&self, h: &mut String) {
        let mut rows: Vec<&StateRow> = self.states.iter().collect();
        let miss = |r: &StateRow| (f64::from(u8::from(r.2.is_some())) - r.3).abs();
        rows.sort_by(|a, b| miss(b).total_cmp(&miss(a)));
        let _ = writeln!(
            h,
            "<h2>Histories whose forecast missed most</h2>\n<p>The {} of {} scored histories with the largest |observed \u{2212} P(adopted by {})| (observed 1 if adopted in the window); all are in <code>states.csv</code>.</p>\n<table>\n<tr><th>state</th><th>indicator</th><th>observed year</th><th>P(adopted by end)</th><th>median predicted year</th></tr>",
            STATE_ROWS.min(rows.len()),
            rows.len(),
            self.years.2
        );
        for r in rows.iter().take(STATE_ROWS) {
            let year = r.2.map_or("\u{2013}".to_string(), |y| y.to_string());
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{year}</td><td class=\"n\">{:.3}</td><td>{}</td></tr>",
                esc(&r.0),
                esc(&r.1),
                r.3,
                esc(&r.4)
            );
        }
        h.push_str("</table>\n");
    }
}
