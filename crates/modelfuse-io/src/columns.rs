//! Which column means what: the layout rules shared by CSV, TSV and Parquet.
//!
//! A prediction table has an `id` column anywhere, then exactly one of:
//!
//! * one or more class columns (any other name): scores, one column per class;
//! * a `label` column: hard predictions;
//! * a `value` column: regression.
//!
//! A `label` column beside class columns is ignored, because that is the
//! shape of the files [`write_predictions`](crate::write_predictions) writes
//! (`id, classes…, label`), and a fused output must be readable as an input.
//! A `value` column beside class columns is an error: nothing we write has
//! that shape, so it is more likely a mistake than a class named "value".
//!
//! A labels table has exactly the columns `id` and `label` (or `id` and
//! `value`). Extra columns are rejected rather than ignored so that a
//! prediction file passed by mistake as the labels (it has `id` and `label`
//! too) fails loudly instead of scoring the model against itself.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// The name of the sample-id column.
pub(crate) const ID: &str = "id";
/// The name of the hard-label column.
pub(crate) const LABEL: &str = "label";
/// The name of the regression-value column.
pub(crate) const VALUE: &str = "value";
/// The name of the column naming each segment's document.
pub(crate) const DOC: &str = "doc";
/// The name of the column giving a segment's position in its document.
pub(crate) const SEGMENT: &str = "segment";
/// The name of the column giving a segment's length.
pub(crate) const LENGTH: &str = "length";

/// Where the segment columns of a segment-level table are: `doc` always,
/// `segment` and `length` when present. They are never class columns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SegmentColumns {
    pub(crate) doc: usize,
    pub(crate) segment: Option<usize>,
    pub(crate) length: Option<usize>,
}

impl SegmentColumns {
    /// The segment columns of a table, if it has a `doc` column.
    ///
    /// # Errors
    ///
    /// A `segment` or `length` column without a `doc` column: it would be
    /// read as a class otherwise.
    pub(crate) fn find(names: &[String]) -> Result<Option<SegmentColumns>> {
        let at = |n: &str| names.iter().position(|x| x == n);
        match at(DOC) {
            Some(doc) => Ok(Some(SegmentColumns {
                doc,
                segment: at(SEGMENT),
                length: at(LENGTH),
            })),
            None => match [SEGMENT, LENGTH].into_iter().find(|n| at(n).is_some()) {
                Some(n) => Err(Error::format(format!(
                    "found a '{n}' column but no 'doc' column: segment-level predictions name each row's document in a 'doc' column"
                ))
                .in_column(n)),
                None => Ok(None),
            },
        }
    }

    /// The columns, for reading.
    pub(crate) fn used(&self) -> impl Iterator<Item = usize> {
        [Some(self.doc), self.segment, self.length]
            .into_iter()
            .flatten()
    }
}

/// Where the parts of a prediction table are, by column index.
#[derive(Debug, PartialEq)]
pub(crate) enum Layout {
    /// Class scores in the columns `classes` (in file order).
    Scores { id: usize, classes: Vec<usize> },
    /// Hard labels in column `label`.
    Labels { id: usize, label: usize },
    /// Regression values in column `value`.
    Values { id: usize, value: usize },
}

impl Layout {
    /// The index of the id column.
    pub(crate) fn id(&self) -> usize {
        match *self {
            Layout::Scores { id, .. } | Layout::Labels { id, .. } | Layout::Values { id, .. } => id,
        }
    }

    /// Every column the reader needs, in file order.
    pub(crate) fn used(&self) -> Vec<usize> {
        let mut v = match self {
            Layout::Scores { id, classes } => {
                let mut v = classes.clone();
                v.push(*id);
                v
            }
            Layout::Labels { id, label } => vec![*id, *label],
            Layout::Values { id, value } => vec![*id, *value],
        };
        v.sort_unstable();
        v
    }
}

/// What the target column of a labels table holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// Class names (`label`).
    Label,
    /// Regression values (`value`).
    Value,
}

/// Where the parts of a labels table are.
#[derive(Debug, PartialEq)]
pub(crate) struct LabelsLayout {
    pub(crate) id: usize,
    pub(crate) target: usize,
    pub(crate) kind: Target,
}

/// Works out the layout of a prediction table from its (trimmed) header.
pub(crate) fn predictions_layout(names: &[String]) -> Result<Layout> {
    let index = check_names(names)?;
    let id = find_id(names, &index)?;
    let label = index.get(LABEL).copied();
    let value = index.get(VALUE).copied();
    let reserved = |j: usize| [DOC, SEGMENT, LENGTH].contains(&names[j].as_str());
    let classes: Vec<usize> = (0..names.len())
        .filter(|&j| j != id && Some(j) != label && Some(j) != value && !reserved(j))
        .collect();
    match (classes.is_empty(), label, value) {
        (false, _, None) => Ok(Layout::Scores { id, classes }),
        (false, _, Some(_)) => Err(Error::format(format!(
            "expected class columns or a 'value' column, found both: {}",
            list(names)
        ))),
        (true, Some(label), None) => Ok(Layout::Labels { id, label }),
        (true, None, Some(value)) => Ok(Layout::Values { id, value }),
        (true, Some(_), Some(_)) => Err(Error::format(
            "expected a 'label' column (hard predictions) or a 'value' column (regression), found both",
        )),
        (true, None, None) => Err(Error::format(format!(
            "expected class columns, a 'label' column or a 'value' column beside 'id', found {}",
            list(names)
        ))),
    }
}

/// Works out the layout of a labels table from its (trimmed) header.
pub(crate) fn labels_layout(names: &[String]) -> Result<LabelsLayout> {
    let index = check_names(names)?;
    let id = find_id(names, &index)?;
    let expected = || {
        Error::format(format!(
            "expected the columns 'id' and 'label' (or 'id' and 'value'), found {}",
            list(names)
        ))
    };
    if names.len() != 2 {
        return Err(expected());
    }
    let (target, kind) = match (index.get(LABEL), index.get(VALUE)) {
        (Some(&j), None) => (j, Target::Label),
        (None, Some(&j)) => (j, Target::Value),
        _ => return Err(expected()),
    };
    Ok(LabelsLayout { id, target, kind })
}

/// Rejects empty and duplicated names; returns each name's index.
fn check_names(names: &[String]) -> Result<HashMap<&str, usize>> {
    let mut index = HashMap::with_capacity(names.len());
    for (j, name) in names.iter().enumerate() {
        if name.is_empty() {
            // pandas writes its index as an unnamed first column; a last one
            // is most often a separator at the end of every line.
            let hint = if j == 0 {
                " (a pandas index? write with index=False)"
            } else if j + 1 == names.len() {
                " (a separator at the end of the line?)"
            } else {
                ""
            };
            return Err(Error::format(format!(
                "expected a name for every column, found column {} unnamed{hint}",
                j + 1
            )));
        }
        if let Some(first) = index.insert(name.as_str(), j) {
            return Err(Error::format(format!(
                "expected unique column names, found '{name}' as columns {} and {}",
                first + 1,
                j + 1
            ))
            .in_column(name.clone()));
        }
    }
    Ok(index)
}

fn find_id(names: &[String], index: &HashMap<&str, usize>) -> Result<usize> {
    index.get(ID).copied().ok_or_else(|| {
        Error::format(format!(
            "expected a column named 'id', found {}",
            list(names)
        ))
    })
}

/// The header as people see it: `[id, neg, pos]`.
fn list(names: &[String]) -> String {
    format!("[{}]", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn layout_reads_scores_labels_and_values() {
        assert_eq!(
            predictions_layout(&names(&["neg", "id", "pos"])).unwrap(),
            Layout::Scores {
                id: 1,
                classes: vec![0, 2]
            }
        );
        assert_eq!(
            predictions_layout(&names(&["id", "label"])).unwrap(),
            Layout::Labels { id: 0, label: 1 }
        );
        assert_eq!(
            predictions_layout(&names(&["value", "id"])).unwrap(),
            Layout::Values { id: 1, value: 0 }
        );
    }

    #[test]
    fn layout_ignores_label_beside_classes() {
        let layout = predictions_layout(&names(&["id", "neg", "pos", "label"])).unwrap();
        assert_eq!(
            layout,
            Layout::Scores {
                id: 0,
                classes: vec![1, 2]
            }
        );
        assert_eq!(layout.used(), [0, 1, 2]);
    }

    #[test]
    fn layout_errors_say_what_was_found() {
        let err = |s: &[&str]| predictions_layout(&names(s)).unwrap_err().to_string();
        insta::assert_snapshot!(err(&["ID", "pos"]), @"expected a column named 'id', found [ID, pos]");
        insta::assert_snapshot!(err(&["id"]), @"expected class columns, a 'label' column or a 'value' column beside 'id', found [id]");
        insta::assert_snapshot!(err(&["id", "label", "value"]), @"expected a 'label' column (hard predictions) or a 'value' column (regression), found both");
        insta::assert_snapshot!(err(&["id", "pos", "value"]), @"expected class columns or a 'value' column, found both: [id, pos, value]");
        insta::assert_snapshot!(err(&["", "id", "pos"]), @"expected a name for every column, found column 1 unnamed (a pandas index? write with index=False)");
        insta::assert_snapshot!(err(&["id", "pos", ""]), @"expected a name for every column, found column 3 unnamed (a separator at the end of the line?)");
        insta::assert_snapshot!(err(&["id", "pos", "pos"]), @"column 'pos': expected unique column names, found 'pos' as columns 2 and 3");
    }

    #[test]
    fn labels_layout_requires_exactly_id_and_target() {
        assert_eq!(
            labels_layout(&names(&["label", "id"])).unwrap(),
            LabelsLayout {
                id: 1,
                target: 0,
                kind: Target::Label
            }
        );
        assert_eq!(
            labels_layout(&names(&["id", "value"])).unwrap().kind,
            Target::Value
        );
        let e = labels_layout(&names(&["id", "neg", "pos", "label"])).unwrap_err();
        insta::assert_snapshot!(e, @"expected the columns 'id' and 'label' (or 'id' and 'value'), found [id, neg, pos, label]");
    }
}
