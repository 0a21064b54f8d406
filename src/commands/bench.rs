//! `blocsim bench`: throughput measurements ([`crate::bench`]).

use super::Progress;
use crate::bench::{BenchOptions, BenchReport};

/// Measure; each configuration is announced through [`Progress::note`] before it runs.
pub fn bench(opts: &BenchOptions, progress: &dyn Progress) -> anyhow::Result<BenchReport> {
    Ok(crate::bench::run(opts, &|line| progress.note(line))?)
}
