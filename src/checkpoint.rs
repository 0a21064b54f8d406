//! Resuming a batch after a crash: the progress kept in `<out>/.blocsim-progress/`.
//!
//! While a batch runs, everything not yet final lives in the progress directory:
//!
//! ```text
//! .blocsim-progress/runs.csv.part        runs.csv as written so far (header and rows in run order)
//! .blocsim-progress/detail-A-B.parquet   the detail rows of runs A..B, one file per chunk
//! .blocsim-progress/checkpoint.bin       the last consistent state (sealed, see below)
//! ```
//!
//! After each chunk of runs, the new rows are flushed to disk, the chunk's detail part is written
//! (to a temporary name, then renamed), and the checkpoint is replaced atomically and durably. The
//! checkpoint holds the batch's identity ([`BatchKey`]), the next run to simulate, the byte length
//! of `runs.csv.part` at that point, the list of detail parts, the wall time spent so far and the
//! exact [`Aggregator`] state. Whenever the process dies, the checkpoint describes a consistent
//! prefix of the batch: on `--resume` the rows written after it are cut off, detail parts it does
//! not list are deleted, and the batch continues from its next run. Since each run's result
//! depends only on (seed, run index) and aggregation is exact, the finished files are the same
//! bytes as an uninterrupted batch's.
//!
//! The final files are produced from the progress directory at the end, each atomically
//! (temporary name, then rename), and the directory is removed last: an output directory holding
//! `.blocsim-progress/` is unfinished whatever else it holds, and `manifest.json` is removed when a
//! batch starts so that it appears only once the batch is complete.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregator;
use crate::error::{Error, Result};
use crate::export::{self, DetailWriter, RunsWriter};
use crate::metrics::{Labels, RunOutcome};
use crate::partial::BatchKey;

/// Name of the progress directory inside an output directory.
pub const PROGRESS_DIR: &str = ".blocsim-progress";
/// Name of the checkpoint inside the progress directory.
pub const CHECKPOINT_FILE: &str = "checkpoint.bin";
const RUNS_PART: &str = "runs.csv.part";
const KIND: &str = "checkpoint";
const VERSION: u32 = 1;

/// The header of `checkpoint.bin`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointHeader {
    /// The batch the checkpoint belongs to.
    pub key: BatchKey,
    /// First run of the batch or shard.
    pub first_run: u64,
    /// Runs `first_run..next_run` are done.
    pub next_run: u64,
    /// Byte length of `runs.csv.part` holding exactly those runs.
    pub runs_csv_bytes: u64,
    /// Detail parts `(start, end)` written, in run order.
    pub detail_parts: Vec<(u64, u64)>,
    /// Wall time spent on the batch so far, over all attempts.
    pub wall_seconds: f64,
}

/// A checkpoint as read back.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// What the batch is and how far it got.
    pub header: CheckpointHeader,
    /// The exact aggregate of the runs done.
    pub aggregator: Aggregator,
}

impl Checkpoint {
    /// Read the checkpoint of the output directory `out`, if there is one.
    pub fn load(out: &Path) -> Result<Option<Checkpoint>> {
        let path = out.join(PROGRESS_DIR).join(CHECKPOINT_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(Error::Read { path, source }),
        };
        let bad = |m: String| Error::Usage(format!("{}: {m}; pass --force to discard it and start over", path.display()));
        let (header, body): (CheckpointHeader, Vec<u8>) = export::sealed::unseal(KIND, VERSION, &bytes).map_err(bad)?;
        let aggregator = Aggregator::from_bytes(&body).map_err(bad)?;
        Ok(Some(Checkpoint { header, aggregator }))
    }
}

/// File name of the detail part holding runs `start..end`.
fn detail_part(start: u64, end: u64) -> String {
    format!("detail-{start:020}-{end:020}.parquet")
}

/// How a batch writing to a directory treats an interrupted batch found there.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recovery {
    /// Continue the interrupted batch (which must be the same batch); start from the first run if
    /// there is none.
    pub resume: bool,
    /// Discard an interrupted batch and start over.
    pub discard: bool,
}

/// The resumable state of a batch writing into an output directory.
pub struct Progress {
    out: PathBuf,
    dir: PathBuf,
    header: CheckpointHeader,
    /// None once `runs.csv` has been moved into place.
    runs: Option<RunsWriter>,
    /// The exact aggregate of the runs done so far.
    pub aggregator: Aggregator,
    /// Run at which this process started (`first_run` unless resumed).
    pub resumed_at: Option<u64>,
}

impl Progress {
    /// Open the progress of the batch `key` (runs `first_run..`) in `out`: resume a checkpoint when
    /// `recovery.resume` and one exists, otherwise start afresh (refusing to discard an existing
    /// checkpoint unless `recovery.discard` or `recovery.resume`).
    pub fn open(out: &Path, key: BatchKey, first_run: u64, labels: &Labels, fresh: Aggregator, recovery: Recovery) -> Result<Progress> {
        let dir = out.join(PROGRESS_DIR);
        let found = Checkpoint::load(out)?;
        match found {
            Some(cp) if recovery.resume => Progress::resume(out, dir, key, first_run, labels, cp),
            Some(cp) if !recovery.discard => {
                let h = &cp.header;
                let of = h.key.shard.as_ref().map_or_else(String::new, |s| format!(" of shard {s}"));
                Err(Error::Usage(format!(
                    "{}: holds an interrupted batch ({} runs{of} done); add --resume to continue it, or --force to discard it",
                    out.display(),
                    h.next_run - h.first_run,
                )))
            }
            _ => Progress::fresh(out, dir, key, first_run, labels, fresh),
        }
    }

    fn fresh(out: &Path, dir: PathBuf, key: BatchKey, first_run: u64, labels: &Labels, fresh: Aggregator) -> Result<Progress> {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|source| write_err(&dir, source))?;
        }
        std::fs::create_dir_all(&dir).map_err(|source| write_err(&dir, source))?;
        // The directory no longer holds a complete result until the new manifest is written.
        let manifest = out.join("manifest.json");
        if manifest.exists() {
            std::fs::remove_file(&manifest).map_err(|source| write_err(&manifest, source))?;
        }
        let mut runs = RunsWriter::create_part(&dir.join(RUNS_PART), labels)?;
        let runs_csv_bytes = runs.checkpoint()?;
        Ok(Progress {
            out: out.to_path_buf(),
            dir,
            header: CheckpointHeader {
                key,
                first_run,
                next_run: first_run,
                runs_csv_bytes,
                detail_parts: Vec::new(),
                wall_seconds: 0.0,
            },
            runs: Some(runs),
            aggregator: fresh,
            resumed_at: None,
        })
    }

    fn resume(out: &Path, dir: PathBuf, key: BatchKey, first_run: u64, labels: &Labels, cp: Checkpoint) -> Result<Progress> {
        let h = cp.header;
        if let Some(diff) = h.key.difference(&key, "the interrupted batch", "this command") {
            return Err(Error::Usage(format!(
                "{}: cannot resume: the {diff}; resume with the same scenario, --set, --seed, --runs, --shard and --no-detail, or pass --force to start over",
                out.display()
            )));
        }
        if h.first_run != first_run || h.next_run < first_run {
            return Err(Error::Usage(format!(
                "{}: checkpoint does not match this batch's runs",
                out.display()
            )));
        }
        let unusable = |what: String| {
            Error::Usage(format!(
                "{}: cannot resume: {what}; pass --force to discard the interrupted batch and start over",
                out.display()
            ))
        };
        // Detail parts: every listed one must be there; parts written after the checkpoint go.
        let listed: Vec<String> = h.detail_parts.iter().map(|&(a, b)| detail_part(a, b)).collect();
        for name in &listed {
            if !dir.join(name).is_file() {
                return Err(unusable(format!("{PROGRESS_DIR}/{name} is missing")));
            }
        }
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Read { path: dir.clone(), source })?;
        for entry in entries {
            let entry = entry.map_err(|source| Error::Read { path: dir.clone(), source })?;
            let name = entry.file_name().to_string_lossy().to_string();
            let stale = name.starts_with("detail-") && !listed.contains(&name) || name.starts_with('.') && name.ends_with(".tmp");
            if stale {
                std::fs::remove_file(entry.path()).map_err(|source| write_err(&entry.path(), source))?;
            }
        }
        let part = dir.join(RUNS_PART);
        let runs = if part.exists() {
            Some(RunsWriter::resume_part(&part, labels, h.runs_csv_bytes).map_err(|e| unusable(e.to_string()))?)
        } else {
            // Killed after runs.csv was moved into place: it must be the complete file.
            let placed = out.join("runs.csv");
            let len = std::fs::metadata(&placed).map(|m| m.len()).ok();
            if len != Some(h.runs_csv_bytes) {
                return Err(unusable(format!("{PROGRESS_DIR}/{RUNS_PART} is missing")));
            }
            None
        };
        let resumed_at = Some(h.next_run);
        Ok(Progress {
            out: out.to_path_buf(),
            dir,
            header: h,
            runs,
            aggregator: cp.aggregator,
            resumed_at,
        })
    }

    /// The next run to simulate.
    pub fn next_run(&self) -> u64 {
        self.header.next_run
    }

    /// Wall time spent in earlier attempts.
    pub fn wall_before(&self) -> f64 {
        self.header.wall_seconds
    }

    /// Byte length of the finished `runs.csv` (once all runs are recorded).
    pub fn runs_csv_bytes(&self) -> u64 {
        self.header.runs_csv_bytes
    }

    /// Record the outcomes of runs `next_run()..next_run() + outcomes.len()` (in run order): fold
    /// them into the aggregates, append their rows, write their detail part, and replace the
    /// checkpoint. `wall_seconds` is the total time spent so far.
    pub fn record(&mut self, outcomes: &[RunOutcome], labels: &Labels, wall_seconds: f64) -> Result<()> {
        let start = self.header.next_run;
        let end = start + outcomes.len() as u64;
        let Some(runs) = self.runs.as_mut() else {
            return Err(Error::Usage(format!("{}: batch already complete", self.out.display())));
        };
        for o in outcomes {
            self.aggregator.add(o);
            runs.write(o)?;
        }
        if self.header.key.detail {
            let mut w = DetailWriter::create(&self.dir.join(detail_part(start, end)), labels)?;
            for o in outcomes {
                w.write(o)?;
            }
            w.finish()?;
            self.header.detail_parts.push((start, end));
        }
        self.header.runs_csv_bytes = runs.checkpoint()?;
        self.header.next_run = end;
        self.header.wall_seconds = wall_seconds;
        let bytes = export::sealed::seal(KIND, VERSION, &self.header, &self.aggregator.to_bytes());
        export::write_durable(&self.dir.join(CHECKPOINT_FILE), &bytes)
    }

    /// Write `detail.parquet` into the output directory from the parts, in run order (the same
    /// bytes however the runs were chunked).
    pub fn write_detail(&self, labels: &Labels) -> Result<()> {
        let mut w = DetailWriter::create(&self.out.join("detail.parquet"), labels)?;
        for &(a, b) in &self.header.detail_parts {
            w.append_file(&self.dir.join(detail_part(a, b)))?;
        }
        w.finish()
    }

    /// Move `runs.csv` into place in the output directory (done already if resumed after that).
    pub fn place_runs_csv(&mut self) -> Result<()> {
        if let Some(runs) = self.runs.take() {
            runs.finish()?;
            let dest = self.out.join("runs.csv");
            std::fs::rename(self.dir.join(RUNS_PART), &dest).map_err(|source| write_err(&dest, source))?;
            export::sync_dir(&dest);
        }
        Ok(())
    }

    /// Remove the progress directory: the batch is complete.
    pub fn remove(self) -> Result<()> {
        std::fs::remove_dir_all(&self.dir).map_err(|source| write_err(&self.dir, source))
    }
}

fn write_err(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}
