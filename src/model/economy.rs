//! E: economic pull — the share of a state's trade that goes to a framework's home states.

use crate::world::Ties;

/// E[i*K + k] = Σ_j w_ij · [j is a home state of k], with row-normalised weights `ties`.
/// `home[k][j]` says whether j is a home state of framework k. Static for a batch. Empty when no
/// framework has a home state (synthetic worlds, usually): nothing pulls.
pub fn pull(ties: &Ties, home: &[Vec<bool>]) -> Vec<f64> {
    let n = ties.len();
    let k_count = home.len();
    // Frameworks without home states pull nothing.
    let homes: Vec<(usize, &Vec<bool>)> = home.iter().enumerate().filter(|(_, h)| h.contains(&true)).collect();
    if homes.is_empty() {
        return Vec::new();
    }
    let mut e = vec![0.0; n * k_count];
    for i in 0..n {
        let (targets, weights) = ties.row(i);
        for (&j, &w) in targets.iter().zip(weights) {
            for &(k, h) in &homes {
                if h[j as usize] {
                    e[i * k_count + k] += f64::from(w);
                }
            }
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_is_trade_share_with_home_states() {
        let ties = Ties::from_rows(vec![vec![(1, 3.0), (2, 1.0)], vec![(0, 1.0)], vec![(0, 1.0)]], false);
        let home = vec![vec![false, true, false], vec![false, false, true]];
        let e = pull(&ties, &home);
        assert_eq!(&e[0..2], &[0.75, 0.25]);
        assert_eq!(&e[2..4], &[0.0, 0.0]);
        assert!(pull(&ties, &[vec![false; 3], vec![false; 3]]).is_empty(), "no home states");
    }
}
