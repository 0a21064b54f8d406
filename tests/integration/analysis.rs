//! `blocsim sweep`, `sensitivity` and `discover` end to end on the tiny fixture: outputs exist, agree
//! with each other, use common random numbers, and are byte-identical with 1 and 2 threads.

use blocsim::analysis::sweep::{self, DesignKind};
use blocsim::analysis::table::Table;
use blocsim::analysis::{Loader, Outcome, ParamRange, Plan};
use blocsim::run::run_one;

use crate::support::{TINY, Test, read};

const PARAMS: [&str; 6] = [
    "--param",
    "choice.lambda=0.5:4",
    "--param",
    "utility.network=0:3",
    "--param",
    "utility.hedging=0:1",
];

#[test]
fn sweep_sensitivity_and_discover_are_consistent_and_thread_independent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = |name: &str| tmp.path().join(name);
    // Sweep: a Latin hypercube of 60 points x 4 replications, with 1 and 2 threads.
    for t in ["1", "2"] {
        let out = dir(&format!("sweep{t}"));
        let mut args = vec!["sweep", TINY, "--design", "lhs", "--points", "60", "--runs", "4", "--threads", t];
        args.extend(PARAMS);
        args.extend(["--out", out.to_str().unwrap()]);
        if t == "2" {
            args.push("--no-plots");
        }
        Test::with(&args).run().success();
    }
    let (s1, s2) = (dir("sweep1"), dir("sweep2"));
    for f in ["points.csv", "points.parquet", "runs.csv", "runs.parquet", "sweep.json"] {
        assert!(read(&s1.join(f)) == read(&s2.join(f)), "{f} differs between 1 and 2 threads");
    }
    for f in ["manifest.json", "plots/sweep_fragmentation.svg", "plots/sweep_fragmentation.png"] {
        assert!(s1.join(f).is_file(), "{f} missing");
    }
    // Consistency: 60 points, 240 runs; each point's mean is the mean of its runs.
    let points = Table::read_csv(&s1.join("points.csv")).unwrap();
    let runs = Table::read_csv(&s1.join("runs.csv")).unwrap();
    assert_eq!((points.rows(), runs.rows()), (60, 240));
    let frag = &runs.column("fragmentation").unwrap().values;
    let point_of = &runs.column("point").unwrap().values;
    for p in [0usize, 17, 59] {
        let xs: Vec<f64> = (0..240).filter(|&r| point_of[r] == p as f64).map(|r| frag[r]).collect();
        assert_eq!(xs.len(), 4);
        let mean = xs.iter().sum::<f64>() / 4.0;
        let shown = points.column("fragmentation.mean").unwrap().values[p];
        assert!((mean - shown).abs() < 1e-12, "point {p}: {mean} vs {shown}");
        assert_eq!(
            runs.column("choice.lambda").unwrap().values[p * 4],
            points.column("choice.lambda").unwrap().values[p]
        );
    }

    // Sensitivity: Sobol (N = 16) and Morris, with 1 and 2 threads.
    for (method, extra) in [("sobol", ["--samples", "16"]), ("morris", ["--trajectories", "6"])] {
        for t in ["1", "2"] {
            let out = dir(&format!("{method}{t}"));
            let mut args = vec!["sensitivity", TINY, "--method", method, "--runs", "3", "--threads", t];
            args.extend(extra);
            args.extend(PARAMS);
            args.extend(["--outcome", "fragmentation", "--outcome", "final_gdp_share.telecom.CN"]);
            args.extend(["--out", out.to_str().unwrap()]);
            if t == "2" {
                args.push("--no-plots");
            }
            Test::with(&args).run().success();
        }
        let (a, b) = (dir(&format!("{method}1")), dir(&format!("{method}2")));
        for f in [format!("{method}.csv"), "sensitivity.json".into(), "design.csv".into()] {
            assert!(
                read(&a.join(&f)) == read(&b.join(&f)),
                "{method}: {f} differs between 1 and 2 threads"
            );
        }
        let design = Table::read_csv(&a.join("design.csv")).unwrap();
        let expected = if method == "sobol" { 16 * (3 + 2) } else { 6 * (3 + 1) };
        assert_eq!(design.rows(), expected);
        let table = String::from_utf8(read(&a.join(format!("{method}.csv")))).unwrap();
        // Header plus one row per outcome and parameter (Sobol: first and total).
        assert_eq!(table.lines().count(), 1 + 2 * 3 * if method == "sobol" { 2 } else { 1 });
    }

    // Discover on the sweep.
    Test::with(["discover", s1.to_str().unwrap(), "--where", "fragmentation < 0.45"])
        .run()
        .success()
        .stdout_contains("box 0");
    let d = s1.join("discover");
    for f in [
        "prim.json",
        "prim_boxes.csv",
        "prim_trajectory.csv",
        "manifest.json",
        "plots/prim_tradeoff.svg",
        "plots/prim_boxes.png",
    ] {
        assert!(d.join(f).is_file(), "{f} missing");
    }
    let prim: serde_json::Value = serde_json::from_slice(&read(&d.join("prim.json"))).unwrap();
    let yes = (0..240).filter(|&r| frag[r] < 0.45).count();
    assert_eq!(prim["yes"].as_u64().unwrap() as usize, yes);
    assert_eq!(prim["runs"], 240);
    let b = &prim["boxes"][0];
    assert!(b["density"].as_f64().unwrap() >= yes as f64 / 240.0, "{b}");

    // `blocsim plot` redraws every chart from the saved files alone, byte for byte.
    for (d, chart) in [
        (s1.clone(), "sweep_fragmentation"),
        (dir("sobol1"), "sensitivity_fragmentation"),
        (dir("morris1"), "sensitivity_final_gdp_share_telecom_cn"),
        (d.clone(), "prim_tradeoff"),
        (d.clone(), "prim_boxes"),
    ] {
        let svg = format!("plots/{chart}.svg");
        let before = read(&d.join(&svg));
        std::fs::remove_file(d.join(&svg)).unwrap();
        Test::with(["plot", d.to_str().unwrap()]).run().success();
        assert!(read(&d.join(&svg)) == before, "{}: {svg} redrawn differently", d.display());
    }
}

#[test]
fn replication_r_of_every_point_is_run_r_of_the_master_seed() {
    // A one-level grid sits at the middle of the range: utility.econ = 0.5, the scenario's own value,
    // so every run must equal the plain run of the same index.
    let loader = Loader::new(TINY, &[]).unwrap();
    let mut params = vec![ParamRange::parse("utility.econ=0:1").unwrap()];
    loader.resolve(&mut params).unwrap();
    let outcomes = Outcome::parse_all(&[], &loader.base.labels()).unwrap();
    let plan = Plan {
        seed: 11,
        runs: 3,
        threads: Some(2),
    };
    let s = sweep::run(&loader, &params, DesignKind::Grid, 1, &outcomes, &plan, &|_| {}).unwrap();
    assert_eq!(s.points, vec![vec![0.5]]);
    for r in 0..3 {
        let o = run_one(&loader.base, 11, r);
        for sel in &outcomes {
            let v = s.runs_table.column(&sel.name).unwrap().values[r as usize];
            assert_eq!(v, sel.value(&o, &loader.base.layout), "{} replication {r}", sel.name);
        }
    }
}

#[test]
fn bad_input_is_refused_with_exit_code_2_and_a_clear_message() {
    let cases: [(&[&str], &str); 6] = [
        (
            &["sweep", TINY, "--param", "choice.lambda=0.5:4", "--outcome", "final_share.cloud.EU"],
            "domains: telecom, data",
        ),
        (&["sweep", TINY, "--param", "choice.lambda=-2:-1", "--no-plots"], "choice.lambda"),
        (&["sweep", TINY, "--param", "choice.lambda=4:1"], "expected LO < HI"),
        (
            &["sweep", TINY, "--param", "choice.lambda=1:2", "--design", "random"],
            "[possible values: grid, lhs]",
        ),
        (&["sensitivity", TINY, "--method", "fast"], "[possible values: sobol, morris]"),
        (&["sweep", TINY], "expected at least one --param"),
    ];
    for (args, needle) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let mut a = args.to_vec();
        let out_dir = tmp.path().join("o");
        a.extend(["--out", out_dir.to_str().unwrap()]);
        Test::with(a).run().code(2).stderr_contains(needle);
    }
}
