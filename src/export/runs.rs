//! `runs.csv`, streamed one row per run as the batch progresses.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::atomic::Staged;
use crate::error::{Error, Result};
use crate::metrics::{Labels, RunOutcome};

/// Streams `runs.csv`: one row per run, written in run order, to `.runs.csv.tmp` until
/// [`RunsWriter::finish`] renames it into place (dropped unfinished, the temporary file is removed).
///
/// Columns, in this order (domains and frameworks in scenario order, domain-major):
///
/// ```text
/// run                          run index in the batch
/// <key path>                   one per uncertain parameter (e.g. choice.lambda): its value in this run
/// share:<domain>:<fw>          share of states on the framework at the horizon (count / N)
/// gdp_share:<domain>:<fw>      GDP-weighted share at the horizon
/// population_share:<domain>:<fw>  population-weighted share at the horizon
/// fragmentation:<domain>       fragmentation index of the domain at the horizon
/// fragmentation                fragmentation index at the horizon, mean over domains
/// hedging                      hedging index at the horizon
/// bloc:<fw>                    share of states on the framework in every domain at the horizon
/// switches:<domain>            alignment changes made by revising states during the run
/// tipping_year:<domain>:<fw>   first year the framework's GDP share rose above one half (empty: never)
/// ```
///
/// Numbers use Rust's shortest round-trip formatting, so they parse back to the exact `f64`.
///
/// A resumable batch writes instead to a part file that survives the process
/// ([`RunsWriter::create_part`]): [`RunsWriter::checkpoint`] makes the rows written so far durable
/// and returns their byte length, and [`RunsWriter::resume_part`] reopens the part cut back to such
/// a length, so rows written after the last checkpoint are discarded and written again.
pub struct RunsWriter {
    w: csv::Writer<File>,
    states: usize,
    domains: usize,
    frameworks: usize,
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
        RunsWriter {
            w: csv::Writer::from_writer(file),
            states: labels.state_ids.len(),
            domains: labels.domains.len(),
            frameworks: labels.frameworks.len(),
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
        let (n, d_count, k_count) = (self.states, self.domains, self.frameworks);
        let dk = d_count * k_count;
        // Horizon values of per-year arrays sit in the last D*K entries.
        let horizon = o.counts.len().saturating_sub(dk);
        let f = |x: Option<&f64>| x.map_or(String::new(), |v| v.to_string());
        let mut row = Vec::with_capacity(1 + o.draws.len() + 4 * dk + 2 * d_count + k_count + 2);
        row.push(o.run.to_string());
        row.extend(o.draws.iter().map(|v| v.to_string()));
        row.extend((0..dk).map(|c| {
            o.counts
                .get(horizon + c)
                .map_or(String::new(), |&x| (f64::from(x) / n as f64).to_string())
        }));
        row.extend((0..dk).map(|c| f(o.gdp_shares.get(horizon + c))));
        row.extend((0..dk).map(|c| f(o.pop_shares.get(c))));
        row.extend((0..d_count).map(|d| f(o.fragmentation_final.get(d))));
        row.push(f(o.fragmentation.last()));
        row.push(f(o.hedging.last()));
        row.extend((0..k_count).map(|k| f(o.bloc.get(k))));
        row.extend((0..d_count).map(|d| o.switches.get(d).map_or(String::new(), |s| s.to_string())));
        row.extend((0..dk).map(|c| o.tipping_year.get(c).copied().flatten().map_or(String::new(), |y| y.to_string())));
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
    let dk = |prefix: &str| -> Vec<String> {
        l.domains
            .iter()
            .flat_map(|d| l.frameworks.iter().map(move |k| format!("{prefix}:{d}:{k}")))
            .collect()
    };
    let mut h = vec!["run".to_string()];
    h.extend(l.uncertain.iter().cloned());
    h.extend(dk("share"));
    h.extend(dk("gdp_share"));
    h.extend(dk("population_share"));
    h.extend(l.domains.iter().map(|d| format!("fragmentation:{d}")));
    h.push("fragmentation".into());
    h.push("hedging".into());
    h.extend(l.frameworks.iter().map(|k| format!("bloc:{k}")));
    h.extend(l.domains.iter().map(|d| format!("switches:{d}")));
    h.extend(dk("tipping_year"));
    h
}
