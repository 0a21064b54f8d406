//! Every input the fuzzers found a crash with (`fuzz/regressions/`), and the fuzzing corpus
//! (`fuzz/corpus/`), replayed through the same code as the fuzz targets: none may panic.

use crate::exercise;

use std::path::Path;

fn replay(dir: &str, f: fn(&[u8]) -> exercise::Reached) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let Ok(entries) = std::fs::read_dir(&dir) else { return 0 };
    let mut files: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        let reached = std::panic::catch_unwind(|| f(&data));
        assert!(reached.is_ok(), "{} panics", file.display());
    }
    files.len()
}

#[test]
fn saved_crashes_and_the_corpus_load_without_panic() {
    let crashes =
        replay("fuzz/regressions/scenario_text", exercise::scenario_text) + replay("fuzz/regressions/set_override", exercise::set_override);
    let corpus = replay("fuzz/corpus/scenario_text", exercise::scenario_text) + replay("fuzz/corpus/set_override", exercise::set_override);
    println!("replayed {crashes} saved crashes and {corpus} corpus inputs");
    assert!(corpus > 0, "the fuzzing corpus is in the repository");
}
