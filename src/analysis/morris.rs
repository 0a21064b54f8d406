//! Morris elementary effects on the trajectories of [`super::design::MorrisDesign`].
//!
//! Along a trajectory, the step that moves factor i by Δ (in unit coordinates) gives the elementary
//! effect EE_i = (f(x + Δ e_i) − f(x)) / Δ. Over the r trajectories:
//! mu_i = mean EE_i, mu*_i = mean |EE_i| (Campolongo, Cariboni & Saltelli 2007) and sigma_i =
//! standard deviation of EE_i (Morris 1991). Effects are per unit of the scaled input, i.e. about
//! the change in the outcome when the parameter moves across its whole range. Each is computed
//! from the replication means of each point.
//!
//! Its interval ([`super::replicated`]) adds the bootstrap variance over trajectories (the design
//! part) and the jackknife variance over replications (the streams every point shares under common
//! random numbers). mu* is not an unbiased estimate of the mean response's mu*: replication noise η
//! in an elementary effect raises E|μ + η| above |μ|, by at most E|η| ≤ √E[η²]. That bound,
//! `noise` = √(mean over trajectories of s²_t / R) with s²_t the variance of the effect across
//! replications, is subtracted from the lower limit, so the interval covers the mu* of the mean
//! response (conservatively on the lower side) rather than a noise-inflated value.

use rand::RngExt;

use super::design::MorrisDesign;
use super::replicated::{combine, jackknife_variance, sample_variance};
use crate::rng::Generator;

/// Morris measures of one parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisIndex {
    /// Mean elementary effect μ.
    pub mu: f64,
    /// Mean absolute elementary effect μ*.
    pub mu_star: f64,
    /// Standard deviation of the elementary effects σ.
    pub sigma: f64,
    /// Lower end of μ*'s interval, lowered by the noise bound and floored at 0.
    pub mu_star_low: f64,
    /// Upper end of μ*'s interval.
    pub mu_star_high: f64,
    /// Standard error of mu* (design and replication parts together).
    pub se: f64,
    /// Standard error of μ* from the design (the trajectories).
    pub se_design: f64,
    /// NaN with fewer than 3 replications.
    pub se_replication: f64,
    /// Degrees of freedom of the interval.
    pub dof: f64,
    /// Upper bound of the noise's upward bias of mu* (NaN with one replication).
    pub noise: f64,
}

impl MorrisIndex {
    /// Share of the sampling variance of mu* from the replication streams.
    pub fn noise_share(&self) -> f64 {
        let (d, s) = (self.se_design.powi(2), self.se_replication.powi(2));
        if d + s > 0.0 { s / (d + s) } else { f64::NAN }
    }
}

/// Elementary effects `ee[i][t][r]` of factor i on trajectory t in replication r, from outputs
/// `y[p][r]` in design order.
pub fn elementary_effects(d: &MorrisDesign, y: &[Vec<f64>]) -> Vec<Vec<Vec<f64>>> {
    let m = y.first().map_or(0, Vec::len);
    let mut ee = vec![vec![vec![0.0; m]; d.steps.len()]; d.k];
    for (t, steps) in d.steps.iter().enumerate() {
        let base = t * (d.k + 1);
        for (s, &(i, step)) in steps.iter().enumerate() {
            for r in 0..m {
                ee[i][t][r] = (y[base + s + 1][r] - y[base + s][r]) / step;
            }
        }
    }
    ee
}

/// mu* of one factor from trajectories `rows` and replications `reps`.
fn mu_star(e: &[Vec<f64>], rows: &[usize], reps: &[usize]) -> f64 {
    rows.iter()
        .map(|&t| (reps.iter().map(|&r| e[t][r]).sum::<f64>() / reps.len() as f64).abs())
        .sum::<f64>()
        / rows.len() as f64
}

/// mu, mu*, sigma of every factor from per-replication outputs `y[p][r]`, with a central `level`
/// interval for mu* (bootstrap over trajectories, jackknife over replications, noise bound).
pub fn indices(d: &MorrisDesign, y: &[Vec<f64>], resamples: usize, level: f64, rng: &mut Generator) -> Vec<MorrisIndex> {
    let ee = elementary_effects(d, y);
    let n = d.steps.len();
    let m = y.first().map_or(0, Vec::len);
    let all: Vec<usize> = (0..n).collect();
    let reps: Vec<usize> = (0..m).collect();
    let mut rows = vec![0; n];
    let mut boot = vec![Vec::with_capacity(resamples); d.k];
    for _ in 0..resamples {
        for x in rows.iter_mut() {
            *x = rng.random_range(0..n);
        }
        for (i, e) in ee.iter().enumerate() {
            boot[i].push(mu_star(e, &rows, &reps));
        }
    }
    ee.iter()
        .zip(&boot)
        .map(|(e, b)| {
            let means: Vec<f64> = e.iter().map(|v| v.iter().sum::<f64>() / m as f64).collect();
            let nf = n as f64;
            let mu = means.iter().sum::<f64>() / nf;
            let sigma = (means.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (nf - 1.0)).sqrt();
            let value = mu_star(e, &all, &reps);
            let jack: Vec<f64> = if m >= 3 {
                (0..m)
                    .map(|left| mu_star(e, &all, &reps.iter().copied().filter(|&r| r != left).collect::<Vec<_>>()))
                    .collect()
            } else {
                Vec::new()
            };
            let noise = if m >= 2 {
                (e.iter().map(|v| sample_variance(v)).sum::<f64>() / nf / m as f64).sqrt()
            } else {
                f64::NAN
            };
            let c = combine(
                value,
                sample_variance(b),
                nf - 1.0,
                jackknife_variance(&jack),
                (m as f64 - 1.0).max(1.0),
                level,
            );
            MorrisIndex {
                mu,
                mu_star: value,
                sigma,
                mu_star_low: (c.low - if noise.is_finite() { noise } else { 0.0 }).max(0.0),
                mu_star_high: c.high,
                se: c.se,
                se_design: c.se_design,
                se_replication: c.se_replication,
                dof: c.dof,
                noise,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranking_and_exact_values_on_a_known_function() {
        // f = 3 x0 + 0 x1 + x2²: x1 has no effect (mu* = sigma = 0 exactly), x0 is linear
        // (every EE = 3: mu* = 3, sigma = 0), x2 is curved (EE = 2 x + Δ ∈ {2/3, 4/3} with 4 levels).
        let mut rng = crate::rng::seeded(2);
        let d = MorrisDesign::new(3, 30, 4, &mut rng).unwrap();
        let y: Vec<Vec<f64>> = d.points.iter().map(|x| vec![3.0 * x[0] + x[2] * x[2]]).collect();
        let m = indices(&d, &y, 200, 0.95, &mut rng);
        assert_eq!((m[1].mu_star, m[1].sigma, m[1].mu), (0.0, 0.0, 0.0));
        assert!((m[0].mu_star - 3.0).abs() < 1e-12 && m[0].sigma < 1e-12 && (m[0].mu - 3.0).abs() < 1e-12);
        assert!(m[2].mu_star > 2.0 / 3.0 - 1e-12 && m[2].mu_star < 4.0 / 3.0 + 1e-12 && m[2].sigma > 0.0);
        assert!(m[0].mu_star > m[2].mu_star && m[2].mu_star > m[1].mu_star);
        // A decreasing factor has mu < 0 but mu* > 0.
        let y: Vec<Vec<f64>> = d.points.iter().map(|x| vec![-2.0 * x[1]]).collect();
        let m = indices(&d, &y, 200, 0.95, &mut rng);
        assert!((m[1].mu + 2.0).abs() < 1e-12 && (m[1].mu_star - 2.0).abs() < 1e-12);
        assert!(m[1].mu_star_low <= 2.0 + 1e-12 && m[1].mu_star_high >= 2.0 - 1e-12);
    }
}
