//! The central data type: the aligned, validated outputs of several models.
//!
//! [`Predictions`] is built once, through a validating constructor, from the raw
//! per-model outputs that a front end read ([`ModelOutput`]). Models are
//! aligned by name, samples by id and classes by name, never by position, and
//! everything downstream relies on the invariants checked here:
//!
//! * every model has exactly the same sample ids and the same classes;
//! * every value is finite;
//! * probabilities lie in `[0, 1]`, and for single-label tasks each row sums
//!   to one (rows within [`SUM_TOLERANCE`] are renormalised exactly);
//! * models are stored sorted by name and samples in [`id_order`], so the
//!   result never depends on the order in which files or rows arrived.
//!
//! This module holds the type and its accessors; `build` the checks that
//! build it from [`ModelOutput`]s, and `targets` the true outputs
//! ([`Targets`]) it is scored against.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

mod build;
mod ids;
mod targets;

pub(crate) use build::{Aligned, Layout, canonicalise_classes, preview, shared_classes};
pub use build::{BuildOptions, Content, ModelOutput, TaskHint, canonical_class};
use build::{check_row, unique};
pub use ids::{Ids, IdsBuilder};
pub use targets::Targets;

/// How far a probability row may be from summing to one before it is
/// rejected (without `renormalize`). Files written with six decimals over a
/// hundred classes drift by up to ~1e-4; anything past 1e-3 is a real error.
pub const SUM_TOLERANCE: f64 = 1e-3;

/// Probabilities may overshoot `[0, 1]` by this much from float printing.
pub(crate) const RANGE_TOLERANCE: f32 = 1e-6;

/// The kind of prediction problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Task {
    /// Two mutually exclusive classes; the second class is the positive one.
    Binary,
    /// `n_classes > 2` mutually exclusive classes; each row sums to one.
    Multiclass {
        /// Number of classes.
        n_classes: usize,
    },
    /// `n_labels` independent yes/no labels (one sigmoid each).
    Multilabel {
        /// Number of labels.
        n_labels: usize,
    },
    /// One real value per sample.
    Regression,
}

impl Task {
    /// Number of output columns per sample.
    pub fn n_outputs(&self) -> usize {
        match *self {
            Task::Binary => 2,
            Task::Multiclass { n_classes } => n_classes,
            Task::Multilabel { n_labels } => n_labels,
            Task::Regression => 1,
        }
    }

    /// True for binary and multiclass: exactly one class per sample.
    pub fn is_single_label(&self) -> bool {
        matches!(self, Task::Binary | Task::Multiclass { .. })
    }

    /// A short lowercase name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Task::Binary => "binary",
            Task::Multiclass { .. } => "multiclass",
            Task::Multilabel { .. } => "multilabel",
            Task::Regression => "regression",
        }
    }

    fn classification(n: usize) -> Task {
        if n == 2 {
            Task::Binary
        } else {
            Task::Multiclass { n_classes: n }
        }
    }
}

/// The total order used for sample ids and for discovered class names:
/// integers compare numerically and come first, everything else compares by
/// bytes; equal numbers written differently ("01", "1") fall back to bytes.
pub fn id_order(a: &str, b: &str) -> Ordering {
    match (a.parse::<i64>(), b.parse::<i64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// The aligned outputs of several models on the same samples: a dense
/// `models × samples × outputs` block of `f32`, contiguous per model.
#[derive(Clone, Debug, PartialEq)]
pub struct Predictions {
    task: Task,
    models: Vec<String>,
    /// Shared: every fused, recalibrated or re-ordered copy has the same ids,
    /// and cloning a million strings would cost more than the fusion itself.
    ids: Arc<[String]>,
    classes: Vec<String>,
    hard: Vec<bool>,
    values: Vec<f32>,
}

impl Predictions {
    /// Builds predictions from an already aligned block, checking every
    /// invariant (use this from code that produced probabilities itself).
    ///
    /// # Errors
    ///
    /// Wrong lengths, duplicate names or ids, values that are not finite or
    /// rows off the simplex.
    pub fn new(
        task: Task,
        models: Vec<String>,
        ids: Vec<String>,
        classes: Vec<String>,
        values: Vec<f32>,
    ) -> Result<Self> {
        let hard = vec![false; models.len()];
        let p = Predictions {
            task,
            models,
            ids: ids.into(),
            classes,
            hard,
            values,
        };
        p.validate()?;
        Ok(p)
    }

    /// Predictions from parts the caller keeps valid (pooled or stacked
    /// rows of valid predictions; checked in debug builds). `ids` may be an
    /// existing prediction's shared ids ([`Predictions::shared_ids`]).
    pub(crate) fn from_parts(
        task: Task,
        models: Vec<String>,
        ids: impl Into<Arc<[String]>>,
        classes: Vec<String>,
        hard: Vec<bool>,
        values: Vec<f32>,
    ) -> Self {
        let p = Predictions {
            task,
            models,
            ids: ids.into(),
            classes,
            hard,
            values,
        };
        debug_assert!(p.validate().is_ok(), "{:?}", p.validate());
        p
    }

    /// The ids, shared rather than copied.
    pub(crate) fn shared_ids(&self) -> Arc<[String]> {
        Arc::clone(&self.ids)
    }

    /// The same one-model prediction under another model name (no copy).
    pub(crate) fn renamed(mut self, name: &str) -> Self {
        debug_assert_eq!(self.models.len(), 1);
        self.models = vec![name.to_string()];
        self.hard = vec![false];
        self
    }

    /// The output of a fuser: one model named `name`, probabilities already
    /// on the simplex (checked in debug builds).
    pub(crate) fn fused(template: &Predictions, name: &str, values: Vec<f32>) -> Self {
        let p = Predictions {
            task: template.task,
            models: vec![name.to_string()],
            ids: template.ids.clone(),
            classes: template.classes.clone(),
            hard: vec![false],
            values,
        };
        debug_assert!(p.validate().is_ok(), "{:?}", p.validate());
        p
    }

    /// The same models, ids, classes and hard-label flags with new values
    /// (recalibrated probabilities, say), which the caller keeps valid
    /// (checked in debug builds).
    pub(crate) fn with_values(&self, values: Vec<f32>) -> Self {
        let p = Predictions {
            task: self.task,
            models: self.models.clone(),
            ids: self.ids.clone(),
            classes: self.classes.clone(),
            hard: self.hard.clone(),
            values,
        };
        debug_assert!(p.validate().is_ok(), "{:?}", p.validate());
        p
    }

    fn validate(&self) -> Result<()> {
        let (m, n, k) = (self.models.len(), self.ids.len(), self.classes.len());
        if k != self.task.n_outputs() {
            return Err(Error::shape(format!(
                "a {} task expects {} outputs, found {} classes",
                self.task.name(),
                self.task.n_outputs(),
                k
            )));
        }
        if self.values.len() != m * n * k {
            return Err(Error::shape(format!(
                "expected {m} models × {n} samples × {k} outputs = {} values, found {}",
                m * n * k,
                self.values.len()
            )));
        }
        unique("model", &self.models)?;
        unique("id", &self.ids)?;
        unique("class", &self.classes)?;
        for (mi, model) in self.models.iter().enumerate() {
            for (i, id) in self.ids.iter().enumerate() {
                let row = &self.values[(mi * n + i) * k..(mi * n + i + 1) * k];
                check_row(row, &self.classes, self.task, false)
                    .map_err(|e| e.with_model(model.clone()).with_id(id.clone()))?;
            }
        }
        Ok(())
    }

    /// The task these predictions are for.
    pub fn task(&self) -> Task {
        self.task
    }

    /// Model names, sorted.
    pub fn models(&self) -> &[String] {
        &self.models
    }

    /// Sample ids, in [`id_order`].
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Class names (output columns) in their fixed order; `["value"]` for
    /// regression.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Number of models.
    pub fn n_models(&self) -> usize {
        self.models.len()
    }

    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.ids.len()
    }

    /// Number of outputs per sample (classes, labels, or 1 for regression).
    pub fn n_outputs(&self) -> usize {
        self.classes.len()
    }

    /// Whether model `m` gave hard labels (its rows are one-hot).
    pub fn is_hard(&self, m: usize) -> bool {
        self.hard[m]
    }

    /// The whole block, `models × samples × outputs`, row-major.
    pub fn as_slice(&self) -> &[f32] {
        &self.values
    }

    /// Consumes the predictions, returning the value block.
    pub fn into_values(self) -> Vec<f32> {
        self.values
    }

    /// All rows of model `m`, `samples × outputs`, row-major.
    pub fn model(&self, m: usize) -> &[f32] {
        let len = self.ids.len() * self.classes.len();
        &self.values[m * len..(m + 1) * len]
    }

    /// Model `m`'s output row for sample `i`.
    pub fn row(&self, m: usize, i: usize) -> &[f32] {
        let k = self.classes.len();
        let start = (m * self.ids.len() + i) * k;
        &self.values[start..start + k]
    }

    /// The index of a model by name.
    pub fn model_index(&self, name: &str) -> Option<usize> {
        self.models.binary_search(&name.to_string()).ok()
    }

    /// Model `m`'s predicted class per sample (single-label tasks): the
    /// highest probability, ties to the lowest class index.
    pub fn predicted_classes(&self, m: usize) -> Vec<usize> {
        self.model(m)
            .chunks_exact(self.classes.len())
            .map(argmax)
            .collect()
    }

    /// The predictions restricted to the named models, in the given order
    /// (the order a fitted fuser was fitted in).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] naming the models that are missing and those
    /// that were not expected.
    pub fn select_models(&self, names: &[String]) -> Result<Predictions> {
        if let Some(msg) = model_set_mismatch(names, &self.models) {
            return Err(Error::mismatch(msg));
        }
        let mut values = Vec::with_capacity(self.values.len());
        let mut hard = Vec::with_capacity(names.len());
        for name in names {
            let m = self.model_index(name).expect("checked above");
            values.extend_from_slice(self.model(m));
            hard.push(self.hard[m]);
        }
        Ok(Predictions {
            task: self.task,
            models: names.to_vec(),
            ids: self.ids.clone(),
            classes: self.classes.clone(),
            hard,
            values,
        })
    }

    /// The named models only, in the given order; other models are left out.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] naming a model that is not there.
    pub fn subset_models(&self, names: &[String]) -> Result<Predictions> {
        let mut values = Vec::with_capacity(names.len() * self.ids.len() * self.classes.len());
        let mut hard = Vec::with_capacity(names.len());
        for name in names {
            let m = self.model_index(name).ok_or_else(|| {
                Error::mismatch(format!(
                    "expected the model '{name}' among [{}], found none",
                    self.models.join(", ")
                ))
            })?;
            values.extend_from_slice(self.model(m));
            hard.push(self.hard[m]);
        }
        unique("model", names)?;
        Ok(Predictions {
            task: self.task,
            models: names.to_vec(),
            ids: self.ids.clone(),
            classes: self.classes.clone(),
            hard,
            values,
        })
    }

    /// The predictions restricted to the samples at `rows` (indices into
    /// [`Predictions::ids`]), in that order: the building block of
    /// cross-validation and bootstrap resampling.
    ///
    /// # Panics
    ///
    /// When an index is out of range (callers derive them from this value).
    pub fn select_rows(&self, rows: &[usize]) -> Predictions {
        let (n, k) = (self.ids.len(), self.classes.len());
        let mut values = Vec::with_capacity(self.models.len() * rows.len() * k);
        for m in 0..self.models.len() {
            for &i in rows {
                let start = (m * n + i) * k;
                values.extend_from_slice(&self.values[start..start + k]);
            }
        }
        Predictions {
            task: self.task,
            models: self.models.clone(),
            ids: rows.iter().map(|&i| self.ids[i].clone()).collect(),
            classes: self.classes.clone(),
            hard: self.hard.clone(),
            values,
        }
    }

    /// One model's predictions on their own.
    pub fn single_model(&self, m: usize) -> Predictions {
        Predictions {
            task: self.task,
            models: vec![self.models[m].clone()],
            ids: self.ids.clone(),
            classes: self.classes.clone(),
            hard: vec![self.hard[m]],
            values: self.model(m).to_vec(),
        }
    }
}

/// The index of the largest value, ties to the lowest index. NaN never
/// occurs in validated predictions.
pub fn argmax(row: &[f32]) -> usize {
    // The first strictly greater value wins, kept with selects rather than a
    // branch: on real rows which class leads is unpredictable, and a
    // mispredicted branch per class was most of a hard vote's time.
    let Some(&first) = row.first() else {
        return 0;
    };
    let (mut best, mut best_v) = (0, first);
    for (j, &v) in row.iter().enumerate().skip(1) {
        let greater = v > best_v;
        best = if greater { j } else { best };
        best_v = if greater { v } else { best_v };
    }
    best
}

/// The [`argmax`] of four rows of `k` scores, scanned side by side: one
/// row's argmax is a chain of dependent compare-and-selects (one per
/// class), and four independent chains let the core overlap them. Each is
/// still the first maximum.
#[inline(always)]
pub(crate) fn argmax4(rows: [&[f32]; 4], k: usize) -> [usize; 4] {
    let mut best = [0usize; 4];
    let mut best_v: [f32; 4] = std::array::from_fn(|q| rows[q][0]);
    for j in 1..k {
        for q in 0..4 {
            let x = rows[q][j];
            let greater = x > best_v[q];
            best[q] = if greater { j } else { best[q] };
            best_v[q] = if greater { x } else { best_v[q] };
        }
    }
    best
}

/// The [`argmax`] of every row of `k` scores in `rows`, four rows at a time
/// (see [`argmax4`]).
pub(crate) fn argmax_rows(rows: &[f32], k: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(rows.len() / k.max(1));
    if k == 0 {
        return out;
    }
    let mut quads = rows.chunks_exact(4 * k);
    for r in &mut quads {
        out.extend(argmax4(std::array::from_fn(|q| &r[q * k..(q + 1) * k]), k));
    }
    out.extend(quads.remainder().chunks_exact(k).map(argmax));
    out
}

/// Numerically stable softmax: shift by the maximum so `exp` never overflows.
pub(crate) fn softmax_in_place(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let mut sum = 0.0;
    let mut tmp: Vec<f64> = row.iter().map(|&x| (x as f64 - max).exp()).collect();
    for v in &tmp {
        sum += v;
    }
    for v in tmp.iter_mut() {
        *v /= sum;
    }
    for (x, v) in row.iter_mut().zip(tmp) {
        *x = v as f32;
    }
}

/// The logistic function, written so neither branch overflows.
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Helpers shared by the unit tests of `predictions`.
#[cfg(test)]
pub(crate) mod test_support {
    use super::{Content, ModelOutput};

    /// A model's scores: `values` row-major over `ids` × `cols`.
    pub(crate) fn scores(name: &str, ids: &[&str], cols: &[&str], values: &[f32]) -> ModelOutput {
        ModelOutput {
            name: name.into(),
            ids: ids.iter().map(|s| s.to_string()).collect(),
            content: Content::Scores {
                columns: cols.iter().map(|s| s.to_string()).collect(),
                values: values.to_vec(),
            },
        }
    }
}

/// Why models named `have` are not the set `wanted` (in any order), or
/// `None` when they are.
pub(crate) fn model_set_mismatch(wanted: &[String], have: &[String]) -> Option<String> {
    let want: BTreeSet<&String> = wanted.iter().collect();
    let got: BTreeSet<&String> = have.iter().collect();
    let missing: Vec<&str> = want.difference(&got).map(|s| s.as_str()).collect();
    let extra: Vec<&str> = got.difference(&want).map(|s| s.as_str()).collect();
    if missing.is_empty() && extra.is_empty() {
        return None;
    }
    let mut msg = format!(
        "expected the models [{}], found [{}]",
        wanted.join(", "),
        have.join(", ")
    );
    if !missing.is_empty() {
        msg.push_str(&format!("; missing: {}", missing.join(", ")));
    }
    if !extra.is_empty() {
        msg.push_str(&format!("; unexpected: {}", extra.join(", ")));
    }
    Some(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_order_is_numeric_then_lexicographic() {
        let mut v = vec!["b", "10", "a", "2", "02"];
        v.sort_by(|a, b| id_order(a, b));
        assert_eq!(v, ["02", "2", "10", "a", "b"]);
    }
}
