//! Property tests of the scenario loader and the `--set` parser: whatever the input, loading returns
//! a scenario or an error, never a panic — through parsing, `extends`, overrides, validation, the
//! world, the model and (for small accepted inputs) one simulated run.
//!
//! Inputs are random text, TOML-shaped lines built from the real key names, mutations of the bundled
//! scenarios (lines deleted, duplicated, swapped, replaced, values changed) and random `--set`
//! arguments applied to bundled scenarios. The generator is seeded, so every run of `cargo test`
//! tries the same cases. Coverage-guided fuzzing of the same entry points lives in `fuzz/`.

use crate::exercise;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

use blocsim::Scenario;
use blocsim::scenario::bundled;

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x00b1_0c51),
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    }
}

/// Key names that appear in scenarios, so random lines often hit real keys.
const KEYS: &[&str] = &[
    "name",
    "description",
    "extends",
    "frameworks",
    "domains",
    "start",
    "end",
    "source",
    "data_dir",
    "include_non_sovereign",
    "agents",
    "degree",
    "seed",
    "gdp_sigma",
    "groups",
    "ties",
    "raw_weights",
    "lambda",
    "revision",
    "econ",
    "investment",
    "network",
    "affinity",
    "security",
    "standards",
    "hedging",
    "depreciation",
    "scale",
    "states",
    "except",
    "distribution",
    "home",
    "freedom_ideal",
    "freedom_weight",
    "sponsor",
    "budget",
    "strategy",
    "split",
    "targets",
    "exclude",
    "revision_rate",
    "switching_cost",
    "anchored",
    "weights",
    "initial",
    "shares",
    "kind",
    "year",
    "path",
    "value",
    "framework",
    "penalty",
    "exempt",
    "lock_years",
    "when",
    "domain",
    "measure",
    "above",
    "below",
    "duration",
    "until",
    "runs",
    "detail",
    "dist",
    "low",
    "high",
    "mean",
    "sd",
    "mode",
    "alpha",
    "beta",
    "mu",
    "sigma",
    "top_partners",
    "bloc_boost",
    "origin_gdp_exponent",
    "partner_gdp_exponent",
    "distance_exponent",
    "min_distance_km",
];

const TABLES: &[&str] = &[
    "[time]",
    "[world]",
    "[world.synthetic]",
    "[world.custom]",
    "[world.gravity]",
    "[choice]",
    "[utility]",
    "[investment]",
    "[hedging]",
    "[heterogeneity]",
    "[framework.EU]",
    "[framework.US.sponsor]",
    "[framework.CN.affinity]",
    "[domain.telecom]",
    "[domain.data]",
    "[[event]]",
    "[batch]",
    "[[domain.telecom.initial]]",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KEYS).prop_map(str::to_string),
        1 => "[a-zA-Z_][a-zA-Z0-9_.-]{0,12}",
    ]
}

/// Scalars and small structures, typed and untyped, in and out of range.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|v| v.to_string()),
        prop_oneof![
            Just(0i64),
            Just(1),
            Just(2),
            Just(-1),
            Just(2025),
            Just(2030),
            Just(1_000_000_000_000),
            Just(i64::MAX)
        ]
        .prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:?}")),
        prop_oneof![Just("nan"), Just("inf"), Just("-inf"), Just("1e308"), Just("0.5"), Just("-0.0")].prop_map(str::to_string),
        prop_oneof![Just("true"), Just("false")].prop_map(str::to_string),
        proptest::sample::select(vec![
            "\"inf\"",
            "\"all\"",
            "\"EU\"",
            "\"US\"",
            "\"CN\"",
            "\"telecom\"",
            "\"data\"",
            "\"synthetic\"",
            "\"countries\"",
            "\"custom\"",
            "\"set\"",
            "\"force\"",
            "\"coordinate\"",
            "\"partnership\"",
            "\"export_control\"",
            "\"uniform\"",
            "\"normal\"",
            "\"beta\"",
            "\"lognormal\"",
            "\"triangular\"",
            "\"sequential\"",
            "\"synchronous\"",
            "\"swing\"",
            "\"group:EU27\"",
            "\"continent:Africa\"",
            "\"baseline\"",
            "\"choice.lambda\"",
            "\"gdp_share\"",
            "\"/dev/null\"",
        ])
        .prop_map(str::to_string),
        "\"[ -~]{0,12}\"",
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            proptest::collection::vec((key(), inner), 0..4).prop_map(|kv| {
                let body: Vec<String> = kv.into_iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{{ {} }}", body.join(", "))
            }),
        ]
    })
}

/// A TOML-looking line: a table header, `key = value`, or junk.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => proptest::sample::select(TABLES).prop_map(str::to_string),
        6 => (key(), value()).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => "[ -~]{0,30}",
        1 => Just(String::new()),
    ]
}

/// The bundled scenarios and the tiny test fixture, as (name, text).
fn bases() -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<(&str, &str)> = bundled::all().to_vec();
    v.push(("tiny", exercise::TINY));
    v
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Replace(usize, String),
    Insert(usize, String),
    NewValue(usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = any::<usize>();
    prop_oneof![
        1 => at.prop_map(Edit::Delete),
        1 => at.prop_map(Edit::Duplicate),
        1 => (at, any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        1 => (at, line()).prop_map(|(a, l)| Edit::Replace(a, l)),
        1 => (at, line()).prop_map(|(a, l)| Edit::Insert(a, l)),
        4 => (at, value()).prop_map(|(a, v)| Edit::NewValue(a, v)),
    ]
}

fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for e in edits {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match e {
            Edit::Delete(i) => {
                lines.remove(i % n);
            }
            Edit::Duplicate(i) => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Edit::Swap(a, b) => lines.swap(a % n, b % n),
            Edit::Replace(i, l) => lines[i % n] = l.clone(),
            Edit::Insert(i, l) => lines.insert(i % n, l.clone()),
            Edit::NewValue(i, v) => {
                // Change the value of the i-th `key = value` line (counting only such lines).
                let assignments: Vec<usize> = (0..n)
                    .filter(|&j| lines[j].contains('=') && !lines[j].trim_start().starts_with('#'))
                    .collect();
                if let Some(&j) = assignments.get(i % assignments.len().max(1)) {
                    let k = lines[j].split('=').next().unwrap_or("").to_string();
                    lines[j] = format!("{k}= {v}");
                }
            }
        }
    }
    lines.join("\n")
}

/// Leaf key paths of a scenario (`choice.lambda`, `event[0].year`), for `--set` arguments.
fn key_paths(text: &str) -> Vec<String> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut Vec<String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&p, v, out);
                }
            }
            toml::Value::Array(a) if a.iter().all(toml::Value::is_table) && !a.is_empty() => {
                for (i, v) in a.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), v, out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }
    let mut out = Vec::new();
    if let Ok(t) = text.parse::<toml::Table>() {
        walk("", &toml::Value::Table(t), &mut out);
    }
    out
}

/// A `--set` argument: a real key path of the scenario (or a random one) and a value.
fn set_arg(paths: Vec<String>) -> impl Strategy<Value = String> {
    let path = prop_oneof![
        4 => proptest::sample::select(paths),
        1 => "[a-z_]{1,10}(\\.[a-zA-Z_]{1,10}){0,3}(\\[[0-9]{1,2}\\])?",
        1 => "[ -~]{0,20}",
    ];
    let raw_value = prop_oneof![
        6 => value(),
        1 => "[ -~]{0,20}",
    ];
    prop_oneof![
        8 => (path, raw_value).prop_map(|(p, v)| format!("{p}={v}")),
        1 => "[ -~]{0,30}",
    ]
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn random_text_is_refused_or_loaded_without_panic(text in "(?s).{0,300}") {
        exercise::scenario_text(text.as_bytes());
    }

    #[test]
    fn random_toml_lines_are_refused_or_loaded_without_panic(lines in proptest::collection::vec(line(), 0..40)) {
        exercise::scenario_text(lines.join("\n").as_bytes());
    }
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn mutated_bundled_scenarios_are_refused_or_loaded_without_panic(
        which in any::<usize>(),
        edits in proptest::collection::vec(edit(), 1..5),
    ) {
        let all = bases();
        let (_, text) = all[which % all.len()];
        let mutated = mutate(text, &edits);
        exercise::scenario_text(mutated.as_bytes());
        // What an accepted scenario resolves to (what the manifest hashes) loads again, unchanged.
        if let Ok(s) = Scenario::from_str("mutated.toml", &mutated) {
            let again = Scenario::from_str("resolved.toml", &s.resolved);
            prop_assert!(again.is_ok(), "the resolved form of an accepted scenario is refused: {:?}", again.err().map(|e| e.to_string()));
            prop_assert_eq!(&again.unwrap().resolved, &s.resolved);
        }
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn random_overrides_of_bundled_scenarios_are_refused_or_applied_without_panic(
        (name, sets) in proptest::sample::select(bases()).prop_flat_map(|(name, text)| {
            (Just(name), proptest::collection::vec(set_arg(key_paths(text)), 1..4))
        })
    ) {
        let input = format!("{name}\n{}", sets.iter().map(|s| s.replace('\n', " ")).collect::<Vec<_>>().join("\n"));
        exercise::set_override(input.as_bytes());
    }
}

/// Run `cases` inputs of `strategy` through `f` and count how far they got (indexed by
/// [`exercise::Reached`]).
fn tally<S: Strategy>(strategy: S, cases: u32, f: impl Fn(S::Value) -> exercise::Reached) -> [u32; 4] {
    let counts = std::cell::RefCell::new([0u32; 4]);
    let mut runner = proptest::test_runner::TestRunner::new(config(cases));
    runner
        .run(&strategy, |v| {
            counts.borrow_mut()[f(v) as usize] += 1;
            Ok(())
        })
        .unwrap();
    counts.into_inner()
}

/// The generators reach every stage: some inputs are refused, some validate, some build a model and
/// are simulated. (Were every input refused at the first step, the properties above would prove
/// nothing about the model and the run.)
#[test]
fn structured_inputs_reach_every_stage() {
    use exercise::Reached::*;
    let mutated = tally((any::<usize>(), proptest::collection::vec(edit(), 1..3)), 200, |(which, edits)| {
        let all = bases();
        exercise::scenario_text(mutate(all[which % all.len()].1, &edits).as_bytes())
    });
    let sets = tally(
        proptest::sample::select(bases())
            .prop_flat_map(|(name, text)| (Just(name), proptest::collection::vec(set_arg(key_paths(text)), 1..2))),
        200,
        |(name, sets)| exercise::set_override(format!("{name}\n{}", sets.join("\n")).as_bytes()),
    );
    println!("mutations [refused, validated, built, simulated]: {mutated:?}; overrides: {sets:?}");
    for (what, c) in [("mutations", mutated), ("overrides", sets)] {
        assert!(c[Refused as usize] > 0, "{what}: {c:?}");
        assert!(c[Simulated as usize] > 0, "{what}: {c:?}");
    }
}
