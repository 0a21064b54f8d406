//! Jobs of the server: one at a time. Submitting an alternative checks it at once (bad input is
//! answered there, with the CLI's message), then stops the running job, which ends within one
//! chunk, and starts the new one on a thread of its own; its news goes to the event [`Hub`].
//! The last finished job can be pinned (at most [`MAX_PINS`]), and two pinned alternatives
//! compared with each other on their shared streams.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::events::{Hub, frame, frame_with_id};
use crate::commands::serve::{AlternativeSpec, Explorer, Finished, InputError, Update, error_message, pair};
use crate::compare::Comparison;
use crate::progress::Progress;

/// Most alternatives pinned at once.
pub const MAX_PINS: usize = 3;

/// A pinned alternative.
struct Pin {
    job: u64,
    name: String,
    command: String,
    finished: Arc<Finished>,
}

/// The server's jobs.
pub struct Jobs {
    /// The baseline and its cached runs.
    pub explorer: Arc<Explorer>,
    /// Where the jobs' news goes to the subscribers.
    pub hub: Arc<Hub>,
    next: AtomicU64,
    current: Mutex<Option<Arc<AtomicBool>>>,
    /// Held by the job that runs: the next one waits until the previous has stopped.
    running: Mutex<()>,
    last: Mutex<Option<(u64, String, Arc<Finished>)>>,
    pins: Mutex<Vec<Pin>>,
}

/// A job's progress: cancelled when its flag is set.
struct Flag(Arc<AtomicBool>);

impl Progress for Flag {
    fn cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Jobs {
    /// No job yet, for the baseline of `explorer`.
    pub fn new(explorer: Explorer) -> Jobs {
        Jobs {
            explorer: Arc::new(explorer),
            hub: Arc::new(Hub::default()),
            next: AtomicU64::new(1),
            current: Mutex::new(None),
            running: Mutex::new(()),
            last: Mutex::new(None),
            pins: Mutex::new(Vec::new()),
        }
    }

    /// Check an alternative and, if it is good, replace the running job with it.
    pub fn submit(self: &Arc<Self>, spec: &AlternativeSpec) -> Result<Value, InputError> {
        let alt = self.explorer.prepare(spec)?;
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let flag = Arc::new(AtomicBool::new(false));
        if let Some(old) = lock(&self.current).replace(flag.clone()) {
            old.store(true, Ordering::SeqCst);
        }
        self.hub.clear_last();
        let reply = json!({
            "job": id, "name": alt.model.scenario.name, "file": alt.file, "toml": alt.toml,
            "command": alt.command, "runs": alt.runs, "seed": alt.seed,
            "cached_baseline_runs": self.explorer.cached_runs(alt.seed, alt.runs),
        });
        let jobs = self.clone();
        std::thread::spawn(move || {
            let _turn = lock(&jobs.running);
            if flag.load(Ordering::SeqCst) {
                jobs.hub.send(frame("cancelled", &json!({"job": id}).to_string()), false);
                return;
            }
            let name = alt.model.scenario.name.clone();
            jobs.hub.send(
                frame(
                    "started",
                    &json!({"job": id, "name": name, "runs": alt.runs, "seed": alt.seed}).to_string(),
                ),
                false,
            );
            let index = state_index(&jobs.explorer);
            let mut on_update = |u: &Update| {
                jobs.hub.send(frame("progress", &progress_json(id, u, &index).to_string()), true);
            };
            match jobs.explorer.run(&alt, &Flag(flag), &mut on_update) {
                Ok(done) => {
                    let text = String::from_utf8_lossy(&done.comparison.to_json()).into_owned();
                    // Pinnable as soon as the page hears of it.
                    *lock(&jobs.last) = Some((id, alt.command.clone(), Arc::new(done)));
                    jobs.hub.send(frame_with_id("final", Some(id), text.trim_end_matches('\n')), false);
                }
                Err(e)
                    if e.downcast_ref::<crate::Error>()
                        .is_some_and(|e| matches!(e, crate::Error::Cancelled)) =>
                {
                    jobs.hub.send(frame("cancelled", &json!({"job": id}).to_string()), false);
                }
                Err(e) => {
                    jobs.hub.send(
                        frame("failed", &json!({"job": id, "message": error_message(&e)}).to_string()),
                        false,
                    );
                }
            }
        });
        Ok(reply)
    }

    /// Pin the finished job `job` (it must be the last one finished).
    pub fn pin(&self, job: u64) -> Result<Value, (u16, String)> {
        let last = lock(&self.last).clone();
        let Some((id, command, finished)) = last.filter(|l| l.0 == job) else {
            return Err((
                409,
                format!("job {job} is not the last finished job: wait for the final result, then pin it"),
            ));
        };
        let mut pins = lock(&self.pins);
        if !pins.iter().any(|p| p.job == id) {
            if pins.len() >= MAX_PINS {
                return Err((409, format!("at most {MAX_PINS} alternatives can be pinned: unpin one first")));
            }
            let name = finished.comparison.alternative.clone();
            pins.push(Pin {
                job: id,
                name,
                command,
                finished,
            });
        }
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

    /// Pinned alternative `b` against pinned alternative `a`, as `comparison.json` would say it.
    pub fn pair(&self, a: u64, b: u64) -> Result<Value, (u16, String)> {
        let pins = lock(&self.pins);
        let find = |j: u64| pins.iter().find(|p| p.job == j).ok_or((404, format!("job {j} is not pinned")));
        let (pa, pb) = (find(a)?, find(b)?);
        let c = pair(&pa.finished, &pb.finished).map_err(|e| (422, error_message(&e)))?;
        serde_json::from_slice(&c.to_json()).map_err(|e| (500, e.to_string()))
    }
}

fn pins_json(pins: &[Pin]) -> Value {
    let list: Vec<Value> = pins
        .iter()
        .map(|p| {
            let c = serde_json::from_slice::<Value>(&p.finished.comparison.to_json()).unwrap_or(Value::Null);
            json!({"job": p.job, "name": p.name, "command": p.command, "comparison": c})
        })
        .collect();
    json!({"pins": list, "max": MAX_PINS})
}

/// State id -> position in the world.
fn state_index(ex: &Explorer) -> HashMap<String, usize> {
    ex.baseline()
        .world
        .ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.to_string(), i))
        .collect()
}

fn round(x: f32) -> f64 {
    (f64::from(x) * 1e4).round() / 1e4
}

/// The `progress` event of an update.
fn progress_json(job: u64, u: &Update, index: &HashMap<String, usize>) -> Value {
    let c: &Comparison = &u.comparison;
    let comparison: Value = serde_json::from_slice(&c.to_json()).unwrap_or(Value::Null);
    let domains: Vec<String> = {
        let mut d: Vec<String> = Vec::new();
        for s in &c.states {
            if !d.contains(&s.domain) {
                d.push(s.domain.clone());
            }
        }
        d
    };
    // Per domain, per state in world order: [shift, index of the framework that gains most].
    let mut map = serde_json::Map::new();
    for d in &domains {
        let mut row = vec![json!(null); index.len()];
        for s in c.states.iter().filter(|s| &s.domain == d) {
            let gain = (0..s.baseline.len())
                .max_by(|&a, &b| (s.alternative[a] - s.baseline[a]).total_cmp(&(s.alternative[b] - s.baseline[b])))
                .unwrap_or(0);
            if let Some(&i) = index.get(&s.state) {
                row[i] = json!([(s.shift * 1e4).round() / 1e4, gain]);
            }
        }
        map.insert(d.clone(), Value::Array(row));
    }
    let bands = |b: &[[f32; 3]]| -> Value { b.iter().map(|q| json!([round(q[0]), round(q[1]), round(q[2])])).collect() };
    let rate = u.done as f64 / u.elapsed.max(1e-9);
    json!({
        "job": job, "done": u.done, "total": u.total, "elapsed": u.elapsed,
        "eta": (u.total - u.done) as f64 / rate, "provisional": u.done < u.total,
        "comparison": comparison, "map": map,
        "bands": {"baseline": bands(&u.bands.baseline), "alternative": bands(&u.bands.alternative)},
    })
}
