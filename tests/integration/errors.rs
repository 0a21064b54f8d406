//! Bad input gets a one-line error naming the file, line and column, the key path and what was
//! expected, exit code 2, no panic and no output. The corpus lives in `tests/bad/`: every
//! `*.toml` there is a malformed scenario, and `tests/bad/expected.txt` pins its message
//! (`FILE<TAB>MESSAGE`, one per line).

use std::path::Path;

use crate::support::{TINY, Test};

/// Refused as bad input (exit code 2, one line, no panic) with exactly `expected`.
fn assert_input_error(test: Test, expected: &str, what: &str) {
    let err = test.run().input_error();
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
        assert_input_error(Test::with(["check", &path]), message, file);
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
    Test::with(["batch", "tests/bad/prob_range.toml", "--out", out.to_str().unwrap(), "--no-plots"])
        .run()
        .code(2);
    assert!(!out.exists(), "no output directory after bad input");
}

#[test]
fn command_line_mistakes_are_input_errors() {
    let cases: [(&[&str], &str); 7] = [
        (&["batch", TINY, "--runs", "0"], "error: --runs 0: expected 1 to 4294967295"),
        (&["batch", TINY, "--threads", "0"], "error: --threads 0: expected at least 1"),
        (
            &["batch", TINY, "--shard", "4/4"],
            "error: --shard 4/4: expected I/N with 0 <= I < N, e.g. 0/4",
        ),
        (
            &["check", TINY, "--set", "choice.lambda"],
            "error: --set choice.lambda: expected PATH=VALUE, e.g. choice.lambda=2.5",
        ),
        (
            &["check", TINY, "--set", "choice.lambda=fast"],
            "error: --set choice.lambda=fast: `choice.lambda`: invalid value: string \"fast\", expected a number, \"inf\", or a distribution table such as { dist = \"uniform\", low = 0, high = 1 }",
        ),
        (
            &["check", TINY, "--set", "choice.speed=1"],
            "error: --set choice.speed=1: `choice.speed`: unknown field `speed`, expected `lambda` or `revision`",
        ),
        (
            &["check", "tests/fixtures/missing.toml"],
            "error: tests/fixtures/missing.toml: cannot read: No such file or directory (os error 2)",
        ),
    ];
    for (args, expected) in cases {
        assert_input_error(Test::with(args), expected, &args.join(" "));
    }
    // The list of bundled names grows with the library: pin the start and one name.
    let err = Test::with(["check", "no-such-scenario"])
        .run()
        .code(2)
        .stderr()
        .trim_end()
        .to_string();
    assert!(
        err.starts_with("error: scenario `no-such-scenario` is neither a readable file nor a bundled scenario (bundled: "),
        "{err}"
    );
    assert!(err.contains("baseline") && err.lines().count() == 1, "{err}");
}
