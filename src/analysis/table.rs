//! The numeric tables the experiment commands write, as CSV and as Parquet.
//!
//! A table is a list of named columns, each either whole numbers (written as integers; Parquet
//! `UInt64`) or reals (Rust's shortest round-trip formatting in CSV, an empty field for a missing or
//! non-finite value; Parquet `Float64`, null when non-finite). Both files are written atomically.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};
use crate::export::write_atomic;

/// A column of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Column header.
    pub name: String,
    /// Whole numbers (point and replication indices).
    pub integer: bool,
    /// One value per row (whole numbers stored as f64).
    pub values: Vec<f64>,
}

/// Columns of equal length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// The columns, in output order.
    pub columns: Vec<Column>,
}

impl Table {
    /// Add an integer column.
    pub fn int(&mut self, name: &str, values: Vec<f64>) {
        self.columns.push(Column {
            name: name.to_string(),
            integer: true,
            values,
        });
    }

    /// Add a real column.
    pub fn real(&mut self, name: &str, values: Vec<f64>) {
        self.columns.push(Column {
            name: name.to_string(),
            integer: false,
            values,
        });
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The table as CSV text.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        // Writing into memory cannot fail.
        let _ = w.write_record(self.columns.iter().map(|c| c.name.as_str()));
        for r in 0..self.rows() {
            let _ = w.write_record(self.columns.iter().map(|c| {
                let v = c.values[r];
                if !v.is_finite() {
                    String::new()
                } else if c.integer {
                    format!("{}", v as u64)
                } else {
                    format!("{v}")
                }
            }));
        }
        w.into_inner().unwrap_or_default()
    }

    /// The table as a Snappy-compressed Parquet file.
    pub fn to_parquet(&self, path: &Path) -> Result<Vec<u8>> {
        let err = |e: &dyn std::fmt::Display| Error::Parquet {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| {
                if c.integer {
                    Field::new(c.name.as_str(), DataType::UInt64, false)
                } else {
                    Field::new(c.name.as_str(), DataType::Float64, true)
                }
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter()
            .map(|c| {
                if c.integer {
                    Arc::new(UInt64Array::from(c.values.iter().map(|&v| v as u64).collect::<Vec<u64>>())) as ArrayRef
                } else {
                    Arc::new(Float64Array::from(
                        c.values.iter().map(|&v| v.is_finite().then_some(v)).collect::<Vec<Option<f64>>>(),
                    )) as ArrayRef
                }
            })
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| err(&e))?;
        let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
        let mut w = ArrowWriter::try_new(Vec::new(), schema, Some(props)).map_err(|e| err(&e))?;
        w.write(&batch).map_err(|e| err(&e))?;
        w.into_inner().map_err(|e| err(&e))
    }

    /// Write `<stem>.csv` and `<stem>.parquet` into `dir`; returns the file names.
    pub fn write(&self, dir: &Path, stem: &str) -> Result<Vec<String>> {
        let csv_name = format!("{stem}.csv");
        let pq_name = format!("{stem}.parquet");
        write_atomic(&dir.join(&csv_name), &self.to_csv())?;
        let pq = self.to_parquet(&dir.join(&pq_name))?;
        write_atomic(&dir.join(&pq_name), &pq)?;
        Ok(vec![csv_name, pq_name])
    }

    /// Read a table written by [`Table::to_csv`] (every column read as reals; empty fields are NaN).
    pub fn read_csv(path: &Path) -> Result<Table> {
        let data = |line: usize, message: String| Error::Data {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut r = csv::Reader::from_path(path).map_err(|e| match e.kind() {
            csv::ErrorKind::Io(_) => Error::Read {
                path: path.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            },
            _ => data(1, e.to_string()),
        })?;
        let headers = r.headers().map_err(|e| data(1, e.to_string()))?.clone();
        let mut t = Table {
            columns: headers
                .iter()
                .map(|h| Column {
                    name: h.to_string(),
                    integer: false,
                    values: Vec::new(),
                })
                .collect(),
        };
        for (n, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| data(n + 2, e.to_string()))?;
            for (c, field) in t.columns.iter_mut().zip(rec.iter()) {
                let v = if field.is_empty() {
                    f64::NAN
                } else {
                    field
                        .parse::<f64>()
                        .map_err(|_| data(n + 2, format!("column `{}`: expected a number, found `{field}`", c.name)))?
                };
                c.values.push(v);
            }
        }
        Ok(t)
    }
}

/// Pretty JSON with a trailing newline.
pub fn json_bytes(value: &serde_json::Value) -> Vec<u8> {
    let mut b = serde_json::to_vec_pretty(value).unwrap_or_default();
    b.push(b'\n');
    b
}

/// A number for JSON (null when not finite).
pub fn num(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trips_and_marks_missing_values() {
        let mut t = Table::default();
        t.int("point", vec![0.0, 1.0]);
        t.real("x", vec![0.1, f64::NAN]);
        let bytes = t.to_csv();
        assert_eq!(String::from_utf8(bytes.clone()).unwrap(), "point,x\n0,0.1\n1,\n");
        let dir = tempfile::tempdir().unwrap();
        let files = t.write(dir.path(), "t").unwrap();
        assert_eq!(files, vec!["t.csv", "t.parquet"]);
        let back = Table::read_csv(&dir.path().join("t.csv")).unwrap();
        assert_eq!(back.column("x").unwrap().values[0], 0.1);
        assert!(back.column("x").unwrap().values[1].is_nan());
        assert!(std::fs::read(dir.path().join("t.parquet")).unwrap().starts_with(b"PAR1"));
    }
}
