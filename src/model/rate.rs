//! The revision rate's state covariates ([`crate::scenario::rate`]): their standardised values
//! z_ic, computed once per model, and each cell's yearly probability of reconsidering,
//! ρ_id = σ(logit ρ_d + Σ_c β_c z_ic).

use crate::scenario::Scenario;
use crate::scenario::rate::RateCovariate;
use crate::world::World;

/// The raw value of covariate `c` for every state, or the first state it is undefined for.
pub fn raw_values(world: &World, c: &RateCovariate) -> Result<Vec<f64>, String> {
    if let RateCovariate::Column(name) = c {
        return world
            .columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| {
                let have: Vec<&str> = world.columns.iter().map(|(n, _)| n.as_str()).collect();
                format!(
                    "the world has no column `{name}` (a custom world's agents.csv may add numeric columns x_NAME; this one has {})",
                    if have.is_empty() { "none".to_string() } else { have.join(", ") }
                )
            });
    }
    let n = world.len();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (gdp, pop) = (world.gdp[i], world.population[i]);
        let x = match c {
            RateCovariate::LnGdpPerCapita => (gdp / pop).ln(),
            RateCovariate::LnPopulation => pop.ln(),
            RateCovariate::Freedom => world.freedom[i],
            RateCovariate::Column(_) => unreachable!("columns are returned above"),
        };
        if !x.is_finite() {
            return Err(format!(
                "state `{}` has GDP {gdp} and population {pop}: `{}` is not defined for it",
                &world.ids[i],
                c.key()
            ));
        }
        out.push(x);
    }
    Ok(out)
}

/// `x` standardised to mean 0 and standard deviation 1 over the states (population SD), or an
/// error when it does not vary.
pub fn standardise(x: &[f64]) -> Result<Vec<f64>, String> {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    if sd.is_nan() || sd <= 0.0 {
        return Err("it takes one value in every state of this world, so its coefficient means nothing".into());
    }
    Ok(x.iter().map(|v| (v - mean) / sd).collect())
}

/// σ(logit ρ + η): a rate shifted on the logit scale (0 and 1 stay put).
#[inline]
pub fn shifted(rho: f64, eta: f64) -> f64 {
    if rho <= 0.0 || rho >= 1.0 {
        return rho;
    }
    1.0 / (1.0 + ((1.0 - rho) / rho) * (-eta).exp())
}

/// Every cell's rate `[d*N + i]` from the domains' rates, the coefficients and z `[c*N + i]`.
pub fn cell_rates(rates: &[f64], coefs: &[f64], z: &[f64], n: usize, out: &mut [f64]) {
    for (d, &rho) in rates.iter().enumerate() {
        for i in 0..n {
            let eta: f64 = coefs.iter().enumerate().map(|(c, b)| b * z[c * n + i]).sum();
            out[d * n + i] = shifted(rho, eta);
        }
    }
}

/// The covariates of `scenario.rate_covariates` standardised over the world's states, `[c*N + i]`
/// in the scenario's order (empty without `[rate]`); a covariate undefined for a state, or equal for
/// all, is an error at its key.
pub(crate) fn standardised_covariates(scenario: &Scenario, world: &World) -> crate::error::Result<Vec<f64>> {
    let mut rate_z = Vec::with_capacity(world.len() * scenario.rate_covariates.len());
    for (c, _) in &scenario.rate_covariates {
        let z = raw_values(world, c)
            .and_then(|x| standardise(&x))
            .map_err(|m| scenario.error(&format!("rate.{}", c.key()), m))?;
        rate_z.extend(z);
    }
    Ok(rate_z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardised_values_have_mean_zero_and_unit_sd() {
        let z = standardise(&[1.0, 2.0, 3.0, 6.0]).unwrap();
        let mean: f64 = z.iter().sum::<f64>() / 4.0;
        let var: f64 = z.iter().map(|v| v * v).sum::<f64>() / 4.0;
        assert!(mean.abs() < 1e-15 && (var - 1.0).abs() < 1e-12);
        assert!(standardise(&[2.0, 2.0]).unwrap_err().contains("one value"));
    }

    #[test]
    fn a_shift_moves_the_rate_on_the_logit_scale() {
        assert_eq!(shifted(0.1, 0.0), 0.1);
        // logit 0.1 + ln 9 = 0: a rate of one half.
        assert!((shifted(0.1, 9f64.ln()) - 0.5).abs() < 1e-15);
        assert_eq!(shifted(0.0, 3.0), 0.0);
        assert_eq!(shifted(1.0, -3.0), 1.0);
        let mut out = [0.0; 4];
        cell_rates(&[0.2, 0.5], &[1.0], &[-1.0, 1.0], 2, &mut out);
        let s = |x: f64| 1.0 / (1.0 + (-x).exp());
        let l = |p: f64| (p / (1.0 - p)).ln();
        for (o, e) in out.iter().zip([s(l(0.2) - 1.0), s(l(0.2) + 1.0), s(-1.0), s(1.0)]) {
            assert!((o - e).abs() < 1e-15);
        }
    }
}
