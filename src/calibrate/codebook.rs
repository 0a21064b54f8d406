//! The codebook of an observed panel: what each indicator (and each of its values) says about the
//! model's cells, read from `codebook.toml` beside the panel.
//!
//! An indicator has a domain (or `all`), a use (`outcome`: its first adoption is an event the
//! likelihood explains; `covariate`: checked and kept, never predicted; `ignore`), and, per value, a
//! kind (`choice`, `designation`, `market`) and the frameworks it places the cell in (`signals`:
//! `"CN"`, `"EU|US"`, `"!CN"` for every framework but CN, or `""` for nothing). A `designation`
//! (another power decided) can never be an outcome: the codebook is refused if one is. A covariate
//! may name the membership `group` of the scenario whose affinity bonus its rows date.
//!
//! An outcome declares its **coverage**, what the panel is complete for: `"presence"` (a row says
//! that the act happened; a missing row says nothing) or `{ states = [...], except = [...],
//! years = [FROM, TO] }` (for those states and years every act is in the panel, so a year without
//! a row is a year without an act). Cells outside coverage are unobserved, never non-adoptions. An
//! outcome may also declare an observation layer, `detection = δ`: its rows are acts that happen at
//! the yearly rate δ while the cell is in the value's set (a law passed, a region opened), not the
//! alignment itself; `calibrate --free detect.INDICATOR` estimates δ.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Origin, Result};
use crate::scenario::Selector;

/// How an indicator enters the estimation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Use {
    /// Its acts are what the likelihood explains.
    Outcome,
    /// It dates a membership group of the scenario (a designation by another power).
    Covariate,
    /// Its rows are read and counted, nothing more.
    Ignore,
}

/// Who took the decision a row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The state's government chose.
    Choice,
    /// Another power decided (an adequacy decision, a court ruling); never an outcome.
    Designation,
    /// Firms chose under the state's rules (an operator's contract, a cloud region).
    Market,
}

impl Kind {
    /// The name written in the codebook.
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
    #[serde(default)]
    coverage: Option<RawCoverage>,
    #[serde(default)]
    detection: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawCoverage {
    Word(String),
    Complete(RawComplete),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComplete {
    states: Vec<String>,
    #[serde(default)]
    except: Vec<String>,
    years: [i32; 2],
}

/// What the panel is complete for, for one outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Coverage {
    /// Rows say that acts happened; no row says nothing.
    Presence,
    /// Every act of the selected states in `from..=to` is in the panel.
    Complete {
        /// The states covered.
        states: Selector,
        /// First year covered.
        from: i32,
        /// Last year covered.
        to: i32,
    },
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
    /// Who decided.
    pub kind: Kind,
    /// The frameworks the value places the cell in, as a bit mask.
    pub set: u8,
}

/// What the codebook says of one indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Indicator name, the key of `[indicator.NAME]`.
    pub name: String,
    /// The domain's index in the scenario, or None for `all`.
    pub domain: Option<usize>,
    /// How it enters the estimation (`use`).
    pub use_: Use,
    /// For a covariate: the membership group it dates (a state is in the group in year t when
    /// its latest row before t places it in a set; a row with an empty set ends it).
    pub group: Option<String>,
    /// Per value written in the panel, what it means.
    pub values: BTreeMap<String, ValueCode>,
    /// For an outcome: what the panel is complete for (covariates and ignored rows: presence).
    pub coverage: Coverage,
    /// For an outcome with an observation layer: δ, the yearly rate of its act while the cell is in
    /// the value's set.
    pub detection: Option<f64>,
    /// Where the indicator's coverage is written (`file:line:column`), for errors found against
    /// the world.
    pub coverage_origin: Origin,
}

impl Codebook {
    /// The outcomes with an observation layer, (name, δ), in name order: the index of one is its
    /// layer's index in `detect.NAME` targets.
    pub fn layers(&self) -> Vec<(String, f64)> {
        self.indicators
            .values()
            .filter(|i| i.use_ == Use::Outcome)
            .filter_map(|i| i.detection.map(|d| (i.name.clone(), d)))
            .collect()
    }
}

impl Indicator {
    /// Whether state `i` (whose row in the world's selection is `covered[i]`) is observed in year
    /// `t`: inside the declared coverage.
    pub fn covers(&self, covered: &[bool], i: usize, t: i32) -> bool {
        match &self.coverage {
            Coverage::Presence => false,
            Coverage::Complete { from, to, .. } => covered[i] && (*from..=*to).contains(&t),
        }
    }

    /// The states inside the coverage, resolved against `world`; a selector the world does not
    /// know is an error at the coverage's line.
    pub fn covered_states(&self, world: &crate::world::World) -> Result<Vec<bool>> {
        match &self.coverage {
            Coverage::Presence => Ok(vec![false; world.len()]),
            Coverage::Complete { states, .. } => world
                .select(states)
                .map_err(|(_, m)| Error::invalid(self.coverage_origin.clone(), format!("indicator.{}.coverage", self.name), m)),
        }
    }

    /// The union of the sets of every value: the frameworks an adoption of any kind leads to.
    pub fn union(&self) -> u8 {
        self.values.values().fold(0, |acc, v| acc | v.set)
    }
}

/// The codebook: the panel's horizon and its indicators.
#[derive(Debug, Clone, PartialEq)]
pub struct Codebook {
    /// The codebook's file.
    pub path: PathBuf,
    /// First year of the panel.
    pub first_year: i32,
    /// Last year of the panel.
    pub last_year: i32,
    /// Per name, the indicators.
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
        let reader = Reader {
            path,
            text,
            frameworks,
            domains,
            origin,
            first_year: raw.first_year,
            last_year: raw.last_year,
        };
        if raw.first_year > raw.last_year {
            return Err(reader.bad(
                "first_year".into(),
                format!("{} is after last_year {}", raw.first_year, raw.last_year),
            ));
        }
        let mut indicators = BTreeMap::new();
        for (name, ind) in raw.indicator {
            let indicator = reader.indicator(&name, ind)?;
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

/// What parsing a codebook's indicators reads besides their tables: the file and its text, the
/// scenario's frameworks and domains, and the codebook's years.
struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
    frameworks: &'a [String],
    domains: &'a [String],
    /// The file, for errors without a position.
    origin: Origin,
    first_year: i32,
    last_year: i32,
}

impl Reader<'_> {
    /// An error at `key` of the file.
    fn bad(&self, key: String, message: String) -> Error {
        Error::invalid(self.origin.clone(), key, message)
    }

    /// The indicator `[indicator.NAME]`, checked: its domain, values, coverage, detection rate and
    /// group, and what an outcome needs.
    fn indicator(&self, name: &str, ind: RawIndicator) -> Result<Indicator> {
        let key = format!("indicator.{name}");
        let domain = if ind.domain == "all" {
            None
        } else {
            Some(self.domains.iter().position(|d| *d == ind.domain).ok_or_else(|| {
                self.bad(
                    format!("{key}.domain"),
                    format!("`{}`: expected `all` or one of {}", ind.domain, self.domains.join(", ")),
                )
            })?)
        };
        if ind.values.is_empty() {
            return Err(self.bad(format!("{key}.values"), "expected at least one value".into()));
        }
        let values = self.values(&key, ind.use_, ind.values)?;
        let coverage_origin = key_origin(self.path, self.text, name, "coverage");
        let coverage = self.coverage(&key, ind.coverage.as_ref(), ind.use_, &coverage_origin)?;
        if let Some(d) = ind.detection
            && (ind.use_ != Use::Outcome || !(d > 0.0 && d <= 1.0))
        {
            {
                return Err(Error::invalid(
                    key_origin(self.path, self.text, name, "detection"),
                    format!("{key}.detection"),
                    format!("{d}: expected a yearly rate in (0, 1] on an outcome"),
                ));
            }
        }
        if ind.group.is_some() && ind.use_ != Use::Covariate {
            return Err(self.bad(format!("{key}.group"), "only a covariate can date a group".into()));
        }
        let indicator = Indicator {
            name: name.to_string(),
            domain,
            use_: ind.use_,
            group: ind.group,
            values,
            coverage,
            detection: ind.detection,
            coverage_origin,
        };
        if indicator.use_ == Use::Outcome {
            if domain.is_none() {
                return Err(self.bad(
                    format!("{key}.domain"),
                    "an outcome needs one domain (`all` says nothing about a single cell)".into(),
                ));
            }
            let all = (1u8 << self.frameworks.len()) - 1;
            if indicator.union() == 0 || indicator.union() == all {
                return Err(self.bad(
                    format!("{key}.values"),
                    "an outcome's values must place the cell in some frameworks but not all".into(),
                ));
            }
        }
        Ok(indicator)
    }

    /// The values of indicator `key` (used as `use_`): each one's kind and set of frameworks; a
    /// designation cannot be an outcome.
    fn values(&self, key: &str, use_: Use, raw: BTreeMap<String, RawValue>) -> Result<BTreeMap<String, ValueCode>> {
        let mut values = BTreeMap::new();
        for (value, v) in raw {
            let vkey = format!("{key}.values.{value}");
            let set = parse_signals(&v.signals, self.frameworks).map_err(|m| self.bad(format!("{vkey}.signals"), m))?;
            if use_ == Use::Outcome && v.kind == Kind::Designation {
                return Err(self.bad(
                    format!("{vkey}.kind"),
                    "a designation (another power decided) cannot be an outcome: use `covariate`".into(),
                ));
            }
            values.insert(value, ValueCode { kind: v.kind, set });
        }
        Ok(values)
    }

    /// The coverage of indicator `key` (used as `use_`), its errors at `coverage_origin`: an
    /// outcome must declare one, and complete coverage needs its years within the codebook's and
    /// at least one selector.
    fn coverage(&self, key: &str, raw: Option<&RawCoverage>, use_: Use, coverage_origin: &Origin) -> Result<Coverage> {
        let cbad = |m: String| Error::invalid(coverage_origin.clone(), format!("{key}.coverage"), m);
        Ok(match (raw, use_) {
            (None, Use::Outcome) => {
                return Err(cbad(
                    "missing: an outcome declares what the panel is complete for, `\"presence\"` or \
                     { states = [...], years = [FROM, TO] }"
                        .into(),
                ));
            }
            (None, _) => Coverage::Presence,
            (Some(RawCoverage::Word(w)), _) if w == "presence" => Coverage::Presence,
            (Some(RawCoverage::Word(w)), _) => {
                return Err(cbad(format!(
                    "`{w}`: expected \"presence\" or {{ states = [...], except = [...], years = [FROM, TO] }}"
                )));
            }
            (Some(RawCoverage::Complete(c)), _) => {
                let [from, to] = c.years;
                if from > to || from < self.first_year || to > self.last_year {
                    return Err(cbad(format!(
                        "years [{from}, {to}]: expected FROM <= TO within the codebook's {}..={}",
                        self.first_year, self.last_year
                    )));
                }
                if c.states.is_empty() {
                    return Err(cbad(
                        "states: expected at least one selector (\"all\", ISO3, \"group:NAME\", ...)".into(),
                    ));
                }
                Coverage::Complete {
                    states: Selector {
                        include: c.states.clone(),
                        except: c.except.clone(),
                        key: format!("{key}.coverage.states"),
                        except_key: format!("{key}.coverage.except"),
                    },
                    from,
                    to,
                }
            }
        })
    }
}

/// Where `key` of `[indicator.NAME]` is written in `text` (the table's header when the key is
/// absent or written inline elsewhere).
fn key_origin(path: &Path, text: &str, name: &str, key: &str) -> Origin {
    let header = format!("[indicator.{name}]");
    let Some(start) = text.find(&header) else {
        return Origin::FileOnly { path: path.to_path_buf() };
    };
    let end = text[start + header.len()..]
        .find("\n[")
        .map_or(text.len(), |e| start + header.len() + e);
    let at = text[start..end]
        .lines()
        .scan(start, |pos, l| {
            let here = *pos;
            *pos += l.len() + 1;
            Some((here, l))
        })
        .find(|(_, l)| l.trim_start().starts_with(key))
        .map_or(start, |(p, _)| p);
    let (line, column) = line_col(text, at);
    Origin::File {
        path: path.to_path_buf(),
        line,
        column,
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

    fn outcome(extra: &str) -> String {
        format!(
            "first_year = 1980\nlast_year = 2026\n[indicator.ban]\ndomain = \"data\"\nuse = \"outcome\"\n{extra}\n\
             values = {{ \"1\" = {{ signals = \"EU\", kind = \"choice\" }} }}\n"
        )
    }

    fn parse(text: &str) -> Result<Codebook> {
        Codebook::parse(Path::new("c.toml"), text, &fw(), &["data".into()])
    }

    #[test]
    fn coverage_is_declared_not_assumed() {
        let err = parse(&outcome("")).unwrap_err().to_string();
        assert!(err.contains("indicator.ban.coverage") && err.contains("missing"), "{err}");
        let cb = parse(&outcome("coverage = \"presence\"")).unwrap();
        assert_eq!(cb.indicators["ban"].coverage, Coverage::Presence);
        assert!(!cb.indicators["ban"].covers(&[true], 0, 2020));
        let cb = parse(&outcome(
            "coverage = { states = [\"all\"], except = [\"FRA\"], years = [2000, 2025] }\ndetection = 0.2",
        ))
        .unwrap();
        let ind = &cb.indicators["ban"];
        assert!(ind.covers(&[true, false], 0, 2025) && !ind.covers(&[true, false], 0, 2026) && !ind.covers(&[true, false], 1, 2020));
        assert_eq!(ind.detection, Some(0.2));
    }

    #[test]
    fn bad_coverage_and_detection_name_their_line() {
        for (extra, line, what) in [
            ("coverage = \"complete\"", 6, "expected \"presence\""),
            ("coverage = { states = [\"all\"], years = [2025, 2000] }", 6, "FROM <= TO"),
            ("coverage = { states = [\"all\"], years = [1900, 2000] }", 6, "within the codebook"),
            ("coverage = { states = [], years = [2000, 2020] }", 6, "at least one selector"),
            ("coverage = \"presence\"\ndetection = 1.5", 7, "in (0, 1]"),
        ] {
            let err = parse(&outcome(extra)).unwrap_err().to_string();
            assert!(err.starts_with(&format!("c.toml:{line}:")) && err.contains(what), "{extra}: {err}");
        }
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_line() {
        let text = "first_year = 1980\nlast_year = 2026\nlast_yaer = 3\n[indicator]\n";
        let err = Codebook::parse(Path::new("c.toml"), text, &fw(), &["data".into()]).unwrap_err();
        assert!(err.to_string().starts_with("c.toml:3:"), "{err}");
    }
}
