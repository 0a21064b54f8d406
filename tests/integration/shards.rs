//! Shards and `blocsim merge`: any split of a batch into shards, run with any thread count and
//! merged, gives the bytes of the batch run on one machine; shards that are missing, given twice,
//! or belong to another batch are refused with a clear message and exit code 2.

use std::path::{Path, PathBuf};

use crate::support::command::Run;
use crate::support::{TINY, Test, read, s};

const RUNS: &str = "150";
const SEED: &str = "4";
const TABLES: [&str; 6] = [
    "runs.csv",
    "states.csv",
    "timeseries.csv",
    "summary.json",
    "indices.csv",
    "detail.parquet",
];

fn ok(args: &[&str]) -> Run {
    Test::with(args).run().success()
}

/// Run blocsim expecting exit code 2; returns stderr.
fn refused(args: &[&str]) -> String {
    Test::with(args).run().code(2).stderr()
}

fn batch(out: &Path, extra: &[&str]) {
    let mut args = vec!["batch", "baseline", "--runs", RUNS, "--seed", SEED, "--no-plots", "--out", s(out)];
    args.extend_from_slice(extra);
    ok(&args);
}

fn shard(out: &Path, i: u64, n: u64, threads: &str) -> PathBuf {
    let spec = format!("{i}/{n}");
    batch(out, &["--shard", &spec, "--threads", threads]);
    out.to_path_buf()
}

fn assert_same_tables(a: &Path, b: &Path) {
    for f in TABLES {
        assert!(
            read(&a.join(f)) == read(&b.join(f)),
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn merged_shards_equal_one_machine_for_1_to_4_shards_and_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    batch(&whole, &[]);
    for n in 1..=4u64 {
        // Alternate thread counts and checkpoint intervals between shards: neither may matter.
        let dirs: Vec<PathBuf> = (0..n)
            .map(|i| {
                let dir = tmp.path().join(format!("n{n}-shard{i}"));
                let threads = if i % 2 == 0 { "1" } else { "2" };
                let spec = format!("{i}/{n}");
                let every = (7 + 5 * i).to_string();
                batch(&dir, &["--shard", &spec, "--threads", threads, "--checkpoint-runs", &every]);
                dir
            })
            .collect();
        // A shard directory holds a partial result, not tables of its own.
        assert_eq!(names(&dirs[0]), ["detail.parquet", "manifest.json", "partial.bin", "runs.csv"]);
        let merged = tmp.path().join(format!("merged{n}"));
        // Shards in reverse order: the order given does not matter.
        let mut args = vec!["merge"];
        args.extend(dirs.iter().rev().map(|d| s(d)));
        args.extend(["--out", s(&merged), "--no-plots"]);
        ok(&args).stderr_contains(&format!("merged {n} shards (150 runs of baseline)"));
        assert_same_tables(&whole, &merged);
        let m: serde_json::Value = serde_json::from_slice(&read(&merged.join("manifest.json"))).unwrap();
        assert_eq!(m["shard"], serde_json::Value::Null);
        assert_eq!(m["runs"], 150);
        assert_eq!(m["merged_from"].as_array().map(Vec::len), Some(n as usize));
        assert_eq!(m["merged_from"][0]["shard"], format!("0/{n}"));
    }
}

#[test]
fn a_shard_is_the_same_bytes_whatever_its_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let one = shard(&tmp.path().join("t1"), 1, 3, "1");
    let two = shard(&tmp.path().join("t2"), 1, 3, "2");
    for f in ["runs.csv", "detail.parquet", "partial.bin"] {
        assert!(read(&one.join(f)) == read(&two.join(f)), "{f} differs between 1 and 2 threads");
    }
    // Shard 1/3 of 150 runs holds runs 50..100.
    let runs = String::from_utf8(read(&one.join("runs.csv"))).unwrap();
    assert_eq!(runs.lines().count(), 51);
    assert!(runs.lines().nth(1).unwrap().starts_with("50,"));
    assert!(runs.lines().last().unwrap().starts_with("99,"));
}

#[test]
fn merge_draws_the_charts_and_report_like_a_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let a = shard(&tmp.path().join("a"), 0, 2, "2");
    let b = shard(&tmp.path().join("b"), 1, 2, "2");
    let merged = tmp.path().join("merged");
    ok(&["merge", s(&a), s(&b), "--out", s(&merged), "--plot-scale", "1"]);
    assert!(merged.join("report.html").is_file());
    assert!(merged.join("plots/fan_count_cloud.svg").is_file());
    assert!(merged.join("plots/map_cloud.png").is_file());
    // Drawing the merged directory again gives the same report.
    let report = read(&merged.join("report.html"));
    ok(&["plot", s(&merged), "--plot-scale", "1"]);
    assert!(read(&merged.join("report.html")) == report);
}

#[test]
fn merge_refuses_missing_duplicate_and_foreign_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let out = t.join("out");
    let o = s(&out);
    let quarters: Vec<PathBuf> = (0..4).map(|i| shard(&t.join(format!("q{i}")), i, 4, "2")).collect();
    let q: Vec<&str> = quarters.iter().map(|d| s(d)).collect();
    let ctx = format!("error: merging into {o}: ");

    assert_eq!(
        refused(&["merge", q[0], q[1], q[3], "--out", o]),
        format!("{ctx}missing shard 2/4 of 4 (given: 0/4, 1/4, 3/4)\n")
    );
    assert_eq!(
        refused(&["merge", q[2], "--out", o]),
        format!("{ctx}missing shards 0/4, 1/4, 3/4 of 4 (given: 2/4)\n")
    );
    assert_eq!(
        refused(&["merge", q[0], q[1], q[2], q[3], q[1], "--out", o]),
        format!("{ctx}shard 1/4 is given twice: {} and {}\n", q[1], q[1])
    );

    // Same batch, other seed / other number of runs / other scenario / other shard count.
    let seed = t.join("seed");
    ok(&[
        "batch",
        "baseline",
        "--runs",
        RUNS,
        "--seed",
        "5",
        "--shard",
        "1/4",
        "--no-plots",
        "--out",
        s(&seed),
    ]);
    assert_eq!(
        refused(&["merge", q[0], s(&seed), q[2], q[3], "--out", o]),
        format!(
            "{ctx}the shards are not parts of one batch: the seed is 4 in {} but 5 in {}\n",
            q[0],
            s(&seed)
        )
    );
    let runs = t.join("runs");
    ok(&[
        "batch",
        "baseline",
        "--runs",
        "151",
        "--seed",
        SEED,
        "--shard",
        "1/4",
        "--no-plots",
        "--out",
        s(&runs),
    ]);
    assert_eq!(
        refused(&["merge", q[0], s(&runs), q[2], q[3], "--out", o]),
        format!(
            "{ctx}the shards are not parts of one batch: the number of runs is 150 in {} but 151 in {}\n",
            q[0],
            s(&runs)
        )
    );
    let set = t.join("set");
    batch(&set, &["--shard", "1/4", "--set", "choice.lambda=2"]);
    let sha = |d: &Path| {
        let m: serde_json::Value = serde_json::from_slice(&read(&d.join("manifest.json"))).unwrap();
        m["scenario_sha256"].as_str().unwrap().to_string()
    };
    assert_eq!(
        refused(&["merge", q[0], s(&set), q[2], q[3], "--out", o]),
        format!(
            "{ctx}the shards are not parts of one batch: the resolved scenario sha256 is {} in {} but {} in {}\n",
            sha(&quarters[0]),
            q[0],
            sha(&set),
            s(&set)
        )
    );
    let thirds = shard(&t.join("third"), 1, 3, "2");
    assert_eq!(
        refused(&["merge", q[0], s(&thirds), "--out", o]),
        format!(
            "{ctx}the shards are not parts of one batch: {} is shard 0/4 but {} is shard 1/3 (different numbers of shards)\n",
            q[0],
            s(&thirds)
        )
    );
    let nodetail = t.join("nodetail");
    batch(&nodetail, &["--shard", "1/4", "--no-detail"]);
    assert_eq!(
        refused(&["merge", q[0], s(&nodetail), q[2], q[3], "--out", o]),
        format!(
            "{ctx}the shards are not parts of one batch: the detail table is written in {} but not written in {}\n",
            q[0],
            s(&nodetail)
        )
    );

    // Not shards at all, unfinished, damaged, tampered with, or from another blocsim version.
    let whole = t.join("whole");
    batch(&whole, &[]);
    assert_eq!(
        refused(&["merge", q[0], s(&whole), "--out", o]),
        format!(
            "{ctx}{}: holds a whole batch, not a shard (it was written without --shard)\n",
            s(&whole)
        )
    );
    assert_eq!(
        refused(&["merge", s(&t.join("nowhere")), "--out", o]),
        format!("{ctx}{}: not a blocsim shard directory (no manifest.json)\n", s(&t.join("nowhere")))
    );
    let copy = |from: &Path, name: &str| -> PathBuf {
        let to = t.join(name);
        std::fs::create_dir_all(&to).unwrap();
        for f in names(from) {
            std::fs::copy(from.join(&f), to.join(&f)).unwrap();
        }
        to
    };
    let unfinished = copy(&quarters[1], "unfinished");
    std::fs::create_dir(unfinished.join(".blocsim-progress")).unwrap();
    assert_eq!(
        refused(&["merge", q[0], s(&unfinished), "--out", o]),
        format!(
            "{ctx}{}: the shard did not finish (it holds .blocsim-progress/); complete it with `blocsim batch ... --resume` first\n",
            s(&unfinished)
        )
    );
    let damaged = copy(&quarters[1], "damaged");
    let mut bytes = read(&damaged.join("partial.bin"));
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x10;
    std::fs::write(damaged.join("partial.bin"), bytes).unwrap();
    assert_eq!(
        refused(&["merge", q[0], s(&damaged), "--out", o]),
        format!(
            "{ctx}{}: damaged partial file (checksum mismatch)\n",
            s(&damaged.join("partial.bin"))
        )
    );
    let edited = copy(&quarters[1], "edited");
    let mut rows = read(&edited.join("runs.csv"));
    rows.extend_from_slice(b"999\n");
    std::fs::write(edited.join("runs.csv"), &rows).unwrap();
    assert!(refused(&["merge", q[0], s(&edited), "--out", o]).contains("(the file was changed after the shard finished)"));
    let other = copy(&quarters[1], "other-version");
    let mut partial = blocsim::partial::Partial::read(&other.join("partial.bin")).unwrap();
    partial.header.key.blocsim_version = "0.0.1".into();
    std::fs::write(other.join("partial.bin"), partial.to_bytes()).unwrap();
    let manifest = String::from_utf8(read(&other.join("manifest.json"))).unwrap();
    let version = format!("\"blocsim_version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    std::fs::write(
        other.join("manifest.json"),
        manifest.replace(&version, "\"blocsim_version\": \"0.0.1\""),
    )
    .unwrap();
    assert_eq!(
        refused(&["merge", q[0], s(&other), "--out", o]),
        format!(
            "{ctx}the shards are not parts of one batch: the blocsim version is {} in {} but 0.0.1 in {}\n",
            env!("CARGO_PKG_VERSION"),
            q[0],
            s(&other)
        )
    );
    // Nothing was written by any refused merge.
    assert!(!out.exists());

    // The output may not be one of the inputs; a shard is not plotted as if it were the batch.
    assert_eq!(
        refused(&["merge", q[0], q[1], q[2], q[3], "--out", q[3]]),
        format!(
            "error: merging into {}: --out {}: is one of the shard directories; choose another directory\n",
            q[3], q[3]
        )
    );
    assert_eq!(
        refused(&["plot", q[0]]),
        format!(
            "error: {}: holds shard 0/4 of a batch, not a whole result; merge the shards first (blocsim merge DIR... --out DIR)\n",
            q[0]
        )
    );
}

#[test]
fn shard_auto_reads_slurm_and_kubernetes_indices() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let run = |dir: &Path, spec: &str, env: &[(&str, &str)]| {
        Test::with(["batch", TINY, "--runs", "40", "--shard", spec, "--no-plots", "--out", s(dir)])
            .envs(env.iter().copied())
            .run()
    };
    let shard_of = |dir: &Path| -> String {
        let m: serde_json::Value = serde_json::from_slice(&read(&dir.join("manifest.json"))).unwrap();
        m["shard"].as_str().unwrap().to_string()
    };
    // A Slurm array --array=4-7: task 5 is shard 1 of 4.
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "5"),
        ("SLURM_ARRAY_TASK_MIN", "4"),
        ("SLURM_ARRAY_TASK_MAX", "7"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ];
    run(&t.join("slurm"), "auto", &slurm).success();
    assert_eq!(shard_of(&t.join("slurm")), "1/4");
    // The same shard given explicitly writes the same bytes.
    run(&t.join("explicit"), "1/4", &[]).success();
    for f in ["runs.csv", "partial.bin", "detail.parquet"] {
        assert!(read(&t.join("slurm").join(f)) == read(&t.join("explicit").join(f)), "{f}");
    }
    // A Kubernetes indexed job with 3 completions.
    run(&t.join("k8s"), "auto/3", &[("JOB_COMPLETION_INDEX", "2")]).success();
    assert_eq!(shard_of(&t.join("k8s")), "2/3");

    let err = |spec: &str, env: &[(&str, &str)]| run(&t.join("refused"), spec, env).code(2).stderr();
    assert_eq!(
        err("auto", &[]),
        "error: --shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array, sbatch --array) nor JOB_COMPLETION_INDEX (a Kubernetes indexed job) is set; give the shard as I/N\n"
    );
    assert_eq!(
        err("auto", &[("JOB_COMPLETION_INDEX", "0")]),
        "error: --shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes indexed job) but the number of shards is not: give it as --shard auto/N with N = the job's completions\n"
    );
    assert_eq!(
        err(
            "auto",
            &[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_MIN", "0"),
                ("SLURM_ARRAY_TASK_MAX", "6"),
                ("SLURM_ARRAY_TASK_COUNT", "4")
            ]
        ),
        "error: --shard auto: the Slurm array must be one contiguous range of task ids such as --array=0-3, but it has 4 tasks with ids 0 to 6 (this task: 2)\n"
    );
    assert!(!t.join("refused").exists());
}
