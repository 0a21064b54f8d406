//! A shard's mergeable partial result, `partial.bin`, and what identifies the batch it belongs to.
//!
//! A shard directory holds `manifest.json`, its block of `runs.csv` rows (with the header), its
//! part of `detail.parquet`, and `partial.bin`: the exact integer state of its
//! [`Aggregator`], the labels needed to render the tables, and the identity of the batch (version,
//! scenario sha256, seed, total runs, shard, run range). Because aggregation is integer arithmetic,
//! merging the partial states of all shards gives exactly the state of the whole batch, so
//! `blocsim merge` renders the same bytes as one machine would have. The file is
//! [sealed](crate::export::sealed): versioned and checksummed.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregator;
use crate::error::{Error, Result};
use crate::metrics::Labels;

/// File name of a shard's partial result.
pub const PARTIAL_FILE: &str = "partial.bin";
const KIND: &str = "partial";
const VERSION: u32 = 1;

/// What makes two pieces of work parts of the same batch: same blocsim, same resolved scenario,
/// seed, number of runs, shard and detail setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchKey {
    /// Version of blocsim that ran the batch.
    pub blocsim_version: String,
    /// [`crate::rng::STREAM_LAYOUT`] of the binary that ran the batch.
    pub stream_layout: u32,
    /// Scenario name.
    pub scenario: String,
    /// sha256 of the resolved scenario text.
    pub scenario_sha256: String,
    /// Master seed.
    pub seed: u64,
    /// Runs in the whole batch.
    pub runs: u64,
    /// `"I/N"`, or None for a whole batch.
    pub shard: Option<String>,
    /// Whether the Parquet detail table is written.
    pub detail: bool,
}

impl BatchKey {
    /// The first difference from `other` (this one's value first), as "the scenario sha256 is
    /// X … but Y …"-style text for an error message, or None when equal.
    pub fn difference(&self, other: &BatchKey, this: &str, that: &str) -> Option<String> {
        let shard = |s: &Option<String>| s.clone().unwrap_or_else(|| "none (a whole batch)".into());
        let pairs = [
            ("blocsim version", self.blocsim_version.clone(), other.blocsim_version.clone()),
            (
                "random stream layout",
                self.stream_layout.to_string(),
                other.stream_layout.to_string(),
            ),
            ("scenario", self.scenario.clone(), other.scenario.clone()),
            (
                "resolved scenario sha256",
                self.scenario_sha256.clone(),
                other.scenario_sha256.clone(),
            ),
            ("seed", self.seed.to_string(), other.seed.to_string()),
            ("number of runs", self.runs.to_string(), other.runs.to_string()),
            ("shard", shard(&self.shard), shard(&other.shard)),
            ("detail table", detail(self.detail), detail(other.detail)),
        ];
        pairs
            .into_iter()
            .find(|(_, a, b)| a != b)
            .map(|(what, a, b)| format!("{what} is {a} in {this} but {b} in {that}"))
    }
}

fn detail(on: bool) -> String {
    if on { "written".into() } else { "not written".into() }
}

/// The header of `partial.bin`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialHeader {
    /// The batch the shard belongs to.
    pub key: BatchKey,
    /// The shard's runs are `first_run..end_run` of the batch.
    pub first_run: u64,
    /// End of the shard's runs (exclusive).
    pub end_run: u64,
    /// Length in bytes of the shard's `runs.csv` (header included).
    pub runs_csv_bytes: u64,
    /// Names of what the aggregate is indexed by (frameworks, domains, states, parameters), and the start year.
    pub labels: Labels,
}

/// A shard's partial result: its header and exact aggregate state.
#[derive(Debug, Clone)]
pub struct Partial {
    /// What the shard is and which runs it holds.
    pub header: PartialHeader,
    /// The exact aggregate of the shard's runs.
    pub aggregator: Aggregator,
}

impl Partial {
    /// The sealed bytes of `partial.bin`.
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::export::sealed::seal(KIND, VERSION, &self.header, &self.aggregator.to_bytes())
    }

    /// Read and check `partial.bin` at `path`.
    pub fn read(path: &Path) -> Result<Partial> {
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |m: String| Error::Usage(format!("{}: {m}", path.display()));
        let (header, body): (PartialHeader, Vec<u8>) = crate::export::sealed::unseal(KIND, VERSION, &bytes).map_err(bad)?;
        let aggregator = Aggregator::from_bytes(&body).map_err(bad)?;
        if aggregator.runs() != header.end_run.saturating_sub(header.first_run) {
            return Err(bad(format!(
                "aggregates {} runs but records runs {}..{}",
                aggregator.runs(),
                header.first_run,
                header.end_run
            )));
        }
        Ok(Partial { header, aggregator })
    }

    /// The labels to render the tables with.
    pub fn labels(&self) -> Labels {
        self.header.labels.clone()
    }
}
