//! Same seed and scenario give byte-identical outputs, whatever the number of threads, and a single
//! `run` reproduces the same run inside a batch.

use crate::support::{Test, read};

/// `blocsim ARGS`, which must succeed.
fn blocsim(args: &[&str]) {
    Test::with(args).run().success();
}

#[test]
fn batch_is_independent_of_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("t1"), tmp.path().join("t2"));
    for (dir, threads) in [(&one, "1"), (&two, "2")] {
        blocsim(&[
            "batch",
            "baseline",
            "--runs",
            "600",
            "--seed",
            "7",
            "--threads",
            threads,
            "--no-plots",
            "--out",
            dir.to_str().unwrap(),
        ]);
    }
    for f in [
        "runs.csv",
        "states.csv",
        "timeseries.csv",
        "indices.csv",
        "summary.json",
        "detail.parquet",
    ] {
        assert!(read(&one.join(f)) == read(&two.join(f)), "{f} differs between 1 and 2 threads");
    }
    // 600 runs with 512-run chunks per thread: the two-thread batch really split the work differently.
    let runs = String::from_utf8(read(&one.join("runs.csv"))).unwrap();
    assert_eq!(runs.lines().count(), 601);
}

#[test]
fn single_run_equals_the_same_run_inside_a_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    let single = tmp.path().join("single");
    blocsim(&[
        "batch",
        "baseline",
        "--runs",
        "8",
        "--seed",
        "11",
        "--no-plots",
        "--out",
        batch.to_str().unwrap(),
    ]);
    blocsim(&["run", "baseline", "--seed", "11", "--run", "5", "--out", single.to_str().unwrap()]);

    // Final count shares of run 5 in runs.csv equal the last year of the single run's trajectory.
    let runs = String::from_utf8(read(&batch.join("runs.csv"))).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = runs.lines().nth(6).unwrap().split(',').collect();
    assert_eq!(row[0], "5");
    let traj = String::from_utf8(read(&single.join("trajectory.csv"))).unwrap();
    let mut checked = 0;
    for line in traj.lines().skip(1).filter(|l| l.starts_with("2040,")) {
        let f: Vec<&str> = line.split(',').collect();
        let col = header
            .iter()
            .position(|h| *h == format!("final_share.{}.{}", f[1], f[2]))
            .expect("share column");
        assert_eq!(row[col].parse::<f64>().unwrap(), f[4].parse::<f64>().unwrap(), "{line}");
        checked += 1;
    }
    assert_eq!(checked, 15);
}
