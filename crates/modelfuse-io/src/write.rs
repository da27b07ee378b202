//! Writing fused predictions in the format they were read in.
//!
//! The columns are those a prediction file is read with, so an output can be
//! fed back in as an input:
//!
//! * binary and multiclass: `id`, one column per class, `label` (the class
//!   with the highest probability, ties to the first class, as
//!   [`modelfuse::argmax`] decides);
//! * multilabel: `id`, one column per label, `label` (the `|`-joined labels
//!   with probability at least [`MULTILABEL_THRESHOLD`](crate::MULTILABEL_THRESHOLD), or a lone `|` when
//!   there are none, since an empty cell would not read back);
//! * regression: `id`, `value`.
//!
//! Numbers are written with Rust's shortest round-trip formatting of `f32`,
//! so the same predictions always give the same bytes and read back to the
//! same values.

use std::io::Write;
use std::path::Path;

use modelfuse::{Predictions, Task};

use crate::columns::{ID, LABEL, VALUE};
use crate::error::{Error, Result};
use crate::rows::label_column;
use crate::{FileFormat, npy_write, parquet, write_atomic};

/// Writes the predictions of one model (a fusion, typically) to `path`,
/// atomically (see [`write_atomic`]).
///
/// The format follows the extension: `.csv`, `.tsv`, `.parquet`, `.npz` or
/// `.npy` (with `<stem>.ids.txt` and `<stem>.classes.txt` beside it); the
/// layouts are described in the [crate documentation](crate#files-written).
///
/// # Errors
///
/// [`ErrorKind::Shape`](crate::ErrorKind::Shape) when `fused` holds other
/// than exactly one model; [`ErrorKind::Format`](crate::ErrorKind::Format)
/// for an unsupported extension or a class named `id`, `label` or `value`
/// (the file could not be read back); [`ErrorKind::Io`](crate::ErrorKind::Io)
/// when the file cannot be written.
///
/// # Example
///
/// ```
/// use modelfuse::{BuildOptions, Content, ModelOutput, Predictions};
///
/// let output = ModelOutput {
///     name: "fused".into(),
///     ids: vec!["a", "b"].into(),
///     content: Content::Scores {
///         columns: vec!["neg".into(), "pos".into()],
///         values: vec![0.25, 0.75, 0.5, 0.5],
///     },
/// };
/// let fused = Predictions::from_outputs(vec![output], &BuildOptions::default())?;
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("fused.csv");
/// modelfuse_io::write_predictions(&path, &fused)?;
/// assert_eq!(
///     std::fs::read_to_string(&path)?,
///     "id,neg,pos,label\na,0.25,0.75,pos\nb,0.5,0.5,neg\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_predictions(path: &Path, fused: &Predictions) -> Result<()> {
    write(path, fused).map_err(|e| e.or_path(path))
}

/// Writes `fused` as CSV to `out` (standard output, say), in the layout
/// [`write_predictions`] gives a `.csv` path.
///
/// # Errors
///
/// Any error of `out`.
pub fn write_predictions_csv(out: &mut dyn Write, fused: &Predictions) -> std::io::Result<()> {
    write_csv(out, fused, b',')
}

fn write(path: &Path, fused: &Predictions) -> Result<()> {
    if fused.n_models() != 1 {
        return Err(Error::shape(format!(
            "expected exactly one model to write, found {} ({})",
            fused.n_models(),
            fused.models().join(", ")
        )));
    }
    if fused.task() != Task::Regression
        && let Some(c) = fused
            .classes()
            .iter()
            .find(|c| [ID, LABEL, VALUE].contains(&c.as_str()))
    {
        return Err(Error::format(format!(
            "expected class names other than 'id', 'label' and 'value' (the output's own \
             columns), found the class '{c}'"
        )));
    }
    match FileFormat::of(path)? {
        FileFormat::Csv => write_atomic(path, |out| write_csv(out, fused, b',')),
        FileFormat::Tsv => write_atomic(path, |out| write_csv(out, fused, b'\t')),
        FileFormat::Parquet => {
            let bytes = parquet::encode(fused)?;
            write_atomic(path, |out| out.write_all(&bytes))
        }
        FileFormat::Npz => {
            let bytes = npy_write::encode_npz(fused)?;
            write_atomic(path, |out| out.write_all(&bytes))
        }
        FileFormat::Npy => npy_write::write_npy(path, fused),
    }
}

fn write_csv(out: &mut dyn Write, fused: &Predictions, delimiter: u8) -> std::io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(out);
    let k = fused.n_outputs();
    let block = fused.model(0);
    let mut record: Vec<String> = Vec::with_capacity(k + 2);
    if fused.task() == Task::Regression {
        w.write_record([ID, VALUE])?;
        for (id, v) in fused.ids().iter().zip(block) {
            w.write_record([id.as_str(), &v.to_string()])?;
        }
    } else {
        let labels = label_column(fused);
        record.push(ID.to_string());
        record.extend(fused.classes().iter().cloned());
        record.push(LABEL.to_string());
        w.write_record(&record)?;
        for ((id, row), label) in fused.ids().iter().zip(block.chunks_exact(k)).zip(labels) {
            record.clear();
            record.push(id.clone());
            record.extend(row.iter().map(|p| p.to_string()));
            record.push(label);
            w.write_record(&record)?;
        }
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, read_predictions};
    use modelfuse::{BuildOptions, Content, ModelOutput, TaskHint};

    fn build(content: Content, ids: &[&str], task: TaskHint) -> Predictions {
        let out = ModelOutput {
            name: "fused".into(),
            ids: ids.iter().map(|s| s.to_string()).collect(),
            content,
        };
        let opts = BuildOptions {
            task,
            ..Default::default()
        };
        Predictions::from_outputs(vec![out], &opts).unwrap()
    }

    fn written(name: &str, p: &Predictions) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        write_predictions(&path, p).unwrap();
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn write_multilabel_joins_labels_over_the_threshold() {
        let p = build(
            Content::Scores {
                columns: vec!["a".into(), "b,c".into()],
                values: vec![0.5, 0.9, 0.1, 0.2],
            },
            &["1", "2"],
            TaskHint::Multilabel,
        );
        assert_eq!(
            written("m.csv", &p),
            "id,a,\"b,c\",label\n1,0.5,0.9,\"a|b,c\"\n2,0.1,0.2,|\n"
        );
    }

    #[test]
    fn write_regression_as_tsv_round_trips() {
        let p = build(
            Content::Values(vec![0.1, -3.0e-8, 12345.678]),
            &["x", "y", "z"],
            TaskHint::Auto,
        );
        let text = written("r.tsv", &p);
        assert_eq!(text, "id\tvalue\nx\t0.1\ny\t-0.00000003\nz\t12345.678\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.tsv");
        std::fs::write(&path, text).unwrap();
        let back = read_predictions(&path).unwrap();
        assert_eq!(back.content, Content::Values(vec![0.1, -3.0e-8, 12345.678]));
    }

    /// What `read_predictions` gives back for a fused output written as `name`.
    fn round_trip(name: &str, p: &Predictions) -> ModelOutput {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        write_predictions(&path, p).unwrap();
        crate::read_predictions(&path).unwrap()
    }

    #[test]
    fn numpy_outputs_read_back_as_written() {
        let scores = build(
            Content::Scores {
                columns: vec!["neg".into(), "pos é".into()],
                values: vec![0.25, 0.75, 1.0 / 3.0, 2.0 / 3.0, 1.0, 0.0],
            },
            &["a", "bb", "ccc"],
            TaskHint::Auto,
        );
        let values = build(
            Content::Values(vec![0.1, -3.0e-8, 12345.678]),
            &["x", "y", "z"],
            TaskHint::Auto,
        );
        for ext in ["npz", "npy"] {
            let back = round_trip(&format!("fused.{ext}"), &scores);
            assert_eq!(back.ids, ["a", "bb", "ccc"], "{ext}");
            assert_eq!(
                back.content,
                Content::Scores {
                    columns: vec!["neg".into(), "pos é".into()],
                    values: scores.model(0).to_vec(),
                },
                "{ext}"
            );
            let back = round_trip(&format!("fused.{ext}"), &values);
            assert_eq!(back.ids, ["x", "y", "z"], "{ext}");
            assert_eq!(
                back.content,
                Content::Values(vec![0.1, -3.0e-8, 12345.678]),
                "{ext}"
            );
        }
        // Deterministic bytes.
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.npz"), dir.path().join("b.npz"));
        write_predictions(&a, &scores).unwrap();
        write_predictions(&b, &scores).unwrap();
        assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    }

    #[test]
    fn write_refuses_several_models_and_unknown_formats() {
        let one = |name: &str| ModelOutput {
            name: name.into(),
            ids: vec!["1"].into(),
            content: Content::Values(vec![1.0]),
        };
        let two =
            Predictions::from_outputs(vec![one("a"), one("b")], &BuildOptions::default()).unwrap();
        let e = write_predictions(Path::new("out.csv"), &two).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
        insta::assert_snapshot!(e, @"out.csv: expected exactly one model to write, found 2 (a, b)");
        let single = two.single_model(0);
        let e = write_predictions(Path::new("out.json"), &single).unwrap_err();
        insta::assert_snapshot!(e, @"out.json: expected a file ending in .csv, .tsv, .parquet, .npy or .npz, found '.json'");
    }

    #[test]
    fn write_refuses_classes_that_clash_with_columns() {
        let p = build(
            Content::Labels(vec!["label".into(), "x".into()]),
            &["1", "2"],
            TaskHint::Auto,
        );
        let e = write_predictions(Path::new("out.csv"), &p).unwrap_err();
        insta::assert_snapshot!(e, @"out.csv: expected class names other than 'id', 'label' and 'value' (the output's own columns), found the class 'label'");
    }
}
