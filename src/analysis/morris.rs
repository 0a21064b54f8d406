//! Morris elementary effects on the trajectories of [`super::design::MorrisDesign`].
//!
//! Along a trajectory, the step that moves factor i by Δ (in unit coordinates) gives the elementary
//! effect EE_i = (f(x + Δ e_i) − f(x)) / Δ. Over the r trajectories:
//! mu_i = mean EE_i, mu*_i = mean |EE_i| (Campolongo, Cariboni & Saltelli 2007) and sigma_i =
//! standard deviation of EE_i (Morris 1991). Effects are per unit of the scaled input, i.e. about
//! the change in the outcome when the parameter moves across its whole range. The interval of mu*
//! is a bootstrap percentile interval over trajectories.

use rand::RngExt;

use super::design::MorrisDesign;
use super::quantile;
use crate::rng::Generator;

/// Morris measures of one parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisIndex {
    pub mu: f64,
    pub mu_star: f64,
    pub sigma: f64,
    pub mu_star_low: f64,
    pub mu_star_high: f64,
}

/// Elementary effects `ee[i][t]` of factor i on trajectory t, from outputs `y` in design order.
pub fn elementary_effects(d: &MorrisDesign, y: &[f64]) -> Vec<Vec<f64>> {
    let mut ee = vec![vec![0.0; d.steps.len()]; d.k];
    for (t, steps) in d.steps.iter().enumerate() {
        let base = t * (d.k + 1);
        for (s, &(i, step)) in steps.iter().enumerate() {
            ee[i][t] = (y[base + s + 1] - y[base + s]) / step;
        }
    }
    ee
}

/// mu, mu*, sigma of every factor, with a central `level` bootstrap interval for mu*.
pub fn indices(d: &MorrisDesign, y: &[f64], resamples: usize, level: f64, rng: &mut Generator) -> Vec<MorrisIndex> {
    let ee = elementary_effects(d, y);
    let r = d.steps.len();
    let mut rows = vec![0; r];
    let mut boot = vec![Vec::with_capacity(resamples); d.k];
    for _ in 0..resamples {
        for x in rows.iter_mut() {
            *x = rng.random_range(0..r);
        }
        for (i, e) in ee.iter().enumerate() {
            boot[i].push(rows.iter().map(|&t| e[t].abs()).sum::<f64>() / r as f64);
        }
    }
    ee.iter()
        .zip(boot.iter_mut())
        .map(|(e, b)| {
            let n = e.len() as f64;
            let mu = e.iter().sum::<f64>() / n;
            let sigma = (e.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            b.sort_by(f64::total_cmp);
            let a = (1.0 - level) / 2.0;
            MorrisIndex {
                mu,
                mu_star: e.iter().map(|x| x.abs()).sum::<f64>() / n,
                sigma,
                mu_star_low: quantile(b, a),
                mu_star_high: quantile(b, 1.0 - a),
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
        let y: Vec<f64> = d.points.iter().map(|x| 3.0 * x[0] + x[2] * x[2]).collect();
        let m = indices(&d, &y, 200, 0.95, &mut rng);
        assert_eq!((m[1].mu_star, m[1].sigma, m[1].mu), (0.0, 0.0, 0.0));
        assert!((m[0].mu_star - 3.0).abs() < 1e-12 && m[0].sigma < 1e-12 && (m[0].mu - 3.0).abs() < 1e-12);
        assert!(m[2].mu_star > 2.0 / 3.0 - 1e-12 && m[2].mu_star < 4.0 / 3.0 + 1e-12 && m[2].sigma > 0.0);
        assert!(m[0].mu_star > m[2].mu_star && m[2].mu_star > m[1].mu_star);
        // A decreasing factor has mu < 0 but mu* > 0.
        let y: Vec<f64> = d.points.iter().map(|x| -2.0 * x[1]).collect();
        let m = indices(&d, &y, 200, 0.95, &mut rng);
        assert!((m[1].mu + 2.0).abs() < 1e-12 && (m[1].mu_star - 2.0).abs() < 1e-12);
        assert!(m[1].mu_star_low <= 2.0 + 1e-12 && m[1].mu_star_high >= 2.0 - 1e-12);
    }
}
