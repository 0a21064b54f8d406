//! The output files as Arrow tables, built in Rust and handed to pyarrow through the Arrow C data
//! interface (arrow-pyarrow): the column buffers are shared, not copied, and no row passes through
//! Python objects.
//!
//! - CSV tables (`runs.csv`, `states.csv`, `timeseries.csv`, `indices.csv`, `comparison.csv`, ...):
//!   each column is Float64 when every non-empty cell is a number, Int64 for the whole-number
//!   columns ([`is_integer_column`]), Utf8 otherwise; an empty cell is null (e.g. a
//!   `tipping_year` of a run that never tipped). The types depend on the column's name, not on the
//!   values of one batch, so every batch of a scenario has the same schema.
//! - Parquet tables (`points.parquet`, `runs.parquet` of a sweep, `detail.parquet`): read as written.
//! - `summary.json`: one row per statistic object (`{mean, sd, p05, ..., p95}`, or only `mean` for
//!   switches: the others null) with its dotted key, the outcome's canonical name.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

/// Whole-number columns of blocsim's tables: run and point indices, years, counts.
pub fn is_integer_column(name: &str) -> bool {
    matches!(name, "run" | "year" | "point" | "replication" | "runs" | "states" | "n")
        || name.starts_with("switches")
        || name.starts_with("tipping_year.")
}

/// One table: its schema and batches (one batch for files read whole).
pub struct Table {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

/// Read a table file by its extension (`.csv` or `.parquet`).
pub fn read(path: &Path) -> Result<Table> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => csv_table(path),
        Some("parquet") => parquet_table(path),
        _ => bail!("{}: expected a .csv or .parquet table", path.display()),
    }
}

/// The type of a column: decided from its name and every cell (see the module header).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Float,
    Text,
}

/// What the first pass learns of a column's cells.
#[derive(Debug, Clone, Copy)]
struct Seen {
    ints: bool,
    floats: bool,
}

impl Seen {
    fn kind(self, name: &str) -> Kind {
        if is_integer_column(name) && self.ints {
            Kind::Int
        } else if self.floats {
            Kind::Float
        } else {
            Kind::Text
        }
    }
}

enum Builder {
    Int(Int64Builder),
    Float(Float64Builder),
    Text(StringBuilder),
}

impl Builder {
    fn new(kind: Kind, rows: usize) -> Builder {
        match kind {
            Kind::Int => Builder::Int(Int64Builder::with_capacity(rows)),
            Kind::Float => Builder::Float(Float64Builder::with_capacity(rows)),
            Kind::Text => Builder::Text(StringBuilder::with_capacity(rows, rows * 8)),
        }
    }
    fn push(&mut self, cell: &str) {
        match self {
            Builder::Int(b) => b.append_option(cell.parse().ok()),
            Builder::Float(b) => b.append_option(cell.parse().ok()),
            Builder::Text(b) => b.append_option((!cell.is_empty()).then_some(cell)),
        }
    }
    fn finish(self) -> (DataType, ArrayRef) {
        match self {
            Builder::Int(mut b) => (DataType::Int64, Arc::new(b.finish())),
            Builder::Float(mut b) => (DataType::Float64, Arc::new(b.finish())),
            Builder::Text(mut b) => (DataType::Utf8, Arc::new(b.finish())),
        }
    }
}

fn reader(path: &Path) -> Result<csv::Reader<File>> {
    csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))
}

/// A CSV file with a header row as one record batch. Two passes over the file: the first decides
/// each column's type, the second appends the cells to typed builders, so no row is held as text
/// (a 100,000-run `runs.csv` of 112 MiB becomes 62 MiB of columns and nothing else).
pub fn csv_table(path: &Path) -> Result<Table> {
    let at = |line: u64| format!("{}: line {line}", path.display());
    let mut first = reader(path)?;
    let header: Vec<String> = first
        .headers()
        .with_context(|| format!("reading the header of {}", path.display()))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut seen = vec![Seen { ints: true, floats: true }; header.len()];
    let mut record = csv::StringRecord::new();
    let mut rows = 0usize;
    while first.read_record(&mut record).with_context(|| at(rows as u64 + 2))? {
        rows += 1;
        for (s, cell) in seen.iter_mut().zip(record.iter()) {
            if !cell.is_empty() {
                s.ints = s.ints && cell.parse::<i64>().is_ok();
                s.floats = s.floats && cell.parse::<f64>().is_ok();
            }
        }
    }
    let mut builders: Vec<Builder> = header.iter().zip(&seen).map(|(name, s)| Builder::new(s.kind(name), rows)).collect();
    let mut second = reader(path)?;
    let mut line = 1;
    while second.read_record(&mut record).with_context(|| at(line + 1))? {
        line += 1;
        for (j, b) in builders.iter_mut().enumerate() {
            b.push(record.get(j).unwrap_or(""));
        }
    }
    let mut fields = Vec::with_capacity(header.len());
    let mut arrays = Vec::with_capacity(header.len());
    for (name, b) in header.iter().zip(builders) {
        let (ty, array) = b.finish();
        fields.push(Field::new(name, ty, true));
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).with_context(|| format!("table of {}", path.display()))?;
    Ok(Table {
        schema,
        batches: vec![batch],
    })
}

/// A Parquet file as its record batches.
pub fn parquet_table(path: &Path) -> Result<Table> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).with_context(|| format!("reading {}", path.display()))?;
    let schema = builder.schema().clone();
    let batches = builder
        .build()
        .with_context(|| format!("reading {}", path.display()))?
        .map(|b| b.and_then(|b| b.with_schema(schema.clone())))
        .collect::<std::result::Result<Vec<_>, _>>()
        .with_context(|| format!("reading {}", path.display()))?;
    // The file's schema carries its key-value metadata (scenario, domains, frameworks); the
    // batches as read do not, and are given it.
    Ok(Table { schema, batches })
}

/// The statistics keys of a summary object.
pub const STATS: [&str; 7] = ["mean", "sd", "p05", "p25", "p50", "p75", "p95"];

fn collect_stats(prefix: &str, v: &serde_json::Value, keys: &mut Vec<String>, values: &mut [Vec<Option<f64>>]) {
    let serde_json::Value::Object(map) = v else { return };
    if map.contains_key("mean") {
        keys.push(prefix.to_owned());
        for (col, s) in values.iter_mut().zip(STATS) {
            col.push(map.get(s).and_then(serde_json::Value::as_f64));
        }
        return;
    }
    for (k, child) in map {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        collect_stats(&key, child, keys, values);
    }
}

/// `summary.json` as a table: `key` (the dotted path, e.g. `final_share.cloud.US`) and one column
/// per statistic.
pub fn summary_table(path: &Path) -> Result<Table> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).with_context(|| format!("{}: not valid JSON", path.display()))?;
    let mut keys = Vec::new();
    let mut values = vec![Vec::new(); STATS.len()];
    collect_stats("", &json, &mut keys, &mut values);
    let mut fields = vec![Field::new("key", DataType::Utf8, false)];
    let mut arrays: Vec<ArrayRef> = vec![Arc::new(StringArray::from(keys))];
    for (s, col) in STATS.iter().zip(values) {
        fields.push(Field::new(*s, DataType::Float64, true));
        arrays.push(Arc::new(Float64Array::from(col)));
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    Ok(Table {
        schema,
        batches: vec![batch],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Array;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn csv_columns_are_typed_by_name_and_empty_cells_are_null() {
        let dir = std::env::temp_dir().join(format!("blocsim-py-tables-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = write(
            &dir,
            "runs.csv",
            "run,final_share.cloud.US,tipping_year.cloud.US,name\n0,1,2031,a\n1,0.5,,b\n",
        );
        let t = csv_table(&p).unwrap();
        let b = &t.batches[0];
        assert_eq!(b.num_rows(), 2);
        let types: Vec<_> = t.schema.fields().iter().map(|f| f.data_type().clone()).collect();
        // final_share.cloud.US holds a whole number in row 0 and is still Float64.
        assert_eq!(types, [DataType::Int64, DataType::Float64, DataType::Int64, DataType::Utf8]);
        assert!(b.column(2).is_null(1));
        let shares = b.column(1).as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(shares.values(), &[1.0, 0.5]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn summary_rows_are_the_statistics_objects() {
        let dir = std::env::temp_dir().join(format!("blocsim-py-summary-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let stats = r#"{"mean":0.5,"sd":0.1,"p05":0.3,"p25":0.4,"p50":0.5,"p75":0.6,"p95":0.7}"#;
        let text = format!(r#"{{"runs":3,"final_share":{{"cloud":{{"US":{stats}}}}},"hedging":{stats},"switches":{{"mean":4.5}}}}"#);
        let p = write(&dir, "summary.json", &text);
        let t = summary_table(&p).unwrap();
        let b = &t.batches[0];
        let keys = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(
            keys.iter().flatten().collect::<Vec<_>>(),
            ["final_share.cloud.US", "hedging", "switches"]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
