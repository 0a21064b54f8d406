//! A response curve: the alternative as the page has it, with one parameter set in turn to each
//! of a few values, each compared with the baseline on the same common random numbers (a small
//! sweep). Every value's comparison pairs the same baseline runs, taken from the cache after the
//! first, so the curve's points differ only by the parameter, not by noise between them.

use serde::Deserialize;
use serde_json::Value;

use super::{Alternative, AlternativeSpec, Explorer, InputError, MAX_SERVE_RUNS};
use crate::compare::Comparison;
use crate::progress::Progress;

/// Most values on one curve.
pub const MAX_VALUES: usize = 11;

/// What the page asks for: its alternative, the key to vary and the values to give it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    /// The alternative as the page has it (its own `runs` is each value's run count).
    pub alternative: AlternativeSpec,
    /// The parameter's key path, e.g. `choice.lambda`.
    pub key: String,
    /// The values, each as it would follow `--set KEY=` (a number, or a distribution table).
    pub values: Vec<String>,
}

impl Explorer {
    /// Check a curve: 2 to [`MAX_VALUES`] values, at most [`MAX_SERVE_RUNS`] runs in all, and
    /// each value's alternative as [`Explorer::prepare`] checks it (errors name `values[i]`).
    pub fn prepare_response(&self, spec: &ResponseSpec) -> Result<Vec<Alternative>, InputError> {
        let bad = |field: &str, message: String| InputError {
            field: field.into(),
            message,
        };
        if !(2..=MAX_VALUES).contains(&spec.values.len()) {
            return Err(bad(
                "values",
                format!("values: expected 2 to {MAX_VALUES} values, not {}", spec.values.len()),
            ));
        }
        let key = spec.key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || "._-[]".contains(c)) {
            return Err(bad(
                "key",
                format!("key `{key}`: expected a parameter's key path, such as choice.lambda"),
            ));
        }
        let mut alts = Vec::with_capacity(spec.values.len());
        for (i, v) in spec.values.iter().enumerate() {
            let mut a = spec.alternative.clone();
            a.sets.retain(|s| s.split_once('=').is_none_or(|(k, _)| k.trim() != key));
            a.sets.push(format!("{key}={v}"));
            let alt = self.prepare(&a).map_err(|e| bad(&format!("values[{i}]"), e.message))?;
            alts.push(alt);
        }
        let total = alts[0].runs * alts.len() as u64;
        if total > MAX_SERVE_RUNS {
            return Err(bad(
                "runs",
                format!(
                    "runs: {} values × {} runs = {total}, over the server's limit of {MAX_SERVE_RUNS} runs in all",
                    alts.len(),
                    alts[0].runs
                ),
            ));
        }
        Ok(alts)
    }

    /// Run each value's comparison in turn (in the order of the spec's values); `on_point(i,
    /// comparison)` after each. Stops between chunks when `progress` asks.
    pub fn response(
        &self,
        alts: &[Alternative],
        progress: &dyn Progress,
        on_point: &mut dyn FnMut(usize, &Comparison),
    ) -> anyhow::Result<Vec<Comparison>> {
        let mut out = Vec::with_capacity(alts.len());
        for (i, alt) in alts.iter().enumerate() {
            let done = self.run(alt, progress, &mut |_| {})?;
            on_point(i, &done.comparison);
            out.push(done.comparison);
        }
        Ok(out)
    }
}

/// The outcomes of a comparison the curve plots (every outcome's mean difference and interval),
/// compact for the page.
pub fn curve_point(c: &Comparison) -> Value {
    let rows: Vec<Value> = c
        .outcomes
        .iter()
        .map(|o| serde_json::json!([o.outcome, o.diff_mean, o.ci_low, o.ci_high]))
        .collect();
    Value::Array(rows)
}
