//! Plain verdicts on the paired score differences of a hindcast: for each window, baseline and
//! score, whether the calibrated model does better, worse, or not detectably differently, by its
//! paired 95% interval. The log score is better higher and the Brier score better lower.

use super::forecasts::DiffRow;

/// How the calibrated model compares with one baseline on one score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The interval favours the calibrated model.
    Better,
    /// The interval favours the baseline.
    Worse,
    /// The interval holds 0: no difference detected.
    Undetected,
}

/// The verdict of one difference row (calibrated − model, with its interval).
pub fn outcome(row: &DiffRow) -> Outcome {
    let (_, _, score, _, lo, hi) = row;
    // Calibrated − model: a positive log-score difference and a negative Brier difference favour it.
    let sign = if score == "brier" { -1.0 } else { 1.0 };
    let (lo, hi) = if sign > 0.0 { (*lo, *hi) } else { (-*hi, -*lo) };
    if lo > 0.0 {
        Outcome::Better
    } else if hi < 0.0 {
        Outcome::Worse
    } else {
        Outcome::Undetected
    }
}

/// One plain sentence for a difference row.
pub fn sentence(row: &DiffRow) -> String {
    let (window, model, score, v, lo, hi) = row;
    let score = if score == "brier" { "Brier score" } else { "log score" };
    let what = match outcome(row) {
        Outcome::Better => "blocsim (calibrated) beats",
        Outcome::Worse => "blocsim (calibrated) does worse than",
        Outcome::Undetected => "blocsim (calibrated) does not detectably beat",
    };
    format!("{window}: {what} {model} on the {score} (calibrated − {model} {v:+.5}, 95% {lo:+.5} to {hi:+.5})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(score: &str, v: f64, lo: f64, hi: f64) -> DiffRow {
        ("time".into(), "constant_hazard".into(), score.into(), v, lo, hi)
    }

    #[test]
    fn the_sign_of_each_score_decides_the_verdict() {
        assert_eq!(outcome(&row("log_score", 0.01, 0.005, 0.02)), Outcome::Better);
        assert_eq!(outcome(&row("log_score", -0.01, -0.02, -0.005)), Outcome::Worse);
        assert_eq!(outcome(&row("brier", -0.001, -0.002, -0.0005)), Outcome::Better);
        assert_eq!(outcome(&row("brier", 0.001, 0.0005, 0.002)), Outcome::Worse);
        assert_eq!(outcome(&row("brier", 0.0, -0.001, 0.001)), Outcome::Undetected);
        let s = sentence(&row("brier", 0.001, 0.0005, 0.002));
        assert!(
            s.starts_with("time: blocsim (calibrated) does worse than constant_hazard on the Brier score"),
            "{s}"
        );
    }
}
