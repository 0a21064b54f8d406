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

/// [`gdp_shares`] when every state has the same GDP, from the count of states on each framework:
/// `sums[c]` is that GDP added c times ([`crate::model::Model::gdp_sums`]), which is what summing
/// the GDP of c states in order gives, bit for bit.
pub fn gdp_shares_of_counts(counts: &[u32], sums: &[f64], total_gdp: f64, out: &mut [f64]) {
    for (x, &c) in out.iter_mut().zip(counts) {
        *x = sums[c as usize];
        if total_gdp > 0.0 {
            *x /= total_gdp;
        }
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

    #[test]
    fn equal_gdp_shares_from_counts_match_the_sum_bit_for_bit() {
        // 0.1 is not exact in binary: summing it 1..=1000 times accumulates rounding, which the
        // table must reproduce exactly, not approximate by multiplication.
        let n = 1000;
        let gdp = vec![0.1; n];
        let mut sums = vec![0.0];
        for _ in 0..n {
            sums.push(sums.last().unwrap() + 0.1);
        }
        let total: f64 = gdp.iter().sum();
        let align: Vec<u8> = (0..n).map(|i| ((i * 7 + i / 3) % 3) as u8).collect();
        let mut counts = [0u32; 3];
        align.iter().for_each(|&a| counts[a as usize] += 1);
        let (mut by_sum, mut by_table) = ([0.0; 3], [0.0; 3]);
        gdp_shares(&align, &gdp, total, &mut by_sum);
        gdp_shares_of_counts(&counts, &sums, total, &mut by_table);
        assert_eq!(by_sum.map(f64::to_bits), by_table.map(f64::to_bits));
        assert_ne!(sums[333], 333.0 * 0.1, "the fixture must exercise rounding");
    }
}
