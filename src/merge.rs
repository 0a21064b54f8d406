//! `blocsim merge`: combine the shard directories of one batch into the output directory a single
//! machine would have written.
//!
//! Every shard directory is checked before anything is written: it must be finished (no
//! `.blocsim-progress/`), hold a shard's `manifest.json` and `partial.bin` that agree with each
//! other, and all shards must belong to the same batch (same blocsim version, resolved scenario,
//! seed, number of runs, number of shards and detail setting), with every shard index present
//! exactly once and their run blocks tiling the batch. Then:
//!
//! * the [`Aggregator`] states are merged — exact integer sums, so the result equals the state of
//!   the whole batch, and `summary.json`, `timeseries.csv`, `indices.csv` and `states.csv` are
//!   rendered from it by the same functions as a batch's;
//! * `runs.csv` is the first shard's header followed by every shard's rows in shard order (each
//!   row checked to be the expected run);
//! * `detail.parquet` is rewritten from the shards' tables in run order through the same writer, so
//!   its row groups fall where a single batch's do;
//! * `manifest.json` is the shards' with `shard` null and a `merged_from` list.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::aggregate::Aggregator;
use crate::batch::{self, Shard};
use crate::checkpoint::PROGRESS_DIR;
use crate::error::{Error, Result};
use crate::export::{self, DetailWriter, Manifest, MergedShard};
use crate::partial::{PARTIAL_FILE, Partial};

/// What [`merge`] wrote.
#[derive(Debug, Clone)]
pub struct Merged {
    /// Runs of the whole batch.
    pub runs: u64,
    /// Number of shards merged.
    pub shards: u64,
    /// Files written into the output directory (relative names).
    pub files: Vec<String>,
    /// Scenario name.
    pub scenario: String,
}

/// One shard directory, read and checked on its own.
struct ShardDir {
    dir: PathBuf,
    manifest: Manifest,
    partial: Partial,
    shard: Shard,
}

fn usage(msg: String) -> Error {
    Error::Usage(msg)
}

/// Read and check one shard directory.
fn load(dir: &Path) -> Result<ShardDir> {
    let d = dir.display();
    if dir.join(PROGRESS_DIR).exists() {
        return Err(usage(format!(
            "{d}: the shard did not finish (it holds {PROGRESS_DIR}/); complete it with `blocsim batch ... --resume` first"
        )));
    }
    let mpath = dir.join("manifest.json");
    let bytes = match std::fs::read(&mpath) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(usage(format!("{d}: not a blocsim shard directory (no manifest.json)")));
        }
        Err(source) => return Err(Error::Read { path: mpath, source }),
    };
    let manifest = Manifest::from_json(&bytes).map_err(|m| usage(format!("{}: {m}", mpath.display())))?;
    let Some(shard_text) = manifest.shard.clone() else {
        return Err(usage(format!(
            "{d}: holds a whole batch, not a shard (it was written without --shard)"
        )));
    };
    let shard = Shard::parse(&shard_text).map_err(|_| usage(format!("{}: bad shard {shard_text:?}", mpath.display())))?;
    let ppath = dir.join(PARTIAL_FILE);
    if !ppath.is_file() {
        return Err(usage(format!("{d}: no {PARTIAL_FILE} (not written by `blocsim batch --shard`)")));
    }
    let partial = Partial::read(&ppath)?;
    let h = &partial.header;
    let from_manifest = crate::partial::BatchKey {
        blocsim_version: manifest.blocsim_version.clone(),
        stream_layout: manifest.stream_layout,
        scenario: manifest.scenario.clone(),
        scenario_sha256: manifest.scenario_sha256.clone(),
        seed: manifest.seed,
        runs: manifest.runs,
        shard: manifest.shard.clone(),
        detail: h.key.detail,
    };
    if let Some(diff) = h.key.difference(&from_manifest, PARTIAL_FILE, "manifest.json") {
        return Err(usage(format!("{d}: {PARTIAL_FILE} does not belong to this directory: the {diff}")));
    }
    let range = shard.runs(h.key.runs);
    if (h.first_run, h.end_run) != (range.start, range.end) {
        return Err(usage(format!(
            "{d}: {PARTIAL_FILE} holds runs {}..{} but shard {shard} of {} runs is {}..{}",
            h.first_run, h.end_run, h.key.runs, range.start, range.end
        )));
    }
    let runs_csv = dir.join("runs.csv");
    let len = std::fs::metadata(&runs_csv).map(|m| m.len()).map_err(|source| Error::Read {
        path: runs_csv.clone(),
        source,
    })?;
    if len != h.runs_csv_bytes {
        return Err(usage(format!(
            "{}: {len} bytes, but {PARTIAL_FILE} records {} (the file was changed after the shard finished)",
            runs_csv.display(),
            h.runs_csv_bytes
        )));
    }
    if h.key.detail && !dir.join("detail.parquet").is_file() {
        return Err(usage(format!("{d}: detail.parquet is missing")));
    }
    Ok(ShardDir {
        dir: dir.to_path_buf(),
        manifest,
        partial,
        shard,
    })
}

/// Check that the shards are all the shards of one batch; returns them in shard order.
fn check_complete(mut shards: Vec<ShardDir>) -> Result<Vec<ShardDir>> {
    let first = &shards[0];
    let base = first.partial.header.key.clone();
    for s in &shards[1..] {
        let key = &s.partial.header.key;
        let unsharded = |k: &crate::partial::BatchKey| crate::partial::BatchKey { shard: None, ..k.clone() };
        if let Some(diff) = unsharded(&base).difference(&unsharded(key), &first.dir.display().to_string(), &s.dir.display().to_string()) {
            return Err(usage(format!("the shards are not parts of one batch: the {diff}")));
        }
        if s.shard.count != first.shard.count {
            return Err(usage(format!(
                "the shards are not parts of one batch: {} is shard {} but {} is shard {} (different numbers of shards)",
                first.dir.display(),
                first.shard,
                s.dir.display(),
                s.shard
            )));
        }
        if s.partial.header.labels != first.partial.header.labels {
            return Err(usage(format!(
                "the shards are not parts of one batch: {} and {} have different states, domains or frameworks",
                first.dir.display(),
                s.dir.display()
            )));
        }
    }
    shards.sort_by_key(|s| s.shard.index);
    for pair in shards.windows(2) {
        if pair[0].shard.index == pair[1].shard.index {
            return Err(usage(format!(
                "shard {} is given twice: {} and {}",
                pair[0].shard,
                pair[0].dir.display(),
                pair[1].dir.display()
            )));
        }
    }
    let count = first_count(&shards);
    let missing: Vec<String> = (0..count)
        .filter(|i| !shards.iter().any(|s| s.shard.index == *i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        let given: Vec<String> = shards.iter().map(|s| s.shard.to_string()).collect();
        return Err(usage(format!(
            "missing shard{} {} of {count} (given: {})",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            given.join(", ")
        )));
    }
    // With one shard count and every index once, the blocks tile the batch; check it anyway.
    let mut next = 0;
    for s in &shards {
        let h = &s.partial.header;
        if h.first_run != next {
            return Err(usage(format!(
                "{}: runs {}..{} do not follow run {next}: the shards overlap or leave a gap",
                s.dir.display(),
                h.first_run,
                h.end_run
            )));
        }
        next = h.end_run;
    }
    if next != base.runs {
        return Err(usage(format!("the shards hold runs 0..{next} of a batch of {}", base.runs)));
    }
    Ok(shards)
}

fn first_count(shards: &[ShardDir]) -> u64 {
    shards.first().map_or(0, |s| s.shard.count)
}

/// Merge the shard directories `dirs` (in any order) into `out`, writing what one batch would
/// have: `runs.csv`, `detail.parquet` (when the shards have it), `summary.json`, `timeseries.csv`,
/// `indices.csv`, `states.csv` and `manifest.json`. Charts are drawn by the caller, as after a
/// batch. Nothing is written unless every check passes.
///
/// `before_writing` is called once every check has passed, just before `out` is created and
/// written (the command layer prepares and locks `out` there).
pub fn merge(dirs: &[PathBuf], out: &Path, command: Vec<String>, before_writing: &mut dyn FnMut() -> Result<()>) -> Result<Merged> {
    let started = Instant::now();
    if dirs.is_empty() {
        return Err(usage("merge: give the shard directories to merge".into()));
    }
    let shards = dirs.iter().map(|d| load(d)).collect::<Result<Vec<_>>>()?;
    let shards = check_complete(shards)?;
    if let Ok(out_real) = out.canonicalize() {
        for s in &shards {
            if s.dir.canonicalize().is_ok_and(|d| d == out_real) {
                return Err(usage(format!(
                    "--out {}: is one of the shard directories; choose another directory",
                    out.display()
                )));
            }
        }
    }

    let key = shards[0].partial.header.key.clone();
    let this_version = env!("CARGO_PKG_VERSION");
    if key.blocsim_version != this_version {
        return Err(usage(format!(
            "the shards were written by blocsim {}, this is blocsim {this_version}; merge them with the version that wrote them",
            key.blocsim_version
        )));
    }
    let labels = shards[0].partial.labels();
    let mut agg = Aggregator::new(shards[0].partial.aggregator.layout(), labels.uncertain.len());
    for s in &shards {
        agg.merge(&s.partial.aggregator)
            .map_err(|m| usage(format!("{}: {m}", s.dir.display())))?;
    }

    before_writing()?;
    std::fs::create_dir_all(out).map_err(|source| Error::Write {
        path: out.to_path_buf(),
        source,
    })?;
    let stale = out.join("manifest.json");
    if stale.exists() {
        std::fs::remove_file(&stale).map_err(|source| Error::Write { path: stale, source })?;
    }
    let parts: Vec<(PathBuf, std::ops::Range<u64>)> = shards
        .iter()
        .map(|s| (s.dir.join("runs.csv"), s.partial.header.first_run..s.partial.header.end_run))
        .collect();
    let parts: Vec<(&Path, std::ops::Range<u64>)> = parts.iter().map(|(p, r)| (p.as_path(), r.clone())).collect();
    export::concat_runs_csv(&parts, &out.join("runs.csv"))?;
    let mut files = vec!["runs.csv".to_string()];
    if key.detail {
        let mut w = DetailWriter::create(&out.join("detail.parquet"), &labels)?;
        for s in &shards {
            let path = s.dir.join("detail.parquet");
            let rows = w.append_file(&path)?;
            let h = &s.partial.header;
            let expected = (h.end_run - h.first_run) * labels.state_ids.len() as u64;
            if rows != expected {
                return Err(usage(format!("{}: {rows} rows, expected {expected}", path.display())));
            }
        }
        w.finish()?;
        files.push("detail.parquet".to_string());
    }
    files.extend(batch::write_tables(out, &agg, &labels)?);
    files.push("manifest.json".to_string());

    let m0 = &shards[0].manifest;
    let manifest = Manifest {
        shard: None,
        command,
        threads: shards.iter().map(|s| s.manifest.threads).max().unwrap_or(1),
        wall_seconds: started.elapsed().as_secs_f64(),
        files: files.iter().map(export::FileEntry::named).collect(),
        run: None,
        merged_from: Some(
            shards
                .iter()
                .map(|s| MergedShard {
                    dir: s.dir.display().to_string(),
                    shard: s.shard.to_string(),
                    threads: s.manifest.threads,
                    wall_seconds: s.manifest.wall_seconds,
                    command: s.manifest.command.clone(),
                })
                .collect(),
        ),
        ..m0.clone()
    };
    let mut manifest = manifest;
    manifest.write(out)?;
    Ok(Merged {
        runs: key.runs,
        shards: shards.len() as u64,
        files,
        scenario: key.scenario,
    })
}

/// Refuse to treat a shard directory as a whole result (e.g. to plot it): its statistics are
/// only part of the batch's.
pub fn refuse_shard_dir(dir: &Path) -> Result<()> {
    let Ok(bytes) = std::fs::read(dir.join("manifest.json")) else {
        return Ok(());
    };
    match Manifest::from_json(&bytes).ok().and_then(|m| m.shard) {
        Some(shard) => Err(usage(format!(
            "{}: holds shard {shard} of a batch, not a whole result; merge the shards first (blocsim merge DIR... --out DIR)",
            dir.display()
        ))),
        None => Ok(()),
    }
}
