//! `blocsim discover`: scenario discovery with PRIM over the runs of a sweep.
//!
//! Reads `sweep.json` and `runs.csv` of a sweep directory, marks every run "yes" or "no" with a
//! condition `OUTCOME OP NUMBER` (`OP` one of `>`, `>=`, `<`, `<=`; e.g.
//! `final_gdp_share.telecom.CN > 0.5`) and searches the parameter values for boxes where "yes" is
//! frequent ([`super::prim`]). Each run is one observation, so replications of a point count
//! separately: a box's density estimates the probability of the outcome there.
//!
//! Writes into the output directory (default `<sweep>/discover`): `prim_trajectory.csv` (every
//! peeling step of every box: coverage, density, mass, limits), `prim_boxes.csv` (per box and
//! parameter: limits and whether restricted), `prim.json` (everything, with the settings), and
//! charts `plots/prim_tradeoff` and `plots/prim_boxes`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::prim::{PrimOptions, PrimResult, covering};
use super::table::{Table, json_bytes, num};
use crate::error::{Error, Result};
use crate::export::write_atomic;

/// A yes/no condition on an outcome column.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// Outcome column of `runs.csv`.
    pub outcome: String,
    /// Comparison: `>`, `>=`, `<` or `<=`.
    pub op: String,
    /// The number compared with.
    pub threshold: f64,
}

impl Condition {
    /// Parse `OUTCOME OP NUMBER`.
    pub fn parse(text: &str) -> Result<Condition> {
        let bad = || {
            Error::Usage(format!(
                "--where {text}: expected OUTCOME OP NUMBER with OP one of > >= < <=, e.g. 'fragmentation > 0.4'"
            ))
        };
        for op in [">=", "<=", ">", "<"] {
            if let Some((a, b)) = text.split_once(op) {
                let outcome = a.trim().to_string();
                let threshold = b.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(bad)?;
                if outcome.is_empty() {
                    return Err(bad());
                }
                return Ok(Condition {
                    outcome,
                    op: op.to_string(),
                    threshold,
                });
            }
        }
        Err(bad())
    }

    /// Whether `v` satisfies the condition (NaN never does).
    pub fn holds(&self, v: f64) -> bool {
        match self.op.as_str() {
            ">=" => v >= self.threshold,
            "<=" => v <= self.threshold,
            ">" => v > self.threshold,
            _ => v < self.threshold,
        }
    }

    /// The condition as text.
    pub fn text(&self) -> String {
        format!("{} {} {}", self.outcome, self.op, self.threshold)
    }
}

/// A parameter of the sweep, as recorded in `sweep.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct SweptParam {
    /// Key path of the parameter.
    pub key: String,
    /// Lowest value swept.
    pub lo: f64,
    /// Highest value swept.
    pub hi: f64,
}

/// The result of a discovery.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// The sweep's output directory.
    pub sweep_dir: PathBuf,
    /// Scenario of the sweep.
    pub scenario: String,
    /// Design of the sweep (from `sweep.json`).
    pub design: String,
    /// The condition the boxes cover.
    pub condition: Condition,
    /// PRIM's settings.
    pub options: PrimOptions,
    /// The swept parameters, in column order.
    pub params: Vec<SweptParam>,
    /// Runs read.
    pub runs: usize,
    /// Runs that meet the condition.
    pub yes: usize,
    /// The boxes found, each searched on the runs outside the earlier ones.
    pub boxes: Vec<PrimResult>,
}

/// Read a sweep directory and run PRIM.
pub fn discover(dir: &Path, condition: &Condition, options: &PrimOptions, boxes: usize) -> Result<Discovery> {
    let spath = dir.join("sweep.json");
    let bytes = std::fs::read(&spath).map_err(|source| Error::Read {
        path: spath.clone(),
        source,
    })?;
    let data = |m: String| Error::Data {
        path: spath.clone(),
        line: 1,
        message: m,
    };
    let desc: Value = serde_json::from_slice(&bytes).map_err(|e| data(format!("not a sweep description: {e}")))?;
    let params: Vec<SweptParam> = desc["params"]
        .as_array()
        .ok_or_else(|| data("no `params` list".into()))?
        .iter()
        .map(|p| {
            Some(SweptParam {
                key: p["key"].as_str()?.to_string(),
                lo: p["lo"].as_f64()?,
                hi: p["hi"].as_f64()?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| data("each parameter needs key, lo and hi".into()))?;
    let outcomes: Vec<String> = desc["outcomes"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if !outcomes.contains(&condition.outcome) {
        return Err(Error::Usage(format!(
            "--where {}: `{}` is not an outcome of this sweep (outcomes: {})",
            condition.text(),
            condition.outcome,
            outcomes.join(", ")
        )));
    }
    let rpath = dir.join("runs.csv");
    let t = Table::read_csv(&rpath)?;
    let col = |name: &str| {
        t.column(name).ok_or_else(|| Error::Data {
            path: rpath.clone(),
            line: 1,
            message: format!("no column `{name}`"),
        })
    };
    let ycol = col(&condition.outcome)?;
    let xcols = params.iter().map(|p| col(&p.key)).collect::<Result<Vec<_>>>()?;
    let x: Vec<Vec<f64>> = (0..t.rows()).map(|r| xcols.iter().map(|c| c.values[r]).collect()).collect();
    let y: Vec<bool> = ycol.values.iter().map(|&v| condition.holds(v)).collect();
    let yes = y.iter().filter(|&&v| v).count();
    if yes == 0 {
        return Err(Error::Usage(format!(
            "--where {}: no run of the sweep satisfies the condition, so there is nothing to discover",
            condition.text()
        )));
    }
    let found = covering(&x, &y, options, boxes).map_err(|m| Error::Usage(format!("PRIM: {m}")))?;
    Ok(Discovery {
        sweep_dir: dir.to_path_buf(),
        scenario: desc["scenario"].as_str().unwrap_or("").to_string(),
        design: desc["design"].as_str().unwrap_or("").to_string(),
        condition: condition.clone(),
        options: *options,
        params,
        runs: t.rows(),
        yes,
        boxes: found,
    })
}

impl Discovery {
    /// Every peeling step of every box.
    pub fn trajectory_table(&self) -> Table {
        let mut cols: Vec<Vec<f64>> = vec![Vec::new(); 7 + 2 * self.params.len()];
        for (b, r) in self.boxes.iter().enumerate() {
            for (s, step) in r.trajectory.iter().enumerate() {
                let mut row = vec![
                    b as f64,
                    s as f64,
                    step.coverage,
                    step.density,
                    step.mass,
                    step.points as f64,
                    f64::from(u8::from(s == r.chosen)),
                ];
                for i in 0..self.params.len() {
                    row.push(step.bounds.lower[i]);
                    row.push(step.bounds.upper[i]);
                }
                for (c, v) in cols.iter_mut().zip(row) {
                    c.push(v);
                }
            }
        }
        let mut t = Table::default();
        let mut it = cols.into_iter();
        for name in ["box", "step"] {
            t.int(name, it.next().unwrap_or_default());
        }
        for name in ["coverage", "density", "mass"] {
            t.real(name, it.next().unwrap_or_default());
        }
        t.int("points", it.next().unwrap_or_default());
        t.int("chosen", it.next().unwrap_or_default());
        for p in &self.params {
            t.real(&format!("{}.lower", p.key), it.next().unwrap_or_default());
            t.real(&format!("{}.upper", p.key), it.next().unwrap_or_default());
        }
        t
    }

    /// The chosen boxes after pasting, one row per box and parameter.
    pub fn boxes_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "box",
            "coverage",
            "density",
            "mass",
            "points",
            "param",
            "restricted",
            "lower",
            "upper",
            "range_lo",
            "range_hi",
        ]);
        for (b, r) in self.boxes.iter().enumerate() {
            let restricted = r.restricted();
            for (i, p) in self.params.iter().enumerate() {
                let _ = w.write_record([
                    b.to_string(),
                    format!("{}", r.pasted.coverage),
                    format!("{}", r.pasted.density),
                    format!("{}", r.pasted.mass),
                    r.pasted.points.to_string(),
                    p.key.clone(),
                    restricted.contains(&i).to_string(),
                    format!("{}", r.pasted.bounds.lower[i]),
                    format!("{}", r.pasted.bounds.upper[i]),
                    format!("{}", p.lo),
                    format!("{}", p.hi),
                ]);
            }
        }
        w.into_inner().unwrap_or_default()
    }

    /// Everything as JSON (`prim.json`).
    pub fn to_json(&self) -> Value {
        let boxes: Vec<Value> = self
            .boxes
            .iter()
            .map(|r| {
                let restricted = r.restricted();
                json!({
                    "coverage": num(r.pasted.coverage),
                    "density": num(r.pasted.density),
                    "mass": num(r.pasted.mass),
                    "points": r.pasted.points,
                    "chosen_step": r.chosen,
                    "bounds": self.params.iter().enumerate().map(|(i, p)| json!({
                        "param": p.key,
                        "lower": num(r.pasted.bounds.lower[i]),
                        "upper": num(r.pasted.bounds.upper[i]),
                    })).collect::<Vec<_>>(),
                    "peeling_steps": r.trajectory.len(),
                    "restricted": restricted.iter().map(|&i| json!({
                        "param": self.params[i].key,
                        "lower": num(r.pasted.bounds.lower[i]),
                        "upper": num(r.pasted.bounds.upper[i]),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "sweep": self.sweep_dir.display().to_string(),
            "scenario": self.scenario,
            "design": self.design,
            "condition": self.condition.text(),
            "runs": self.runs,
            "yes": self.yes,
            "base_rate": num(self.yes as f64 / self.runs as f64),
            "alpha": num(self.options.alpha),
            "min_mass": num(self.options.min_mass),
            "min_coverage": num(self.options.min_coverage),
            "params": self.params.iter().map(|p| json!({"key": p.key, "lo": num(p.lo), "hi": num(p.hi)})).collect::<Vec<_>>(),
            "boxes": boxes,
        })
    }

    /// Write the tables and `prim.json` into `dir`; returns the file names.
    pub fn write(&self, dir: &Path) -> Result<Vec<String>> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        write_atomic(&dir.join("prim_trajectory.csv"), &self.trajectory_table().to_csv())?;
        write_atomic(&dir.join("prim_boxes.csv"), &self.boxes_csv())?;
        write_atomic(&dir.join("prim.json"), &json_bytes(&self.to_json()))?;
        Ok(vec!["prim_trajectory.csv".into(), "prim_boxes.csv".into(), "prim.json".into()])
    }

    /// A plain-text summary of the boxes.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{} of {} runs satisfy {} (base rate {:.3})\n",
            self.yes,
            self.runs,
            self.condition.text(),
            self.yes as f64 / self.runs as f64
        );
        for (b, r) in self.boxes.iter().enumerate() {
            s.push_str(&format!(
                "box {b}: coverage {:.3}, density {:.3}, mass {:.3} ({} runs; peeling step {} of {})\n",
                r.pasted.coverage,
                r.pasted.density,
                r.pasted.mass,
                r.pasted.points,
                r.chosen,
                r.trajectory.len() - 1
            ));
            for i in r.restricted() {
                s.push_str(&format!(
                    "  {} in [{:.4}, {:.4}]   (swept {}..{})\n",
                    self.params[i].key, r.pasted.bounds.lower[i], r.pasted.bounds.upper[i], self.params[i].lo, self.params[i].hi
                ));
            }
            if r.restricted().is_empty() {
                s.push_str("  (no parameter restricted)\n");
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_conditions() {
        let c = Condition::parse("final_gdp_share.telecom.CN >= 0.5").unwrap();
        assert_eq!(
            (c.outcome.as_str(), c.op.as_str(), c.threshold),
            ("final_gdp_share.telecom.CN", ">=", 0.5)
        );
        assert!(c.holds(0.5) && !c.holds(0.4) && !c.holds(f64::NAN));
        let c = Condition::parse("hedging<0.1").unwrap();
        assert!(c.holds(0.05) && !c.holds(0.1));
        assert!(Condition::parse("hedging 0.1").is_err());
        assert!(Condition::parse("> 0.1").is_err());
        assert!(Condition::parse("hedging > x").is_err());
    }
}
