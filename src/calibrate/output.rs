//! The files `blocsim calibrate` writes: `estimates.csv`, `vcov.csv`, `profiles.csv`, `fit.json`
//! and `calibrated.toml` (the scenario with the estimates, each commented with its SE), each
//! written whole to a temporary file and renamed.

use std::fmt::Write as _;
use std::path::Path;

use super::Fit;
use super::observations::Summary;
use super::params::{FreeParam, Target};
use crate::error::Result;
use crate::export::write_atomic;
use crate::scenario::joint::Transform;

/// The output files, in the order they are written.
pub const FILES: [&str; 5] = ["estimates.csv", "vcov.csv", "profiles.csv", "fit.json", "calibrated.toml"];

/// Where and what the fit was run on, for `fit.json` and the comments of `calibrated.toml`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Context {
    /// Scenario name.
    pub scenario: String,
    /// What `extends` names: the scenario file's absolute path, or the bundled name.
    pub extends: String,
    /// The observed panel's directory.
    pub observed: String,
    /// First and last fitted years.
    pub fit_years: (i32, i32),
    /// Choice intensity λ of the scenario the weights were fitted under.
    pub lambda: f64,
    /// Wall time of the fit, seconds.
    pub seconds: f64,
}

fn num(x: f64) -> String {
    if x.is_finite() { format!("{x:.6}") } else { "NaN".into() }
}

fn opt(x: Option<f64>) -> String {
    x.map_or(String::new(), num)
}

/// The columns of `estimates.csv`: `low95` and `high95` are the jackknife's (`se_jackknife`).
pub const ESTIMATES_COLUMNS: &str =
    "key,start,estimate,se_information,se_sandwich,low95,high95,profile_low95,profile_high95,weak,se_jackknife";

/// `estimates.csv`: a row per free parameter.
pub fn estimates_csv(fit: &Fit) -> String {
    let mut s = format!("{ESTIMATES_COLUMNS}\n");
    for e in &fit.estimates {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{}",
            e.key,
            num(e.start),
            num(e.value),
            num(e.se_information),
            num(e.se_sandwich),
            num(e.low),
            num(e.high),
            opt(e.profile_low),
            opt(e.profile_high),
            e.weak,
            num(e.se_jackknife)
        );
    }
    s
}

/// `vcov.csv`: the jackknife covariance (the intervals') on the parameters' own scale, a row per key.
pub fn vcov_csv(fit: &Fit) -> String {
    let keys: Vec<&str> = fit.estimates.iter().map(|e| e.key.as_str()).collect();
    let mut s = format!("key,{}\n", keys.join(","));
    for (r, k) in keys.iter().enumerate() {
        let row: Vec<String> = (0..keys.len()).map(|c| num(fit.vcov_jackknife[(r, c)])).collect();
        let _ = writeln!(s, "{k},{}", row.join(","));
    }
    s
}

/// `profiles.csv`: a row per parameter and grid point (internal scale for a rate: logit ρ).
pub fn profiles_csv(fit: &Fit, params: &[FreeParam]) -> String {
    let mut s = String::from("key,value,lr\n");
    for (p, prof) in params.iter().zip(&fit.profiles) {
        for (v, lr) in prof.values.iter().zip(&prof.lr) {
            let _ = writeln!(s, "{},{},{}", p.key, num(p.from_internal(*v).0), num(*lr));
        }
    }
    s
}

/// `fit.json`: the fit's statistics and what the data held.
pub fn fit_json(fit: &Fit, summary: &Summary, ctx: &Context) -> Vec<u8> {
    let value = serde_json::json!({
        "scenario": ctx.scenario,
        "observed": ctx.observed,
        "fit_years": [ctx.fit_years.0, ctx.fit_years.1],
        "lambda_fixed": ctx.lambda,
        "loglik": fit.loglik,
        "loglik_at_scenario_values": fit.loglik_start,
        "aic": fit.aic,
        "parameters": fit.estimates.len(),
        "events": summary.events,
        "observations": summary.observations,
        "known_previous": summary.known_previous,
        "filtered": summary.filtered,
        "histories": summary.histories,
        "uniform_priors": summary.uniform_priors,
        "presence": summary.presence,
        "econ_network_correlation": summary.econ_network_correlation,
        "indicators": summary.indicators.iter().map(|(k, (e, n))| (k.clone(), serde_json::json!({"events": e, "at_risk": n}))).collect::<serde_json::Map<_, _>>(),
        "dated_groups": summary.dated_groups, "undated_groups": summary.undated_groups, "dated_changes": summary.dated_changes,
        "rows": {"market_outcome": summary.market_rows, "covariate": summary.covariate_rows, "ignored": summary.ignored_rows, "anchored": summary.anchored_rows},
        "converged": fit.converged,
        "iterations": fit.iterations,
        "clusters": fit.clusters,
        "jackknife_fallback_clusters": fit.jackknife_fallbacks,
        "weakest_direction": {"eigenvalue": fit.weakest_eigenvalue, "loadings": fit.weakest_direction.iter().map(|(k, l)| (k.clone(), serde_json::json!(l))).collect::<serde_json::Map<_, _>>()},
        "estimates": fit.estimates,
        "seconds": ctx.seconds,
    });
    let mut bytes = serde_json::to_vec_pretty(&value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// `calibrated.toml`: `extends` the scenario and draws every free key jointly from the estimates:
/// `[joint.calibrated]` is the multivariate normal of the estimates with their jackknife
/// covariance, each key on the scale the estimate is near normal on ([`joint_scale`]). So the
/// estimation uncertainty flows into every batch and compare of the file; `--set KEY=VALUE` fixes
/// a key at a value (its estimate is in the comment).
pub fn calibrated_toml(fit: &Fit, params: &[FreeParam], summary: &Summary, ctx: &Context) -> String {
    let mut s = format!(
        "# Estimated by `blocsim calibrate` from {} (fit years {}-{}, {} events in {} observations; \
         log-likelihood {:.3}, AIC {:.3}; λ fixed at {}).\n# Each free key is drawn per run from [joint.calibrated] below, the \
         estimates' multivariate normal. Comments: estimate (state-jackknife SE, 95% interval).\n",
        ctx.observed, ctx.fit_years.0, ctx.fit_years.1, summary.events, summary.observations, fit.loglik, fit.aic, ctx.lambda
    );
    let _ = writeln!(s, "extends = {}", toml_string(&ctx.extends));
    let _ = writeln!(s, "name = {}", toml_string(&format!("{}-calibrated", ctx.scenario)));
    // Detection rates belong to the codebook, not the scenario: their estimates are in
    // estimates.csv, and the joint set holds the scenario's keys (the marginal of the normal).
    let keep: Vec<usize> = (0..params.len()).filter(|&i| params[i].in_scenario()).collect();
    for e in keep.iter().map(|&i| &fit.estimates[i]) {
        let weak = if e.weak { "; weakly identified (see profiles.csv)" } else { "" };
        let _ = writeln!(
            s,
            "{} = {{ dist = \"joint\", set = \"calibrated\" }}   # estimate {:.4} (SE {:.4}, 95% {:.4} to {:.4}){weak}",
            e.key, e.value, e.se_jackknife, e.low, e.high
        );
    }
    if keep.is_empty() {
        let _ = writeln!(s, "# No scenario key is free: the runs use the scenario's values.");
        return s;
    }
    let scales: Vec<(Transform, f64, f64)> = keep.iter().map(|&i| joint_scale(&params[i], fit.estimates[i].value)).collect();
    let list = |f: &dyn Fn(usize) -> String| (0..scales.len()).map(f).collect::<Vec<_>>().join(", ");
    let _ = writeln!(s, "\n[joint.calibrated]");
    let _ = writeln!(s, "keys = [{}]", list(&|i| toml_string(&fit.estimates[keep[i]].key)));
    let _ = writeln!(s, "transform = [{}]", list(&|i| toml_string(scales[i].0.name())));
    let _ = writeln!(s, "mean = [{}]", list(&|i| format!("{:?}", scales[i].1)));
    let _ = writeln!(s, "cov = [");
    for r in 0..scales.len() {
        let (a, b) = (keep[r], |c: usize| keep[c]);
        let _ = writeln!(
            s,
            "  [{}],",
            list(&|c| format!("{:?}", scales[r].2 * fit.vcov_jackknife[(a.min(b(c)), a.max(b(c)))] * scales[c].2))
        );
    }
    let _ = writeln!(s, "]");
    s
}

/// The scale a free parameter is drawn on, its estimate there, and d(scale)/d(value) for the delta
/// method: a revision rate on the logit scale it was estimated on, a switching cost (≥ 0) on the log
/// scale, a weight or a framework constant as it is.
pub fn joint_scale(p: &FreeParam, value: f64) -> (Transform, f64, f64) {
    match p.target {
        Target::RevisionRate(_) => (Transform::Logit, (value / (1.0 - value)).ln(), 1.0 / (value * (1.0 - value))),
        Target::SwitchingCost(_) => (Transform::Log, value.ln(), 1.0 / value),
        Target::Detection(_) => (Transform::Logit, (value / (1.0 - value)).ln(), 1.0 / (value * (1.0 - value))),
        Target::Weight { .. } | Target::Constant(..) | Target::RateCoef(_) => (Transform::Identity, value, 1.0),
    }
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// Write every file of [`FILES`] into `dir`.
pub fn write_all(dir: &Path, fit: &Fit, params: &[FreeParam], summary: &Summary, ctx: &Context) -> Result<()> {
    write_atomic(&dir.join("estimates.csv"), estimates_csv(fit).as_bytes())?;
    write_atomic(&dir.join("vcov.csv"), vcov_csv(fit).as_bytes())?;
    write_atomic(&dir.join("profiles.csv"), profiles_csv(fit, params).as_bytes())?;
    write_atomic(&dir.join("fit.json"), &fit_json(fit, summary, ctx))?;
    write_atomic(&dir.join("calibrated.toml"), calibrated_toml(fit, params, summary, ctx).as_bytes())
}

/// The estimates as a plain-text table for the terminal: the reported (jackknife) interval and,
/// when computed, the profile's ("open" on a side where it does not cross the 95% level within
/// ±3 SE; with few events the profile is the interval to read, `docs/calibration.md`).
pub fn estimates_table(fit: &Fit, summary: &Summary) -> String {
    let mut s = format!(
        "{} events in {} observations; log-likelihood {:.3} (at the scenario's values {:.3}), AIC {:.3}\n",
        summary.events, summary.observations, fit.loglik, fit.loglik_start, fit.aic
    );
    let profiles = !fit.profiles.is_empty();
    let _ = writeln!(
        s,
        "{:<34} {:>9} {:>9} {:>9} {:>21}{}  identified",
        "key",
        "start",
        "estimate",
        "SE",
        "95% interval",
        if profiles {
            format!(" {:>21}", "profile 95%")
        } else {
            String::new()
        }
    );
    let side = |x: Option<f64>| x.map_or_else(|| "open".to_string(), |x| format!("{x:.3}"));
    for e in &fit.estimates {
        let profile = match profiles {
            true => format!(" {:>10} {:>10}", side(e.profile_low), side(e.profile_high)),
            false => String::new(),
        };
        let _ = writeln!(
            s,
            "{:<34} {:>9.3} {:>9.3} {:>9.3} {:>10.3} {:>10.3}{profile}  {}",
            e.key,
            e.start,
            e.value,
            e.se_jackknife,
            e.low,
            e.high,
            if e.weak { "weakly" } else { "yes" }
        );
    }
    s
}
