//! Monte Carlo batches: the plan of runs, the parallel runner and the in-order reduction.
//!
//! Runs are executed in parallel with rayon, a chunk at a time; each chunk's outcomes are then
//! folded into the aggregates and streamed to the run table and the detail table strictly in run
//! order. Since every run owns its random streams and aggregation is exact integer arithmetic, the
//! bytes written do not depend on the number of threads, and memory does not grow with the number of
//! runs. A batch writing to a directory checkpoints after every chunk and can be resumed after a
//! crash ([`crate::checkpoint`]); a shard of a batch writes a mergeable partial result
//! ([`crate::partial`], merged by [`crate::merge`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::aggregate::Aggregator;
use crate::checkpoint::{self, Recovery};
use crate::error::{Error, Result};
use crate::export::{self, Manifest};
use crate::metrics::{Labels, RunOutcome};
use crate::model::Model;
use crate::partial::{BatchKey, PARTIAL_FILE, Partial, PartialHeader};
use crate::progress::{Callback, Progress, chunk_done};
use crate::run::{parts_per_run, run_within};

/// A subset of a batch's runs: shard `index` of `count` (0-based), a contiguous block of run indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Index of the shard, from 0.
    pub index: u64,
    /// Number of shards N.
    pub count: u64,
}

impl Shard {
    /// Parse `I/N` with 0 <= I < N.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || Error::Usage(format!("--shard {text}: expected I/N with 0 <= I < N, e.g. 0/4"));
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The run indices of this shard of a batch of `runs`.
    pub fn runs(&self, runs: u64) -> std::ops::Range<u64> {
        let at = |s: u64| ((u128::from(runs) * u128::from(s)) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Where `--shard auto` finds its shard: the environment of a Slurm job array or a Kubernetes
/// indexed job.
impl Shard {
    /// Resolve `--shard` text: `I/N`, `auto` or `auto/N`, reading the environment through `env`
    /// for `auto` (see [`Shard::from_env`]).
    pub fn resolve(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard> {
        match text.trim().strip_prefix("auto") {
            Some("") => Shard::from_env(env, None),
            Some(rest) => {
                let count = rest.strip_prefix('/').and_then(|n| n.trim().parse::<u64>().ok()).filter(|&n| n > 0);
                match count {
                    Some(n) => Shard::from_env(env, Some(n)),
                    None => Err(Error::Usage(format!("--shard {text}: expected I/N, auto or auto/N with N >= 1"))),
                }
            }
            None => Shard::parse(text),
        }
    }

    /// The shard of this task of a Slurm job array (`SLURM_ARRAY_TASK_ID` minus
    /// `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`; the array must be a contiguous range
    /// such as `--array=0-3` or `--array=1-4`) or of a Kubernetes indexed job
    /// (`JOB_COMPLETION_INDEX`, of `count`, which must then be given, e.g. `--shard auto/4`).
    /// `count`, when given, must agree with Slurm's.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>, count: Option<u64>) -> Result<Shard> {
        let num = |name: &str| -> Result<Option<u64>> {
            match env(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .map(Some)
                    .map_err(|_| Error::Usage(format!("--shard auto: {name}={v} is not a non-negative integer"))),
            }
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let Some(tasks) = num("SLURM_ARRAY_TASK_COUNT")?.filter(|&n| n > 0) else {
                return Err(Error::Usage(
                    "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not (Slurm 17.11 or newer sets both)".into(),
                ));
            };
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let max = num("SLURM_ARRAY_TASK_MAX")?.unwrap_or(min + tasks - 1);
            if max.checked_sub(min).map(|span| span + 1) != Some(tasks) || id < min || id > max {
                return Err(Error::Usage(format!(
                    "--shard auto: the Slurm array must be one contiguous range of task ids such as --array=0-{}, but it has {tasks} tasks with ids {min} to {max} (this task: {id})",
                    tasks - 1
                )));
            }
            if let Some(n) = count.filter(|&n| n != tasks) {
                return Err(Error::Usage(format!("--shard auto/{n}: the Slurm array has {tasks} tasks")));
            }
            return Ok(Shard {
                index: id - min,
                count: tasks,
            });
        }
        if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let Some(count) = count else {
                return Err(Error::Usage(
                    "--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes indexed job) but the number of shards is not: give it as --shard auto/N with N = the job's completions".into(),
                ));
            };
            if index >= count {
                return Err(Error::Usage(format!(
                    "--shard auto/{count}: JOB_COMPLETION_INDEX={index} is not below {count}"
                )));
            }
            return Ok(Shard { index, count });
        }
        Err(Error::Usage(
            "--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array, sbatch --array) nor JOB_COMPLETION_INDEX (a Kubernetes indexed job) is set; give the shard as I/N".into(),
        ))
    }
}

/// What a batch should do.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Runs R of the whole batch.
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (None: rayon's default, one per core).
    pub threads: Option<usize>,
    /// Only this shard's runs (None: the whole batch).
    pub shard: Option<Shard>,
    /// Write the per-run, per-state Parquet table.
    pub detail: bool,
    /// Output directory (None: keep results in memory only).
    pub out: Option<PathBuf>,
    /// The command line, for the manifest.
    pub command: Vec<String>,
}

impl BatchOptions {
    /// The run indices this batch (or shard) simulates.
    pub fn range(&self) -> std::ops::Range<u64> {
        self.shard.map_or(0..self.runs, |s| s.runs(self.runs))
    }
}

/// Result of a batch: the aggregates and how long it took.
pub struct BatchResult {
    /// Exact aggregates of the runs simulated.
    pub aggregator: Aggregator,
    /// Wall time, including earlier attempts of a resumed batch.
    pub wall_seconds: f64,
    /// Worker threads used.
    pub threads: usize,
    /// Files written into the output directory (relative names).
    pub files: Vec<String>,
    /// The run a resumed batch continued from (None: it started from its first run).
    pub resumed_at: Option<u64>,
}

/// A rayon pool of `threads` workers (None: one per core), owned by one batch or comparison so that
/// the thread count is an explicit setting rather than global state.
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads.filter(|&t| t > crate::limits::MAX_THREADS) {
        return Err(Error::Usage(format!(
            "--threads {t}: expected at most {} worker threads",
            crate::limits::MAX_THREADS
        )));
    }
    if let Some(t) = threads {
        b = b.num_threads(t);
    }
    b.build()
        .map_err(|e| Error::Usage(format!("cannot start {} threads: {e}", threads.unwrap_or(0))))
}

/// Runs handed to the thread pool at once, per thread; outcomes are reduced in order (and, when
/// writing to a directory, checkpointed) after each chunk.
pub const CHUNK: u64 = 512;

/// How a batch checkpoints and recovers (see [`crate::checkpoint`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Durability {
    /// What to do with an interrupted batch found in the output directory.
    pub recovery: Recovery,
    /// Runs per chunk, i.e. between checkpoints (None: [`CHUNK`] per thread). Results do not
    /// depend on it.
    pub chunk_runs: Option<u64>,
}

/// Run a batch, calling `progress(done)` after each chunk, and write its outputs when `out` is set;
/// refuses to overwrite an interrupted batch (see [`run_batch_durable`]).
pub fn run_batch(model: &Model, opts: &BatchOptions, progress: &(dyn Fn(u64) + Sync)) -> Result<BatchResult> {
    run_batch_durable(model, opts, &Durability::default(), progress)
}

/// Run a batch, calling `progress(done)` (runs of this batch or shard done, including those of
/// earlier attempts) after each chunk.
///
/// With an output directory, the batch checkpoints after every chunk and can be resumed after a
/// crash (`durability.recovery`); the files it finally writes are byte-identical whether it ran
/// in one go or was interrupted and resumed any number of times. A whole batch writes `runs.csv`,
/// `detail.parquet`, `summary.json`, `timeseries.csv`, `indices.csv`, `states.csv` and
/// `manifest.json`; a shard writes its `runs.csv` rows, its part of `detail.parquet`, its
/// mergeable [`partial.bin`](crate::partial) and `manifest.json`, and no tables of its own (a
/// shard's statistics are not the batch's; `blocsim merge` makes those).
pub fn run_batch_durable(
    model: &Model,
    opts: &BatchOptions,
    durability: &Durability,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<BatchResult> {
    run_batch_with(model, opts, durability, &Callback(progress))
}

/// [`run_batch_durable`] reporting to a [`Progress`], which may stop the batch between chunks
/// ([`Error::Cancelled`]; a batch writing to a directory keeps its last checkpoint, to resume).
pub fn run_batch_with(model: &Model, opts: &BatchOptions, durability: &Durability, progress: &dyn Progress) -> Result<BatchResult> {
    if opts.runs == 0 {
        return Err(Error::Usage("--runs must be at least 1".into()));
    }
    if durability.chunk_runs == Some(0) {
        return Err(Error::Usage("runs per chunk must be at least 1".into()));
    }
    let started = Instant::now();
    let pool = thread_pool(opts.threads)?;
    let threads = pool.current_num_threads();
    let chunk = durability
        .chunk_runs
        .unwrap_or_else(|| crate::footprint::runs_in_flight(&model.layout, threads, CHUNK));
    let labels = model.labels();
    let range = opts.range();
    let fresh = Aggregator::new(model.layout, labels.uncertain.len());
    let simulate = |a: u64, b: u64| -> Vec<RunOutcome> {
        let parts = parts_per_run(threads, b - a);
        pool.install(|| {
            (a..b)
                .into_par_iter()
                .map(|r| {
                    let o = run_within(model, opts.seed, r, parts);
                    progress.run_done();
                    o
                })
                .collect()
        })
    };

    let Some(dir) = &opts.out else {
        let mut agg = fresh;
        let mut start = range.start;
        while start < range.end {
            let end = (start + chunk).min(range.end);
            for o in &simulate(start, end) {
                agg.add(o);
            }
            chunk_done(progress, end - range.start)?;
            start = end;
        }
        return Ok(BatchResult {
            aggregator: agg,
            wall_seconds: started.elapsed().as_secs_f64(),
            threads,
            files: Vec::new(),
            resumed_at: None,
        });
    };

    std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.clone(), source })?;
    let key = batch_key(model, opts);
    let mut state = checkpoint::Progress::open(dir, key.clone(), range.start, &labels, fresh, durability.recovery)?;
    let before = state.wall_before();
    let mut checkpoints = 0;
    progress.advance(state.next_run() - range.start);
    while state.next_run() < range.end {
        let start = state.next_run();
        let end = (start + chunk).min(range.end);
        let outcomes = simulate(start, end);
        state.record(&outcomes, &labels, before + started.elapsed().as_secs_f64())?;
        chunk_done(progress, end - range.start)?;
        checkpoints += 1;
        stall_for_tests(&format!("checkpoint-{checkpoints}"));
    }
    progress.advance(range.end - range.start);

    // Final files, each atomically; the progress directory goes last, so a crash in here is
    // resumed by redoing these steps.
    let mut files = vec![export::outputs::RUNS.name.to_string()];
    if opts.detail {
        state.write_detail(&labels)?;
        files.push(export::outputs::DETAIL.name.to_string());
    }
    stall_for_tests("detail");
    match opts.shard {
        Some(shard) => {
            let partial = Partial {
                header: PartialHeader {
                    key,
                    first_run: range.start,
                    end_run: range.end,
                    runs_csv_bytes: state.runs_csv_bytes(),
                    labels: labels.clone(),
                },
                aggregator: state.aggregator.clone(),
            };
            debug_assert_eq!(partial.header.key.shard, Some(shard.to_string()));
            export::write_atomic(&dir.join(PARTIAL_FILE), &partial.to_bytes())?;
            files.push(PARTIAL_FILE.to_string());
        }
        None => files.extend(write_tables(dir, &state.aggregator, &labels)?),
    }
    stall_for_tests("tables");
    state.place_runs_csv()?;
    stall_for_tests("runs");
    let wall_seconds = before + started.elapsed().as_secs_f64();
    files.push(export::outputs::MANIFEST.name.to_string());
    manifest(model, opts, threads, wall_seconds, files.clone()).write(dir)?;
    stall_for_tests("manifest");
    let resumed_at = state.resumed_at;
    let aggregator = state.aggregator.clone();
    state.remove()?;
    Ok(BatchResult {
        aggregator,
        wall_seconds,
        threads,
        files,
        resumed_at,
    })
}

/// Write the aggregate tables of a whole batch into `dir` (each atomically); returns their names.
/// The tables are those of the registry [`export::outputs`].
pub fn write_tables(dir: &Path, agg: &Aggregator, labels: &Labels) -> Result<Vec<String>> {
    export::outputs::write_aggregate_tables(dir, agg, labels)
}

/// Fault injection for the crash tests: when the environment variable `BLOCSIM_TEST_STALL` names
/// `stage`, print `blocsim: stalled at <stage>` on stderr and wait forever, so that a test can kill
/// the process at exactly that point. Never set outside tests.
fn stall_for_tests(stage: &str) {
    if std::env::var_os("BLOCSIM_TEST_STALL").is_some_and(|v| v == stage) {
        eprintln!("blocsim: stalled at {stage}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

/// The identity of a batch, which its checkpoint and partial result record.
pub fn batch_key(model: &Model, opts: &BatchOptions) -> BatchKey {
    BatchKey {
        blocsim_version: env!("CARGO_PKG_VERSION").to_string(),
        stream_layout: crate::rng::STREAM_LAYOUT,
        scenario: model.scenario.name.clone(),
        scenario_sha256: export::sha256_hex(model.scenario.resolved.as_bytes()),
        seed: opts.seed,
        runs: opts.runs,
        shard: opts.shard.map(|s| s.to_string()),
        detail: opts.detail,
    }
}

/// The manifest of a batch or run.
pub fn manifest(model: &Model, opts: &BatchOptions, threads: usize, wall_seconds: f64, files: Vec<String>) -> Manifest {
    let s = &model.scenario;
    Manifest {
        blocsim_version: env!("CARGO_PKG_VERSION").to_string(),
        output_format: crate::outcomes::OUTPUT_FORMAT,
        stream_layout: crate::rng::STREAM_LAYOUT,
        scenario: s.name.clone(),
        scenario_path: s.path().display().to_string(),
        scenario_sha256: export::sha256_hex(s.resolved.as_bytes()),
        seed: opts.seed,
        runs: opts.runs,
        threads,
        shard: opts.shard.map(|s| s.to_string()),
        command: opts.command.clone(),
        wall_seconds,
        world: model.world.description.clone(),
        files: files.into_iter().map(export::FileEntry::named).collect(),
        run: None,
        merged_from: None,
    }
}

/// Refuse to write into a directory that holds files but no blocsim manifest (or interrupted batch),
/// unless `force`; see [`crate::outdir::prepare`], which also creates the directory, checks it can
/// be written and locks it until the returned lock is dropped.
pub fn check_output_dir(dir: &Path, force: bool) -> Result<crate::outdir::DirLock> {
    crate::outdir::prepare(dir, force)
}

/// The manifest of the finished batch `opts` in `dir`, if `dir` holds one: same blocsim version,
/// resolved scenario, seed, runs and shard, no interrupted attempt, and every listed file present
/// with the bytes its SHA-256 records. `--resume` then has nothing to do.
pub fn completed(model: &Model, opts: &BatchOptions, dir: &Path) -> Option<Manifest> {
    if dir.join(crate::checkpoint::PROGRESS_DIR).exists() {
        return None;
    }
    let m = Manifest::from_json(&std::fs::read(dir.join(crate::outdir::MARKER)).ok()?).ok()?;
    let key = batch_key(model, opts);
    let same = m.blocsim_version == key.blocsim_version
        && m.scenario_sha256 == key.scenario_sha256
        && m.seed == key.seed
        && m.runs == key.runs
        && m.shard == key.shard
        && m.run.is_none()
        && m.merged_from.is_none()
        && m.paths().any(|p| p == export::outputs::DETAIL.name) == key.detail;
    let intact = m.files.iter().all(|f| match &f.sha256 {
        Some(hash) => std::fs::read(dir.join(&f.path)).is_ok_and(|b| export::sha256_hex(&b) == *hash),
        None => f.path == crate::outdir::MARKER,
    });
    (same && intact).then_some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn more_threads_than_the_cap_are_refused_before_any_is_started() {
        let err = thread_pool(Some(crate::limits::MAX_THREADS + 1)).unwrap_err().to_string();
        assert!(err.contains("--threads 1025") && err.contains("at most 1024"), "{err}");
        assert_eq!(thread_pool(Some(3)).unwrap().current_num_threads(), 3);
    }

    /// Counts [`Progress::run_done`] calls and keeps the last [`Progress::advance`].
    #[derive(Default)]
    struct Counting {
        runs: std::sync::atomic::AtomicU64,
        advanced: std::sync::atomic::AtomicU64,
    }

    impl Progress for Counting {
        fn run_done(&self) {
            self.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        fn advance(&self, done: u64) {
            self.advanced.store(done, std::sync::atomic::Ordering::Relaxed);
        }
    }

    #[test]
    fn every_run_is_reported_as_it_ends_and_the_chunks_give_the_exact_count() {
        let model = crate::commands::load("baseline", &[]).unwrap();
        let opts = BatchOptions {
            runs: 37,
            seed: 1,
            threads: Some(2),
            shard: None,
            detail: false,
            out: None,
            command: Vec::new(),
        };
        let p = Counting::default();
        let durability = Durability {
            chunk_runs: Some(5),
            ..Durability::default()
        };
        run_batch_with(&model, &opts, &durability, &p).unwrap();
        assert_eq!(p.runs.into_inner(), 37);
        assert_eq!(p.advanced.into_inner(), 37);
    }

    #[test]
    fn shards_tile_the_runs() {
        for runs in [1u64, 7, 150, 1001] {
            for count in 1..=5u64 {
                let mut next = 0;
                for index in 0..count {
                    let r = Shard { index, count }.runs(runs);
                    assert_eq!(r.start, next);
                    assert!(r.end - r.start <= runs / count + 1);
                    next = r.end;
                }
                assert_eq!(next, runs);
            }
        }
    }

    #[test]
    fn shard_text_explicit_and_auto() {
        let none = env(&[]);
        assert_eq!(Shard::resolve("2/4", &none).unwrap(), Shard { index: 2, count: 4 });
        assert!(Shard::resolve("4/4", &none).is_err());
        assert!(Shard::resolve("auto/0", &none).is_err());
        assert!(Shard::resolve("autox", &none).is_err());
        // Slurm: --array=0-3 and --array=1-4 both give shards 0..4 of 4.
        let slurm0 = env(&[("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "4")]);
        assert_eq!(Shard::resolve("auto", &slurm0).unwrap(), Shard { index: 3, count: 4 });
        let slurm1 = [
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(Shard::resolve("auto", &env(&slurm1)).unwrap(), Shard { index: 0, count: 4 });
        assert_eq!(Shard::resolve("auto/4", &env(&slurm1)).unwrap(), Shard { index: 0, count: 4 });
        assert_eq!(
            Shard::resolve("auto/3", &env(&slurm1)).unwrap_err().to_string(),
            "--shard auto/3: the Slurm array has 4 tasks"
        );
        // A stepped array (--array=0-6:2) is refused: shard indices would have gaps.
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "6"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert!(Shard::resolve("auto", &env(&stepped)).is_err());
        assert_eq!(
            Shard::resolve("auto", &env(&[("SLURM_ARRAY_TASK_ID", "1")]))
                .unwrap_err()
                .to_string(),
            "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not (Slurm 17.11 or newer sets both)"
        );
        assert_eq!(
            Shard::resolve("auto", &env(&[("SLURM_ARRAY_TASK_ID", "x"), ("SLURM_ARRAY_TASK_COUNT", "4")]))
                .unwrap_err()
                .to_string(),
            "--shard auto: SLURM_ARRAY_TASK_ID=x is not a non-negative integer"
        );
        // Kubernetes indexed jobs give the index; the count comes from auto/N.
        let k8s = env(&[("JOB_COMPLETION_INDEX", "4")]);
        assert_eq!(Shard::resolve("auto/5", &k8s).unwrap(), Shard { index: 4, count: 5 });
        assert_eq!(
            Shard::resolve("auto/4", &k8s).unwrap_err().to_string(),
            "--shard auto/4: JOB_COMPLETION_INDEX=4 is not below 4"
        );
    }
}
