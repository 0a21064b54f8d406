//! The `progress` event of a job: the provisional comparison, the map of shifts (per domain, per
//! state in world order: the shift and the framework that gains most) and the share bands.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::commands::serve::Update;
use crate::compare::Comparison;

fn round(x: f32) -> f64 {
    (f64::from(x) * 1e4).round() / 1e4
}

/// The `progress` event of an update.
pub(crate) fn progress_json(job: u64, u: &Update, index: &HashMap<String, usize>) -> Value {
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
