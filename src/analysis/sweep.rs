//! `blocsim sweep`: a grid or Latin-hypercube design over scenario keys, R replications per point.
//!
//! Output directory:
//! - `points.csv` / `points.parquet`: one row per design point — `point`, the parameter values (one
//!   column per key path), then per outcome `<outcome>.mean`, `.sd`, `.se`, `.p05`, `.p50`, `.p95`
//!   across the replications;
//! - `runs.csv` / `runs.parquet`: one row per run — `point`, `replication`, parameter values,
//!   outcome values (the input of `blocsim discover`);
//! - `sweep.json`: the design (kind, points, replications, seed, parameters with ranges, outcomes)
//!   and, per outcome, the share of the variance of point means that is replication noise;
//! - `manifest.json`, and charts in `plots/`.

use std::path::Path;

use serde_json::{Value, json};

use super::table::{Table, json_bytes, num};
use super::{Loader, Outcome, ParamRange, Plan, PointStats, design, design_rng, evaluate, noise_share};
use crate::error::{Error, Result};
use crate::export::write_atomic;
use crate::progress::Progress;

/// Which design a sweep uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesignKind {
    /// Full factorial, `points` levels per parameter.
    Grid,
    /// Latin hypercube of `points` points.
    Lhs,
}

impl DesignKind {
    /// Parse `grid` or `lhs`.
    pub fn parse(s: &str) -> Result<DesignKind> {
        match s {
            "grid" => Ok(DesignKind::Grid),
            "lhs" => Ok(DesignKind::Lhs),
            _ => Err(Error::Usage(format!("--design {s}: expected grid or lhs"))),
        }
    }
    /// The name written in `sweep.json`.
    pub fn name(self) -> &'static str {
        match self {
            DesignKind::Grid => "grid",
            DesignKind::Lhs => "lhs",
        }
    }
}

/// A finished sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub scenario: String,
    pub design: DesignKind,
    pub params: Vec<ParamRange>,
    pub outcomes: Vec<String>,
    pub plan: Plan,
    /// Parameter values of each design point.
    pub points: Vec<Vec<f64>>,
    /// `stats[p][o]`.
    pub stats: Vec<Vec<PointStats>>,
    /// Per outcome: share of the variance of point means that is replication noise.
    pub noise: Vec<f64>,
    pub runs_table: Table,
    pub threads: usize,
    /// Things the user should know (integer keys rounded, repeated design points).
    pub warnings: Vec<String>,
}

/// The design of a sweep in parameter values: grid levels per axis or LHS points in all.
pub fn design_points(params: &[ParamRange], kind: DesignKind, points: usize, seed: u64) -> Result<Vec<Vec<f64>>> {
    if params.is_empty() {
        return Err(Error::Usage("a sweep needs at least one --param PATH=LO:HI".into()));
    }
    let unit = match kind {
        DesignKind::Grid => design::grid(params.len(), points)?,
        DesignKind::Lhs => design::lhs(params.len(), points, &mut design_rng(seed, 1))?,
    };
    Ok(unit.iter().map(|u| params.iter().zip(u).map(|(p, &u)| p.at(u)).collect()).collect())
}

/// Run a sweep, calling `progress(done)` after each chunk. `params` must have been resolved with
/// [`Loader::resolve`].
pub fn run(
    loader: &Loader,
    params: &[ParamRange],
    kind: DesignKind,
    points: usize,
    outcomes: &[Outcome],
    plan: &Plan,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Sweep> {
    run_with(loader, params, kind, points, outcomes, plan, &crate::progress::Callback(progress))
}

/// [`run`] reporting to a [`Progress`], which may stop the sweep between chunks.
pub fn run_with(
    loader: &Loader,
    params: &[ParamRange],
    kind: DesignKind,
    points: usize,
    outcomes: &[Outcome],
    plan: &Plan,
    progress: &dyn Progress,
) -> Result<Sweep> {
    let pts = design_points(params, kind, points, plan.seed)?;
    let (o_count, r_count) = (outcomes.len(), plan.runs as usize);
    let mut stats = Vec::with_capacity(pts.len());
    let mut by_outcome: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(pts.len()); o_count];
    let mut runs_cols: Vec<Vec<f64>> = vec![Vec::with_capacity(pts.len() * r_count); 2 + params.len() + o_count];
    let threads = evaluate(loader, params, &pts, outcomes, plan, progress, &mut |p, values| {
        let mut row = Vec::with_capacity(o_count);
        for (o, series) in by_outcome.iter_mut().enumerate() {
            let xs: Vec<f64> = (0..r_count).map(|r| values[r * o_count + o]).collect();
            row.push(PointStats::of(&xs));
            series.push(xs);
        }
        stats.push(row);
        for r in 0..r_count {
            runs_cols[0].push(p as f64);
            runs_cols[1].push(r as f64);
            for (i, v) in pts[p].iter().enumerate() {
                runs_cols[2 + i].push(*v);
            }
            for o in 0..o_count {
                runs_cols[2 + params.len() + o].push(values[r * o_count + o]);
            }
        }
        Ok(())
    })?;
    let mut runs_table = Table::default();
    let mut cols = runs_cols.into_iter();
    runs_table.int("point", cols.next().unwrap_or_default());
    runs_table.int("replication", cols.next().unwrap_or_default());
    for p in params {
        runs_table.real(&p.key, cols.next().unwrap_or_default());
    }
    for o in outcomes {
        runs_table.real(&o.name, cols.next().unwrap_or_default());
    }
    let mut warnings: Vec<String> = params
        .iter()
        .filter(|p| p.integer)
        .map(|p| format!("{} takes whole numbers: its design values are rounded", p.key))
        .collect();
    let mut distinct = pts.clone();
    distinct.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    distinct.dedup();
    if distinct.len() < pts.len() {
        warnings.push(format!(
            "after rounding, only {} of the {} design points are distinct",
            distinct.len(),
            pts.len()
        ));
    }
    Ok(Sweep {
        warnings,
        scenario: loader.base.scenario.name.clone(),
        design: kind,
        params: params.to_vec(),
        outcomes: outcomes.iter().map(|o| o.name.clone()).collect(),
        plan: *plan,
        noise: by_outcome.iter().map(|s| noise_share(s)).collect(),
        points: pts,
        stats,
        runs_table,
        threads,
    })
}

/// The statistic columns of `points.csv`, in order.
pub const STATS: [&str; 6] = ["mean", "sd", "se", "p05", "p50", "p95"];

impl Sweep {
    /// The per-point table.
    pub fn points_table(&self) -> Table {
        let mut t = Table::default();
        t.int("point", (0..self.points.len()).map(|p| p as f64).collect());
        for (i, p) in self.params.iter().enumerate() {
            t.real(&p.key, self.points.iter().map(|v| v[i]).collect());
        }
        for (o, name) in self.outcomes.iter().enumerate() {
            let get: [fn(&PointStats) -> f64; 6] = [|s| s.mean, |s| s.sd, |s| s.se, |s| s.p05, |s| s.p50, |s| s.p95];
            for (stat, f) in STATS.iter().zip(get) {
                t.real(&format!("{name}.{stat}"), self.stats.iter().map(|row| f(&row[o])).collect());
            }
        }
        t
    }

    /// The description written as `sweep.json`.
    pub fn description(&self) -> Value {
        json!({
            "scenario": self.scenario,
            "design": self.design.name(),
            "points": self.points.len(),
            "replications": self.plan.runs,
            "seed": self.plan.seed,
            "params": self.params.iter().map(|p| json!({"key": p.key, "lo": num(p.lo), "hi": num(p.hi), "integer": p.integer})).collect::<Vec<_>>(),
            "outcomes": self.outcomes,
            "warnings": self.warnings,
            "noise_share": self.outcomes.iter().zip(&self.noise).map(|(o, v)| (o.clone(), num(*v))).collect::<serde_json::Map<String, Value>>(),
        })
    }

    /// Write the tables and `sweep.json` into `dir`; returns the file names.
    pub fn write(&self, dir: &Path) -> Result<Vec<String>> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files = self.points_table().write(dir, "points")?;
        files.extend(self.runs_table.write(dir, "runs")?);
        write_atomic(&dir.join("sweep.json"), &json_bytes(&self.description()))?;
        files.push("sweep.json".into());
        Ok(files)
    }
}

/// Default number of points: levels per axis for a grid, points in all for a Latin hypercube.
pub fn default_points(kind: DesignKind) -> usize {
    match kind {
        DesignKind::Grid => 5,
        DesignKind::Lhs => 100,
    }
}
