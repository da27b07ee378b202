//! The true outputs a [`Predictions`] is scored against.

use super::build::split_labels;
use super::*;
use crate::error::{Error, Result};

/// The true outputs for the samples of a [`Predictions`], in the same order.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// Single-label tasks: the class index of each sample.
    Classes(Vec<usize>),
    /// Multilabel: a row-major `samples × labels` indicator matrix.
    Multilabel {
        /// Number of labels (columns).
        n_labels: usize,
        /// Row-major indicators.
        matrix: Vec<bool>,
    },
    /// Regression: the true value of each sample.
    Values(Vec<f64>),
}

impl Targets {
    /// Checks that these targets suit `preds`: the kind its task needs, one
    /// per sample (a row of labels for multilabel), class indices below the
    /// number of classes, finite values. The one check of targets against
    /// predictions; everything that scores or learns calls it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Shape`] for the wrong kind or length,
    /// [`ErrorKind::UnknownLabel`] for a class index out of range,
    /// [`ErrorKind::InvalidValue`] for a non-finite value (both naming the
    /// sample id).
    pub fn check_for(&self, preds: &Predictions) -> Result<()> {
        self.check(
            preds.task(),
            preds.n_samples(),
            preds.n_outputs(),
            Some(preds.ids()),
        )
    }

    /// [`Targets::check_for`] on raw rows: `n` samples of `k` outputs for
    /// `task`; `ids`, when given, name the offending sample.
    pub(crate) fn check(
        &self,
        task: Task,
        n: usize,
        k: usize,
        ids: Option<&[String]>,
    ) -> Result<()> {
        if n == 0 {
            return Err(Error::shape("expected at least one sample, found none"));
        }
        let with_id = |e: Error, i: usize| match ids {
            Some(ids) => e.with_id(ids[i].clone()),
            None => e,
        };
        let found = match (task, self) {
            (Task::Binary | Task::Multiclass { .. }, Targets::Classes(y)) => {
                if y.len() == n
                    && let Some(i) = y.iter().position(|&c| c >= k)
                {
                    let msg = format!("expected a class index below {k}, found {}", y[i]);
                    return Err(with_id(Error::new(ErrorKind::UnknownLabel, msg), i));
                }
                y.len()
            }
            (Task::Multilabel { .. }, Targets::Multilabel { n_labels, matrix }) => {
                if *n_labels != k {
                    return Err(Error::shape(format!(
                        "expected a label matrix with {k} labels, found {n_labels} labels"
                    )));
                }
                if matrix.len() != n * k {
                    return Err(Error::shape(format!(
                        "expected a {n} × {k} label matrix ({} values), found {} values",
                        n * k,
                        matrix.len()
                    )));
                }
                n
            }
            (Task::Regression, Targets::Values(y)) => {
                if y.len() == n
                    && let Some(i) = y.iter().position(|v| !v.is_finite())
                {
                    let msg = format!("expected a finite true value, found {}", y[i]);
                    return Err(with_id(Error::invalid_value(msg), i));
                }
                y.len()
            }
            _ => {
                let wanted = match task {
                    Task::Binary | Task::Multiclass { .. } => "class indices",
                    Task::Multilabel { .. } => "a label matrix",
                    Task::Regression => "real values",
                };
                let got = match self {
                    Targets::Classes(_) => "class indices",
                    Targets::Multilabel { .. } => "a label matrix",
                    Targets::Values(_) => "real values",
                };
                return Err(Error::shape(format!(
                    "expected {wanted} as targets for a {} task, found {got}",
                    task.name()
                )));
            }
        };
        if found != n {
            return Err(Error::shape(format!(
                "expected targets for {n} samples, found {found}"
            )));
        }
        Ok(())
    }

    /// Aligns a labels table (`id`, label) with the samples of `preds`.
    ///
    /// Labels are class names (multilabel: `|`-separated names; regression: a
    /// number). Ids in the table that `preds` lacks are ignored, so a labels
    /// file may cover more samples than a prediction set.
    ///
    /// # Errors
    ///
    /// A duplicated id in the table, a sample of `preds` without a label, a
    /// label that is not a class, or a regression value that is not a finite
    /// number.
    pub fn align(preds: &Predictions, table: &[(String, String)]) -> Result<Targets> {
        let mut by_id: HashMap<&str, &str> = HashMap::with_capacity(table.len());
        for (id, label) in table {
            if by_id.insert(id.as_str(), label.as_str()).is_some() {
                return Err(Error::mismatch(
                    "the id appears more than once in the labels; ids must be unique",
                )
                .with_id(id.clone()));
            }
        }
        let missing: Vec<&str> = preds
            .ids()
            .iter()
            .map(|s| s.as_str())
            .filter(|id| !by_id.contains_key(id))
            .collect();
        if !missing.is_empty() {
            return Err(Error::mismatch(format!(
                "expected a label for each of the {} predicted ids, found none for {}: {}",
                preds.n_samples(),
                missing.len(),
                preview(&missing)
            )));
        }
        let class_of: BTreeMap<&str, usize> = preds
            .classes()
            .iter()
            .enumerate()
            .map(|(j, c)| (c.as_str(), j))
            .collect();
        let unknown = |id: &str, label: &str| {
            Error::new(
                ErrorKind::UnknownLabel,
                format!(
                    "expected a label among the classes [{}], found '{label}'",
                    preview(
                        &preds
                            .classes()
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                    )
                ),
            )
            .with_id(id.to_string())
        };
        match preds.task() {
            Task::Regression => {
                let mut v = Vec::with_capacity(preds.n_samples());
                for id in preds.ids() {
                    let s = by_id[id.as_str()].trim();
                    match s.parse::<f64>() {
                        Ok(x) if x.is_finite() => v.push(x),
                        _ => {
                            return Err(Error::invalid_value(format!(
                                "expected a finite number as the true value, found '{s}'"
                            ))
                            .with_id(id.clone()));
                        }
                    }
                }
                Ok(Targets::Values(v))
            }
            Task::Multilabel { n_labels } => {
                let mut matrix = vec![false; preds.n_samples() * n_labels];
                for (i, id) in preds.ids().iter().enumerate() {
                    for part in split_labels(by_id[id.as_str()], true) {
                        let j = *class_of
                            .get(part)
                            .or_else(|| class_of.get(canonical_class(part).as_ref()))
                            .ok_or_else(|| unknown(id, part))?;
                        matrix[i * n_labels + j] = true;
                    }
                }
                Ok(Targets::Multilabel { n_labels, matrix })
            }
            Task::Binary | Task::Multiclass { .. } => {
                let mut v = Vec::with_capacity(preds.n_samples());
                for id in preds.ids() {
                    let label = by_id[id.as_str()];
                    let j = *class_of
                        .get(label)
                        .or_else(|| class_of.get(label.trim()))
                        .or_else(|| class_of.get(canonical_class(label.trim()).as_ref()))
                        .ok_or_else(|| unknown(id, label))?;
                    v.push(j);
                }
                Ok(Targets::Classes(v))
            }
        }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Targets::Classes(v) => v.len(),
            Targets::Multilabel { n_labels, matrix } => matrix.len() / (*n_labels).max(1),
            Targets::Values(v) => v.len(),
        }
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The targets of the samples at `rows`, in that order (see
    /// [`Predictions::select_rows`]).
    ///
    /// # Panics
    ///
    /// When an index is out of range.
    pub fn select(&self, rows: &[usize]) -> Targets {
        match self {
            Targets::Classes(v) => Targets::Classes(rows.iter().map(|&i| v[i]).collect()),
            Targets::Values(v) => Targets::Values(rows.iter().map(|&i| v[i]).collect()),
            Targets::Multilabel { n_labels, matrix } => Targets::Multilabel {
                n_labels: *n_labels,
                matrix: rows
                    .iter()
                    .flat_map(|&i| matrix[i * n_labels..(i + 1) * n_labels].iter().copied())
                    .collect(),
            },
        }
    }

    /// The class indices, for single-label tasks.
    pub fn classes(&self) -> Option<&[usize]> {
        match self {
            Targets::Classes(v) => Some(v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predictions::BuildOptions;
    use crate::predictions::test_support::scores;

    #[test]
    fn targets_align_by_id_and_name_unknown_labels() {
        let a = scores("a", &["1", "2"], &["x", "y"], &[0.5; 4]);
        let p = Predictions::from_outputs(vec![a], &BuildOptions::default()).unwrap();
        let t = Targets::align(
            &p,
            &[
                ("2".into(), "x".into()),
                ("1".into(), "y".into()),
                ("9".into(), "x".into()),
            ],
        )
        .unwrap();
        assert_eq!(t, Targets::Classes(vec![1, 0]));
        let e =
            Targets::align(&p, &[("1".into(), "z".into()), ("2".into(), "x".into())]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "id '1': expected a label among the classes ['x', 'y'], found 'z'"
        );
    }
}
