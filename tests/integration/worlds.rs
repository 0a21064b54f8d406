//! Worlds from every source run end to end through the command line: the real countries, a
//! synthetic world, and a custom CSV world with signed, raw tie weights.

use crate::support::Test;

/// `blocsim ARGS`, which must succeed; returns stdout.
fn blocsim(args: &[&str]) -> String {
    Test::with(args).run().success().stdout()
}

/// (state, p_A) rows of a two-framework states.csv.
fn p_first(states_csv: &str) -> Vec<(String, f64)> {
    states_csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[3].parse().unwrap())
        })
        .collect()
}

#[test]
fn custom_world_with_signed_ties_runs_and_respects_anchors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("custom");
    let check = blocsim(&["check", "tests/fixtures/custom/world.toml"]);
    assert!(check.contains("custom: 5 agents") && check.contains("(raw weights)"), "{check}");
    blocsim(&[
        "batch",
        "tests/fixtures/custom/world.toml",
        "--runs",
        "200",
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ]);
    let states = std::fs::read_to_string(out.join("states.csv")).unwrap();
    let p = p_first(&states);
    // Home states are anchored.
    assert_eq!(p[0], ("NOR".to_string(), 1.0));
    assert_eq!(p[1], ("EST".to_string(), 0.0));
    // West's only strong tie is to North (+2), so it leans to North's framework A; South's
    // positive tie to East (+1) outweighs its small tie to West (+0.5), so it leans to B.
    let west = p.iter().find(|(s, _)| s == "WES").unwrap().1;
    let south = p.iter().find(|(s, _)| s == "SOU").unwrap().1;
    assert!(west > 0.5 && south < 0.5, "west {west}, south {south}");
}

#[test]
fn synthetic_and_country_worlds_resolve() {
    let bench = blocsim(&["check", "bench/logit-network", "--set", "world.synthetic.agents=500"]);
    assert!(bench.contains("synthetic: 500 agents, 16 out-neighbours each"), "{bench}");
    let base = blocsim(&["check", "baseline"]);
    assert!(base.contains("countries: 183 states"), "{base}");
    let sovereign = blocsim(&["check", "baseline", "--set", "world.include_non_sovereign=false"]);
    assert!(sovereign.contains("countries: 179 states"), "{sovereign}");
}
