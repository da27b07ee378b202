//! Parquet prediction and labels files, read and written through arrow-rs (its array crates
//! only: the conversions a column needs are in [`convert`]).
//!
//! The column layout is the one CSV files follow ([`crate::columns`]); the
//! types allowed for each role are:
//!
//! | role | types |
//! |---|---|
//! | `id`, `label` | `Utf8`, `LargeUtf8`, `Utf8View`, any integer, or a dictionary of those |
//! | class scores, `value` | `Float32`, `Float64`, `Float16`, any integer (cast to `f32`) |
//!
//! Any other type is a [`Format`](crate::ErrorKind::Format) error naming the
//! column and the type found. Every row group is read; only the columns in
//! use are decoded, so the `label` column of our own outputs costs nothing.
//! Nulls are errors naming the 1-based row, and strings are trimmed, as CSV
//! cells are, so that ids match across formats.
//!
//! Written files have the columns `id` (`Utf8`), one `Float32` column per
//! class and `label` (`Utf8`), or `id` and `value` for regression; zstd
//! compression; row groups of at most [`ROW_GROUP_ROWS`] rows; and a fixed
//! `created_by`, so that the same predictions always give the same bytes.
//!
//! Before the parquet crate parses anything, [`pages`] walks the footer and
//! every page header with the bounded Thrift reader of [`thrift`], and
//! [`levels`] checks each page's repetition and definition levels as the
//! crate is fed its pages: hostile files that made the crate panic or hang
//! are refused with a message instead (`fuzz/known_crashes`, `known_hangs`).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Int64Type};
use arrow_array::{Array, ArrayRef, Float32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use modelfuse::{Content, IdsBuilder, ModelOutput, Predictions, Task};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReader};
use parquet::arrow::{ArrowWriter, ProjectionMask, parquet_to_arrow_field_levels};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::columns::{self, LABEL, Layout, SegmentColumns, Target, VALUE};
use crate::error::{Error, Result};
use crate::rows::{Entry, Position, Table, label_column, no_data_rows};
use crate::segments::SegmentParts;
use levels::CheckedRowGroups;

mod convert;
mod levels;
mod pages;
mod thrift;

/// The most rows written to one row group: large enough for good
/// compression, small enough that readers can stream a big file.
pub const ROW_GROUP_ROWS: usize = 64 * 1024;

/// Rows decoded at a time; only bounds memory while reading.
const BATCH_ROWS: usize = 8192;

/// The `created_by` stamped in written files. The parquet writer's default
/// names its own version, which would change our output bytes on every
/// dependency upgrade.
const CREATED_BY: &str = "modelfuse-io";

/// What a column is read as.
#[derive(Clone, Copy)]
enum Role {
    /// Text: ids and labels.
    Key,
    /// `f32`: scores and values.
    Number,
}

/// Checks every column chunk's byte range against the file: the parquet
/// crate asserts (panics) on a negative offset or size in the footer, which
/// a corrupt or hostile file can hold (found by fuzzing), so such files are
/// refused here with a message instead.
fn check_chunks(meta: &parquet::file::metadata::ParquetMetaData, file_len: u64) -> Result<()> {
    for (r, group) in meta.row_groups().iter().enumerate() {
        for (c, col) in group.columns().iter().enumerate() {
            let start = col
                .dictionary_page_offset()
                .unwrap_or(col.data_page_offset());
            let len = col.compressed_size();
            let inside = start >= 0
                && len >= 0
                && (start as u64)
                    .checked_add(len as u64)
                    .is_some_and(|end| end <= file_len);
            if !inside {
                return Err(Error::parse(format!(
                    "corrupt Parquet footer: row group {r}, column {c} claims bytes {start}..{start}+{len} of a {file_len}-byte file"
                )));
            }
        }
    }
    Ok(())
}

/// An open Parquet file whose schema has been read, before any data is.
struct Source {
    file: Arc<File>,
    meta: ArrowReaderMetadata,
    names: Vec<String>,
    types: Vec<DataType>,
}

impl Source {
    fn open(path: &Path) -> Result<Source> {
        let file = File::open(path).map_err(|e| Error::io("cannot open", e))?;
        let file_len = file
            .metadata()
            .map_err(|e| Error::io("cannot read", e))?
            .len();
        pages::check_footer(&file, file_len)?;
        let meta = ArrowReaderMetadata::load(&file, Default::default())
            .map_err(|e| Error::parse_from("cannot read the file as Parquet", e))?;
        check_chunks(meta.metadata(), file_len)?;
        pages::check_pages(&file, meta.metadata())?;
        let schema = meta.schema().clone();
        let names = schema
            .fields()
            .iter()
            .map(|f| f.name().trim().to_string())
            .collect();
        let types = schema
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        Ok(Source {
            file: Arc::new(file),
            meta,
            names,
            types,
        })
    }

    /// Checks that column `j` can play `role`.
    fn check(&self, j: usize, role: Role) -> Result<()> {
        let ty = &self.types[j];
        let ok = match role {
            Role::Key => is_key_type(ty),
            Role::Number => is_number_type(ty),
        };
        if ok {
            return Ok(());
        }
        let expected = match role {
            Role::Key => "a column of strings or integers",
            Role::Number => "a column of numbers (float or integer)",
        };
        Err(Error::format(format!("expected {expected}, found {ty}"))
            .in_column(self.names[j].clone()))
    }

    /// Starts reading the columns `used` (sorted); each batch holds them in
    /// that order. Key columns are converted to strings batch by batch
    /// ([`Reader::int_keys`] aside).
    ///
    /// The pages reach the decoder through [`CheckedRowGroups`], which checks
    /// each page's levels first (see [`crate::levels`]).
    fn read(self, used: &[usize]) -> Result<Reader> {
        let not_parquet = |e| Error::parse_from("cannot read the file as Parquet", e);
        let parquet_schema = self.meta.parquet_schema();
        let mask = ProjectionMask::roots(parquet_schema, used.iter().copied());
        let levels =
            parquet_to_arrow_field_levels(parquet_schema, mask, Some(self.meta.schema().fields()))
                .map_err(not_parquet)?;
        let groups = CheckedRowGroups {
            file: self.file,
            meta: Arc::clone(self.meta.metadata()),
        };
        // As the crate's own builder does: no batch larger than the file.
        let rows = groups.meta.file_metadata().num_rows().max(0) as usize;
        let batches = ParquetRecordBatchReader::try_new_with_row_groups(
            &levels,
            &groups,
            BATCH_ROWS.min(rows),
            None,
        )
        .map_err(not_parquet)?;
        Ok(Reader {
            batches,
            names: self.names,
            used: used.to_vec(),
            rows_before: 0,
            int_keys: None,
        })
    }
}

/// Reads the record batches of a [`Source`], keeping count of rows so that
/// errors can name them.
struct Reader {
    batches: ParquetRecordBatchReader,
    names: Vec<String>,
    used: Vec<usize>,
    rows_before: u64,
    /// A key column of `Int64` values kept as integers (not cast to `Utf8`),
    /// read by [`Batch::push_keys`]: integer ids are the common case, and
    /// formatting each straight into its `String` saves building a string
    /// column per batch first.
    int_keys: Option<usize>,
}

/// One decoded batch: the columns in use, converted to what their role needs.
struct Batch {
    first_row: u64,
    len: usize,
    columns: Vec<Option<ArrayRef>>,
}

impl Reader {
    /// The next batch, with column `j` converted for `roles[j]` (columns
    /// without a role are not in `used` and stay `None`).
    fn next(&mut self, roles: &[Option<Role>]) -> Result<Option<Batch>> {
        let Some(batch) = self.batches.next() else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| Error::parse_from("cannot decode the Parquet data", e))?;
        let first_row = self.rows_before + 1;
        self.rows_before += batch.num_rows() as u64;
        let mut columns = vec![None; self.names.len()];
        for (k, &j) in self.used.iter().enumerate() {
            let Some(role) = roles[j] else { continue };
            let name = &self.names[j];
            let raw = batch.column(k);
            if let Some(i) = convert::first_null(raw.as_ref()) {
                return Err(Error::parse("expected a value, found null")
                    .at_row(first_row + i as u64)
                    .in_column(name.clone()));
            }
            let keep = self.int_keys == Some(j) && raw.data_type() == &DataType::Int64;
            let array = match role {
                _ if keep => Some(raw.clone()),
                Role::Key => convert::to_text(raw.as_ref()),
                Role::Number => convert::to_f32(raw.as_ref()),
            };
            // The schema was checked against each role before reading.
            let array = array.ok_or_else(|| {
                let to = match role {
                    Role::Key => "text",
                    Role::Number => "numbers",
                };
                Error::format(format!(
                    "cannot convert a column of {} to {to}",
                    raw.data_type()
                ))
                .in_column(name.clone())
            })?;
            columns[j] = Some(array);
        }
        Ok(Some(Batch {
            first_row,
            len: batch.num_rows(),
            columns,
        }))
    }
}

impl Batch {
    fn numbers(&self, j: usize) -> &[f32] {
        match &self.columns[j] {
            Some(a) => a.as_primitive::<Float32Type>().values(),
            None => &[],
        }
    }

    /// Appends key column `j` of every row to `out`, as [`Batch::key`] reads
    /// each (an `Int64` column kept by [`Reader::int_keys`] is formatted as
    /// the cast to `Utf8` would: plain decimal, never empty).
    fn push_keys(
        &self,
        j: usize,
        out: &mut IdsBuilder,
        names: &[String],
        what: &str,
    ) -> Result<()> {
        if let Some(a) = &self.columns[j]
            && a.data_type() == &DataType::Int64
        {
            for &v in a.as_primitive::<Int64Type>().values() {
                out.push_int(v);
            }
            return Ok(());
        }
        for i in 0..self.len {
            out.push(self.key(j, i, names, what)?);
        }
        Ok(())
    }

    /// Row `i` of key column `j`, trimmed, possibly empty.
    fn text(&self, j: usize, i: usize) -> &str {
        match &self.columns[j] {
            Some(a) => a.as_string::<i32>().value(i).trim(),
            None => "",
        }
    }

    /// Row `i` of key column `j`, trimmed and non-empty; `what` names what it
    /// should hold, for the error.
    fn key(&self, j: usize, i: usize, names: &[String], what: &str) -> Result<&str> {
        let text = self.text(j, i);
        if text.is_empty() {
            return Err(
                Error::parse(format!("expected {what}, found an empty string"))
                    .at_row(self.first_row + i as u64)
                    .in_column(names[j].clone()),
            );
        }
        Ok(text)
    }
}

/// Reads a Parquet prediction file, with its segment columns when it has a
/// `doc` column.
pub(crate) fn read_table(path: &Path, name: String) -> Result<(ModelOutput, Option<SegmentParts>)> {
    let source = Source::open(path)?;
    let layout = columns::predictions_layout(&source.names)?;
    let seg_cols = SegmentColumns::find(&source.names)?;
    let mut roles = vec![None; source.names.len()];
    roles[layout.id()] = Some(Role::Key);
    match &layout {
        Layout::Scores { classes, .. } => {
            classes.iter().for_each(|&j| roles[j] = Some(Role::Number))
        }
        Layout::Labels { label, .. } => roles[*label] = Some(Role::Key),
        Layout::Values { value, .. } => roles[*value] = Some(Role::Number),
    }
    let mut used = layout.used();
    if let Some(c) = seg_cols {
        roles[c.doc] = Some(Role::Key);
        if let Some(j) = c.segment {
            roles[j] = Some(Role::Key);
        }
        if let Some(j) = c.length {
            roles[j] = Some(Role::Number);
        }
        used.extend(c.used());
        used.sort_unstable();
    }
    for (j, role) in roles.iter().enumerate() {
        if let Some(role) = role {
            source.check(j, *role)?;
        }
    }
    let id = layout.id();
    let mut segments = seg_cols.map(|c| SegmentParts::new(&c));
    let mut reader = source.read(&used)?;
    reader.int_keys = Some(id);
    let names = reader.names.clone();
    let mut ids = IdsBuilder::default();
    let mut scores = Vec::new();
    let mut labels = Vec::new();
    let mut values = Vec::new();
    while let Some(batch) = reader.next(&roles)? {
        batch.push_keys(id, &mut ids, &names, "an id")?;
        match &layout {
            Layout::Scores { classes, .. } => {
                let cols: Vec<&[f32]> = classes.iter().map(|&j| batch.numbers(j)).collect();
                scores.reserve(batch.len * cols.len());
                for i in 0..batch.len {
                    scores.extend(cols.iter().map(|c| c[i]));
                }
            }
            Layout::Labels { label, .. } => {
                for i in 0..batch.len {
                    labels.push(batch.key(*label, i, &names, "a label")?.to_string());
                }
            }
            Layout::Values { value, .. } => values.extend_from_slice(batch.numbers(*value)),
        }
        if let (Some(parts), Some(c)) = (segments.as_mut(), seg_cols) {
            for i in 0..batch.len {
                let doc = batch.key(c.doc, i, &names, "a document id")?;
                let position = c
                    .segment
                    .map(|j| batch.key(j, i, &names, "a position"))
                    .transpose()?;
                let length = c.length.map(|j| batch.numbers(j)[i]);
                parts.push(doc, position, length).map_err(|(e, which)| {
                    let j = which.resolve(&c);
                    e.at_row(batch.first_row + i as u64)
                        .in_column(names[j].clone())
                })?;
            }
        }
    }
    if ids.is_empty() {
        return Err(no_data_rows());
    }
    let content = match layout {
        Layout::Scores { classes, .. } => Content::Scores {
            columns: classes.iter().map(|&j| names[j].clone()).collect(),
            values: scores,
        },
        Layout::Labels { .. } => Content::Labels(labels),
        Layout::Values { .. } => Content::Values(values),
    };
    Ok((
        ModelOutput {
            name,
            ids: ids.finish(),
            content,
        },
        segments,
    ))
}

/// Reads a Parquet labels file into entries positioned by row.
pub(crate) fn read_labels(path: &Path) -> Result<Table> {
    let source = Source::open(path)?;
    let layout = columns::labels_layout(&source.names)?;
    source.check(layout.id, Role::Key)?;
    // Regression values are checked as numbers, then handed on as text (the
    // core parses them again as f64; casting to Utf8 keeps every digit).
    let target_role = match layout.kind {
        Target::Label => Role::Key,
        Target::Value => Role::Number,
    };
    source.check(layout.target, target_role)?;
    let mut roles = vec![None; source.names.len()];
    roles[layout.id] = Some(Role::Key);
    roles[layout.target] = Some(Role::Key);
    let mut used = vec![layout.id, layout.target];
    used.sort_unstable();
    let mut reader = source.read(&used)?;
    let names = reader.names.clone();
    let mut entries = Vec::new();
    while let Some(batch) = reader.next(&roles)? {
        for i in 0..batch.len {
            entries.push(Entry {
                id: batch.key(layout.id, i, &names, "an id")?.to_string(),
                // Empty labels are judged by the labels reader, the same way
                // for every format.
                target: batch.text(layout.target, i).to_string(),
                position: batch.first_row + i as u64,
            });
        }
    }
    if entries.is_empty() {
        return Err(no_data_rows());
    }
    Ok(Table {
        kind: layout.kind,
        target_column: names[layout.target].clone(),
        position: Position::Row,
        entries,
    })
}

/// Encodes one model's predictions as Parquet bytes.
///
/// The whole file is built in memory: the arrow writer needs a `Send`
/// destination, which the `&mut dyn Write` of [`crate::write_atomic`] is not,
/// and prediction files are small next to the models that made them.
pub(crate) fn encode(fused: &Predictions) -> Result<Vec<u8>> {
    let ids: ArrayRef = Arc::new(StringArray::from_iter_values(fused.ids()));
    let mut fields = vec![Field::new(columns::ID, DataType::Utf8, false)];
    let mut arrays = vec![ids];
    let block = fused.model(0);
    let k = fused.n_outputs();
    if fused.task() == Task::Regression {
        fields.push(Field::new(VALUE, DataType::Float32, false));
        arrays.push(Arc::new(Float32Array::from(block.to_vec())));
    } else {
        for (j, class) in fused.classes().iter().enumerate() {
            fields.push(Field::new(class, DataType::Float32, false));
            let column: Float32Array = block.chunks_exact(k).map(|row| row[j]).collect();
            arrays.push(Arc::new(column));
        }
        fields.push(Field::new(LABEL, DataType::Utf8, false));
        arrays.push(Arc::new(StringArray::from_iter_values(label_column(fused))));
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)
        .map_err(|e| Error::write_from("cannot build the Parquet columns", e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(CREATED_BY.to_string())
        .build();
    let mut bytes = Vec::new();
    let fail = |e| Error::write_from("cannot encode Parquet", e);
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(props)).map_err(fail)?;
    writer.write(&batch).map_err(fail)?;
    writer.close().map_err(fail)?;
    Ok(bytes)
}

fn is_key_type(ty: &DataType) -> bool {
    match ty {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, values) => is_key_type(values),
        other => other.is_integer(),
    }
}

fn is_number_type(ty: &DataType) -> bool {
    matches!(
        ty,
        DataType::Float16 | DataType::Float32 | DataType::Float64
    ) || ty.is_integer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, read_labels, read_predictions, write_predictions};
    use arrow_array::{Float64Array, Int64Array, UInt16Array};
    use modelfuse::BuildOptions;

    /// Writes a Parquet file from named columns, in row groups of `group`.
    fn write_columns(path: &Path, columns: Vec<(&str, ArrayRef)>, group: usize) {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let batch =
            RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect())
                .unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(group))
            .build();
        let file = File::create(path).unwrap();
        let mut w = ArrowWriter::try_new(file, schema, Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    fn multiclass() -> Predictions {
        let out = ModelOutput {
            name: "fused".into(),
            ids: vec!["b", "a", "c"].into(),
            content: Content::Scores {
                columns: vec!["x".into(), "y".into(), "z".into()],
                values: vec![0.2, 0.3, 0.5, 0.6, 0.2, 0.2, 0.4, 0.4, 0.2],
            },
        };
        Predictions::from_outputs(vec![out], &BuildOptions::default()).unwrap()
    }

    #[test]
    fn parquet_round_trips_and_is_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let p = multiclass();
        let path = dir.path().join("fused.parquet");
        write_predictions(&path, &p).unwrap();
        let first = std::fs::read(&path).unwrap();
        write_predictions(&path, &p).unwrap();
        assert_eq!(
            first,
            std::fs::read(&path).unwrap(),
            "same input, same bytes"
        );

        let back = read_predictions(&path).unwrap();
        assert_eq!(back.name, "fused");
        assert_eq!(back.ids, ["a", "b", "c"]);
        let Content::Scores { columns, values } = &back.content else {
            panic!("expected scores, found {:?}", back.content)
        };
        assert_eq!(columns, &["x", "y", "z"]);
        assert_eq!(values.as_slice(), p.model(0));
        let again = Predictions::from_outputs(vec![back], &BuildOptions::default()).unwrap();
        assert_eq!(again.model(0), p.model(0));
    }

    #[test]
    fn parquet_writes_row_groups_of_bounded_size_and_reads_them_all() {
        let n = ROW_GROUP_ROWS + 10;
        let out = ModelOutput {
            name: "reg".into(),
            ids: (0..n).map(|i| i.to_string()).collect(),
            content: Content::Values((0..n).map(|i| i as f32).collect()),
        };
        let p = Predictions::from_outputs(vec![out], &BuildOptions::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reg.parquet");
        write_predictions(&path, &p).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            File::open(&path).unwrap(),
        )
        .unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 2);
        let back = read_predictions(&path).unwrap();
        assert_eq!(back.ids.len(), n);
        assert_eq!(back.ids.id(n - 1), (n - 1).to_string());
        let Content::Values(v) = back.content else {
            panic!("expected values")
        };
        assert_eq!(v.as_slice(), p.model(0));
    }

    #[test]
    fn parquet_written_labels_break_ties_to_the_first_class() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fused.parquet");
        write_predictions(&path, &multiclass()).unwrap();
        let file = File::open(&path).unwrap();
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        assert_eq!(
            reader.metadata().file_metadata().created_by(),
            Some(CREATED_BY)
        );
        let batch = reader.build().unwrap().next().unwrap().unwrap();
        let labels = batch.column_by_name("label").unwrap().as_string::<i32>();
        let labels: Vec<&str> = labels.iter().map(|s| s.unwrap()).collect();
        assert_eq!(labels, ["x", "z", "x"]);
    }

    #[test]
    fn parquet_reads_every_row_group_and_casts_types() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.parquet");
        let n = 10;
        write_columns(
            &path,
            vec![
                (
                    "pos",
                    Arc::new(Float64Array::from_iter_values(
                        (0..n).map(|i| i as f64 / 10.0),
                    )),
                ),
                ("id", Arc::new(Int64Array::from_iter_values(0..n as i64))),
                (
                    "neg",
                    Arc::new(UInt16Array::from_iter_values((0..n).map(|_| 0))),
                ),
            ],
            3,
        );
        let out = read_predictions(&path).unwrap();
        assert_eq!(out.ids.len(), n);
        assert_eq!(out.ids.id(9), "9");
        let Content::Scores { columns, values } = out.content else {
            panic!("expected scores")
        };
        assert_eq!(columns, ["pos", "neg"]);
        assert_eq!(&values[18..], [0.9, 0.0]);
    }

    /// Every key and number type, with edge values, read as the reader has
    /// always read them (the expected text is what arrow's cast gave, pinned
    /// before the reader did its own conversions).
    #[test]
    fn parquet_converts_every_key_and_number_type_as_before() {
        use arrow_array::types::Int32Type;
        use arrow_array::{
            DictionaryArray, Float16Array, Float32Array, Int8Array, LargeStringArray,
            StringViewArray, UInt8Array, UInt64Array,
        };
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<(&str, ArrayRef)> = vec![
            ("utf8", Arc::new(StringArray::from(vec![" a", "b ", "7"]))),
            (
                "large",
                Arc::new(LargeStringArray::from(vec!["a", "é", "c"])),
            ),
            (
                "view",
                Arc::new(StringViewArray::from(vec![
                    "x",
                    "a longer view string",
                    "z",
                ])),
            ),
            (
                "dict",
                Arc::new(
                    vec!["p", "q", "p"]
                        .into_iter()
                        .collect::<DictionaryArray<Int32Type>>(),
                ),
            ),
            ("i8", Arc::new(Int8Array::from(vec![-128, 0, 127]))),
            ("u64", Arc::new(UInt64Array::from(vec![0, 1, u64::MAX]))),
            ("i64", Arc::new(Int64Array::from(vec![i64::MIN, 2, 0]))),
        ];
        let mut seen = Vec::new();
        for (name, ids) in keys {
            let path = dir.path().join(format!("{name}.parquet"));
            let score: ArrayRef = Arc::new(Float32Array::from(vec![0.5, 0.25, 1.0]));
            write_columns(&path, vec![("id", ids), ("s", score)], 2);
            let out = read_predictions(&path).unwrap();
            seen.push(format!("{name}: {:?}", out.ids.iter().collect::<Vec<_>>()));
        }
        let numbers: Vec<(&str, ArrayRef)> = vec![
            (
                "f16",
                Arc::new(Float16Array::from(vec![
                    half::f16::from_f32(0.1),
                    half::f16::from_f32(-0.0),
                    half::f16::from_f32(65504.0),
                ])),
            ),
            (
                "f32",
                Arc::new(Float32Array::from(vec![0.1, 1e-40, 3.4028235e38])),
            ),
            (
                "f64",
                Arc::new(Float64Array::from(vec![0.1, 1e20, 1.0000000596046448])),
            ),
            (
                "i64",
                Arc::new(Int64Array::from(vec![16_777_217, -3, 123_456_789_012])),
            ),
            ("u8", Arc::new(UInt8Array::from(vec![0, 1, 255]))),
        ];
        for (name, values) in numbers {
            let path = dir.path().join(format!("n_{name}.parquet"));
            let ids: ArrayRef = Arc::new(Int64Array::from(vec![0, 1, 2]));
            write_columns(&path, vec![("id", ids.clone()), ("s", values.clone())], 2);
            let Content::Scores { values: read, .. } = read_predictions(&path).unwrap().content
            else {
                panic!("expected scores")
            };
            let bits: Vec<u32> = read.iter().map(|x| x.to_bits()).collect();
            seen.push(format!("{name} as f32: {bits:?}"));
            let path = dir.path().join(format!("l_{name}.parquet"));
            write_columns(&path, vec![("id", ids), ("value", values)], 2);
            let text: Vec<String> = read_labels(&path)
                .unwrap()
                .into_iter()
                .map(|e| e.1)
                .collect();
            seen.push(format!("{name} as text: {text:?}"));
        }
        let expected = [
            r#"utf8: ["a", "b", "7"]"#,
            r#"large: ["a", "é", "c"]"#,
            r#"view: ["x", "a longer view string", "z"]"#,
            r#"dict: ["p", "q", "p"]"#,
            r#"i8: ["-128", "0", "127"]"#,
            r#"u64: ["0", "1", "18446744073709551615"]"#,
            r#"i64: ["-9223372036854775808", "2", "0"]"#,
            "f16 as f32: [1036828672, 2147483648, 1199562752]",
            r#"f16 as text: ["0.099975586", "-0", "65504"]"#,
            "f32 as f32: [1036831949, 71362, 2139095039]",
            r#"f32 as text: ["0.1", "1e-40", "3.4028235e38"]"#,
            // 1.0000000596046448 lies halfway between two f32s: to even, 1.0.
            "f64 as f32: [1036831949, 1621981420, 1065353216]",
            r#"f64 as text: ["0.1", "1e20", "1.0000000596046448"]"#,
            "i64 as f32: [1266679808, 3225419776, 1374024905]",
            r#"i64 as text: ["16777217", "-3", "123456789012"]"#,
            "u8 as f32: [0, 1065353216, 1132396544]",
            r#"u8 as text: ["0", "1", "255"]"#,
        ];
        assert_eq!(seen, expected);
    }

    #[test]
    fn parquet_reads_labels_and_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hard.parquet");
        write_columns(
            &path,
            vec![
                ("id", Arc::new(StringArray::from(vec!["a", " b "]))),
                ("label", Arc::new(Int64Array::from(vec![1, 0]))),
            ],
            100,
        );
        let out = read_predictions(&path).unwrap();
        assert_eq!(out.ids, ["a", "b"]);
        assert_eq!(out.content, Content::Labels(vec!["1".into(), "0".into()]));
        assert_eq!(
            read_labels(&path).unwrap(),
            [("a".into(), "1".into()), ("b".into(), "0".into())]
        );

        let path = dir.path().join("truth.parquet");
        write_columns(
            &path,
            vec![
                ("id", Arc::new(Int64Array::from(vec![7, 8]))),
                ("value", Arc::new(Float64Array::from(vec![0.1, -2.5]))),
            ],
            100,
        );
        assert_eq!(
            read_labels(&path).unwrap(),
            [("7".into(), "0.1".into()), ("8".into(), "-2.5".into())]
        );
    }

    #[test]
    fn parquet_errors_name_row_column_and_type() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.parquet");
        let err = |columns: Vec<(&str, ArrayRef)>| {
            write_columns(&path, columns, 2);
            let e = read_predictions(&path).unwrap_err();
            (
                e.kind(),
                e.to_string()
                    .replace(&format!("{}", dir.path().display()), "dir"),
            )
        };
        let (kind, msg) = err(vec![
            ("id", Arc::new(StringArray::from(vec!["a", "b"]))),
            ("pos", Arc::new(StringArray::from(vec!["0.5", "0.5"]))),
        ]);
        assert_eq!(kind, ErrorKind::Format);
        insta::assert_snapshot!(msg, @"dir/bad.parquet: column 'pos': expected a column of numbers (float or integer), found Utf8");
        let (kind, msg) = err(vec![
            ("id", Arc::new(StringArray::from(vec!["a", "b", "c"]))),
            (
                "pos",
                Arc::new(Float32Array::from(vec![Some(0.5), Some(0.5), None])),
            ),
        ]);
        assert_eq!(kind, ErrorKind::Parse);
        insta::assert_snapshot!(msg, @"dir/bad.parquet: row 3, column 'pos': expected a value, found null");
        let (_, msg) = err(vec![
            ("id", Arc::new(Float64Array::from(vec![1.0]))),
            ("pos", Arc::new(Float32Array::from(vec![1.0]))),
        ]);
        insta::assert_snapshot!(msg, @"dir/bad.parquet: column 'id': expected a column of strings or integers, found Float64");
        let (_, msg) = err(vec![
            ("id", Arc::new(StringArray::from(Vec::<&str>::new()))),
            ("value", Arc::new(Float32Array::from(Vec::<f32>::new()))),
        ]);
        insta::assert_snapshot!(msg, @"dir/bad.parquet: expected at least one data row, found none");
    }

    #[test]
    fn parquet_rejects_a_file_that_is_not_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.parquet");
        std::fs::write(&path, b"id,pos\n1,0.5\n").unwrap();
        let e = read_predictions(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        assert_eq!(e.message(), "cannot read the file as Parquet");
        assert!(std::error::Error::source(&e).is_some());
    }
}
