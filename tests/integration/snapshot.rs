//! Value stability: a tiny fixture's batch outputs are pinned byte for byte in `tests/snapshots/tiny/`.
//! A change to the model, the random streams or the output formats shows up here first; when the
//! change is intended, regenerate with `BLOCSIM_UPDATE_SNAPSHOTS=1 cargo test --release --test integration snapshot::`
//! and say why in the commit message.

use std::path::Path;

use crate::support::{TINY, Test};

const FILES: [&str; 5] = ["summary.json", "runs.csv", "states.csv", "timeseries.csv", "indices.csv"];

#[test]
fn tiny_fixture_outputs_are_stable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = Test::with(["batch", TINY, "--threads", "2", "--no-plots"])
        .temp_out("tiny")
        .run()
        .success();
    let snapshots = root.join("tests/snapshots/tiny");
    let update = std::env::var_os("BLOCSIM_UPDATE_SNAPSHOTS").is_some();
    for f in FILES {
        let got = run.file(f);
        if update {
            std::fs::create_dir_all(&snapshots).unwrap();
            std::fs::write(snapshots.join(f), &got).unwrap();
            continue;
        }
        let want = std::fs::read(snapshots.join(f)).unwrap_or_else(|e| panic!("{f}: {e} (regenerate with BLOCSIM_UPDATE_SNAPSHOTS=1)"));
        assert!(
            got == want,
            "{f} changed:\n--- pinned\n{}\n--- now\n{}",
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(&got)
        );
    }
}
