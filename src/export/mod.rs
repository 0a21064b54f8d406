//! Everything a batch or a run writes to disk. The files of a batch, their writers and columns
//! are listed once, in [`outputs`]; the table below is the overview.
//!
//! | file | writer | content |
//! |------|--------|---------|
//! | `manifest.json` | [`Manifest::write`] | provenance: version, scenario and its sha256, seed, runs, threads, shard, command, wall time, every file written with its sha256 |
//! | `summary.json` | [`summary_json`] | headline statistics at the horizon |
//! | `timeseries.csv` | [`timeseries_csv`] | share distributions year by year |
//! | `indices.csv` | [`indices_csv`] | fragmentation and hedging distributions year by year |
//! | `states.csv` | [`states_csv`] | each state's probability of each framework, per domain |
//! | `runs.csv` | [`RunsWriter`] | one row per run: drawn parameters, final shares, indices |
//! | `detail.parquet` | [`DetailWriter`] | one row per (run, state): final framework per domain |
//! | `partial.bin` | [`crate::partial`] | a shard's exact aggregate state, for `blocsim merge` ([`sealed`] format) |
//!
//! Every file is written to a temporary `.<name>.tmp` in the same directory and renamed when
//! complete ([`write_atomic`]), so no half-written file ever carries a final name. All numbers are
//! formatted deterministically (Rust's shortest round-trip `f64` formatting for CSV, serde_json's
//! for JSON), and the aggregate tables are pure functions of the exact integer state of the
//! [`Aggregator`](crate::aggregate::Aggregator), hence byte-identical whatever the thread count or
//! sharding.

mod atomic;
mod detail;
pub mod html;
mod manifest;
pub mod outputs;
mod runs;
pub mod sealed;
mod tables;

pub use atomic::{sha256_hex, sync_dir, write_atomic, write_durable};
pub use detail::{DetailWriter, ROWS_PER_GROUP};
pub use manifest::{FileEntry, MANIFEST_FILE, Manifest, MergedShard};
pub use runs::{RunsWriter, concat_runs_csv};
pub use tables::{indices_csv, states_csv, summary_json, timeseries_csv};

#[cfg(test)]
mod tests;
