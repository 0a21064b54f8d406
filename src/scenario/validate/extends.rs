//! `extends = "PARENT"`: a scenario written as changes to another one (a bundled name or a file
//! next to it), loaded with its own parents and laid under the child, with cycles refused.

use std::path::{Path, PathBuf};

use super::parse_table;
use crate::error::{Error, Result};
use crate::scenario::bundled;
use crate::scenario::locate::Locator;

/// Deepest chain of `extends` a scenario may use.
const MAX_EXTENDS: usize = 8;

/// A name for a scenario source that is the same however it is reached, for cycle detection.
pub(super) fn identity(path: &Path, bundled_name: Option<&str>) -> String {
    match bundled_name {
        Some(n) => format!("bundled:{n}"),
        None => std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string(),
    }
}

/// Resolve `extends = "PARENT"`: the parent (a bundled name, or a file relative to the child) is
/// loaded (with its own parents), then the child is laid over it: tables merge key by key, any
/// other value of the child replaces the parent's, and the child's `[[event]]`s are appended to the
/// parent's. `chain` holds the sources already on the way (for cycles) and their paths.
pub(super) fn inherit(
    path: &Path,
    text: &str,
    mut doc: toml::Table,
    base_dir: Option<&Path>,
    chain: &mut Vec<(String, PathBuf)>,
) -> Result<toml::Table> {
    let Some(parent) = doc.remove("extends") else { return Ok(doc) };
    let at = Locator::new(path.to_path_buf(), text.to_string(), Vec::new()).origin("extends");
    let fail = |message: String| Error::invalid(at.clone(), "extends", message);
    let toml::Value::String(name) = parent else {
        return Err(fail(format!(
            "expected the name or path of the scenario to build on, e.g. \"baseline\", found {}",
            parent.type_str()
        )));
    };
    let candidate = base_dir.map(|d| d.join(&name));
    let path_like = name.ends_with(".toml") || name.contains('/') || name.contains(std::path::MAIN_SEPARATOR);
    let target = match &candidate {
        Some(c) if c.is_file() || (path_like && bundled::get(&name).is_none()) => c.display().to_string(),
        _ => name.clone(),
    };
    let (ppath, ptext, pdir) = bundled::resolve(&target).map_err(|e| fail(format!("cannot load `{name}`: {e}")))?;
    let id = identity(&ppath, if pdir.is_none() { Some(target.as_str()) } else { None });
    if chain.iter().any(|(c, _)| *c == id) {
        let mut names: Vec<String> = chain.iter().map(|(_, p)| p.display().to_string()).collect();
        names.push(ppath.display().to_string());
        return Err(fail(format!("`extends` makes a cycle: {}", names.join(" -> "))));
    }
    if chain.len() > MAX_EXTENDS {
        return Err(fail(format!("more than {MAX_EXTENDS} levels of `extends`")));
    }
    chain.push((id, ppath.clone()));
    let mut own = parse_table(&ppath, &ptext)?;
    if let Some(dir) = &pdir {
        anchor_paths(&mut own, dir);
    }
    let parent = inherit(&ppath, &ptext, own, pdir.as_deref(), chain)?;
    Ok(merge(parent, doc))
}

/// The keys whose values are file paths, taken relative to the file that writes them: a parent's
/// relative paths are made to point from the parent's directory before the child is laid over it.
fn anchor_paths(doc: &mut toml::Table, dir: &Path) {
    let anchor = |v: &mut toml::Value| {
        if let toml::Value::String(p) = v
            && Path::new(p.as_str()).is_relative()
        {
            *p = dir.join(p.as_str()).display().to_string();
        }
    };
    if let Some(toml::Value::Table(world)) = doc.get_mut("world") {
        for key in ["data_dir", "vintage"] {
            world.get_mut(key).map(anchor);
        }
        if let Some(toml::Value::Table(custom)) = world.get_mut("custom") {
            for key in ["agents", "ties"] {
                custom.get_mut(key).map(anchor);
            }
        }
    }
    if let Some(toml::Value::Table(joint)) = doc.get_mut("joint") {
        for (_, set) in joint.iter_mut() {
            if let toml::Value::Table(set) = set {
                set.get_mut("draws").map(anchor);
            }
        }
    }
}

/// Lay `child` over `parent` (see [`inherit`]).
fn merge(mut parent: toml::Table, child: toml::Table) -> toml::Table {
    for (key, value) in child {
        let merged = match (parent.remove(&key), value) {
            // A distribution (`{ dist = ... }`) is one value: the child's replaces the parent's
            // whole, rather than mixing the fields of two distributions.
            (Some(toml::Value::Table(p)), toml::Value::Table(c)) if !c.contains_key("dist") => toml::Value::Table(merge(p, c)),
            (Some(toml::Value::Array(mut p)), toml::Value::Array(c)) if key == "event" => {
                p.extend(c);
                toml::Value::Array(p)
            }
            (_, c) => c,
        };
        parent.insert(key, merged);
    }
    parent
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn a_parents_relative_paths_point_from_its_own_directory() {
        let mut doc: toml::Table = toml::from_str(
            "[world]\nvintage = \"v.csv\"\ndata_dir = \"/abs\"\n[world.custom]\nties = \"t.csv\"\n[joint.s]\ndraws = \"d.csv\"\n",
        )
        .unwrap();
        anchor_paths(&mut doc, Path::new("/p"));
        assert_eq!(doc["world"]["vintage"].as_str(), Some("/p/v.csv"));
        assert_eq!(doc["world"]["data_dir"].as_str(), Some("/abs"));
        assert_eq!(doc["world"]["custom"]["ties"].as_str(), Some("/p/t.csv"));
        assert_eq!(doc["joint"]["s"]["draws"].as_str(), Some("/p/d.csv"));
    }

    #[test]
    fn a_distribution_replaces_the_parents_whole() {
        let parent: toml::Table = toml::from_str("[u]\nw = { dist = \"uniform\", low = 1, high = 2 }\n").unwrap();
        let child: toml::Table = toml::from_str("[u]\nw = { dist = \"normal\", mean = 1, sd = 0.5 }\n").unwrap();
        let m = merge(parent, child);
        let w = m["u"]["w"].as_table().unwrap();
        assert_eq!(w.keys().collect::<Vec<_>>(), ["dist", "mean", "sd"]);
    }

    #[test]
    fn extends_merges_tables_replaces_values_and_appends_events() {
        let parent: toml::Table = toml::from_str("name = \"p\"\n[a]\nx = 1\ny = [1, 2]\n[[event]]\nkind = \"one\"\n").unwrap();
        let child: toml::Table = toml::from_str("name = \"c\"\n[a]\ny = [3]\nz = 2\n[[event]]\nkind = \"two\"\n").unwrap();
        let m = merge(parent, child);
        assert_eq!(m["name"].as_str(), Some("c"));
        let a = m["a"].as_table().unwrap();
        assert_eq!(a["x"].as_integer(), Some(1));
        assert_eq!(a["y"].as_array().unwrap().len(), 1, "arrays other than events are replaced");
        assert_eq!(a["z"].as_integer(), Some(2));
        let kinds: Vec<&str> = m["event"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["one", "two"]);
    }

    #[test]
    fn a_bundled_what_if_is_the_baseline_plus_its_events() {
        let base = Scenario::load("baseline", &[]).unwrap();
        let alt = Scenario::load("dsr-surge", &[]).unwrap();
        assert_eq!(alt.name, "dsr-surge");
        assert_eq!(alt.frameworks, base.frameworks);
        assert_eq!(
            alt.uncertain, base.uncertain,
            "inherited uncertain parameters keep their order (paired draws)"
        );
        assert_eq!(alt.events.len(), base.events.len() + 3);
    }

    #[test]
    fn extends_errors_name_the_parent() {
        let e = Scenario::from_str("child.toml", "extends = \"no-such-parent\"\nname = \"c\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`extends`") && e.contains("cannot load `no-such-parent`"), "{e}");
    }
}
