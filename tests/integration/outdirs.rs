//! Output paths through the command line: a path that is a file, a directory of someone else's
//! files, a path below a file and an unwritable place are refused before any work (exit code 2),
//! and nothing is written into them; `--force` only overrides the "not a blocsim directory" check.

use std::path::Path;

use crate::support::command::Run;
use crate::support::{TINY, Test};

/// Refused as bad input (exit code 2, one line, no panic), the message ending with `expected_tail`.
fn refused(run: Run, expected_tail: &str) {
    let err = run.input_error();
    assert!(err.ends_with(expected_tail), "expected …{expected_tail}\ngot {err}");
}

/// The writing commands, with `--out DIR` and extra flags.
fn commands(out: &Path) -> Vec<Vec<String>> {
    let o = out.to_str().unwrap().to_string();
    let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        v(&["run", TINY, "--out", &o]),
        v(&["batch", TINY, "--runs", "2", "--no-plots", "--out", &o]),
        v(&[
            "compare",
            TINY,
            TINY,
            "--runs",
            "2",
            "--no-plots",
            "--set",
            "choice.lambda=3",
            "--out",
            &o,
        ]),
    ]
}

fn run(args: &[String], force: bool) -> Run {
    let test = Test::with(args);
    if force { test.arg("--force") } else { test }.run()
}

#[test]
fn a_regular_file_is_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("results");
    std::fs::write(&file, "precious").unwrap();
    for cmd in commands(&file) {
        for force in [false, true] {
            refused(
                run(&cmd, force),
                "results: exists and is not a directory; choose another --out (a directory to write the results into)",
            );
        }
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious");
    for cmd in commands(&file.join("sub")) {
        refused(
            run(&cmd, false),
            &format!("sub: cannot create the directory: {} is not a directory", file.display()),
        );
    }
}

#[test]
fn a_foreign_directory_needs_force_and_a_blocsim_one_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, cmd) in commands(&tmp.path().join("x")).iter().enumerate() {
        let dir = tmp.path().join(format!("mine{i}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
        let cmd: Vec<String> = cmd
            .iter()
            .map(|a| {
                if a.ends_with("/x") {
                    dir.to_str().unwrap().to_string()
                } else {
                    a.clone()
                }
            })
            .collect();
        refused(
            run(&cmd, false),
            "exists and is not a blocsim output directory (no manifest.json); choose another --out or pass --force",
        );
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "nothing written: {cmd:?}");
        run(&cmd, true).code(0);
        assert!(dir.join("manifest.json").is_file() && dir.join("notes.txt").is_file());
        // Now a blocsim directory: writing again needs no --force.
        run(&cmd, false).code(0);
    }
}

#[test]
fn an_uncreatable_directory_is_refused_before_the_work() {
    // /proc refuses new directories even to root.
    for cmd in commands(Path::new("/proc/blocsim-output")) {
        refused(
            run(&cmd, false),
            "/proc/blocsim-output: cannot create the directory: No such file or directory (os error 2)",
        );
    }
}

#[test]
fn plot_writes_only_into_an_output_directory() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.txt"), "x").unwrap();
    Test::with(["plot", tmp.path().to_str().unwrap()]).run().code(2);
    assert!(!tmp.path().join("plots").exists() && !tmp.path().join("report.html").exists());
}
