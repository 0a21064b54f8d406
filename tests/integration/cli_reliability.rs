//! The command line used as a user would: two processes writing one output directory, resuming a
//! finished batch, the manifest's list of every file with its SHA-256, and the registry of output
//! files against the real files and the README.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use blocsim::export::outputs::{self, BATCH_FILES};
use sha2::{Digest, Sha256};

const LOCK: &str = ".blocsim-lock";

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_blocsim"));
    cmd.args(args)
        .env_remove("BLOCSIM_TEST_STALL")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX");
    cmd
}

fn run(args: &[&str]) -> Output {
    command(args).output().expect("run blocsim")
}

fn ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "blocsim {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Start a batch into `out` that stalls at `stage` holding the directory, and wait until it does.
fn stalled(out: &Path, stage: &str) -> Child {
    let mut child = command(&batch_args(out, &[]))
        .env("BLOCSIM_TEST_STALL", stage)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn blocsim");
    let expected = format!("blocsim: stalled at {stage}");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line == expected => break,
            Some(Ok(_)) => continue,
            _ => panic!("blocsim ended without reaching stage {stage}: {:?}", child.wait()),
        }
    }
    child
}

fn batch_args<'a>(out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "batch",
        "baseline",
        "--runs",
        "24",
        "--seed",
        "5",
        "--threads",
        "1",
        "--out",
        s(out),
    ];
    a.extend_from_slice(extra);
    a
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest")).expect("manifest JSON")
}

/// Every file in `dir` (relative paths, sorted), hidden ones included.
fn all_files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).expect("prefix").to_string_lossy().to_string());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

#[test]
fn a_second_process_on_the_same_out_is_refused_at_once_and_a_dead_holders_lock_is_taken_over() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut first = stalled(&out, "checkpoint-1");
    let pid = first.id();
    assert!(out.join(LOCK).is_file(), "the running batch holds the lock");

    // The second process: exit 2 before any work, naming the directory and the holder.
    for args in [
        batch_args(&out, &[]),
        batch_args(&out, &["--force"]),
        batch_args(&out, &["--resume"]),
        vec!["run", "baseline", "--out", s(&out), "--force"],
        vec!["plot", s(&out)],
    ] {
        let second = run(&args);
        assert_eq!(second.status.code(), Some(2), "{args:?}: {}", stderr(&second));
        assert_eq!(
            stderr(&second),
            format!(
                "error: {}: is being written by another blocsim process (pid {pid}); wait for it to finish or choose another --out\n",
                out.display()
            ),
            "{args:?}"
        );
    }
    assert!(
        !out.join("runs.csv").exists() && !out.join("trajectory.csv").exists(),
        "the second process wrote nothing"
    );

    // The holder dies (SIGKILL: no chance to remove its lock); the lock is taken over, and the
    // interrupted batch resumes to the same bytes as an uninterrupted one.
    first.kill().expect("kill");
    first.wait().expect("wait");
    assert!(out.join(LOCK).is_file(), "a killed process leaves its lock behind");
    let resumed = ok(&batch_args(&out, &["--resume", "--no-plots"]));
    assert!(stderr(&resumed).contains("resumed at run"), "{}", stderr(&resumed));
    assert!(!out.join(LOCK).exists(), "the lock is removed when the batch finishes");
    let reference = tmp.path().join("reference");
    ok(&batch_args(&reference, &["--no-plots"]));
    for f in [
        "runs.csv",
        "summary.json",
        "states.csv",
        "timeseries.csv",
        "indices.csv",
        "detail.parquet",
    ] {
        assert!(
            std::fs::read(out.join(f)).unwrap() == std::fs::read(reference.join(f)).unwrap(),
            "{f} differs"
        );
    }
}

#[test]
fn the_lock_is_removed_on_error_and_never_left_in_finished_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    // A command that fails after taking the directory's lock (over from a killed process): here a
    // batch without --resume refused by the interrupted batch it finds.
    let mut first = stalled(&out, "checkpoint-1");
    first.kill().expect("kill");
    first.wait().expect("wait");
    let refused = run(&batch_args(&out, &["--no-plots"]));
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("holds an interrupted batch"), "{}", stderr(&refused));
    assert!(!out.join(LOCK).exists(), "the refused command removed the lock it had taken over");

    // Shards and merge: no lock in any directory afterwards.
    let (a, b, merged) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("m"));
    ok(&batch_args(&a, &["--shard", "0/2"]));
    ok(&batch_args(&b, &["--shard", "1/2"]));
    ok(&["merge", s(&a), s(&b), "--out", s(&merged), "--plot-scale", "1"]);
    ok(&["plot", s(&merged), "--plot-scale", "1"]);
    for d in [&a, &b, &merged] {
        assert!(
            all_files(d).iter().all(|f| !f.contains(".blocsim")),
            "{}: {:?}",
            d.display(),
            all_files(d)
        );
    }
}

#[test]
fn resume_of_a_complete_batch_says_so_and_rewrites_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    ok(&batch_args(&out, &["--no-plots"]));
    let before: Vec<(String, Vec<u8>, std::time::SystemTime)> = all_files(&out)
        .into_iter()
        .map(|f| {
            let p = out.join(&f);
            (f, std::fs::read(&p).unwrap(), std::fs::metadata(&p).unwrap().modified().unwrap())
        })
        .collect();
    let again = ok(&batch_args(&out, &["--resume", "--no-plots"]));
    assert_eq!(
        stderr(&again),
        format!(
            "{}: the batch is already complete (24 runs of baseline); nothing to resume\n",
            out.display()
        )
    );
    let after: Vec<(String, Vec<u8>, std::time::SystemTime)> = all_files(&out)
        .into_iter()
        .map(|f| {
            let p = out.join(&f);
            (f, std::fs::read(&p).unwrap(), std::fs::metadata(&p).unwrap().modified().unwrap())
        })
        .collect();
    assert!(before == after, "a resume of a complete batch rewrote files");

    // Another seed is another batch: --resume then runs it from the first run.
    let seed6 = [
        "batch",
        "baseline",
        "--runs",
        "24",
        "--seed",
        "6",
        "--threads",
        "1",
        "--out",
        s(&out),
        "--resume",
        "--no-plots",
    ];
    let other = ok(&seed6);
    assert!(stderr(&other).contains("no checkpoint"), "{}", stderr(&other));
    // A damaged result is not complete either.
    std::fs::write(out.join("states.csv"), "damaged").unwrap();
    let redo = ok(&seed6);
    assert!(stderr(&redo).contains("no checkpoint"), "{}", stderr(&redo));
}

#[test]
fn the_manifest_lists_every_file_with_its_sha256_and_plot_keeps_the_list_right() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    ok(&batch_args(&out, &["--plot-scale", "1"]));
    let check = |dir: &Path| {
        let m = manifest(dir);
        let files = m["files"].as_array().expect("files");
        let listed: Vec<String> = files.iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
        assert_eq!(
            {
                let mut l = listed.clone();
                l.sort();
                l
            },
            all_files(dir),
            "the manifest lists exactly the files in {}",
            dir.display()
        );
        for f in files {
            let path = f["path"].as_str().unwrap();
            if path == "manifest.json" {
                assert!(f["sha256"].is_null());
            } else {
                assert_eq!(f["sha256"].as_str(), Some(sha256(&dir.join(path)).as_str()), "{path}");
            }
        }
        listed
    };
    let listed = check(&out);
    assert!(listed.contains(&"report.html".to_string()) && listed.iter().any(|f| f.starts_with("plots/")));
    let report = std::fs::read(out.join("report.html")).unwrap();

    // `plot DIR` redraws the same bytes and the same list; after drawing at another scale, the
    // PNG hashes follow the new files.
    ok(&["plot", s(&out), "--plot-scale", "1"]);
    assert_eq!(check(&out), listed);
    assert!(std::fs::read(out.join("report.html")).unwrap() == report);
    ok(&["plot", s(&out), "--plot-scale", "1.5"]);
    assert_eq!(check(&out), listed);

    // An experiment lists its charts too; a comparison its chart and report.
    let sweep = tmp.path().join("sweep");
    ok(&[
        "sweep",
        "baseline",
        "--param",
        "choice.lambda=1:3",
        "--points",
        "2",
        "--runs",
        "2",
        "--threads",
        "1",
        "--plot-scale",
        "1",
        "--out",
        s(&sweep),
    ]);
    check(&sweep);
    ok(&["plot", s(&sweep), "--plot-scale", "1"]);
    check(&sweep);
    let cmp = tmp.path().join("cmp");
    ok(&[
        "compare",
        "baseline",
        "dsr-surge",
        "--runs",
        "4",
        "--threads",
        "1",
        "--plot-scale",
        "1",
        "--out",
        s(&cmp),
    ]);
    check(&cmp);
}

#[test]
fn the_registry_names_every_column_of_the_real_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    ok(&batch_args(&out, &["--no-plots"]));
    let scenario = blocsim::Scenario::load("baseline", &[]).unwrap();
    let labels = blocsim::model::Model::from_scenario(scenario).unwrap().labels();
    for f in BATCH_FILES {
        let expected: Vec<String> = f.columns.iter().flat_map(|c| outputs::expand(c, &labels)).collect();
        let path = out.join(f.name);
        let actual: Vec<String> = if f.name.ends_with(".csv") {
            let text = std::fs::read_to_string(&path).unwrap();
            text.lines().next().unwrap().split(',').map(String::from).collect()
        } else if f.name.ends_with(".json") {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            v.as_object().unwrap().keys().cloned().collect()
        } else {
            let file = std::fs::File::open(&path).unwrap();
            let reader = parquet::file::reader::SerializedFileReader::new(file).unwrap();
            use parquet::file::reader::FileReader;
            let schema = reader.metadata().file_metadata().schema_descr_ptr();
            schema.columns().iter().map(|c| c.name().to_string()).collect()
        };
        let mut actual_sorted = actual.clone();
        actual_sorted.sort();
        let mut expected_sorted = expected.clone();
        expected_sorted.sort();
        if f.name == "manifest.json" {
            // `merged_from` appears only in merged directories.
            expected_sorted.retain(|c| c != "merged_from");
        }
        assert_eq!(actual_sorted, expected_sorted, "{}: columns differ from the registry", f.name);
    }
}

#[test]
fn every_column_in_the_registry_is_documented_in_the_readme() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for f in BATCH_FILES {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", f.name)))
            .unwrap_or_else(|| panic!("README.md has no row for {}", f.name));
        // Names in backticks, also split at commas and stripped of a trailing `...`.
        let mut documented: Vec<String> = Vec::new();
        for (i, span) in row.split('`').enumerate() {
            if i % 2 == 1 {
                documented.push(span.to_string());
                documented.extend(span.split(',').map(|p| p.trim().trim_end_matches("...").to_string()));
                documented.extend(
                    span.split([',', '=', '{', '}', ' ', '.'])
                        .map(|p| p.trim().trim_end_matches("...").to_string()),
                );
            }
        }
        for c in f.columns {
            assert!(
                documented.iter().any(|d| d == c),
                "README.md does not document column `{c}` of {} (row: {row})",
                f.name
            );
        }
    }
}

#[test]
fn the_readme_outcome_table_is_the_registry() {
    use blocsim::outcomes::FAMILIES;
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme.split("### Outcomes").nth(1).expect("README.md has an Outcomes section");
    let rows: Vec<(String, bool, bool)> = section
        .lines()
        .skip_while(|l| !l.starts_with("| outcome |"))
        .skip(2)
        .take_while(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_string(), cells[3] == "yes", cells[4] == "yes")
        })
        .collect();
    let registry: Vec<(String, bool, bool)> = FAMILIES.iter().map(|f| (f.pattern(), f.uses.compared, f.uses.default)).collect();
    assert_eq!(rows, registry);
}

#[test]
fn former_outcome_spellings_are_accepted_by_outcome_and_plot_refuses_format_1() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sw");
    let tiny = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tiny.toml");
    ok(&[
        "sweep",
        tiny,
        "--param",
        "choice.lambda=0.5:4",
        "--points",
        "2",
        "--runs",
        "2",
        "--threads",
        "1",
        "--no-plots",
        "--outcome",
        "fragmentation.data",
        "--outcome",
        "share:data:EU",
        "--out",
        s(&out),
    ]);
    let header = std::fs::read_to_string(out.join("points.csv")).unwrap();
    let header = header.lines().next().unwrap();
    assert!(
        header.contains("fragmentation_by_domain.data.mean") && header.contains("final_share.data.EU.mean"),
        "{header}"
    );
    let bad = run(&["sweep", tiny, "--param", "choice.lambda=0.5:4", "--outcome", "tipping_year.data.EU"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("tipped.<domain>.<fw>"));

    // A batch directory of output format 1: its manifest says so, and plot names the rename.
    let b = tmp.path().join("b");
    ok(&["batch", tiny, "--runs", "2", "--threads", "1", "--no-plots", "--out", s(&b)]);
    let m = b.join("manifest.json");
    let text = std::fs::read_to_string(&m)
        .unwrap()
        .replace("\"output_format\": 2", "\"output_format\": 1");
    std::fs::write(&m, text).unwrap();
    let refused = run(&["plot", s(&b)]);
    assert_eq!(refused.status.code(), Some(2));
    let e = String::from_utf8_lossy(&refused.stderr);
    assert!(e.contains("output format 1") && e.contains("final_share.cloud.US"), "{e}");
}
