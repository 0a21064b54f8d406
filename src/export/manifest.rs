//! `manifest.json`: what produced an output directory.

use serde::{Deserialize, Serialize};

/// Provenance of an output directory, written as `manifest.json` (pretty JSON, keys in this order).
///
/// Fields: `blocsim_version`, `scenario` (name), `scenario_path`, `scenario_sha256` (of the
/// resolved scenario text), `seed`, `runs` (of the whole batch), `threads`, `shard` (`"I/N"` or
/// null), `command` (the command line, one string per argument), `wall_seconds`, `world` (a
/// description of the world the scenario ran on), `files` (file names written, relative to the
/// directory), `run` (the run index for `blocsim run`, null for batches), and, only in a directory
/// written by `blocsim merge`, `merged_from` (the shards it combined; then `command` and
/// `wall_seconds` are the merge's own and `threads` the largest of the shards').
///
/// Wall time and thread count vary between identical runs, which is why they live here and not in
/// the files promised to be byte-identical.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Version of blocsim that wrote the directory.
    pub blocsim_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Where the scenario was read from (a file path, or the bundled name).
    pub scenario_path: String,
    /// SHA-256 of the resolved scenario text, in lowercase hexadecimal.
    pub scenario_sha256: String,
    /// Master seed of the batch.
    pub seed: u64,
    /// Runs in the whole batch (a shard writes only its part of them).
    pub runs: u64,
    /// Worker threads used.
    pub threads: usize,
    /// `"I/N"` when this directory holds shard I of N, null for a whole batch.
    pub shard: Option<String>,
    /// The command line, one string per argument.
    pub command: Vec<String>,
    /// Wall-clock time taken, in seconds.
    pub wall_seconds: f64,
    /// Description of the world the scenario ran on.
    pub world: String,
    /// Files written into the directory, relative names.
    pub files: Vec<String>,
    /// The run index for `blocsim run`, null for batches.
    pub run: Option<u64>,
    /// The shards a merged directory was made from (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<Vec<MergedShard>>,
}

/// One shard that went into a merged output directory, as its own manifest recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedShard {
    /// The shard directory, as given to `blocsim merge`.
    pub dir: String,
    /// `"I/N"`.
    pub shard: String,
    /// Worker threads the shard used.
    pub threads: usize,
    /// Wall-clock time the shard took, in seconds.
    pub wall_seconds: f64,
    /// The shard's command line.
    pub command: Vec<String>,
}

impl Manifest {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        super::tables::json_bytes(self)
    }

    /// Parse a manifest written by [`Manifest::to_json`]; the error says what is wrong and where.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("invalid manifest: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips() {
        let m = Manifest {
            blocsim_version: "0.1.0".into(),
            scenario: "baseline".into(),
            scenario_path: "scenarios/baseline.toml".into(),
            scenario_sha256: "ab".repeat(32),
            seed: 7,
            runs: 600,
            threads: 2,
            shard: Some("0/4".into()),
            command: vec!["blocsim".into(), "batch".into()],
            wall_seconds: 1.25,
            world: "countries (193)".into(),
            files: vec!["runs.csv".into()],
            run: None,
            merged_from: None,
        };
        let json = m.to_json();
        assert!(json.ends_with(b"}\n"));
        let text = String::from_utf8(json.clone()).expect("utf-8");
        assert!(text.find("blocsim_version") < text.find("wall_seconds"));
        assert_eq!(Manifest::from_json(&json), Ok(m.clone()));
        assert!(Manifest::from_json(b"{}").is_err());
        // Only merged directories carry `merged_from`.
        assert!(!text.contains("merged_from"));
        let merged = Manifest {
            merged_from: Some(vec![MergedShard {
                dir: "shard-0".into(),
                shard: "0/4".into(),
                threads: 2,
                wall_seconds: 0.5,
                command: vec!["blocsim".into()],
            }]),
            ..m
        };
        assert_eq!(Manifest::from_json(&merged.to_json()), Ok(merged));
    }
}
