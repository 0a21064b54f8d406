//! Jobs of the server. Submitting checks the request at once (bad input is answered there, with
//! the CLI's message, and nothing is queued). Each page (browser tab) owns its jobs: a tab's new
//! job cancels only that tab's earlier one, which says so in its `cancelled` event; jobs of
//! different tabs wait their turn in order (one runs at a time, on all the workers), and a
//! waiting job is told how many are ahead of it. A request without a tab counts as one tab. At
//! most [`MAX_QUEUED`] jobs run or wait at once (503 beyond).
//!
//! Finished comparisons are kept (the last [`RECENT`]) so that one can be pinned (at most
//! [`MAX_PINS`]) or one of its runs watched; two pinned alternatives are compared with each other
//! on their shared streams, with what differs between them.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

mod news;

use super::events::{Hub, frame, frame_with_id};
use super::lock;
use crate::commands::serve::response::curve_point;
use crate::commands::serve::{AlternativeSpec, Explorer, Finished, InputError, ResponseSpec, error_message, pair};
use crate::progress::Progress;
use news::progress_json;

/// Most alternatives pinned at once.
pub const MAX_PINS: usize = 3;
/// Finished comparisons kept for pinning and watching.
pub const RECENT: usize = 4;
/// Most jobs running or waiting at once (each waiting job holds a thread and its model).
pub const MAX_QUEUED: usize = 32;
/// The field of the refusal when [`MAX_QUEUED`] jobs are there (answered 503, not 422).
pub const BUSY: &str = "busy";
/// Longest tab name a page may send.
const MAX_TAB: usize = 64;

/// A finished comparison, as kept.
#[derive(Clone)]
struct Done {
    job: u64,
    name: String,
    command: String,
    changes: Vec<String>,
    sha256: String,
    finished: Arc<Finished>,
}

/// A job's cancellation: its flag and why it was set.
#[derive(Default)]
struct Ticket {
    flag: AtomicBool,
    reason: Mutex<String>,
}

impl Progress for Ticket {
    fn cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// The server's jobs.
pub struct Jobs {
    /// The baseline and its cached runs.
    pub explorer: Arc<Explorer>,
    /// Where the jobs' news goes to the subscribers.
    pub hub: Arc<Hub>,
    /// State id -> position in the world, for the map of the progress event.
    index: HashMap<String, usize>,
    next: AtomicU64,
    tabs: Mutex<HashMap<String, (u64, Arc<Ticket>)>>,
    queue: Mutex<VecDeque<u64>>,
    turn: Condvar,
    recent: Mutex<VecDeque<Done>>,
    pins: Mutex<Vec<Done>>,
}

impl Jobs {
    /// No job yet, for the baseline of `explorer`.
    pub fn new(explorer: Explorer) -> Jobs {
        let index = explorer
            .baseline()
            .world
            .ids
            .iter()
            .enumerate()
            .map(|(i, s)| (s.to_string(), i))
            .collect();
        Jobs {
            explorer: Arc::new(explorer),
            hub: Arc::new(Hub::default()),
            index,
            next: AtomicU64::new(1),
            tabs: Mutex::new(HashMap::new()),
            queue: Mutex::new(VecDeque::new()),
            turn: Condvar::new(),
            recent: Mutex::new(VecDeque::new()),
            pins: Mutex::new(Vec::new()),
        }
    }

    /// A job number and its ticket, replacing (cancelling) the earlier job of the same tab.
    fn open(&self, tab: &Option<String>, kind: &str) -> Result<(u64, Arc<Ticket>), InputError> {
        let tab = tab.clone().unwrap_or_default();
        if tab.len() > MAX_TAB || !tab.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(InputError {
                field: "tab".into(),
                message: format!("tab: expected up to {MAX_TAB} letters, digits and `-`"),
            });
        }
        let mut queue = lock(&self.queue);
        if queue.len() >= MAX_QUEUED {
            return Err(InputError {
                field: BUSY.into(),
                message: format!("{MAX_QUEUED} jobs are already running or waiting: try again when one has finished"),
            });
        }
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let ticket = Arc::new(Ticket::default());
        if let Some((_, t)) = lock(&self.tabs).insert(format!("{kind}/{tab}"), (id, ticket.clone())) {
            *lock(&t.reason) = format!("replaced by job {id}, a later request from the same page");
            t.flag.store(true, Ordering::SeqCst);
        }
        queue.push_back(id);
        Ok((id, ticket))
    }

    /// Wait until `id` is first in line; false if it was cancelled meanwhile.
    fn wait_turn(&self, id: u64, ticket: &Ticket) -> bool {
        let mut q = lock(&self.queue);
        let mut told = None;
        loop {
            if ticket.cancelled() {
                q.retain(|&j| j != id);
                self.turn.notify_all();
                return false;
            }
            let ahead = q.iter().position(|&j| j == id).unwrap_or(0);
            if ahead == 0 {
                return true;
            }
            if told != Some(ahead) {
                told = Some(ahead);
                let running = q.front().copied().unwrap_or(0);
                self.hub.send(
                    frame("queued", &json!({"job": id, "ahead": ahead, "running": running}).to_string()),
                    false,
                );
            }
            q = self
                .turn
                .wait_timeout(q, Duration::from_millis(100))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn end_turn(&self, id: u64) {
        lock(&self.tabs).retain(|_, (j, _)| *j != id);
        lock(&self.queue).retain(|&j| j != id);
        self.turn.notify_all();
    }

    fn cancelled(&self, id: u64, ticket: &Ticket) {
        let reason = lock(&ticket.reason).clone();
        self.hub
            .send(frame("cancelled", &json!({"job": id, "reason": reason}).to_string()), false);
    }

    /// Run `work` on a thread of its own when the job's turn comes; its error becomes `failed`.
    fn spawn(
        self: &Arc<Self>,
        id: u64,
        ticket: Arc<Ticket>,
        work: impl FnOnce(&Arc<Jobs>, &Ticket) -> anyhow::Result<()> + Send + 'static,
    ) {
        let jobs = self.clone();
        std::thread::spawn(move || {
            if !jobs.wait_turn(id, &ticket) {
                lock(&jobs.tabs).retain(|_, (j, _)| *j != id);
                return jobs.cancelled(id, &ticket);
            }
            match work(&jobs, &ticket) {
                Ok(()) => {}
                Err(e)
                    if e.downcast_ref::<crate::Error>()
                        .is_some_and(|e| matches!(e, crate::Error::Cancelled)) =>
                {
                    jobs.cancelled(id, &ticket)
                }
                Err(e) => jobs.hub.send(
                    frame("failed", &json!({"job": id, "message": error_message(&e)}).to_string()),
                    false,
                ),
            }
            jobs.end_turn(id);
        });
    }

    /// Check an alternative and, if it is good, queue it (replacing the tab's earlier job).
    pub fn submit(self: &Arc<Self>, spec: &AlternativeSpec) -> Result<Value, InputError> {
        let alt = self.explorer.prepare(spec)?;
        let (id, ticket) = self.open(&spec.tab, "run")?;
        self.hub.clear_last();
        let reply = json!({
            "job": id, "name": alt.model.scenario.name, "file": alt.file, "toml": alt.toml,
            "command": alt.command, "runs": alt.runs, "seed": alt.seed, "changes": alt.changes,
            "cached_baseline_runs": self.explorer.cached_runs(alt.seed, alt.runs),
        });
        self.spawn(id, ticket, move |jobs, ticket| {
            let name = alt.model.scenario.name.clone();
            let started = json!({"job": id, "name": name, "runs": alt.runs, "seed": alt.seed});
            jobs.hub.send(frame("started", &started.to_string()), false);
            let mut on_update = |u: &crate::commands::serve::Update| {
                jobs.hub
                    .send(frame("progress", &progress_json(id, u, &jobs.index).to_string()), true);
            };
            let done = jobs.explorer.run(&alt, ticket, &mut on_update)?;
            let text = String::from_utf8_lossy(&done.comparison.to_json()).into_owned();
            // Pinnable and watchable as soon as the page hears of it.
            let mut recent = lock(&jobs.recent);
            recent.push_back(Done {
                job: id,
                name,
                command: alt.command.clone(),
                changes: alt.changes.clone(),
                sha256: crate::export::sha256_hex(alt.model.scenario.resolved.as_bytes()),
                finished: Arc::new(done),
            });
            while recent.len() > RECENT {
                recent.pop_front();
            }
            drop(recent);
            jobs.hub.send(frame_with_id("final", Some(id), text.trim_end_matches('\n')), false);
            Ok(())
        });
        Ok(reply)
    }

    /// Check a response curve and, if it is good, queue it (replacing the tab's earlier curve).
    pub fn submit_response(self: &Arc<Self>, spec: &ResponseSpec) -> Result<Value, InputError> {
        let alts = self.explorer.prepare_response(spec)?;
        let (id, ticket) = self.open(&spec.alternative.tab, "response")?;
        let (key, values, total) = (spec.key.clone(), spec.values.clone(), alts.len());
        let reply = json!({"job": id, "key": key, "values": values, "runs": alts[0].runs, "seed": alts[0].seed});
        self.spawn(id, ticket, move |jobs, ticket| {
            let mut points: Vec<Value> = Vec::new();
            let mut on_point = |i: usize, c: &crate::compare::Comparison| {
                points.push(json!({"value": values[i], "outcomes": curve_point(c)}));
                let news = json!({"job": id, "key": key, "done": i + 1, "total": total, "points": points});
                jobs.hub.send(frame("response", &news.to_string()), false);
            };
            jobs.explorer.response(&alts, ticket, &mut on_point)?;
            Ok(())
        });
        Ok(reply)
    }

    /// A kept finished job.
    fn finished(&self, job: u64) -> Option<Arc<Finished>> {
        let from_recent = lock(&self.recent).iter().find(|d| d.job == job).map(|d| d.finished.clone());
        from_recent.or_else(|| lock(&self.pins).iter().find(|d| d.job == job).map(|d| d.finished.clone()))
    }

    /// Pin the finished job `job`. The same alternative (same scenario, runs and seed) pinned
    /// twice stays one pin: the answer's `duplicate_of` names it.
    pub fn pin(&self, job: u64) -> Result<Value, (u16, String)> {
        let recent = lock(&self.recent);
        let Some(d) = recent.iter().find(|d| d.job == job) else {
            return Err((
                409,
                format!("job {job} has not finished (or is older than the last {RECENT}): wait for its final result, then pin it"),
            ));
        };
        let mut pins = lock(&self.pins);
        let same =
            |p: &Done| p.sha256 == d.sha256 && p.finished.seed == d.finished.seed && p.finished.points.len() == d.finished.points.len();
        if let Some(p) = pins.iter().find(|p| same(p)) {
            let mut v = pins_json(&pins);
            v["duplicate_of"] = json!(p.job);
            return Ok(v);
        }
        if pins.len() >= MAX_PINS {
            return Err((409, format!("at most {MAX_PINS} alternatives can be pinned: unpin one first")));
        }
        pins.push(d.clone());
        Ok(pins_json(&pins))
    }

    /// Unpin `job`.
    pub fn unpin(&self, job: u64) -> Value {
        let mut pins = lock(&self.pins);
        pins.retain(|p| p.job != job);
        pins_json(&pins)
    }

    /// The pinned alternatives.
    pub fn pins(&self) -> Value {
        pins_json(&lock(&self.pins))
    }

    /// Pinned alternative `b` against pinned alternative `a`, as `comparison.json` would say it,
    /// with what each changes that the other does not (`differences`).
    pub fn pair(&self, a: u64, b: u64) -> Result<Value, (u16, String)> {
        let pins = lock(&self.pins);
        let find = |j: u64| pins.iter().find(|p| p.job == j).ok_or((404, format!("job {j} is not pinned")));
        let (pa, pb) = (find(a)?, find(b)?);
        let c = pair(&pa.finished, &pb.finished).map_err(|e| (422, error_message(&e)))?;
        let mut v: Value = serde_json::from_slice(&c.to_json()).map_err(|e| (500, e.to_string()))?;
        let only = |x: &Done, y: &Done| -> Vec<String> { x.changes.iter().filter(|c| !y.changes.contains(c)).cloned().collect() };
        v["differences"] = json!({"only_a": only(pa, pb), "only_b": only(pb, pa)});
        Ok(v)
    }

    /// Run `run` of the finished job `job`, year by year, for both scenarios.
    pub fn watch(&self, job: u64, run: u64) -> Result<Value, (u16, String)> {
        let f = self
            .finished(job)
            .ok_or((404, format!("job {job} is not a kept finished job: wait for its final result")))?;
        let t = self.explorer.watch(&f, run).map_err(|e| (400, error_message(&e)))?;
        let m = self.explorer.baseline();
        let (n, d) = (m.layout.states, m.layout.domains);
        let rows = |a: &[u8]| -> Vec<Vec<Vec<u8>>> { a.chunks(d * n).map(|year| year.chunks(n).map(<[u8]>::to_vec).collect()).collect() };
        Ok(json!({
            "job": job, "run": t.run, "runs": f.points.len(),
            "baseline": rows(&t.baseline), "alternative": rows(&t.alternative),
            "baseline_counts": t.baseline_counts, "alternative_counts": t.alternative_counts,
        }))
    }
}

fn pins_json(pins: &[Done]) -> Value {
    let list: Vec<Value> = pins
        .iter()
        .map(|p| {
            let c = serde_json::from_slice::<Value>(&p.finished.comparison.to_json()).unwrap_or(Value::Null);
            let twin = pins.iter().any(|q| q.job != p.job && q.name == p.name);
            let label = if twin {
                format!("{} (job {})", p.name, p.job)
            } else {
                p.name.clone()
            };
            json!({"job": p.job, "name": p.name, "label": label, "command": p.command, "changes": p.changes, "comparison": c})
        })
        .collect();
    json!({"pins": list, "max": MAX_PINS})
}
