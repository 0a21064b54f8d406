//! `blocsim run`: one run written out in full — the trajectory year by year and every state's
//! final framework per domain.

use std::path::Path;
use std::time::Instant;

use crate::batch::{self, BatchOptions};
use crate::error::{Error, Result};
use crate::export;
use crate::metrics::RunOutcome;
use crate::model::Model;
use crate::run::run_one;

/// `trajectory.csv`: year, domain, framework, number of states, count share, GDP share.
pub fn trajectory_csv(model: &Model, o: &RunOutcome) -> Result<Vec<u8>> {
    let l = model.layout;
    let s = &model.scenario;
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| Error::Usage(format!("cannot format trajectory: {e}"));
    w.write_record(["year", "domain", "framework", "states", "share", "gdp_share"])
        .map_err(csv_err)?;
    for t in 0..l.years {
        for d in 0..l.domains {
            for k in 0..l.frameworks {
                let idx = l.share_index(t, d, k);
                let c = o.counts[idx];
                w.write_record([
                    (s.start + t as i32).to_string(),
                    s.domains[d].clone(),
                    s.frameworks[k].clone(),
                    c.to_string(),
                    (f64::from(c) / l.states as f64).to_string(),
                    o.gdp_shares[idx].to_string(),
                ])
                .map_err(csv_err)?;
            }
        }
    }
    w.into_inner().map_err(|e| Error::Usage(format!("cannot format trajectory: {e}")))
}

/// `final_state.csv`: a row per state with its framework in each domain.
pub fn final_state_csv(model: &Model, o: &RunOutcome) -> Result<Vec<u8>> {
    let l = model.layout;
    let s = &model.scenario;
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| Error::Usage(format!("cannot format final state: {e}"));
    let mut header = vec!["state".to_string(), "name".to_string()];
    header.extend(s.domains.iter().cloned());
    w.write_record(&header).map_err(csv_err)?;
    for i in 0..l.states {
        let mut row = vec![model.world.ids[i].to_string(), model.world.name(i).to_string()];
        for d in 0..l.domains {
            row.push(s.frameworks[o.final_alignment[l.cell(d, i)] as usize].clone());
        }
        w.write_record(&row).map_err(csv_err)?;
    }
    w.into_inner().map_err(|e| Error::Usage(format!("cannot format final state: {e}")))
}

/// Simulate run `run` under `seed` and write `trajectory.csv`, `final_state.csv` and `manifest.json`.
pub fn write_run(model: &Model, seed: u64, run: u64, dir: &Path, command: Vec<String>) -> Result<RunOutcome> {
    let started = Instant::now();
    let outcome = run_one(model, seed, run);
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    export::write_atomic(&dir.join("trajectory.csv"), &trajectory_csv(model, &outcome)?)?;
    export::write_atomic(&dir.join("final_state.csv"), &final_state_csv(model, &outcome)?)?;
    let opts = BatchOptions {
        runs: 1,
        seed,
        threads: Some(1),
        shard: None,
        detail: false,
        out: None,
        command,
    };
    let files = vec!["trajectory.csv".into(), "final_state.csv".into(), "manifest.json".into()];
    let mut manifest = batch::manifest(model, &opts, 1, started.elapsed().as_secs_f64(), files);
    manifest.run = Some(run);
    manifest.write(dir)?;
    Ok(outcome)
}
