//! `blocsim forecast`: the dated forecast's files, its probabilities (non-decreasing in the year,
//! inside (0, 1)), its refusal of bad years, and byte identity on one and two threads.

use crate::support::Test;

const FIT: &str = "scenarios/data/observed/fit-2017.toml";
const OBSERVED: &str = "scenarios/data/observed";

fn forecast(threads: &str, name: &str) -> crate::support::command::Run {
    Test::with(["forecast", FIT, "--observed", OBSERVED, "--runs", "40", "--threads", threads])
        .temp_out(name)
        .run()
        .success()
}

#[test]
fn a_dated_forecast_writes_probabilities_by_year_and_is_reproducible() {
    let one = forecast("1", "f1");
    let text = String::from_utf8(one.file("forecast.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header,
        [
            "state",
            "indicator",
            "p_by_2026",
            "p_by_2027",
            "p_by_2028",
            "p_by_2029",
            "p_by_2030",
            "median_year",
            "observed_year"
        ]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() > 100, "{} histories", rows.len());
    for r in &rows {
        let p: Vec<f64> = r[2..7].iter().map(|x| x.parse().unwrap()).collect();
        assert!(p.windows(2).all(|w| w[0] <= w[1]) && p.iter().all(|&x| x > 0.0 && x < 1.0), "{r:?}");
        assert!(
            ["ai_law_risk_based", "cbpr", "huawei_5g_restriction"].contains(&r[1]),
            "covered indicators only: {r:?}"
        );
    }
    // The detection rates are what is free by default, and calibrated.toml names no joint set.
    let estimates = String::from_utf8(one.file("estimates.csv")).unwrap();
    assert!(estimates.lines().skip(1).all(|l| l.starts_with("detect.")), "{estimates}");
    assert!(String::from_utf8(one.file("plots/counts.svg")).unwrap().starts_with("<svg"));
    let two = forecast("2", "f2");
    for f in ["forecast.csv", "counts.csv", "estimates.csv", "forecast.json"] {
        assert_eq!(one.file(f), two.file(f), "{f} differs between 1 and 2 threads");
    }
}

#[test]
fn bad_years_are_refused() {
    let err = Test::with(["forecast", FIT, "--observed", OBSERVED, "--horizon", "2025"])
        .temp_out("bad")
        .run()
        .input_error();
    assert!(err.contains("expected start <= last < horizon"), "{err}");
}
