//! Scenarios shipped inside the binary, found by name (`baseline`, `bench/logit-network`).

use std::path::PathBuf;

use crate::error::{Error, Result};

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The bundled scenarios: (name, TOML text), sorted by name.
pub fn all() -> &'static [(&'static str, &'static str)] {
    BUNDLED
}

/// The text of a bundled scenario.
pub fn get(name: &str) -> Option<&'static str> {
    BUNDLED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The first line of a scenario's `description` (or its first comment line), for listings.
pub fn summary(text: &str) -> String {
    let from_toml = text
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("description").and_then(|d| d.as_str()).map(str::to_string));
    from_toml
        .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_string))
        .unwrap_or_default()
}

/// Resolve a command-line SCENARIO: a readable file, else a bundled name.
/// Returns (path for messages, text, directory that relative paths in the scenario start from).
pub fn resolve(name_or_path: &str) -> Result<(PathBuf, String, Option<PathBuf>)> {
    let path = PathBuf::from(name_or_path);
    if path.is_file() {
        let too_big = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if too_big > crate::limits::MAX_SCENARIO_BYTES {
            return Err(Error::Read {
                path,
                source: std::io::Error::other(format!(
                    "the file is {}; a scenario file may be at most {}",
                    crate::limits::human(too_big),
                    crate::limits::human(crate::limits::MAX_SCENARIO_BYTES)
                )),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let dir = path.parent().map(|p| {
            if p.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                p.to_path_buf()
            }
        });
        return Ok((path, text, dir));
    }
    if let Some(text) = get(name_or_path) {
        return Ok((PathBuf::from(format!("scenarios/{name_or_path}.toml")), text.to_string(), None));
    }
    let looks_like_path = name_or_path.ends_with(".toml") || name_or_path.contains(std::path::MAIN_SEPARATOR);
    if looks_like_path {
        let source = std::fs::metadata(&path)
            .err()
            .unwrap_or_else(|| std::io::Error::other("not a regular file"));
        return Err(Error::Read { path, source });
    }
    let bundled = BUNDLED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    Err(Error::UnknownScenario {
        name: name_or_path.to_string(),
        bundled,
    })
}
