//! The one way the tests run the `blocsim` binary: [`Test`] builds the command (arguments,
//! environment, working directory, standard input, a temporary output directory), runs it, and the
//! [`Run`] it returns asserts what the process did (exit status, stdout, stderr, files written).
//!
//! Every command starts from the repository root (so `tests/fixtures/tiny.toml` and bundled names
//! resolve) with the variables the binary reads from its environment removed — the memory limit,
//! the fault-injection hook and the job-scheduler indices of `--shard auto` — so that the shell
//! running `cargo test` cannot change a result; a test that needs one sets it with [`Test::env`].

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use tempfile::TempDir;

/// The variables `blocsim` reads, removed from every command before [`Test::env`] applies.
const CLEARED: [&str; 7] = [
    blocsim::limits::MEMORY_LIMIT_VAR,
    "BLOCSIM_TEST_STALL",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "JOB_COMPLETION_INDEX",
];

/// A `blocsim` command line to run.
#[must_use]
pub struct Test {
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    dir: PathBuf,
    stdin: Option<Vec<u8>>,
    tempdir: Option<(TempDir, PathBuf)>,
}

impl Test {
    /// `blocsim` with no arguments, run in the repository root.
    pub fn new() -> Test {
        Test {
            args: Vec::new(),
            env: Vec::new(),
            dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            stdin: None,
            tempdir: None,
        }
    }

    /// `blocsim ARGS...`.
    pub fn with(args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Test {
        Test::new().args(args)
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Test {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args(mut self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Test {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// `--out DIR`.
    pub fn out(self, dir: impl AsRef<Path>) -> Test {
        self.arg("--out").arg(dir.as_ref())
    }

    /// `--out TMP/NAME` in a temporary directory that lives as long as the [`Run`] (see [`Run::out`]).
    pub fn temp_out(mut self, name: &str) -> Test {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let dir = tmp.path().join(name);
        self.tempdir = Some((tmp, dir.clone()));
        self.out(dir)
    }

    /// Set an environment variable of the process (after the [cleared](CLEARED) ones are removed).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Test {
        self.env.push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    pub fn envs<K: AsRef<OsStr>, V: AsRef<OsStr>>(self, vars: impl IntoIterator<Item = (K, V)>) -> Test {
        vars.into_iter().fold(self, |t, (k, v)| t.env(k, v))
    }

    /// Run in `dir` instead of the repository root.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Test {
        self.dir = dir.as_ref().to_owned();
        self
    }

    /// Bytes for the process's standard input (by default stdin is empty: `/dev/null`).
    #[allow(dead_code, reason = "part of the builder; no command reads stdin yet")]
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Test {
        self.stdin = Some(bytes.into());
        self
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_blocsim"));
        cmd.args(&self.args).current_dir(&self.dir);
        for var in CLEARED {
            cmd.env_remove(var);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// The arguments, for messages.
    fn describe(&self) -> Vec<String> {
        self.args.iter().map(|a| a.to_string_lossy().into_owned()).collect()
    }

    /// Run to the end, capturing stdout and stderr.
    pub fn run(self) -> Run {
        let mut cmd = self.command();
        let stdin = if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() };
        cmd.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start blocsim");
        // Written from another thread, so that a process writing before it reads cannot block on a full pipe.
        let writer = child
            .stdin
            .take()
            .zip(self.stdin.clone())
            .map(|(mut input, bytes)| std::thread::spawn(move || input.write_all(&bytes)));
        let output = child.wait_with_output().expect("run blocsim");
        if let Some(writer) = writer {
            // The process may exit without reading all of its input: a broken pipe is not an error here.
            let _ = writer.join().expect("stdin writer");
        }
        let args = self.describe();
        let (tempdir, out) = match self.tempdir {
            Some((tmp, dir)) => (Some(tmp), Some(dir)),
            None => (None, None),
        };
        Run {
            args,
            output,
            out,
            _tempdir: tempdir,
        }
    }

    /// Start without waiting: stdout discarded, stderr piped to the caller (to read what the process
    /// announces, e.g. the stage it stalls at), stdin empty.
    pub fn spawn(self) -> Child {
        let mut cmd = self.command();
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        cmd.spawn().expect("spawn blocsim")
    }
}

/// A finished `blocsim` process.
pub struct Run {
    args: Vec<String>,
    pub output: Output,
    out: Option<PathBuf>,
    _tempdir: Option<TempDir>,
}

impl Run {
    /// Exit code 0, or a panic showing the arguments and stderr.
    pub fn success(self) -> Run {
        assert!(self.output.status.success(), "blocsim {:?} failed: {}", self.args, self.stderr());
        self
    }

    /// The given exit code, or a panic showing the arguments and stderr.
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.output.status.code(),
            Some(code),
            "blocsim {:?}: exit code; stderr: {}",
            self.args,
            self.stderr()
        );
        self
    }

    /// Refused as bad input: exit code 2, one line on stderr, no panic. Returns that line.
    pub fn input_error(self) -> String {
        let err = self.stderr().trim_end().to_string();
        let run = self.code(2);
        assert_eq!(err.lines().count(), 1, "blocsim {:?}: one line expected, got: {err}", run.args);
        assert!(!err.contains("panicked"), "blocsim {:?}: {err}", run.args);
        err
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Stdout contains `needle`, or a panic showing stdout.
    pub fn stdout_contains(self, needle: &str) -> Run {
        let out = self.stdout();
        assert!(out.contains(needle), "blocsim {:?}: stdout lacks {needle:?}: {out}", self.args);
        self
    }

    /// Stderr contains `needle`, or a panic showing stderr.
    pub fn stderr_contains(self, needle: &str) -> Run {
        let err = self.stderr();
        assert!(err.contains(needle), "blocsim {:?}: stderr lacks {needle:?}: {err}", self.args);
        self
    }

    /// The directory of [`Test::temp_out`].
    pub fn out(&self) -> &Path {
        self.out.as_deref().expect("the command has a temporary --out (Test::temp_out)")
    }

    /// The bytes of a file the command wrote into [`Run::out`].
    pub fn file(&self, name: &str) -> Vec<u8> {
        super::read(&self.out().join(name))
    }
}

#[test]
fn a_command_runs_in_the_directory_it_is_given() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    Test::with(["check", "tiny.toml"]).current_dir(&fixtures).run().success();
    let err = Test::with(["check", "tiny.toml"]).run().input_error();
    assert_eq!(err, "error: tiny.toml: cannot read: No such file or directory (os error 2)");
}
