//! `runs.csv`, streamed one row per run as the batch progresses.

use std::fs::File;
use std::path::Path;

use super::atomic::Staged;
use crate::error::Result;
use crate::metrics::{Labels, RunOutcome};

/// Streams `runs.csv`: one row per run, written in run order, to `.runs.csv.tmp` until
/// [`RunsWriter::finish`] renames it into place (dropped unfinished, the temporary file is removed).
///
/// Columns, in this order (domains and frameworks in scenario order, domain-major):
///
/// ```text
/// run                          run index in the batch
/// <key path>                   one per uncertain parameter (e.g. choice.lambda): its value in this run
/// share:<domain>:<fw>          share of states on the framework at the horizon (count / N)
/// gdp_share:<domain>:<fw>      GDP-weighted share at the horizon
/// population_share:<domain>:<fw>  population-weighted share at the horizon
/// fragmentation:<domain>       fragmentation index of the domain at the horizon
/// fragmentation                fragmentation index at the horizon, mean over domains
/// hedging                      hedging index at the horizon
/// bloc:<fw>                    share of states on the framework in every domain at the horizon
/// switches:<domain>            alignment changes made by revising states during the run
/// tipping_year:<domain>:<fw>   first year the framework's GDP share rose above one half (empty: never)
/// ```
///
/// Numbers use Rust's shortest round-trip formatting, so they parse back to the exact `f64`.
pub struct RunsWriter {
    w: csv::Writer<File>,
    states: usize,
    domains: usize,
    frameworks: usize,
    staged: Staged,
}

impl RunsWriter {
    /// Start `runs.csv` at `path` and write its header.
    pub fn create(path: &Path, labels: &Labels) -> Result<RunsWriter> {
        let staged = Staged::new(path)?;
        let file = staged.create()?;
        let mut w = RunsWriter {
            w: csv::Writer::from_writer(file),
            states: labels.state_ids.len(),
            domains: labels.domains.len(),
            frameworks: labels.frameworks.len(),
            staged,
        };
        w.record(header(labels))?;
        Ok(w)
    }

    /// Append the row of one run.
    pub fn write(&mut self, o: &RunOutcome) -> Result<()> {
        let row = self.row(o);
        self.record(row)
    }

    /// Flush and move the finished file into place.
    pub fn finish(self) -> Result<()> {
        let RunsWriter { w, staged, .. } = self;
        let file = w.into_inner().map_err(|e| staged.err(e.into_error()))?;
        drop(file);
        staged.commit()
    }

    fn record(&mut self, fields: Vec<String>) -> Result<()> {
        self.w.write_record(&fields).map_err(|e| self.staged.err(e.into()))
    }

    fn row(&self, o: &RunOutcome) -> Vec<String> {
        let (n, d_count, k_count) = (self.states, self.domains, self.frameworks);
        let dk = d_count * k_count;
        // Horizon values of per-year arrays sit in the last D*K entries.
        let horizon = o.counts.len().saturating_sub(dk);
        let f = |x: Option<&f64>| x.map_or(String::new(), |v| v.to_string());
        let mut row = Vec::with_capacity(1 + o.draws.len() + 4 * dk + 2 * d_count + k_count + 2);
        row.push(o.run.to_string());
        row.extend(o.draws.iter().map(|v| v.to_string()));
        row.extend((0..dk).map(|c| {
            o.counts
                .get(horizon + c)
                .map_or(String::new(), |&x| (f64::from(x) / n as f64).to_string())
        }));
        row.extend((0..dk).map(|c| f(o.gdp_shares.get(horizon + c))));
        row.extend((0..dk).map(|c| f(o.pop_shares.get(c))));
        row.extend((0..d_count).map(|d| f(o.fragmentation_final.get(d))));
        row.push(f(o.fragmentation.last()));
        row.push(f(o.hedging.last()));
        row.extend((0..k_count).map(|k| f(o.bloc.get(k))));
        row.extend((0..d_count).map(|d| o.switches.get(d).map_or(String::new(), |s| s.to_string())));
        row.extend((0..dk).map(|c| o.tipping_year.get(c).copied().flatten().map_or(String::new(), |y| y.to_string())));
        row
    }
}

/// The header of `runs.csv` (see [`RunsWriter`]).
fn header(l: &Labels) -> Vec<String> {
    let dk = |prefix: &str| -> Vec<String> {
        l.domains
            .iter()
            .flat_map(|d| l.frameworks.iter().map(move |k| format!("{prefix}:{d}:{k}")))
            .collect()
    };
    let mut h = vec!["run".to_string()];
    h.extend(l.uncertain.iter().cloned());
    h.extend(dk("share"));
    h.extend(dk("gdp_share"));
    h.extend(dk("population_share"));
    h.extend(l.domains.iter().map(|d| format!("fragmentation:{d}")));
    h.push("fragmentation".into());
    h.push("hedging".into());
    h.extend(l.frameworks.iter().map(|k| format!("bloc:{k}")));
    h.extend(l.domains.iter().map(|d| format!("switches:{d}")));
    h.extend(dk("tipping_year"));
    h
}
