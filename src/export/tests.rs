//! Tests of the export formats against hand-built outcomes.

use super::*;
use crate::aggregate::Aggregator;
use crate::aggregate::tests::{layout, outcome};
use crate::metrics::{Labels, Layout};

fn labels(l: Layout) -> Labels {
    Labels {
        scenario: "test".into(),
        frameworks: ["EU", "US", "CN"].iter().take(l.frameworks).map(|s| s.to_string()).collect(),
        domains: ["data", "ai", "payments"].iter().take(l.domains).map(|s| s.to_string()).collect(),
        state_ids: (0..l.states).map(|i| format!("S{i:02}")).collect(),
        state_names: (0..l.states)
            .map(|i| {
                if i == 1 {
                    "Korea, \"Republic\" of".to_string()
                } else {
                    format!("State {i}")
                }
            })
            .collect(),
        uncertain: vec!["choice.lambda".into(), "weights.network".into()],
        start_year: 2024,
    }
}

fn tables(a: &Aggregator, l: &Labels) -> [Vec<u8>; 4] {
    [summary_json(a, l), timeseries_csv(a, l), indices_csv(a, l), states_csv(a, l)]
}

#[test]
fn merged_shards_export_the_same_bytes() {
    let (lay, lab) = (layout(), labels(layout()));
    let mut whole = Aggregator::new(lay, 2);
    let mut shards = [Aggregator::new(lay, 2), Aggregator::new(lay, 2), Aggregator::new(lay, 2)];
    for r in 0..50u64 {
        let o = outcome(lay, r);
        whole.add(&o);
        shards[(r * 3 / 50) as usize].add(&o);
    }
    let [a, b, c] = shards;
    let mut merged = c;
    merged.merge(&a).expect("merge");
    merged.merge(&b).expect("merge");
    assert_eq!(tables(&merged, &lab), tables(&whole, &lab));
    let reread = Aggregator::from_bytes(&merged.to_bytes()).expect("round trip");
    assert_eq!(tables(&reread, &lab), tables(&whole, &lab));
}

#[test]
fn table_headers_and_shapes() {
    let (lay, lab) = (layout(), labels(layout()));
    let mut a = Aggregator::new(lay, 2);
    for r in 0..5 {
        a.add(&outcome(lay, r));
    }
    let ts = String::from_utf8(timeseries_csv(&a, &lab)).expect("utf-8");
    let mut lines = ts.lines();
    assert_eq!(lines.next(), Some("year,domain,framework,measure,mean,sd,p05,p25,p50,p75,p95"));
    assert!(lines.next().is_some_and(|l| l.starts_with("2024,data,EU,count_share,")));
    assert_eq!(ts.lines().count(), 1 + lay.years * lay.domains * lay.frameworks * 2);

    let ix = String::from_utf8(indices_csv(&a, &lab)).expect("utf-8");
    assert_eq!(ix.lines().next(), Some("year,index,mean,sd,p05,p25,p50,p75,p95"));
    assert!(ix.lines().nth(2).is_some_and(|l| l.starts_with("2024,hedging,")));
    assert_eq!(ix.lines().count(), 1 + lay.years * 2);

    let st = String::from_utf8(states_csv(&a, &lab)).expect("utf-8");
    assert_eq!(st.lines().next(), Some("state,name,domain,p_EU,p_US,p_CN,modal"));
    assert_eq!(st.lines().count(), 1 + lay.states * lay.domains);
    // Names with commas and quotes are quoted as the csv crate would.
    let mut rdr = csv::Reader::from_reader(st.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<std::result::Result<_, _>>().expect("parse");
    assert_eq!(&rows[2][1], "Korea, \"Republic\" of");
    for row in &rows {
        let p: f64 = (3..6).map(|c| row[c].parse::<f64>().expect("probability")).sum();
        assert!((p - 1.0).abs() < 1e-12);
    }
}

#[test]
fn summary_has_the_documented_structure() {
    let (lay, lab) = (layout(), labels(layout()));
    let mut a = Aggregator::new(lay, 2);
    for r in 0..7 {
        a.add(&outcome(lay, r));
    }
    let bytes = summary_json(&a, &lab);
    assert!(bytes.ends_with(b"}\n"));
    let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    let keys: Vec<&str> = v.as_object().expect("object").keys().map(|k| k.as_str()).collect();
    // The top-level keys, in order, are the ones the output registry documents.
    let documented: Vec<String> = super::outputs::SUMMARY
        .columns
        .iter()
        .flat_map(|c| super::outputs::expand(c, &lab))
        .collect();
    assert_eq!(keys, documented);
    assert_eq!(v["format"], crate::outcomes::OUTPUT_FORMAT);
    assert_eq!(v["runs"], 7);
    assert_eq!(v["years"], serde_json::json!([2024, 2027]));
    let s = &v["final_share"]["ai"]["US"];
    let stat_keys: Vec<&str> = s.as_object().expect("stats").keys().map(|k| k.as_str()).collect();
    assert_eq!(stat_keys, ["mean", "sd", "p05", "p25", "p50", "p75", "p95"]);
    assert_eq!(s["mean"].as_f64(), Some(a.count_share(3, 1, 1).mean));
    // Every outcome's canonical name is the path of its aggregate.
    for o in crate::outcomes::expand(&lay, |_| true) {
        let name = o.name(&lab.domains, &lab.frameworks);
        let at = name.split('.').fold(&v, |v, part| &v[part]);
        let want = o.summary(&a);
        let (got, want) = (at.as_object().expect("object"), want.as_object().expect("object"));
        assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{name}");
        for (k, w) in want {
            // serde_json parses floats to within an ulp or so, not always to the written bits.
            let close = match (got[k].as_f64(), w.as_f64()) {
                (Some(x), Some(y)) => (x - y).abs() <= 1e-15 * y.abs().max(1.0),
                _ => got[k] == *w,
            };
            assert!(close, "{name}.{k}: {} vs {w}", got[k]);
        }
    }
    assert!(v["fragmentation_by_domain"]["data"]["p50"].is_number());
    assert!(v["bloc"]["CN"]["sd"].is_number());
    assert!(v["switches_by_domain"]["data"]["mean"].is_number());
    let t = a.tipping(0, 0);
    assert_eq!(v["tipped"]["data"]["EU"]["mean"].as_f64(), Some(t.share_of_runs));
    assert_eq!(v["tipping_year"]["data"]["EU"]["median"].as_i64(), t.median_year.map(i64::from));
}

#[test]
fn record_quoting_matches_the_csv_crate() {
    let fields = ["plain", "a,b", "say \"hi\"", "line\nbreak", "cr\r", "", "1.5"];
    let mut ours = Vec::new();
    push_record_for_test(&mut ours, &fields);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).expect("write");
    assert_eq!(ours, w.into_inner().expect("flush"));
}

fn push_record_for_test(out: &mut Vec<u8>, fields: &[&str]) {
    super::tables::push_record(out, fields.iter().copied());
}

#[test]
fn runs_csv_streams_rows_and_leaves_no_temporary_file() {
    let (lay, lab) = (layout(), labels(layout()));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("runs.csv");
    let mut w = RunsWriter::create(&path, &lab).expect("create");
    assert!(dir.path().join(".runs.csv.tmp").exists() && !path.exists());
    let outcomes: Vec<_> = (0..3).map(|r| outcome(lay, r)).collect();
    for o in &outcomes {
        w.write(o).expect("write");
    }
    w.finish().expect("finish");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("runs.csv")]);

    let text = std::fs::read_to_string(&path).expect("read");
    let header: Vec<&str> = text.lines().next().expect("header").split(',').collect();
    let mut expected = vec!["run".to_string(), "choice.lambda".into(), "weights.network".into()];
    for prefix in ["final_share", "final_gdp_share", "final_population_share"] {
        for d in ["data", "ai"] {
            for k in ["EU", "US", "CN"] {
                expected.push(format!("{prefix}.{d}.{k}"));
            }
        }
    }
    expected.extend(
        [
            "fragmentation_by_domain.data",
            "fragmentation_by_domain.ai",
            "fragmentation",
            "hedging",
        ]
        .map(String::from),
    );
    expected.extend(["bloc.EU", "bloc.US", "bloc.CN", "switches_by_domain.data", "switches_by_domain.ai"].map(String::from));
    for d in ["data", "ai"] {
        for k in ["EU", "US", "CN"] {
            expected.push(format!("tipping_year.{d}.{k}"));
        }
    }
    assert_eq!(header, expected);
    assert_eq!(text.lines().count(), 4);

    // Values: the horizon count share as (count / N) with `{}`, and draws round-trip exactly.
    let row: Vec<&str> = text.lines().nth(3).expect("row").split(',').collect();
    let o = &outcomes[2];
    assert_eq!(row[0], "2");
    assert_eq!(row[1].parse::<f64>().expect("draw"), o.draws[0]);
    let col = header.iter().position(|h| *h == "final_share.ai.US").expect("column");
    let c = o.counts[lay.share_index(lay.years - 1, 1, 1)];
    assert_eq!(row[col], (f64::from(c) / lay.states as f64).to_string());
    let col = header.iter().position(|h| *h == "final_gdp_share.data.CN").expect("column");
    assert_eq!(
        row[col].parse::<f64>().expect("share"),
        o.gdp_shares[lay.share_index(lay.years - 1, 0, 2)]
    );
    let col = header.iter().position(|h| *h == "tipping_year.data.EU").expect("column");
    assert_eq!(row[col], o.tipping_year[0].map_or(String::new(), |y| y.to_string()));
}

#[test]
fn unfinished_writers_leave_nothing_behind() {
    let (lay, lab) = (layout(), labels(layout()));
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut w = RunsWriter::create(&dir.path().join("runs.csv"), &lab).expect("create");
        w.write(&outcome(lay, 0)).expect("write");
        let mut p = DetailWriter::create(&dir.path().join("detail.parquet"), &lab).expect("create");
        p.write(&outcome(lay, 0)).expect("write");
    }
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
}

#[test]
fn detail_parquet_has_one_row_per_run_and_state_in_bounded_row_groups() {
    use arrow_array::{Array, StringArray, UInt64Array};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let lay = Layout {
        states: 40_000,
        domains: 2,
        frameworks: 3,
        years: 2,
    };
    let lab = labels(lay);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("detail.parquet");
    let mut w = DetailWriter::create(&path, &lab).expect("create");
    let outcomes: Vec<_> = (0..2).map(|r| outcome(lay, r)).collect();
    for o in &outcomes {
        w.write(o).expect("write");
    }
    w.finish().expect("finish");
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);

    let builder = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).expect("open")).expect("parquet");
    let meta = builder.metadata().clone();
    let groups: Vec<i64> = meta.row_groups().iter().map(|g| g.num_rows()).collect();
    assert_eq!(groups, vec![65_536, 80_000 - 65_536]);
    let kv = meta.file_metadata().key_value_metadata().expect("metadata");
    assert!(
        kv.iter()
            .any(|k| k.key == "blocsim.frameworks" && k.value.as_deref() == Some("[\"EU\",\"US\",\"CN\"]"))
    );
    let fields: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(fields, ["run", "state", "data", "ai"]);

    let mut seen = 0usize;
    for batch in builder.build().expect("reader") {
        let batch = batch.expect("batch");
        let run = batch.column(0).as_any().downcast_ref::<UInt64Array>().expect("run column");
        let state = batch.column(1).as_any().downcast_ref::<StringArray>().expect("state column");
        let ai = batch.column(3).as_any().downcast_ref::<StringArray>().expect("domain column");
        for row in 0..batch.num_rows() {
            let (r, i) = (seen / lay.states, seen % lay.states);
            assert_eq!(run.value(row), r as u64);
            assert_eq!(state.value(row), lab.state_ids[i]);
            let k = outcomes[r].final_alignment[lay.cell(1, i)] as usize;
            assert_eq!(ai.value(row), lab.frameworks[k]);
            assert!(!ai.is_null(row));
            seen += 1;
        }
    }
    assert_eq!(seen, 80_000);
}

#[test]
fn detail_parquet_bytes_are_deterministic() {
    let (lay, lab) = (layout(), labels(layout()));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for name in ["a.parquet", "b.parquet"] {
        let path = dir.path().join(name);
        let mut w = DetailWriter::create(&path, &lab).expect("create");
        for r in 0..4 {
            w.write(&outcome(lay, r)).expect("write");
        }
        w.finish().expect("finish");
        files.push(std::fs::read(&path).expect("read"));
    }
    assert_eq!(files[0], files[1]);
}

#[test]
fn concatenated_runs_csv_equals_one_file_and_checks_its_parts() {
    let (lay, lab) = (layout(), labels(layout()));
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, runs: std::ops::Range<u64>| {
        let path = dir.path().join(name);
        let mut w = RunsWriter::create(&path, &lab).expect("create");
        for r in runs {
            w.write(&outcome(lay, r)).expect("write");
        }
        w.finish().expect("finish");
        path
    };
    let whole = write("whole.csv", 0..9);
    let (a, b, c) = (write("a.csv", 0..4), write("b.csv", 4..5), write("c.csv", 5..9));
    let out = dir.path().join("out.csv");
    super::concat_runs_csv(&[(&a, 0..4), (&b, 4..5), (&c, 5..9)], &out).expect("concat");
    assert_eq!(std::fs::read(&out).expect("read"), std::fs::read(&whole).expect("read"));
    // A part holding other runs than expected is refused, and nothing is written.
    let bad = dir.path().join("bad.csv");
    let err = super::concat_runs_csv(&[(&a, 0..4), (&c, 4..8)], &bad).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{}: row 1 holds run 5, expected run 4 (the shard's runs are 4..8)", c.display())
    );
    let err = super::concat_runs_csv(&[(&a, 0..5)], &bad).unwrap_err().to_string();
    assert_eq!(err, format!("{}: holds runs 0..4, expected 0..5", a.display()));
    assert!(!bad.exists());
}

#[test]
fn runs_part_resumes_after_its_checkpointed_length() {
    let (lay, lab) = (layout(), labels(layout()));
    let dir = tempfile::tempdir().expect("tempdir");
    let whole = dir.path().join("whole.csv");
    let mut w = RunsWriter::create(&whole, &lab).expect("create");
    for r in 0..6 {
        w.write(&outcome(lay, r)).expect("write");
    }
    w.finish().expect("finish");

    let part = dir.path().join("runs.csv.part");
    let mut w = RunsWriter::create_part(&part, &lab).expect("create");
    for r in 0..3 {
        w.write(&outcome(lay, r)).expect("write");
    }
    let len = w.checkpoint().expect("checkpoint");
    // Rows written after the checkpoint (then a crash) are cut off on resume.
    w.write(&outcome(lay, 3)).expect("write");
    w.checkpoint().expect("flush");
    drop(w);
    assert!(part.exists());
    let mut w = RunsWriter::resume_part(&part, &lab, len).expect("resume");
    for r in 3..6 {
        w.write(&outcome(lay, r)).expect("write");
    }
    w.finish().expect("finish");
    assert_eq!(std::fs::read(&part).expect("read"), std::fs::read(&whole).expect("read"));
    assert!(RunsWriter::resume_part(&part, &lab, u64::MAX).is_err());
}

#[test]
fn detail_parts_appended_equal_one_table() {
    // Large enough that row groups (ROWS_PER_GROUP rows) straddle the parts.
    let lay = Layout {
        states: 30_000,
        domains: 2,
        frameworks: 3,
        years: 2,
    };
    let lab = labels(lay);
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, runs: std::ops::Range<u64>| {
        let path = dir.path().join(name);
        let mut w = DetailWriter::create(&path, &lab).expect("create");
        for r in runs {
            w.write(&outcome(lay, r)).expect("write");
        }
        w.finish().expect("finish");
        path
    };
    let whole = write("whole.parquet", 0..5);
    let parts = [write("a.parquet", 0..2), write("b.parquet", 2..3), write("c.parquet", 3..5)];
    let combined = dir.path().join("combined.parquet");
    let mut w = DetailWriter::create(&combined, &lab).expect("create");
    let rows: u64 = parts.iter().map(|p| w.append_file(p).expect("append")).sum();
    w.finish().expect("finish");
    assert_eq!(rows, 5 * lay.states as u64);
    assert_eq!(std::fs::read(&combined).expect("read"), std::fs::read(&whole).expect("read"));
}
