//! Output directories: checked, created and locked before any work is done.
//!
//! Every command that writes results (`run`, `batch`, `compare`, `merge`, `sweep`, `sensitivity`,
//! `discover`) calls [`prepare`] on its `--out` directory once the scenario is known to be valid and
//! before the first run, so that a mistake in the path costs nothing: a path that is a file, a
//! directory that cannot be written, or a directory holding someone else's files is refused with a
//! one-line message (exit code 2). `plot` writes only into a directory that a batch wrote (it reads
//! its `manifest.json` first), and takes its lock with [`DirLock::acquire`].
//!
//! The lock is the file [`LOCK`] in the directory, holding the pid and host of the process writing
//! into it; a second process is refused at once (exit code 2), naming the directory and the holder.
//! A lock whose process is gone (killed, crashed) is taken over, so `--resume` after a crash needs
//! nothing removed by hand. The lock is removed when the [`DirLock`] is dropped, on success or
//! error, and never counts as a file of the directory.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The file that marks a blocsim output directory.
pub const MARKER: &str = crate::export::MANIFEST_FILE;

/// Name prefix of the probe file written (and removed at once) to check that a directory can be
/// written; one left behind by a process killed in between does not make a directory foreign.
const PROBE: &str = ".blocsim-write-check-";

/// The lock file of an output directory being written (see [`DirLock`]).
pub const LOCK: &str = ".blocsim-lock";

/// Whether `name` is a file blocsim leaves in an output directory only while writing it (the lock,
/// its temporary, a write probe), never one of the directory's results.
pub fn is_transient(name: &str) -> bool {
    name.starts_with(PROBE) || name.starts_with(LOCK)
}

fn refuse(dir: &Path, message: impl Into<String>) -> Error {
    Error::Output {
        path: dir.to_path_buf(),
        message: message.into(),
    }
}

/// Make `dir` ready to receive output: refuse a path that exists but is not a directory; refuse a
/// directory another live process is writing into (whatever `force`); refuse a non-empty directory
/// without a blocsim [`MARKER`] unless `force`; create a missing directory (and its parents); check
/// that the directory can be written; and lock it for this process until the returned lock is
/// dropped.
pub fn prepare(dir: &Path, force: bool) -> Result<DirLock> {
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => {
            return Err(refuse(
                dir,
                "exists and is not a directory; choose another --out (a directory to write the results into)",
            ));
        }
        Ok(_) => {
            if let Some(holder) = live_holder(dir) {
                return Err(in_use(dir, &holder));
            }
            let entries = std::fs::read_dir(dir).map_err(|e| refuse(dir, format!("cannot list the directory: {e}")))?;
            let empty = entries
                .filter_map(|e| e.ok())
                .all(|e| is_transient(&e.file_name().to_string_lossy()));
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
    probe_writable(dir)?;
    DirLock::acquire(dir)
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

/// The process named in a lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Holder {
    pid: u32,
    host: String,
}

impl Holder {
    fn this_process() -> Holder {
        Holder {
            pid: std::process::id(),
            host: host_name(),
        }
    }

    fn to_text(&self) -> String {
        format!("pid {}\nhost {}\n", self.pid, self.host)
    }

    fn parse(text: &str) -> Option<Holder> {
        let mut lines = text.lines();
        let pid = lines.next()?.strip_prefix("pid ")?.trim().parse().ok()?;
        let host = lines.next()?.strip_prefix("host ")?.trim().to_string();
        Some(Holder { pid, host })
    }

    /// Whether the process is still running. A process on another host cannot be checked and
    /// counts as running.
    fn alive(&self) -> bool {
        if self.host != host_name() {
            return true;
        }
        let proc = Path::new("/proc");
        if proc.join("self").exists() {
            // A zombie (killed, not yet reaped by its parent) no longer writes anything.
            return std::fs::read_to_string(proc.join(self.pid.to_string()).join("stat"))
                .is_ok_and(|stat| stat.rsplit_once(')').is_none_or(|(_, rest)| !rest.trim_start().starts_with('Z')));
        }
        std::process::Command::new("kill")
            .args(["-0", &self.pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

/// This machine's name, as lock files record it (empty if unknown).
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|h| h.trim().to_string())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default()
}

fn in_use(dir: &Path, holder: &Holder) -> Error {
    let here = holder.host == host_name();
    let host = if here { String::new() } else { format!(" on host {}", holder.host) };
    let gone = if here {
        String::new()
    } else {
        format!(" (if that process is gone, delete {})", dir.join(LOCK).display())
    };
    refuse(
        dir,
        format!(
            "is being written by another blocsim process (pid {}{host}); wait for it to finish or choose another --out{gone}",
            holder.pid
        ),
    )
}

/// The live process holding the lock of `dir`, if any.
fn live_holder(dir: &Path) -> Option<Holder> {
    let text = std::fs::read_to_string(dir.join(LOCK)).ok()?;
    Holder::parse(&text).filter(|h| h.alive() || h.pid == std::process::id())
}

/// Refuse `dir` if a live process holds its lock.
pub fn refuse_if_held(dir: &Path) -> Result<()> {
    match live_holder(dir) {
        Some(h) => Err(in_use(dir, &h)),
        None => Ok(()),
    }
}

/// The lock of an output directory, held while a command writes into it; dropping it removes the
/// lock file.
#[derive(Debug)]
pub struct DirLock {
    path: PathBuf,
    text: String,
}

impl DirLock {
    /// Lock the existing directory `dir` for this process: refuse (with [`Error::Output`]) if a live
    /// process holds it, take it over from a process that is gone.
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        let path = dir.join(LOCK);
        let me = Holder::this_process();
        let text = me.to_text();
        for _ in 0..8 {
            match create_with(&path, &text) {
                Ok(()) => return Ok(DirLock { path, text }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(refuse(dir, format!("cannot write into the directory: {e}"))),
            }
            let found = match std::fs::read_to_string(&path) {
                Ok(found) => found,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(refuse(dir, format!("cannot read the lock {LOCK}: {e}"))),
            };
            match Holder::parse(&found) {
                Some(h) if h.pid == me.pid && h.host == me.host => return Err(in_use(dir, &h)),
                Some(h) if h.alive() => return Err(in_use(dir, &h)),
                // The holder is gone: take the lock over, unless another process just did.
                Some(_) => {
                    if std::fs::read_to_string(&path).is_ok_and(|now| now == found) {
                        let _ = std::fs::remove_file(&path);
                    }
                }
                // Not a lock this version writes: written by hand or damaged. Leave it.
                None => {
                    return Err(refuse(
                        dir,
                        format!("holds a lock file {LOCK} that blocsim cannot read; if no blocsim process is writing here, delete it"),
                    ));
                }
            }
        }
        Err(refuse(dir, format!("cannot take the lock {LOCK}: other processes keep taking it")))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        if std::fs::read_to_string(&self.path).is_ok_and(|now| now == self.text) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Create `path` holding `text`, failing with `AlreadyExists` if it exists; the file appears with
/// its content (written to a temporary first, then hard-linked into place), or, where hard links
/// are not supported, is created empty and then written.
fn create_with(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_file_name(format!("{LOCK}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
            f.write_all(text.as_bytes())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_directories_are_created_and_foreign_ones_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let fresh = tmp.path().join("a/b");
        let lock = prepare(&fresh, false).unwrap();
        assert!(fresh.is_dir());
        assert_eq!(std::fs::read_dir(&fresh).unwrap().count(), 1, "the probe file is removed");
        drop(lock);
        assert_eq!(std::fs::read_dir(&fresh).unwrap().count(), 0, "the lock is removed");

        std::fs::write(fresh.join("notes.txt"), "mine").unwrap();
        let e = prepare(&fresh, false).unwrap_err().to_string();
        assert!(e.contains("not a blocsim output directory"), "{e}");
        drop(prepare(&fresh, true).unwrap());
        std::fs::write(fresh.join(MARKER), "{}").unwrap();
        drop(prepare(&fresh, false).unwrap());

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
        drop(prepare(&dir, false).unwrap());
        std::fs::write(dir.join("other.txt"), "").unwrap();
        assert!(prepare(&dir, false).is_err(), "any other file still makes it foreign");
    }

    #[test]
    fn a_held_lock_refuses_and_a_dead_holders_lock_is_taken_over() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let lock = prepare(&dir, false).unwrap();
        let text = std::fs::read_to_string(dir.join(LOCK)).unwrap();
        assert!(text.starts_with(&format!("pid {}\n", std::process::id())), "{text}");
        let e = prepare(&dir, true).unwrap_err().to_string();
        assert!(
            e.contains(&format!("is being written by another blocsim process (pid {})", std::process::id())),
            "{e}"
        );
        drop(lock);
        assert!(!dir.join(LOCK).exists());
        // A lock left by a process that is gone (pid beyond the kernel's pid_max) is taken over.
        let gone = Holder {
            pid: 4_194_304 + 17,
            host: host_name(),
        };
        std::fs::write(dir.join(LOCK), gone.to_text()).unwrap();
        let lock = prepare(&dir, false).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join(LOCK)).unwrap(), Holder::this_process().to_text());
        drop(lock);
        // Another host's lock cannot be checked: refused, saying how to clear it.
        let other = Holder {
            pid: 1,
            host: format!("{}-elsewhere", host_name()),
        };
        std::fs::write(dir.join(LOCK), other.to_text()).unwrap();
        let e = prepare(&dir, false).unwrap_err().to_string();
        assert!(e.contains("on host") && e.contains("delete"), "{e}");
    }
}
