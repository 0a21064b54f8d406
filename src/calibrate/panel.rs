//! The observed panel: `events.csv` of an observed directory read against its codebook and the
//! scenario's states, with every row checked.
//!
//! A row is refused (file:line and the reason) when its iso3 is not a state of the scenario's
//! world, its indicator is not in the codebook, its domain or kind differs from the codebook's,
//! its value is not one the codebook lists, its year lies outside the codebook's horizon, or it
//! repeats (duplicate) or contradicts (another value, same state, indicator and year) an earlier
//! row. `unverified.csv` is never read: unverified facts do not enter an estimate.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::codebook::{Codebook, Kind, Use};
use crate::error::{Error, Result};

/// The columns `events.csv` must start with, in order.
pub const COLUMNS: [&str; 6] = ["iso3", "domain", "indicator", "year", "value", "kind"];

/// One checked row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based line in the file.
    pub line: usize,
    /// Index of the state in the scenario's world.
    pub state: usize,
    /// Indicator name (a key of the codebook).
    pub indicator: String,
    /// Year of the act.
    pub year: i32,
    /// The value as written (a key of the indicator's values).
    pub value: String,
    /// Who decided, as the codebook says of the value.
    pub kind: Kind,
    /// The frameworks the row places the cell in (mask; 0 for nothing).
    pub set: u8,
}

/// The rows of a panel, in file order.
#[derive(Debug, Clone)]
pub struct Panel {
    /// The panel's file, `events.csv`.
    pub path: PathBuf,
    /// The checked rows.
    pub rows: Vec<Row>,
}

impl Panel {
    /// Whether `indicator` has a row in `first..=last`.
    pub fn has_row_in(&self, indicator: &str, first: i32, last: i32) -> bool {
        self.rows
            .iter()
            .any(|r| r.indicator == indicator && (first..=last).contains(&r.year))
    }

    /// Rows whose indicator the codebook uses as `use`.
    pub fn rows_used_as<'a>(&'a self, codebook: &'a Codebook, use_: Use) -> impl Iterator<Item = &'a Row> + 'a {
        self.rows.iter().filter(move |r| codebook.indicators[&r.indicator].use_ == use_)
    }

    /// Read `path` and check every row (see the module header).
    pub fn load(path: &Path, codebook: &Codebook, states: &[String], domains: &[String]) -> Result<Panel> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text, codebook, states, domains)
    }

    /// Check the text of an `events.csv`.
    pub fn parse(path: &Path, text: &str, codebook: &Codebook, states: &[String], domains: &[String]) -> Result<Panel> {
        let reader = RowReader {
            path,
            codebook,
            domains,
            index: states.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect(),
        };
        let mut csv = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
        let header = csv
            .headers()
            .map_err(|e| reader.fail(1, format!("cannot read the header: {e}")))?
            .clone();
        if header.len() < COLUMNS.len() || header.iter().zip(COLUMNS).any(|(h, c)| h != c) {
            return Err(reader.fail(
                1,
                format!(
                    "expected the columns {} first, found {}",
                    COLUMNS.join(","),
                    header.iter().collect::<Vec<_>>().join(",")
                ),
            ));
        }
        let mut seen: HashMap<(usize, String, i32), (usize, String)> = HashMap::new();
        let mut rows = Vec::new();
        for record in csv.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line() as usize);
                reader.fail(line, format!("malformed CSV row: {e}"))
            })?;
            let row = reader.row(&record)?;
            let key = (row.state, row.indicator.clone(), row.year);
            if let Some((first, other)) = seen.get(&key) {
                let what = if *other == row.value {
                    format!("duplicate of line {first}")
                } else {
                    format!("contradicts line {first} (`{other}` there, `{}` here)", row.value)
                };
                let (iso3, name, year) = (&states[row.state], &row.indicator, row.year);
                return Err(reader.fail(row.line, format!("{iso3} {name} {year}: {what}")));
            }
            seen.insert(key, (row.line, row.value.clone()));
            rows.push(row);
        }
        Ok(Panel {
            path: path.to_path_buf(),
            rows,
        })
    }
}

/// What checking a panel's rows reads: the file, the codebook, the scenario's domains and the index
/// of each state's iso3.
struct RowReader<'a> {
    path: &'a Path,
    codebook: &'a Codebook,
    domains: &'a [String],
    index: HashMap<&'a str, usize>,
}

impl RowReader<'_> {
    /// An error at `line` of the file.
    fn fail(&self, line: usize, message: String) -> Error {
        Error::Data {
            path: self.path.to_path_buf(),
            line,
            message,
        }
    }

    /// The row of `record`, checked against the world's states and the codebook (its indicators,
    /// domains, horizon, values and kinds).
    fn row(&self, record: &csv::StringRecord) -> Result<Row> {
        let codebook = self.codebook;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let field = |c: usize| record.get(c).unwrap_or("").trim();
        let iso3 = field(0);
        let state = *self
            .index
            .get(iso3)
            .ok_or_else(|| self.fail(line, format!("iso3 `{iso3}` is not a state of the scenario's world")))?;
        let name = field(2);
        let indicator = codebook.indicators.get(name).ok_or_else(|| {
            self.fail(
                line,
                format!("indicator `{name}` is not in the codebook {}", codebook.path.display()),
            )
        })?;
        let domain = field(1);
        let expected = indicator.domain.map_or("all", |d| self.domains[d].as_str());
        if domain != expected {
            return Err(self.fail(line, format!("domain `{domain}`: the codebook gives `{expected}` for `{name}`")));
        }
        let year: i32 = field(3)
            .parse()
            .map_err(|_| self.fail(line, format!("year `{}`: expected an integer", field(3))))?;
        if !(codebook.first_year..=codebook.last_year).contains(&year) {
            return Err(self.fail(
                line,
                format!(
                    "year {year} is outside the panel's horizon {}-{} (codebook)",
                    codebook.first_year, codebook.last_year
                ),
            ));
        }
        let value = field(4).to_string();
        let code = indicator.values.get(&value).ok_or_else(|| {
            self.fail(
                line,
                format!(
                    "value `{value}` of `{name}` is not in the codebook (expected one of {})",
                    indicator.values.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        let kind = field(5);
        if kind != code.kind.name() {
            return Err(self.fail(
                line,
                format!("kind `{kind}`: the codebook gives `{}` for `{name}` = `{value}`", code.kind.name()),
            ));
        }
        Ok(Row {
            line,
            state,
            indicator: name.to_string(),
            year,
            value,
            kind: code.kind,
            set: code.set,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Codebook, Vec<String>, Vec<String>) {
        let fw: Vec<String> = vec!["EU".into(), "US".into(), "CN".into()];
        let domains: Vec<String> = vec!["telecom".into()];
        let text = "first_year = 2000\nlast_year = 2026\n[indicator.ban]\ndomain = \"telecom\"\nuse = \"outcome\"\n\
                    coverage = \"presence\"\nvalues = { \"1\" = { signals = \"!CN\", kind = \"choice\" } }\n";
        let cb = Codebook::parse(Path::new("c.toml"), text, &fw, &domains).unwrap();
        (cb, vec!["FRA".into(), "DEU".into()], domains)
    }

    fn check(body: &str) -> std::result::Result<Panel, String> {
        let (cb, states, domains) = setup();
        let text = format!("iso3,domain,indicator,year,value,kind,source,note\n{body}");
        Panel::parse(Path::new("e.csv"), &text, &cb, &states, &domains).map_err(|e| e.to_string())
    }

    #[test]
    fn good_rows_are_read() {
        let p = check("FRA,telecom,ban,2020,1,choice,x,\nDEU,telecom,ban,2021,1,choice,x,\n").unwrap();
        assert_eq!(p.rows.len(), 2);
        assert_eq!((p.rows[1].line, p.rows[1].state, p.rows[1].set), (3, 1, 0b011));
    }

    #[test]
    fn each_bad_row_names_its_line_and_reason() {
        let cases = [
            ("ZZZ,telecom,ban,2020,1,choice,x,\n", "e.csv:2: iso3 `ZZZ`"),
            (
                "FRA,telecom,bam,2020,1,choice,x,\n",
                "e.csv:2: indicator `bam` is not in the codebook",
            ),
            ("FRA,telecom,ban,2031,1,choice,x,\n", "e.csv:2: year 2031 is outside"),
            ("FRA,telecom,ban,2020,2,choice,x,\n", "e.csv:2: value `2`"),
            ("FRA,telecom,ban,2020,1,market,x,\n", "e.csv:2: kind `market`"),
            ("FRA,cloud,ban,2020,1,choice,x,\n", "e.csv:2: domain `cloud`"),
            ("FRA,telecom,ban,20x0,1,choice,x,\n", "e.csv:2: year `20x0`"),
        ];
        for (row, expected) in cases {
            let err = check(row).unwrap_err();
            assert!(err.starts_with(expected), "{row}: {err}");
        }
    }

    #[test]
    fn duplicates_and_contradictions_name_both_lines() {
        let dup = check("FRA,telecom,ban,2020,1,choice,x,\nFRA,telecom,ban,2020,1,choice,y,\n").unwrap_err();
        assert!(dup.starts_with("e.csv:3: FRA ban 2020: duplicate of line 2"), "{dup}");
        let (cb, states, domains) = setup();
        let mut cb = cb;
        let code = cb.indicators["ban"].values["1"];
        cb.indicators
            .get_mut("ban")
            .unwrap()
            .values
            .insert("withdrawn".into(), super::super::codebook::ValueCode { set: 0, ..code });
        let text = "iso3,domain,indicator,year,value,kind\nFRA,telecom,ban,2020,1,choice\nFRA,telecom,ban,2020,withdrawn,choice\n";
        let err = Panel::parse(Path::new("e.csv"), text, &cb, &states, &domains)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("e.csv:3: FRA ban 2020: contradicts line 2"), "{err}");
    }
}
