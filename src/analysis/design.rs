//! Experimental designs on the unit cube [0, 1]^k; [`crate::analysis::ParamRange::at`] maps a
//! coordinate to a parameter value.

use rand::RngExt;

use crate::error::{Error, Result};
use crate::rng::Generator;

/// Largest design accepted (points), to refuse typing mistakes before any work.
pub const MAX_POINTS: usize = 1 << 20;

/// Full-factorial grid with `levels` equally spaced values per axis, 0 and 1 included (the single
/// level 0.5 when `levels` = 1). The first parameter varies slowest.
pub fn grid(k: usize, levels: usize) -> Result<Vec<Vec<f64>>> {
    let total = (levels as u128).checked_pow(k as u32).unwrap_or(u128::MAX);
    if levels == 0 || total > MAX_POINTS as u128 {
        return Err(Error::Usage(format!(
            "--points {levels}: a grid of {levels}^{k} points; expected 1 to {MAX_POINTS} points in all"
        )));
    }
    let level = |j: usize| if levels == 1 { 0.5 } else { j as f64 / (levels - 1) as f64 };
    let mut out = Vec::with_capacity(total as usize);
    for n in 0..total as usize {
        let mut rest = n;
        let mut p = vec![0.0; k];
        for i in (0..k).rev() {
            p[i] = level(rest % levels);
            rest /= levels;
        }
        out.push(p);
    }
    Ok(out)
}

/// Latin hypercube sample of `n` points (McKay, Beckman & Conover 1979): in every dimension each of
/// the n strata [j/n, (j+1)/n) holds exactly one point, placed uniformly within it; strata are
/// paired across dimensions by independent random permutations.
pub fn lhs(k: usize, n: usize, rng: &mut Generator) -> Result<Vec<Vec<f64>>> {
    if n == 0 || n > MAX_POINTS {
        return Err(Error::Usage(format!("--points {n}: expected 1 to {MAX_POINTS}")));
    }
    let mut out = vec![vec![0.0; k]; n];
    for i in 0..k {
        let perm = permutation(n, rng);
        for (row, &stratum) in out.iter_mut().zip(&perm) {
            row[i] = (stratum as f64 + rng.random::<f64>()) / n as f64;
        }
    }
    Ok(out)
}

/// A uniformly random permutation of 0..n (Fisher–Yates).
pub fn permutation(n: usize, rng: &mut Generator) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        p.swap(i, j);
    }
    p
}

/// Saltelli's design for Sobol indices (Saltelli 2002, 2010): matrices A and B (N × k) from the
/// first and second k dimensions of an Owen-scrambled Sobol sequence (`sobol_burley`, scrambled by
/// `seed`), and AB_i = A with column i taken from B. Returned row by row as, for each j = 0..N:
/// A_j, B_j, AB_1j, ..., AB_kj — N (k + 2) points in that interleaved order, so any prefix of
/// whole groups is itself a complete (smaller) design.
pub fn saltelli(k: usize, n: usize, seed: u32) -> Result<Vec<Vec<f64>>> {
    if k == 0 || 2 * k > sobol_burley::NUM_DIMENSIONS as usize {
        return Err(Error::Usage(format!(
            "Sobol analysis of {k} parameters: expected 1 to {}",
            sobol_burley::NUM_DIMENSIONS / 2
        )));
    }
    if !(2..=1 << 16).contains(&n) {
        return Err(Error::Usage(format!("--samples {n}: expected 2 to 65536 (a power of two)")));
    }
    let mut out = Vec::with_capacity(n * (k + 2));
    for j in 0..n as u32 {
        let a: Vec<f64> = (0..k as u32).map(|i| f64::from(sobol_burley::sample(j, i, seed))).collect();
        let b: Vec<f64> = (0..k as u32)
            .map(|i| f64::from(sobol_burley::sample(j, k as u32 + i, seed)))
            .collect();
        out.push(a.clone());
        out.push(b.clone());
        for i in 0..k {
            let mut ab = a.clone();
            ab[i] = b[i];
            out.push(ab);
        }
    }
    Ok(out)
}

/// Morris trajectories (Morris 1991) on a grid of `levels` (even) values {0, 1/(p-1), ..., 1} with
/// step Δ = p / (2 (p - 1)). Each trajectory starts at a random grid point and moves one factor
/// at a time, in a random order, by +Δ or −Δ (whichever stays in the cube: for an even number of
/// levels exactly one does, so starting levels and directions are equally likely).
#[derive(Debug, Clone, PartialEq)]
pub struct MorrisDesign {
    /// Factors (parameters) k.
    pub k: usize,
    /// Grid levels p (even).
    pub levels: usize,
    /// r (k + 1) points, trajectory by trajectory.
    pub points: Vec<Vec<f64>>,
    /// Per trajectory and step: (factor moved, signed step in unit coordinates).
    pub steps: Vec<Vec<(usize, f64)>>,
}

impl MorrisDesign {
    /// Draw `r` trajectories of `k` factors on `levels` levels.
    pub fn new(k: usize, r: usize, levels: usize, rng: &mut Generator) -> Result<MorrisDesign> {
        if levels < 2 || !levels.is_multiple_of(2) {
            return Err(Error::Usage(format!(
                "--levels {levels}: expected an even number, at least 2 (4 is usual)"
            )));
        }
        if r < 2 || r * (k + 1) > MAX_POINTS {
            return Err(Error::Usage(format!("--trajectories {r}: expected at least 2 (10 to 50 is usual)")));
        }
        let delta = levels as f64 / (2.0 * (levels - 1) as f64);
        let half = levels / 2;
        let mut points = Vec::with_capacity(r * (k + 1));
        let mut steps = Vec::with_capacity(r);
        for _ in 0..r {
            let start: Vec<usize> = (0..k).map(|_| rng.random_range(0..levels)).collect();
            let mut x: Vec<f64> = start.iter().map(|&j| j as f64 / (levels - 1) as f64).collect();
            let order = permutation(k, rng);
            points.push(x.clone());
            let mut traj = Vec::with_capacity(k);
            for &i in &order {
                let step = if start[i] < half { delta } else { -delta };
                x[i] += step;
                // Snap to the grid (removes rounding drift).
                x[i] = (x[i] * (levels - 1) as f64).round() / (levels - 1) as f64;
                points.push(x.clone());
                traj.push((i, step));
            }
            steps.push(traj);
        }
        Ok(MorrisDesign { k, levels, points, steps })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_covers_every_combination_of_levels() {
        let g = grid(2, 3).unwrap();
        assert_eq!(g.len(), 9);
        let mut seen = std::collections::BTreeSet::new();
        for p in &g {
            seen.insert(((p[0] * 2.0) as u8, (p[1] * 2.0) as u8));
        }
        assert_eq!(seen.len(), 9);
        assert_eq!(g[0], vec![0.0, 0.0]);
        assert_eq!(g[1], vec![0.0, 0.5]);
        assert_eq!(g[8], vec![1.0, 1.0]);
        assert_eq!(grid(3, 1).unwrap(), vec![vec![0.5; 3]]);
        assert!(grid(30, 10).is_err());
    }

    #[test]
    fn lhs_puts_one_point_in_every_stratum_of_every_dimension() {
        let mut rng = crate::rng::seeded(9);
        let n = 50;
        let d = lhs(4, n, &mut rng).unwrap();
        for i in 0..4 {
            let mut strata: Vec<usize> = d.iter().map(|p| (p[i] * n as f64).floor() as usize).collect();
            strata.sort();
            assert_eq!(strata, (0..n).collect::<Vec<_>>());
        }
        // Deterministic from the seed.
        assert_eq!(lhs(4, n, &mut crate::rng::seeded(9)).unwrap(), d);
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn saltelli_rows_share_columns_as_designed() {
        let (k, n) = (3, 8);
        let d = saltelli(k, n, 1).unwrap();
        assert_eq!(d.len(), n * (k + 2));
        for j in 0..n {
            let g = &d[j * (k + 2)..(j + 1) * (k + 2)];
            for i in 0..k {
                for c in 0..k {
                    assert_eq!(g[2 + i][c], if c == i { g[1][c] } else { g[0][c] });
                }
            }
        }
        // The A matrix is stratified like a (0, m, s)-net: one point per 1/N interval in each dimension.
        for c in 0..k {
            let mut s: Vec<usize> = (0..n).map(|j| (d[j * (k + 2)][c] * n as f64) as usize).collect();
            s.sort();
            assert_eq!(s, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn morris_trajectories_move_one_factor_by_delta_inside_the_cube() {
        let mut rng = crate::rng::seeded(4);
        let m = MorrisDesign::new(3, 20, 4, &mut rng).unwrap();
        assert_eq!(m.points.len(), 20 * 4);
        for (t, steps) in m.steps.iter().enumerate() {
            let mut moved = [false; 3];
            for (s, &(i, step)) in steps.iter().enumerate() {
                let (a, b) = (&m.points[t * 4 + s], &m.points[t * 4 + s + 1]);
                assert!((b[i] - a[i] - step).abs() < 1e-12 && (step.abs() - 2.0 / 3.0).abs() < 1e-12);
                assert!((0..3).filter(|&c| c != i).all(|c| a[c] == b[c]));
                assert!((0.0..=1.0).contains(&b[i]));
                moved[i] = true;
            }
            assert!(moved.iter().all(|&x| x));
        }
        assert!(MorrisDesign::new(3, 20, 5, &mut rng).is_err());
    }
}
