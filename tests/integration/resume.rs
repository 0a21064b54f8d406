//! Crash and resume: a real `blocsim batch` process is killed with SIGKILL at many moments — before
//! it has written anything, after some checkpoints, and at every step of writing its final files —
//! then resumed with `--resume`; the finished files must be byte-identical to an uninterrupted
//! batch, and no file carrying a final name may ever be half-written.
//!
//! Exact points are reached with the `BLOCSIM_TEST_STALL=<stage>` fault-injection hook (the process
//! announces the stage on stderr and waits there to be killed); other kills are timed by polling
//! the checkpoint.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use blocsim::checkpoint::Checkpoint;

use crate::support::command::Run;
use crate::support::{Test, read, s};

const RUNS: &str = "120";
const FILES: [&str; 6] = [
    "runs.csv",
    "detail.parquet",
    "summary.json",
    "timeseries.csv",
    "indices.csv",
    "states.csv",
];

fn args<'a>(out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["batch", "baseline", "--runs", RUNS, "--seed", "9", "--no-plots", "--out", s(out)];
    a.extend_from_slice(extra);
    a
}

fn run(args: &[&str]) -> Run {
    Test::with(args).run().success()
}

fn spawn(args: &[&str], stall: Option<&str>) -> Child {
    let test = Test::with(args);
    match stall {
        Some(stage) => test.env("BLOCSIM_TEST_STALL", stage),
        None => test,
    }
    .spawn()
}

/// SIGKILL (what `Child::kill` sends on Unix) and reap.
fn kill(mut child: Child) {
    child.kill().expect("kill");
    child.wait().expect("wait");
}

/// Wait until the process says it stalled at `stage`, then kill it.
fn kill_at_stage(mut child: Child, stage: &str) {
    let stderr = child.stderr.take().expect("stderr");
    let expected = format!("blocsim: stalled at {stage}");
    let mut lines = BufReader::new(stderr).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line == expected => break,
            Some(Ok(_)) => continue,
            _ => panic!("blocsim ended without reaching stage {stage}: {:?}", child.wait()),
        }
    }
    kill(child);
}

/// The next run recorded by the checkpoint in `out`, if any.
fn checkpointed(out: &Path) -> Option<u64> {
    Checkpoint::load(out).ok().flatten().map(|c| c.header.next_run)
}

/// Kill the batch once its checkpoint has recorded at least `runs` runs; returns the runs recorded.
fn kill_after(mut child: Child, out: &Path, runs: u64) -> u64 {
    let start = Instant::now();
    while checkpointed(out).is_none_or(|r| r < runs) {
        assert!(start.elapsed() < Duration::from_secs(120), "no checkpoint of {runs} runs in 120 s");
        if let Some(status) = child.try_wait().expect("poll") {
            panic!("blocsim ended ({status}) before its checkpoint recorded {runs} runs");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    kill(child);
    checkpointed(out).expect("checkpoint after kill")
}

/// Every file with a final name in `out` is complete: the same bytes as in the reference (or, for
/// the manifest, which records times, valid JSON).
fn assert_no_half_written_file(out: &Path, reference: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else { return };
    for entry in entries {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        let bytes = read(&out.join(&name));
        if name == "manifest.json" {
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_else(|e| panic!("half-written manifest: {e}"));
        } else {
            assert!(
                bytes == read(&reference.join(&name)),
                "{name} in {} is not the complete file",
                out.display()
            );
        }
    }
}

fn assert_same(out: &Path, reference: &Path, files: &[&str]) {
    for f in files {
        assert!(
            read(&out.join(f)) == read(&reference.join(f)),
            "{f} differs from the uninterrupted batch"
        );
    }
    assert!(!out.join(".blocsim-progress").exists(), "progress left behind in {}", out.display());
    let m: serde_json::Value = serde_json::from_slice(&read(&out.join("manifest.json"))).unwrap();
    assert_eq!(m["runs"].to_string(), RUNS);
}

fn reference(dir: &Path, extra: &[&str]) {
    run(&args(dir, extra));
}

#[test]
fn killed_after_checkpoints_and_resumed_with_other_thread_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    reference(&whole, &[]);
    let out = tmp.path().join("out");
    let first = kill_after(spawn(&args(&out, &["--threads", "2", "--checkpoint-runs", "10"]), None), &out, 30);
    assert!((30..120).contains(&first), "killed after {first} runs");
    assert_no_half_written_file(&out, &whole);
    // Resume on one thread with another chunk size, and kill it again further on.
    let second = kill_after(
        spawn(&args(&out, &["--threads", "1", "--checkpoint-runs", "16", "--resume"]), None),
        &out,
        first + 32,
    );
    assert!(second > first && second < 120, "killed after {second} runs");
    assert_no_half_written_file(&out, &whole);
    let done = run(&args(&out, &["--resume"]));
    let msg = done.stderr();
    assert!(
        msg.contains(&format!("resumed at run {second} from the checkpoint in {}", s(&out))),
        "{msg}"
    );
    assert_same(&out, &whole, &FILES);
}

#[test]
fn killed_very_early_and_resumed() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    reference(&whole, &[]);
    for delay_ms in [0u64, 3, 15, 40] {
        let out = tmp.path().join(format!("early-{delay_ms}"));
        let child = spawn(&args(&out, &["--checkpoint-runs", "10"]), None);
        std::thread::sleep(Duration::from_millis(delay_ms));
        kill(child);
        assert_no_half_written_file(&out, &whole);
        run(&args(&out, &["--resume"]));
        assert_same(&out, &whole, &FILES);
    }
}

#[test]
fn killed_at_every_step_of_the_final_writes_and_resumed() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    reference(&whole, &[]);
    // (stage, final files that must exist then, final files that must not exist yet)
    let steps: [(&str, &[&str], &[&str]); 5] = [
        (
            "checkpoint-2",
            &[],
            &["runs.csv", "detail.parquet", "summary.json", "manifest.json"],
        ),
        ("detail", &["detail.parquet"], &["runs.csv", "summary.json", "manifest.json"]),
        (
            "tables",
            &["detail.parquet", "summary.json", "states.csv"],
            &["runs.csv", "manifest.json"],
        ),
        ("runs", &["runs.csv", "summary.json"], &["manifest.json"]),
        ("manifest", &["runs.csv", "manifest.json"], &[]),
    ];
    for (stage, present, absent) in steps {
        let out = tmp.path().join(stage);
        kill_at_stage(spawn(&args(&out, &["--checkpoint-runs", "25"]), Some(stage)), stage);
        for f in present {
            assert!(out.join(f).exists(), "{f} missing after a kill at {stage}");
        }
        for f in absent {
            assert!(!out.join(f).exists(), "{f} present after a kill at {stage}");
        }
        assert!(out.join(".blocsim-progress").is_dir(), "the batch killed at {stage} looks finished");
        assert_no_half_written_file(&out, &whole);
        run(&args(&out, &["--resume"]));
        assert_same(&out, &whole, &FILES);
    }
}

#[test]
fn a_killed_shard_resumes_to_the_same_partial_result() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    reference(&whole, &["--shard", "1/3"]);
    for stage in ["checkpoint-1", "tables", "runs"] {
        let out = tmp.path().join(stage);
        kill_at_stage(
            spawn(&args(&out, &["--shard", "1/3", "--checkpoint-runs", "20"]), Some(stage)),
            stage,
        );
        assert_no_half_written_file(&out, &whole);
        run(&args(&out, &["--shard", "1/3", "--resume"]));
        assert_same(&out, &whole, &["runs.csv", "detail.parquet", "partial.bin"]);
    }
}

#[test]
fn resume_refuses_another_batch_and_force_starts_over() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    reference(&whole, &[]);
    let out = tmp.path().join("out");
    let o = s(&out);
    kill_at_stage(
        spawn(&args(&out, &["--checkpoint-runs", "30"]), Some("checkpoint-1")),
        "checkpoint-1",
    );
    let refused = |extra: &[&str]| {
        let mut a = vec!["batch", "baseline", "--runs", RUNS, "--no-plots", "--out", o];
        a.extend_from_slice(extra);
        Test::with(a).run().code(2).stderr()
    };
    let ctx = format!("error: batch of baseline into {o}: {o}: ");
    assert_eq!(
        refused(&["--seed", "9"]),
        format!("{ctx}holds an interrupted batch (30 runs done); add --resume to continue it, or --force to discard it\n")
    );
    let tail = "; resume with the same scenario, --set, --seed, --runs, --shard and --no-detail, or pass --force to start over\n";
    assert_eq!(
        refused(&["--seed", "10", "--resume"]),
        format!("{ctx}cannot resume: the seed is 9 in the interrupted batch but 10 in this command{tail}")
    );
    assert_eq!(
        refused(&["--seed", "9", "--resume", "--no-detail"]),
        format!("{ctx}cannot resume: the detail table is written in the interrupted batch but not written in this command{tail}")
    );
    assert_eq!(
        refused(&["--seed", "9", "--resume", "--shard", "0/2"]),
        format!("{ctx}cannot resume: the shard is none (a whole batch) in the interrupted batch but 0/2 in this command{tail}")
    );
    // The refusals left the interrupted batch as it was; --force discards it and starts over.
    assert_eq!(checkpointed(&out), Some(30));
    run(&args(&out, &["--force"]));
    assert_same(&out, &whole, &FILES);
    // --resume with nothing to resume runs the batch from the start.
    let fresh = tmp.path().join("fresh");
    run(&args(&fresh, &["--resume"])).stderr_contains("no checkpoint in");
    assert_same(&fresh, &whole, &FILES);
}
