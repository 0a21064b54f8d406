//! G: global standards pull — a framework's GDP-weighted market share in a domain (the Brussels
//! effect: firms adopt the rules of the largest market) plus an exogenous standards push.

/// GDP share of each framework in one domain, into `out[k]` (length K).
pub fn gdp_shares(align: &[u8], gdp: &[f64], total_gdp: f64, out: &mut [f64]) {
    out.iter_mut().for_each(|x| *x = 0.0);
    for (&a, &g) in align.iter().zip(gdp) {
        out[a as usize] += g;
    }
    if total_gdp > 0.0 {
        out.iter_mut().for_each(|x| *x /= total_gdp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_gdp_weighted() {
        let mut out = [0.0; 2];
        gdp_shares(&[0, 1, 1], &[2.0, 1.0, 1.0], 4.0, &mut out);
        assert_eq!(out, [0.5, 0.5]);
    }
}
