//! Multi-year forecasts of one history from its replications: the probability of adoption by each
//! scored year and by the end, and the median predicted adoption year.

/// The forecast of one history over `years` scored years.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiYear {
    /// P(adopted by split + t), t = 1..=years: (runs adopting at offset ≤ t + ½)/(runs + 1), the
    /// share of runs shrunk towards ½ by half a run so that no history gets probability 0 or 1
    /// (the same rule as the constant hazard's (events + ½)/(at risk + 1)).
    pub by_year: Vec<f64>,
    /// The median predicted adoption year as an offset from split (1 = split + 1); None when fewer
    /// than half the runs adopt by the end ("after END").
    pub median: Option<u8>,
}

impl MultiYear {
    /// From the adoption offsets of the runs (0: no adoption by the end).
    pub fn from_runs(offsets: &[u8], years: usize) -> MultiYear {
        let runs = offsets.len() as f64;
        let mut counts = vec![0usize; years + 1];
        for &o in offsets {
            counts[o as usize] += 1;
        }
        let mut by_year = Vec::with_capacity(years);
        let mut acc = 0usize;
        let mut median = None;
        for (t, &c) in counts.iter().enumerate().skip(1) {
            acc += c;
            // The smallest year by which at least half the runs have adopted.
            if median.is_none() && 2 * acc >= offsets.len() && acc > 0 {
                median = Some(t as u8);
            }
            by_year.push((acc as f64 + 0.5) / (runs + 1.0));
        }
        MultiYear { by_year, median }
    }

    /// P(adopted by the end).
    pub fn by_end(&self) -> f64 {
        self.by_year.last().copied().unwrap_or(0.0)
    }

    /// The median year as text: the calendar year, or `after END`.
    pub fn median_text(&self, split: i32) -> String {
        match self.median {
            Some(t) => (split + i32::from(t)).to_string(),
            None => format!("after {}", split + self.by_year.len() as i32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_by_year_are_shrunk_cumulative_shares_of_runs() {
        // Ten runs over four years: adoptions at offsets 1, 1, 2, 4, 4, 4 and four runs without.
        let f = MultiYear::from_runs(&[1, 0, 1, 2, 4, 0, 4, 0, 4, 0], 4);
        let shrunk = |k: f64| (k + 0.5) / 11.0;
        assert_eq!(f.by_year, vec![shrunk(2.0), shrunk(3.0), shrunk(3.0), shrunk(6.0)]);
        assert_eq!(f.by_end(), shrunk(6.0));
        // Half the runs (5 of 10) have adopted only by offset 4.
        assert_eq!(f.median, Some(4));
        assert_eq!(f.median_text(2021), "2025");
    }

    #[test]
    fn the_median_is_after_the_end_when_fewer_than_half_adopt() {
        let f = MultiYear::from_runs(&[1, 0, 0, 2, 0], 4);
        assert_eq!(f.by_end(), 2.5 / 6.0);
        // No run adopting still leaves half a run's probability.
        assert_eq!(MultiYear::from_runs(&[0; 9], 4).by_end(), 0.05);
        assert_eq!(f.median, None);
        assert_eq!(f.median_text(2021), "after 2025");
        // Exactly half adopting by a year makes that year the median.
        assert_eq!(MultiYear::from_runs(&[3, 0], 4).median, Some(3));
        assert_eq!(MultiYear::from_runs(&[0, 0], 4).median, None);
    }
}
