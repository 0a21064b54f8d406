//! A job: the alternative run against the baseline on common random numbers, chunk by chunk, as
//! `blocsim compare` runs them (each worker runs both scenarios of one run), with the baseline's
//! runs taken from the cache when an earlier job made them. Chunks start small (a first
//! provisional answer within a few runs per thread) and double up to `compare`'s chunk; updates
//! go out at most every [`UPDATE_EVERY`] seconds and every sixteenth of the time spent so far,
//! and at the end, so a long job sends a few dozen, not thousands.
//!
//! Share bands (5%, 50%, 95% across runs of each share, per year, domain and framework) come from
//! per-cell histograms of the runs' state counts, added to as runs arrive: exactly the type-7
//! quantiles of the sorted shares when the world has at most [`Hist::MAX_BINS`] states (each count
//! is its own bin), and within 1/[`Hist::MAX_BINS`] of them for larger worlds.

use std::time::Instant;

use rayon::prelude::*;

use super::{Alternative, Explorer};
use crate::compare::{Comparison, PairedSums, RunPoint};
use crate::error::Error;
use crate::metrics::Layout;
use crate::model::Model;
use crate::progress::Progress;

/// Fewest seconds between two provisional updates.
pub const UPDATE_EVERY: f64 = 0.25;

/// What the cache keeps of one baseline run.
#[derive(Debug, Clone)]
pub struct Side {
    /// The paired outcomes and final alignments of the run.
    pub point: RunPoint,
    /// States on each framework, per (year, domain, framework) as in [`Layout::share_index`].
    pub counts: Vec<u32>,
}

impl Side {
    pub(super) fn of(model: &Model, seed: u64, run: u64) -> Side {
        let o = crate::run::run_one(model, seed, run);
        Side {
            point: RunPoint::of(model, &o),
            counts: o.counts,
        }
    }
}

/// Per (year, domain, framework) cell, how many runs had each count of states (binned above
/// [`Hist::MAX_BINS`] states).
pub struct Hist {
    bins: u64,
    states: u64,
    runs: u64,
    table: Vec<u32>,
}

impl Hist {
    /// Most bins per cell.
    pub const MAX_BINS: u64 = 4096;

    /// Empty, for the cells of `layout`.
    pub fn new(layout: &Layout) -> Hist {
        let states = layout.states.max(1) as u64;
        let bins = states.min(Self::MAX_BINS);
        Hist {
            bins,
            states,
            runs: 0,
            table: vec![0; layout.share_len() * (bins as usize + 1)],
        }
    }

    /// Add one run's counts.
    pub fn add(&mut self, counts: &[u32]) {
        let width = self.bins as usize + 1;
        for (cell, &c) in counts.iter().enumerate() {
            let bin = (u64::from(c) * self.bins / self.states) as usize;
            self.table[cell * width + bin] += 1;
        }
        self.runs += 1;
    }

    /// The 5%, 50% and 95% quantiles of each cell's share (type 7: linear between order statistics).
    pub fn quantiles(&self) -> Vec<[f32; 3]> {
        let width = self.bins as usize + 1;
        let value = |b: usize| b as f32 / self.bins as f32;
        self.table
            .chunks(width)
            .map(|row| {
                // The k-th smallest (from 0) of the runs in this row.
                let nth = |k: u64| {
                    let mut seen = 0u64;
                    for (b, &n) in row.iter().enumerate() {
                        seen += u64::from(n);
                        if seen > k {
                            return value(b);
                        }
                    }
                    f32::NAN
                };
                [0.05, 0.5, 0.95].map(|p| {
                    if self.runs == 0 {
                        return f32::NAN;
                    }
                    let h = p * (self.runs - 1) as f64;
                    let (lo, hi) = (h.floor() as u64, h.ceil() as u64);
                    let w = (h - lo as f64) as f32;
                    let (a, b) = (nth(lo), nth(hi));
                    a + w * (b - a)
                })
            })
            .collect()
    }
}

/// The 5%, 50% and 95% quantiles across runs of each share, per (year, domain, framework).
#[derive(Debug, Clone, PartialEq)]
pub struct Bands {
    /// The baseline's quantiles.
    pub baseline: Vec<[f32; 3]>,
    /// The alternative's quantiles.
    pub alternative: Vec<[f32; 3]>,
}

/// The state of a job after a chunk.
pub struct Update {
    /// Runs done so far.
    pub done: u64,
    /// Runs the job will do.
    pub total: u64,
    /// Seconds since the job started.
    pub elapsed: f64,
    /// The comparison of the runs done so far (final when `done == total`).
    pub comparison: Comparison,
    /// The share bands of both scenarios over the runs done so far.
    pub bands: Bands,
}

/// A finished job: what pinning keeps to compare alternatives with each other, and what watching
/// one of its runs recomputes.
pub struct Finished {
    /// The alternative's model.
    pub model: std::sync::Arc<Model>,
    /// Master seed of the job.
    pub seed: u64,
    /// The alternative's paired outcomes of each run, in run order.
    pub points: Vec<RunPoint>,
    /// The final comparison.
    pub comparison: Comparison,
}

impl Explorer {
    /// Run the alternative against the baseline, chunk by chunk; `on_update` now and then (see the
    /// module). Stops with [`Error::Cancelled`] between chunks when `progress` asks.
    pub fn run(&self, alt: &Alternative, progress: &dyn Progress, on_update: &mut dyn FnMut(&Update)) -> anyhow::Result<Finished> {
        let started = Instant::now();
        let (runs, seed, base, layout) = (alt.runs, alt.seed, &*self.baseline, self.baseline.layout);
        let entry = self.cached(seed, runs);
        let mut cached = entry.runs.lock().unwrap_or_else(|p| p.into_inner());
        let mut sums = PairedSums::new(base, &alt.model, seed)?;
        let (mut hist_base, mut hist_alt) = (Hist::new(&layout), Hist::new(&layout));
        let mut points = Vec::with_capacity(runs as usize);
        let full = crate::footprint::runs_in_flight(&layout, self.threads, crate::compare::CHUNK);
        let mut step = (2 * self.threads as u64).clamp(2, full.max(2));
        let mut last_update: Option<f64> = None;
        progress.start(runs);
        let mut done = 0u64;
        while done < runs {
            let end = (done + step).min(runs);
            let have = (cached.len() as u64).clamp(done, end);
            let fresh: Vec<(Option<Side>, Side)> = self.pool.install(|| {
                (done..end)
                    .into_par_iter()
                    .map(|r| {
                        let b = (r >= have).then(|| Side::of(base, seed, r));
                        let a = Side::of(&alt.model, seed, r);
                        progress.run_done();
                        (b, a)
                    })
                    .collect()
            });
            for (r, (b, a)) in (done..end).zip(fresh) {
                cached.extend(b);
                let b = &cached[r as usize];
                sums.add(&b.point, &a.point);
                hist_base.add(&b.counts);
                hist_alt.add(&a.counts);
                points.push(a.point);
            }
            entry.len.store(cached.len(), std::sync::atomic::Ordering::SeqCst);
            done = end;
            let t = started.elapsed().as_secs_f64();
            let due = last_update.is_none_or(|l| t - l >= UPDATE_EVERY.max(t / 16.0)) || done == runs;
            if done >= 2 && due {
                last_update = Some(t);
                on_update(&Update {
                    done,
                    total: runs,
                    elapsed: t,
                    comparison: sums.comparison()?,
                    bands: Bands {
                        baseline: hist_base.quantiles(),
                        alternative: hist_alt.quantiles(),
                    },
                });
            }
            crate::progress::chunk_done(progress, done)?;
            step = (step * 2).min(full.max(2));
        }
        Ok(Finished {
            model: alt.model.clone(),
            seed,
            comparison: sums.comparison()?,
            points,
        })
    }
}

/// Two finished jobs compared with each other (`a` as the baseline): both ran on the same streams,
/// so their differences are paired too.
pub fn pair(a: &Finished, b: &Finished) -> anyhow::Result<Comparison> {
    if (a.seed, a.points.len()) != (b.seed, b.points.len()) {
        return Err(Error::Usage(format!(
            "cannot pair {} (seed {}, {} runs) with {} (seed {}, {} runs): the seed and runs must match",
            a.comparison.alternative,
            a.seed,
            a.points.len(),
            b.comparison.alternative,
            b.seed,
            b.points.len()
        ))
        .into());
    }
    let mut sums = PairedSums::new(&a.model, &b.model, a.seed)?;
    for (x, y) in a.points.iter().zip(&b.points) {
        sums.add(x, y);
    }
    Ok(sums.comparison()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Type-7 quantiles of sorted values, as the histogram must give them.
    fn sorted_quantile(sorted: &[f32], p: f64) -> f32 {
        let h = p * (sorted.len() - 1) as f64;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        let w = (h - lo as f64) as f32;
        sorted[lo] + w * (sorted[hi] - sorted[lo])
    }

    #[test]
    fn histogram_quantiles_equal_sorted_quantiles_when_each_count_has_its_bin() {
        let layout = Layout {
            states: 7,
            domains: 1,
            frameworks: 2,
            years: 1,
        };
        let mut h = Hist::new(&layout);
        assert!(h.quantiles()[0][1].is_nan());
        let runs: Vec<[u32; 2]> = vec![[3, 4], [0, 7], [5, 2], [5, 2], [1, 6], [7, 0]];
        for r in &runs {
            h.add(r);
        }
        let q = h.quantiles();
        for cell in 0..2 {
            let mut v: Vec<f32> = runs.iter().map(|r| r[cell] as f32 / 7.0).collect();
            v.sort_by(f32::total_cmp);
            let want = [0.05, 0.5, 0.95].map(|p| sorted_quantile(&v, p));
            assert_eq!(q[cell], want, "cell {cell}");
        }
    }

    #[test]
    fn large_worlds_bin_counts_within_one_bin_width() {
        let states = 10 * Hist::MAX_BINS as usize;
        let layout = Layout {
            states,
            domains: 1,
            frameworks: 1,
            years: 1,
        };
        let mut h = Hist::new(&layout);
        for c in [0u32, 12_345, 40_000, 40_960] {
            h.add(&[c]);
        }
        let q = h.quantiles()[0];
        // Median of 0, 12345, 40000, 40960 states out of 40960: (12345 + 40000) / 2.
        let want = (12_345.0 + 40_000.0) / 2.0 / states as f32;
        assert!((q[1] - want).abs() <= 1.0 / Hist::MAX_BINS as f32, "{q:?}");
    }
}
