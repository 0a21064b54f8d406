//! Streaming, exact, mergeable aggregates over the runs of a batch.
//!
//! # Why integers only
//!
//! Outputs must be byte-identical whatever the number of threads and whether a batch was aggregated
//! in one [`Aggregator`] or in several (shards) that were then [merged](Aggregator::merge). Floating
//! point sums depend on the order of addition, so the aggregator holds nothing but integers: counts,
//! histograms, exact sums, sums of squares, minima and maxima. Integer addition is associative and
//! commutative, so any split and any order of the same runs gives the same state, and every
//! statistic derived from that state is the same to the last bit.
//!
//! # What is kept, per cell
//!
//! * **Count shares** (states on framework k in domain d in year t, out of N): the exact count is
//!   summed (`u128`) with its square (`u128`), so the mean and standard deviation are exact up to the
//!   final conversion to `f64`. For quantiles, a histogram of the count: exact, one bin per possible
//!   count 0..=N, when N + 1 <= [`MAX_COUNT_BINS`]; otherwise [`MAX_COUNT_BINS`] equal bins on the
//!   share in [0, 1] (resolution 1/4096 ≈ 0.00024 of a share, refined by linear interpolation
//!   within the bin and clamped to the exact observed minimum and maximum).
//! * **Fractions in [0, 1]** (GDP and population shares, fragmentation, hedging, bloc shares): each
//!   value is clamped to [0, 1] (NaN counts as 0) and quantised to fixed point, `round(x * 2^32)`
//!   (resolution 2^-32 ≈ 2.3e-10). The quantised values are summed with their squares in `u128`
//!   (exact for up to 2^64 − 1 runs) and tallied in a histogram of [`FRACTION_BINS`] equal bins on
//!   [0, 1] (resolution 1/2048 ≈ 0.00049, refined by linear interpolation within the bin and
//!   clamped to the exact observed minimum and maximum).
//! * **Final alignments**: per (domain, state, framework), the number of runs that ended there.
//! * **Switches**: the exact sum per domain.
//! * **Tipping**: per (domain, framework), how many runs tipped in each calendar year.
//!
//! Memory depends on the layout only, never on the number of runs. The values of the uncertain
//! parameters are not aggregated (they go to `runs.csv`).
//!
//! # Statistics
//!
//! * `mean`: exact sum / (runs × scale), one rounding to `f64`.
//! * `sd`: sample standard deviation (divisor runs − 1; 0 for a single run), from the exact integer
//!   `runs × Σx² − (Σx)²` (computed in 256-bit arithmetic), so there is no cancellation error.
//! * Quantile at level p (in percent) over R runs:
//!   - exact histogram: the *lower empirical quantile*, the smallest value v whose cumulative count
//!     is at least ceil(p × R / 100) (for p = 50 and even R, the lower of the two middle values);
//!   - binned histogram: with target rank p × R / 100, the first bin b whose cumulative count
//!     reaches it, and the value `(b + (target − before) / count_b) / bins`, where `before` is the
//!     cumulative count below the bin; the result is clamped to the exact [min, max] of the cell.

use std::collections::BTreeMap;

use crate::metrics::{Layout, RunOutcome};

/// Largest number of histogram bins per count cell; beyond N + 1 = 4096 possible counts, counts are
/// binned on the share instead of kept exactly.
pub const MAX_COUNT_BINS: usize = 4096;

/// Histogram bins per cell for fractions in [0, 1] (GDP shares, indices...).
pub const FRACTION_BINS: usize = 2048;

/// Fixed-point scale of fractions: x in [0, 1] is stored as `round(x * 2^32)`.
pub const FIXED_ONE: u64 = 1 << 32;

/// Quantile levels reported everywhere, in percent: p05, p25, p50, p75, p95.
pub const PERCENTILES: [u32; 5] = [5, 25, 50, 75, 95];

/// Summary statistics of one outcome across runs (see the module documentation for definitions).
/// Every field is NaN when no run was aggregated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Mean across runs.
    pub mean: f64,
    /// Sample standard deviation across runs (n − 1; 0 for one run).
    pub sd: f64,
    /// 5th percentile.
    pub p05: f64,
    /// First quartile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// Third quartile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
}

impl Stats {
    /// Names of the statistics, in the order of [`Stats::values`] (used as column and key names).
    pub const NAMES: [&'static str; 7] = ["mean", "sd", "p05", "p25", "p50", "p75", "p95"];

    /// All statistics when nothing is known.
    pub const NAN: Stats = Stats {
        mean: f64::NAN,
        sd: f64::NAN,
        p05: f64::NAN,
        p25: f64::NAN,
        p50: f64::NAN,
        p75: f64::NAN,
        p95: f64::NAN,
    };

    /// The statistics in the order of [`Stats::NAMES`].
    pub fn values(&self) -> [f64; 7] {
        [self.mean, self.sd, self.p05, self.p25, self.p50, self.p75, self.p95]
    }

    /// `{"mean", "sd", "p05", "p25", "p50", "p75", "p95"}` (NaN as null), as in `summary.json`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for (name, v) in Stats::NAMES.iter().zip(self.values()) {
            m.insert((*name).to_string(), serde_json::Value::from(v));
        }
        serde_json::Value::Object(m)
    }
}

/// How often a framework tipped (its GDP share in a domain first exceeded one half) across runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tipping {
    /// Runs in which it tipped.
    pub runs_tipped: u64,
    /// `runs_tipped` / runs (NaN when no run was aggregated).
    pub share_of_runs: f64,
    /// Lower median of the tipping year among the runs that tipped; None when none did.
    pub median_year: Option<i32>,
}

/// Exact aggregates of one family of cells (e.g. count shares for every (t, d, k)).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Measure {
    /// The integer value that stands for 1.0 (N for counts, 2^32 for fractions).
    scale: u64,
    /// Histogram bins per cell.
    bins: usize,
    /// Whether bin b holds exactly the value b (otherwise bins split [0, 1] evenly).
    exact: bool,
    sum: Vec<u128>,
    sum_sq: Vec<u128>,
    min: Vec<u64>,
    max: Vec<u64>,
    /// `[cell * bins + b]`.
    hist: Vec<u64>,
}

impl Measure {
    /// Counts out of `n`: exact histogram when n + 1 <= MAX_COUNT_BINS.
    fn counts(cells: usize, n: usize) -> Measure {
        let scale = n as u64;
        let exact = n < MAX_COUNT_BINS;
        let bins = if exact { n + 1 } else { MAX_COUNT_BINS };
        Measure::with(cells, scale, bins, exact)
    }

    /// Fractions in [0, 1], fixed point.
    fn fractions(cells: usize) -> Measure {
        Measure::with(cells, FIXED_ONE, FRACTION_BINS, false)
    }

    fn with(cells: usize, scale: u64, bins: usize, exact: bool) -> Measure {
        Measure {
            scale,
            bins,
            exact,
            sum: vec![0; cells],
            sum_sq: vec![0; cells],
            min: vec![u64::MAX; cells],
            max: vec![0; cells],
            hist: vec![0; cells * bins],
        }
    }

    fn cells(&self) -> usize {
        self.sum.len()
    }

    /// Record value `v` (0..=scale; larger values are clamped) in `cell` (ignored if out of range).
    fn add(&mut self, cell: usize, v: u64) {
        if cell >= self.cells() {
            return;
        }
        let v = v.min(self.scale);
        self.sum[cell] += u128::from(v);
        self.sum_sq[cell] += u128::from(v) * u128::from(v);
        self.min[cell] = self.min[cell].min(v);
        self.max[cell] = self.max[cell].max(v);
        let bin = if self.exact {
            v as usize
        } else if self.scale == 0 {
            0
        } else {
            ((u128::from(v) * self.bins as u128 / u128::from(self.scale)) as usize).min(self.bins - 1)
        };
        self.hist[cell * self.bins + bin] += 1;
    }

    /// Record a fraction: clamped to [0, 1] and quantised.
    fn add_fraction(&mut self, cell: usize, x: f64) {
        self.add(cell, quantise(x));
    }

    fn merge(&mut self, o: &Measure) {
        for (a, b) in self.sum.iter_mut().zip(&o.sum) {
            *a += b;
        }
        for (a, b) in self.sum_sq.iter_mut().zip(&o.sum_sq) {
            *a += b;
        }
        for (a, b) in self.min.iter_mut().zip(&o.min) {
            *a = (*a).min(*b);
        }
        for (a, b) in self.max.iter_mut().zip(&o.max) {
            *a = (*a).max(*b);
        }
        for (a, b) in self.hist.iter_mut().zip(&o.hist) {
            *a += b;
        }
    }

    /// The value `v` as a fraction of `scale`.
    fn unit(&self, v: f64) -> f64 {
        if self.scale == 0 { 0.0 } else { v / self.scale as f64 }
    }

    /// Statistics of `cell` over `runs` runs (every cell sees one value per run).
    fn stats(&self, cell: usize, runs: u64) -> Stats {
        // A cell that never received a value (min > max) has no statistics.
        if runs == 0 || cell >= self.cells() || self.min[cell] > self.max[cell] {
            return Stats::NAN;
        }
        let (s, ss) = (self.sum[cell], self.sum_sq[cell]);
        let r = runs as f64;
        let mean = if self.scale == 0 { 0.0 } else { s as f64 / (r * self.scale as f64) };
        let sd = if runs < 2 {
            0.0
        } else {
            let num = sub256(mul256(u128::from(runs), ss), mul256(s, s));
            self.unit((to_f64(num) / (r * (runs - 1) as f64)).sqrt())
        };
        let hist = &self.hist[cell * self.bins..(cell + 1) * self.bins];
        let q = |p: u32| self.quantile(hist, runs, p, self.min[cell], self.max[cell]);
        Stats {
            mean,
            sd,
            p05: q(5),
            p25: q(25),
            p50: q(50),
            p75: q(75),
            p95: q(95),
        }
    }

    /// Quantile at level `p` percent (see the module documentation).
    fn quantile(&self, hist: &[u64], runs: u64, p: u32, min: u64, max: u64) -> f64 {
        let pr = u128::from(p) * u128::from(runs);
        if self.exact {
            let rank = pr.div_ceil(100).max(1);
            let mut cum: u128 = 0;
            for (b, &c) in hist.iter().enumerate() {
                cum += u128::from(c);
                if cum >= rank {
                    return self.unit(b as f64);
                }
            }
            return self.unit(max as f64);
        }
        let target = pr as f64 / 100.0;
        let bins = self.bins as f64;
        let mut before = 0.0;
        let mut value = 1.0;
        for (b, &c) in hist.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let after = before + c as f64;
            if after >= target {
                let frac = ((target - before) / c as f64).clamp(0.0, 1.0);
                value = (b as f64 + frac) / bins;
                break;
            }
            before = after;
        }
        value.clamp(self.unit(min as f64), self.unit(max as f64))
    }
}

/// `round(x * 2^32)` for x clamped to [0, 1]; NaN counts as 0.
fn quantise(x: f64) -> u64 {
    let x = if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) };
    (x * FIXED_ONE as f64).round() as u64
}

/// Full 256-bit product of two u128, as (high, low).
fn mul256(a: u128, b: u128) -> (u128, u128) {
    const M: u128 = u64::MAX as u128;
    let (a1, a0, b1, b0) = (a >> 64, a & M, b >> 64, b & M);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let (mid, c1) = p01.overflowing_add(p10);
    let (lo, c2) = p00.overflowing_add(mid << 64);
    let hi = p11 + (mid >> 64) + (u128::from(c1) << 64) + u128::from(c2);
    (hi, lo)
}

/// a − b for 256-bit numbers, 0 if b > a.
fn sub256(a: (u128, u128), b: (u128, u128)) -> (u128, u128) {
    if a < b {
        return (0, 0);
    }
    let (lo, borrow) = a.1.overflowing_sub(b.1);
    (a.0 - b.0 - u128::from(borrow), lo)
}

fn to_f64(x: (u128, u128)) -> f64 {
    const TWO_128: f64 = 340_282_366_920_938_463_463_374_607_431_768_211_456.0;
    x.0 as f64 * TWO_128 + x.1 as f64
}

/// Exact, mergeable aggregates of the runs of a batch (see the module documentation).
///
/// Holds only integers, so [`Aggregator::merge`] of any split of the runs equals adding them all to
/// one aggregator, and `==` compares states exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregator {
    layout: Layout,
    uncertain: usize,
    runs: u64,
    /// Count of states per (t, d, k): `[Layout::share_index]`, scale N.
    counts: Measure,
    /// GDP shares per (t, d, k).
    gdp: Measure,
    /// Population shares at the horizon per (d, k): `[d * K + k]`.
    pop: Measure,
    /// Fragmentation per year `[t]`.
    frag: Measure,
    /// Fragmentation per domain at the horizon `[d]`.
    frag_final: Measure,
    /// Hedging per year `[t]`.
    hedging: Measure,
    /// Bloc shares `[k]`.
    bloc: Measure,
    /// Sum of switches per domain.
    switches: Vec<u128>,
    /// Per (d, k) `[d * K + k]`: calendar year → runs that tipped then.
    tipping: Vec<BTreeMap<i32, u64>>,
    /// Runs ending on each framework, `[(d * N + i) * K + k]`.
    states: Vec<u64>,
}

impl Aggregator {
    /// Bytes of a batch's aggregates with these sizes: histograms per year, domain and framework;
    /// per-state tallies; the yearly index histograms.
    pub fn footprint(sizes: &crate::limits::Sizes) -> u64 {
        use crate::limits::{mul, sat_sum};
        let (n, d, k) = (sizes.agents, sizes.domains, sizes.frameworks);
        let cells = mul(&[sizes.years, d, k]);
        let count_bins = n.saturating_add(1).min(MAX_COUNT_BINS as u64);
        let fraction_bins = FRACTION_BINS as u64;
        sat_sum(&[
            mul(&[cells, sat_sum(&[96, mul(&[8, count_bins]), mul(&[8, fraction_bins])])]),
            mul(&[d, n, k, 8]),
            mul(&[sizes.years, 2, sat_sum(&[48, mul(&[8, fraction_bins])])]),
        ])
    }

    /// An empty aggregator for outcomes of `layout`, with `uncertain` drawn parameters per run.
    pub fn new(layout: Layout, uncertain: usize) -> Aggregator {
        let (n, d, k, y) = (layout.states, layout.domains, layout.frameworks, layout.years);
        Aggregator {
            layout,
            uncertain,
            runs: 0,
            counts: Measure::counts(layout.share_len(), n),
            gdp: Measure::fractions(layout.share_len()),
            pop: Measure::fractions(d * k),
            frag: Measure::fractions(y),
            frag_final: Measure::fractions(d),
            hedging: Measure::fractions(y),
            bloc: Measure::fractions(k),
            switches: vec![0; d],
            tipping: vec![BTreeMap::new(); d * k],
            states: vec![0; d * n * k],
        }
    }

    /// Fold one run's outcome in. Entries beyond the layout's sizes are ignored, as are framework
    /// indices >= K in final alignments.
    pub fn add(&mut self, o: &RunOutcome) {
        self.runs += 1;
        for (cell, &c) in o.counts.iter().enumerate() {
            self.counts.add(cell, u64::from(c));
        }
        for (cell, &x) in o.gdp_shares.iter().enumerate() {
            self.gdp.add_fraction(cell, x);
        }
        for (cell, &x) in o.pop_shares.iter().enumerate() {
            self.pop.add_fraction(cell, x);
        }
        for (cell, &x) in o.fragmentation.iter().enumerate() {
            self.frag.add_fraction(cell, x);
        }
        for (cell, &x) in o.fragmentation_final.iter().enumerate() {
            self.frag_final.add_fraction(cell, x);
        }
        for (cell, &x) in o.hedging.iter().enumerate() {
            self.hedging.add_fraction(cell, x);
        }
        for (cell, &x) in o.bloc.iter().enumerate() {
            self.bloc.add_fraction(cell, x);
        }
        for (s, &x) in self.switches.iter_mut().zip(&o.switches) {
            *s += u128::from(x);
        }
        for (map, year) in self.tipping.iter_mut().zip(&o.tipping_year) {
            if let Some(y) = year {
                *map.entry(*y).or_insert(0) += 1;
            }
        }
        let k = self.layout.frameworks;
        for (cell, &fw) in o.final_alignment.iter().enumerate().take(self.layout.domains * self.layout.states) {
            if usize::from(fw) < k {
                self.states[cell * k + usize::from(fw)] += 1;
            }
        }
    }

    /// Fold another aggregator in (e.g. another shard of the same batch). The result is exactly the
    /// state obtained by adding both sets of runs to one aggregator, in any order. Fails, leaving
    /// `self` unchanged, when the layouts or numbers of uncertain parameters differ.
    pub fn merge(&mut self, other: &Aggregator) -> Result<(), String> {
        if self.layout != other.layout {
            return Err(format!(
                "cannot merge aggregates of different layouts: {:?} and {:?}",
                self.layout, other.layout
            ));
        }
        if self.uncertain != other.uncertain {
            return Err(format!(
                "cannot merge aggregates with {} and {} uncertain parameters",
                self.uncertain, other.uncertain
            ));
        }
        self.runs += other.runs;
        self.counts.merge(&other.counts);
        self.gdp.merge(&other.gdp);
        self.pop.merge(&other.pop);
        self.frag.merge(&other.frag);
        self.frag_final.merge(&other.frag_final);
        self.hedging.merge(&other.hedging);
        self.bloc.merge(&other.bloc);
        for (a, b) in self.switches.iter_mut().zip(&other.switches) {
            *a += b;
        }
        for (a, b) in self.tipping.iter_mut().zip(&other.tipping) {
            for (&year, &c) in b {
                *a.entry(year).or_insert(0) += c;
            }
        }
        for (a, b) in self.states.iter_mut().zip(&other.states) {
            *a += b;
        }
        Ok(())
    }

    /// Number of runs aggregated.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// The layout of the aggregated outcomes.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Number of uncertain parameters per run (kept to refuse merging unlike batches).
    pub fn uncertain(&self) -> usize {
        self.uncertain
    }

    /// Whether count-share quantiles are exact (N + 1 <= [`MAX_COUNT_BINS`]) rather than binned.
    pub fn exact_count_quantiles(&self) -> bool {
        self.counts.exact
    }

    /// Share of states (count / N) on framework `k` in domain `d` at year index `t`.
    pub fn count_share(&self, t: usize, d: usize, k: usize) -> Stats {
        self.counts.stats(self.share_cell(t, d, k), self.runs)
    }

    /// GDP-weighted share of framework `k` in domain `d` at year index `t`.
    pub fn gdp_share(&self, t: usize, d: usize, k: usize) -> Stats {
        self.gdp.stats(self.share_cell(t, d, k), self.runs)
    }

    /// Population-weighted share of framework `k` in domain `d` at the horizon.
    pub fn population_share(&self, d: usize, k: usize) -> Stats {
        self.pop.stats(self.dk_cell(d, k), self.runs)
    }

    /// Fragmentation index (averaged over domains) at year index `t`.
    pub fn fragmentation(&self, t: usize) -> Stats {
        self.frag.stats(t, self.runs)
    }

    /// Fragmentation index of domain `d` at the horizon.
    pub fn fragmentation_final(&self, d: usize) -> Stats {
        self.frag_final.stats(d, self.runs)
    }

    /// Hedging index at year index `t`.
    pub fn hedging(&self, t: usize) -> Stats {
        self.hedging.stats(t, self.runs)
    }

    /// Share of states aligned with framework `k` in every domain at the horizon.
    pub fn bloc(&self, k: usize) -> Stats {
        self.bloc.stats(k, self.runs)
    }

    /// Mean number of switches per run in domain `d` (NaN without runs).
    pub fn switches_per_run(&self, d: usize) -> f64 {
        match self.switches.get(d) {
            Some(&s) if self.runs > 0 => s as f64 / self.runs as f64,
            _ => f64::NAN,
        }
    }

    /// Mean number of switches per run over all domains (NaN without runs).
    pub fn switches_total_per_run(&self) -> f64 {
        if self.runs == 0 {
            return f64::NAN;
        }
        self.switches.iter().sum::<u128>() as f64 / self.runs as f64
    }

    /// How often framework `k` tipped in domain `d`, and the lower median year among runs that did.
    pub fn tipping(&self, d: usize, k: usize) -> Tipping {
        let empty = BTreeMap::new();
        let map = if d < self.layout.domains && k < self.layout.frameworks {
            &self.tipping[d * self.layout.frameworks + k]
        } else {
            &empty
        };
        let tipped: u64 = map.values().sum();
        let rank = tipped.div_ceil(2);
        let mut cum = 0;
        let mut median_year = None;
        for (&year, &c) in map {
            cum += c;
            if cum >= rank && tipped > 0 {
                median_year = Some(year);
                break;
            }
        }
        let share_of_runs = if self.runs == 0 {
            f64::NAN
        } else {
            tipped as f64 / self.runs as f64
        };
        Tipping {
            runs_tipped: tipped,
            share_of_runs,
            median_year,
        }
    }

    /// Number of runs in which state `i` ended on framework `k` in domain `d`.
    pub fn state_count(&self, d: usize, i: usize, k: usize) -> u64 {
        let l = self.layout;
        if d >= l.domains || i >= l.states || k >= l.frameworks {
            return 0;
        }
        self.states[l.cell(d, i) * l.frameworks + k]
    }

    /// Probability (share of runs) that state `i` ends on framework `k` in domain `d`.
    pub fn state_probability(&self, d: usize, i: usize, k: usize) -> f64 {
        if self.runs == 0 {
            f64::NAN
        } else {
            self.state_count(d, i, k) as f64 / self.runs as f64
        }
    }

    /// The framework state `i` most often ends on in domain `d` (ties: the lowest index).
    pub fn modal_framework(&self, d: usize, i: usize) -> usize {
        let mut best = 0;
        for k in 1..self.layout.frameworks {
            if self.state_count(d, i, k) > self.state_count(d, i, best) {
                best = k;
            }
        }
        best
    }

    fn share_cell(&self, t: usize, d: usize, k: usize) -> usize {
        let l = self.layout;
        if t >= l.years || d >= l.domains || k >= l.frameworks {
            usize::MAX
        } else {
            l.share_index(t, d, k)
        }
    }

    fn dk_cell(&self, d: usize, k: usize) -> usize {
        if d >= self.layout.domains || k >= self.layout.frameworks {
            usize::MAX
        } else {
            d * self.layout.frameworks + k
        }
    }

    /// Serialise the complete state, e.g. to merge shards run in different processes. The format is
    /// private to this version of blocsim: a magic line, a version number, then little-endian
    /// integers in a fixed order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut e = Vec::new();
        e.extend_from_slice(MAGIC);
        put(&mut e, u128::from(FORMAT_VERSION));
        let l = self.layout;
        for x in [l.states, l.domains, l.frameworks, l.years, self.uncertain] {
            put(&mut e, x as u128);
        }
        put(&mut e, u128::from(self.runs));
        for m in self.measures() {
            put_all(&mut e, &m.sum);
            put_all(&mut e, &m.sum_sq);
            put_all64(&mut e, &m.min);
            put_all64(&mut e, &m.max);
            put_all64(&mut e, &m.hist);
        }
        put_all(&mut e, &self.switches);
        for map in &self.tipping {
            put(&mut e, map.len() as u128);
            for (&year, &c) in map {
                put(&mut e, year as u32 as u128);
                put(&mut e, u128::from(c));
            }
        }
        put_all64(&mut e, &self.states);
        e
    }

    /// Read a state written by [`Aggregator::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Aggregator, String> {
        let rest = bytes.strip_prefix(MAGIC).ok_or("not a blocsim aggregate (bad magic)")?;
        let mut r = Reader { bytes: rest };
        let version = r.u128()?;
        if version != u128::from(FORMAT_VERSION) {
            return Err(format!("aggregate format version {version}, this blocsim reads {FORMAT_VERSION}"));
        }
        let mut dims = [0usize; 5];
        for x in &mut dims {
            *x = usize::try_from(r.u128()?).map_err(|_| "aggregate dimension too large")?;
        }
        let [states, domains, frameworks, years, uncertain] = dims;
        let layout = Layout {
            states,
            domains,
            frameworks,
            years,
        };
        // Every stored value takes at least one byte: refuse sizes the input cannot hold before
        // allocating them.
        if entries(layout).is_none_or(|e| e > bytes.len()) {
            return Err("aggregate dimensions do not match its size".into());
        }
        let mut a = Aggregator::new(layout, uncertain);
        a.runs = r.u64()?;
        for m in a.measures_mut() {
            r.fill(&mut m.sum, Ok)?;
            r.fill(&mut m.sum_sq, Ok)?;
            r.fill(&mut m.min, narrow)?;
            r.fill(&mut m.max, narrow)?;
            r.fill(&mut m.hist, narrow)?;
        }
        r.fill(&mut a.switches, Ok)?;
        for map in &mut a.tipping {
            let len = r.u128()?;
            for _ in 0..len {
                let year = u32::try_from(r.u128()?).map_err(|_| "bad tipping year")? as i32;
                let c = r.u64()?;
                map.insert(year, c);
            }
        }
        r.fill(&mut a.states, narrow)?;
        if !r.bytes.is_empty() {
            return Err("trailing bytes after the aggregate".into());
        }
        Ok(a)
    }

    fn measures(&self) -> [&Measure; 7] {
        [
            &self.counts,
            &self.gdp,
            &self.pop,
            &self.frag,
            &self.frag_final,
            &self.hedging,
            &self.bloc,
        ]
    }

    fn measures_mut(&mut self) -> [&mut Measure; 7] {
        [
            &mut self.counts,
            &mut self.gdp,
            &mut self.pop,
            &mut self.frag,
            &mut self.frag_final,
            &mut self.hedging,
            &mut self.bloc,
        ]
    }
}

/// A lower bound on the number of integers an aggregator of `l` stores (None on overflow).
fn entries(l: Layout) -> Option<usize> {
    let shares = l.years.checked_mul(l.domains)?.checked_mul(l.frameworks)?;
    let count_bins = if l.states < MAX_COUNT_BINS { l.states + 1 } else { MAX_COUNT_BINS };
    let hist = shares.checked_mul(count_bins.checked_add(FRACTION_BINS)?)?;
    let states = l.states.checked_mul(l.domains)?.checked_mul(l.frameworks)?;
    hist.checked_add(states)
}

const MAGIC: &[u8] = b"blocsim aggregate\n";
const FORMAT_VERSION: u32 = 1;

/// Integers are written as LEB128 varints (most are small), so the format is compact.
fn put(e: &mut Vec<u8>, mut x: u128) {
    loop {
        let byte = (x & 0x7f) as u8;
        x >>= 7;
        if x == 0 {
            e.push(byte);
            return;
        }
        e.push(byte | 0x80);
    }
}

fn put_all(e: &mut Vec<u8>, xs: &[u128]) {
    put(e, xs.len() as u128);
    for &x in xs {
        put(e, x);
    }
}

fn put_all64(e: &mut Vec<u8>, xs: &[u64]) {
    put(e, xs.len() as u128);
    for &x in xs {
        put(e, u128::from(x));
    }
}

fn narrow(x: u128) -> Result<u64, String> {
    u64::try_from(x).map_err(|_| "aggregate value out of range".to_string())
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn u128(&mut self) -> Result<u128, String> {
        let mut x: u128 = 0;
        for shift in (0..).step_by(7) {
            let (&byte, rest) = self.bytes.split_first().ok_or("truncated aggregate")?;
            self.bytes = rest;
            if shift >= 128 || (shift > 121 && (byte & 0x7f) >> (128 - shift) != 0) {
                return Err("aggregate integer overflows".into());
            }
            x |= u128::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(x);
            }
        }
        Err("truncated aggregate".into())
    }

    fn u64(&mut self) -> Result<u64, String> {
        narrow(self.u128()?)
    }

    /// Read a length-prefixed list into `out`, whose length must match.
    fn fill<T>(&mut self, out: &mut [T], conv: impl Fn(u128) -> Result<T, String>) -> Result<(), String> {
        let len = self.u128()?;
        if len != out.len() as u128 {
            return Err(format!("aggregate list of {len} values where {} were expected", out.len()));
        }
        for slot in out.iter_mut() {
            *slot = conv(self.u128()?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small layout: 10 states, 2 domains, 3 frameworks, 4 years.
    pub(crate) fn layout() -> Layout {
        Layout {
            states: 10,
            domains: 2,
            frameworks: 3,
            years: 4,
        }
    }

    /// A deterministic, varied outcome for run `r` of [`layout`].
    pub(crate) fn outcome(l: Layout, r: u64) -> RunOutcome {
        let (n, d, k, y) = (l.states, l.domains, l.frameworks, l.years);
        let h = |a: u64| (r.wrapping_mul(2654435761).wrapping_add(a.wrapping_mul(40503)) % 1000) as f64 / 999.0;
        let mut counts = vec![0u32; l.share_len()];
        let mut gdp = vec![0.0; l.share_len()];
        for t in 0..y {
            for dd in 0..d {
                // Framework 0 gets a varying count, the others split the rest (the last the remainder).
                let first = if k == 1 {
                    n as u32
                } else {
                    ((r as usize + t + dd) % (n + 1)) as u32
                };
                let mut left = n as u32 - first;
                let g = h((t * 7 + dd) as u64);
                for fw in 0..k {
                    let (c, x) = if fw == 0 {
                        (first, if k == 1 { 1.0 } else { g })
                    } else if fw + 1 == k {
                        (left, (1.0 - g) / (k - 1) as f64)
                    } else {
                        (left / 2, (1.0 - g) / (k - 1) as f64)
                    };
                    if fw > 0 {
                        left -= c;
                    }
                    counts[l.share_index(t, dd, fw)] = c;
                    gdp[l.share_index(t, dd, fw)] = x;
                }
            }
        }
        RunOutcome {
            run: r,
            draws: vec![h(99) * 3.0, -h(98)],
            counts,
            gdp_shares: gdp,
            pop_shares: (0..d * k).map(|c| h(200 + c as u64) / 3.0).collect(),
            fragmentation: (0..y).map(|t| h(300 + t as u64)).collect(),
            fragmentation_final: (0..d).map(|c| h(400 + c as u64)).collect(),
            hedging: (0..y).map(|t| h(500 + t as u64) * 0.5).collect(),
            bloc: (0..k).map(|c| h(600 + c as u64) / 4.0).collect(),
            switches: (0..d).map(|c| (r + c as u64) % 7).collect(),
            tipping_year: (0..d * k)
                .map(|c| {
                    if (r + c as u64).is_multiple_of(3) {
                        Some(2025 + ((r + c as u64) % 4) as i32)
                    } else {
                        None
                    }
                })
                .collect(),
            final_alignment: (0..d * n).map(|c| ((r as usize + c * c) % k) as u8).collect(),
        }
    }

    #[test]
    fn merge_equals_sequential_adding() {
        let l = layout();
        let mut whole = Aggregator::new(l, 2);
        let (mut a, mut b) = (Aggregator::new(l, 2), Aggregator::new(l, 2));
        for r in 0..37 {
            let o = outcome(l, r);
            whole.add(&o);
            if r % 3 == 1 { a.add(&o) } else { b.add(&o) }
        }
        let mut merged = b.clone();
        merged.merge(&a).expect("same layout");
        assert_eq!(merged, whole);
        assert_eq!(merged.runs(), 37);
        assert!(Aggregator::new(Layout { states: 11, ..l }, 2).merge(&a).is_err());
        assert!(Aggregator::new(l, 1).merge(&a).is_err());
    }

    #[test]
    fn exact_count_quantiles_mean_and_sd() {
        // Counts 0..=10 out of N = 10, once each.
        let l = Layout {
            states: 10,
            domains: 1,
            frameworks: 1,
            years: 1,
        };
        let mut agg = Aggregator::new(l, 0);
        for c in 0..=10u32 {
            let mut o = outcome(
                Layout {
                    states: 10,
                    domains: 1,
                    frameworks: 1,
                    years: 1,
                },
                0,
            );
            o.counts = vec![c];
            agg.add(&o);
        }
        assert!(agg.exact_count_quantiles());
        let s = agg.count_share(0, 0, 0);
        // R = 11: ranks ceil(0.55) = 1, ceil(2.75) = 3, ceil(5.5) = 6, ceil(8.25) = 9, ceil(10.45) = 11.
        assert_eq!((s.p05, s.p25, s.p50, s.p75, s.p95), (0.0, 0.2, 0.5, 0.8, 1.0));
        assert_eq!(s.mean, 0.5);
        // Sample variance of 0..=10 is 110 / 10 = 11 (in counts).
        assert_eq!(s.sd, 11f64.sqrt() / 10.0);
    }

    #[test]
    fn fraction_stats() {
        let l = Layout {
            states: 1,
            domains: 1,
            frameworks: 1,
            years: 1,
        };
        let mut agg = Aggregator::new(l, 0);
        for x in [0.25, 0.75] {
            let mut o = outcome(l, 0);
            o.gdp_shares = vec![x];
            agg.add(&o);
        }
        let s = agg.gdp_share(0, 0, 0);
        assert_eq!(s.mean, 0.5);
        // sd of {0.25, 0.75} with n − 1 = 1: sqrt(2 × 0.25²) = 0.25 × sqrt(2).
        assert_eq!(s.sd, 0.25 * 2f64.sqrt());
        // Quantiles stay within the exact range and are ordered.
        assert!(s.p05 >= 0.25 && s.p95 <= 0.75 && s.p05 <= s.p50 && s.p50 <= s.p95);

        // A constant value has every quantile equal to it, despite binning.
        let mut agg = Aggregator::new(l, 0);
        for _ in 0..5 {
            let mut o = outcome(l, 0);
            o.hedging = vec![0.3];
            agg.add(&o);
        }
        let s = agg.hedging(0);
        let q = quantise(0.3) as f64 / FIXED_ONE as f64;
        assert_eq!((s.p05, s.p50, s.p95, s.sd), (q, q, q, 0.0));
        assert!((s.mean - 0.3).abs() < 1e-9);
    }

    #[test]
    fn binned_counts_for_large_worlds() {
        let l = Layout {
            states: 100_000,
            domains: 1,
            frameworks: 1,
            years: 1,
        };
        let mut agg = Aggregator::new(l, 0);
        assert!(!agg.exact_count_quantiles());
        for c in [10_000u32, 20_000, 30_000, 40_000, 50_000] {
            let mut o = outcome(
                Layout {
                    states: 1,
                    domains: 1,
                    frameworks: 1,
                    years: 1,
                },
                0,
            );
            o.counts = vec![c];
            o.final_alignment = vec![];
            agg.add(&o);
        }
        let s = agg.count_share(0, 0, 0);
        assert_eq!(s.mean, 0.3);
        assert!((s.p50 - 0.3).abs() <= 1.0 / MAX_COUNT_BINS as f64);
        assert!(s.p05 >= 0.1 && s.p95 <= 0.5);
    }

    #[test]
    fn tipping_and_states() {
        let l = Layout {
            states: 2,
            domains: 1,
            frameworks: 2,
            years: 3,
        };
        let mut agg = Aggregator::new(l, 0);
        for (r, year) in [Some(2026), None, Some(2025), Some(2026), Some(2027)].into_iter().enumerate() {
            let mut o = outcome(l, r as u64);
            o.tipping_year = vec![year, None];
            o.final_alignment = vec![(r % 2) as u8, 1];
            agg.add(&o);
        }
        let t = agg.tipping(0, 0);
        assert_eq!((t.runs_tipped, t.share_of_runs, t.median_year), (4, 0.8, Some(2026)));
        assert_eq!(agg.tipping(0, 1).median_year, None);
        assert_eq!(agg.state_probability(0, 0, 0), 0.6);
        assert_eq!(agg.modal_framework(0, 0), 0);
        assert_eq!(agg.modal_framework(0, 1), 1);
    }

    #[test]
    fn bytes_round_trip() {
        let l = layout();
        let mut agg = Aggregator::new(l, 2);
        for r in 0..9 {
            agg.add(&outcome(l, r));
        }
        let bytes = agg.to_bytes();
        assert_eq!(Aggregator::from_bytes(&bytes), Ok(agg.clone()));
        assert!(Aggregator::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(Aggregator::from_bytes(b"nonsense").is_err());
    }

    #[test]
    fn wide_arithmetic() {
        assert_eq!(mul256(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(mul256(1 << 64, 1 << 64), (1, 0));
        assert_eq!(sub256((1, 0), (0, 1)), (0, u128::MAX));
        assert_eq!(sub256((0, 1), (1, 0)), (0, 0));
    }
}
