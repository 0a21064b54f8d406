//! Events change a run exactly as documented: at their year or when their condition first holds,
//! undone after their duration, and coordinating blocs move as one.

use blocsim::Scenario;
use blocsim::model::Model;
use blocsim::run::run_one;

use crate::support::Test;
use crate::support::scenario::ScenarioText;

/// 30 identical-GDP synthetic states, two frameworks, best response, every state revising every
/// year; a standards push of 3 for A keeps everyone on A unless an event intervenes.
fn scenario(events: &str, extra: &str) -> Model {
    let text = ScenarioText::synthetic("events", 30, 4)
        .years(2025, 2029)
        .world("seed", 2)
        .best_response()
        .utility("standards", 1.0)
        .utility("affinity", 1.0)
        .table(extra)
        .standards("{ A = 3.0 }")
        .events(events)
        .to_string();
    Model::from_scenario(Scenario::from_str("events.toml", &text).unwrap_or_else(|e| panic!("{e}"))).unwrap()
}

/// Number of states on B in each recorded year (2025..=2029).
fn on_b(model: &Model, seed: u64) -> Vec<u32> {
    let o = run_one(model, seed, 0);
    (0..model.layout.years)
        .map(|t| o.counts[model.layout.share_index(t, 0, 1)])
        .collect()
}

#[test]
fn a_set_event_with_a_duration_is_undone() {
    let m = scenario(
        "[[event]]\nkind = \"set\"\nyear = 2027\npath = \"domain.x.standards.B\"\nvalue = 5.0\nduration = 1\n",
        "",
    );
    // 2027: B's push 5 beats A's 1 + 3: all move to B. 2028: the push is gone; A (0 + 3) beats
    // B (1 + 0): all move back.
    assert_eq!(on_b(&m, 1), [0, 0, 30, 0, 0]);
}

#[test]
fn a_partnership_until_a_year_ends_then() {
    let m = scenario(
        "[[event]]\nkind = \"partnership\"\nyear = 2026\nframework = \"B\"\nstates = [\"all\"]\naffinity = 5.0\nuntil = 2028\n",
        "",
    );
    assert_eq!(on_b(&m, 1), [0, 30, 30, 0, 0]);
}

#[test]
fn a_scaled_set_multiplies_the_current_value() {
    // Scaling A's push of 3 by -1 makes it -3: from 2027 A is worth 1 - 3 and B 0, so all move to
    // B and stay (A's GDP pull is then gone too).
    let m = scenario(
        "[[event]]\nkind = \"set\"\nyear = 2027\npath = \"domain.x.standards.A\"\nscale = -1.0\n",
        "",
    );
    assert_eq!(on_b(&m, 1), [0, 0, 30, 30, 30]);
}

#[test]
fn a_conditional_event_fires_once_when_its_condition_first_holds() {
    // From 2027, once A's count share is above one half (it always is), force everyone onto B,
    // locked for a year; afterwards they return to A. The event must fire only once.
    let m = scenario(
        "[[event]]\nkind = \"force\"\nyear = 2027\nframework = \"B\"\ndomains = [\"x\"]\nstates = [\"all\"]\nlock_years = 1\nwhen = { framework = \"A\", domain = \"x\", measure = \"count_share\", above = 0.5 }\n",
        "",
    );
    assert_eq!(on_b(&m, 1), [0, 0, 30, 30, 0]);
    // A condition that never holds never fires.
    let never = scenario(
        "[[event]]\nkind = \"force\"\nframework = \"B\"\ndomains = [\"x\"]\nstates = [\"all\"]\nwhen = { framework = \"B\", domain = \"x\", above = 0.9 }\n",
        "",
    );
    assert_eq!(on_b(&never, 1), [0, 0, 0, 0, 0]);
}

#[test]
fn a_coordinating_bloc_always_moves_as_one() {
    // Strong individual tastes (normal, sd 3) split the states; a bloc of all states decides
    // jointly from 2026, so every later year has all of them on one framework.
    let m = scenario(
        "[[event]]\nkind = \"coordinate\"\nyear = 2026\nstates = [\"all\"]\n",
        "[heterogeneity]\ndistribution = \"normal\"\nscale = 3.0",
    );
    let free = scenario("", "[heterogeneity]\ndistribution = \"normal\"\nscale = 3.0");
    for seed in 0..20 {
        let b = on_b(&m, seed);
        assert!(b[1..].iter().all(|&c| c == 0 || c == 30), "seed {seed}: {b:?}");
        let f = on_b(&free, seed);
        assert!(
            f[1..].iter().any(|&c| c != 0 && c != 30),
            "without the bloc the states split: seed {seed}: {f:?}"
        );
    }
}

#[test]
fn check_names_a_set_events_parameter_by_its_key_path() {
    let out = Test::with(["check", "dsr-surge"]).run().success().stdout();
    assert!(out.contains("scale framework.CN.sponsor.budget by 2"), "{out}");
    assert!(out.contains("set domain.telecom.standards.CN = 0.3"), "{out}");
    assert!(!out.contains("Budget(") && !out.contains("Standards("), "{out}");
}
