//! Yearly adoption counts: per indicator and scored year, the observed number of adoptions against
//! the distribution of the simulated number across runs, its median and its central 50% and 90%
//! bands, and the coverage of each band (the share of indicator-years whose observed count falls
//! in it, bounds included).
//!
//! Quantiles are nearest-rank: q(f) is the ⌈f·R⌉-th smallest of the R simulated counts. Counts are
//! integers, so a band with its bounds included holds at least its nominal share of the runs, and
//! the expected coverage of a well-calibrated model is at least 50% and 90%.

/// The observed and simulated adoptions of one indicator in one year.
#[derive(Debug, Clone, PartialEq)]
pub struct CountBand {
    /// Indicator name (from the codebook).
    pub indicator: String,
    /// Scored year.
    pub year: i32,
    /// Observed number of adoptions.
    pub observed: usize,
    /// Mean simulated number across runs.
    pub mean: f64,
    /// Median simulated number.
    pub median: usize,
    /// Lower bound of the central 50% band (nearest-rank 25th percentile).
    pub low50: usize,
    /// Upper bound of the central 50% band (75th percentile).
    pub high50: usize,
    /// Lower bound of the central 90% band (5th percentile).
    pub low90: usize,
    /// Upper bound of the central 90% band (95th percentile).
    pub high90: usize,
}

impl CountBand {
    /// The band of `simulated` (one count per run) against `observed`.
    pub fn new(indicator: &str, year: i32, observed: usize, simulated: &[usize]) -> CountBand {
        let mut sorted = simulated.to_vec();
        sorted.sort_unstable();
        let q = |f: f64| nearest_rank(&sorted, f);
        CountBand {
            indicator: indicator.to_string(),
            year,
            observed,
            mean: sorted.iter().sum::<usize>() as f64 / sorted.len().max(1) as f64,
            median: q(0.5),
            low50: q(0.25),
            high50: q(0.75),
            low90: q(0.05),
            high90: q(0.95),
        }
    }

    /// Whether the observed count lies in the 50% band, bounds included.
    pub fn in50(&self) -> bool {
        (self.low50..=self.high50).contains(&self.observed)
    }

    /// Whether the observed count lies in the 90% band, bounds included.
    pub fn in90(&self) -> bool {
        (self.low90..=self.high90).contains(&self.observed)
    }
}

/// The ⌈f·R⌉-th smallest of `sorted` (the smallest for f = 0).
pub fn nearest_rank(sorted: &[usize], f: f64) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (f * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The coverage of the 50% and 90% bands, and the binomial sd of a coverage of nominal p over
/// these m indicator-years, √(p(1 − p)/m), for 0.5 and 0.9.
pub fn coverage(bands: &[CountBand]) -> ((f64, f64), (f64, f64)) {
    let m = bands.len().max(1) as f64;
    let share = |f: fn(&CountBand) -> bool| bands.iter().filter(|b| f(b)).count() as f64 / m;
    let sd = |p: f64| (p * (1.0 - p) / m).sqrt();
    ((share(CountBand::in50), share(CountBand::in90)), (sd(0.5), sd(0.9)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_nearest_rank_quantiles_of_the_runs() {
        // Twenty runs: counts 0 (×6), 1 (×8), 2 (×4), 3, 5.
        let mut runs = vec![0; 6];
        runs.extend([1; 8]);
        runs.extend([2; 4]);
        runs.extend([3, 5]);
        let b = CountBand::new("x", 2023, 3, &runs);
        // q(.05) = 1st smallest, q(.25) = 5th, q(.5) = 10th, q(.75) = 15th, q(.95) = 19th.
        assert_eq!((b.low90, b.low50, b.median, b.high50, b.high90), (0, 0, 1, 2, 3));
        assert!((b.mean - 24.0 / 20.0).abs() < 1e-15);
        assert!(!b.in50() && b.in90());
    }

    #[test]
    fn coverage_counts_the_indicator_years_inside_each_band() {
        let runs = [0, 1, 1, 2, 2, 2, 3, 3, 4, 6];
        // 50%: [q(.25), q(.75)] = [3rd, 8th] = [1, 3]; 90%: [1st, 10th] = [0, 6].
        let bands: Vec<CountBand> = [0, 2, 5, 7].iter().map(|&o| CountBand::new("x", 2022, o, &runs)).collect();
        assert_eq!((bands[0].low50, bands[0].high50, bands[0].low90, bands[0].high90), (1, 3, 0, 6));
        let ((c50, c90), (sd50, sd90)) = coverage(&bands);
        assert_eq!((c50, c90), (0.25, 0.75));
        assert!((sd50 - 0.25).abs() < 1e-15 && (sd90 - 0.15).abs() < 1e-15);
    }
}
