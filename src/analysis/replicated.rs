//! Intervals for estimators computed on a replicated design under common random numbers.
//!
//! Every design point is run R times, and replication r of every point uses the same random
//! streams. An index computed from such an experiment varies between reruns for two reasons: the
//! design (another seed draws other points or trajectories) and the streams (another seed draws other
//! R streams; because every point shares them, a stream that happens to interact with a parameter
//! moves the whole index, not one point). Resampling design rows alone measures the first only.
//!
//! Here the two are estimated separately and added:
//! - design part: the bootstrap variance over design rows (Saltelli rows, Morris trajectories), the
//!   streams held fixed;
//! - replication part: the delete-one jackknife variance over streams (Efron & Stein 1981), the design
//!   held fixed: (R − 1)/R Σ_r (θ_(−r) − θ̄_(·))², with R − 1 degrees of freedom;
//!
//! and the interval is estimate ± t_ν · √(v_design + v_replication), with ν from Welch–Satterthwaite, so
//! that few streams give a wide interval rather than a falsely narrow one. The share of the variance
//! that comes from the streams is the replication-noise share of the index, in [0, 1] by
//! construction. [`super::precision`] projects how many replications would bring an interval to a
//! requested half-width (the replication part scales as 1/R, the design part as 1/N).

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// An estimate with the two parts of its sampling variance and its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The point estimate.
    pub value: f64,
    /// Standard error: √(se_design² + se_replication²).
    pub se: f64,
    /// Standard error from the design (bootstrap over rows).
    pub se_design: f64,
    /// Standard error from the replication streams (jackknife over streams; NaN with fewer than 3).
    pub se_replication: f64,
    /// Welch–Satterthwaite degrees of freedom of the interval.
    pub dof: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

impl Estimate {
    /// Share of the estimate's sampling variance that comes from the replication streams (NaN when
    /// it could not be measured).
    pub fn noise_share(&self) -> f64 {
        let (d, s) = (self.se_design.powi(2), self.se_replication.powi(2));
        if d + s > 0.0 { s / (d + s) } else { f64::NAN }
    }

    /// Half-width of the interval.
    pub fn half_width(&self) -> f64 {
        0.5 * (self.high - self.low)
    }
}

/// Sample variance (divisor n − 1) of the finite values; NaN with fewer than two.
pub fn sample_variance(xs: &[f64]) -> f64 {
    let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.len() < 2 {
        return f64::NAN;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)
}

/// Delete-one jackknife variance from the leave-one-out values θ_(−r): (R − 1)/R Σ (θ_(−r) − θ̄)².
/// NaN with fewer than two values or any non-finite one.
pub fn jackknife_variance(leave_one_out: &[f64]) -> f64 {
    let r = leave_one_out.len();
    if r < 2 || leave_one_out.iter().any(|x| !x.is_finite()) {
        return f64::NAN;
    }
    let m = leave_one_out.iter().sum::<f64>() / r as f64;
    (r as f64 - 1.0) / r as f64 * leave_one_out.iter().map(|x| (x - m).powi(2)).sum::<f64>()
}

/// Two-sided quantile t_{ν, 1 − (1 − level)/2}; the normal quantile for ν above 10⁶ or infinite.
pub fn t_quantile(level: f64, dof: f64) -> f64 {
    let p = 1.0 - (1.0 - level) / 2.0;
    if !dof.is_finite() || dof > 1e6 {
        return Normal::new(0.0, 1.0).map_or(f64::NAN, |n| n.inverse_cdf(p));
    }
    StudentsT::new(0.0, 1.0, dof.max(1.0)).map_or(f64::NAN, |t| t.inverse_cdf(p))
}

/// Welch–Satterthwaite degrees of freedom of v_a + v_b with ν_a and ν_b degrees of freedom.
pub fn satterthwaite(parts: &[(f64, f64)]) -> f64 {
    let parts: Vec<(f64, f64)> = parts.iter().copied().filter(|(v, _)| v.is_finite() && *v > 0.0).collect();
    let total: f64 = parts.iter().map(|(v, _)| v).sum();
    let denom: f64 = parts.iter().map(|(v, n)| v * v / n).sum();
    if denom > 0.0 { total * total / denom } else { f64::INFINITY }
}

/// Combine a point estimate with its design variance (ν_design degrees of freedom) and its
/// replication variance (ν_replication; NaN when unmeasured, then left out) into an [`Estimate`]
/// with a central `level` interval.
pub fn combine(value: f64, v_design: f64, nu_design: f64, v_replication: f64, nu_replication: f64, level: f64) -> Estimate {
    let vd = if v_design.is_finite() { v_design.max(0.0) } else { f64::NAN };
    let vs = if v_replication.is_finite() {
        v_replication.max(0.0)
    } else {
        f64::NAN
    };
    let total = match (vd.is_finite(), vs.is_finite()) {
        (true, true) => vd + vs,
        (true, false) => vd,
        (false, true) => vs,
        (false, false) => f64::NAN,
    };
    let dof = satterthwaite(&[(vd, nu_design), (vs, nu_replication)]);
    let se = total.sqrt();
    let half = t_quantile(level, dof) * se;
    Estimate {
        value,
        se,
        se_design: vd.sqrt(),
        se_replication: vs.sqrt(),
        dof,
        low: value - half,
        high: value + half,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jackknife_of_a_mean_is_the_usual_variance_of_the_mean() {
        // For the mean, θ_(−r) = (R x̄ − x_r)/(R − 1): the jackknife variance equals s²/R exactly.
        let x = [1.0, 4.0, 2.0, 7.0, 3.0];
        let r = x.len() as f64;
        let mean = x.iter().sum::<f64>() / r;
        let loo: Vec<f64> = x.iter().map(|xi| (r * mean - xi) / (r - 1.0)).collect();
        assert!((jackknife_variance(&loo) - sample_variance(&x) / r).abs() < 1e-12);
        assert!(jackknife_variance(&[1.0]).is_nan());
    }

    #[test]
    fn quantiles_and_degrees_of_freedom() {
        assert!((t_quantile(0.95, 3.0) - 3.182446).abs() < 1e-5);
        assert!((t_quantile(0.95, f64::INFINITY) - 1.959964).abs() < 1e-5);
        // Two equal variances with equal ν: ν_total = 2ν.
        assert!((satterthwaite(&[(1.0, 3.0), (1.0, 3.0)]) - 6.0).abs() < 1e-12);
        let e = combine(0.5, 0.01, 255.0, 0.0, 3.0, 0.95);
        assert!((e.dof - 255.0).abs() < 1e-9 && e.noise_share() == 0.0);
        let e = combine(0.5, 0.0, 255.0, 0.01, 3.0, 0.95);
        assert!((e.high - 0.5 - 3.182446 * 0.1).abs() < 1e-5 && e.noise_share() == 1.0);
    }
}
