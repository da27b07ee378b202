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

// TEMPORARY stand-in until the metrics branch lands (replaced wholesale).
use crate::{Error, ErrorKind, Predictions, Result, Targets};
impl Metric {
    /// name
    pub fn name(self) -> &'static str {
        "accuracy"
    }
    /// gib
    pub fn greater_is_better(self) -> bool {
        true
    }
}
impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
impl std::str::FromStr for Metric {
    type Err = Error;
    fn from_str(s: &str) -> Result<Metric> {
        serde_json::from_value(serde_json::Value::String(s.to_string()))
            .map_err(|_| Error::new(ErrorKind::InvalidParameter, "bad metric"))
    }
}
/// score
pub fn score(_metric: Metric, preds: &Predictions, m: usize, targets: &Targets) -> Result<f64> {
    let t = targets.classes().unwrap();
    let p = preds.predicted_classes(m);
    Ok(p.iter().zip(t).filter(|(a, b)| a == b).count() as f64 / t.len() as f64)
}
