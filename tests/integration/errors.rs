//! Bad input gets a one-line error naming the file, line and column, the key path and what was
//! expected, exit code 2, no panic and no output. The corpus lives in `tests/bad/`: every
//! `*.toml` there is a malformed scenario, and `tests/bad/expected.txt` pins its message
//! (`FILE<TAB>MESSAGE`, one per line).

use std::path::Path;
use std::process::{Command, Output};

fn blocsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blocsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("BLOCSIM_MEMORY_LIMIT")
        .output()
        .expect("run blocsim")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim_end().to_string()
}

fn assert_input_error(o: &Output, expected: &str, what: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{what}: exit code; stderr: {err}");
    assert_eq!(err.lines().count(), 1, "{what}: one line expected, got: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert_eq!(err, expected, "{what}");
}

#[test]
fn every_malformed_scenario_has_its_pinned_message() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let expected = std::fs::read_to_string(dir.join("expected.txt")).expect("tests/bad/expected.txt");
    let mut pinned: Vec<(String, String)> = Vec::new();
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        let (file, message) = line.split_once('\t').expect("FILE<TAB>MESSAGE");
        pinned.push((file.to_string(), message.to_string()));
    }
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    let pinned_files: Vec<&str> = pinned.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        files, pinned_files,
        "every file in tests/bad has exactly one pinned message, in name order"
    );
    assert!(pinned.len() >= 40, "the corpus covers every error class");
    for (file, message) in &pinned {
        let path = format!("tests/bad/{file}");
        assert_input_error(&blocsim(&["check", &path]), message, file);
        assert_located(message, file);
    }
}

/// A pinned message says where (`FILE:LINE:COLUMN` in a scenario, `FILE:LINE` in a CSV file) and
/// what: a key path in backticks, a syntax error, or a CSV column.
fn assert_located(message: &str, file: &str) {
    let rest = message.strip_prefix("error: ").unwrap_or_else(|| panic!("{file}: {message}"));
    let mut parts = rest.splitn(4, ':');
    let (path, line, col, tail) = (parts.next().unwrap(), parts.next(), parts.next(), parts.next());
    let number = |x: Option<&str>| x.is_some_and(|x| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit()));
    if path.ends_with(".csv") {
        assert!(number(line), "{file}: a CSV error names its line: {message}");
        return;
    }
    assert_eq!(path, format!("tests/bad/{file}"), "{file}: names the scenario file: {message}");
    assert!(number(line) && number(col), "{file}: line and column: {message}");
    let tail = tail.unwrap_or("").trim_start();
    assert!(
        tail.starts_with("TOML syntax error: ") || (tail.starts_with('`') && tail.contains("`: ")),
        "{file}: a key path or a syntax error: {message}"
    );
}

#[test]
fn a_failed_batch_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("never");
    let o = blocsim(&["batch", "tests/bad/prob_range.toml", "--out", out.to_str().unwrap(), "--no-plots"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists(), "no output directory after bad input");
}

#[test]
fn command_line_mistakes_are_input_errors() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["batch", "tests/fixtures/tiny.toml", "--runs", "0"],
            "error: --runs 0: expected 1 to 4294967295",
        ),
        (
            &["batch", "tests/fixtures/tiny.toml", "--threads", "0"],
            "error: --threads 0: expected at least 1",
        ),
        (
            &["batch", "tests/fixtures/tiny.toml", "--shard", "4/4"],
            "error: --shard 4/4: expected I/N with 0 <= I < N, e.g. 0/4",
        ),
        (
            &["check", "tests/fixtures/tiny.toml", "--set", "choice.lambda"],
            "error: --set choice.lambda: expected PATH=VALUE, e.g. choice.lambda=2.5",
        ),
        (
            &["check", "tests/fixtures/tiny.toml", "--set", "choice.lambda=fast"],
            "error: --set choice.lambda=fast: `choice.lambda`: invalid value: string \"fast\", expected a number, \"inf\", or a distribution table such as { dist = \"uniform\", low = 0, high = 1 }",
        ),
        (
            &["check", "tests/fixtures/tiny.toml", "--set", "choice.speed=1"],
            "error: --set choice.speed=1: `choice.speed`: unknown field `speed`, expected `lambda` or `revision`",
        ),
        (
            &["check", "tests/fixtures/missing.toml"],
            "error: tests/fixtures/missing.toml: cannot read: No such file or directory (os error 2)",
        ),
    ];
    for (args, expected) in cases {
        assert_input_error(&blocsim(args), expected, &args.join(" "));
    }
    // The list of bundled names grows with the library: pin the start and one name.
    let o = blocsim(&["check", "no-such-scenario"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: scenario `no-such-scenario` is neither a readable file nor a bundled scenario (bundled: "),
        "{err}"
    );
    assert!(err.contains("baseline") && err.lines().count() == 1, "{err}");
}
