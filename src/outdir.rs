//! Output directories: checked, and created, before any work is done.
//!
//! Every command that writes results (`run`, `batch`, `compare`) calls [`prepare`] on its `--out`
//! directory once the scenario is known to be valid and before the first run, so that a mistake in
//! the path costs nothing: a path that is a file, a directory that cannot be written, or a directory
//! holding someone else's files is refused with a one-line message (exit code 2). `plot` writes only
//! into a directory that a batch wrote (it reads its `manifest.json` first).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The file that marks a blocsim output directory.
pub const MARKER: &str = "manifest.json";

/// Name prefix of the probe file written (and removed at once) to check that a directory can be
/// written; one left behind by a process killed in between does not make a directory foreign.
const PROBE: &str = ".blocsim-write-check-";

fn refuse(dir: &Path, message: impl Into<String>) -> Error {
    Error::Output {
        path: dir.to_path_buf(),
        message: message.into(),
    }
}

/// Make `dir` ready to receive output: refuse a path that exists but is not a directory; refuse a
/// non-empty directory without a blocsim [`MARKER`] unless `force`; create a missing directory (and
/// its parents); and check that the directory can be written.
pub fn prepare(dir: &Path, force: bool) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => {
            return Err(refuse(
                dir,
                "exists and is not a directory; choose another --out (a directory to write the results into)",
            ));
        }
        Ok(_) => {
            let entries = std::fs::read_dir(dir).map_err(|e| refuse(dir, format!("cannot list the directory: {e}")))?;
            let empty = entries
                .filter_map(|e| e.ok())
                .all(|e| e.file_name().to_string_lossy().starts_with(PROBE));
            if !force && !empty && !dir.join(MARKER).is_file() && !dir.join(crate::checkpoint::PROGRESS_DIR).is_dir() {
                return Err(refuse(
                    dir,
                    format!("exists and is not a blocsim output directory (no {MARKER}); choose another --out or pass --force"),
                ));
            }
        }
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
            if let Some(blocker) = first_non_directory(dir) {
                return Err(refuse(
                    dir,
                    format!("cannot create the directory: {} is not a directory", blocker.display()),
                ));
            }
            std::fs::create_dir_all(dir).map_err(|e| refuse(dir, format!("cannot create the directory: {e}")))?;
        }
        Err(e) => return Err(refuse(dir, format!("cannot use the directory: {e}"))),
    }
    probe_writable(dir)
}

/// The first ancestor of `dir` that exists but is not a directory, if any.
fn first_non_directory(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .skip(1)
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| a.exists())
        .filter(|a| !a.is_dir())
        .map(Path::to_path_buf)
}

/// Create and remove a probe file, so that a read-only directory is refused before the work starts.
fn probe_writable(dir: &Path) -> Result<()> {
    let probe = dir.join(format!("{PROBE}{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| refuse(dir, format!("cannot write into the directory: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_directories_are_created_and_foreign_ones_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let fresh = tmp.path().join("a/b");
        prepare(&fresh, false).unwrap();
        assert!(fresh.is_dir());
        assert_eq!(std::fs::read_dir(&fresh).unwrap().count(), 0, "the probe file is removed");

        std::fs::write(fresh.join("notes.txt"), "mine").unwrap();
        let e = prepare(&fresh, false).unwrap_err().to_string();
        assert!(e.contains("not a blocsim output directory"), "{e}");
        prepare(&fresh, true).unwrap();
        std::fs::write(fresh.join(MARKER), "{}").unwrap();
        prepare(&fresh, false).unwrap();

        let file = tmp.path().join("file");
        std::fs::write(&file, "x").unwrap();
        for force in [false, true] {
            let e = prepare(&file, force).unwrap_err().to_string();
            assert!(e.contains("exists and is not a directory"), "{e}");
        }
        let e = prepare(&file.join("sub"), false).unwrap_err().to_string();
        assert!(e.contains("is not a directory") && e.contains("cannot create"), "{e}");
    }

    #[test]
    fn a_probe_file_left_by_a_killed_process_is_not_foreign() {
        // A process killed between writing and removing its probe leaves only that file behind;
        // the directory must stay usable (and resumable) without --force.
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join(format!("{PROBE}12345")), "").unwrap();
        prepare(&dir, false).unwrap();
        std::fs::write(dir.join("other.txt"), "").unwrap();
        assert!(prepare(&dir, false).is_err(), "any other file still makes it foreign");
    }
}
