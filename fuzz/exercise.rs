//! What the fuzz targets do with an input, shared with `tests/integration/fuzz_regressions.rs` so that every
//! saved crash is replayed by `cargo test`: load the input as a scenario (or as `--set` overrides of
//! a known scenario), render any error, and for an accepted scenario build the model and, when it is
//! small, simulate one run. None of it may panic, whatever the input.

#![allow(dead_code)]

use std::path::Path;

use blocsim::Scenario;
use blocsim::scenario::{bundled, overrides, validate};

/// The scenario `--set` inputs are applied to when their first line names no bundled scenario.
pub const TINY: &str = include_str!("../tests/fixtures/tiny.toml");

/// Largest run (cells × years) simulated after a successful load; larger accepted inputs are only
/// built, so one input cannot take more than a few milliseconds.
const MAX_SIMULATED: usize = 200_000;

/// How far an input got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reached {
    /// Refused while reading or validating the scenario.
    Refused,
    /// A valid scenario, refused against its world (e.g. an unknown state), or not built because
    /// its estimated memory exceeds [`MAX_BUILT_BYTES`].
    Validated,
    /// A model was built.
    Built,
    /// A model was built and one run simulated.
    Simulated,
}

/// Largest estimated memory of a scenario whose world and model are built. Larger accepted
/// scenarios are legitimate (up to the limit of `blocsim::limits`) but take seconds to build, which
/// would stall the fuzzer.
const MAX_BUILT_BYTES: u64 = 256 << 20;

/// Scenario text: the whole input is the file.
pub fn scenario_text(data: &[u8]) -> Reached {
    let text = String::from_utf8_lossy(data);
    exercise(Scenario::from_str("fuzz.toml", &text))
}

/// `--set` overrides: the first line names the scenario (a bundled name, else the tiny fixture),
/// every further line is one `PATH=VALUE` argument.
pub fn set_override(data: &[u8]) -> Reached {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or("").trim();
    let base = bundled::get(first).unwrap_or(TINY);
    let mut parsed = Vec::new();
    for arg in lines.take(32) {
        match overrides::parse(arg) {
            Ok(o) => parsed.push(o),
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    exercise(validate::from_text(Path::new("fuzz.toml"), base, None, &parsed))
}

fn exercise(loaded: blocsim::Result<Scenario>) -> Reached {
    let scenario = match loaded {
        Ok(s) => s,
        Err(e) => {
            let _ = e.to_string();
            return Reached::Refused;
        }
    };
    let _ = scenario.resolved.len();
    let sizes = blocsim::footprint::scenario_sizes(&scenario);
    if blocsim::footprint::estimate(&sizes, 1, 1, false).total > MAX_BUILT_BYTES {
        return Reached::Validated;
    }
    let model = match blocsim::footprint::load_model(scenario) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.to_string();
            return Reached::Validated;
        }
    };
    let l = model.layout;
    let cells = l
        .states
        .saturating_mul(l.domains)
        .saturating_mul(l.frameworks)
        .saturating_mul(l.years);
    if cells <= MAX_SIMULATED && model.events.len() <= 64 {
        let o = blocsim::run::run_one(&model, 1, 0);
        assert_eq!(o.counts.len(), l.share_len());
        return Reached::Simulated;
    }
    Reached::Built
}
