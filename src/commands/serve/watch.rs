//! One run to watch: run `r` of a finished job recomputed for both scenarios, keeping every
//! state's framework in every domain and year (the batch keeps only the horizon). The run is the
//! job's own run `r`: the same streams (seed, run), so its horizon is the one the job counted.

use super::{Explorer, Finished};
use crate::error::Error;

/// Both scenarios' alignments, year by year, in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// The run, from 0.
    pub run: u64,
    /// The baseline's framework index per (year, domain, state): `[(t*D + d)*N + i]`.
    pub baseline: Vec<u8>,
    /// The alternative's, laid out as `baseline`.
    pub alternative: Vec<u8>,
    /// The baseline's states per framework, per (year, domain, framework).
    pub baseline_counts: Vec<u32>,
    /// The alternative's, laid out as `baseline_counts`.
    pub alternative_counts: Vec<u32>,
}

impl Explorer {
    /// Run `run` of the finished job `job`, year by year, for both scenarios.
    pub fn watch(&self, job: &Finished, run: u64) -> anyhow::Result<Trajectory> {
        let runs = job.points.len() as u64;
        if run >= runs {
            return Err(Error::Usage(format!("run {run}: expected a run of the job, 0 to {}", runs.saturating_sub(1))).into());
        }
        let one = |model: &crate::model::Model| {
            let mut years = Vec::with_capacity(model.layout.years * model.layout.domains * model.layout.states);
            let o = crate::run::run_watched(model, job.seed, run, |a| years.extend_from_slice(a));
            (years, o.counts)
        };
        let ((baseline, baseline_counts), (alternative, alternative_counts)) =
            self.pool.install(|| rayon::join(|| one(&self.baseline), || one(&job.model)));
        Ok(Trajectory {
            run,
            baseline,
            alternative,
            baseline_counts,
            alternative_counts,
        })
    }
}
