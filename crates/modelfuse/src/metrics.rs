//! Metrics: how good one model's (or the fusion's) predictions are.
//!
//! The module has two layers:
//!
//! * pure functions over slices — class indices, row-major probabilities,
//!   true values — such as [`accuracy`], [`log_loss`], [`roc_auc_binary`] and
//!   [`rmse`], which know nothing about [`Predictions`];
//! * [`Metric`], the names used on the command line and in JSON, with
//!   [`score`] and [`evaluate`], which check a model of a [`Predictions`]
//!   against its [`Targets`] and call the right pure function for the task.
//!
//! Every value equals scikit-learn's on the same inputs. The golden tests
//! (`tests/golden_metrics.rs`, values made by
//! `scripts/golden/metrics_golden.py`) check this against scikit-learn 1.9.1
//! to a relative 1e-9, including on the real predictions of four models on
//! Fig-QA. Sums are accumulated in `f64`; `f32` probabilities are widened
//! before any arithmetic.
//!
//! # Which metric applies to which task
//!
//! | metric | binary, multiclass | multilabel | regression |
//! |---|---|---|---|
//! | `accuracy` | [`accuracy`] | [`subset_accuracy`] | – |
//! | `balanced_accuracy` | [`balanced_accuracy`] | – | – |
//! | `precision_*`, `recall_*`, `f1_*` | [`precision_recall_f1`] | [`multilabel_precision_recall_f1`] | – |
//! | `log_loss` | [`log_loss`] | [`multilabel_log_loss`] | – |
//! | `brier` | [`brier`] | [`multilabel_brier`] | – |
//! | `ece` | [`ece`] | – | – |
//! | `roc_auc` | [`roc_auc_binary`], [`roc_auc_ovr`] | [`roc_auc_multilabel`] | – |
//! | `mcc` | [`mcc`] | – | – |
//! | `rmse`, `mae`, `r2` | – | – | [`rmse`], [`mae`], [`r2`] |
//!
//! # Choices where scikit-learn leaves one open
//!
//! * The predicted class of a single-label model is
//!   [`argmax`]: the highest probability, ties to the lowest
//!   class index (as `numpy.argmax`). A multilabel label is predicted when its
//!   probability is at least [`MULTILABEL_THRESHOLD`] (0.5).
//! * Precision, recall and F1 average over **all** `k` classes, as
//!   scikit-learn does when given `labels=range(k)`. A class that never
//!   occurs and is never predicted therefore counts as 0 in a macro average:
//!   the classes are part of the task, and a metric that silently dropped them
//!   would score the same model differently on different subsets. A zero
//!   division gives 0 (`zero_division=0`; scikit-learn also warns).
//! * ECE, and the multilabel log-loss and Brier score, are not in
//!   scikit-learn; their definitions are on [`ece`], [`multilabel_log_loss`]
//!   and [`multilabel_brier`].
//! * Where scikit-learn 1.9.1 warns and returns NaN — ROC-AUC when a class
//!   (or label) has no positive or no negative sample, R² of fewer than two
//!   samples — the pure functions return NaN too, [`score`] returns an
//!   [`ErrorKind::InvalidValue`] error saying why, and [`evaluate`] reports
//!   NaN so that one undefined metric does not hide the others.

use std::cell::OnceCell;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::predictions::{Predictions, Targets, Task, argmax};

/// The number of equal-width confidence bins of [`ece`].
pub const ECE_BINS: usize = 15;

/// A multilabel label is predicted when its probability is at least this.
pub const MULTILABEL_THRESHOLD: f32 = 0.5;

/// Probabilities are clipped to `[EPS, 1 - EPS]` before taking logarithms:
/// scikit-learn (since 1.5) uses the machine epsilon of the input's dtype,
/// and it sees our probabilities as `f64`.
const EPS: f64 = f64::EPSILON;

/// A metric, named in snake_case on the command line and in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Fraction of samples whose predicted class is right (multilabel: the
    /// whole label set must be right).
    Accuracy,
    /// Mean recall over the classes that occur in the targets.
    BalancedAccuracy,
    /// Precision averaged over classes, unweighted.
    PrecisionMacro,
    /// Precision from pooled counts.
    PrecisionMicro,
    /// Precision averaged over classes, weighted by support.
    PrecisionWeighted,
    /// Recall averaged over classes, unweighted.
    RecallMacro,
    /// Recall from pooled counts.
    RecallMicro,
    /// Recall averaged over classes, weighted by support.
    RecallWeighted,
    /// F1 averaged over classes, unweighted.
    F1Macro,
    /// F1 from pooled counts.
    F1Micro,
    /// F1 averaged over classes, weighted by support.
    F1Weighted,
    /// Mean negative log-likelihood of the true class.
    LogLoss,
    /// Mean squared error of the probabilities.
    Brier,
    /// Expected calibration error of the top-class confidence.
    Ece,
    /// Area under the ROC curve (one-vs-rest macro for several classes).
    RocAuc,
    /// Matthews correlation coefficient.
    Mcc,
    /// Root mean squared error.
    Rmse,
    /// Mean absolute error.
    Mae,
    /// Coefficient of determination.
    R2,
}

const CLASSIFICATION_REPORT: &[Metric] = &[
    Metric::Accuracy,
    Metric::BalancedAccuracy,
    Metric::F1Macro,
    Metric::F1Micro,
    Metric::F1Weighted,
    Metric::PrecisionMacro,
    Metric::RecallMacro,
    Metric::LogLoss,
    Metric::Brier,
    Metric::Ece,
    Metric::RocAuc,
    Metric::Mcc,
];

/// The classification report without the metrics that need a single label
/// per sample.
const MULTILABEL_REPORT: &[Metric] = &[
    Metric::Accuracy,
    Metric::F1Macro,
    Metric::F1Micro,
    Metric::F1Weighted,
    Metric::PrecisionMacro,
    Metric::RecallMacro,
    Metric::LogLoss,
    Metric::Brier,
    Metric::RocAuc,
];

const REGRESSION_REPORT: &[Metric] = &[Metric::Rmse, Metric::Mae, Metric::R2];

impl Metric {
    /// Every metric, in declaration order.
    pub const ALL: &'static [Metric] = &[
        Metric::Accuracy,
        Metric::BalancedAccuracy,
        Metric::PrecisionMacro,
        Metric::PrecisionMicro,
        Metric::PrecisionWeighted,
        Metric::RecallMacro,
        Metric::RecallMicro,
        Metric::RecallWeighted,
        Metric::F1Macro,
        Metric::F1Micro,
        Metric::F1Weighted,
        Metric::LogLoss,
        Metric::Brier,
        Metric::Ece,
        Metric::RocAuc,
        Metric::Mcc,
        Metric::Rmse,
        Metric::Mae,
        Metric::R2,
    ];

    /// The snake_case name, the same as the serde name: `"accuracy"`,
    /// `"f1_macro"`, `"log_loss"`, `"roc_auc"`, `"r2"`, …
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::BalancedAccuracy => "balanced_accuracy",
            Metric::PrecisionMacro => "precision_macro",
            Metric::PrecisionMicro => "precision_micro",
            Metric::PrecisionWeighted => "precision_weighted",
            Metric::RecallMacro => "recall_macro",
            Metric::RecallMicro => "recall_micro",
            Metric::RecallWeighted => "recall_weighted",
            Metric::F1Macro => "f1_macro",
            Metric::F1Micro => "f1_micro",
            Metric::F1Weighted => "f1_weighted",
            Metric::LogLoss => "log_loss",
            Metric::Brier => "brier",
            Metric::Ece => "ece",
            Metric::RocAuc => "roc_auc",
            Metric::Mcc => "mcc",
            Metric::Rmse => "rmse",
            Metric::Mae => "mae",
            Metric::R2 => "r2",
        }
    }

    /// Whether a higher value is better (false for losses and errors:
    /// `log_loss`, `brier`, `ece`, `rmse`, `mae`).
    pub fn greater_is_better(self) -> bool {
        !matches!(
            self,
            Metric::LogLoss | Metric::Brier | Metric::Ece | Metric::Rmse | Metric::Mae
        )
    }

    /// Whether `a` is strictly better than `b` by this metric.
    pub fn better(self, a: f64, b: f64) -> bool {
        if self.greater_is_better() {
            a > b
        } else {
            a < b
        }
    }

    /// The value as a loss, lower better: losses as they are, scores negated
    /// (what a minimiser such as [`crate::learn::driver`] wants).
    pub fn as_loss(self, x: f64) -> f64 {
        if self.greater_is_better() { -x } else { x }
    }

    /// How much better `new` is than `old`: positive when `new` is better,
    /// in the metric's units.
    pub fn gain(self, new: f64, old: f64) -> f64 {
        if self.greater_is_better() {
            new - old
        } else {
            old - new
        }
    }

    /// The order that puts the better value first, for sorting best first.
    /// `0.0` and `-0.0` tie, and so does NaN with anything (undefined
    /// metrics are errors before they are ranked), so a stable sort keeps
    /// the given order among equals.
    pub fn best_first(self, a: f64, b: f64) -> std::cmp::Ordering {
        let ord = a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal);
        if self.greater_is_better() {
            ord.reverse()
        } else {
            ord
        }
    }

    /// The metric methods and pruning optimise when none is given: the
    /// log-loss, or the RMSE for regression.
    pub fn default_for(task: Task) -> Metric {
        match task {
            Task::Regression => Metric::Rmse,
            _ => Metric::LogLoss,
        }
    }

    /// Whether the metric is defined for `task` (see the table in the
    /// [module docs](self)). Balanced accuracy, MCC and ECE need one label per
    /// sample, so they do not apply to multilabel tasks.
    pub fn applies_to(self, task: Task) -> bool {
        use Metric::*;
        match task {
            Task::Binary | Task::Multiclass { .. } => !matches!(self, Rmse | Mae | R2),
            Task::Multilabel { .. } => {
                !matches!(self, BalancedAccuracy | Mcc | Ece | Rmse | Mae | R2)
            }
            Task::Regression => matches!(self, Rmse | Mae | R2),
        }
    }

    /// The metrics that `inspect` and `evaluate` show for a task, in the order
    /// they are shown.
    ///
    /// Classification: accuracy, balanced accuracy, F1 (macro, micro,
    /// weighted), macro precision and recall, log-loss, Brier, ECE, ROC-AUC,
    /// MCC. Multilabel: the same without balanced accuracy, ECE and MCC.
    /// Regression: RMSE, MAE, R².
    pub fn report_set(task: Task) -> &'static [Metric] {
        match task {
            Task::Binary | Task::Multiclass { .. } => CLASSIFICATION_REPORT,
            Task::Multilabel { .. } => MULTILABEL_REPORT,
            Task::Regression => REGRESSION_REPORT,
        }
    }

    /// The metrics a one-line-per-model table shows: the first of the
    /// [report set](Metric::report_set) and, where the task has one, the
    /// log-loss (accuracy and log-loss for classification, RMSE for
    /// regression).
    pub fn glance_set(task: Task) -> &'static [Metric] {
        match task {
            Task::Binary | Task::Multiclass { .. } | Task::Multilabel { .. } => {
                &[Metric::Accuracy, Metric::LogLoss]
            }
            Task::Regression => &REGRESSION_REPORT[..1],
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Metric {
    type Err = Error;

    /// Parses a metric by its exact snake_case [name](Metric::name).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] listing the valid names.
    fn from_str(s: &str) -> Result<Metric> {
        Metric::ALL
            .iter()
            .copied()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                Error::param(format!(
                    "expected a metric among [{}], found '{s}'",
                    names.join(", ")
                ))
            })
    }
}

/// How per-class precision, recall and F1 are combined into one number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Average {
    /// The unweighted mean over all classes (`average="macro"`).
    Macro,
    /// The metric of the counts pooled over all classes (`average="micro"`).
    /// For single-label tasks micro precision, recall and F1 all equal
    /// accuracy.
    Micro,
    /// The mean over classes weighted by their number of true samples
    /// (`average="weighted"`).
    Weighted,
}

/// Precision, recall and F1 under one [`Average`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prf {
    /// Of the predicted positives, the fraction that are right.
    pub precision: f64,
    /// Of the true positives, the fraction that are found.
    pub recall: f64,
    /// The harmonic mean of precision and recall, `2 tp / (2 tp + fp + fn)`.
    pub f1: f64,
}

// ---------------------------------------------------------------------------
// Single-label classification
// ---------------------------------------------------------------------------

/// The fraction of samples whose predicted class is the true one
/// (`accuracy_score`). NaN for empty slices.
///
/// # Panics
///
/// When the slices differ in length.
///
/// # Example
///
/// ```
/// assert_eq!(modelfuse::metrics::accuracy(&[0, 1, 2, 1], &[0, 1, 1, 1]), 0.75);
/// ```
pub fn accuracy(y_true: &[usize], y_pred: &[usize]) -> f64 {
    assert_same_len(y_true.len(), y_pred.len());
    let right = y_true.iter().zip(y_pred).filter(|(t, p)| t == p).count();
    right as f64 / y_true.len() as f64
}

/// The mean recall over the classes that occur in `y_true`
/// (`balanced_accuracy_score`, `adjusted=False`).
///
/// A class that is predicted but never true has no recall and is left out,
/// as scikit-learn does (with a warning). NaN for empty slices.
///
/// # Panics
///
/// When the slices differ in length.
///
/// # Example
///
/// ```
/// // Class 0: 1 of 2 right; class 1: 1 of 1; class 2 is never true.
/// let b = modelfuse::metrics::balanced_accuracy(&[0, 0, 1], &[0, 2, 1]);
/// assert_eq!(b, 0.75);
/// ```
pub fn balanced_accuracy(y_true: &[usize], y_pred: &[usize]) -> f64 {
    let counts = ClassCounts::single_label(y_true, y_pred, n_classes_seen(y_true, y_pred));
    let (sum, n) = counts
        .tp
        .iter()
        .zip(&counts.actual)
        .filter(|&(_, &actual)| actual > 0)
        .fold((0.0, 0usize), |(sum, n), (&tp, &actual)| {
            (sum + tp as f64 / actual as f64, n + 1)
        });
    sum / n as f64
}

/// Precision, recall and F1 of predicted class indices, over all classes
/// `0..n_classes` (`precision_recall_fscore_support` with
/// `labels=range(n_classes)` and `zero_division=0`).
///
/// A class with no predicted sample has precision 0, one with no true sample
/// recall 0, and one with neither F1 0; all of them count in a macro average.
/// A weighted average is 0 when no class has a true sample.
///
/// # Panics
///
/// When the slices differ in length or hold an index `>= n_classes`.
///
/// # Example
///
/// ```
/// use modelfuse::metrics::{Average, precision_recall_f1};
///
/// let prf = precision_recall_f1(&[0, 1, 1, 1], &[0, 1, 0, 2], 3, Average::Macro);
/// assert_eq!(prf.precision, (0.5 + 1.0 + 0.0) / 3.0);
/// assert_eq!(prf.recall, (1.0 + 1.0 / 3.0 + 0.0) / 3.0);
/// ```
pub fn precision_recall_f1(
    y_true: &[usize],
    y_pred: &[usize],
    n_classes: usize,
    average: Average,
) -> Prf {
    ClassCounts::single_label(y_true, y_pred, n_classes).prf(average)
}

/// The Matthews correlation coefficient, in its multiclass form (Gorodkin's
/// R_K, `matthews_corrcoef`): in `[-1, 1]`, 0 for a constant prediction or a
/// constant truth.
///
/// # Panics
///
/// When the slices differ in length.
///
/// # Example
///
/// ```
/// let r = modelfuse::metrics::mcc(&[1, 1, 1, 0], &[1, 0, 1, 1]);
/// assert!((r + 1.0 / 3.0).abs() < 1e-15);
/// ```
pub fn mcc(y_true: &[usize], y_pred: &[usize]) -> f64 {
    let counts = ClassCounts::single_label(y_true, y_pred, n_classes_seen(y_true, y_pred));
    // The covariances of the one-hot encodings, from the confusion matrix's
    // diagonal and margins; the same operations, in the same order, as
    // scikit-learn, so degenerate cases give the same 0.
    let correct: u64 = counts.tp.iter().sum();
    let n = y_true.len() as f64;
    let dot =
        |a: &[u64], b: &[u64]| -> f64 { a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum() };
    let cov_true_pred = correct as f64 * n - dot(&counts.actual, &counts.predicted);
    let cov_pred_pred = n * n - dot(&counts.predicted, &counts.predicted);
    let cov_true_true = n * n - dot(&counts.actual, &counts.actual);
    let denominator = cov_pred_pred * cov_true_true;
    if denominator == 0.0 {
        0.0
    } else {
        cov_true_pred / denominator.sqrt()
    }
}

/// The mean negative log-probability of the true class (`log_loss` with
/// `labels=range(n_classes)`).
///
/// `proba` is row-major, `y_true.len() × n_classes`. Probabilities are
/// clipped to `[ε, 1 − ε]` with ε the `f64` machine epsilon, as scikit-learn
/// does, so a zero on the true class costs `-ln ε ≈ 36.04` instead of
/// infinity. Rows are not renormalised.
///
/// # Panics
///
/// When `proba` does not have `n_classes` values per sample or a class index
/// is `>= n_classes`.
///
/// # Example
///
/// ```
/// let l = modelfuse::metrics::log_loss(&[0, 1], &[0.5, 0.5, 0.2, 0.8], 2);
/// assert!((l - (-(0.5f64.ln()) - (0.8f32 as f64).ln()) / 2.0).abs() < 1e-15);
/// ```
pub fn log_loss(y_true: &[usize], proba: &[f32], n_classes: usize) -> f64 {
    assert_rows(y_true.len(), proba.len(), n_classes);
    let p_true = y_true
        .iter()
        .zip(proba.chunks_exact(n_classes))
        .map(|(&y, row)| row[class_index(y, n_classes)]);
    true_class_log_loss(p_true, y_true.len())
}

/// [`log_loss`] given only the probability each of the `n` samples gives its
/// true class, which is all it reads. Ensemble selection scores its
/// candidates through this directly, so that it need not build whole rows
/// and still gets [`log_loss`]'s value bit for bit: the same clipping, the
/// same sum in the same order.
pub(crate) fn true_class_log_loss(p_true: impl Iterator<Item = f32>, n: usize) -> f64 {
    let sum: f64 = p_true.map(log_loss_term).sum();
    sum / n as f64
}

/// One sample's part of [`log_loss`]: minus the log of the (clipped)
/// probability of its true class.
fn log_loss_term(p_true: f32) -> f64 {
    -clip(p_true as f64).ln()
}

/// The Brier score: the mean squared error of the probabilities
/// (`brier_score_loss`, scikit-learn ≥ 1.7 with `scale_by_half="auto"`).
///
/// * Two classes: the mean of `(p₁ − y)²` over samples, where `p₁` is the
///   probability of class 1 (the positive class) and `y` is 1 when class 1 is
///   true. This is scikit-learn given the positive-class column, and equals
///   half the sum over both columns; it lies in `[0, 1]`.
/// * More classes: the mean over samples of the sum over classes of
///   `(p_c − [c = y])²`, not halved; it lies in `[0, 2]`.
///
/// `proba` is row-major, `y_true.len() × n_classes`.
///
/// # Panics
///
/// When `proba` does not have `n_classes` values per sample or a class index
/// is `>= n_classes`.
///
/// # Example
///
/// ```
/// let b = modelfuse::metrics::brier(&[1, 0], &[0.25, 0.75, 0.5, 0.5], 2);
/// assert_eq!(b, (0.25 * 0.25 + 0.5 * 0.5) / 2.0);
/// ```
pub fn brier(y_true: &[usize], proba: &[f32], n_classes: usize) -> f64 {
    assert_rows(y_true.len(), proba.len(), n_classes);
    let sum: f64 = y_true
        .iter()
        .zip(proba.chunks_exact(n_classes))
        .map(|(&y, row)| brier_term(class_index(y, n_classes), row))
        .sum();
    sum / y_true.len() as f64
}

/// One sample's part of [`brier`]: its row's squared error against class
/// `y`.
fn brier_term(y: usize, row: &[f32]) -> f64 {
    if row.len() == 2 {
        // Only the positive column: scikit-learn derives the other as 1 − p₁,
        // and f32 rows need not sum to exactly one.
        let target = if y == 1 { 1.0 } else { 0.0 };
        (row[1] as f64 - target).powi(2)
    } else {
        row.iter()
            .enumerate()
            .map(|(c, &p)| (p as f64 - if c == y { 1.0 } else { 0.0 }).powi(2))
            .sum::<f64>()
    }
}

/// The top-label expected calibration error with [`ECE_BINS`] (15)
/// equal-width bins.
///
/// Each sample's confidence is its highest probability and it is right when
/// that class ([`argmax`]) is the true one. Bin `i` holds
/// confidences in `(i/15, (i+1)/15]`; the ECE is
/// `Σ_bins |accuracy − mean confidence| · n_bin / n`. It lies in `[0, 1]`.
/// scikit-learn has no ECE; the golden values come from a NumPy
/// implementation with explicit bin edges.
///
/// # Panics
///
/// When `proba` does not have `n_classes` values per sample or a class index
/// is `>= n_classes`.
///
/// # Example
///
/// ```
/// // Confident (0.9) on both samples but right only once.
/// let e = modelfuse::metrics::ece(&[0, 1], &[0.9, 0.1, 0.9, 0.1], 2);
/// assert!((e - 0.4).abs() < 1e-7);
/// ```
pub fn ece(y_true: &[usize], proba: &[f32], n_classes: usize) -> f64 {
    assert_rows(y_true.len(), proba.len(), n_classes);
    let mut right = [0u64; ECE_BINS];
    let mut confidence = [0.0f64; ECE_BINS];
    for (&y, row) in y_true.iter().zip(proba.chunks_exact(n_classes)) {
        let top = argmax(row);
        let conf = row[top] as f64;
        let bin = ece_bin(conf);
        confidence[bin] += conf;
        right[bin] += u64::from(top == class_index(y, n_classes));
    }
    // |acc − conf| · n_bin / n = |right − Σ conf| / n: one division per bin.
    let gaps: f64 = right
        .iter()
        .zip(&confidence)
        .map(|(&r, &c)| (r as f64 - c).abs())
        .sum();
    gaps / y_true.len() as f64
}

/// The bin of a confidence: `i` such that `conf ∈ (i/15, (i+1)/15]`.
///
/// `conf` is an `f32` widened to `f64`, so `15 · conf` is exact (24 + 4 bits
/// of mantissa) and the ceiling puts values on an edge in the lower bin, the
/// same as comparing with the exact edges. A confidence of 0, which no
/// single-label row can have, goes to the first bin.
fn ece_bin(conf: f64) -> usize {
    ((conf * ECE_BINS as f64).ceil() as usize).clamp(1, ECE_BINS) - 1
}

/// The area under the ROC curve of scores for a binary truth
/// (`roc_auc_score(y_true, score)`).
///
/// Equal scores form one step of the curve, crossed by a straight line (the
/// trapezoidal rule, as scikit-learn's `roc_curve` + `auc`): a positive and a
/// negative with the same score count one half. O(n log n). Returns NaN when
/// `y_true` has no positive or no negative sample, as scikit-learn 1.9
/// does (older releases raised).
///
/// # Panics
///
/// When the slices differ in length. Scores must not be NaN (validated
/// [`Predictions`] never are).
///
/// # Example
///
/// ```
/// let auc = modelfuse::metrics::roc_auc_binary(
///     &[false, false, true, true],
///     &[0.1, 0.4, 0.35, 0.8],
/// );
/// assert_eq!(auc, 0.75);
/// ```
pub fn roc_auc_binary(y_true: &[bool], score: &[f32]) -> f64 {
    assert_same_len(y_true.len(), score.len());
    let mut keys: Vec<u64> = score
        .iter()
        .zip(y_true)
        .map(|(&s, &y)| ranked(s, y))
        .collect();
    auc_of_keys(&mut keys, &mut Vec::new())
}

/// The one-vs-rest ROC-AUC of class probabilities, averaged over all classes
/// without weights (`roc_auc_score(y_true, proba, multi_class="ovr",
/// average="macro", labels=range(n_classes))`).
///
/// Class `c`'s AUC ranks the samples by `p_c`, with class `c` as positive
/// ([`roc_auc_binary`]). NaN when some class never occurs in `y_true` (or
/// only one class does), as scikit-learn 1.9 returns. scikit-learn also
/// rejects rows that do not sum to one within `1e-5`; this function does not
/// check.
///
/// # Panics
///
/// When `proba` does not have `n_classes` values per sample or a class index
/// is `>= n_classes`.
pub fn roc_auc_ovr(y_true: &[usize], proba: &[f32], n_classes: usize) -> f64 {
    assert_rows(y_true.len(), proba.len(), n_classes);
    let (mut keys, mut scratch) = (Vec::with_capacity(y_true.len()), Vec::new());
    let sum: f64 = (0..n_classes)
        .map(|c| {
            keys.clear();
            keys.extend(
                y_true
                    .iter()
                    .zip(proba.chunks_exact(n_classes))
                    .map(|(&y, row)| ranked(row[c], class_index(y, n_classes) == c)),
            );
            auc_of_keys(&mut keys, &mut scratch)
        })
        .sum();
    sum / n_classes as f64
}

/// A (score, is positive) pair as one sortable word: the score's place in
/// the total order in bits 1..33, the label in bit 0. `-0.0` is taken as
/// `0.0` (`+ 0.0` does that), so the two fall in one tied group as `==`
/// and NumPy have them.
fn ranked(score: f32, positive: bool) -> u64 {
    let bits = (score + 0.0).to_bits();
    // Negative floats order backwards by their bits: flip them all; positive
    // ones go above every negative one.
    let key = if bits >> 31 == 1 {
        !bits
    } else {
        bits | 0x8000_0000
    };
    (u64::from(key) << 1) | u64::from(positive)
}

/// The area under the ROC curve of [`ranked`] pairs, twice the trapezoids
/// summed in integers so that ties and large inputs cost no precision;
/// sorts `keys` in place (`scratch` is reused
/// between calls).
///
/// Cost: a least-significant-digit radix sort on the 32 key bits (three
/// passes of 11 bits, a pass skipped when every key has the same digit, as
/// the sign and exponent bits of probabilities often do) and one walk, so
/// O(n) rather than a comparison sort's O(n log n); short inputs use the
/// comparison sort. The order within a tie does not matter (the whole tied
/// group moves the curve in one diagonal step), so the result is exact and
/// the same as any sort would give.
fn auc_of_keys(keys: &mut [u64], scratch: &mut Vec<u64>) -> f64 {
    radix_sort_keys(keys, scratch);
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut twice_area: u128 = 0;
    // Descending scores: walk from the end.
    let mut end = keys.len();
    while end > 0 {
        let key = keys[end - 1] >> 1;
        let (mut group_tp, mut group_fp) = (0u64, 0u64);
        let mut start = end;
        while start > 0 && keys[start - 1] >> 1 == key {
            if keys[start - 1] & 1 == 1 {
                group_tp += 1;
            } else {
                group_fp += 1;
            }
            start -= 1;
        }
        // The trapezoid from (fp, tp) to (fp + Δfp, tp + Δtp), doubled.
        twice_area += u128::from(group_fp) * u128::from(2 * tp + group_tp);
        tp += group_tp;
        fp += group_fp;
        end = start;
    }
    if tp == 0 || fp == 0 {
        return f64::NAN;
    }
    twice_area as f64 / (2.0 * tp as f64 * fp as f64)
}

/// Sorts [`ranked`] words by their key bits (1..33), ascending; the order of
/// equal keys is unspecified.
fn radix_sort_keys(keys: &mut [u64], scratch: &mut Vec<u64>) {
    const BITS: u32 = 11;
    const BUCKETS: usize = 1 << BITS;
    // Below this a comparison sort is faster than three histogram passes.
    if keys.len() < 2048 {
        keys.sort_unstable();
        return;
    }
    scratch.clear();
    scratch.resize(keys.len(), 0);
    let mut in_keys = true;
    for pass in 0..3 {
        let shift = 1 + pass * BITS;
        let digit = |k: u64| ((k >> shift) as usize) & (BUCKETS - 1);
        let (src, dst): (&[u64], &mut [u64]) = if in_keys {
            (&*keys, &mut scratch[..])
        } else {
            (&scratch[..], &mut *keys)
        };
        let mut counts = [0usize; BUCKETS];
        for &k in src.iter() {
            counts[digit(k)] += 1;
        }
        if counts[digit(src[0])] == src.len() {
            continue;
        }
        let mut offset = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = offset;
            offset += n;
        }
        for &k in src.iter() {
            let d = digit(k);
            dst[counts[d]] = k;
            counts[d] += 1;
        }
        in_keys = !in_keys;
    }
    if !in_keys {
        keys.copy_from_slice(scratch);
    }
}

// ---------------------------------------------------------------------------
// Multilabel
// ---------------------------------------------------------------------------

/// The predicted label matrix of per-label probabilities: a label is on when
/// its probability is at least [`MULTILABEL_THRESHOLD`] (0.5).
///
/// "At least" is a choice: a probability of exactly 0.5 counts as predicted
/// (the golden values threshold with `P >= 0.5`). A scikit-learn logistic
/// model's own `predict` (decision > 0) would say no, so a row at exactly
/// 0.5 is the one place where these hard labels can differ from a model's.
pub fn multilabel_predictions(proba: &[f32]) -> Vec<bool> {
    proba.iter().map(|&p| p >= MULTILABEL_THRESHOLD).collect()
}

/// The fraction of samples whose whole predicted label set is right (subset
/// accuracy: `accuracy_score` on indicator matrices).
///
/// Both matrices are row-major, `samples × n_labels`. NaN when there are no
/// samples.
///
/// # Panics
///
/// When the matrices differ in length or are not a whole number of rows.
pub fn subset_accuracy(y_true: &[bool], y_pred: &[bool], n_labels: usize) -> f64 {
    assert_same_len(y_true.len(), y_pred.len());
    let n = n_rows(y_true.len(), n_labels);
    let right = y_true
        .chunks_exact(n_labels)
        .zip(y_pred.chunks_exact(n_labels))
        .filter(|(t, p)| t == p)
        .count();
    right as f64 / n as f64
}

/// Precision, recall and F1 of indicator matrices, each label a binary
/// problem (`precision_recall_fscore_support(Y, Ŷ, average=…,
/// zero_division=0)`).
///
/// The same rules as [`precision_recall_f1`]: every label counts in a macro
/// average, a zero division gives 0, micro pools the counts of all labels,
/// weighted uses each label's number of positive samples.
///
/// # Panics
///
/// When the matrices differ in length or are not a whole number of rows.
pub fn multilabel_precision_recall_f1(
    y_true: &[bool],
    y_pred: &[bool],
    n_labels: usize,
    average: Average,
) -> Prf {
    ClassCounts::multilabel(y_true, y_pred, n_labels).prf(average)
}

/// The mean binary cross-entropy over all samples and labels:
/// `−mean(y ln p + (1 − y) ln(1 − p))`, with `p` clipped to `[ε, 1 − ε]` as
/// in [`log_loss`].
///
/// scikit-learn's `log_loss` does not take multilabel input; this is the loss
/// a model with one sigmoid per label minimises, averaged per cell so that it
/// does not grow with the number of labels. Golden values come from NumPy.
///
/// # Panics
///
/// When the slices differ in length.
pub fn multilabel_log_loss(y_true: &[bool], proba: &[f32]) -> f64 {
    assert_same_len(y_true.len(), proba.len());
    let sum: f64 = y_true
        .iter()
        .zip(proba)
        .map(|(&y, &p)| {
            let p = clip(p as f64);
            -if y { p.ln() } else { (1.0 - p).ln() }
        })
        .sum();
    sum / y_true.len() as f64
}

/// The Brier score of independent labels: the mean of `(p − y)²` over all
/// samples and labels.
///
/// This is the binary Brier score of every cell (so it lies in `[0, 1]`),
/// averaged per cell like [`multilabel_log_loss`]. Golden values come from
/// NumPy.
///
/// # Panics
///
/// When the slices differ in length.
pub fn multilabel_brier(y_true: &[bool], proba: &[f32]) -> f64 {
    assert_same_len(y_true.len(), proba.len());
    let sum: f64 = y_true
        .iter()
        .zip(proba)
        .map(|(&y, &p)| (p as f64 - if y { 1.0 } else { 0.0 }).powi(2))
        .sum();
    sum / y_true.len() as f64
}

/// The ROC-AUC of each label ([`roc_auc_binary`]), averaged without weights
/// (`roc_auc_score(Y, P, average="macro")`).
///
/// NaN when some label is on for every sample or for none, as scikit-learn
/// 1.9 returns.
///
/// # Panics
///
/// When the matrices differ in length or are not a whole number of rows.
pub fn roc_auc_multilabel(y_true: &[bool], proba: &[f32], n_labels: usize) -> f64 {
    assert_same_len(y_true.len(), proba.len());
    n_rows(y_true.len(), n_labels);
    let (mut keys, mut scratch) = (Vec::new(), Vec::new());
    let sum: f64 = (0..n_labels)
        .map(|j| {
            keys.clear();
            keys.extend(
                y_true
                    .chunks_exact(n_labels)
                    .zip(proba.chunks_exact(n_labels))
                    .map(|(t, p)| ranked(p[j], t[j])),
            );
            auc_of_keys(&mut keys, &mut scratch)
        })
        .sum();
    sum / n_labels as f64
}

// ---------------------------------------------------------------------------
// Regression
// ---------------------------------------------------------------------------

/// The root mean squared error, `sqrt(mean_squared_error)`.
///
/// # Panics
///
/// When the slices differ in length.
///
/// # Example
///
/// ```
/// assert_eq!(modelfuse::metrics::rmse(&[1.0, 2.0], &[1.0, 4.0]), 2f64.sqrt());
/// ```
pub fn rmse(y_true: &[f64], y_pred: &[f32]) -> f64 {
    assert_same_len(y_true.len(), y_pred.len());
    let sum: f64 = y_true
        .iter()
        .zip(y_pred)
        .map(|(&y, &p)| squared_error(y, p))
        .sum();
    (sum / y_true.len() as f64).sqrt()
}

/// The mean absolute error (`mean_absolute_error`).
///
/// # Panics
///
/// When the slices differ in length.
pub fn mae(y_true: &[f64], y_pred: &[f32]) -> f64 {
    assert_same_len(y_true.len(), y_pred.len());
    let sum: f64 = y_true
        .iter()
        .zip(y_pred)
        .map(|(&y, &p)| absolute_error(y, p))
        .sum();
    sum / y_true.len() as f64
}

fn squared_error(y: f64, p: f32) -> f64 {
    (y - p as f64).powi(2)
}

fn absolute_error(y: f64, p: f32) -> f64 {
    (y - p as f64).abs()
}

/// The coefficient of determination, `1 − Σ(y − ŷ)² / Σ(y − ȳ)²`
/// (`r2_score`, `force_finite=True`).
///
/// When `y_true` is constant the ratio is undefined; scikit-learn then gives
/// 1.0 for a perfect prediction and 0.0 otherwise, and so does this. The
/// mean is refined so that a constant `y_true` always takes that rule;
/// scikit-learn's plain mean can be an ulp off for values such as 0.1 and then
/// report a huge negative R² instead. NaN for fewer than two samples, as
/// scikit-learn returns.
///
/// # Panics
///
/// When the slices differ in length.
///
/// # Example
///
/// ```
/// use modelfuse::metrics::r2;
///
/// assert_eq!(r2(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 1.0);
/// assert_eq!(r2(&[2.0, 2.0], &[2.0, 2.5]), 0.0);
/// ```
pub fn r2(y_true: &[f64], y_pred: &[f32]) -> f64 {
    assert_same_len(y_true.len(), y_pred.len());
    let n = y_true.len() as f64;
    if y_true.len() < 2 {
        return f64::NAN;
    }
    // The mean, refined by the mean residual: exact for a constant y (where
    // the naive mean of e.g. ten 0.1s is off by an ulp and turns the "constant
    // y" rule into a huge negative R²) and more accurate otherwise.
    let mean = y_true.iter().sum::<f64>() / n;
    let mean = mean + y_true.iter().map(|&y| y - mean).sum::<f64>() / n;
    let residual: f64 = y_true
        .iter()
        .zip(y_pred)
        .map(|(&y, &p)| (y - p as f64).powi(2))
        .sum();
    let total: f64 = y_true.iter().map(|&y| (y - mean).powi(2)).sum();
    match (residual == 0.0, total == 0.0) {
        (true, _) => 1.0,
        (false, true) => 0.0,
        (false, false) => 1.0 - residual / total,
    }
}

// ---------------------------------------------------------------------------
// Per-class counts, shared by P/R/F1, balanced accuracy and MCC
// ---------------------------------------------------------------------------

/// Per class: true positives, predicted count and true count (the diagonal
/// and margins of the confusion matrix, which is all these metrics need).
struct ClassCounts {
    tp: Vec<u64>,
    predicted: Vec<u64>,
    actual: Vec<u64>,
}

impl ClassCounts {
    fn zeros(k: usize) -> Self {
        ClassCounts {
            tp: vec![0; k],
            predicted: vec![0; k],
            actual: vec![0; k],
        }
    }

    fn single_label(y_true: &[usize], y_pred: &[usize], k: usize) -> Self {
        assert_same_len(y_true.len(), y_pred.len());
        let mut counts = Self::zeros(k);
        for (&t, &p) in y_true.iter().zip(y_pred) {
            let (t, p) = (class_index(t, k), class_index(p, k));
            counts.actual[t] += 1;
            counts.predicted[p] += 1;
            counts.tp[t] += u64::from(t == p);
        }
        counts
    }

    fn multilabel(y_true: &[bool], y_pred: &[bool], n_labels: usize) -> Self {
        assert_same_len(y_true.len(), y_pred.len());
        n_rows(y_true.len(), n_labels);
        let mut counts = Self::zeros(n_labels);
        for (t, p) in y_true
            .chunks_exact(n_labels)
            .zip(y_pred.chunks_exact(n_labels))
        {
            for j in 0..n_labels {
                counts.actual[j] += u64::from(t[j]);
                counts.predicted[j] += u64::from(p[j]);
                counts.tp[j] += u64::from(t[j] && p[j]);
            }
        }
        counts
    }

    fn prf(&self, average: Average) -> Prf {
        let per_class = |c: usize| Prf {
            precision: ratio(self.tp[c], self.predicted[c]),
            recall: ratio(self.tp[c], self.actual[c]),
            f1: ratio(2 * self.tp[c], self.predicted[c] + self.actual[c]),
        };
        let k = self.tp.len();
        match average {
            Average::Micro => {
                let tp: u64 = self.tp.iter().sum();
                let predicted: u64 = self.predicted.iter().sum();
                let actual: u64 = self.actual.iter().sum();
                Prf {
                    precision: ratio(tp, predicted),
                    recall: ratio(tp, actual),
                    f1: ratio(2 * tp, predicted + actual),
                }
            }
            Average::Macro => mean_prf((0..k).map(|c| (per_class(c), 1.0))),
            Average::Weighted => mean_prf((0..k).map(|c| (per_class(c), self.actual[c] as f64))),
        }
    }
}

/// The weighted mean of per-class scores; 0 when the weights sum to 0 (a
/// weighted average with no true sample at all, where scikit-learn also
/// gives `zero_division`).
fn mean_prf(items: impl Iterator<Item = (Prf, f64)>) -> Prf {
    let (mut p, mut r, mut f, mut w) = (0.0, 0.0, 0.0, 0.0);
    for (prf, weight) in items {
        p += prf.precision * weight;
        r += prf.recall * weight;
        f += prf.f1 * weight;
        w += weight;
    }
    if w == 0.0 {
        return Prf {
            precision: 0.0,
            recall: 0.0,
            f1: 0.0,
        };
    }
    Prf {
        precision: p / w,
        recall: r / w,
        f1: f / w,
    }
}

/// `a / b`, or 0 when `b` is 0 (`zero_division=0`).
fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn clip(p: f64) -> f64 {
    p.clamp(EPS, 1.0 - EPS)
}

/// The number of classes that `y_true` and `y_pred` mention, for the metrics
/// that scikit-learn computes without a `labels` argument; classes above
/// the largest index seen change nothing in them.
fn n_classes_seen(y_true: &[usize], y_pred: &[usize]) -> usize {
    y_true.iter().chain(y_pred).max().map_or(0, |&c| c + 1)
}

fn class_index(c: usize, k: usize) -> usize {
    assert!(c < k, "class index {c} out of range for {k} classes");
    c
}

fn assert_same_len(a: usize, b: usize) {
    assert_eq!(
        a, b,
        "expected slices of the same length, found {a} and {b}"
    );
}

fn assert_rows(n: usize, len: usize, k: usize) {
    assert_eq!(
        len,
        n * k,
        "expected {n} samples × {k} classes = {} probabilities, found {len}",
        n * k
    );
}

/// The number of rows of a row-major matrix with `width` columns.
fn n_rows(len: usize, width: usize) -> usize {
    assert!(
        width > 0 && len.is_multiple_of(width),
        "expected a matrix with {width} columns, found {len} values"
    );
    len / width
}

// ---------------------------------------------------------------------------
// Scoring a Predictions against its Targets
// ---------------------------------------------------------------------------

/// Scores model `m` of `preds` against `targets`.
///
/// Single-label predictions are turned into classes with
/// [`Predictions::predicted_classes`], multilabel ones with
/// [`multilabel_predictions`]; probability metrics use the rows as they are.
/// For a binary task the positive class is the second one (index 1).
///
/// # Errors
///
/// * [`ErrorKind::Unsupported`] when the metric does not apply to the task
///   (see [`Metric::applies_to`]), e.g. "roc_auc does not apply to a
///   regression task".
/// * [`ErrorKind::InvalidParameter`] when there is no model `m`.
/// * [`ErrorKind::Shape`] when there are no samples, or the targets are of
///   the wrong kind for the task (class indices, a label matrix, values) or
///   of the wrong length.
/// * [`ErrorKind::UnknownLabel`] when a class index is out of range, and
///   [`ErrorKind::InvalidValue`] when a true value is not finite (both name
///   the sample id).
/// * [`ErrorKind::InvalidValue`] when the metric is undefined on these
///   targets, naming the class: ROC-AUC when a class (or label) has no
///   positive or no negative sample, R² with fewer than two samples.
///
/// # Example
///
/// ```
/// use modelfuse::metrics::{Metric, score};
/// use modelfuse::{Predictions, Targets, Task};
///
/// let preds = Predictions::new(
///     Task::Binary,
///     vec!["bert".into()],
///     vec!["a".into(), "b".into(), "c".into()],
///     vec!["neg".into(), "pos".into()],
///     vec![0.9, 0.1, 0.3, 0.7, 0.6, 0.4],
/// )?;
/// let truth = Targets::Classes(vec![0, 1, 1]);
/// assert_eq!(score(Metric::Accuracy, &preds, 0, &truth)?, 2.0 / 3.0);
/// assert_eq!(score(Metric::RocAuc, &preds, 0, &truth)?, 1.0);
/// let err = score(Metric::R2, &preds, 0, &truth).unwrap_err();
/// assert_eq!(err.to_string(), "r2 does not apply to a binary task");
/// # Ok::<(), modelfuse::Error>(())
/// ```
pub fn score(metric: Metric, preds: &Predictions, m: usize, targets: &Targets) -> Result<f64> {
    let input = Input::new(preds, m, targets)?;
    if !metric.applies_to(preds.task()) {
        return Err(not_applicable(metric, preds.task()));
    }
    input.value(metric)
}

/// Scores a block of rows (`samples × outputs`, for example a candidate
/// fusion being searched over) that has the samples, classes and task of
/// `template`, without building a [`Predictions`] for it.
///
/// # Errors
///
/// As [`score`], and [`ErrorKind::Shape`] when `rows` is not
/// `samples × outputs` long.
pub fn score_rows(
    metric: Metric,
    template: &Predictions,
    rows: &[f32],
    targets: &Targets,
) -> Result<f64> {
    let expected = template.n_samples() * template.n_outputs();
    if rows.len() != expected {
        return Err(Error::shape(format!(
            "expected {expected} values ({} samples × {} outputs), found {}",
            template.n_samples(),
            template.n_outputs(),
            rows.len()
        )));
    }
    if template.n_models() == 0 {
        return Err(Error::shape(
            "expected a template with at least one model, found none",
        ));
    }
    let mut input = Input::new(template, 0, targets)?;
    input.rows = rows;
    if !metric.applies_to(template.task()) {
        return Err(not_applicable(metric, template.task()));
    }
    input.value(metric)
}

/// A metric that is a function of the sum of per-sample terms: the mean
/// (log-loss, accuracy, Brier, MAE) or the root of the mean (RMSE).
pub(crate) struct SampleTerms {
    terms: Vec<f64>,
    root: bool,
}

impl SampleTerms {
    /// The metric on the samples `picks` (with repeats, in that order): bit
    /// for bit what [`score_rows`] gives on those rows and targets gathered
    /// in that order, since it sums the same terms in the same order.
    pub(crate) fn on(&self, picks: &[usize]) -> f64 {
        let sum: f64 = picks.iter().map(|&i| self.terms[i]).sum();
        let mean = sum / picks.len() as f64;
        if self.root { mean.sqrt() } else { mean }
    }
}

/// The per-sample terms of `metric` on `rows` when it has them, so that a
/// bootstrap resample costs a gather and a sum instead of a copy of every
/// row and the metric again; `None` for the others (ROC-AUC, F1, ECE, R²,
/// multilabel tasks). Call it only on rows and targets that
/// [`score_rows`] accepted.
pub(crate) fn sample_terms(
    metric: Metric,
    template: &Predictions,
    rows: &[f32],
    targets: &Targets,
) -> Option<SampleTerms> {
    let k = template.n_outputs();
    let task = template.task();
    let (terms, root): (Vec<f64>, bool) = match targets {
        Targets::Classes(y) if task.is_single_label() => {
            let by_row = y.iter().zip(rows.chunks_exact(k));
            let terms = match metric {
                Metric::LogLoss => by_row.map(|(&c, row)| log_loss_term(row[c])).collect(),
                Metric::Accuracy => by_row
                    .map(|(&c, row)| if argmax(row) == c { 1.0 } else { 0.0 })
                    .collect(),
                Metric::Brier => by_row.map(|(&c, row)| brier_term(c, row)).collect(),
                _ => return None,
            };
            (terms, false)
        }
        Targets::Values(y) if task == Task::Regression && k == 1 => {
            let pairs = y.iter().zip(rows);
            match metric {
                Metric::Rmse => (pairs.map(|(&y, &p)| squared_error(y, p)).collect(), true),
                Metric::Mae => (pairs.map(|(&y, &p)| absolute_error(y, p)).collect(), false),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(SampleTerms { terms, root })
}

/// Every metric of [`Metric::report_set`] for the task, in that order.
///
/// A metric that is undefined on these targets (see [`score`]) is reported
/// as NaN, as scikit-learn does, so that one undefined metric does not hide
/// the others.
///
/// # Errors
///
/// The same input errors as [`score`]: no model `m`, no samples, targets of
/// the wrong kind or length, class indices out of range, values that are not
/// finite.
pub fn evaluate(preds: &Predictions, m: usize, targets: &Targets) -> Result<Vec<(Metric, f64)>> {
    evaluate_set(preds, m, targets, Metric::report_set(preds.task()))
}

/// [`evaluate`] on the given metrics only, in that order (a display that
/// shows two metrics need not pay for a ROC-AUC). A metric that does not
/// apply to the task is an error, as in [`score`].
///
/// # Errors
///
/// As [`evaluate`], and [`ErrorKind::Unsupported`] for a metric that does
/// not apply to the task.
pub fn evaluate_set(
    preds: &Predictions,
    m: usize,
    targets: &Targets,
    set: &[Metric],
) -> Result<Vec<(Metric, f64)>> {
    let input = Input::new(preds, m, targets)?;
    if let Some(&metric) = set.iter().find(|m| !m.applies_to(preds.task())) {
        return Err(not_applicable(metric, preds.task()));
    }
    set.iter()
        .map(|&metric| match input.value(metric) {
            Ok(v) => Ok((metric, v)),
            Err(e) if e.kind() == ErrorKind::InvalidValue => Ok((metric, f64::NAN)),
            Err(e) => Err(e),
        })
        .collect()
}

/// [`evaluate_set`] for every model, in model order, the models scored in
/// parallel (rayon's pool); the first error in model order is the one
/// returned, whichever thread met it first.
///
/// # Errors
///
/// As [`evaluate_set`].
pub fn evaluate_models(
    preds: &Predictions,
    targets: &Targets,
    set: &[Metric],
) -> Result<Vec<Vec<(Metric, f64)>>> {
    use rayon::prelude::*;
    (0..preds.n_models())
        .into_par_iter()
        .map(|m| evaluate_set(preds, m, targets, set))
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

/// The truth, checked against the task and the number of samples.
enum Truth<'a> {
    Classes(&'a [usize]),
    Labels(&'a [bool]),
    Values(&'a [f64]),
}

/// One model's predictions and the checked targets: everything a metric
/// needs, validated once so that no metric can panic.
struct Input<'a> {
    /// Where the task, classes and ids come from.
    preds: &'a Predictions,
    /// The scored rows, `samples × outputs`.
    rows: &'a [f32],
    truth: Truth<'a>,
    predicted: OnceCell<Vec<usize>>,
}

impl<'a> Input<'a> {
    fn new(preds: &'a Predictions, m: usize, targets: &'a Targets) -> Result<Self> {
        if m >= preds.n_models() {
            return Err(Error::param(format!(
                "expected a model index below {}, found {m}",
                preds.n_models()
            )));
        }
        let n = preds.n_samples();
        if n == 0 {
            return Err(Error::shape("expected at least one sample, found none"));
        }
        let width = preds.n_outputs();
        if width == 0 {
            return Err(Error::shape(
                "expected at least one output column, found none",
            ));
        }
        targets.check_for(preds)?;
        // The kinds match: `check_for` refused any other pairing.
        let truth = match targets {
            Targets::Classes(y) => Truth::Classes(y),
            Targets::Multilabel { matrix, .. } => Truth::Labels(matrix),
            Targets::Values(y) => Truth::Values(y),
        };
        Ok(Input {
            preds,
            rows: preds.model(m),
            truth,
            predicted: OnceCell::new(),
        })
    }

    /// The predicted class of each row (argmax, ties to the lowest index),
    /// computed once for all the metrics that need it.
    fn predicted(&self) -> &[usize] {
        self.predicted
            .get_or_init(|| crate::predictions::argmax_rows(self.rows, self.preds.n_outputs()))
    }

    fn value(&self, metric: Metric) -> Result<f64> {
        match self.truth {
            Truth::Classes(y) => self.single_label(metric, y),
            Truth::Labels(y) => self.multilabel(metric, y),
            Truth::Values(y) => self.regression(metric, y),
        }
    }

    fn single_label(&self, metric: Metric, y: &[usize]) -> Result<f64> {
        use Metric::*;
        let k = self.preds.n_outputs();
        let prf = |average| precision_recall_f1(y, self.predicted(), k, average);
        Ok(match metric {
            Accuracy => accuracy(y, self.predicted()),
            BalancedAccuracy => balanced_accuracy(y, self.predicted()),
            Mcc => mcc(y, self.predicted()),
            PrecisionMacro => prf(Average::Macro).precision,
            PrecisionMicro => prf(Average::Micro).precision,
            PrecisionWeighted => prf(Average::Weighted).precision,
            RecallMacro => prf(Average::Macro).recall,
            RecallMicro => prf(Average::Micro).recall,
            RecallWeighted => prf(Average::Weighted).recall,
            F1Macro => prf(Average::Macro).f1,
            F1Micro => prf(Average::Micro).f1,
            F1Weighted => prf(Average::Weighted).f1,
            LogLoss => log_loss(y, self.rows, k),
            Brier => brier(y, self.rows, k),
            Ece => ece(y, self.rows, k),
            RocAuc => {
                self.check_roc_auc(|c| y.iter().filter(|&&t| t == c).count(), y.len())?;
                if k == 2 {
                    let positive: Vec<bool> = y.iter().map(|&c| c == 1).collect();
                    let score: Vec<f32> = self.rows.chunks_exact(2).map(|r| r[1]).collect();
                    roc_auc_binary(&positive, &score)
                } else {
                    roc_auc_ovr(y, self.rows, k)
                }
            }
            Rmse | Mae | R2 => return Err(not_applicable(metric, self.preds.task())),
        })
    }

    fn multilabel(&self, metric: Metric, y: &[bool]) -> Result<f64> {
        use Metric::*;
        let l = self.preds.n_outputs();
        let prf = |average| {
            multilabel_precision_recall_f1(y, &multilabel_predictions(self.rows), l, average)
        };
        Ok(match metric {
            Accuracy => subset_accuracy(y, &multilabel_predictions(self.rows), l),
            PrecisionMacro => prf(Average::Macro).precision,
            PrecisionMicro => prf(Average::Micro).precision,
            PrecisionWeighted => prf(Average::Weighted).precision,
            RecallMacro => prf(Average::Macro).recall,
            RecallMicro => prf(Average::Micro).recall,
            RecallWeighted => prf(Average::Weighted).recall,
            F1Macro => prf(Average::Macro).f1,
            F1Micro => prf(Average::Micro).f1,
            F1Weighted => prf(Average::Weighted).f1,
            LogLoss => multilabel_log_loss(y, self.rows),
            Brier => multilabel_brier(y, self.rows),
            RocAuc => {
                let n = y.len() / l;
                self.check_roc_auc(|j| y.chunks_exact(l).filter(|row| row[j]).count(), n)?;
                roc_auc_multilabel(y, self.rows, l)
            }
            BalancedAccuracy | Mcc | Ece | Rmse | Mae | R2 => {
                return Err(not_applicable(metric, self.preds.task()));
            }
        })
    }

    fn regression(&self, metric: Metric, y: &[f64]) -> Result<f64> {
        match metric {
            Metric::Rmse => Ok(rmse(y, self.rows)),
            Metric::Mae => Ok(mae(y, self.rows)),
            Metric::R2 if y.len() < 2 => Err(Error::invalid_value(format!(
                "r2 needs at least two samples, found {}",
                y.len()
            ))),
            Metric::R2 => Ok(r2(y, self.rows)),
            _ => Err(not_applicable(metric, self.preds.task())),
        }
    }

    /// ROC-AUC is undefined for a class without positive or without negative
    /// samples; say which, instead of returning scikit-learn's NaN.
    /// `positives(c)` counts the samples of class (or label) `c`. A binary
    /// task has one curve, the positive class's.
    fn check_roc_auc(&self, positives: impl Fn(usize) -> usize, n: usize) -> Result<()> {
        let classes = self.preds.classes();
        let curves = match self.preds.task() {
            Task::Binary => 1..2,
            _ => 0..classes.len(),
        };
        for c in curves {
            let p = positives(c);
            let missing = match (p, n - p) {
                (0, _) => "positive",
                (_, 0) => "negative",
                _ => continue,
            };
            return Err(Error::invalid_value(format!(
                "roc_auc needs positive and negative samples of every class, found no {missing} sample"
            ))
            .with_class(classes[c].clone()));
        }
        Ok(())
    }
}

fn not_applicable(metric: Metric, task: Task) -> Error {
    Error::unsupported(format!("{metric} does not apply to a {} task", task.name()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn strings(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    /// One model's predictions for `task`, with ids `0..n` and classes
    /// `c0, c1, …`.
    fn preds(task: Task, values: &[f32]) -> Predictions {
        let k = task.n_outputs();
        let classes = match task {
            Task::Regression => vec!["value".to_string()],
            _ => strings("c", k),
        };
        Predictions::new(
            task,
            vec!["m".into()],
            strings("", values.len() / k),
            classes,
            values.to_vec(),
        )
        .unwrap()
    }

    #[test]
    fn the_glance_set_is_the_report_sets_first_metric_and_its_log_loss() {
        for task in [
            Task::Binary,
            Task::Multiclass { n_classes: 5 },
            Task::Multilabel { n_labels: 3 },
            Task::Regression,
        ] {
            let (glance, report) = (Metric::glance_set(task), Metric::report_set(task));
            assert_eq!(glance[0], report[0], "{task:?}");
            assert!(glance.iter().all(|m| report.contains(m)), "{task:?}");
            let log_loss = report.contains(&Metric::LogLoss);
            assert_eq!(glance.contains(&Metric::LogLoss), log_loss, "{task:?}");
            assert_eq!(glance.len(), 1 + usize::from(log_loss), "{task:?}");
        }
    }

    #[test]
    fn metric_names_are_the_serde_names_and_parse_back() {
        assert_eq!(Metric::ALL.len(), 19);
        for &m in Metric::ALL {
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.name())
            );
            assert_eq!(m.name().parse::<Metric>().unwrap(), m);
            assert_eq!(m.to_string(), m.name());
        }
        // Declaration order, as the derived `Ord` sees it.
        assert!(Metric::ALL.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn metric_parse_lists_the_valid_names() {
        let e = "acc".parse::<Metric>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidParameter);
        assert_eq!(
            e.to_string(),
            "expected a metric among [accuracy, balanced_accuracy, precision_macro, \
             precision_micro, precision_weighted, recall_macro, recall_micro, \
             recall_weighted, f1_macro, f1_micro, f1_weighted, log_loss, brier, ece, \
             roc_auc, mcc, rmse, mae, r2], found 'acc'"
        );
    }

    #[test]
    fn metric_report_sets_hold_only_applicable_metrics() {
        let tasks = [
            Task::Binary,
            Task::Multiclass { n_classes: 3 },
            Task::Multilabel { n_labels: 2 },
            Task::Regression,
        ];
        for task in tasks {
            let set = Metric::report_set(task);
            assert!(set.iter().all(|m| m.applies_to(task)), "{task:?}");
        }
        assert_eq!(Metric::report_set(Task::Binary).len(), 12);
        assert_eq!(
            Metric::report_set(Task::Multilabel { n_labels: 2 }).len(),
            9
        );
        assert_eq!(
            Metric::report_set(Task::Regression),
            [Metric::Rmse, Metric::Mae, Metric::R2]
        );
        let losses: Vec<&str> = Metric::ALL
            .iter()
            .filter(|m| !m.greater_is_better())
            .map(|m| m.name())
            .collect();
        assert_eq!(losses, ["log_loss", "brier", "ece", "rmse", "mae"]);
    }

    #[test]
    fn score_is_unsupported_exactly_where_a_metric_does_not_apply() {
        let cases = [
            (
                preds(Task::Binary, &[0.2, 0.8, 0.6, 0.4]),
                Targets::Classes(vec![1, 0]),
            ),
            (
                preds(Task::Multilabel { n_labels: 2 }, &[0.2, 0.8, 0.6, 0.4]),
                Targets::Multilabel {
                    n_labels: 2,
                    matrix: vec![false, true, true, false],
                },
            ),
            (
                preds(Task::Regression, &[0.5, 1.5]),
                Targets::Values(vec![1.0, 2.0]),
            ),
        ];
        for (p, t) in &cases {
            for &metric in Metric::ALL {
                let got = score(metric, p, 0, t);
                if metric.applies_to(p.task()) {
                    assert!(got.is_ok(), "{metric} on {:?}: {got:?}", p.task());
                } else {
                    assert_eq!(got.unwrap_err().kind(), ErrorKind::Unsupported);
                }
            }
        }
        let e = score(Metric::RocAuc, &cases[2].0, 0, &cases[2].1).unwrap_err();
        assert_eq!(e.to_string(), "roc_auc does not apply to a regression task");
    }

    #[test]
    fn score_rejects_targets_of_the_wrong_kind_or_length() {
        let p = preds(
            Task::Multiclass { n_classes: 3 },
            &[0.2, 0.3, 0.5, 1.0, 0.0, 0.0],
        );
        let cases = [
            (
                Targets::Values(vec![1.0, 2.0]),
                ErrorKind::Shape,
                "expected class indices as targets for a multiclass task, found real values",
            ),
            (
                Targets::Classes(vec![1]),
                ErrorKind::Shape,
                "expected targets for 2 samples, found 1",
            ),
            (
                Targets::Classes(vec![1, 3]),
                ErrorKind::UnknownLabel,
                "id '1': expected a class index below 3, found 3",
            ),
        ];
        for (t, kind, msg) in cases {
            let e = score(Metric::Accuracy, &p, 0, &t).unwrap_err();
            assert_eq!((e.kind(), e.to_string().as_str()), (kind, msg));
        }
        let e = score(Metric::Accuracy, &p, 1, &Targets::Classes(vec![0, 0])).unwrap_err();
        assert_eq!(e.to_string(), "expected a model index below 1, found 1");

        let ml = preds(Task::Multilabel { n_labels: 2 }, &[0.2, 0.8]);
        let wrong = Targets::Multilabel {
            n_labels: 3,
            matrix: vec![true, false, true],
        };
        let e = score(Metric::Accuracy, &ml, 0, &wrong).unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected a label matrix with 2 labels, found 3 labels"
        );

        let empty = Predictions::new(
            Task::Multilabel { n_labels: 0 },
            vec!["m".into()],
            vec!["0".into()],
            vec![],
            vec![],
        )
        .unwrap();
        let none = Targets::Multilabel {
            n_labels: 0,
            matrix: vec![],
        };
        let e = score(Metric::RocAuc, &empty, 0, &none).unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected at least one output column, found none"
        );

        let r = preds(Task::Regression, &[0.5, 1.5]);
        let e = score(Metric::Mae, &r, 0, &Targets::Values(vec![1.0, f64::NAN])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        assert_eq!(
            e.to_string(),
            "id '1': expected a finite true value, found NaN"
        );
    }

    #[test]
    fn roc_auc_undefined_is_nan_in_pure_functions_and_an_error_in_score() {
        assert!(roc_auc_binary(&[true, true], &[0.2, 0.9]).is_nan());
        assert!(
            roc_auc_ovr(
                &[0, 1, 1],
                &[0.5, 0.5, 0.0, 0.2, 0.8, 0.0, 0.1, 0.1, 0.8],
                3
            )
            .is_nan()
        );
        assert!(roc_auc_multilabel(&[true, false, true, false], &[0.2; 4], 2).is_nan());

        let p = preds(Task::Binary, &[0.2, 0.8, 0.6, 0.4]);
        let e = score(Metric::RocAuc, &p, 0, &Targets::Classes(vec![1, 1])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        assert_eq!(
            e.to_string(),
            "class 'c1': roc_auc needs positive and negative samples of every class, found no negative sample"
        );
        let p = preds(
            Task::Multiclass { n_classes: 3 },
            &[0.2, 0.3, 0.5, 1.0, 0.0, 0.0],
        );
        let e = score(Metric::RocAuc, &p, 0, &Targets::Classes(vec![0, 1])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "class 'c2': roc_auc needs positive and negative samples of every class, found no positive sample"
        );
        // `evaluate` reports the undefined metric as NaN and the rest as usual.
        let report = evaluate(&p, 0, &Targets::Classes(vec![0, 1])).unwrap();
        let names: Vec<Metric> = report.iter().map(|r| r.0).collect();
        assert_eq!(names, Metric::report_set(p.task()));
        for (metric, v) in report {
            assert_eq!(v.is_nan(), metric == Metric::RocAuc, "{metric} = {v}");
        }
    }

    #[test]
    fn roc_auc_counts_tied_pairs_as_half() {
        // sklearn's docstring example, then all scores tied.
        assert_eq!(
            roc_auc_binary(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]),
            0.75
        );
        assert_eq!(roc_auc_binary(&[false, true, true], &[0.5; 3]), 0.5);
        // One positive above, one tied with the only negative.
        assert_eq!(roc_auc_binary(&[true, true, false], &[0.9, 0.3, 0.3]), 0.75);
        // -0.0 and 0.0 are the same score.
        assert_eq!(roc_auc_binary(&[true, false], &[-0.0, 0.0]), 0.5);
    }

    /// The probability that a positive outranks a negative, ties half, by
    /// counting every pair: the definition the sort-based AUC must equal.
    fn pairwise_auc(y: &[bool], s: &[f32]) -> f64 {
        let (mut wins, mut pos, mut neg) = (0.0f64, 0usize, 0usize);
        for (i, &yi) in y.iter().enumerate() {
            if !yi {
                neg += 1;
                continue;
            }
            pos += 1;
            for (j, &yj) in y.iter().enumerate() {
                if !yj {
                    wins += match s[i].partial_cmp(&s[j]).unwrap() {
                        std::cmp::Ordering::Greater => 1.0,
                        std::cmp::Ordering::Equal => 0.5,
                        std::cmp::Ordering::Less => 0.0,
                    };
                }
            }
        }
        wins / (pos as f64 * neg as f64)
    }

    #[test]
    fn roc_auc_on_long_inputs_radix_sorted_equals_the_pairwise_count() {
        // Long enough for the radix sort (2048 and up), with heavy ties,
        // negative scores, both zeros, tiny and huge magnitudes, so that
        // every digit pass and the skipped ones are exercised.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let pool = [
            -3.5e30f32, -2.0, -1.0, -1e-30, -0.0, 0.0, 1e-38, 1e-7, 0.25, 0.5, 0.75, 1.0, 7.0, 3e38,
        ];
        for (n, spread) in [(2048usize, 0u64), (3001, 1), (5000, 2)] {
            let y: Vec<bool> = (0..n).map(|_| next() % 3 == 0).collect();
            let s: Vec<f32> = (0..n)
                .map(|_| match spread {
                    // Only the pool: ties everywhere.
                    0 => pool[(next() % pool.len() as u64) as usize],
                    // Probabilities as models give them.
                    1 => (next() % 1_000_000) as f32 / 1_000_000.0,
                    // Any finite float.
                    _ => loop {
                        let x = f32::from_bits(next() as u32);
                        if x.is_finite() {
                            break x;
                        }
                    },
                })
                .collect();
            let expected = pairwise_auc(&y, &s);
            let got = roc_auc_binary(&y, &s);
            assert!((got - expected).abs() < 1e-12, "n {n}: {got} vs {expected}");
        }
    }

    #[test]
    fn precision_recall_f1_count_absent_classes_as_zero_in_macro() {
        // sklearn's docstring example (cat, dog, pig) plus a fourth class
        // that is never true nor predicted.
        let y_true = [0, 1, 2, 0, 1, 2];
        let y_pred = [0, 2, 1, 0, 0, 1];
        let three = precision_recall_f1(&y_true, &y_pred, 3, Average::Macro);
        assert!((three.precision - 2.0 / 9.0).abs() < 1e-15);
        assert!((three.recall - 1.0 / 3.0).abs() < 1e-15);
        assert!((three.f1 - 4.0 / 15.0).abs() < 1e-15);
        let four = precision_recall_f1(&y_true, &y_pred, 4, Average::Macro);
        assert!((four.f1 - 0.75 * three.f1).abs() < 1e-15);
        // Micro and weighted ignore a class without samples.
        for avg in [Average::Micro, Average::Weighted] {
            let a = precision_recall_f1(&y_true, &y_pred, 3, avg);
            let b = precision_recall_f1(&y_true, &y_pred, 4, avg);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn weighted_average_without_true_samples_is_zero() {
        let prf = multilabel_precision_recall_f1(
            &[false; 4],
            &[true, false, true, true],
            2,
            Average::Weighted,
        );
        assert_eq!(
            prf,
            Prf {
                precision: 0.0,
                recall: 0.0,
                f1: 0.0
            }
        );
    }

    #[test]
    fn balanced_accuracy_and_mcc_ignore_unused_classes() {
        assert_eq!(balanced_accuracy(&[0, 0, 1], &[0, 2, 1]), 0.75);
        assert_eq!(mcc(&[0, 0, 1], &[0, 0, 0]), 0.0);
        assert_eq!(mcc(&[0, 1, 2], &[0, 1, 2]), 1.0);
        assert!((mcc(&[1, 1, 1, 0], &[1, 0, 1, 1]) + 1.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn log_loss_clips_exact_zero_and_one() {
        let l = log_loss(&[0, 1], &[1.0, 0.0, 1.0, 0.0], 2);
        assert_eq!(l, (-(1.0 - EPS).ln() - EPS.ln()) / 2.0);
        assert!((l - 18.021826694558577).abs() < 1e-12);
        let ml = multilabel_log_loss(&[true, false], &[1.0, 0.0]);
        assert_eq!(ml, -(1.0 - EPS).ln());
    }

    #[test]
    fn brier_binary_uses_the_positive_column_only() {
        // The row does not sum to one; only p₁ counts.
        let b = brier(&[1], &[0.1, 0.7], 2);
        assert!((b - 0.09).abs() < 1e-7);
        let b3 = brier(&[1], &[0.1, 0.7, 0.2], 3);
        assert!((b3 - (0.01 + 0.09 + 0.04)).abs() < 1e-7);
    }

    #[test]
    fn ece_bins_are_open_below_and_closed_above() {
        // 1 is the only edge an f32 can sit on exactly (i/15 is not a binary
        // fraction for 0 < i < 15); it closes the last bin.
        assert_eq!(ece_bin(1.0), 14);
        assert_eq!(ece_bin(0.5), 7); // (7/15, 8/15]
        assert_eq!(ece_bin(2.0 / 15.0 + 1e-12), 2);
        assert_eq!(ece_bin(0.0), 0);
        // 0.2 as an f32 lies just above 3/15, so in (3/15, 4/15].
        assert_eq!(ece_bin(0.2f32 as f64), 3);
        // Perfect calibration within a bin gives 0.
        let e = ece(
            &[0, 0, 0, 1],
            &[0.75, 0.25, 0.75, 0.25, 0.75, 0.25, 0.75, 0.25],
            2,
        );
        assert_eq!(e, 0.0);
    }

    #[test]
    fn multilabel_threshold_includes_one_half() {
        assert_eq!(
            multilabel_predictions(&[0.5, 0.49999997, 1.0, 0.0]),
            [true, false, true, false]
        );
        assert_eq!(
            subset_accuracy(&[true, false, true, true], &[true, false, true, false], 2),
            0.5
        );
    }

    #[test]
    fn r2_follows_sklearn_for_constant_and_tiny_inputs() {
        assert_eq!(r2(&[2.5; 4], &[2.5; 4]), 1.0);
        assert_eq!(r2(&[2.5; 4], &[2.5, 2.5, 2.5, 3.0]), 0.0);
        // Ten 0.1s: the naive mean is off by an ulp; the refined one is not.
        assert_eq!(r2(&[0.1; 10], &[0.2; 10]), 0.0);
        assert!(r2(&[1.0], &[1.0]).is_nan());
        let p = preds(Task::Regression, &[0.5]);
        let e = score(Metric::R2, &p, 0, &Targets::Values(vec![1.0])).unwrap_err();
        assert_eq!(e.to_string(), "r2 needs at least two samples, found 1");
        assert_eq!(
            score(Metric::Rmse, &p, 0, &Targets::Values(vec![1.0])).unwrap(),
            0.5
        );
    }

    #[test]
    #[should_panic(expected = "expected slices of the same length, found 2 and 1")]
    fn pure_functions_panic_on_length_mismatch() {
        accuracy(&[0, 1], &[0]);
    }

    /// A small single-label problem: classes, predictions and probability
    /// rows.
    fn single_label() -> impl Strategy<Value = (usize, Vec<usize>, Vec<f32>)> {
        (2usize..5, 1usize..60).prop_flat_map(|(k, n)| {
            (
                Just(k),
                prop::collection::vec(0..k, n),
                prop::collection::vec(0.0f32..1.0, n * k),
            )
        })
    }

    /// Scores on a grid of 1/64: squaring or halving them is exact in f32,
    /// so a monotone transform cannot merge or split ties by rounding.
    fn grid_scores() -> impl Strategy<Value = (Vec<bool>, Vec<f32>)> {
        (1usize..80).prop_flat_map(|n| {
            (
                prop::collection::vec(any::<bool>(), n),
                prop::collection::vec((0u8..=64).prop_map(|i| i as f32 / 64.0), n),
            )
        })
    }

    proptest! {
        #[test]
        fn single_label_scores_stay_in_range((k, y, raw) in single_label()) {
            let proba: Vec<f32> = raw
                .chunks_exact(k)
                .flat_map(|r| {
                    let s: f32 = r.iter().sum::<f32>().max(1e-3);
                    r.iter().map(move |&x| x / s).collect::<Vec<_>>()
                })
                .collect();
            let y_pred: Vec<usize> = proba.chunks_exact(k).map(argmax).collect();
            let acc = accuracy(&y, &y_pred);
            prop_assert!((0.0..=1.0).contains(&acc));
            // Micro averages over all classes of a single-label problem are
            // accuracy, exactly.
            let micro = precision_recall_f1(&y, &y_pred, k, Average::Micro);
            prop_assert_eq!(micro.f1, acc);
            prop_assert_eq!(micro.precision, acc);
            prop_assert_eq!(micro.recall, acc);
            for avg in [Average::Macro, Average::Weighted] {
                let prf = precision_recall_f1(&y, &y_pred, k, avg);
                for v in [prf.precision, prf.recall, prf.f1] {
                    prop_assert!((0.0..=1.0).contains(&v));
                }
            }
            let r = mcc(&y, &y_pred);
            prop_assert!((-1.0 - 1e-12..=1.0 + 1e-12).contains(&r));
            prop_assert!((0.0..=1.0).contains(&ece(&y, &proba, k)));
            prop_assert!((0.0..=2.0 + 1e-6).contains(&brier(&y, &proba, k)));
            prop_assert!(log_loss(&y, &proba, k) >= 0.0);
        }

        #[test]
        fn roc_auc_is_invariant_to_monotone_transforms((y, s) in grid_scores()) {
            let auc = roc_auc_binary(&y, &s);
            let squared: Vec<f32> = s.iter().map(|x| x * x).collect();
            let halved: Vec<f32> = s.iter().map(|x| x * 0.5).collect();
            let flipped: Vec<f32> = s.iter().map(|x| 1.0 - x).collect();
            let same = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || a == b;
            prop_assert!(same(auc, roc_auc_binary(&y, &squared)));
            prop_assert!(same(auc, roc_auc_binary(&y, &halved)));
            // Reversing the ranking mirrors the curve.
            let mirrored = 1.0 - roc_auc_binary(&y, &flipped);
            prop_assert!(same(auc, mirrored) || (auc - mirrored).abs() < 1e-15);
        }

        #[test]
        fn roc_auc_is_the_probability_a_positive_outranks_a_negative((y, s) in grid_scores()) {
            // The O(n²) definition: ties count one half.
            let (mut wins, mut pairs) = (0.0, 0.0);
            for (i, &pi) in y.iter().enumerate() {
                for (j, &pj) in y.iter().enumerate() {
                    if pi && !pj {
                        pairs += 1.0;
                        wins += match s[i].partial_cmp(&s[j]) {
                            Some(std::cmp::Ordering::Greater) => 1.0,
                            Some(std::cmp::Ordering::Equal) => 0.5,
                            _ => 0.0,
                        };
                    }
                }
            }
            let auc = roc_auc_binary(&y, &s);
            if pairs == 0.0 {
                prop_assert!(auc.is_nan());
            } else {
                prop_assert!((auc - wins / pairs).abs() < 1e-12);
            }
        }
    }
}
