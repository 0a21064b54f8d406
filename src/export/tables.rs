//! The aggregate tables of a batch, rendered to bytes: `summary.json`, `timeseries.csv`,
//! `indices.csv` and `states.csv`. Rendering is a pure function of the [`Aggregator`]'s integer
//! state and the labels, so equal aggregates give equal bytes.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::aggregate::{Aggregator, Stats};
use crate::metrics::Labels;

/// Pretty JSON with a trailing newline.
pub(crate) fn json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    match serde_json::to_vec_pretty(value) {
        Ok(mut bytes) => {
            bytes.push(b'\n');
            bytes
        }
        // Only maps with non-string keys or failing Serialize impls can fail; none are used here.
        Err(e) => format!("{{\"error\": {}}}\n", Value::String(e.to_string())).into_bytes(),
    }
}

/// Append one CSV record to `out`, quoted exactly as the `csv` crate does by default: a field is
/// enclosed in double quotes (inner quotes doubled) when it contains a comma, a double quote, a
/// carriage return or a line feed; records end with `\n`.
pub(crate) fn push_record<S: AsRef<str>>(out: &mut Vec<u8>, fields: impl IntoIterator<Item = S>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let f = field.as_ref();
        if f.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
            out.push(b'"');
            out.extend_from_slice(f.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(f.as_bytes());
        }
    }
    out.push(b'\n');
}

/// Name `i` of `names`, or the index itself when the labels are shorter than the layout.
fn name(names: &[String], i: usize) -> String {
    names.get(i).cloned().unwrap_or_else(|| i.to_string())
}

/// Calendar year of year index `t`.
fn year(l: &Labels, t: usize) -> String {
    (i64::from(l.start_year) + t as i64).to_string()
}

fn stats_row(s: Stats) -> impl Iterator<Item = String> {
    s.values().into_iter().map(|v| v.to_string())
}

/// `summary.json`: the headline results of a batch (pretty JSON, keys in this order, trailing
/// newline): `format` ([`crate::outcomes::OUTPUT_FORMAT`]), `scenario`, `runs`, `states`,
/// `years` ([first recorded year, horizon]), then one key per outcome family of the registry
/// ([`crate::outcomes::FAMILIES`]), nested by its domain and/or framework, so that an outcome's
/// canonical name is the path of its aggregate: `final_share.cloud.US`, `fragmentation`,
/// `bloc.EU`. Most aggregates are *stats* objects, `{"mean", "sd", "p05", "p25", "p50", "p75",
/// "p95"}` across runs (sample sd; quantiles as defined in [`crate::aggregate`]); switches give
/// their `mean` per run, and `tipping_year` the lower `median` year among the runs in which the
/// framework tipped (null if none did). Values that cannot be computed (no runs) are null.
pub fn summary_json(a: &Aggregator, l: &Labels) -> Vec<u8> {
    use crate::outcomes::{FAMILIES, Over, expand};
    let lay = a.layout();
    let horizon = lay.years.saturating_sub(1);
    let mut top = Map::new();
    top.insert("format".into(), Value::from(crate::outcomes::OUTPUT_FORMAT));
    top.insert("scenario".into(), Value::from(l.scenario.clone()));
    top.insert("runs".into(), Value::from(a.runs()));
    top.insert("states".into(), Value::from(lay.states as u64));
    let start = i64::from(l.start_year);
    top.insert("years".into(), Value::from(vec![start, start + horizon as i64]));
    for f in &FAMILIES {
        let mut nested = Value::Object(Map::new());
        for o in expand(&lay, |g| g.name == f.name) {
            let path = match f.over {
                Over::World => vec![],
                Over::Domain => vec![name(&l.domains, o.domain)],
                Over::Framework => vec![name(&l.frameworks, o.framework)],
                Over::DomainFramework => vec![name(&l.domains, o.domain), name(&l.frameworks, o.framework)],
            };
            insert_at(&mut nested, &path, o.summary(a));
        }
        top.insert(f.name.into(), nested);
    }
    json_bytes(&Value::Object(top))
}

/// Put `value` at `path` inside `root` (an object), creating the objects on the way; an empty
/// path replaces `root`.
fn insert_at(root: &mut Value, path: &[String], value: Value) {
    match path.split_first() {
        None => *root = value,
        Some((head, rest)) => {
            if let Value::Object(m) = root {
                let child = m.entry(head.clone()).or_insert_with(|| Value::Object(Map::new()));
                insert_at(child, rest, value);
            }
        }
    }
}

/// `timeseries.csv`: the distribution across runs of each framework's share, year by year.
///
/// Columns: `year,domain,framework,measure,mean,sd,p05,p25,p50,p75,p95`. `measure` is
/// `count_share` (share of states) or `gdp_share` (GDP-weighted share). Rows are ordered by year,
/// domain (scenario order), framework (scenario order), then measure (`count_share` first).
pub fn timeseries_csv(a: &Aggregator, l: &Labels) -> Vec<u8> {
    let lay = a.layout();
    let mut out = Vec::new();
    push_record(&mut out, ["year", "domain", "framework", "measure"].into_iter().chain(Stats::NAMES));
    for t in 0..lay.years {
        for d in 0..lay.domains {
            for k in 0..lay.frameworks {
                for (measure, s) in [("count_share", a.count_share(t, d, k)), ("gdp_share", a.gdp_share(t, d, k))] {
                    let head = [year(l, t), name(&l.domains, d), name(&l.frameworks, k), measure.to_string()];
                    push_record(&mut out, head.into_iter().chain(stats_row(s)));
                }
            }
        }
    }
    out
}

/// `indices.csv`: the distribution across runs of the system-wide indices, year by year.
///
/// Columns: `year,index,mean,sd,p05,p25,p50,p75,p95`. `index` is `fragmentation` (trade-weighted
/// share of partner pairs on different frameworks, averaged over domains) or `hedging` (mean
/// normalised diversity of states' alignments across domains). Rows are ordered by year, then
/// `fragmentation` before `hedging`.
pub fn indices_csv(a: &Aggregator, l: &Labels) -> Vec<u8> {
    let lay = a.layout();
    let mut out = Vec::new();
    push_record(&mut out, ["year", "index"].into_iter().chain(Stats::NAMES));
    for t in 0..lay.years {
        for (index, s) in [("fragmentation", a.fragmentation(t)), ("hedging", a.hedging(t))] {
            push_record(&mut out, [year(l, t), index.to_string()].into_iter().chain(stats_row(s)));
        }
    }
    out
}

/// `states.csv`: where each state ends up, domain by domain.
///
/// Columns: `state,name,domain,p_<framework>` (one per framework, in scenario order)`,modal`.
/// `p_<framework>` is the share of runs in which the state is aligned with that framework in that
/// domain at the horizon; `modal` is the framework with the highest probability (ties: the first
/// in scenario order). Rows are ordered by state (world order), then domain (scenario order).
pub fn states_csv(a: &Aggregator, l: &Labels) -> Vec<u8> {
    let lay = a.layout();
    let mut out = Vec::new();
    let header = ["state".to_string(), "name".to_string(), "domain".to_string()]
        .into_iter()
        .chain((0..lay.frameworks).map(|k| format!("p_{}", name(&l.frameworks, k))))
        .chain(["modal".to_string()]);
    push_record(&mut out, header);
    for i in 0..lay.states {
        for d in 0..lay.domains {
            let head = [name(&l.state_ids, i), name(&l.state_names, i), name(&l.domains, d)];
            let probs = (0..lay.frameworks).map(|k| a.state_probability(d, i, k).to_string());
            let modal = name(&l.frameworks, a.modal_framework(d, i));
            push_record(&mut out, head.into_iter().chain(probs).chain([modal]));
        }
    }
    out
}
