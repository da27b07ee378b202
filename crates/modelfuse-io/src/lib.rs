//! Read and write model predictions for `modelfuse`: CSV, TSV, Parquet and
//! NumPy files in, CSV, TSV and Parquet files out.
//!
//! This crate is the file boundary of modelfuse. It parses each file once
//! into the core's raw [`ModelOutput`], and leaves every check that does not
//! need the file (ids and classes agreeing across models, finite values,
//! probabilities summing to one, duplicate ids) to
//! [`Predictions::from_outputs`](modelfuse::Predictions::from_outputs). What
//! it checks itself are the things only the file can tell: the line, row and
//! column of a bad cell.
//!
//! # Overview
//!
//! * [`expand_inputs`]: paths and folders given by a person → the list of
//!   prediction files.
//! * [`read_predictions`]: one file → one [`ModelOutput`], named after the
//!   file stem; [`read_predictions_all`]: many files, decoded in parallel.
//! * [`read_labels`]: a labels file → `(id, label)` pairs, for
//!   [`Targets::align`](modelfuse::Targets::align).
//! * [`write_predictions`]: a fused output → a file in the same layout as the
//!   inputs, written atomically by [`write_atomic`].
//! * [`read_text`]: a whole text file, plain or `.gz`, checked to be UTF-8
//!   (the NLP commands' CoNLL, SQuAD and plain-text inputs).
//! * [`read_costs`]: a cascade's cost file (JSON, or a `model,cost` table) →
//!   a checked [`CostModel`](modelfuse::cascade::CostModel).
//! * [`Error`]: one opaque error with an [`ErrorKind`], the path, and the
//!   line, row and column when known.
//!
//! # Example
//!
//! ```
//! use modelfuse::{BuildOptions, Predictions};
//!
//! # let dir = tempfile::tempdir()?;
//! # let folder = dir.path();
//! std::fs::write(folder.join("bert.csv"), "id,neg,pos\n1,0.9,0.1\n2,0.4,0.6\n")?;
//! std::fs::write(folder.join("roberta.tsv"), "id\tlabel\n2\tpos\n1\tneg\n")?;
//!
//! let files = modelfuse_io::expand_inputs(&[folder.to_path_buf()])?;
//! let outputs = modelfuse_io::read_predictions_all(&files)?;
//! let preds = Predictions::from_outputs(outputs, &BuildOptions::default())?;
//! assert_eq!(preds.models(), ["bert", "roberta"]);
//! assert_eq!(preds.row(1, 1), [0.0, 1.0]);
//!
//! let bert = preds.single_model(0);
//! modelfuse_io::write_predictions(&folder.join("out.csv"), &bert)?;
//! assert_eq!(
//!     std::fs::read_to_string(folder.join("out.csv"))?,
//!     "id,neg,pos,label\n1,0.9,0.1,neg\n2,0.4,0.6,pos\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Files read
//!
//! The format follows the extension (any case): `.csv`, `.tsv`, `.parquet`,
//! `.npy`, `.npz`.
//!
//! **Tables** (CSV, TSV, Parquet) have an `id` column anywhere, and then
//! either one column per class holding scores, or a `label` column (hard
//! predictions; multilabel sets as `a|b`, the empty set as a lone `|`), or a
//! `value` column (regression).
//! A `label` column beside class columns is ignored, so the files this crate
//! writes can be read back. CSV and TSV need a header row; a UTF-8 BOM is
//! skipped, fields may be quoted, whitespace around names and cells is
//! trimmed, blank lines are skipped, and every other row must have as many
//! fields as the header, with no empty cells. Parquet columns must have
//! suitable types (strings or integers for ids and labels, floats or integers
//! for numbers) and no nulls; every row group is read. Scores are read as
//! `f32`; `nan` and `inf` pass here and are rejected by the core, which names
//! the sample id.
//!
//! **NumPy** `.npy`: a 2-D float array `[samples, classes]` (scores), a 1-D
//! float array (regression), or a 1-D integer or string array (labels). Ids
//! come from a sidecar `<stem>.ids.txt` (one per line), else they are the row
//! numbers `0..n-1`; class names from `<stem>.classes.txt` or `classes.txt`,
//! else `0..k-1`. `.npz`: exactly one of the arrays `scores`, `labels`,
//! `values`, optionally with `ids` and `classes` arrays (integers or numpy
//! unicode strings), falling back to the sidecars.
//!
//! **Segment-level tables** (CSV, TSV, Parquet; read by [`read_segments`]):
//! rows are segments of documents. Beside `id` (the segment) and the columns
//! above, a `doc` column names each row's document; optional `segment` (a
//! whole number, the position in the document) and `length` (positive:
//! tokens, seconds…). `doc`, `segment` and `length` are never class names;
//! [`read_predictions`] refuses a table with a `doc` column.
//!
//! **Labels files**: exactly the columns `id` and `label` (or `id` and
//! `value`) in CSV, TSV or Parquet; no empty labels (write the empty set of a
//! multilabel task as `|`) and no repeated ids.
//!
//! # Files written
//!
//! CSV, TSV or Parquet, by extension: `id`, one column per class, and
//! `label` (the most probable class, ties to the first; for multilabel the
//! `|`-joined labels with probability ≥ 0.5, or `|` for none), or `id` and
//! `value` for regression. NumPy, by extension: `.npz` holds `scores`
//! (`float32 [samples, classes]`) or `values`, with `ids` and `classes` string
//! arrays; `.npy` holds the array alone, with `<stem>.ids.txt` and
//! `<stem>.classes.txt` beside it. Both read back as they were written, by
//! modelfuse and by `numpy.load`. Bytes are deterministic: the same predictions
//! give the same file. Every write is atomic ([`write_atomic`]).
#![deny(missing_docs)]

mod atomic;
mod columns;
mod costs;
mod csv;
mod error;
mod fitted_kind;
mod inputs;
mod labels;
mod npy;
mod npy_write;
mod parquet;
mod rows;
mod segments;
mod text;
mod write;

use std::path::{Path, PathBuf};

use modelfuse::ModelOutput;
use modelfuse::segments::SegmentedOutput;
use rayon::prelude::*;

pub use atomic::write_atomic;
pub use costs::read_costs;
pub use error::{Error, ErrorKind, Result};
pub use fitted_kind::FittedKind;
pub use inputs::{
    Skipped, expand_files, expand_inputs, expand_inputs_noting, model_name, system_name,
};
pub use labels::read_labels;
pub use parquet::ROW_GROUP_ROWS;
pub use rows::MULTILABEL_THRESHOLD;
pub use text::{MAX_TEXT_BYTES, decode_text, read_text};
pub use write::{write_predictions, write_predictions_csv};

/// Reads one model's predictions; the model is named after the file stem
/// (`preds/bert.csv` → `bert`).
///
/// The format follows the extension; see the [crate documentation](crate#files-read)
/// for what each format may hold.
///
/// # Errors
///
/// The error names the file and, where they apply, the line (CSV, TSV and
/// sidecars), row (Parquet, NumPy) and column:
///
/// * [`ErrorKind::Io`]: the file cannot be opened or read;
/// * [`ErrorKind::Parse`]: a cell that is not a number, an empty cell, text
///   that is not UTF-8, a null, a corrupt Parquet/NumPy/zip file;
/// * [`ErrorKind::Format`]: an unsupported extension, no `id` column, a
///   duplicated column name, an unexpected column type, array rank or dtype;
/// * [`ErrorKind::Shape`]: no data rows, a row with the wrong number of
///   fields, a sidecar with the wrong number of lines.
///
/// # Example
///
/// ```
/// use modelfuse::Content;
///
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("bert.csv");
/// std::fs::write(&path, "id,neg,pos\n1,0.5,abc\n")?;
/// let err = modelfuse_io::read_predictions(&path).unwrap_err();
/// assert_eq!(err.kind(), modelfuse_io::ErrorKind::Parse);
/// assert_eq!((err.line(), err.column()), (Some(2), Some("pos")));
/// assert!(err.to_string().ends_with("bert.csv: line 2, column 'pos': expected a number, found 'abc'"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_predictions(path: &Path) -> Result<ModelOutput> {
    read(path)
        .and_then(|(out, segments)| match segments {
            Some(_) => Err(segments::unexpected_doc()),
            None => Ok(out),
        })
        .map_err(|e| e.or_path(path))
}

/// Reads every file of `paths` as [`read_predictions`] does, several files
/// at a time (on rayon's threads), and returns the outputs in the order of
/// `paths`.
///
/// Decoding a file is CPU-bound (Parquet pages, CSV floats, ids turned into
/// strings), so a folder of models loads about as many times faster as
/// there are cores.
///
/// # Errors
///
/// Those of [`read_predictions`]: the error of the first bad file in the
/// order of `paths`. Every file is read before one is chosen, so which error
/// is reported never depends on which thread finished first.
pub fn read_predictions_all(paths: &[PathBuf]) -> Result<Vec<ModelOutput>> {
    let read: Vec<Result<ModelOutput>> = paths.par_iter().map(|p| read_predictions(p)).collect();
    read.into_iter().collect()
}

/// Reads one model's segment-level predictions: a CSV, TSV or Parquet table
/// whose rows are segments of documents, with a `doc` column (the
/// document's id) beside `id` (the segment's), and optionally `segment`
/// (a whole number: the segment's position in its document) and `length`
/// (a positive number: tokens, seconds…). The other columns are read as by
/// [`read_predictions`].
///
/// # Errors
///
/// Those of [`read_predictions`]; a table without a `doc` column, a NumPy
/// file ([`ErrorKind::Format`]); a position that is not a whole number, a
/// length that is not positive ([`ErrorKind::Parse`], with the line or row).
pub fn read_segments(path: &Path) -> Result<SegmentedOutput> {
    if let Ok(FileFormat::Npy | FileFormat::Npz) = FileFormat::of(path) {
        return Err(Error::format(
            "expected a CSV, TSV or Parquet table with a 'doc' column for segment-level predictions, found a NumPy file",
        )
        .or_path(path));
    }
    read(path)
        .and_then(|(out, segments)| match segments {
            Some(s) => Ok(s.into_output(out)),
            None => Err(segments::missing_doc(&out)),
        })
        .map_err(|e| e.or_path(path))
}

fn read(path: &Path) -> Result<(ModelOutput, Option<segments::SegmentParts>)> {
    let format = FileFormat::of(path)?;
    let name = inputs::model_name(path)?;
    match format {
        FileFormat::Csv => csv::read_table(path, b',', name),
        FileFormat::Tsv => csv::read_table(path, b'\t', name),
        FileFormat::Parquet => parquet::read_table(path, name),
        FileFormat::Npy => npy::read_npy(path, name).map(|o| (o, None)),
        FileFormat::Npz => npy::read_npz(path, name).map(|o| (o, None)),
    }
}

/// The file formats, as told by the extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileFormat {
    Csv,
    Tsv,
    Parquet,
    Npy,
    Npz,
}

impl FileFormat {
    /// The format of a lowercase extension, if supported.
    pub(crate) fn from_extension(ext: &str) -> Option<FileFormat> {
        Some(match ext {
            "csv" => FileFormat::Csv,
            "tsv" => FileFormat::Tsv,
            "parquet" => FileFormat::Parquet,
            "npy" => FileFormat::Npy,
            "npz" => FileFormat::Npz,
            _ => return None,
        })
    }

    /// The format of `path`, by its extension in any case.
    pub(crate) fn of(path: &Path) -> Result<FileFormat> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        ext.as_deref()
            .and_then(FileFormat::from_extension)
            .ok_or_else(|| {
                let found = match &ext {
                    Some(e) => format!("'.{e}'"),
                    None => "no extension".to_string(),
                };
                Error::format(format!(
                    "expected a file ending in .csv, .tsv, .parquet, .npy or .npz, found {found}"
                ))
            })
    }

    /// The canonical extension, without the dot.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Tsv => "tsv",
            FileFormat::Parquet => "parquet",
            FileFormat::Npy => "npy",
            FileFormat::Npz => "npz",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_rejects_unknown_extensions() {
        let e = read_predictions(Path::new("preds/bert.txt")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format);
        insta::assert_snapshot!(e, @"preds/bert.txt: expected a file ending in .csv, .tsv, .parquet, .npy or .npz, found '.txt'");
        let e = read_predictions(Path::new("preds/bert")).unwrap_err();
        insta::assert_snapshot!(e, @"preds/bert: expected a file ending in .csv, .tsv, .parquet, .npy or .npz, found no extension");
    }

    #[test]
    fn read_missing_file_is_an_io_error() {
        let e = read_predictions(Path::new("/nonexistent/bert.csv")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
        assert_eq!(e.path(), Some(Path::new("/nonexistent/bert.csv")));
        assert_eq!(e.message(), "cannot open");
        let io = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<std::io::Error>());
        assert_eq!(io.map(|e| e.kind()), Some(std::io::ErrorKind::NotFound));
    }
}
