//! `detail.parquet`: every state's final framework in every domain, for every run.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::atomic::Staged;
use crate::error::{Error, Result};
use crate::metrics::{Labels, RunOutcome};

/// Rows buffered before they are written out as one Parquet row group; bounds memory whatever the
/// number of runs and states.
pub const ROWS_PER_GROUP: usize = 65_536;

/// Streams `detail.parquet` (Snappy-compressed), one row per (run, state), in run then world order.
///
/// Columns: `run` (uint64), `state` (string: the state identifier, ISO3 for countries), then one
/// string column per domain, named after it, holding the framework the state is aligned with at
/// the horizon (null only if an outcome is malformed). Parquet dictionary-encodes the repeated
/// strings, so they cost about a byte per cell. File key-value metadata: `blocsim.scenario` (name),
/// `blocsim.domains` and `blocsim.frameworks` (JSON arrays of names, in scenario order).
///
/// Rows are buffered and written as a row group every [`ROWS_PER_GROUP`] rows; the file is written
/// to `.detail.parquet.tmp` and renamed by [`DetailWriter::finish`] (dropped unfinished, the
/// temporary file is removed).
pub struct DetailWriter {
    writer: ArrowWriter<File>,
    schema: SchemaRef,
    run: UInt64Builder,
    state: StringBuilder,
    domains: Vec<StringBuilder>,
    rows: usize,
    state_ids: Vec<String>,
    frameworks: Vec<String>,
    staged: Staged,
}

impl DetailWriter {
    /// Start `detail.parquet` at `path`.
    pub fn create(path: &Path, labels: &Labels) -> Result<DetailWriter> {
        let staged = Staged::new(path)?;
        let file = staged.create()?;
        let mut fields = vec![
            Field::new("run", DataType::UInt64, false),
            Field::new("state", DataType::Utf8, false),
        ];
        fields.extend(labels.domains.iter().map(|d| Field::new(d.as_str(), DataType::Utf8, true)));
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let list = |xs: &[String]| serde_json::Value::from(xs.to_vec()).to_string();
        let metadata = vec![
            KeyValue::new("blocsim.scenario".to_string(), labels.scenario.clone()),
            KeyValue::new("blocsim.domains".to_string(), list(&labels.domains)),
            KeyValue::new("blocsim.frameworks".to_string(), list(&labels.frameworks)),
        ];
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROWS_PER_GROUP))
            .set_key_value_metadata(Some(metadata))
            .build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| Error::Parquet {
            path: staged.dest().to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(DetailWriter {
            writer,
            schema,
            run: UInt64Builder::new(),
            state: StringBuilder::new(),
            domains: labels.domains.iter().map(|_| StringBuilder::new()).collect(),
            rows: 0,
            state_ids: labels.state_ids.clone(),
            frameworks: labels.frameworks.clone(),
            staged,
        })
    }

    /// Append the rows of one run (one per state).
    pub fn write(&mut self, o: &RunOutcome) -> Result<()> {
        let n = self.state_ids.len();
        for i in 0..n {
            self.run.append_value(o.run);
            self.state.append_value(&self.state_ids[i]);
            for (d, column) in self.domains.iter_mut().enumerate() {
                match o.final_alignment.get(d * n + i).and_then(|&k| self.frameworks.get(usize::from(k))) {
                    Some(fw) => column.append_value(fw),
                    None => column.append_null(),
                }
            }
            self.rows += 1;
            if self.rows == ROWS_PER_GROUP {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Append every row of another detail table with the same columns (a shard's, or a part written
    /// by a resumable batch), in its order. The rows are re-buffered, so row groups fall every
    /// [`ROWS_PER_GROUP`] rows of the combined table exactly as if its rows had been written one
    /// run at a time: combining parts gives the same bytes as writing them in one go. Returns the
    /// number of rows appended.
    pub fn append_file(&mut self, path: &Path) -> Result<u64> {
        use arrow_array::{Array, StringArray, UInt64Array};
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

        let bad = |message: String| Error::Parquet {
            path: path.to_path_buf(),
            message,
        };
        let file = File::open(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| bad(e.to_string()))?;
        let names: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
        let expected: Vec<String> = self.schema.fields().iter().map(|f| f.name().clone()).collect();
        if names != expected {
            return Err(bad(format!("columns {names:?}, expected {expected:?}")));
        }
        let mut appended = 0u64;
        for batch in builder.build().map_err(|e| bad(e.to_string()))? {
            let batch = batch.map_err(|e| bad(e.to_string()))?;
            let run = batch.column(0).as_any().downcast_ref::<UInt64Array>();
            let state = batch.column(1).as_any().downcast_ref::<StringArray>();
            let domains: Option<Vec<&StringArray>> = (2..batch.num_columns())
                .map(|c| batch.column(c).as_any().downcast_ref::<StringArray>())
                .collect();
            let (Some(run), Some(state), Some(domains)) = (run, state, domains) else {
                return Err(bad("unexpected column types".into()));
            };
            for row in 0..batch.num_rows() {
                self.run.append_value(run.value(row));
                self.state.append_value(state.value(row));
                for (column, values) in self.domains.iter_mut().zip(&domains) {
                    if values.is_null(row) {
                        column.append_null();
                    } else {
                        column.append_value(values.value(row));
                    }
                }
                self.rows += 1;
                appended += 1;
                if self.rows == ROWS_PER_GROUP {
                    self.flush()?;
                }
            }
        }
        Ok(appended)
    }

    /// Write the remaining rows and the footer, and move the file into place.
    pub fn finish(mut self) -> Result<()> {
        self.flush()?;
        let DetailWriter { writer, staged, .. } = self;
        let file = writer.into_inner().map_err(|e| Error::Parquet {
            path: staged.dest().to_path_buf(),
            message: e.to_string(),
        })?;
        // On disk before it gets its final name (a resumed batch trusts the parts it finds).
        file.sync_all().map_err(|source| staged.err(source))?;
        drop(file);
        staged.commit()
    }

    /// Write the buffered rows as one row group.
    fn flush(&mut self) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        self.rows = 0;
        let mut columns: Vec<ArrayRef> = vec![Arc::new(self.run.finish()), Arc::new(self.state.finish())];
        columns.extend(self.domains.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        let err = |e: &dyn std::fmt::Display| Error::Parquet {
            path: self.staged.dest().to_path_buf(),
            message: e.to_string(),
        };
        let batch = RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| err(&e))?;
        self.writer.write(&batch).map_err(|e| err(&e))?;
        self.writer.flush().map_err(|e| err(&e))
    }
}
