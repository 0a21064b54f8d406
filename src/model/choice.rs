//! The choice rule: multinomial logit with intensity lambda, or best response when lambda is infinite.
//!
//! Pure functions: they take the utilities and the random numbers they need, never a generator of
//! their own, so the run decides the order of draws (McFadden 1974; Brock and Durlauf 2001).

use rand::RngExt;

use crate::rng::Generator;

/// Most frameworks a scenario may define; fixed-size scratch arrays use it.
pub const MAX_FRAMEWORKS: usize = 8;

/// Pick a framework from utilities `u` (length K) for a state currently on `current`.
///
/// With finite `lambda`, framework k is chosen with probability exp(lambda·u_k) / Σ_j exp(lambda·u_j),
/// by inverting the cumulative distribution at `v` ∈ [0, 1). With `lambda = ∞` (best response) the
/// state keeps `current` if it is among the best; otherwise it picks uniformly among the best, using
/// `rng` only in that case.
#[inline]
pub fn choose(u: &[f64], current: usize, lambda: f64, v: f64, rng: &mut Generator) -> usize {
    if lambda.is_infinite() {
        return best_response(u, current, rng);
    }
    let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut w = [0.0f64; MAX_FRAMEWORKS];
    let mut total = 0.0;
    for (k, &uk) in u.iter().enumerate() {
        let e = (lambda * (uk - max)).exp();
        w[k] = e;
        total += e;
    }
    let target = v * total;
    let mut acc = 0.0;
    for (k, &wk) in w[..u.len()].iter().enumerate() {
        acc += wk;
        if target < acc {
            return k;
        }
    }
    // Rounding can leave `target` a hair above the last partial sum: take the last positive weight.
    w[..u.len()].iter().rposition(|&x| x > 0.0).unwrap_or(current)
}

/// Logit choice probabilities of utilities `u` into `out` (same length).
pub fn probabilities(u: &[f64], lambda: f64, out: &mut [f64]) {
    let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lambda.is_infinite() {
        let best = u.iter().filter(|&&x| x == max).count() as f64;
        for (o, &x) in out.iter_mut().zip(u) {
            *o = if x == max { 1.0 / best } else { 0.0 };
        }
        return;
    }
    let mut total = 0.0;
    for (o, &x) in out.iter_mut().zip(u) {
        *o = (lambda * (x - max)).exp();
        total += *o;
    }
    for o in out.iter_mut() {
        *o /= total;
    }
}

/// Best response with the documented tie rule: stay if the current framework is among the best,
/// otherwise choose uniformly at random among the best.
pub fn best_response(u: &[f64], current: usize, rng: &mut Generator) -> usize {
    let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if u.get(current).is_some_and(|&x| x == max) {
        return current;
    }
    let best = u.iter().filter(|&&x| x == max).count();
    let mut pick = if best > 1 { rng.random_range(0..best) } else { 0 };
    for (k, &x) in u.iter().enumerate() {
        if x == max {
            if pick == 0 {
                return k;
            }
            pick -= 1;
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inversion_matches_probabilities() {
        let u = [0.0, 1.0, 2.0];
        let mut p = [0.0; 3];
        probabilities(&u, 1.0, &mut p);
        let mut rng = crate::rng::seeded(1);
        // v just below the first cumulative probability picks 0, just above picks 1.
        assert_eq!(choose(&u, 0, 1.0, p[0] - 1e-9, &mut rng), 0);
        assert_eq!(choose(&u, 0, 1.0, p[0] + 1e-9, &mut rng), 1);
        assert_eq!(choose(&u, 0, 1.0, 0.999_999, &mut rng), 2);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn lambda_zero_is_uniform() {
        let mut p = [0.0; 4];
        probabilities(&[5.0, -3.0, 0.0, 1.0], 0.0, &mut p);
        assert!(p.iter().all(|&x| (x - 0.25).abs() < 1e-12));
    }

    #[test]
    fn best_response_keeps_current_on_ties_and_moves_to_strictly_better() {
        let mut rng = crate::rng::seeded(2);
        assert_eq!(best_response(&[1.0, 1.0, 0.0], 1, &mut rng), 1);
        assert_eq!(best_response(&[1.0, 2.0, 0.0], 0, &mut rng), 1);
        for _ in 0..50 {
            let k = best_response(&[2.0, 0.0, 2.0], 1, &mut rng);
            assert!(k == 0 || k == 2);
        }
    }

    #[test]
    fn huge_utilities_do_not_overflow() {
        let mut rng = crate::rng::seeded(3);
        assert_eq!(choose(&[1e300, 0.0], 1, 10.0, 0.5, &mut rng), 0);
    }
}
