//! Writing files so that no half-written file ever carries its final name: everything is written to
//! `.<name>.tmp` in the destination directory and renamed over the destination when complete. A
//! temporary file that is abandoned (error, early return, panic elsewhere) is removed.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A destination path and its temporary sibling; removes the temporary file on drop unless
/// [`Staged::commit`] renamed it into place.
#[derive(Debug)]
pub(crate) struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl Staged {
    /// Plan writing `dest` through `.<file name>.tmp` in the same directory (a rename within one
    /// directory is atomic on POSIX file systems).
    pub(crate) fn new(dest: &Path) -> Result<Staged> {
        let name = dest.file_name().ok_or_else(|| Error::Write {
            path: dest.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"),
        })?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(".tmp");
        Ok(Staged {
            tmp: dest.with_file_name(tmp_name),
            dest: dest.to_path_buf(),
            committed: false,
        })
    }

    /// Create (or truncate) the temporary file.
    pub(crate) fn create(&self) -> Result<File> {
        File::create(&self.tmp).map_err(|source| self.err(source))
    }

    /// The final path (for error messages).
    pub(crate) fn dest(&self) -> &Path {
        &self.dest
    }

    /// An I/O error about the destination.
    pub(crate) fn err(&self, source: std::io::Error) -> Error {
        Error::Write {
            path: self.dest.clone(),
            source,
        }
    }

    /// Move the finished temporary file onto the destination.
    pub(crate) fn commit(mut self) -> Result<()> {
        std::fs::rename(&self.tmp, &self.dest).map_err(|source| self.err(source))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Write `bytes` to `path` atomically: to `.<name>.tmp` in the same directory, then renamed, so
/// `path` either keeps its old content or has the new content in full. No temporary file is left
/// behind, whether it succeeds or fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let staged = Staged::new(path)?;
    let mut file = staged.create()?;
    file.write_all(bytes).map_err(|source| staged.err(source))?;
    drop(file);
    staged.commit()
}

/// Like [`write_atomic`], but durable: the content is flushed to disk (fsync) before the rename,
/// and the directory after it, so that even a power cut leaves either the old or the new content.
/// Used for checkpoints, which a resumed batch trusts.
pub fn write_durable(path: &Path, bytes: &[u8]) -> Result<()> {
    let staged = Staged::new(path)?;
    let mut file = staged.create()?;
    file.write_all(bytes).map_err(|source| staged.err(source))?;
    file.sync_all().map_err(|source| staged.err(source))?;
    drop(file);
    staged.commit()?;
    sync_dir(path);
    Ok(())
}

/// Flush the directory holding `path` to disk (a rename is durable only once its directory is).
/// Best effort: some file systems cannot sync a directory, and that must not stop a batch.
pub fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let _ = File::open(dir).and_then(|d| d.sync_all());
}

/// SHA-256 of `bytes` as 64 lowercase hexadecimal digits (scenario fingerprints in manifests).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("out.txt");
        write_atomic(&p, b"first").expect("write");
        write_atomic(&p, b"second").expect("rewrite");
        assert_eq!(std::fs::read(&p).expect("read"), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.txt")]);
    }

    #[test]
    fn failed_write_reports_the_destination() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("missing").join("out.txt");
        match write_atomic(&p, b"x") {
            Err(Error::Write { path, .. }) => assert_eq!(path, p),
            other => panic!("expected a write error, got {other:?}"),
        }
    }

    #[test]
    fn abandoned_staging_is_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let staged = Staged::new(&dir.path().join("x.csv")).expect("stage");
        staged.create().expect("create");
        assert!(dir.path().join(".x.csv.tmp").exists());
        drop(staged);
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
    }

    #[test]
    fn sha256_of_abc() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
