//! `runs.csv`, streamed one row per run as the batch progresses.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::atomic::Staged;
use crate::error::{Error, Result};
use crate::metrics::{Labels, Layout, RunOutcome};
use crate::outcomes::Outcome;

/// Streams `runs.csv`: one row per run, written in run order, to `.runs.csv.tmp` until
/// [`RunsWriter::finish`] renames it into place (dropped unfinished, the temporary file is removed).
///
/// Columns, in this order: `run` (the run's index in the batch), one column per uncertain
/// parameter named by its key path (e.g. `choice.lambda`: its value in this run), then one column
/// per outcome of the registry that `runs.csv` holds ([`crate::outcomes::FAMILIES`], in registry
/// order, domains and frameworks in scenario order, domain-major), named by its canonical name
/// (`final_share.cloud.US`, ..., `tipping_year.cloud.US`). A missing value (a framework that
/// never tipped) is an empty field.
///
/// Numbers use Rust's shortest round-trip formatting, so they parse back to the exact `f64`.
///
/// A resumable batch writes instead to a part file that survives the process
/// ([`RunsWriter::create_part`]): [`RunsWriter::checkpoint`] makes the rows written so far durable
/// and returns their byte length, and [`RunsWriter::resume_part`] reopens the part cut back to such
/// a length, so rows written after the last checkpoint are discarded and written again.
pub struct RunsWriter {
    w: csv::Writer<File>,
    /// The outcomes of the columns, in order.
    outcomes: Vec<Outcome>,
    /// The layout of the runs, the number of years aside (read from each run).
    layout: Layout,
    target: Target,
}

/// Where the rows go: a staged final file, or a part file kept until the caller moves it.
enum Target {
    Staged(Staged),
    Part(PathBuf),
}

impl RunsWriter {
    /// Start `runs.csv` at `path` and write its header.
    pub fn create(path: &Path, labels: &Labels) -> Result<RunsWriter> {
        let staged = Staged::new(path)?;
        let file = staged.create()?;
        let mut w = RunsWriter::new(file, labels, Target::Staged(staged));
        w.record(header(labels))?;
        Ok(w)
    }

    /// Start a part file at `path` (created or truncated) with the header; it is kept whatever
    /// happens to the process, for [`RunsWriter::resume_part`].
    pub fn create_part(path: &Path, labels: &Labels) -> Result<RunsWriter> {
        let file = File::create(path).map_err(|source| write_err(path, source))?;
        let mut w = RunsWriter::new(file, labels, Target::Part(path.to_path_buf()));
        w.record(header(labels))?;
        Ok(w)
    }

    /// Reopen the part file at `path` to append after its first `len` bytes (a length returned by
    /// [`RunsWriter::checkpoint`]); anything after them is cut off. Fails if the file is missing
    /// or shorter than `len`.
    pub fn resume_part(path: &Path, labels: &Labels, len: u64) -> Result<RunsWriter> {
        let mut file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|source| write_err(path, source))?;
        let have = file.metadata().map_err(|source| write_err(path, source))?.len();
        if have < len {
            return Err(Error::Usage(format!(
                "{}: holds {have} bytes, fewer than the {len} the checkpoint recorded",
                path.display()
            )));
        }
        file.set_len(len).map_err(|source| write_err(path, source))?;
        file.seek(SeekFrom::End(0)).map_err(|source| write_err(path, source))?;
        Ok(RunsWriter::new(file, labels, Target::Part(path.to_path_buf())))
    }

    fn new(file: File, labels: &Labels, target: Target) -> RunsWriter {
        let layout = crate::outcomes::layout_of(labels, 1);
        RunsWriter {
            w: csv::Writer::from_writer(file),
            outcomes: crate::outcomes::expand(&layout, |f| f.uses.runs_csv),
            layout,
            target,
        }
    }

    /// Flush the rows written so far to disk (fsync) and return the file's length in bytes.
    pub fn checkpoint(&mut self) -> Result<u64> {
        self.w.flush().map_err(|e| self.err(e))?;
        let file = self.w.get_ref();
        file.sync_data().map_err(|e| self.err(e))?;
        let len = file.metadata().map_err(|e| self.err(e))?.len();
        Ok(len)
    }

    /// Append the row of one run.
    pub fn write(&mut self, o: &RunOutcome) -> Result<()> {
        let row = self.row(o);
        self.record(row)
    }

    /// Flush and move the finished file into place (a part file is flushed to disk and left where
    /// it is, for the caller to move).
    pub fn finish(mut self) -> Result<()> {
        if let Target::Part(_) = self.target {
            self.checkpoint()?;
        }
        let RunsWriter { w, target, .. } = self;
        let file = w.into_inner().map_err(|e| e.into_error());
        match target {
            Target::Staged(staged) => {
                drop(file.map_err(|e| staged.err(e))?);
                staged.commit()
            }
            Target::Part(path) => file.map(drop).map_err(|source| write_err(&path, source)),
        }
    }

    fn err(&self, source: std::io::Error) -> Error {
        match &self.target {
            Target::Staged(staged) => staged.err(source),
            Target::Part(path) => write_err(path, source),
        }
    }

    fn record(&mut self, fields: Vec<String>) -> Result<()> {
        self.w.write_record(&fields).map_err(|e| self.err(e.into()))
    }

    fn row(&self, o: &RunOutcome) -> Vec<String> {
        let per_year = (self.layout.domains * self.layout.frameworks).max(1);
        let l = Layout {
            years: (o.counts.len() / per_year).max(1),
            ..self.layout
        };
        let mut row = Vec::with_capacity(1 + o.draws.len() + self.outcomes.len());
        row.push(o.run.to_string());
        row.extend(o.draws.iter().map(|v| v.to_string()));
        row.extend(
            self.outcomes
                .iter()
                .map(|c| c.value(o, &l).map_or(String::new(), |v| v.to_string())),
        );
        row
    }
}

/// Write `dest` (atomically) as the concatenation of the `runs.csv` files of consecutive blocks of
/// runs, given with the runs each must hold: the first file's header, then every file's rows. Each
/// file must have the same header and exactly its runs, in order; the result is then the same bytes
/// as one `runs.csv` written for all the runs.
pub fn concat_runs_csv(parts: &[(&Path, std::ops::Range<u64>)], dest: &Path) -> Result<()> {
    use std::io::{BufReader, BufWriter, Write};

    let staged = Staged::new(dest)?;
    let mut out = BufWriter::new(staged.create()?);
    let mut first_header: Option<csv::ByteRecord> = None;
    for (i, (path, runs)) in parts.iter().enumerate() {
        let bad = |m: String| Error::Usage(format!("{}: {m}", path.display()));
        let open = || {
            File::open(path).map_err(|source| Error::Read {
                path: path.to_path_buf(),
                source,
            })
        };
        let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(BufReader::new(open()?));
        let header = rdr.byte_headers().map_err(|e| bad(e.to_string()))?.clone();
        let header_end = rdr.position().byte();
        match &first_header {
            Some(h) if *h != header => return Err(bad("its header differs from the first shard's".into())),
            Some(_) => {}
            None => first_header = Some(header),
        }
        let mut record = csv::ByteRecord::new();
        let mut expected = runs.start;
        while rdr.read_byte_record(&mut record).map_err(|e| bad(e.to_string()))? {
            let run = record
                .get(0)
                .and_then(|f| std::str::from_utf8(f).ok())
                .and_then(|f| f.parse::<u64>().ok());
            if run != Some(expected) || expected >= runs.end {
                return Err(bad(format!(
                    "row {} holds run {}, expected run {expected} (the shard's runs are {}..{})",
                    expected - runs.start + 1,
                    run.map_or_else(|| "?".to_string(), |r| r.to_string()),
                    runs.start,
                    runs.end
                )));
            }
            expected += 1;
        }
        if expected != runs.end {
            return Err(bad(format!(
                "holds runs {}..{expected}, expected {}..{}",
                runs.start, runs.start, runs.end
            )));
        }
        let mut file = open()?;
        if i > 0 {
            file.seek(SeekFrom::Start(header_end)).map_err(|source| Error::Read {
                path: path.to_path_buf(),
                source,
            })?;
        }
        std::io::copy(&mut file, &mut out).map_err(|e| staged.err(e))?;
    }
    out.flush().map_err(|e| staged.err(e))?;
    let file = out.into_inner().map_err(|e| staged.err(e.into_error()))?;
    drop(file);
    staged.commit()
}

fn write_err(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The header of `runs.csv` (see [`RunsWriter`]).
fn header(l: &Labels) -> Vec<String> {
    let mut h = vec!["run".to_string()];
    h.extend(l.uncertain.iter().cloned());
    h.extend(super::outputs::expand(super::outputs::OUTCOME, l));
    h
}
