//! `manifest.json`: what produced an output directory.

use serde::{Deserialize, Serialize};

/// The manifest's file name: its presence marks a blocsim output directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Provenance of an output directory, written as `manifest.json` (pretty JSON, keys in this order).
///
/// Fields: `blocsim_version`, `output_format`, `stream_layout`, `scenario` (name), `scenario_path`, `scenario_sha256` (of the
/// resolved scenario text), `seed`, `runs` (of the whole batch), `threads`, `shard` (`"I/N"` or
/// null), `command` (the command line, one string per argument), `wall_seconds`, `world` (a
/// description of the world the scenario ran on), `files` (every file written, relative to the
/// directory, as `{"path", "sha256"}`: tables, charts and `report.html` with the SHA-256 of their
/// bytes, and `manifest.json` itself with null), `run` (the run index for `blocsim run`, null for batches), and, only in a directory
/// written by `blocsim merge`, `merged_from` (the shards it combined; then `command` and
/// `wall_seconds` are the merge's own and `threads` the largest of the shards').
///
/// Wall time and thread count vary between identical runs, which is why they live here and not in
/// the files promised to be byte-identical.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Version of blocsim that wrote the directory.
    pub blocsim_version: String,
    /// Version of the output files' names and layout ([`crate::outcomes::OUTPUT_FORMAT`]); 1 in
    /// manifests written before it was recorded.
    #[serde(default = "first_output_format")]
    pub output_format: u32,
    /// Layout of the random streams ([`crate::rng::STREAM_LAYOUT`]); 1 in manifests written before
    /// it was recorded.
    #[serde(default = "first_stream_layout")]
    pub stream_layout: u32,
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
    /// Files written into the directory, relative names, with their SHA-256.
    pub files: Vec<FileEntry>,
    /// The run index for `blocsim run`, null for batches.
    pub run: Option<u64>,
    /// The shards a merged directory was made from (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<Vec<MergedShard>>,
}

/// One file of an output directory, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "EntryText")]
pub struct FileEntry {
    /// Path relative to the output directory (`runs.csv`, `plots/fan_gdp_ai.svg`).
    pub path: String,
    /// SHA-256 of the file's bytes, lowercase hexadecimal; null for `manifest.json` itself (and
    /// until [`Manifest::write`] hashes the file).
    pub sha256: Option<String>,
}

impl FileEntry {
    /// An entry for `path`, not hashed yet.
    pub fn named(path: impl Into<String>) -> FileEntry {
        FileEntry {
            path: path.into(),
            sha256: None,
        }
    }
}

/// A file entry as read: an object, or a bare name (manifests written before files were hashed).
#[derive(Deserialize)]
#[serde(untagged)]
enum EntryText {
    Name(String),
    Entry { path: String, sha256: Option<String> },
}

impl From<EntryText> for FileEntry {
    fn from(e: EntryText) -> FileEntry {
        match e {
            EntryText::Name(path) => FileEntry { path, sha256: None },
            EntryText::Entry { path, sha256 } => FileEntry { path, sha256 },
        }
    }
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

    /// The listed paths, in order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|f| f.path.as_str())
    }

    /// Set the file list to `paths` (each hashed by [`Manifest::write`]).
    pub fn set_files<S: Into<String>>(&mut self, paths: impl IntoIterator<Item = S>) {
        self.files = paths.into_iter().map(FileEntry::named).collect();
    }

    /// Hash every listed file not hashed yet as it is now in `dir` (all but `manifest.json`), then
    /// write `dir/manifest.json` atomically.
    pub fn write(&mut self, dir: &std::path::Path) -> crate::error::Result<()> {
        for f in &mut self.files {
            f.sha256 = if f.path == MANIFEST_FILE {
                None
            } else if let Some(hash) = f.sha256.take() {
                Some(hash)
            } else {
                let path = dir.join(&f.path);
                let bytes = std::fs::read(&path).map_err(|source| crate::error::Error::Read { path, source })?;
                Some(super::sha256_hex(&bytes))
            };
        }
        super::write_atomic(&dir.join(MANIFEST_FILE), &self.to_json())
    }

    /// Parse a manifest written by [`Manifest::to_json`]; the error says what is wrong and where.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("invalid manifest: {e}"))
    }
}

/// The output format of manifests that do not record one.
fn first_output_format() -> u32 {
    1
}

/// The stream layout of manifests that do not record one.
fn first_stream_layout() -> u32 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips() {
        let m = Manifest {
            blocsim_version: "0.1.0".into(),
            output_format: crate::outcomes::OUTPUT_FORMAT,
            stream_layout: crate::rng::STREAM_LAYOUT,
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
            files: vec![FileEntry {
                path: "runs.csv".into(),
                sha256: Some("cd".repeat(32)),
            }],
            run: None,
            merged_from: None,
        };
        let json = m.to_json();
        assert!(json.ends_with(b"}\n"));
        let text = String::from_utf8(json.clone()).expect("utf-8");
        assert!(text.find("blocsim_version") < text.find("wall_seconds"));
        assert_eq!(Manifest::from_json(&json), Ok(m.clone()));
        assert!(Manifest::from_json(b"{}").is_err());
        // Manifests written before files were hashed list bare names.
        let old = text.replace(
            "{\n      \"path\": \"runs.csv\",\n      \"sha256\": \"cdcd",
            "\"runs.csv\", {\"path\": \"x\", \"sha256\": \"cdcd",
        );
        assert_ne!(old, text);
        let m_old = Manifest::from_json(old.as_bytes()).expect("old file list");
        assert_eq!(m_old.files[0], FileEntry::named("runs.csv"));
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
