//! `[joint.NAME]`: sets of parameters drawn together (see [`crate::scenario::joint`]). Checked
//! before any other section, so that a parameter written `{ dist = "joint", set = "NAME" }` can be
//! checked against its set when its section is met; the keys a set lists must all be parameters
//! the scenario reads ([`Validator::check_joint_keys`], after every section).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Validator;
use crate::error::{Error, Result};
use crate::limits::MAX_DATA_BYTES;
use crate::scenario::joint::{Joint, RawJoint, Source, Transform, cholesky};

/// Rows a draws file may hold.
pub const MAX_DRAW_ROWS: usize = 1_000_000;

impl Validator {
    /// Check every set; returns the sha256 of each draws file read, by set name, for the resolved
    /// scenario.
    pub(super) fn joint_sets(&mut self, raw: &BTreeMap<String, RawJoint>, base_dir: Option<&Path>) -> Result<Vec<(String, String)>> {
        let mut pins = Vec::new();
        for (name, j) in raw {
            let key = format!("joint.{name}");
            if j.keys.is_empty() {
                return Err(self.err(&format!("{key}.keys"), "expected at least one parameter key path"));
            }
            for (i, k) in j.keys.iter().enumerate() {
                if j.keys[..i].contains(k) {
                    return Err(self.err(&format!("{key}.keys"), format!("`{k}` is listed twice")));
                }
            }
            let source = match (&j.draws, &j.mean, &j.cov) {
                (Some(file), None, None) if j.transform.is_none() => {
                    let path = match base_dir {
                        Some(dir) if file.is_relative() => dir.join(file),
                        _ => file.clone(),
                    };
                    let (rows, sha) = read_draws(&path, &j.keys)?;
                    if let Some(pinned) = &j.draws_sha256
                        && *pinned != sha
                    {
                        return Err(self.err(
                            &format!("{key}.draws_sha256"),
                            format!(
                                "{} has sha256 {sha}, not the {pinned} this scenario was written for",
                                path.display()
                            ),
                        ));
                    }
                    pins.push((name.clone(), sha));
                    Source::Rows(rows)
                }
                (None, Some(mean), Some(cov)) if j.draws_sha256.is_none() => {
                    self.normal(&key, &j.keys, mean, cov, j.transform.as_deref())?
                }
                _ => {
                    return Err(self.err(
                        &key,
                        "expected either `mean` and `cov` (with an optional `transform`) or `draws` (a CSV file with a column per key)",
                    ));
                }
            };
            self.joints.push(Joint {
                name: name.clone(),
                keys: j.keys.clone(),
                source,
            });
        }
        Ok(pins)
    }

    fn normal(&self, key: &str, keys: &[String], mean: &[f64], cov: &[Vec<f64>], transform: Option<&[String]>) -> Result<Source> {
        let n = keys.len();
        if mean.len() != n || mean.iter().any(|m| !m.is_finite()) {
            return Err(self.err(&format!("{key}.mean"), format!("expected {n} finite numbers, one per key")));
        }
        if cov.len() != n || cov.iter().any(|r| r.len() != n || r.iter().any(|v| !v.is_finite())) {
            return Err(self.err(&format!("{key}.cov"), format!("expected a {n}×{n} array of finite numbers")));
        }
        for r in 0..n {
            for c in 0..r {
                if (cov[r][c] - cov[c][r]).abs() > 1e-9 * (cov[r][r] * cov[c][c]).sqrt().max(1e-300) {
                    return Err(self.err(
                        &format!("{key}.cov"),
                        format!(
                            "not symmetric: row {} column {} differs from row {} column {}",
                            r + 1,
                            c + 1,
                            c + 1,
                            r + 1
                        ),
                    ));
                }
            }
        }
        let chol = cholesky(cov).map_err(|row| {
            self.err(
                &format!("{key}.cov"),
                format!(
                    "not positive definite (its leading {} × {} block is not; `{}` is the first key it fails at)",
                    row + 1,
                    row + 1,
                    keys[row]
                ),
            )
        })?;
        let transform = match transform {
            None => vec![Transform::Identity; n],
            Some(names) if names.len() == n => names
                .iter()
                .map(|t| {
                    Transform::parse(t).ok_or_else(|| {
                        self.err(
                            &format!("{key}.transform"),
                            format!("`{t}` is not a transform; expected one of {}", Transform::NAMES.join(", ")),
                        )
                    })
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(self.err(&format!("{key}.transform"), format!("expected {n} transforms, one per key"))),
        };
        Ok(Source::Normal {
            mean: mean.to_vec(),
            chol,
            transform,
        })
    }

    /// Every key a set lists must be a parameter of the scenario (`read` holds the keys the
    /// sections read, whatever their value).
    pub(super) fn check_joint_keys(&self) -> Result<()> {
        for j in &self.joints {
            if let Some(k) = j.keys.iter().find(|k| !self.read.contains(k.as_str())) {
                return Err(self.err(
                    &format!("joint.{}.keys", j.name),
                    format!("`{k}` is not a parameter this scenario has (write its value, e.g. `{{ dist = \"joint\", set = \"{}\" }}`, at that key)", j.name),
                ));
            }
        }
        Ok(())
    }
}

/// Read a draws file: a header with every key (other columns are ignored), then one row per draw.
fn read_draws(path: &PathBuf, keys: &[String]) -> Result<(Vec<Vec<f64>>, String)> {
    let bad = |line: usize, message: String| Error::Data {
        path: path.clone(),
        line,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    if meta.len() > MAX_DATA_BYTES {
        return Err(bad(
            0,
            format!("{} bytes; a draws file may hold at most {MAX_DATA_BYTES}", meta.len()),
        ));
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    let sha = format!("{:x}", Sha256::digest(&bytes));
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes.as_slice());
    let header = reader
        .headers()
        .map_err(|e| bad(1, format!("cannot read the header: {e}")))?
        .clone();
    let columns: Vec<usize> = keys
        .iter()
        .map(|k| {
            header.iter().position(|h| h.trim() == k).ok_or_else(|| {
                bad(
                    1,
                    format!("no column `{k}` (the header has: {})", header.iter().collect::<Vec<_>>().join(", ")),
                )
            })
        })
        .collect::<Result<_>>()?;
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| bad(line, format!("{e}")))?;
        let row = columns
            .iter()
            .zip(keys)
            .map(|(&c, k)| {
                let text = record.get(c).unwrap_or("").trim();
                text.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| bad(line, format!("`{k}`: expected a finite number, found `{text}`")))
            })
            .collect::<Result<Vec<f64>>>()?;
        rows.push(row);
        if rows.len() > MAX_DRAW_ROWS {
            return Err(bad(line, format!("more than {MAX_DRAW_ROWS} draws")));
        }
    }
    if rows.is_empty() {
        return Err(bad(1, "no draws after the header".into()));
    }
    Ok((rows, sha))
}
