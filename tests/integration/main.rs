//! The integration tests, all in one test binary (one build, one link, one run of the harness):
//! one module per behaviour under test, and `support/` with what they share — the one way to run
//! the `blocsim` binary ([`support::command::Test`]), the scenario text the tests write
//! ([`support::scenario::ScenarioText`]) and the theory side of the validation cases.
//!
//! Run one module with a filter: `cargo test --release --test integration shards::`. A new test file
//! goes to `tests/integration/NAME.rs` with one more `mod NAME;` line below (a file left in `tests/`
//! is not built: `layout` fails until it is moved); it runs the binary with `crate::support::Test`.

#[path = "../../fuzz/exercise.rs"]
mod exercise;
mod support;

mod analysis;
mod brock_durlauf;
mod calibrate;
mod cli_reliability;
mod compare;
mod errors;
mod events;
mod forecast;
mod fuzz_regressions;
mod input_props;
mod joint;
mod landscape;
mod layering;
mod layout;
mod limits;
mod meanfield;
mod outdirs;
mod plots;
mod potts3;
mod rate;
mod recovery_layers;
mod recovery_network;
mod reproducibility;
mod resume;
mod scenarios;
mod sensitivity_intervals;
mod serve;
mod shards;
mod snapshot;
mod softmax;
mod worlds;
