//! `blocsim sweep`: a grid or Latin-hypercube design over scenario keys, R replications per point.
//!
//! Output directory:
//! - `points.csv` / `points.parquet`: one row per design point — `point`, the parameter values (one
//!   column per key path), then per outcome `<outcome>.mean`, `.sd`, `.se`, `.p05`, `.p50`, `.p95`
//!   across the replications;
//! - `runs.csv` / `runs.parquet`: one row per run — `point`, `replication`, parameter values,
//!   outcome values (the input of `blocsim discover`);
//! - `effects.csv`: the main effects, per outcome, parameter and level, with bands that carry the
//!   replication streams' variation ([`super::effects`]);
//! - `sweep.json`: the design (kind, points, replications, seed, parameters with ranges, outcomes)
//!   and, per outcome, the expected share of replication noise in the variance of the point means;
//! - `manifest.json`, and charts in `plots/`.

use std::path::Path;

use serde_json::{Value, json};

use super::effects::{self, Level};
use super::precision::{Need, need_text, needed_replications};
use super::table::{Table, json_bytes, num};
use super::{Loader, Outcome, ParamRange, Plan, PointStats, design, design_rng, evaluate, noise_share};
use crate::error::{Error, Result};
use crate::export::write_atomic;
use crate::progress::Progress;

/// Which design a sweep uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DesignKind {
    /// Full factorial, `points` levels per parameter.
    Grid,
    /// Latin hypercube of `points` points.
    Lhs,
}

impl DesignKind {
    /// Parse `grid` or `lhs` (the names [`clap::ValueEnum`] gives the command line).
    pub fn parse(s: &str) -> Result<DesignKind> {
        // On failure, the command line's words (clap's), so that every interface says the same.
        <DesignKind as clap::ValueEnum>::from_str(s, false).map_err(|_| {
            Error::Usage(format!(
                "invalid value '{s}' for '--design <DESIGN>'\n  [possible values: grid, lhs]"
            ))
        })
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
    /// Scenario name.
    pub scenario: String,
    /// Grid or Latin hypercube.
    pub design: DesignKind,
    /// The swept parameters, resolved.
    pub params: Vec<ParamRange>,
    /// The outcomes' column names.
    pub outcomes: Vec<String>,
    /// Seed, replications and threads.
    pub plan: Plan,
    /// Parameter values of each design point.
    pub points: Vec<Vec<f64>>,
    /// `stats[p][o]`.
    pub stats: Vec<Vec<PointStats>>,
    /// Per outcome: expected share of replication noise in the variance of the point means.
    pub noise: Vec<f64>,
    /// Main effects `effects[o][i]`: the levels of parameter i for outcome o.
    pub effects: Vec<Vec<Vec<Level>>>,
    /// The requested half-width of the main effects' bands (`--precision`), if any.
    pub precision: Option<f64>,
    /// One row per run: point, replication, parameter values and outcomes (`runs.csv`).
    pub runs_table: Table,
    /// Worker threads used.
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
    let random = kind == DesignKind::Lhs;
    let effects: Vec<Vec<Vec<Level>>> = by_outcome
        .iter()
        .map(|runs| {
            params
                .iter()
                .enumerate()
                .map(|(i, p)| effects::main_effect(&pts, i, p.lo, p.hi, runs, random))
                .collect()
        })
        .collect();
    let noise: Vec<f64> = by_outcome.iter().map(|s| noise_share(s)).collect();
    for (o, share) in noise.iter().enumerate() {
        if *share >= 1.0 {
            warnings.push(format!(
                "{}: the design points' means differ no more than replication noise would make them",
                outcomes[o].name
            ));
        }
    }
    if r_count < 2 {
        warnings.push(
            "--runs 1: the bands cannot include the replication noise (a rerun with another seed would move them); use --runs 3 or more"
                .into(),
        );
    }
    Ok(Sweep {
        effects,
        precision: None,
        warnings,
        scenario: loader.base.scenario.name.clone(),
        design: kind,
        params: params.to_vec(),
        outcomes: outcomes.iter().map(|o| o.name.clone()).collect(),
        plan: *plan,
        noise,
        points: pts,
        stats,
        runs_table,
        threads,
    })
}

/// The statistic columns of `points.csv`, in order.
pub const STATS: [&str; 6] = ["mean", "sd", "se", "p05", "p50", "p95"];

impl Sweep {
    /// Record the requested precision of the main effects' bands and warn, per outcome, where the
    /// widest band is wider, with the replications that would reach it (check the value first with
    /// [`effects::check_precision`]).
    pub fn with_precision(mut self, precision: Option<f64>) -> Sweep {
        self.precision = precision;
        let Some(target) = precision else {
            return self;
        };
        for (o, per_param) in self.effects.iter().enumerate() {
            let worst = per_param
                .iter()
                .enumerate()
                .flat_map(|(i, ls)| ls.iter().map(move |l| (i, l)))
                .filter(|(_, l)| l.se.is_finite())
                .max_by(|a, b| a.1.se.total_cmp(&b.1.se));
            let Some((i, l)) = worst else { continue };
            let e = l.estimate();
            let nu_design = (l.points as f64 - 1.0).max(1.0);
            let need = needed_replications(&e, self.plan.runs, nu_design, 0.0, target, 0.95);
            if need == Need::Met {
                continue;
            }
            let what = format!("{}: main effect of {} at {}", self.outcomes[o], self.params[i].key, l.x);
            if let Some(w) = need_text(need, &what, e.half_width(), target, self.plan.runs, "--points") {
                self.warnings.push(w);
            }
        }
        self
    }

    /// The main-effects table (`effects.csv`).
    pub fn effects_table(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let f = |v: f64| if v.is_finite() { format!("{v}") } else { String::new() };
        let _ = w.write_record(effects::COLUMNS);
        for (o, per_param) in self.effects.iter().enumerate() {
            for (i, levels) in per_param.iter().enumerate() {
                for (j, l) in levels.iter().enumerate() {
                    let _ = w.write_record([
                        self.outcomes[o].clone(),
                        self.params[i].key.clone(),
                        j.to_string(),
                        f(l.x),
                        l.points.to_string(),
                        f(l.mean),
                        f(l.se),
                        f(l.low),
                        f(l.high),
                        f(l.se_design),
                        f(l.se_replication),
                        f(l.dof),
                    ]);
                }
            }
        }
        w.into_inner().unwrap_or_default()
    }

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
            "precision": self.precision.map_or(Value::Null, num),
            "bands": "main effects: mean ± t(Welch–Satterthwaite dof) × se, se from the replications' spread (and, for lhs, the points'); see effects.csv",
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
        write_atomic(&dir.join("effects.csv"), &self.effects_table())?;
        files.push("effects.csv".into());
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
