//! N: network effects — the weighted share of a state's partners already on each framework in a
//! domain (interoperability; Katz and Shapiro 1985, Arthur 1989).

use crate::world::StateId;

/// Accumulate Σ_j w_ij [a_j = k] into `out[k]` for the partners of one state. `align` is one
/// domain's alignment row. Weights may be negative (custom worlds): a negative tie pushes away.
#[inline]
pub fn partner_shares(targets: &[StateId], weights: &[f32], align: &[u8], out: &mut [f64]) {
    out.iter_mut().for_each(|x| *x = 0.0);
    for (&j, &w) in targets.iter().zip(weights) {
        out[align[j as usize] as usize] += f64::from(w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_sum_weights_by_partner_framework() {
        let mut out = [0.0; 3];
        partner_shares(&[0, 2, 3], &[0.5, 0.25, 0.25], &[1, 9, 1, 2], &mut out);
        assert_eq!(out, [0.0, 0.75, 0.25]);
    }
}
