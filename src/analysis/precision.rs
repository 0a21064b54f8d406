//! The precision a user asks of the intervals (`--precision H`, the wanted half-width of every 95%
//! interval) and the plain warning, with the replications needed, when the runs given cannot reach
//! it. The replication part of an interval's variance scales as R/R' with R' replications and its
//! degrees of freedom become R' − 1; the design part stays (it scales with the design size). The
//! smallest R' that reaches the target is reported; when the design's own part is already too wide,
//! the factor by which to enlarge the design is given, each part taking half the variance.

use super::ParamRange;
use super::indices::{Indices, LEVEL, Method, OutcomeIndices};
use super::replicated::{Estimate, satterthwaite, t_quantile};

/// What it would take to bring an interval to a requested half-width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Need {
    /// The interval is already as narrow as requested.
    Met,
    /// About this many replications per point would do, with the same design.
    Runs(u64),
    /// The design's own part is too wide: about `design` times the design size and `runs`
    /// replications per point (each part then takes half of the requested variance).
    Design {
        /// Factor by which to multiply the design size.
        design: f64,
        /// Replications per point.
        runs: u64,
    },
    /// The replication part could not be measured (fewer than 3 replications).
    Unknown,
}

/// Smallest R' such that the interval of `e`, computed with R' replications per point instead of
/// `runs`, has half-width at most `target`. The replication variance scales as R/R' and its
/// degrees of freedom become R' − 1; `bias` is an extra half-width that also scales as √(R/R')
/// (the Morris noise bound). Searches up to 10⁶ replications.
pub fn needed_replications(e: &Estimate, runs: u64, nu_design: f64, bias: f64, target: f64, level: f64) -> Need {
    let bias = if bias.is_finite() { bias } else { 0.0 };
    if e.half_width() <= target {
        return Need::Met;
    }
    let (vd, vs) = (e.se_design.powi(2), e.se_replication.powi(2));
    if !vs.is_finite() {
        return Need::Unknown;
    }
    let vd = if vd.is_finite() { vd } else { 0.0 };
    let half_at = |r2: f64| {
        let scale = runs as f64 / r2;
        let dof = satterthwaite(&[(vd, nu_design), (vs * scale, r2 - 1.0)]);
        t_quantile(level, dof) * (vd + vs * scale).sqrt() + bias * scale.sqrt()
    };
    let limit = 1e6;
    if half_at(limit) > target {
        // Give each part half the requested variance.
        let z = t_quantile(level, f64::INFINITY);
        let budget = (target / z).powi(2) / 2.0;
        let design = if vd > 0.0 { vd / budget } else { 1.0 };
        let bias_var = (bias / z).powi(2);
        let runs2 = ((vs + bias_var) * runs as f64 / budget).ceil().max(3.0);
        return Need::Design {
            design: design.max(1.0),
            runs: runs2 as u64,
        };
    }
    // Binary search on R' in [runs, limit].
    let (mut lo, mut hi) = (runs.max(2) as f64, limit);
    while hi - lo > 1.0 {
        let mid = ((lo + hi) / 2.0).floor();
        if half_at(mid) <= target { hi = mid } else { lo = mid }
    }
    Need::Runs(hi as u64)
}

/// A plain sentence for a [`Need`] (`what` names the interval, `runs` the replications given).
pub fn need_text(need: Need, what: &str, half: f64, target: f64, runs: u64, design_flag: &str) -> Option<String> {
    let head = format!("{what}: its 95% interval is ±{half:.3}, wider than the requested ±{target:.3} (--precision)");
    match need {
        Need::Met => None,
        Need::Runs(r) => Some(format!(
            "{head}; about {r} replications per point (--runs {r}) would reach it, now {runs}"
        )),
        Need::Design { design, runs: r } if design > 100.0 || r > 100_000 => Some(format!(
            "{head}; it is far out of reach: it would take over 100 times the {design_flag} or over 100,000 replications per point (about {design:.0} times and {r})"
        )),
        Need::Design { design, runs: r } => Some(format!(
            "{head}; more replications alone cannot reach it (the design's own part is too wide): about {design:.1} times the {design_flag} and {r} replications per point would"
        )),
        Need::Unknown => Some(format!(
            "{head}; with {runs} replication(s) per point the replication noise cannot be measured: use --runs 3 or more"
        )),
    }
}

/// Default `--precision`: the half-width wanted for every 95% interval — Sobol indices in index
/// units, Morris mu* as a fraction of the outcome's largest mu*.
pub fn default_precision(method: Method) -> f64 {
    match method {
        Method::Sobol { .. } => 0.05,
        Method::Morris { .. } => 0.1,
    }
}

/// Warnings for the intervals of `r` that are wider than `precision` (see [`default_precision`]),
/// with the replications (or the design size) that would reach it: one line per outcome, for its
/// widest interval. `runs` replications per point were used; `rows` is N (Sobol) or r (Morris).
pub fn precision_warnings(r: &OutcomeIndices, params: &[ParamRange], method: Method, precision: f64, runs: u64) -> Option<String> {
    // (what, estimate, extra bias, target)
    let mut cands: Vec<(String, Estimate, f64, f64, f64)> = Vec::new();
    let rows = match method {
        Method::Sobol { samples } => samples,
        Method::Morris { trajectories, .. } => trajectories,
    } as f64;
    match &r.indices {
        Indices::Sobol(s) => {
            for (p, param) in params.iter().enumerate() {
                for (name, e) in [("S1", s.first[p]), ("ST", s.total[p])] {
                    if e.value.is_finite() {
                        cands.push((format!("{name} of {}", param.key), e, 0.0, precision, e.half_width()));
                    }
                }
            }
        }
        Indices::Morris(m) => {
            let top = m.iter().map(|x| x.mu_star).filter(|v| v.is_finite()).fold(0.0, f64::max);
            if top <= 0.0 {
                return None;
            }
            for (p, param) in params.iter().enumerate() {
                let x = m[p];
                let e = Estimate {
                    value: x.mu_star,
                    se: x.se,
                    se_design: x.se_design,
                    se_replication: x.se_replication,
                    dof: x.dof,
                    low: x.mu_star_low,
                    high: x.mu_star_high,
                };
                let bias = if x.noise.is_finite() { x.noise / 2.0 } else { 0.0 };
                cands.push((format!("mu* of {}", param.key), e, bias, precision * top, e.half_width()));
            }
        }
    }
    let worst = cands
        .into_iter()
        .filter(|c| c.4 > c.3)
        .max_by(|a, b| (a.4 / a.3).total_cmp(&(b.4 / b.3)))?;
    let (what, e, bias, target, half) = worst;
    let need = needed_replications(&e, runs, rows - 1.0, bias, target, LEVEL);
    let flag = match method {
        Method::Sobol { .. } => "--samples",
        Method::Morris { .. } => "--trajectories",
    };
    if need == Need::Met {
        return None;
    }
    need_text(need, &format!("{}: {what}", r.outcome), half, target, runs, flag)
}

#[cfg(test)]
mod tests {
    use super::super::replicated::combine;
    use super::*;

    #[test]
    fn needed_replications_reach_the_target() {
        // Replication part only, 0.1 se at R = 4 with t_3: half 0.318. For ±0.05 the variance must
        // fall below (0.05/t)²; R' ≈ 4 · 0.01 / (0.05/1.97)² ≈ 62.
        let e = combine(0.5, 0.0, 255.0, 0.01, 3.0, 0.95);
        let Need::Runs(r) = needed_replications(&e, 4, 255.0, 0.0, 0.05, 0.95) else {
            panic!()
        };
        assert!((60..=66).contains(&r), "{r}");
        assert_eq!(needed_replications(&e, 4, 255.0, 0.0, 0.5, 0.95), Need::Met);
        // A design part wider than the target cannot be fixed by replications.
        let e = combine(0.5, 0.01, 255.0, 0.01, 3.0, 0.95);
        assert!(matches!(needed_replications(&e, 4, 255.0, 0.0, 0.05, 0.95), Need::Design { .. }));
        let e = combine(0.5, 0.01, 255.0, f64::NAN, 3.0, 0.95);
        assert_eq!(needed_replications(&e, 2, 255.0, 0.0, 0.05, 0.95), Need::Unknown);
    }
}
