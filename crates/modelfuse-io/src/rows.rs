//! What every file format shares, below the readers and writers: the rows
//! of a labels file as read, the error for a file without data rows, and
//! the `label` column written beside fused predictions. A leaf: the format
//! modules (`csv`, `parquet`, `npy`) and the dispatchers (`labels`, `write`)
//! import it, never the other way round.

use modelfuse::{Predictions, Task, argmax};

use crate::columns::Target;
use crate::error::Error;

/// A multilabel output includes a label when its probability is at least
/// this.
pub const MULTILABEL_THRESHOLD: f32 = 0.5;

/// One row of a labels file.
pub(crate) struct Entry {
    pub(crate) id: String,
    /// The label or value, trimmed; possibly empty until checked.
    pub(crate) target: String,
    /// The line (CSV) or row (Parquet) it came from.
    pub(crate) position: u64,
}

/// What [`Entry::position`] counts.
#[derive(Clone, Copy)]
pub(crate) enum Position {
    /// 1-based physical lines of a text file.
    Line,
    /// 1-based data rows of a Parquet file.
    Row,
}

/// A labels file as read, before the checks common to every format.
pub(crate) struct Table {
    pub(crate) kind: Target,
    pub(crate) target_column: String,
    pub(crate) position: Position,
    pub(crate) entries: Vec<Entry>,
}

/// The error for a file with a header and nothing else, or nothing at all.
pub(crate) fn no_data_rows() -> Error {
    Error::shape("expected at least one data row, found none")
}

/// The `label` column: the predicted class, or label set, of each sample.
pub(crate) fn label_column(fused: &Predictions) -> Vec<String> {
    let classes = fused.classes();
    let rows = fused.model(0).chunks_exact(fused.n_outputs().max(1));
    match fused.task() {
        Task::Multilabel { .. } => rows
            .map(|row| {
                let on: Vec<&str> = row
                    .iter()
                    .zip(classes)
                    .filter(|(p, _)| **p >= MULTILABEL_THRESHOLD)
                    .map(|(_, c)| c.as_str())
                    .collect();
                if on.is_empty() {
                    "|".to_string()
                } else {
                    on.join("|")
                }
            })
            .collect(),
        _ => rows.map(|row| classes[argmax(row)].clone()).collect(),
    }
}
