//! Metrics: how good one model's (or the fusion's) predictions are.
//!
//! Every value equals scikit-learn's on the same inputs (golden tests under
//! `tests/golden`).

use serde::{Deserialize, Serialize};

/// A metric, named in snake_case on the command line and in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Fraction of samples whose predicted class is right (multilabel: the
    /// whole label set must be right).
    Accuracy,
    /// Mean recall over classes.
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
