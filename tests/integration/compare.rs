//! `blocsim compare`: paired differences on common random numbers.

use blocsim::Scenario;
use blocsim::compare::{CompareOptions, compare};
use blocsim::model::Model;

use crate::support::Test;

fn model(name: &str, sets: &[&str]) -> Model {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    Model::from_scenario(Scenario::load(name, &sets).unwrap()).unwrap()
}

#[test]
fn a_scenario_compared_with_itself_differs_by_exactly_zero() {
    let m = model("baseline", &[]);
    let c = compare(
        &m,
        &m,
        &CompareOptions {
            runs: 40,
            seed: 3,
            threads: Some(2),
        },
        &|_| {},
    )
    .unwrap();
    assert!(!c.outcomes.is_empty());
    for o in &c.outcomes {
        assert_eq!(
            (o.diff_mean, o.diff_sd, o.ci_low, o.ci_high, o.p_higher, o.p_lower),
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
            "{o:?}"
        );
        assert_eq!(o.baseline_mean, o.alternative_mean);
    }
    assert!(c.states.iter().all(|s| s.shift == 0.0));
}

#[test]
fn ten_times_the_chinese_budget_raises_chinese_shares_with_an_interval_above_zero() {
    let base = model("baseline", &[]);
    // The baseline draws the budget from U(6000, 18000) million US$ a year; ten times that.
    let alt = model(
        "baseline",
        &["framework.CN.sponsor.budget={dist=\"uniform\",low=60000,high=180000}"],
    );
    let c = compare(
        &base,
        &alt,
        &CompareOptions {
            runs: 60,
            seed: 5,
            threads: None,
        },
        &|_| {},
    )
    .unwrap();
    for domain in ["telecom", "cloud", "ai"] {
        let o = c.outcome(&format!("final_share.{domain}.CN")).unwrap();
        assert!(o.ci_low > 0.0, "{domain}: {o:?}");
        assert!(o.p_higher > 0.5, "{domain}: {o:?}");
    }
    // The most shifted states are listed first.
    assert!(c.states.windows(2).all(|w| w[0].shift >= w[1].shift));
    assert!(c.states[0].shift > 0.0);
}

#[test]
fn comparison_files_do_not_depend_on_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("t{threads}"));
        Test::with([
            "compare",
            "baseline",
            "baseline",
            "--set",
            "framework.EU.sponsor.budget=50000",
            "--runs",
            "30",
            "--seed",
            "8",
        ])
        .args(["--threads", threads])
        .out(&out)
        .run()
        .success();
        let files: Vec<Vec<u8>> = ["comparison.csv", "comparison.json", "comparison.md"]
            .iter()
            .map(|f| std::fs::read(out.join(f)).unwrap())
            .collect();
        bytes.push(files);
        let svg = std::fs::read_to_string(out.join("plots/comparison.svg")).unwrap();
        assert!(svg.contains("<text") && svg.contains("baseline"), "the comparison chart is drawn");
        assert!(out.join("plots/comparison.png").is_file());
        let report = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(
            report.contains("<svg") && report.contains("Paired differences"),
            "the report embeds the chart and the table"
        );
    }
    assert!(bytes[0] == bytes[1], "comparison outputs differ between 1 and 2 threads");
}
