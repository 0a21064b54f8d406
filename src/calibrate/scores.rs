//! Scores of probability forecasts of binary events (an adoption in a cell-year): mean log score,
//! Brier score, ROC-AUC and PR-AUC (average precision), and a paired state bootstrap of the
//! difference between two forecasts of the same cells.

use rand::RngExt;

use crate::rng::Generator;

/// The scores of one forecast on one set of cell-years.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scores {
    /// Cell-years scored.
    pub n: usize,
    /// Events (acts) among them.
    pub events: usize,
    /// Mean of ln P(what happened); −∞ when an event was given probability 0.
    pub log_score: f64,
    /// Mean of (p − y)².
    pub brier: f64,
    /// Probability that an event's forecast exceeds a non-event's (ties count one half); NaN
    /// without events or without non-events.
    pub roc_auc: f64,
    /// Average precision: the mean, over events, of the precision at their rank; NaN without events.
    pub pr_auc: f64,
}

/// ln P(y) of one forecast.
pub fn log_prob(p: f64, y: bool) -> f64 {
    if y { p.ln() } else { (1.0 - p).ln() }
}

/// The scores of forecasts `p` of outcomes `y`.
pub fn scores(p: &[f64], y: &[bool]) -> Scores {
    let n = p.len();
    let events = y.iter().filter(|&&e| e).count();
    let log_score = p.iter().zip(y).map(|(&p, &y)| log_prob(p, y)).sum::<f64>() / n as f64;
    let brier = p.iter().zip(y).map(|(&p, &y)| (p - f64::from(u8::from(y))).powi(2)).sum::<f64>() / n as f64;
    Scores {
        n,
        events,
        log_score,
        brier,
        roc_auc: roc_auc(p, y),
        pr_auc: average_precision(p, y),
    }
}

/// ROC-AUC by the Mann–Whitney statistic with mid-ranks for ties.
pub fn roc_auc(p: &[f64], y: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut ranks = vec![0.0; p.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && p[order[j + 1]] == p[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            ranks[o] = mid;
        }
        i = j + 1;
    }
    let pos = y.iter().filter(|&&e| e).count() as f64;
    let neg = y.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return f64::NAN;
    }
    let sum: f64 = ranks.iter().zip(y).filter(|(_, e)| **e).map(|(r, _)| r).sum();
    (sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Average precision: forecasts in decreasing order; tied forecasts form one threshold.
pub fn average_precision(p: &[f64], y: &[bool]) -> f64 {
    let total = y.iter().filter(|&&e| e).count();
    if total == 0 {
        return f64::NAN;
    }
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let (mut seen, mut hits, mut ap) = (0usize, 0usize, 0.0);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && p[order[j + 1]] == p[order[i]] {
            j += 1;
        }
        let new_hits = order[i..=j].iter().filter(|&&o| y[o]).count();
        seen += j - i + 1;
        hits += new_hits;
        ap += new_hits as f64 * hits as f64 / seen as f64;
        i = j + 1;
    }
    ap / total as f64
}

/// A 95% percentile interval of the mean per-observation difference `a − b` of a score, resampling
/// clusters (states) with replacement `reps` times.
pub fn paired_bootstrap(diff: &[f64], cluster: &[usize], reps: usize, rng: &mut Generator) -> (f64, f64, f64) {
    let mut ids: Vec<usize> = cluster.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut by: Vec<(f64, usize)> = vec![(0.0, 0); ids.len()];
    for (&d, c) in diff.iter().zip(cluster) {
        let at = ids.binary_search(c).expect("listed");
        by[at].0 += d;
        by[at].1 += 1;
    }
    let mean = diff.iter().sum::<f64>() / diff.len() as f64;
    let mut stats = Vec::with_capacity(reps);
    for _ in 0..reps {
        let (mut s, mut n) = (0.0, 0usize);
        for _ in 0..by.len() {
            let (cs, cn) = by[rng.random_range(0..by.len())];
            s += cs;
            n += cn;
        }
        stats.push(s / n.max(1) as f64);
    }
    stats.sort_by(f64::total_cmp);
    let q = |f: f64| stats[((f * reps as f64) as usize).min(reps - 1)];
    (mean, q(0.025), q(0.975))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_hand_computed_values() {
        let p = [0.9, 0.4, 0.4, 0.1];
        let y = [true, true, false, false];
        let s = scores(&p, &y);
        // log: (ln .9 + ln .4 + ln .6 + ln .9) / 4
        let log = (0.9f64.ln() + 0.4f64.ln() + 0.6f64.ln() + 0.9f64.ln()) / 4.0;
        assert!((s.log_score - log).abs() < 1e-15);
        // Brier: (.01 + .36 + .16 + .01) / 4 = .135
        assert!((s.brier - 0.135).abs() < 1e-15);
        // AUC: pairs (event, non-event): (.9,.4) 1, (.9,.1) 1, (.4,.4) ½, (.4,.1) 1 → 3.5/4
        assert!((s.roc_auc - 0.875).abs() < 1e-15);
        // AP: threshold .9: precision 1 (1 hit); threshold .4: 2 of 3 seen, 1 new hit → (1 + 2/3)/2
        assert!((s.pr_auc - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-15);
    }

    #[test]
    fn a_bootstrap_of_a_constant_difference_is_that_constant() {
        let mut rng = crate::rng::run_rng(1, 0, crate::rng::Purpose::Dynamics);
        let (m, lo, hi) = paired_bootstrap(&[0.5; 6], &[0, 0, 1, 2, 2, 2], 200, &mut rng);
        assert_eq!((m, lo, hi), (0.5, 0.5, 0.5));
    }
}
