//! The registry of a batch's output files: each file's name, the function that writes it and the
//! columns (or top-level keys) it holds, in the order a batch writes them.
//!
//! This is the one list: a batch and `merge` write the aggregate tables from it
//! ([`write_aggregate_tables`]), `plot` reads its input files by these names, the manifest lists
//! files in this order, and the tests check every column here against the real files and against
//! the README's tables.
//!
//! Column names are patterns: `<domain>`, `<fw>` (framework) and `<param>` (the key path of an
//! uncertain parameter) stand for one column per domain, framework or parameter; `<outcome>` for
//! one column per outcome of the outcome registry ([`crate::outcomes`]) that `runs.csv` holds, and
//! `<outcome family>` for one key per outcome family.

use std::path::Path;

use crate::aggregate::Aggregator;
use crate::error::Result;
use crate::metrics::Labels;

/// How an output file is written.
#[derive(Clone, Copy)]
pub enum Writer {
    /// Rendered whole from the batch's aggregates at the end.
    Aggregate(fn(&Aggregator, &Labels) -> Vec<u8>),
    /// Streamed a row per run as the batch goes (by the named writer type).
    Streamed(&'static str),
    /// The provenance record ([`super::Manifest::write`]), written last.
    Manifest,
}

/// One file of a batch's output directory.
#[derive(Clone, Copy)]
pub struct OutputFile {
    /// File name, relative to the output directory.
    pub name: &'static str,
    /// How the file is written.
    pub writer: Writer,
    /// Column names (CSV header, Parquet schema) or top-level keys (JSON), as patterns.
    pub columns: &'static [&'static str],
}

macro_rules! with_stats {
    ($($c:literal),*) => { &[$($c,)* "mean", "sd", "p05", "p25", "p50", "p75", "p95"] };
}

/// Pattern of one column per outcome that `runs.csv` holds, in registry order.
pub const OUTCOME: &str = "<outcome>";

/// Pattern of one key per outcome family, in registry order.
pub const OUTCOME_FAMILY: &str = "<outcome family>";

/// The files of a whole batch, in the order they are written.
pub const BATCH_FILES: [OutputFile; 7] = [RUNS, DETAIL, SUMMARY, TIMESERIES, INDICES, STATES, MANIFEST];

/// `runs.csv`: one row per run, its drawn parameters and outcomes at the horizon.
pub const RUNS: OutputFile = OutputFile {
    name: "runs.csv",
    writer: Writer::Streamed("RunsWriter"),
    columns: &["run", "<param>", OUTCOME],
};

/// `detail.parquet`: one row per run and state, the framework of each domain at the horizon (optional).
pub const DETAIL: OutputFile = OutputFile {
    name: "detail.parquet",
    writer: Writer::Streamed("DetailWriter"),
    columns: &["run", "state", "<domain>"],
};

/// `summary.json`: the distributions across runs of the final shares and indices, switches and tipping.
pub const SUMMARY: OutputFile = OutputFile {
    name: "summary.json",
    writer: Writer::Aggregate(super::summary_json),
    columns: &["format", "scenario", "runs", "states", "years", OUTCOME_FAMILY],
};

/// `timeseries.csv`: per year, domain, framework and measure, the distribution of the share across runs.
pub const TIMESERIES: OutputFile = OutputFile {
    name: "timeseries.csv",
    writer: Writer::Aggregate(super::timeseries_csv),
    columns: with_stats!("year", "domain", "framework", "measure"),
};

/// `indices.csv`: per year and index, its distribution across runs.
pub const INDICES: OutputFile = OutputFile {
    name: "indices.csv",
    writer: Writer::Aggregate(super::indices_csv),
    columns: with_stats!("year", "index"),
};

/// `states.csv`: per state and domain, the probability of each framework at the horizon and the modal one.
pub const STATES: OutputFile = OutputFile {
    name: "states.csv",
    writer: Writer::Aggregate(super::states_csv),
    columns: &["state", "name", "domain", "p_<fw>", "modal"],
};

/// `manifest.json`: the batch's provenance, written last.
pub const MANIFEST: OutputFile = OutputFile {
    name: super::manifest::MANIFEST_FILE,
    writer: Writer::Manifest,
    columns: &[
        "blocsim_version",
        "output_format",
        "stream_layout",
        "scenario",
        "scenario_path",
        "scenario_sha256",
        "seed",
        "runs",
        "threads",
        "shard",
        "command",
        "wall_seconds",
        "world",
        "files",
        "run",
        "merged_from",
    ],
};

/// The directory of the charts that `plot` draws from the files above.
pub const PLOTS_DIR: &str = "plots";
/// File name of the report page that `plot` writes.
pub const REPORT: &str = "report.html";

/// Whether `path` (relative to an output directory) is drawn from the tables — a chart or the
/// report — rather than one of the results themselves.
pub fn is_drawn(path: &str) -> bool {
    path == REPORT || path.strip_prefix(PLOTS_DIR).is_some_and(|rest| rest.starts_with('/'))
}

/// Write the aggregate tables of a whole batch into `dir` (each atomically), in registry order;
/// returns their names.
pub fn write_aggregate_tables(dir: &Path, agg: &Aggregator, labels: &Labels) -> Result<Vec<String>> {
    let mut files = Vec::new();
    for f in BATCH_FILES {
        if let Writer::Aggregate(render) = f.writer {
            super::write_atomic(&dir.join(f.name), &render(agg, labels))?;
            files.push(f.name.to_string());
        }
    }
    Ok(files)
}

/// The concrete column names a pattern stands for, given the labels of a batch.
pub fn expand(pattern: &str, labels: &Labels) -> Vec<String> {
    use crate::outcomes::{FAMILIES, expand as outcomes_of, layout_of};
    match pattern {
        OUTCOME => {
            let all = outcomes_of(&layout_of(labels, 1), |f| f.uses.runs_csv);
            return all.iter().map(|o| o.name(&labels.domains, &labels.frameworks)).collect();
        }
        OUTCOME_FAMILY => return FAMILIES.iter().map(|f| f.name.to_string()).collect(),
        _ => {}
    }
    let mut names = vec![pattern.to_string()];
    for (placeholder, values) in [
        ("<param>", &labels.uncertain),
        ("<domain>", &labels.domains),
        ("<fw>", &labels.frameworks),
    ] {
        names = names
            .into_iter()
            .flat_map(|n| {
                if n.contains(placeholder) {
                    values.iter().map(|v| n.replacen(placeholder, v, 1)).collect::<Vec<_>>()
                } else {
                    vec![n]
                }
            })
            .collect();
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_columns_are_the_aggregates_names() {
        let names = crate::aggregate::Stats::NAMES;
        assert_eq!(&TIMESERIES.columns[4..], &names[..]);
        assert_eq!(&INDICES.columns[2..], &names[..]);
    }

    #[test]
    fn drawn_files_are_charts_and_the_report() {
        assert!(is_drawn("plots/fan_gdp_ai.svg") && is_drawn("report.html"));
        assert!(!is_drawn("runs.csv") && !is_drawn("plotsx.csv"));
    }
}
