//! What an alternative exports and what it changes: the TOML file that, alone, reproduces the
//! page's comparison with `blocsim compare BASELINE FILE --runs R --seed S`, and the list of plain
//! sentences that says how the alternative differs from the baseline (shown with pinned results,
//! and compared between two of them).

use std::path::Path;

use serde_json::Value;

use crate::scenario::overrides;

/// The exported scenario: every edit in the file, so that `blocsim compare BASELINE FILE` with no
/// `--set` gives the page's numbers. The compact form (`extends` the start, its events, the `--set`
/// keys written into it) when it resolves to exactly the scenario the page ran; the whole resolved
/// scenario otherwise (an override that replaces part of an inherited table, say).
pub(super) fn toml(doc: &toml::Table, sets: &[overrides::Override], file: &str, resolved: &str, baseline: &str) -> String {
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
pub(super) fn names_a_file(key: &str, value: &toml::Value) -> Option<String> {
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
pub(super) fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q)),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w))),
        _ => a == b,
    }
}

/// An event in a few words: its kind and what it acts on.
fn label(i: usize, ev: &Value) -> String {
    let get = |k: &str| ev.get(k).and_then(Value::as_str);
    let kind = get("kind").unwrap_or("event").replace('_', " ");
    match get("path").or(get("framework")) {
        Some(on) => format!("event {} ({kind} {on})", i + 1),
        None => format!("event {} ({kind})", i + 1),
    }
}

fn text(v: Option<&Value>) -> String {
    v.map_or_else(|| "(none)".into(), |v| v.to_string().replace('"', ""))
}

/// What the alternative changes from the baseline, one plain sentence each: the start scenario,
/// each of its events switched off, edited (key by key), removed or added, and each `--set`.
/// Nothing but a start what-if left as it ships gives only "starts from START".
pub(super) fn changes(start: &str, baseline: &str, original: &[Value], edits: &[super::EventEdit], sets: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    if start != baseline {
        out.push(format!("starts from {start}"));
    }
    for i in 0..original.len().max(edits.len()) {
        match (original.get(i), edits.get(i)) {
            (Some(o), None) => out.push(format!("{} removed", label(i, o))),
            (Some(o), Some(e)) if !e.enabled => out.push(format!("{} off", label(i, o))),
            (Some(o), Some(e)) => {
                let (Some(a), Some(b)) = (o.as_object(), e.event.as_object()) else {
                    continue;
                };
                let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let (x, y) = (a.get(k), b.get(k));
                    if !matches!((x, y), (Some(x), Some(y)) if same_json(x, y)) {
                        out.push(format!("{}: {k} {} → {}", label(i, o), text(x), text(y)));
                    }
                }
            }
            (None, Some(e)) if e.enabled => out.push(format!("{} added", label(i, &e.event))),
            _ => {}
        }
    }
    out.extend(sets.iter().map(|s| match s.split_once('=') {
        Some((k, v)) => format!("{} = {}", k.trim(), v.trim()),
        None => s.clone(),
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::serve::EventEdit;
    use serde_json::json;

    #[test]
    fn changes_name_each_edit_and_nothing_else() {
        let original = vec![
            json!({"kind": "set", "year": 2026, "path": "choice.lambda", "value": 2.0}),
            json!({"kind": "export_control", "year": 2027, "framework": "US", "penalty": 0.5}),
        ];
        let same: Vec<EventEdit> = original
            .iter()
            .map(|e| EventEdit {
                enabled: true,
                event: e.clone(),
            })
            .collect();
        assert_eq!(changes("w", "baseline", &original, &same, &[]), ["starts from w"]);
        let mut edited = same.clone();
        edited[0].event["value"] = json!(2);
        edited[1].enabled = false;
        assert_eq!(
            changes("w", "baseline", &original, &edited, &[]),
            ["starts from w", "event 2 (export control US) off"]
        );
        edited[0].event["year"] = json!(2028);
        let got = changes("w", "baseline", &original, &edited, &["choice.lambda = 2.5".into()]);
        assert_eq!(
            got,
            [
                "starts from w",
                "event 1 (set choice.lambda): year 2026 → 2028",
                "event 2 (export control US) off",
                "choice.lambda = 2.5"
            ]
        );
        assert!(changes("baseline", "baseline", &[], &[], &[]).is_empty());
    }
}
