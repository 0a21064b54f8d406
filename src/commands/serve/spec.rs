//! What the page sends ([`AlternativeSpec`]) and its check into an [`Alternative`]: the start
//! scenario with the page's events and `--set` lines, validated as `blocsim compare BASELINE FILE`
//! validates the exported FILE. Every error names the field of the page it belongs to
//! (`runs`, `seed`, `sets[2]`, `events[1]`, `name`, `start`, `alternative`), so the page shows it
//! beside that field.

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::{Explorer, MAX_SERVE_RUNS, export};
use crate::error::{Error, Origin};
use crate::model::Model;
use crate::scenario::{bundled, overrides};

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
    /// Paired runs (None: the baseline's batch.runs); checked here, so that `2.5` or `"ten"` is
    /// answered beside the field rather than as a malformed request.
    #[serde(default)]
    pub runs: Option<Value>,
    /// Master seed (None: the baseline's batch.seed), checked as `runs`.
    #[serde(default)]
    pub seed: Option<Value>,
    /// The page (browser tab) that asks: a tab's new job replaces only that tab's earlier one.
    #[serde(default)]
    pub tab: Option<String>,
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

fn field(f: &str, message: String) -> InputError {
    InputError { field: f.into(), message }
}

/// A prepared alternative: its model, its export and the command that reproduces its comparison.
pub struct Alternative {
    /// The alternative's model.
    pub model: Arc<Model>,
    /// The exported scenario file's name (`NAME.toml`).
    pub file: String,
    /// The exported scenario text (the start scenario with every edit applied).
    pub toml: String,
    /// The `--set` overrides.
    pub sets: Vec<String>,
    /// What the alternative changes from the baseline, one plain sentence each.
    pub changes: Vec<String>,
    /// Paired runs.
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// `blocsim compare BASELINE FILE --runs R --seed S`.
    pub command: String,
}

impl Explorer {
    /// Build and check the alternative the page asks for. The cheap checks (runs, seed, start,
    /// name, `--set` syntax) come before anything is built.
    pub fn prepare(&self, spec: &AlternativeSpec) -> Result<Alternative, InputError> {
        let runs = match whole(&spec.runs, "runs", 2, MAX_SERVE_RUNS)? {
            Some(r) => r,
            None => whole(&Some(self.baseline.scenario.batch.runs.into()), "runs", 2, MAX_SERVE_RUNS)?.unwrap_or(2),
        };
        let seed = whole(&spec.seed, "seed", 0, u64::MAX)?.unwrap_or(self.baseline.scenario.batch.seed);
        let (mut doc, original) = self.start_doc(&spec.start)?;
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
        let changes = export::changes(&spec.start, &self.baseline_arg, &original, &edits, &spec.sets);
        let name = self.name(spec, &original, &events, &changes)?;
        doc.insert("name".into(), toml::Value::String(name.clone()));
        doc.remove("event");
        if !events.is_empty() {
            doc.insert("event".into(), toml::Value::Array(events));
        }
        let body = toml::to_string(&doc).map_err(|e| field("events", format!("cannot write the scenario: {e}")))?;
        let file = format!("{name}.toml");
        let parsed = parse_sets(&spec.sets)?;
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
        // Names (states, groups) are checked against the world as the model is built: an unknown
        // state in an event is shown beside that event too.
        let model = crate::footprint::load_model(scenario).map_err(|e| InputError {
            field: error_field(&e, spec, self.baseline.scenario.events.len()),
            message: error_message(&e.into()),
        })?;
        crate::compare::check_comparable(&self.baseline, &model).map_err(|e| field("start", error_message(&e.into())))?;
        crate::footprint::check_batch(&self.baseline, runs, self.threads, crate::compare::CHUNK, true)
            .map_err(|e| field("runs", error_message(&e.into())))?;
        let toml = export::toml(&doc, &parsed, &file, &model.scenario.resolved, &self.baseline_arg);
        let command = format!(
            "blocsim compare {} {file} --runs {runs} --seed {seed}",
            shell_quote(&self.baseline_arg)
        );
        Ok(Alternative {
            model: Arc::new(model),
            file,
            toml,
            sets: spec.sets.clone(),
            changes,
            runs,
            seed,
            command,
        })
    }

    /// The start scenario's table (the baseline: a bare `extends`) and its own events.
    fn start_doc(&self, start: &str) -> Result<(toml::Table, Vec<Value>), InputError> {
        if start == self.baseline_arg || start == self.baseline.scenario.name {
            let mut t = toml::Table::new();
            t.insert("extends".into(), toml::Value::String(self.baseline_arg.clone()));
            return Ok((t, Vec::new()));
        }
        if !self.whatifs().iter().any(|w| w.0 == start) {
            let names: Vec<&str> = self.whatifs().iter().map(|w| w.0.as_str()).collect();
            return Err(field(
                "start",
                format!(
                    "`{start}` is not {} or a bundled what-if built on it ({})",
                    self.baseline_arg,
                    names.join(", ")
                ),
            ));
        }
        let doc: toml::Table = bundled::get(start)
            .unwrap_or_default()
            .parse()
            .map_err(|e| field("start", format!("{e}")))?;
        let original = own_events(&doc);
        Ok((doc, original))
    }

    /// The alternative's name: the page's, else the start's when nothing changed, else `START-edit`.
    fn name(&self, spec: &AlternativeSpec, original: &[Value], events: &[toml::Value], changes: &[String]) -> Result<String, InputError> {
        let unchanged = changes.iter().all(|c| c.starts_with("starts from"));
        let default_name = if unchanged && !original.is_empty() {
            spec.start.clone()
        } else if original.is_empty() && events.is_empty() {
            format!("{}-what-if", self.baseline.scenario.name)
        } else {
            format!("{}-edit", spec.start)
        };
        let name = spec.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or(default_name);
        if name.len() > 80 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(field(
                "name",
                format!("`{name}`: expected up to 80 letters, digits, `-` and `_` (it names the exported file)"),
            ));
        }
        Ok(name)
    }
}

/// A whole number in `low..=high` from the page, or None when absent.
fn whole(v: &Option<Value>, name: &str, low: u64, high: u64) -> Result<Option<u64>, InputError> {
    let Some(v) = v else { return Ok(None) };
    // Digits in a string too: a page's numbers are exact only up to 2^53, seeds go to 2^64 − 1.
    let n = v.as_u64().or_else(|| {
        v.as_str()
            .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse().ok())
    });
    match n {
        Some(n) if (low..=high).contains(&n) => Ok(Some(n)),
        _ => {
            let range = if high == u64::MAX {
                format!("{low} or more")
            } else {
                format!("from {low} to {high}")
            };
            let limit = if name == "runs" { " (the server's limit)" } else { "" };
            Err(field(name, format!("{name}: expected a whole number {range}{limit}, not {v}")))
        }
    }
}

/// Parse the `--set` lines, refusing any that would make the server read a file.
fn parse_sets(sets: &[String]) -> Result<Vec<overrides::Override>, InputError> {
    let mut parsed = Vec::new();
    for (i, s) in sets.iter().enumerate() {
        let ov = overrides::parse(s).map_err(|e| field(&format!("sets[{i}]"), error_message(&e.into())))?;
        if let Some(key) = export::names_a_file(&ov.key, &ov.value) {
            return Err(field(
                &format!("sets[{i}]"),
                format!("error: --set {s}: `{key}` names a file, and the page may not make the server read its files"),
            ));
        }
        parsed.push(ov);
    }
    Ok(parsed)
}

/// The scenario's own `[[event]]` tables as JSON.
pub(crate) fn own_events(doc: &toml::Table) -> Vec<Value> {
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

/// Which field of the page an error of the alternative belongs to: the `--set` line that wrote
/// the key (also when the key is unknown, which the scenario reports against the file), the event
/// of the page's list, else the alternative as a whole.
fn error_field(e: &Error, spec: &AlternativeSpec, parent_events: usize) -> String {
    let set_of = |text: &str| spec.sets.iter().position(|s| s == text).map(|i| format!("sets[{i}]"));
    let set_with_key = |key: &str| {
        spec.sets.iter().position(|s| {
            let k = s.split_once('=').map_or(s.as_str(), |(k, _)| k).trim();
            k == key || k.starts_with(&format!("{key}.")) || key.starts_with(&format!("{k}."))
        })
    };
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
        Error::Invalid { key, .. } => set_with_key(key).map(|i| format!("sets[{i}]")),
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
    fn words_are_quoted_for_the_shell_when_needed() {
        assert_eq!(shell_quote("choice.lambda=2.5"), "choice.lambda=2.5");
        assert_eq!(shell_quote("a={dist=\"uniform\"}"), "'a={dist=\"uniform\"}'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn runs_and_seeds_are_whole_numbers_named_by_their_field() {
        let n = |v: Value| whole(&Some(v), "runs", 2, 20_000);
        assert_eq!(n(Value::from(300)), Ok(Some(300)));
        assert_eq!(whole(&None, "runs", 2, 20_000), Ok(None));
        for bad in [
            Value::from(2.5),
            Value::from(1),
            Value::from(-3),
            Value::from("ten"),
            Value::from(20_001),
        ] {
            let e = n(bad.clone()).unwrap_err();
            assert_eq!(e.field, "runs");
            assert!(
                e.message
                    .contains(&format!("expected a whole number from 2 to 20000 (the server's limit), not {bad}")),
                "{e:?}"
            );
        }
        assert_eq!(
            whole(&Some(Value::from("18446744073709551615")), "seed", 0, u64::MAX),
            Ok(Some(u64::MAX))
        );
        let e = whole(&Some(Value::from(-1)), "seed", 0, u64::MAX).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("seed", "seed: expected a whole number 0 or more, not -1")
        );
    }
}
