//! The one reader of the world's CSV files (countries, memberships, vintages, a custom world's
//! agents and ties): typed rows with the file and line of the first bad one.

use std::path::Path;

use crate::error::{Error, Result};

/// Read every row of a CSV text as `T`, reporting the file and line of the first bad row, the
/// column by name, what was expected and what was found.
pub(crate) fn rows<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<Vec<(usize, T)>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let bad = |line: usize, message: String| Error::Data {
        path: path.to_path_buf(),
        line,
        message,
    };
    let headers = reader.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(e.position().map_or(out.len() + 2, |p| p.line() as usize), e.to_string()))?;
        let line = record.position().map_or(out.len() + 2, |p| p.line() as usize);
        match record.deserialize::<T>(Some(&headers)) {
            Ok(row) => out.push((line, row)),
            Err(e) => {
                let csv::ErrorKind::Deserialize { err, .. } = e.kind() else {
                    return Err(bad(line, e.to_string()));
                };
                let what = match err.kind() {
                    csv::DeserializeErrorKind::ParseFloat(_) => "expected a number".to_string(),
                    csv::DeserializeErrorKind::ParseInt(_) => "expected an integer".to_string(),
                    csv::DeserializeErrorKind::ParseBool(_) => "expected true or false".to_string(),
                    other => other.to_string(),
                };
                let message = match err.field() {
                    Some(f) => format!(
                        "column `{}`: {what}, found `{}`",
                        headers.get(f as usize).unwrap_or("?"),
                        record.get(f as usize).unwrap_or("")
                    ),
                    None => what,
                };
                return Err(bad(line, message));
            }
        }
    }
    Ok(out)
}
