//! The keys of a scenario that name files (`world.data_dir`, `world.vintage`,
//! `world.custom.agents`, `world.custom.ties`, `joint.NAME.draws`, `extends`), read relative to the
//! scenario file's directory: one list, which the explorer uses to refuse an override that would
//! make it read a file, and [`portable`] to write a scenario that reads the same files from
//! anywhere.

use std::path::Path;

use crate::error::{Error, Result};

/// Whether the key path (`world.custom.agents`, `joint.tariffs.draws`) names a file.
pub fn is_file_key(key: &str) -> bool {
    let parts: Vec<&str> = key.split('.').map(|p| p.split('[').next().unwrap_or(p)).collect();
    let last = parts.last().copied().unwrap_or("");
    let parent = parts.len().checked_sub(2).map_or("", |i| parts[i]);
    matches!(last, "data_dir" | "vintage" | "draws" | "extends") || (parent == "custom" && matches!(last, "agents" | "ties"))
}

/// A resolved scenario (`Scenario::resolved`, which has no `extends`) with every relative file it
/// names made absolute against `base_dir`, the directory of the file it was read from: the text
/// then reads as the same scenario wherever it is saved.
pub fn portable(resolved: &str, base_dir: &Path) -> Result<String> {
    let bad = |e: String| Error::Usage(format!("cannot rewrite the scenario's file paths: {e}"));
    let mut doc: toml::Table = resolved.parse().map_err(|e: toml::de::Error| bad(e.to_string()))?;
    let base = std::path::absolute(base_dir).map_err(|e| bad(e.to_string()))?;
    for (key, value) in doc.iter_mut() {
        absolute_files(key, value, &base);
    }
    toml::to_string(&doc).map_err(|e| bad(e.to_string()))
}

fn absolute_files(key: &str, value: &mut toml::Value, base: &Path) {
    match value {
        toml::Value::String(s) if is_file_key(key) && Path::new(s.as_str()).is_relative() => {
            *s = base.join(s.as_str()).to_string_lossy().into_owned();
        }
        toml::Value::Table(t) => {
            for (k, v) in t.iter_mut() {
                absolute_files(&format!("{key}.{k}"), v, base);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_files_become_absolute_and_nothing_else_changes() {
        let text = "name = \"x\"\n[world]\nvintage = \"v.csv\"\ndata_dir = \"/abs/data\"\n[world.custom]\nagents = \"a.csv\"\n[joint.j]\ndraws = \"d/draws.csv\"\nnote = \"keep.csv\"\n";
        let out: toml::Table = portable(text, Path::new("/base/dir")).unwrap().parse().unwrap();
        assert_eq!(out["world"]["vintage"].as_str(), Some("/base/dir/v.csv"));
        assert_eq!(out["world"]["data_dir"].as_str(), Some("/abs/data"));
        assert_eq!(out["world"]["custom"]["agents"].as_str(), Some("/base/dir/a.csv"));
        assert_eq!(out["joint"]["j"]["draws"].as_str(), Some("/base/dir/d/draws.csv"));
        assert_eq!(out["joint"]["j"]["note"].as_str(), Some("keep.csv"));
        assert_eq!(out["name"].as_str(), Some("x"));
    }

    #[test]
    fn file_keys() {
        for k in ["world.data_dir", "world.vintage", "world.custom.ties", "joint.a.draws", "extends"] {
            assert!(is_file_key(k), "{k}");
        }
        for k in ["world.agents", "world.custom", "choice.lambda", "joint.a.keys"] {
            assert!(!is_file_key(k), "{k}");
        }
    }
}
