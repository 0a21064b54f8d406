//! Resource limits: absurd sizes get a one-line error with the memory estimate and the key to
//! change, exit code 2, before anything is allocated; the legitimate large cases pass.

use blocsim::Scenario;
use blocsim::limits::{self, DEFAULT_MEMORY_LIMIT};
use blocsim::model::Model;

use crate::support::scenario::ScenarioText;
use crate::support::{TINY, Test};

/// `blocsim ARGS`, with the memory limit variable set to `limit` (unset if `None`).
fn blocsim(args: &[&str], limit: Option<&str>) -> Test {
    let test = Test::with(args);
    match limit {
        Some(l) => test.env(limits::MEMORY_LIMIT_VAR, l),
        None => test,
    }
}

fn refused(test: Test) -> String {
    test.run().input_error()
}

#[test]
fn a_trillion_agents_are_refused_with_the_estimate_and_the_key() {
    let err = refused(blocsim(&["check", TINY, "--set", "world.synthetic.agents=1000000000000"], None));
    assert!(
        err.starts_with(
            "error: --set world.synthetic.agents=1000000000000: `world.synthetic.agents`: one run of this scenario needs an estimated "
        ),
        "{err}"
    );
    assert!(
        err.contains("TiB of memory") && err.contains("above the limit of 16 GiB") && err.contains("BLOCSIM_MEMORY_LIMIT"),
        "{err}"
    );
}

#[test]
fn absurd_runs_and_horizons_are_refused() {
    let err = refused(blocsim(&["batch", TINY, "--runs", "1000000000000000", "--no-plots"], None));
    assert_eq!(err, "error: --runs 1000000000000000: expected 1 to 4294967295");
    let err = refused(blocsim(&["check", TINY, "--set", "batch.runs=1000000000000000"], None));
    assert!(
        err.contains("`batch.runs`: expected an integer from 1 to 4294967295, found 1000000000000000"),
        "{err}"
    );
    let err = refused(blocsim(&["check", TINY, "--set", "time.end=1000002025"], None));
    assert!(
        err.ends_with("`time.end`: the horizon is 1000000000 years (time.end − time.start); at most 10000 are supported"),
        "{err}"
    );
    // end − start overflows i64: still the horizon error, not a wrapped-around horizon.
    let err = refused(blocsim(
        &[
            "check",
            TINY,
            "--set",
            "time.start=-100000",
            "--set",
            "time.end=9223372036854775807",
        ],
        None,
    ));
    assert!(err.contains("`time.end`: the horizon is 9223372036854875807 years"), "{err}");
}

#[test]
fn the_limit_follows_the_environment_variable() {
    let err = refused(blocsim(&["check", TINY], Some("64KiB")));
    assert!(
        err.contains("`time.end`: one run of this scenario needs an estimated") && err.contains("above the limit of 64 KiB"),
        "{err}"
    );
    let err = refused(blocsim(&["check", TINY], Some("lots")));
    assert_eq!(
        err,
        "error: BLOCSIM_MEMORY_LIMIT=lots: expected a size such as 64GiB, 512MiB or 17179869184 (bytes)"
    );
    // Too many threads for the limit: the advice is about threads, and nothing is written.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b");
    let err = refused(blocsim(
        &["batch", TINY, "--threads", "100000", "--no-plots", "--out", out.to_str().unwrap()],
        Some("4MiB"),
    ));
    assert!(
        err.starts_with("error: a batch on 100000 threads needs an estimated ") && err.contains("use fewer threads"),
        "{err}"
    );
    assert!(!out.exists());
    blocsim(&["check", TINY], Some("64GiB")).run().code(0);
}

/// A scenario of `agents` synthetic states in `domains` domains.
fn synthetic(agents: u64, domains: usize) -> String {
    let names: Vec<String> = (0..domains).map(|d| format!("d{d}")).collect();
    ScenarioText::synthetic("big", agents, 10)
        .frameworks(&["A", "B", "C"])
        .domains(&names.iter().map(String::as_str).collect::<Vec<_>>())
        .years(0, 25)
        .lambda(1)
        .revision_rate(0.5)
        .switching_cost(0.5)
        .to_string()
}

#[test]
fn a_million_states_in_five_domains_and_a_hundred_thousand_runs_are_accepted() {
    // SAFETY of the figures: the process-wide default applies (the variable is never set by tests).
    let s = Scenario::from_str("big.toml", &synthetic(1_000_000, 5)).expect("a million states validate");
    let e = blocsim::footprint::estimate(
        &blocsim::footprint::scenario_sizes(&s),
        8,
        blocsim::footprint::runs_in_flight(
            &blocsim::Layout {
                states: 1_000_000,
                domains: 5,
                frameworks: 3,
                years: 26,
            },
            8,
            blocsim::batch::CHUNK,
        ),
        false,
    );
    assert!(e.total < DEFAULT_MEMORY_LIMIT, "a batch on 8 threads: {}", e.describe());
    // A hundred million states validate, but their model is refused before the world is built.
    let big = Scenario::from_str("big.toml", &synthetic(100_000_000, 5)).expect("the scenario itself is valid");
    let e = blocsim::footprint::load_model(big).unwrap_err().to_string();
    assert!(
        e.contains("`world.synthetic.agents`: one run of this scenario needs an estimated"),
        "{e}"
    );

    let tiny = Model::from_scenario(Scenario::load(TINY, &[]).unwrap()).unwrap();
    blocsim::footprint::check_batch(&tiny, 100_000, 2, blocsim::batch::CHUNK, false).expect("100,000 runs");
    blocsim::footprint::check_batch(&tiny, 100_000, 2, blocsim::compare::CHUNK, true).expect("100,000 paired runs");
    let e = blocsim::footprint::check_batch(&tiny, limits::MAX_RUNS + 1, 2, blocsim::batch::CHUNK, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("at most 4294967295 runs"), "{e}");
}

#[test]
fn too_many_events_and_initial_rules_are_refused() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny.toml")).unwrap();
    let mut many = text.clone(); // tiny.toml has one event already
    for _ in 0..limits::MAX_EVENTS {
        many.push_str("\n[[event]]\nkind = \"coordinate\"\nyear = 2026\nstates = [\"all\"]\n");
    }
    let e = Scenario::from_str("many.toml", &many).unwrap_err().to_string();
    assert!(e.contains("`event`: 10001 events; at most 10000 are supported"), "{e}");
    let rules = vec!["{ states = [\"all\"], shares = { EU = 1.0 } }"; limits::MAX_INITIAL_RULES + 1].join(", ");
    let many = text.replace(
        "initial = [{ states = [\"all\"], shares = { EU = 0.5, US = 0.5 } }]",
        &format!("initial = [{rules}]"),
    );
    let e = Scenario::from_str("many.toml", &many).unwrap_err().to_string();
    assert!(
        e.contains("`domain.data.initial`: 10001 initial rules; at most 10000 are supported"),
        "{e}"
    );
}
