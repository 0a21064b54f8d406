//! blocsim: an agent-based Monte Carlo simulator of states aligning, domain by domain, with rival
//! digital frameworks (by default the EU, US and Chinese models).
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! scenario file --scenario::validate--> Scenario            (after this, no more checks)
//! Scenario --World::build--> World      (states as struct-of-arrays, ties in CSR)
//! Scenario + World --Model::build--> Model   (names resolved to masks, static utility parts)
//! Model + (seed, run) --run::run_one--> RunOutcome   (the only parallel stage: rayon over runs)
//! outcomes in run order --aggregate--> Aggregator   (exact, mergeable streaming statistics)
//! Aggregator --export--> manifest.json, summary.json, runs.csv, states.csv, timeseries.csv, detail.parquet
//! saved output files --plot--> plots/*.svg, plots/*.png, report.html   (charts never read the model)
//! shard directories (partial.bin, runs.csv, detail.parquet) --merge--> the whole batch's files
//! ```
//!
//! Every random number comes from [`rng::run_rng`], a ChaCha8 stream per (seed, run, purpose), so
//! results do not depend on the number of threads.

#![warn(missing_docs)]

pub mod aggregate;
pub mod analysis;
pub mod batch;
pub mod bench;
pub mod calibrate;
pub mod checkpoint;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod describe;
pub mod error;
pub mod export;
pub mod footprint;
pub mod forecast;
pub mod limits;
pub mod meanfield;
pub mod merge;
pub mod metrics;
pub mod model;
pub mod options;
pub mod outcomes;
pub mod outdir;
pub mod partial;
pub mod plot;
pub mod pool;
pub mod progress;
pub mod report;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod server;
pub mod single;
pub mod world;

pub use error::{Error, Result};
pub use metrics::{Layout, RunOutcome};
pub use scenario::Scenario;
pub use world::World;
