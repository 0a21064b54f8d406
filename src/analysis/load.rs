//! Reading the results of `sweep`, `sensitivity` and `discover` back from their output directories,
//! so that `blocsim plot DIR` redraws their charts from the saved files alone. Numbers round-trip
//! exactly (shortest round-trip formatting in CSV and JSON), so redrawn charts are byte-identical.

use std::path::Path;

use serde_json::Value;

use super::discover::{Condition, Discovery, SweptParam};
use super::effects::Level;
use super::morris::MorrisIndex;
use super::prim::{Bounds, PrimBox, PrimOptions, PrimResult};
use super::sensitivity::{Indices, Method, OutcomeIndices, Sensitivity};
use super::sobol::{Estimate, SobolIndices};
use super::sweep::{DesignKind, STATS, Sweep};
use super::table::Table;
use super::{ParamRange, Plan, PointStats};
use crate::error::{Error, Result};

fn read_json(path: &Path) -> Result<Value> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| bad(path, &format!("invalid JSON: {e}")))
}

fn bad(path: &Path, message: &str) -> Error {
    Error::Data {
        path: path.to_path_buf(),
        line: 1,
        message: message.to_string(),
    }
}

/// A number from JSON; null (written for non-finite values) reads as NaN.
fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn params(path: &Path, v: &Value) -> Result<Vec<ParamRange>> {
    v["params"]
        .as_array()
        .ok_or_else(|| bad(path, "no `params` list"))?
        .iter()
        .map(|p| {
            Ok(ParamRange {
                key: p["key"].as_str().ok_or_else(|| bad(path, "a parameter without `key`"))?.to_string(),
                lo: f(&p["lo"]),
                hi: f(&p["hi"]),
                integer: p["integer"].as_bool().unwrap_or(false),
            })
        })
        .collect()
}

fn column<'a>(t: &'a Table, path: &Path, name: &str) -> Result<&'a [f64]> {
    t.column(name)
        .map(|c| c.values.as_slice())
        .ok_or_else(|| bad(path, &format!("no column `{name}`")))
}

/// Read a sweep directory (`sweep.json`, `points.csv`, `effects.csv`); the per-run table is not read.
pub fn sweep(dir: &Path) -> Result<Sweep> {
    let jpath = dir.join("sweep.json");
    let v = read_json(&jpath)?;
    let params = params(&jpath, &v)?;
    let outcomes: Vec<String> = v["outcomes"]
        .as_array()
        .ok_or_else(|| bad(&jpath, "no `outcomes` list"))?
        .iter()
        .filter_map(|o| o.as_str().map(str::to_string))
        .collect();
    let design = DesignKind::parse(v["design"].as_str().unwrap_or(""))?;
    let ppath = dir.join("points.csv");
    let t = Table::read_csv(&ppath)?;
    let pcols = params.iter().map(|p| column(&t, &ppath, &p.key)).collect::<Result<Vec<_>>>()?;
    let points = (0..t.rows()).map(|r| pcols.iter().map(|c| c[r]).collect()).collect();
    let mut stats = vec![Vec::with_capacity(outcomes.len()); t.rows()];
    for o in &outcomes {
        let cols = STATS
            .iter()
            .map(|s| column(&t, &ppath, &format!("{o}.{s}")))
            .collect::<Result<Vec<_>>>()?;
        for (r, row) in stats.iter_mut().enumerate() {
            row.push(PointStats {
                mean: cols[0][r],
                sd: cols[1][r],
                se: cols[2][r],
                p05: cols[3][r],
                p50: cols[4][r],
                p95: cols[5][r],
            });
        }
    }
    let effects = effects(&dir.join("effects.csv"), &outcomes, &params)?;
    Ok(Sweep {
        effects,
        precision: v["precision"].as_f64(),
        scenario: v["scenario"].as_str().unwrap_or("").to_string(),
        design,
        noise: outcomes.iter().map(|o| f(&v["noise_share"][o])).collect(),
        outcomes,
        params,
        plan: Plan {
            seed: v["seed"].as_u64().unwrap_or(0),
            runs: v["replications"].as_u64().unwrap_or(0),
            threads: None,
        },
        points,
        stats,
        runs_table: Table::default(),
        threads: 0,
        warnings: v["warnings"]
            .as_array()
            .map(|a| a.iter().filter_map(|w| w.as_str().map(str::to_string)).collect())
            .unwrap_or_default(),
    })
}

/// Read `effects.csv` into `effects[o][i]` (levels in file order).
fn effects(path: &Path, outcomes: &[String], params: &[ParamRange]) -> Result<Vec<Vec<Vec<Level>>>> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = vec![vec![Vec::new(); params.len()]; outcomes.len()];
    let mut rd = csv::Reader::from_reader(bytes.as_slice());
    let head = rd.headers().map_err(|e| bad(path, &e.to_string()))?.clone();
    if head.iter().ne(super::effects::COLUMNS) {
        return Err(bad(path, &format!("expected the columns {}", super::effects::COLUMNS.join(","))));
    }
    for (line, rec) in rd.records().enumerate() {
        let rec = rec.map_err(|e| bad(path, &e.to_string()))?;
        let at = |line: usize, m: &str| Error::Data {
            path: path.to_path_buf(),
            line: line + 2,
            message: m.to_string(),
        };
        let o = outcomes
            .iter()
            .position(|x| x == &rec[0])
            .ok_or_else(|| at(line, &format!("unknown outcome `{}`", &rec[0])))?;
        let i = params
            .iter()
            .position(|p| p.key == rec[1])
            .ok_or_else(|| at(line, &format!("unknown parameter `{}`", &rec[1])))?;
        let num = |c: usize| {
            if rec[c].is_empty() {
                Ok(f64::NAN)
            } else {
                rec[c]
                    .parse::<f64>()
                    .map_err(|_| at(line, &format!("column {} is not a number", super::effects::COLUMNS[c])))
            }
        };
        out[o][i].push(Level {
            x: num(3)?,
            points: num(4)? as usize,
            mean: num(5)?,
            se: num(6)?,
            low: num(7)?,
            high: num(8)?,
            se_design: num(9)?,
            se_replication: num(10)?,
            dof: num(11)?,
        });
    }
    Ok(out)
}

/// Read a sensitivity directory (`sensitivity.json`, `design.csv`).
pub fn sensitivity(dir: &Path) -> Result<Sensitivity> {
    let jpath = dir.join("sensitivity.json");
    let v = read_json(&jpath)?;
    let params = params(&jpath, &v)?;
    let m = &v["method"];
    let as_usize = |x: &Value| x.as_u64().unwrap_or(0) as usize;
    let method = match m["name"].as_str() {
        Some("sobol") => Method::Sobol {
            samples: as_usize(&m["samples"]),
        },
        Some("morris") => Method::Morris {
            trajectories: as_usize(&m["trajectories"]),
            levels: as_usize(&m["levels"]),
        },
        _ => return Err(bad(&jpath, "`method.name` must be sobol or morris")),
    };
    let est = |e: &Value| Estimate {
        value: f(&e["estimate"]),
        se: f(&e["se"]),
        se_design: f(&e["se_design"]),
        se_replication: f(&e["se_replication"]),
        dof: f(&e["dof"]),
        low: f(&e["low"]),
        high: f(&e["high"]),
    };
    let mut results = Vec::new();
    for o in v["outcomes"].as_array().ok_or_else(|| bad(&jpath, "no `outcomes` list"))? {
        let ps = o["params"].as_array().ok_or_else(|| bad(&jpath, "an outcome without `params`"))?;
        let indices = match method {
            Method::Sobol { .. } => Indices::Sobol(SobolIndices {
                first: ps.iter().map(|p| est(&p["first"])).collect(),
                total: ps.iter().map(|p| est(&p["total"])).collect(),
                variance: f(&o["variance"]),
            }),
            Method::Morris { .. } => Indices::Morris(
                ps.iter()
                    .map(|p| MorrisIndex {
                        mu: f(&p["mu"]),
                        mu_star: f(&p["mu_star"]),
                        sigma: f(&p["sigma"]),
                        mu_star_low: f(&p["mu_star_low"]),
                        mu_star_high: f(&p["mu_star_high"]),
                        se: f(&p["se"]),
                        se_design: f(&p["se_design"]),
                        se_replication: f(&p["se_replication"]),
                        dof: f(&p["dof"]),
                        noise: f(&p["noise_mu_star"]),
                    })
                    .collect(),
            ),
        };
        results.push(OutcomeIndices {
            outcome: o["outcome"].as_str().unwrap_or("").to_string(),
            noise_share: f(&o["noise_share"]),
            noise_mu_star: f(&o["noise_mu_star"]),
            indices,
        });
    }
    let dpath = dir.join("design.csv");
    let t = Table::read_csv(&dpath)?;
    let pcols = params.iter().map(|p| column(&t, &dpath, &p.key)).collect::<Result<Vec<_>>>()?;
    let means = results
        .iter()
        .map(|r| column(&t, &dpath, &format!("{}.mean", r.outcome)).map(<[f64]>::to_vec))
        .collect::<Result<Vec<_>>>()?;
    Ok(Sensitivity {
        scenario: v["scenario"].as_str().unwrap_or("").to_string(),
        method,
        points: (0..t.rows()).map(|r| pcols.iter().map(|c| c[r]).collect()).collect(),
        params,
        plan: Plan {
            seed: v["seed"].as_u64().unwrap_or(0),
            runs: v["replications"].as_u64().unwrap_or(0),
            threads: None,
        },
        means,
        results,
        precision: f(&v["precision"]),
        warnings: v["warnings"]
            .as_array()
            .map(|a| a.iter().filter_map(|w| w.as_str().map(str::to_string)).collect())
            .unwrap_or_default(),
        threads: 0,
    })
}

/// Read a discovery directory (`prim.json`, `prim_trajectory.csv`).
pub fn discovery(dir: &Path) -> Result<Discovery> {
    let jpath = dir.join("prim.json");
    let v = read_json(&jpath)?;
    let params: Vec<SweptParam> = v["params"]
        .as_array()
        .ok_or_else(|| bad(&jpath, "no `params` list"))?
        .iter()
        .map(|p| SweptParam {
            key: p["key"].as_str().unwrap_or("").to_string(),
            lo: f(&p["lo"]),
            hi: f(&p["hi"]),
        })
        .collect();
    let tpath = dir.join("prim_trajectory.csv");
    let t = Table::read_csv(&tpath)?;
    let col = |name: &str| column(&t, &tpath, name);
    let (bx, cov, den, mass, pts, chosen) = (
        col("box")?,
        col("coverage")?,
        col("density")?,
        col("mass")?,
        col("points")?,
        col("chosen")?,
    );
    let lows = params
        .iter()
        .map(|p| col(&format!("{}.lower", p.key)))
        .collect::<Result<Vec<_>>>()?;
    let highs = params
        .iter()
        .map(|p| col(&format!("{}.upper", p.key)))
        .collect::<Result<Vec<_>>>()?;
    let jboxes = v["boxes"].as_array().ok_or_else(|| bad(&jpath, "no `boxes` list"))?;
    let mut boxes = Vec::new();
    for (b, jb) in jboxes.iter().enumerate() {
        let rows: Vec<usize> = (0..t.rows()).filter(|&r| bx[r] == b as f64).collect();
        let trajectory: Vec<PrimBox> = rows
            .iter()
            .map(|&r| PrimBox {
                bounds: Bounds {
                    lower: lows.iter().map(|c| c[r]).collect(),
                    upper: highs.iter().map(|c| c[r]).collect(),
                },
                coverage: cov[r],
                density: den[r],
                mass: mass[r],
                points: pts[r] as usize,
            })
            .collect();
        let full = trajectory
            .first()
            .map(|b| b.bounds.clone())
            .ok_or_else(|| bad(&tpath, "a box without peeling steps"))?;
        let bounds = jb["bounds"].as_array().ok_or_else(|| bad(&jpath, "a box without `bounds`"))?;
        boxes.push(PrimResult {
            chosen: rows.iter().position(|&r| chosen[r] == 1.0).unwrap_or(0),
            trajectory,
            pasted: PrimBox {
                bounds: Bounds {
                    lower: bounds.iter().map(|x| f(&x["lower"])).collect(),
                    upper: bounds.iter().map(|x| f(&x["upper"])).collect(),
                },
                coverage: f(&jb["coverage"]),
                density: f(&jb["density"]),
                mass: f(&jb["mass"]),
                points: jb["points"].as_u64().unwrap_or(0) as usize,
            },
            full,
        });
    }
    Ok(Discovery {
        sweep_dir: v["sweep"].as_str().unwrap_or("").into(),
        scenario: v["scenario"].as_str().unwrap_or("").to_string(),
        design: v["design"].as_str().unwrap_or("").to_string(),
        condition: Condition::parse(v["condition"].as_str().unwrap_or(""))?,
        options: PrimOptions {
            alpha: f(&v["alpha"]),
            min_mass: f(&v["min_mass"]),
            min_coverage: f(&v["min_coverage"]),
        },
        params,
        runs: v["runs"].as_u64().unwrap_or(0) as usize,
        yes: v["yes"].as_u64().unwrap_or(0) as usize,
        boxes,
    })
}
