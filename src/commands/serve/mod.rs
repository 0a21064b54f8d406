//! `blocsim serve`'s work as library API: an [`Explorer`] holds the baseline model and a cache of
//! its runs; [`Explorer::prepare`] turns what the page sends (an [`AlternativeSpec`]: a bundled
//! what-if to start from, its events edited or switched off, `--set` overrides, runs and seed) into
//! the alternative scenario, the TOML file that exports it and the `blocsim compare` command that
//! reproduces it; [`Explorer::run`] runs the alternative on common random numbers against the
//! cached baseline chunk by chunk, reporting a provisional [`Update`] now and then.
//!
//! The alternative is validated exactly as the command line validates
//! `blocsim compare BASELINE FILE` with the exported FILE, so bad input gets the CLI's message
//! ([`error_message`]), and the final comparison is byte for byte what that command writes to
//! `comparison.json` (the paired sums of [`crate::compare::PairedSums`] do not depend on how runs
//! are chunked, and a cached baseline run is the same run recomputed).
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | the options, the [`Explorer`] and its cache of baseline runs |
//! | [`spec`] | what the page sends, checked into an [`Alternative`]; errors beside their field |
//! | [`export`] | the exported TOML and what an alternative changes |
//! | [`job`] | a job's chunked paired runs, share bands, pinned pairs |
//! | [`watch`] | one run of both scenarios, year by year |
//! | [`response`] | an outcome against one parameter's values, on common random numbers |
//!
//! The baseline's runs are cached by the sha256 of its resolved scenario, the seed and the run
//! count, filled as jobs go (a cancelled job leaves the runs it did for the next one). Nothing is
//! written to disk.

mod export;
pub mod job;
pub mod response;
pub mod spec;
pub mod watch;

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

pub use job::{Bands, Finished, Update, pair};
pub use response::ResponseSpec;
pub use spec::{Alternative, AlternativeSpec, EventEdit, InputError, error_message};
pub use watch::Trajectory;

use crate::error::Error;
use crate::model::Model;
use crate::scenario::bundled;

/// How to serve (the flags of `serve`).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeOptions {
    /// Baseline scenario file or bundled name.
    #[arg(default_value = "baseline")]
    pub scenario: String,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Address to listen on; anything but a loopback address opens the page to the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Worker threads for the runs (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Most runs one job of the server may ask for (the memory of the cached runs grows with it).
pub const MAX_SERVE_RUNS: u64 = 20_000;
/// Baseline run sets kept in the cache (by scenario sha256, seed and runs).
const CACHE_ENTRIES: usize = 4;

type CacheKey = (String, u64, u64);

/// The baseline's runs for one key, filled as jobs go. The job that fills them holds the lock for
/// its whole run; how many there are is also kept apart, so that asking never waits for that job.
#[derive(Default)]
struct Cached {
    runs: Mutex<Vec<job::Side>>,
    len: AtomicUsize,
}
type CachedRuns = Arc<Cached>;

/// The baseline and its cached runs.
pub struct Explorer {
    baseline_arg: String,
    baseline: Arc<Model>,
    sha256: String,
    pool: rayon::ThreadPool,
    threads: usize,
    cache: Mutex<Vec<(CacheKey, CachedRuns)>>,
    whatifs: Vec<WhatIf>,
}

/// A bundled what-if built on the baseline: its name, its summary, its own events as JSON.
pub type WhatIf = (String, String, Vec<Value>);

impl Explorer {
    /// Load the baseline (a file or bundled name) and start `threads` workers (None: one per core).
    pub fn new(baseline: &str, threads: Option<usize>) -> anyhow::Result<Explorer> {
        if threads == Some(0) {
            return Err(Error::Usage("--threads 0: expected at least 1".into()).into());
        }
        let model = super::load(baseline, &[])?;
        let pool = crate::batch::thread_pool(threads)?;
        let whatifs = bundled::all()
            .iter()
            .filter_map(|(name, text)| {
                let doc: toml::Table = text.parse().ok()?;
                (doc.get("extends")?.as_str()? == baseline).then(|| (name.to_string(), bundled::summary(text), spec::own_events(&doc)))
            })
            .collect();
        Ok(Explorer {
            whatifs,
            baseline_arg: baseline.to_string(),
            sha256: crate::export::sha256_hex(model.scenario.resolved.as_bytes()),
            baseline: Arc::new(model),
            threads: pool.current_num_threads(),
            pool,
            cache: Mutex::new(Vec::new()),
        })
    }

    /// The baseline model.
    pub fn baseline(&self) -> &Model {
        &self.baseline
    }

    /// The baseline as given on the command line (a bundled name or a path).
    pub fn baseline_arg(&self) -> &str {
        &self.baseline_arg
    }

    /// Worker threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The bundled what-ifs built directly on the baseline (`extends = BASELINE`), with their own
    /// events (read once, when the explorer starts).
    pub fn whatifs(&self) -> &[WhatIf] {
        &self.whatifs
    }

    /// The cached baseline runs for (seed, runs), created empty if new.
    fn cached(&self, seed: u64, runs: u64) -> CachedRuns {
        let key = (self.sha256.clone(), seed, runs);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, e)) = cache.iter().find(|(k, _)| *k == key) {
            return e.clone();
        }
        if cache.len() >= CACHE_ENTRIES {
            cache.remove(0);
        }
        let e = Arc::new(Cached::default());
        cache.push((key, e.clone()));
        e
    }

    /// Runs of the baseline already cached for (seed, runs) (without waiting for a job that is
    /// filling them).
    pub fn cached_runs(&self, seed: u64, runs: u64) -> usize {
        self.cached(seed, runs).len.load(Ordering::SeqCst)
    }
}
