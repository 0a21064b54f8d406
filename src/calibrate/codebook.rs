//! The codebook of an observed panel: what each indicator (and each of its values) says about the
//! model's cells, read from `codebook.toml` beside the panel.
//!
//! An indicator has a domain (or `all`), a use (`outcome`: its first adoption is an event the
//! likelihood explains; `covariate`: checked and kept, never predicted; `ignore`), and, per value, a
//! kind (`choice`, `designation`, `market`) and the frameworks it places the cell in (`signals`:
//! `"CN"`, `"EU|US"`, `"!CN"` for every framework but CN, or `""` for nothing). A `designation`
//! (another power decided) can never be an outcome: the codebook is refused if one is. A covariate
//! may name the membership `group` of the scenario whose affinity bonus its rows date.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Origin, Result};

/// How an indicator enters the estimation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Use {
    Outcome,
    Covariate,
    Ignore,
}

/// Who took the decision a row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Choice,
    Designation,
    Market,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Choice => "choice",
            Kind::Designation => "designation",
            Kind::Market => "market",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValue {
    signals: String,
    kind: Kind,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    domain: String,
    #[serde(rename = "use")]
    use_: Use,
    #[allow(dead_code)]
    #[serde(default)]
    note: String,
    /// For a covariate: the scenario's membership group whose affinity bonus it dates.
    #[serde(default)]
    group: Option<String>,
    values: BTreeMap<String, RawValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCodebook {
    first_year: i32,
    last_year: i32,
    indicator: BTreeMap<String, RawIndicator>,
}

/// One value of an indicator: who decided, and the set of frameworks it places the cell in (a
/// bit mask over the scenario's frameworks; 0 when it says nothing about the cell).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueCode {
    pub kind: Kind,
    pub set: u8,
}

/// What the codebook says of one indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub name: String,
    /// The domain's index in the scenario, or None for `all`.
    pub domain: Option<usize>,
    pub use_: Use,
    /// For a covariate: the membership group it dates (a state is in the group in year t when
    /// its latest row before t places it in a set; a row with an empty set ends it).
    pub group: Option<String>,
    pub values: BTreeMap<String, ValueCode>,
}

impl Indicator {
    /// The union of the sets of every value: the frameworks an adoption of any kind leads to.
    pub fn union(&self) -> u8 {
        self.values.values().fold(0, |acc, v| acc | v.set)
    }
}

/// The codebook: the panel's horizon and its indicators.
#[derive(Debug, Clone, PartialEq)]
pub struct Codebook {
    pub path: PathBuf,
    pub first_year: i32,
    pub last_year: i32,
    pub indicators: BTreeMap<String, Indicator>,
}

/// Parse a signals text (`"CN"`, `"EU|US"`, `"!CN"`, `""`) into a mask over `frameworks`.
pub fn parse_signals(text: &str, frameworks: &[String]) -> std::result::Result<u8, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    let find = |name: &str| {
        frameworks.iter().position(|f| f == name.trim()).ok_or_else(|| {
            format!(
                "framework `{}` is not one of the scenario's ({})",
                name.trim(),
                frameworks.join(", ")
            )
        })
    };
    if let Some(rest) = text.strip_prefix('!') {
        let all = (1u8 << frameworks.len()) - 1;
        return Ok(all & !(1 << find(rest)?));
    }
    let mut mask = 0;
    for part in text.split('|') {
        mask |= 1 << find(part)?;
    }
    Ok(mask)
}

impl Codebook {
    /// Read `path` against the scenario's `frameworks` and `domains`.
    pub fn load(path: &Path, frameworks: &[String], domains: &[String]) -> Result<Codebook> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text, frameworks, domains)
    }

    /// Parse the text of a codebook file.
    pub fn parse(path: &Path, text: &str, frameworks: &[String], domains: &[String]) -> Result<Codebook> {
        let origin = Origin::FileOnly { path: path.to_path_buf() };
        let raw: RawCodebook = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            Error::Syntax {
                origin: Origin::File {
                    path: path.to_path_buf(),
                    line,
                    column,
                },
                message: e.message().to_string(),
            }
        })?;
        let bad = |key: String, message: String| Error::invalid(origin.clone(), key, message);
        if raw.first_year > raw.last_year {
            return Err(bad(
                "first_year".into(),
                format!("{} is after last_year {}", raw.first_year, raw.last_year),
            ));
        }
        let mut indicators = BTreeMap::new();
        for (name, ind) in raw.indicator {
            let key = format!("indicator.{name}");
            let domain = if ind.domain == "all" {
                None
            } else {
                Some(domains.iter().position(|d| *d == ind.domain).ok_or_else(|| {
                    bad(
                        format!("{key}.domain"),
                        format!("`{}`: expected `all` or one of {}", ind.domain, domains.join(", ")),
                    )
                })?)
            };
            if ind.values.is_empty() {
                return Err(bad(format!("{key}.values"), "expected at least one value".into()));
            }
            let mut values = BTreeMap::new();
            for (value, v) in ind.values {
                let vkey = format!("{key}.values.{value}");
                let set = parse_signals(&v.signals, frameworks).map_err(|m| bad(format!("{vkey}.signals"), m))?;
                if ind.use_ == Use::Outcome && v.kind == Kind::Designation {
                    return Err(bad(
                        format!("{vkey}.kind"),
                        "a designation (another power decided) cannot be an outcome: use `covariate`".into(),
                    ));
                }
                values.insert(value, ValueCode { kind: v.kind, set });
            }
            if ind.group.is_some() && ind.use_ != Use::Covariate {
                return Err(bad(format!("{key}.group"), "only a covariate can date a group".into()));
            }
            let indicator = Indicator {
                name: name.clone(),
                domain,
                use_: ind.use_,
                group: ind.group,
                values,
            };
            if indicator.use_ == Use::Outcome {
                if domain.is_none() {
                    return Err(bad(
                        format!("{key}.domain"),
                        "an outcome needs one domain (`all` says nothing about a single cell)".into(),
                    ));
                }
                let all = (1u8 << frameworks.len()) - 1;
                if indicator.union() == 0 || indicator.union() == all {
                    return Err(bad(
                        format!("{key}.values"),
                        "an outcome's values must place the cell in some frameworks but not all".into(),
                    ));
                }
            }
            indicators.insert(name, indicator);
        }
        Ok(Codebook {
            path: path.to_path_buf(),
            first_year: raw.first_year,
            last_year: raw.last_year,
            indicators,
        })
    }
}

/// 1-based line and column of byte `at` in `text`.
pub(crate) fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.len(), |p| before.len() - p - 1) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fw() -> Vec<String> {
        vec!["EU".into(), "US".into(), "CN".into()]
    }

    #[test]
    fn signals_name_sets_of_frameworks() {
        assert_eq!(parse_signals("CN", &fw()), Ok(0b100));
        assert_eq!(parse_signals("EU|US", &fw()), Ok(0b011));
        assert_eq!(parse_signals("!CN", &fw()), Ok(0b011));
        assert_eq!(parse_signals("", &fw()), Ok(0));
        assert!(parse_signals("RU", &fw()).unwrap_err().contains("`RU`"));
    }

    #[test]
    fn a_designation_outcome_is_refused() {
        let text = "first_year = 1980\nlast_year = 2026\n[indicator.adequacy]\ndomain = \"data\"\nuse = \"outcome\"\n\
                    values = { \"1\" = { signals = \"EU\", kind = \"designation\" } }\n";
        let err = Codebook::parse(Path::new("c.toml"), text, &fw(), &["data".into()]).unwrap_err();
        assert!(err.to_string().contains("cannot be an outcome"), "{err}");
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_line() {
        let text = "first_year = 1980\nlast_year = 2026\nlast_yaer = 3\n[indicator]\n";
        let err = Codebook::parse(Path::new("c.toml"), text, &fw(), &["data".into()]).unwrap_err();
        assert!(err.to_string().starts_with("c.toml:3:"), "{err}");
    }
}
