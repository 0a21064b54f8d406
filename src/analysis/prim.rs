//! PRIM, the Patient Rule Induction Method (Friedman & Fisher 1999), as used for scenario discovery
//! (Bryant & Lempert 2010): find boxes (a lower and upper limit per parameter) of the sampled
//! parameter space where a yes/no outcome is frequent.
//!
//! Peeling: starting from the box spanning the data, every candidate peel removes the fraction
//! `alpha` of the box's points with the lowest (or highest) values of one parameter; the peel that
//! leaves the highest density (share of "yes" in the box) is taken; this repeats while the box
//! keeps at least `min_mass` of all points. Each box of the sequence is a point on the peeling
//! trajectory, the trade-off between coverage (share of all "yes" cases inside the box) and density.
//! The chosen box is the densest one with coverage at least `min_coverage` (the earliest such box
//! on ties), then pasting widens it one limit at a time by about `alpha` of its points while that
//! raises the density. For several boxes (covering), the points in the boxes found are removed and
//! the search repeats on the rest.

/// PRIM settings (the flags of `discover`).
#[derive(Debug, Clone, Copy, PartialEq, clap::Args)]
pub struct PrimOptions {
    /// Share of the box's runs removed by each peel.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Smallest box mass (share of all runs) peeling may reach.
    #[arg(long, default_value_t = 0.05)]
    pub min_mass: f64,
    /// The chosen box is the densest with at least this coverage.
    #[arg(long, default_value_t = 0.5)]
    pub min_coverage: f64,
}

impl Default for PrimOptions {
    fn default() -> Self {
        PrimOptions {
            alpha: 0.05,
            min_mass: 0.05,
            min_coverage: 0.5,
        }
    }
}

/// A box: `lower[i] <= x_i <= upper[i]` for every parameter i.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    /// Lower limit of each parameter.
    pub lower: Vec<f64>,
    /// Upper limit of each parameter.
    pub upper: Vec<f64>,
}

impl Bounds {
    fn contains(&self, x: &[f64]) -> bool {
        x.iter().zip(self.lower.iter().zip(&self.upper)).all(|(v, (l, u))| l <= v && v <= u)
    }
}

/// A box and how good it is.
#[derive(Debug, Clone, PartialEq)]
pub struct PrimBox {
    /// Its limits.
    pub bounds: Bounds,
    /// Share of all "yes" points (of the data given to this search) inside the box.
    pub coverage: f64,
    /// Share of "yes" among the points in the box.
    pub density: f64,
    /// Share of the points inside the box.
    pub mass: f64,
    /// Points inside the box.
    pub points: usize,
}

/// One box search: the peeling trajectory, the chosen step, and the chosen box after pasting.
#[derive(Debug, Clone, PartialEq)]
pub struct PrimResult {
    /// The boxes of the peeling, from the full box on.
    pub trajectory: Vec<PrimBox>,
    /// Index in `trajectory` of the step chosen.
    pub chosen: usize,
    /// The chosen box after pasting.
    pub pasted: PrimBox,
    /// The box spanning the data (limits equal to these are unrestricted).
    pub full: Bounds,
}

impl PrimResult {
    /// Parameters whose limits the chosen box restricts.
    pub fn restricted(&self) -> Vec<usize> {
        (0..self.full.lower.len())
            .filter(|&i| self.pasted.bounds.lower[i] > self.full.lower[i] || self.pasted.bounds.upper[i] < self.full.upper[i])
            .collect()
    }
}

fn evaluate(x: &[Vec<f64>], y: &[bool], members: &[usize], b: &Bounds, total_yes: usize, total: usize) -> PrimBox {
    let inside: Vec<usize> = members.iter().copied().filter(|&j| b.contains(&x[j])).collect();
    let yes = inside.iter().filter(|&&j| y[j]).count();
    PrimBox {
        bounds: b.clone(),
        coverage: if total_yes > 0 { yes as f64 / total_yes as f64 } else { 0.0 },
        density: if inside.is_empty() { 0.0 } else { yes as f64 / inside.len() as f64 },
        mass: inside.len() as f64 / total as f64,
        points: inside.len(),
    }
}

/// One PRIM search over the rows `x` (each a point with m parameter values) with outcomes `y`.
pub fn prim(x: &[Vec<f64>], y: &[bool], opts: &PrimOptions) -> Result<PrimResult, String> {
    if x.is_empty() || x.len() != y.len() {
        return Err("PRIM needs at least one point and one outcome per point".into());
    }
    let ok = opts.alpha > 0.0 && opts.alpha < 0.5 && opts.min_mass > 0.0 && opts.min_mass <= 1.0;
    if !ok || !(0.0..=1.0).contains(&opts.min_coverage) {
        return Err("expected 0 < alpha < 0.5, 0 < min mass <= 1 and 0 <= min coverage <= 1".into());
    }
    let m = x[0].len();
    let n = x.len();
    let total_yes = y.iter().filter(|&&v| v).count();
    let mut full = Bounds {
        lower: vec![f64::INFINITY; m],
        upper: vec![f64::NEG_INFINITY; m],
    };
    for row in x {
        for (i, &v) in row.iter().enumerate().take(m) {
            full.lower[i] = full.lower[i].min(v);
            full.upper[i] = full.upper[i].max(v);
        }
    }
    let all: Vec<usize> = (0..n).collect();
    let mut current = evaluate(x, y, &all, &full, total_yes, n);
    let mut trajectory = vec![current.clone()];
    loop {
        let inside: Vec<usize> = all.iter().copied().filter(|&j| current.bounds.contains(&x[j])).collect();
        let remove = ((opts.alpha * inside.len() as f64).ceil() as usize).max(1);
        let mut best: Option<PrimBox> = None;
        for i in 0..m {
            let mut vals: Vec<f64> = inside.iter().map(|&j| x[j][i]).collect();
            vals.sort_by(f64::total_cmp);
            if remove >= vals.len() {
                continue;
            }
            // Lower peel: new lower limit at the value after the `remove` smallest (ties stay in).
            let lo = vals[remove];
            let hi = vals[vals.len() - 1 - remove];
            for (is_lower, limit) in [(true, lo), (false, hi)] {
                let mut b = current.bounds.clone();
                if is_lower {
                    if limit <= b.lower[i] {
                        continue;
                    }
                    b.lower[i] = limit;
                } else {
                    if limit >= b.upper[i] {
                        continue;
                    }
                    b.upper[i] = limit;
                }
                let cand = evaluate(x, y, &inside, &b, total_yes, n);
                if cand.mass < opts.min_mass || cand.points == 0 {
                    continue;
                }
                if best.as_ref().is_none_or(|bb| cand.density > bb.density) {
                    best = Some(cand);
                }
            }
        }
        match best {
            Some(b) => {
                current = b;
                trajectory.push(current.clone());
            }
            None => break,
        }
    }
    let mut chosen = 0;
    for (s, b) in trajectory.iter().enumerate() {
        if b.coverage >= opts.min_coverage && b.density > trajectory[chosen].density {
            chosen = s;
        }
    }
    let pasted = paste(x, y, &trajectory[chosen], &full, opts.alpha, total_yes);
    Ok(PrimResult {
        trajectory,
        chosen,
        pasted,
        full,
    })
}

/// Widen one limit at a time to take in about `alpha` of the box's points beyond it, while the
/// density rises.
fn paste(x: &[Vec<f64>], y: &[bool], start: &PrimBox, full: &Bounds, alpha: f64, total_yes: usize) -> PrimBox {
    let n = x.len();
    let all: Vec<usize> = (0..n).collect();
    let mut current = start.clone();
    loop {
        let add = ((alpha * current.points as f64).ceil() as usize).max(1);
        let mut best: Option<PrimBox> = None;
        for i in 0..current.bounds.lower.len() {
            for is_lower in [true, false] {
                // Points inside the box in every other dimension and beyond this limit.
                let mut outside: Vec<f64> = all
                    .iter()
                    .filter(|&&j| {
                        let v = x[j][i];
                        let beyond = if is_lower {
                            v < current.bounds.lower[i]
                        } else {
                            v > current.bounds.upper[i]
                        };
                        beyond
                            && (0..x[j].len())
                                .filter(|&c| c != i)
                                .all(|c| current.bounds.lower[c] <= x[j][c] && x[j][c] <= current.bounds.upper[c])
                    })
                    .map(|&j| x[j][i])
                    .collect();
                if outside.is_empty() {
                    continue;
                }
                outside.sort_by(f64::total_cmp);
                let mut b = current.bounds.clone();
                if is_lower {
                    outside.reverse();
                    b.lower[i] = outside[(add - 1).min(outside.len() - 1)].max(full.lower[i]);
                } else {
                    b.upper[i] = outside[(add - 1).min(outside.len() - 1)].min(full.upper[i]);
                }
                let cand = evaluate(x, y, &all, &b, total_yes, n);
                if cand.density > current.density && best.as_ref().is_none_or(|bb| cand.density > bb.density) {
                    best = Some(cand);
                }
            }
        }
        match best {
            Some(b) => current = b,
            None => return current,
        }
    }
}

/// Up to `boxes` searches, each on the points not inside an earlier box (covering). Coverage,
/// density and mass of each box refer to the points its search was given. Stops early when no
/// "yes" point is left.
pub fn covering(x: &[Vec<f64>], y: &[bool], opts: &PrimOptions, boxes: usize) -> Result<Vec<PrimResult>, String> {
    let mut out: Vec<PrimResult> = Vec::new();
    let mut rows: Vec<usize> = (0..x.len()).collect();
    for _ in 0..boxes.max(1) {
        let xs: Vec<Vec<f64>> = rows.iter().map(|&j| x[j].clone()).collect();
        let ys: Vec<bool> = rows.iter().map(|&j| y[j]).collect();
        if !ys.iter().any(|&v| v) || (!out.is_empty() && xs.len() < 2) {
            break;
        }
        let r = prim(&xs, &ys, opts)?;
        rows.retain(|&j| !r.pasted.bounds.contains(&x[j]));
        out.push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn finds_a_known_box() {
        // 2,000 uniform points in [0,1]^3; "yes" exactly in x0 > 0.6 and x1 < 0.3 (x2 irrelevant).
        let mut rng = crate::rng::seeded(17);
        let x: Vec<Vec<f64>> = (0..2000).map(|_| (0..3).map(|_| rng.random::<f64>()).collect()).collect();
        let y: Vec<bool> = x.iter().map(|p| p[0] > 0.6 && p[1] < 0.3).collect();
        let r = prim(&x, &y, &PrimOptions::default()).unwrap();
        let b = &r.pasted;
        // Each peel removes 5% of the box's points, so a limit can stop short of the truth by at most one
        // peel: 5% of the box width (at most 0.05 in the unit cube), plus the gap between neighbouring
        // points (about 1/2000 per unit of width).
        assert!((b.bounds.lower[0] - 0.6).abs() < 0.05, "{b:?}");
        assert!((b.bounds.upper[1] - 0.3).abs() < 0.05, "{b:?}");
        assert_eq!(r.restricted(), vec![0, 1], "{b:?}");
        assert!(b.density > 0.9 && b.coverage > 0.8, "{b:?}");
        // The trajectory starts at the whole space (coverage 1, density = base rate) and ends small.
        assert_eq!(r.trajectory[0].coverage, 1.0);
        assert!((r.trajectory[0].density - y.iter().filter(|&&v| v).count() as f64 / 2000.0).abs() < 1e-12);
        assert!(r.trajectory.last().unwrap().mass >= 0.05);
        // Densities along the peeling never fall.
        assert!(r.trajectory.windows(2).all(|w| w[1].density >= w[0].density));
    }

    #[test]
    fn covering_finds_two_disjoint_boxes() {
        let mut rng = crate::rng::seeded(3);
        let x: Vec<Vec<f64>> = (0..3000).map(|_| (0..2).map(|_| rng.random::<f64>()).collect()).collect();
        let y: Vec<bool> = x
            .iter()
            .map(|p| (p[0] < 0.25 && p[1] < 0.25) || (p[0] > 0.75 && p[1] > 0.75))
            .collect();
        // Each corner holds about half the "yes" points, so the chosen box needs coverage 0.3, not 0.5.
        let opts = PrimOptions {
            min_coverage: 0.3,
            ..PrimOptions::default()
        };
        let rs = covering(&x, &y, &opts, 2).unwrap();
        assert_eq!(rs.len(), 2);
        let low_corner = |r: &PrimResult| r.pasted.bounds.upper[0] < 0.5;
        assert_ne!(low_corner(&rs[0]), low_corner(&rs[1]));
        for r in &rs {
            assert!(r.pasted.density > 0.9, "{:?}", r.pasted);
        }
    }
}
