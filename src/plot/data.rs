//! Reading a saved output directory: the only input of the charts and the report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::export::{Manifest, outputs};

/// Which share a series measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Measure {
    /// Share of states.
    Count,
    /// GDP-weighted share.
    Gdp,
}

impl Measure {
    /// Short key used in file names (`count`, `gdp`).
    pub fn key(self) -> &'static str {
        match self {
            Measure::Count => "count",
            Measure::Gdp => "gdp",
        }
    }
    /// The `measure` column value in `timeseries.csv`.
    pub fn column(self) -> &'static str {
        match self {
            Measure::Count => "count_share",
            Measure::Gdp => "gdp_share",
        }
    }
    /// Axis title.
    pub fn axis(self) -> &'static str {
        match self {
            Measure::Count => "share of states (%)",
            Measure::Gdp => "share of world GDP (%)",
        }
    }
}

/// The distribution across runs of one quantity (one row of `timeseries.csv` / `indices.csv`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantiles {
    /// Mean across runs.
    pub mean: f64,
    /// 5th percentile.
    pub p05: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
}

impl Quantiles {
    fn all_finite(&self) -> bool {
        [self.mean, self.p05, self.p25, self.p50, self.p75, self.p95]
            .iter()
            .all(|v| v.is_finite())
    }
}

/// One row of `states.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct StateRow {
    /// State id (ISO3 code for countries).
    pub id: String,
    /// State name.
    pub name: String,
    /// Domain index.
    pub domain: usize,
    /// Probability of each framework at the horizon.
    pub probs: Vec<f64>,
}

impl StateRow {
    /// Index of the most likely framework (ties: the first).
    pub fn modal(&self) -> usize {
        let mut best = 0;
        for (k, p) in self.probs.iter().enumerate() {
            if *p > self.probs[best] {
                best = k;
            }
        }
        best
    }
    /// Probability of the most likely framework.
    pub fn top(&self) -> f64 {
        self.probs.get(self.modal()).copied().unwrap_or(0.0)
    }
}

/// Everything the charts read from an output directory.
#[derive(Debug, Clone)]
pub struct Output {
    /// The output directory.
    pub dir: PathBuf,
    /// Its `manifest.json`.
    pub manifest: Manifest,
    /// Scenario name.
    pub scenario: String,
    /// Runs aggregated in this directory (from `summary.json`).
    pub runs: u64,
    /// Master seed.
    pub seed: u64,
    /// `"I/N"` when the directory holds shard I of N.
    pub shard: Option<String>,
    /// Framework names, in index order.
    pub frameworks: Vec<String>,
    /// Domain names, in index order.
    pub domains: Vec<String>,
    /// `summary.json` as parsed.
    pub summary: Value,
    /// `(domain, framework, measure)` -> `(year, quantiles)` in year order.
    pub series: BTreeMap<(usize, usize, Measure), Vec<(i32, Quantiles)>>,
    /// `index name` -> `(year, quantiles)` in year order (`fragmentation`, `hedging`).
    pub indices: BTreeMap<String, Vec<(i32, Quantiles)>>,
    /// Final count shares per run: `[run][domain][framework]`, in `runs.csv` order.
    pub final_shares: Vec<Vec<Vec<f64>>>,
    /// `states.csv` rows in file order.
    pub states: Vec<StateRow>,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn data_err(path: &Path, line: usize, message: impl Into<String>) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// A CSV's header and its records with their 1-based line numbers.
type Table = (Vec<String>, Vec<(usize, Vec<String>)>);

/// Parse a CSV into (header, records with their 1-based line numbers).
fn csv_rows(path: &Path) -> Result<Table> {
    let text = read(path)?;
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| data_err(path, 1, e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| data_err(path, e.position().map_or(0, |p| p.line() as usize), e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        rows.push((line, rec.iter().map(String::from).collect()));
    }
    Ok((header, rows))
}

fn col(path: &Path, header: &[String], name: &str) -> Result<usize> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| data_err(path, 1, format!("missing column `{name}`")))
}

/// [`col`] for an outcome's column: when it is missing under a former spelling, the error says so.
fn outcome_col(path: &Path, header: &[String], name: &str, domains: &[String], frameworks: &[String]) -> Result<usize> {
    col(path, header, name).map_err(|e| {
        let former = header
            .iter()
            .find_map(|h| crate::outcomes::former_spelling(h, domains, frameworks).filter(|hint| hint.contains(&format!("`{name}`"))));
        former.map_or(e, |hint| data_err(path, 1, format!("missing column `{name}`: {hint}")))
    })
}

fn num(path: &Path, line: usize, text: &str, what: &str) -> Result<f64> {
    text.trim()
        .parse::<f64>()
        .map_err(|_| data_err(path, line, format!("`{what}`: expected a number, found `{text}`")))
}

fn quantiles(path: &Path, line: usize, row: &[String], cols: &[usize; 6]) -> Result<Quantiles> {
    let names = ["mean", "p05", "p25", "p50", "p75", "p95"];
    let mut v = [0.0; 6];
    for i in 0..6 {
        v[i] = num(path, line, row.get(cols[i]).map_or("", String::as_str), names[i])?;
    }
    Ok(Quantiles {
        mean: v[0],
        p05: v[1],
        p25: v[2],
        p50: v[3],
        p75: v[4],
        p95: v[5],
    })
}

fn stat_cols(path: &Path, header: &[String]) -> Result<[usize; 6]> {
    Ok([
        col(path, header, "mean")?,
        col(path, header, "p05")?,
        col(path, header, "p25")?,
        col(path, header, "p50")?,
        col(path, header, "p75")?,
        col(path, header, "p95")?,
    ])
}

impl Output {
    /// Read an output directory written by `blocsim batch` (or `merge`).
    pub fn load(dir: &Path) -> Result<Output> {
        let mpath = dir.join(outputs::MANIFEST.name);
        let manifest = Manifest::from_json(read(&mpath)?.as_bytes()).map_err(|m| data_err(&mpath, 0, m))?;
        if manifest.output_format != crate::outcomes::OUTPUT_FORMAT {
            return Err(data_err(
                &mpath,
                0,
                format!(
                    "written by blocsim {} in output format {}, whose outcome names this version no longer reads \
                     (format {} renamed them, e.g. `share:cloud:US` to `final_share.cloud.US`); run the batch again",
                    manifest.blocsim_version,
                    manifest.output_format,
                    crate::outcomes::OUTPUT_FORMAT
                ),
            ));
        }

        let spath = dir.join(outputs::SUMMARY.name);
        let summary: Value = serde_json::from_str(&read(&spath)?).map_err(|e| data_err(&spath, e.line(), e.to_string()))?;
        let fs = summary
            .get("final_share")
            .and_then(Value::as_object)
            .ok_or_else(|| data_err(&spath, 0, "missing object `final_share`"))?;
        let domains: Vec<String> = fs.keys().cloned().collect();
        let frameworks: Vec<String> = fs
            .values()
            .next()
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .ok_or_else(|| data_err(&spath, 0, "`final_share` has no domains"))?;
        if frameworks.is_empty() {
            return Err(data_err(&spath, 0, "`final_share` has no frameworks"));
        }
        let runs = summary
            .get("runs")
            .and_then(Value::as_u64)
            .ok_or_else(|| data_err(&spath, 0, "missing `runs`"))?;
        let scenario = summary
            .get("scenario")
            .and_then(Value::as_str)
            .unwrap_or(&manifest.scenario)
            .to_string();
        let dom = |name: &str| domains.iter().position(|d| d == name);
        let fw = |name: &str| frameworks.iter().position(|f| f == name);

        // timeseries.csv
        let tpath = dir.join(outputs::TIMESERIES.name);
        let (header, rows) = csv_rows(&tpath)?;
        let (cy, cd, cf, cm) = (
            col(&tpath, &header, "year")?,
            col(&tpath, &header, "domain")?,
            col(&tpath, &header, "framework")?,
            col(&tpath, &header, "measure")?,
        );
        let sc = stat_cols(&tpath, &header)?;
        let mut series: BTreeMap<(usize, usize, Measure), Vec<(i32, Quantiles)>> = BTreeMap::new();
        for (line, row) in &rows {
            let get = |c: usize| row.get(c).map_or("", String::as_str);
            let year = get(cy)
                .parse::<i32>()
                .map_err(|_| data_err(&tpath, *line, format!("`year`: expected an integer, found `{}`", get(cy))))?;
            let d = dom(get(cd)).ok_or_else(|| data_err(&tpath, *line, format!("unknown domain `{}`", get(cd))))?;
            let k = fw(get(cf)).ok_or_else(|| data_err(&tpath, *line, format!("unknown framework `{}`", get(cf))))?;
            let m = match get(cm) {
                "count_share" => Measure::Count,
                "gdp_share" => Measure::Gdp,
                other => return Err(data_err(&tpath, *line, format!("unknown measure `{other}`"))),
            };
            let q = quantiles(&tpath, *line, row, &sc)?;
            if q.all_finite() {
                series.entry((d, k, m)).or_default().push((year, q));
            }
        }

        // indices.csv
        let ipath = dir.join(outputs::INDICES.name);
        let (header, rows) = csv_rows(&ipath)?;
        let (cy, ci) = (col(&ipath, &header, "year")?, col(&ipath, &header, "index")?);
        let sc = stat_cols(&ipath, &header)?;
        let mut indices: BTreeMap<String, Vec<(i32, Quantiles)>> = BTreeMap::new();
        for (line, row) in &rows {
            let get = |c: usize| row.get(c).map_or("", String::as_str);
            let year = get(cy)
                .parse::<i32>()
                .map_err(|_| data_err(&ipath, *line, format!("`year`: expected an integer, found `{}`", get(cy))))?;
            let q = quantiles(&ipath, *line, row, &sc)?;
            if q.all_finite() {
                indices.entry(get(ci).to_string()).or_default().push((year, q));
            }
        }

        // runs.csv: final count shares
        let rpath = dir.join(outputs::RUNS.name);
        let (header, rows) = csv_rows(&rpath)?;
        let mut share_cols = vec![vec![0usize; frameworks.len()]; domains.len()];
        for (d, dn) in domains.iter().enumerate() {
            for (k, kn) in frameworks.iter().enumerate() {
                share_cols[d][k] = outcome_col(&rpath, &header, &format!("final_share.{dn}.{kn}"), &domains, &frameworks)?;
            }
        }
        let mut final_shares = Vec::with_capacity(rows.len());
        for (line, row) in &rows {
            let mut per = Vec::with_capacity(domains.len());
            for cols in &share_cols {
                let mut v = Vec::with_capacity(cols.len());
                for &c in cols {
                    v.push(num(&rpath, *line, row.get(c).map_or("", String::as_str), &header[c])?);
                }
                per.push(v);
            }
            final_shares.push(per);
        }

        // states.csv
        let stpath = dir.join(outputs::STATES.name);
        let (header, rows) = csv_rows(&stpath)?;
        let (cs, cn, cd) = (
            col(&stpath, &header, "state")?,
            col(&stpath, &header, "name")?,
            col(&stpath, &header, "domain")?,
        );
        let pcols = frameworks
            .iter()
            .map(|k| col(&stpath, &header, &format!("p_{k}")))
            .collect::<Result<Vec<_>>>()?;
        let mut states = Vec::with_capacity(rows.len());
        for (line, row) in &rows {
            let get = |c: usize| row.get(c).map_or("", String::as_str);
            let domain = dom(get(cd)).ok_or_else(|| data_err(&stpath, *line, format!("unknown domain `{}`", get(cd))))?;
            let probs = pcols
                .iter()
                .map(|&c| num(&stpath, *line, get(c), &header[c]))
                .collect::<Result<Vec<_>>>()?;
            states.push(StateRow {
                id: get(cs).to_string(),
                name: get(cn).to_string(),
                domain,
                probs,
            });
        }

        Ok(Output {
            dir: dir.to_path_buf(),
            seed: manifest.seed,
            shard: manifest.shard.clone(),
            manifest,
            scenario,
            runs,
            frameworks,
            domains,
            summary,
            series,
            indices,
            final_shares,
            states,
        })
    }

    /// State identifiers in `states.csv` order, without repeats.
    pub fn state_ids(&self) -> Vec<String> {
        let mut seen = std::collections::BTreeSet::new();
        self.states
            .iter()
            .filter(|s| seen.insert(s.id.clone()))
            .map(|s| s.id.clone())
            .collect()
    }

    /// The rows of `states.csv` for domain `d`.
    pub fn states_in(&self, d: usize) -> impl Iterator<Item = &StateRow> {
        self.states.iter().filter(move |s| s.domain == d)
    }

    /// First and last year of the time series.
    pub fn year_range(&self) -> (i32, i32) {
        let years = self.series.values().flat_map(|v| v.iter().map(|(y, _)| *y));
        let (mut lo, mut hi) = (i32::MAX, i32::MIN);
        for y in years {
            lo = lo.min(y);
            hi = hi.max(y);
        }
        if lo > hi {
            (0, 1)
        } else if lo == hi {
            (lo, lo + 1)
        } else {
            (lo, hi)
        }
    }
}
