//! `blocsim serve`'s work as library API: an [`Explorer`] holds the baseline model and a cache of
//! its runs; [`Explorer::prepare`] turns what the page sends (an [`AlternativeSpec`]: a bundled
//! what-if to start from, its events edited or switched off, `--set` overrides, runs and seed) into
//! the alternative scenario, the TOML file that exports it and the `blocsim compare` command that
//! reproduces it; [`Explorer::run`] runs the alternative on common random numbers against the
//! cached baseline chunk by chunk, reporting a provisional [`Update`] after every chunk.
//!
//! The alternative is validated exactly as the command line validates
//! `blocsim compare BASELINE FILE --set ...` with the exported FILE, so bad input gets the CLI's
//! message ([`error_message`]), and the final comparison is byte for byte what that command writes
//! to `comparison.json` (the paired sums of [`crate::compare::PairedSums`] do not depend on how
//! runs are chunked, and a cached baseline run is the same run recomputed).
//!
//! The baseline's runs are cached by the sha256 of its resolved scenario, the seed and the run
//! count, filled as jobs go (a cancelled job leaves the runs it did for the next one). Nothing is
//! written to disk.

use std::net::IpAddr;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Deserialize;
use serde_json::Value;

use super::Progress;
use crate::compare::{Comparison, PairedSums, RunPoint};
use crate::error::{Error, Origin};
use crate::model::Model;
use crate::scenario::{bundled, overrides};

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

/// What the page asks for: the alternative and how many runs from which seed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlternativeSpec {
    /// The scenario to start from: the baseline's own name, or a bundled what-if built on it.
    pub start: String,
    /// The alternative's name (default: `start` if its events are unchanged, else `START-edit`).
    #[serde(default)]
    pub name: Option<String>,
    /// The start scenario's own events, in order, each with its switch (None: as the scenario says).
    #[serde(default)]
    pub events: Option<Vec<EventEdit>>,
    /// `--set PATH=VALUE` overrides of the alternative.
    #[serde(default)]
    pub sets: Vec<String>,
    /// Paired runs (None: the baseline's batch.runs).
    pub runs: Option<u64>,
    /// Master seed (None: the baseline's batch.seed).
    pub seed: Option<u64>,
}

/// One event of the alternative: its TOML table (as JSON) and whether it is on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventEdit {
    /// Whether the event applies.
    pub enabled: bool,
    /// The event's TOML table, as JSON.
    pub event: Value,
}

/// Bad input, with the field of the page it belongs to (`sets[2]`, `events[0]`, `runs`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// Where on the page: `sets[2]`, `events[0]`, `runs`, ...
    pub field: String,
    /// What was wrong and what was expected.
    pub message: String,
}

/// A prepared alternative: its model, its export and the command that reproduces its comparison.
pub struct Alternative {
    /// The alternative's model.
    pub model: Arc<Model>,
    /// The exported scenario file's name (`NAME.toml`) and text.
    pub file: String,
    /// The exported scenario text (the start scenario with the edits applied).
    pub toml: String,
    /// The `--set` overrides.
    pub sets: Vec<String>,
    /// Paired runs.
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// `blocsim compare BASELINE FILE --runs R --seed S [--set ...]`.
    pub command: String,
}

/// What a job keeps of one run of one scenario.
#[derive(Debug, Clone)]
pub struct Side {
    /// The paired outcomes and final alignments of the run.
    pub point: RunPoint,
    /// Share of states on each framework, per (year, domain, framework) as in [`crate::Layout::share_index`].
    pub shares: Vec<f32>,
}

impl Side {
    fn of(model: &Model, seed: u64, run: u64) -> Side {
        let o = crate::run::run_one(model, seed, run);
        let n = model.layout.states as f32;
        Side {
            point: RunPoint::of(model, &o),
            shares: o.counts.iter().map(|&c| c as f32 / n).collect(),
        }
    }
}

/// The 5%, 50% and 95% quantiles across runs of each share, per (year, domain, framework).
#[derive(Debug, Clone, PartialEq)]
pub struct Bands {
    /// The baseline's quantiles.
    pub baseline: Vec<[f32; 3]>,
    /// The alternative's quantiles.
    pub alternative: Vec<[f32; 3]>,
}

/// The state of a job after a chunk.
pub struct Update {
    /// Runs done so far.
    pub done: u64,
    /// Runs the job will do.
    pub total: u64,
    /// Seconds since the job started.
    pub elapsed: f64,
    /// The comparison of the runs done so far (final when `done == total`).
    pub comparison: Comparison,
    /// The share bands of both scenarios over the runs done so far.
    pub bands: Bands,
}

/// A finished job: what pinning keeps to compare alternatives with each other.
pub struct Finished {
    /// The alternative's model.
    pub model: Arc<Model>,
    /// Master seed of the job.
    pub seed: u64,
    /// What the job kept of each run of the alternative, in run order.
    pub sides: Vec<Side>,
    /// The final comparison.
    pub comparison: Comparison,
}

type CacheKey = (String, u64, u64);
/// The baseline's runs for one key, filled as jobs go.
type CachedRuns = Arc<Mutex<Vec<Side>>>;

/// The baseline and its cached runs.
pub struct Explorer {
    baseline_arg: String,
    baseline: Arc<Model>,
    sha256: String,
    pool: rayon::ThreadPool,
    threads: usize,
    cache: Mutex<Vec<(CacheKey, CachedRuns)>>,
}

impl Explorer {
    /// Load the baseline (a file or bundled name) and start `threads` workers (None: one per core).
    pub fn new(baseline: &str, threads: Option<usize>) -> anyhow::Result<Explorer> {
        if threads == Some(0) {
            return Err(Error::Usage("--threads 0: expected at least 1".into()).into());
        }
        let model = super::load(baseline, &[])?;
        let pool = crate::batch::thread_pool(threads)?;
        Ok(Explorer {
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

    /// The bundled what-ifs built directly on the baseline (`extends = BASELINE`), with their own events.
    pub fn whatifs(&self) -> Vec<(String, String, Vec<Value>)> {
        bundled::all()
            .iter()
            .filter_map(|(name, text)| {
                let doc: toml::Table = text.parse().ok()?;
                (doc.get("extends")?.as_str()? == self.baseline_arg).then(|| (name.to_string(), bundled::summary(text), own_events(&doc)))
            })
            .collect()
    }

    /// Build and check the alternative the page asks for.
    pub fn prepare(&self, spec: &AlternativeSpec) -> Result<Alternative, InputError> {
        let field = |f: &str, message: String| InputError { field: f.into(), message };
        let (mut doc, original) = if spec.start == self.baseline_arg || spec.start == self.baseline.scenario.name {
            let mut t = toml::Table::new();
            t.insert("extends".into(), toml::Value::String(self.baseline_arg.clone()));
            (t, Vec::new())
        } else {
            let start = self.whatifs().into_iter().find(|w| w.0 == spec.start);
            let Some(_) = start else {
                let names: Vec<String> = self.whatifs().into_iter().map(|w| w.0).collect();
                return Err(field(
                    "start",
                    format!(
                        "`{}` is not {} or a bundled what-if built on it ({})",
                        spec.start,
                        self.baseline_arg,
                        names.join(", ")
                    ),
                ));
            };
            let doc: toml::Table = bundled::get(&spec.start)
                .unwrap_or_default()
                .parse()
                .map_err(|e| field("start", format!("{e}")))?;
            let original = own_events(&doc);
            (doc, original)
        };
        let edits: Vec<EventEdit> = match &spec.events {
            Some(e) => e.clone(),
            None => original
                .iter()
                .map(|e| EventEdit {
                    enabled: true,
                    event: e.clone(),
                })
                .collect(),
        };
        let mut events = Vec::new();
        for (i, e) in edits.iter().enumerate().filter(|(_, e)| e.enabled) {
            events.push(json_to_toml(&e.event).map_err(|m| field(&format!("events[{i}]"), format!("event {}: {m}", i + 1)))?);
        }
        // Unedited: every event on and equal to the file's (2 and 2.0 are the same number), no --set.
        let unchanged = spec.sets.is_empty()
            && edits.len() == original.len()
            && edits.iter().zip(&original).all(|(e, o)| e.enabled && same_json(&e.event, o));
        let default_name = if unchanged && !original.is_empty() {
            spec.start.clone()
        } else if original.is_empty() && events.is_empty() {
            format!("{}-what-if", self.baseline.scenario.name)
        } else {
            format!("{}-edit", spec.start)
        };
        let name = spec.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or(default_name);
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(field(
                "name",
                format!("`{name}`: expected letters, digits, `-` and `_` only (it names the exported file)"),
            ));
        }
        doc.insert("name".into(), toml::Value::String(name.clone()));
        doc.remove("event");
        if !events.is_empty() {
            doc.insert("event".into(), toml::Value::Array(events));
        }
        let body = toml::to_string(&doc).map_err(|e| field("events", format!("cannot write the scenario: {e}")))?;
        let file = format!("{name}.toml");

        let mut parsed = Vec::new();
        for (i, s) in spec.sets.iter().enumerate() {
            let ov = overrides::parse(s).map_err(|e| field(&format!("sets[{i}]"), error_message(&e.into())))?;
            if let Some(key) = names_a_file(&ov.key, &ov.value) {
                return Err(field(
                    &format!("sets[{i}]"),
                    format!("error: --set {s}: `{key}` names a file, and the page may not make the server read its files"),
                ));
            }
            parsed.push(ov);
        }
        let scenario = crate::scenario::validate::from_text(Path::new(&file), &body, None, &parsed).map_err(|e| InputError {
            field: error_field(&e, spec, self.baseline.scenario.events.len()),
            message: error_message(&e.into()),
        })?;
        // A comparison pairs the baseline's states: a world stating another number of states is
        // refused before it is built (a hostile page could ask for millions).
        let stated = crate::footprint::scenario_sizes(&scenario).agents;
        let states = self.baseline.layout.states as u64;
        if stated != 0 && stated != states {
            return Err(field(
                "alternative",
                format!(
                    "error: world.synthetic.agents = {stated}: a what-if keeps the baseline's {states} states (a comparison pairs them)"
                ),
            ));
        }
        let model = crate::footprint::load_model(scenario).map_err(|e| field("alternative", error_message(&e.into())))?;
        crate::compare::check_comparable(&self.baseline, &model).map_err(|e| field("start", error_message(&e.into())))?;
        let runs = spec.runs.unwrap_or(self.baseline.scenario.batch.runs);
        if !(2..=MAX_SERVE_RUNS).contains(&runs) {
            return Err(field(
                "runs",
                format!("error: --runs {runs}: expected 2 to {MAX_SERVE_RUNS} (the server's limit)"),
            ));
        }
        crate::footprint::check_batch(&self.baseline, runs, self.threads, crate::compare::CHUNK, true)
            .map_err(|e| field("runs", error_message(&e.into())))?;
        let seed = spec.seed.unwrap_or(self.baseline.scenario.batch.seed);
        let toml = export(&doc, &parsed, &file, &model.scenario.resolved, &self.baseline_arg);
        let command = format!(
            "blocsim compare {} {file} --runs {runs} --seed {seed}",
            shell_quote(&self.baseline_arg)
        );
        Ok(Alternative {
            model: Arc::new(model),
            file,
            toml,
            sets: spec.sets.clone(),
            runs,
            seed,
            command,
        })
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
        let e = Arc::new(Mutex::new(Vec::new()));
        cache.push((key, e.clone()));
        e
    }

    /// Runs of the baseline already cached for (seed, runs).
    pub fn cached_runs(&self, seed: u64, runs: u64) -> usize {
        self.cached(seed, runs).lock().map(|v| v.len()).unwrap_or(0)
    }

    /// Run the alternative against the baseline, chunk by chunk; `on_update` after every chunk.
    /// Stops with [`Error::Cancelled`] between chunks when `progress` asks.
    pub fn run(&self, alt: &Alternative, progress: &dyn Progress, on_update: &mut dyn FnMut(&Update)) -> anyhow::Result<Finished> {
        let started = Instant::now();
        let (runs, seed) = (alt.runs, alt.seed);
        let entry = self.cached(seed, runs);
        let mut baseline = entry.lock().unwrap_or_else(|p| p.into_inner());
        let mut sums = PairedSums::new(&self.baseline, &alt.model, seed)?;
        let mut sides: Vec<Side> = Vec::with_capacity(runs as usize);
        progress.start(runs);
        let mut done = 0u64;
        while done < runs {
            let step = if done == 0 {
                2 * self.threads as u64
            } else {
                16 * self.threads as u64
            };
            let end = (done + step.max(2)).min(runs);
            let have = (baseline.len() as u64).clamp(done, end);
            let (new_base, new_alt) = self.pool.install(|| {
                rayon::join(
                    || par_sides(&self.baseline, seed, have..end),
                    || par_sides(&alt.model, seed, done..end),
                )
            });
            baseline.extend(new_base);
            for (r, a) in (done..end).zip(new_alt) {
                sums.add(&baseline[r as usize].point, &a.point);
                sides.push(a);
            }
            done = end;
            if done >= 2 {
                on_update(&Update {
                    done,
                    total: runs,
                    elapsed: started.elapsed().as_secs_f64(),
                    comparison: sums.comparison()?,
                    bands: bands(&baseline[..done as usize], &sides),
                });
            }
            crate::progress::chunk_done(progress, done)?;
        }
        Ok(Finished {
            model: alt.model.clone(),
            seed,
            comparison: sums.comparison()?,
            sides,
        })
    }
}

fn par_sides(model: &Model, seed: u64, runs: Range<u64>) -> Vec<Side> {
    use rayon::prelude::*;
    runs.into_par_iter().map(|r| Side::of(model, seed, r)).collect()
}

/// Two finished jobs compared with each other (`a` as the baseline): both ran on the same streams,
/// so their differences are paired too.
pub fn pair(a: &Finished, b: &Finished) -> anyhow::Result<Comparison> {
    if (a.seed, a.sides.len()) != (b.seed, b.sides.len()) {
        return Err(Error::Usage(format!(
            "cannot pair {} (seed {}, {} runs) with {} (seed {}, {} runs): the seed and runs must match",
            a.comparison.alternative,
            a.seed,
            a.sides.len(),
            b.comparison.alternative,
            b.seed,
            b.sides.len()
        ))
        .into());
    }
    let mut sums = PairedSums::new(&a.model, &b.model, a.seed)?;
    for (x, y) in a.sides.iter().zip(&b.sides) {
        sums.add(&x.point, &y.point);
    }
    Ok(sums.comparison()?)
}

/// Quantiles 5%, 50%, 95% of each share across the runs of both sides.
pub fn bands(baseline: &[Side], alternative: &[Side]) -> Bands {
    let q = |sides: &[Side]| -> Vec<[f32; 3]> {
        let cells = sides.first().map_or(0, |s| s.shares.len());
        let mut col = Vec::with_capacity(sides.len());
        (0..cells)
            .map(|c| {
                col.clear();
                col.extend(sides.iter().map(|s| s.shares[c]));
                col.sort_by(f32::total_cmp);
                [quantile(&col, 0.05), quantile(&col, 0.5), quantile(&col, 0.95)]
            })
            .collect()
    };
    Bands {
        baseline: q(baseline),
        alternative: q(alternative),
    }
}

/// Linear interpolation between order statistics (type 7) of sorted values.
fn quantile(sorted: &[f32], p: f64) -> f32 {
    if sorted.is_empty() {
        return f32::NAN;
    }
    let h = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    let w = (h - lo as f64) as f32;
    sorted[lo] + w * (sorted[hi] - sorted[lo])
}

/// The scenario's own `[[event]]` tables as JSON.
/// The exported scenario: every edit in the file, so that `blocsim compare BASELINE FILE` with no
/// `--set` gives the page's numbers. The compact form (`extends` the start, its events, the `--set`
/// keys written into it) when it resolves to exactly the scenario the page ran; the whole resolved
/// scenario otherwise (an override that replaces part of an inherited table, say).
fn export(doc: &toml::Table, sets: &[overrides::Override], file: &str, resolved: &str, baseline: &str) -> String {
    let head = format!(
        "# {}: a what-if on {baseline} exported by `blocsim serve`.\n# Reproduce its comparison with the command printed beside the export.\n",
        file.trim_end_matches(".toml")
    );
    let mut compact = toml::Value::Table(doc.clone());
    let applied = sets.iter().all(|ov| overrides::apply(&mut compact, ov).is_ok());
    if applied && let Ok(text) = toml::to_string(&compact) {
        let same = crate::scenario::validate::from_text(Path::new(file), &text, None, &[]).is_ok_and(|s| s.resolved == resolved);
        if same {
            return head + &text;
        }
    }
    head + "# The whole scenario, resolved: its edits do not fit in a short file that extends the start.\n" + resolved
}

/// The key path of a file that an override would make the server read (`world.data_dir`,
/// `world.vintage`, `world.custom.agents`, `world.custom.ties`, `joint.NAME.draws`, `extends`),
/// looking inside a table value too.
fn names_a_file(key: &str, value: &toml::Value) -> Option<String> {
    if crate::scenario::files::is_file_key(key) {
        return Some(key.to_string());
    }
    match value {
        toml::Value::Table(t) => t.iter().find_map(|(k, v)| names_a_file(&format!("{key}.{k}"), v)),
        toml::Value::Array(a) => a.iter().find_map(|v| names_a_file(key, v)),
        _ => None,
    }
}

/// JSON values equal as a scenario reads them: numbers by value (2 is 2.0), the rest exactly.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q)),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w))),
        _ => a == b,
    }
}

fn own_events(doc: &toml::Table) -> Vec<Value> {
    doc.get("event")
        .and_then(|e| e.as_array())
        .map(|a| a.iter().filter_map(|e| serde_json::to_value(e).ok()).collect())
        .unwrap_or_default()
}

/// A JSON value (an event table sent by the page) as TOML.
fn json_to_toml(v: &Value) -> Result<toml::Value, String> {
    Ok(match v {
        Value::Null => return Err("empty values are not allowed".into()),
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64().ok_or("a number out of range")?),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(a) => toml::Value::Array(a.iter().map(json_to_toml).collect::<Result<_, _>>()?),
        Value::Object(o) => {
            let mut t = toml::Table::new();
            for (k, x) in o {
                t.insert(k.clone(), json_to_toml(x)?);
            }
            toml::Value::Table(t)
        }
    })
}

/// Which field of the page an error of the alternative belongs to.
fn error_field(e: &Error, spec: &AlternativeSpec, parent_events: usize) -> String {
    let set_of = |text: &str| spec.sets.iter().position(|s| s == text).map(|i| format!("sets[{i}]"));
    let found = match e {
        Error::Override { text, .. } => set_of(text),
        Error::Invalid {
            origin: Origin::Override { text },
            ..
        } => set_of(text),
        Error::Invalid { key, .. } if key.starts_with("event") => {
            // The baseline's own events come first in the merged list; the page's events follow.
            let n: Option<usize> = key
                .strip_prefix("event[")
                .and_then(|r| r.split(']').next())
                .and_then(|i| i.parse().ok());
            let enabled: Vec<usize> = spec
                .events
                .as_ref()
                .map(|e| e.iter().enumerate().filter(|(_, e)| e.enabled).map(|(i, _)| i).collect())
                .unwrap_or_default();
            n.and_then(|n| n.checked_sub(parent_events))
                .and_then(|n| enabled.get(n).map(|i| format!("events[{i}]")))
                .or(Some("events".into()))
        }
        _ => None,
    };
    found.unwrap_or_else(|| "alternative".into())
}

/// The message the command line prints for an error (`error: ...` and its causes, once each).
pub fn error_message(err: &anyhow::Error) -> String {
    let mut msg = format!("error: {err}");
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !msg.contains(&cause) {
            msg.push_str(&format!(": {cause}"));
        }
    }
    msg
}

/// Quote a word for a POSIX shell when it needs it.
fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let v = [0.0f32, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), 2.0);
        assert_eq!(quantile(&v, 0.05), 0.2);
        assert_eq!(quantile(&v, 1.0), 4.0);
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn words_are_quoted_for_the_shell_when_needed() {
        assert_eq!(shell_quote("choice.lambda=2.5"), "choice.lambda=2.5");
        assert_eq!(shell_quote("a={dist=\"uniform\"}"), "'a={dist=\"uniform\"}'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
