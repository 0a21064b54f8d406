//! The main effects of a sweep: per parameter, the mean outcome at each of its values (or each of 10
//! bins when it takes more than 25), averaged over the other parameters and the replications, with
//! a 95% band that carries every source of variation a rerun with another seed would show.
//!
//! A level holds n design points, each run in the same R replications (common random numbers):
//! y_pr = μ + a_p + b_r + e_pr. Its mean m = ȳ.. varies between reruns through the streams — the
//! shift b_r that every point of a replication shares and the point-by-stream interaction e_pr —
//! and, for a Latin hypercube (whose points a rerun redraws), through the points a_p. With the mean
//! squares of the n × R layout (MS_p of points, MS_r of replications, MS_e residual):
//! - replication part: MS_r / (nR) = s²(ȳ_·r) / R, the variance of the level's replication means
//!   over R (R − 1 degrees of freedom);
//! - design part (Latin hypercube only; a grid's points are fixed): (MS_p − MS_e) / (nR), floored at 0;
//!
//! so Var(m) is estimated by (MS_p + MS_r − MS_e)/(nR), the unbiased estimator of
//! σ²_a/n + σ²_b/R + σ²_e/(nR), with Welch–Satterthwaite degrees of freedom, and the band is
//! m ± t_ν √Var(m). The earlier band, the spread of the point means over √n, left out σ²_b/R, the
//! part that moves the whole curve between seeds.

use super::replicated::{Estimate, t_quantile};
use crate::error::{Error, Result};

/// One level of a main effect: the parameter's value (or bin centre) and the mean with its band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    /// The parameter's value, or the bin's centre.
    pub x: f64,
    /// Mean outcome at this level.
    pub mean: f64,
    /// Lower end of the 95% band.
    pub low: f64,
    /// Upper end of the 95% band.
    pub high: f64,
    /// Standard error of the mean (design and replication parts together).
    pub se: f64,
    /// NaN for a grid (its points are fixed) or a single point.
    pub se_design: f64,
    /// NaN with one replication.
    pub se_replication: f64,
    /// Welch–Satterthwaite degrees of freedom of the band.
    pub dof: f64,
    /// Design points at this level.
    pub points: usize,
}

impl Level {
    /// As an [`Estimate`] (for [`super::replicated::needed_replications`]).
    pub fn estimate(&self) -> Estimate {
        Estimate {
            value: self.mean,
            se: self.se,
            se_design: self.se_design,
            se_replication: self.se_replication,
            dof: self.dof,
            low: self.low,
            high: self.high,
        }
    }
}

/// Group design points by the value of one parameter: each distinct value if there are at most 25,
/// else 10 equal-width bins of [lo, hi] (empty bins left out). Returns (value or bin centre, points).
pub fn groups(xs: &[f64], lo: f64, hi: f64) -> Vec<(f64, Vec<usize>)> {
    let mut distinct = xs.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() <= 25 {
        return distinct
            .iter()
            .map(|&v| (v, (0..xs.len()).filter(|&p| xs[p] == v).collect()))
            .collect();
    }
    let w = (hi - lo) / 10.0;
    (0..10)
        .map(|b| {
            let members = (0..xs.len())
                .filter(|&p| (((xs[p] - lo) / w).floor() as i64).clamp(0, 9) == b)
                .collect();
            (lo + (b as f64 + 0.5) * w, members)
        })
        .filter(|(_, m): &(f64, Vec<usize>)| !m.is_empty())
        .collect()
}

/// The level made of the points `runs[p][r]` (n points, R replications each). `random_points`: the
/// points are a random sample (Latin hypercube), so their spread is part of the band.
pub fn level(x: f64, runs: &[&[f64]], random_points: bool, level: f64) -> Level {
    let n = runs.len();
    let r = runs.first().map_or(0, |v| v.len());
    let (nf, rf) = (n as f64, r as f64);
    let point_means: Vec<f64> = runs.iter().map(|v| v.iter().sum::<f64>() / rf).collect();
    let rep_means: Vec<f64> = (0..r).map(|j| runs.iter().map(|v| v[j]).sum::<f64>() / nf).collect();
    let mean = point_means.iter().sum::<f64>() / nf;
    let ss = |xs: &[f64]| xs.iter().map(|v| (v - mean).powi(2)).sum::<f64>();
    let ms_p = if n > 1 { rf * ss(&point_means) / (nf - 1.0) } else { f64::NAN };
    let ms_r = if r > 1 { nf * ss(&rep_means) / (rf - 1.0) } else { f64::NAN };
    let ms_e = if n > 1 && r > 1 {
        let mut s = 0.0;
        for (p, v) in runs.iter().enumerate() {
            for (j, y) in v.iter().enumerate() {
                s += (y - point_means[p] - rep_means[j] + mean).powi(2);
            }
        }
        s / ((nf - 1.0) * (rf - 1.0))
    } else {
        0.0
    };
    let v_rep = ms_r / (nf * rf);
    let v_design = if random_points && n > 1 {
        ((ms_p - ms_e) / (nf * rf)).max(0.0)
    } else {
        f64::NAN
    };
    let (var, dof) = match (v_design.is_finite(), v_rep.is_finite()) {
        (true, true) => {
            // Satterthwaite on (MS_p + MS_r − MS_e)/(nR), the signed combination of mean squares.
            let total = ((ms_p + ms_r - ms_e) / (nf * rf)).max(v_rep);
            let denom = ms_p.powi(2) / (nf - 1.0) + ms_r.powi(2) / (rf - 1.0) + ms_e.powi(2) / ((nf - 1.0) * (rf - 1.0));
            (total, (ms_p + ms_r - ms_e).max(ms_r).powi(2) / denom)
        }
        (false, true) => (v_rep, rf - 1.0),
        // One replication: the spread of the point means, without the streams' part.
        (true, false) => (ms_p / (nf * rf), nf - 1.0),
        (false, false) if random_points && n > 1 => (ms_p / (nf * rf), nf - 1.0),
        (false, false) => (f64::NAN, f64::NAN),
    };
    let se = var.sqrt();
    let half = t_quantile(level, dof) * se;
    Level {
        x,
        mean,
        low: mean - half,
        high: mean + half,
        se,
        se_design: v_design.sqrt(),
        se_replication: v_rep.sqrt(),
        dof,
        points: n,
    }
}

/// Main effects of parameter `i` of design `points` on one outcome with replication values
/// `runs[p][r]`.
pub fn main_effect(points: &[Vec<f64>], i: usize, lo: f64, hi: f64, runs: &[Vec<f64>], random_points: bool) -> Vec<Level> {
    let xs: Vec<f64> = points.iter().map(|p| p[i]).collect();
    groups(&xs, lo, hi)
        .into_iter()
        .map(|(x, members)| {
            let rows: Vec<&[f64]> = members.iter().map(|&p| runs[p].as_slice()).collect();
            level(x, &rows, random_points, 0.95)
        })
        .collect()
}

/// Check a sweep's `--precision` (a positive number, or none).
pub fn check_precision(p: Option<f64>) -> Result<()> {
    match p {
        Some(v) if !(v.is_finite() && v > 0.0) => Err(Error::Usage(format!("--precision {v}: expected a positive number (outcome units)"))),
        _ => Ok(()),
    }
}

/// Columns of `effects.csv`.
pub const COLUMNS: [&str; 12] = [
    "outcome",
    "param",
    "level",
    "x",
    "points",
    "mean",
    "se",
    "low",
    "high",
    "se_design",
    "se_replication",
    "dof",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Balanced two-way data y_pr = a_p + b_r + e_pr.
    fn layout(a: &[f64], b: &[f64], e: impl Fn(usize, usize) -> f64) -> Vec<Vec<f64>> {
        a.iter()
            .enumerate()
            .map(|(p, ap)| b.iter().enumerate().map(|(r, br)| ap + br + e(p, r)).collect())
            .collect()
    }

    #[test]
    fn the_stream_shift_enters_the_band_and_the_points_only_for_random_designs() {
        // No interaction: MS_e = 0. b = (−1, 1): s²(ȳ_·r) = 2, replication variance 2/2 = 1.
        // a = (0, 2): MS_p = R s²(ȳ_p·) = 2·2 = 4, design variance (4 − 0)/(2·2) = 1.
        let y = layout(&[0.0, 2.0], &[-1.0, 1.0], |_, _| 0.0);
        let rows: Vec<&[f64]> = y.iter().map(Vec::as_slice).collect();
        let fixed = level(0.0, &rows, false, 0.95);
        assert!((fixed.mean - 1.0).abs() < 1e-12 && (fixed.se - 1.0).abs() < 1e-12);
        assert!(fixed.se_design.is_nan() && (fixed.dof - 1.0).abs() < 1e-12);
        let random = level(0.0, &rows, true, 0.95);
        assert!((random.se - 2f64.sqrt()).abs() < 1e-12 && (random.se_design - 1.0).abs() < 1e-12);
        // The old band (spread of point means over √n) would be √2/√2 = 1 and miss the shift:
        // here a design without point effects still gets the shift's variance.
        let y = layout(&[1.0, 1.0, 1.0], &[-1.0, 1.0], |_, _| 0.0);
        let rows: Vec<&[f64]> = y.iter().map(Vec::as_slice).collect();
        assert!((level(0.0, &rows, true, 0.95).se - 1.0).abs() < 1e-12);
    }

    #[test]
    fn groups_bin_many_values() {
        let xs: Vec<f64> = (0..100).map(|i| i as f64 / 99.0).collect();
        let g = groups(&xs, 0.0, 1.0);
        assert_eq!(g.len(), 10);
        assert_eq!(g.iter().map(|(_, m)| m.len()).sum::<usize>(), 100);
        assert_eq!(groups(&[0.0, 1.0, 0.0], 0.0, 1.0).len(), 2);
        assert!(check_precision(Some(-1.0)).is_err() && check_precision(None).is_ok());
    }
}
