//! The layout of the test suite itself: every integration test is a module of this one binary.
//! With `autotests = false` cargo builds nothing from a file dropped into `tests/`, and a file in
//! `tests/integration/` without its `mod` line in `main.rs` is not compiled; either would be a test
//! that silently never runs.

use std::path::Path;

fn rust_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "rs"))
        .map(|p| p.file_stem().expect("name").to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_test_file_is_a_module_of_the_one_test_binary() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let stray = rust_files(&tests);
    assert!(
        stray.is_empty(),
        "tests/{{{}}}.rs: cargo builds no test binary from tests/*.rs (autotests = false); move the file to tests/integration/ and add its `mod` line to tests/integration/main.rs",
        stray.join(",")
    );
    let main = std::fs::read_to_string(tests.join("integration/main.rs")).expect("tests/integration/main.rs");
    for module in rust_files(&tests.join("integration")).iter().filter(|m| *m != "main") {
        assert!(
            main.lines().any(|l| l == format!("mod {module};")),
            "tests/integration/{module}.rs is not compiled: add `mod {module};` to tests/integration/main.rs"
        );
    }
}
