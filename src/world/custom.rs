//! Custom worlds from two CSV files: agents with attributes, and an edge list of weighted ties.
//!
//! `agents.csv` needs an `id` column; the optional columns are `name`, `gdp` (million US$, default 1),
//! `population` (default 1), `freedom` (0–10, default 5 and flagged as imputed), `lon`, `lat`
//! (degrees, default 0), `continent`, `subregion`, and `groups` (group names separated by `;`);
//! any number of numeric columns named `x_NAME` (every cell a finite number) may follow, which the
//! revision rate can use as covariates (`[rate] x_NAME = β`).
//! `ties.csv` has the columns `source,target,weight`: a directed tie from source to target. Weights
//! may be negative (rivalry, sanctions). By default each agent's ties are normalised so that the
//! absolute weights sum to one; with `raw_weights = true` they are used as written, as in landscape
//! theory where propensities carry their own scale.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::world::rows::rows;
use crate::world::{Groups, StateId, Ties, World};

const AGENT_COLUMNS: [&str; 10] = [
    "id",
    "name",
    "gdp",
    "population",
    "freedom",
    "lon",
    "lat",
    "continent",
    "subregion",
    "groups",
];
const TIE_COLUMNS: [&str; 3] = ["source", "target", "weight"];

#[derive(Debug, Deserialize)]
struct AgentRow {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    gdp: Option<f64>,
    #[serde(default)]
    population: Option<f64>,
    #[serde(default)]
    freedom: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    continent: Option<String>,
    #[serde(default)]
    subregion: Option<String>,
    #[serde(default)]
    groups: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TieRow {
    source: String,
    target: String,
    weight: f64,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Refuse unknown or missing columns, naming the columns that are allowed.
fn check_header(path: &Path, text: &str, allowed: &[&str], required: &[&str]) -> Result<()> {
    let header = text.lines().next().unwrap_or("");
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let bad = |message: String| Error::Data {
        path: path.to_path_buf(),
        line: 1,
        message,
    };
    let column =
        |c: &str| allowed == AGENT_COLUMNS && crate::scenario::rate::RateCovariate::from_key(c).is_some_and(|k| k.key().starts_with("x_"));
    if let Some(c) = cols.iter().find(|c| !allowed.contains(c) && !column(c)) {
        return Err(bad(format!(
            "unknown column `{c}`; expected columns from: {}{}",
            allowed.join(", "),
            if allowed == AGENT_COLUMNS {
                ", or numeric columns x_NAME"
            } else {
                ""
            }
        )));
    }
    if let Some(r) = required.iter().find(|r| !cols.contains(r)) {
        return Err(bad(format!("missing column `{r}`; required: {}", required.join(", "))));
    }
    Ok(())
}

/// Load a custom world from `agents` and `ties` CSV files.
pub fn load(agents: &Path, ties: &Path, raw_weights: bool) -> Result<World> {
    let (mut w, index) = read_agents(agents)?;
    let adjacency = read_ties(ties, agents, &index, w.len())?;
    w.ties = Ties::from_rows(adjacency, raw_weights);
    w.description = format!(
        "custom: {} agents from {}, {} ties from {}{}",
        w.len(),
        agents.display(),
        w.ties.targets.len(),
        ties.display(),
        if raw_weights { " (raw weights)" } else { "" }
    );
    Ok(w)
}

/// The world of the agents of `agents` (everything but its ties and description), with the index
/// of each agent's id.
fn read_agents(agents: &Path) -> Result<(World, BTreeMap<String, StateId>)> {
    let atext = read(agents)?;
    check_header(agents, &atext, &AGENT_COLUMNS, &["id"])?;
    let mut w = World::default();
    let mut pairs = Vec::new();
    let mut index = BTreeMap::new();
    for (line, r) in rows::<AgentRow>(agents, &atext)? {
        let bad = |message: String| Error::Data {
            path: agents.to_path_buf(),
            line,
            message,
        };
        if r.id.is_empty() {
            return Err(bad("empty id".into()));
        }
        if index.insert(r.id.clone(), w.len() as StateId).is_some() {
            return Err(bad(format!("duplicate id `{}`", r.id)));
        }
        let (gdp, population, lon, lat) = agent_numbers(&r, bad)?;
        let i = w.len() as StateId;
        for g in r.groups.iter().flat_map(|g| g.split(';')).map(str::trim).filter(|g| !g.is_empty()) {
            pairs.push((g.to_string(), i));
        }
        w.names.push(r.name.filter(|n| !n.is_empty()).unwrap_or_else(|| r.id.clone()));
        w.ids.push(&r.id);
        w.gdp.push(gdp);
        w.population.push(population);
        w.freedom_imputed.push(r.freedom.is_none());
        w.freedom.push(r.freedom.unwrap_or(5.0));
        w.lon.push(lon);
        w.lat.push(lat);
        w.continent.push(r.continent.unwrap_or_default().into());
        w.subregion.push(r.subregion.unwrap_or_default().into());
    }
    if w.len() < 2 {
        return Err(Error::Data {
            path: agents.to_path_buf(),
            line: 1,
            message: "a world needs at least 2 agents".into(),
        });
    }
    w.groups = Groups::from_pairs(pairs);
    w.columns = numeric_columns(agents, &atext)?;
    Ok((w, index))
}

/// An agent's GDP and population (default 1), longitude and latitude (default 0), checked with its
/// freedom score; `bad` makes the error at the agent's line.
fn agent_numbers(r: &AgentRow, bad: impl Fn(String) -> Error) -> Result<(f64, f64, f64, f64)> {
    let positive = |x: Option<f64>, what: &str| -> Result<f64> {
        match x {
            None => Ok(1.0),
            Some(v) if v > 0.0 && v.is_finite() => Ok(v),
            Some(v) => Err(bad(format!("{what} must be a positive number, found {v}"))),
        }
    };
    let gdp = positive(r.gdp, "gdp")?;
    let population = positive(r.population, "population")?;
    if let Some(f) = r.freedom
        && !(0.0..=10.0).contains(&f)
    {
        return Err(bad(format!("freedom must be in [0, 10], found {f}")));
    }
    let (lon, lat) = (r.lon.unwrap_or(0.0), r.lat.unwrap_or(0.0));
    if !((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
        return Err(bad("lon must be in [-180, 180] and lat in [-90, 90]".into()));
    }
    Ok((gdp, population, lon, lat))
}

/// The ties of `ties` as rows of (target, weight) per source, over the `n` agents of `agents`
/// (`index`: each id's agent).
fn read_ties(ties: &Path, agents: &Path, index: &BTreeMap<String, StateId>, n: usize) -> Result<Vec<Vec<(StateId, f64)>>> {
    let ttext = read(ties)?;
    check_header(ties, &ttext, &TIE_COLUMNS, &TIE_COLUMNS)?;
    let mut adjacency: Vec<Vec<(StateId, f64)>> = vec![Vec::new(); n];
    for (line, r) in rows::<TieRow>(ties, &ttext)? {
        let bad = |message: String| Error::Data {
            path: ties.to_path_buf(),
            line,
            message,
        };
        let find = |id: &str| {
            index
                .get(id)
                .copied()
                .ok_or_else(|| bad(format!("unknown agent `{id}` (not in {})", agents.display())))
        };
        let (s, t) = (find(&r.source)?, find(&r.target)?);
        if s == t {
            return Err(bad(format!("self-tie of `{}`", r.source)));
        }
        if !r.weight.is_finite() {
            return Err(bad(format!("weight must be a finite number, found {}", r.weight)));
        }
        let row = &mut adjacency[s as usize];
        if row.iter().any(|&(j, _)| j == t) {
            return Err(bad(format!("duplicate tie {} -> {}", r.source, r.target)));
        }
        row.push((t, r.weight));
    }
    Ok(adjacency)
}

/// The `x_NAME` columns of agents.csv, each cell a finite number (an empty cell is an error, not
/// a default).
fn numeric_columns(path: &Path, text: &str) -> Result<Vec<(String, Vec<f64>)>> {
    let header = text.lines().next().unwrap_or("");
    let mut out: Vec<(String, Vec<f64>)> = header
        .split(',')
        .map(str::trim)
        .filter(|h| h.starts_with("x_"))
        .map(|h| (h.to_string(), Vec::new()))
        .collect();
    if out.is_empty() {
        return Ok(out);
    }
    for (line, row) in rows::<std::collections::BTreeMap<String, String>>(path, text)? {
        for (name, values) in &mut out {
            let cell = row.get(name.as_str()).map_or("", String::as_str);
            match cell.parse::<f64>() {
                Ok(v) if v.is_finite() => values.push(v),
                _ => {
                    return Err(Error::Data {
                        path: path.to_path_buf(),
                        line,
                        message: format!("column `{name}`: expected a finite number, found `{cell}`"),
                    });
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_columns_are_read_and_checked() {
        let ties = "source,target,weight\na,b,1\n";
        let (_d, a, t) = files("id,x_ports,gdp\na,3.5,1\nb,-1,2\n", ties);
        let w = load(&a, &t, false).unwrap();
        assert_eq!(w.columns, vec![("x_ports".to_string(), vec![3.5, -1.0])]);
        let (_d, a, t) = files("id,x_ports\na,3.5\nb,\n", ties);
        let err = load(&a, &t, false).unwrap_err().to_string();
        assert!(
            err.ends_with("agents.csv:3: column `x_ports`: expected a finite number, found ``"),
            "{err}"
        );
        let (_d, a, t) = files("id,ports\na,1\nb,2\n", ties);
        let err = load(&a, &t, false).unwrap_err().to_string();
        assert!(err.contains("unknown column `ports`") && err.contains("x_NAME"), "{err}");
    }

    fn files(agents: &str, ties: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (a, t) = (dir.path().join("agents.csv"), dir.path().join("ties.csv"));
        std::fs::write(&a, agents).unwrap();
        std::fs::write(&t, ties).unwrap();
        (dir, a, t)
    }

    #[test]
    fn loads_attributes_groups_and_signed_ties() {
        let (_d, a, t) = files(
            "id,name,gdp,freedom,groups\nA,Alpha,2,7,X;Y\nB,,3,,Y\nC,Gamma,1,2,\n",
            "source,target,weight\nA,B,3\nA,C,-1\nB,A,1\n",
        );
        let w = load(&a, &t, false).unwrap();
        assert_eq!(w.ids, ["A", "B", "C"]);
        assert_eq!(w.names[1], "B");
        assert!(w.freedom_imputed[1] && !w.freedom_imputed[0]);
        assert_eq!(w.groups.members("Y").unwrap(), &[0, 1]);
        let (targets, weights) = w.ties.row(0);
        assert_eq!(targets, &[1, 2]);
        assert_eq!(weights, &[0.75, -0.25]);
        assert_eq!(w.ties.row_total[0], 4.0);
        let raw = load(&a, &t, true).unwrap();
        assert_eq!(raw.ties.row(0).1, &[3.0, -1.0]);
    }

    #[test]
    fn errors_name_file_line_and_problem() {
        let (_d, a, t) = files("id,gdp\nA,1\nB,1\n", "source,target,weight\nA,B,1\nA,Z,1\n");
        let e = load(&a, &t, false).unwrap_err().to_string();
        assert!(e.contains("ties.csv:3:") && e.contains("unknown agent `Z`"), "{e}");
        let (_d, a, t) = files("id,size\nA,1\n", "source,target,weight\n");
        let e = load(&a, &t, false).unwrap_err().to_string();
        assert!(e.contains("agents.csv:1:") && e.contains("unknown column `size`"), "{e}");
        let (_d, a, t) = files("id,gdp\nA,-1\nB,1\n", "source,target,weight\n");
        let e = load(&a, &t, false).unwrap_err().to_string();
        assert!(e.contains("agents.csv:2:") && e.contains("gdp must be a positive"), "{e}");
    }
}
