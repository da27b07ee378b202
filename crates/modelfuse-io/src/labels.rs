//! Labels files: the truth a fuser learns from and is scored against.
//!
//! A labels file is a CSV, TSV or Parquet table with exactly two columns,
//! `id` and `label` (classification; multilabel sets are `|`-separated, as in
//! `cat|dog`), or `id` and `value` (regression). Labels are kept as text: the
//! core matches them to class names and parses regression values.
//!
//! Two rules go beyond the prediction files':
//!
//! * An empty label is an error, not an empty set: an empty cell is far more
//!   often a missing label than a sample with no labels. The empty set of a
//!   multilabel task is written as a lone `|` (the core splits on `|` and
//!   drops empty parts, so `|` means "no labels").
//! * Each id appears once. The core checks this too, but only here can the
//!   error name both lines.

use std::collections::HashMap;
use std::path::Path;

use crate::columns::Target;
use crate::error::{Error, Result};
use crate::rows::{Position, Table};
use crate::{FileFormat, csv, parquet};

/// Reads a labels file: `(id, label)` pairs in file order.
///
/// The format follows the extension (`.csv`, `.tsv`, `.parquet`), with the
/// same header, quoting, trimming and type rules as prediction files. For
/// regression files (`id,value`) the second element is the value as written.
///
/// # Errors
///
/// Besides the errors of [`read_predictions`](crate::read_predictions) for
/// the same format: columns other than exactly `id` and `label` (or `value`),
/// an empty label, a value that is not a number, and an id that appears twice
/// (naming both lines).
pub fn read_labels(path: &Path) -> Result<Vec<(String, String)>> {
    read(path).map_err(|e| e.or_path(path))
}

fn read(path: &Path) -> Result<Vec<(String, String)>> {
    let table = match FileFormat::of(path)? {
        FileFormat::Csv => csv::read_labels(path, b',')?,
        FileFormat::Tsv => csv::read_labels(path, b'\t')?,
        FileFormat::Parquet => parquet::read_labels(path)?,
        other => {
            return Err(Error::format(format!(
                "expected a labels file ending in .csv, .tsv or .parquet, found '.{}'",
                other.extension()
            )));
        }
    };
    check(&table)?;
    Ok(table
        .entries
        .into_iter()
        .map(|e| (e.id, e.target))
        .collect())
}

/// Rejects empty labels and repeated ids.
fn check(table: &Table) -> Result<()> {
    let at = |e: Error, position: u64, column: &str| {
        let e = match table.position {
            Position::Line => e.at_line(position),
            Position::Row => e.at_row(position),
        };
        e.in_column(column.to_string())
    };
    let (empty, word) = match table.position {
        Position::Line => ("an empty cell", "line"),
        Position::Row => ("an empty string", "row"),
    };
    let mut first: HashMap<&str, u64> = HashMap::with_capacity(table.entries.len());
    for entry in &table.entries {
        if entry.target.is_empty() {
            let message = match table.kind {
                Target::Label => format!(
                    "expected a label, found {empty} (with --multilabel, write '|' for an empty set of labels)"
                ),
                Target::Value => format!("expected a number, found {empty}"),
            };
            return Err(at(
                Error::parse(message),
                entry.position,
                &table.target_column,
            ));
        }
        if let Some(before) = first.insert(&entry.id, entry.position) {
            return Err(at(
                Error::format(format!(
                    "expected each id once, found '{}' again (first on {word} {before})",
                    entry.id
                )),
                entry.position,
                crate::columns::ID,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(name: &str, text: &str) -> Result<Vec<(String, String)>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        read_labels(&path).map_err(|e| {
            // Keep only the file name, so messages compare exactly.
            let shown = e.to_string();
            let prefix = format!("{}", dir.path().display());
            Error::parse(shown.replacen(&prefix, "dir", 1))
        })
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn labels_read_classes_sets_and_values() {
        assert_eq!(
            read_text("y.csv", "label,id\ncat,2\n\"dog|cat\",1\n|,3\n").unwrap(),
            pairs(&[("2", "cat"), ("1", "dog|cat"), ("3", "|")])
        );
        assert_eq!(
            read_text("y.tsv", "id\tvalue\na\t1.5\nb\t-1e3\n").unwrap(),
            pairs(&[("a", "1.5"), ("b", "-1e3")])
        );
    }

    #[test]
    fn labels_errors_name_lines() {
        let err = |name, text| read_text(name, text).unwrap_err().to_string();
        insta::assert_snapshot!(
            err("y.csv", "id,label\n1,a\n2,b\n1,c\n"),
            @"dir/y.csv: line 4, column 'id': expected each id once, found '1' again (first on line 2)"
        );
        insta::assert_snapshot!(
            err("y.csv", "id,label\n1,a\n2, \n"),
            @"dir/y.csv: line 3, column 'label': expected a label, found an empty cell (with --multilabel, write '|' for an empty set of labels)"
        );
        insta::assert_snapshot!(
            err("y.csv", "id,value\n1,0.5\n2,high\n"),
            @"dir/y.csv: line 3, column 'value': expected a number, found 'high'"
        );
        insta::assert_snapshot!(
            err("y.csv", "id,neg,pos,label\n1,0.5,0.5,neg\n"),
            @"dir/y.csv: line 1: expected the columns 'id' and 'label' (or 'id' and 'value'), found [id, neg, pos, label]"
        );
        insta::assert_snapshot!(
            err("y.npy", ""),
            @"dir/y.npy: expected a labels file ending in .csv, .tsv or .parquet, found '.npy'"
        );
    }
}
