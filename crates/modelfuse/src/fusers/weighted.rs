//! Weighted means: with given weights, or weights derived from each model's
//! validation score.

use crate::error::{Error, ErrorKind, Result};
use crate::fuser::{Fitted, Fuser};
use crate::fusers::weighted_mean;
use crate::metrics::{self, Metric};
use crate::predictions::{Predictions, Targets};
use crate::weights::Weights;

/// The weighted arithmetic mean `Σ_m w_m p_m` of probabilities (per label for
/// multilabel) or values (regression). With probabilities this is also
/// scikit-learn's soft vote.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightedMean {
    weights: Weights,
    scores: Option<Vec<f64>>,
}

impl WeightedMean {
    /// A weighted mean with one weight per model, in model order.
    pub fn new(weights: Weights) -> Self {
        WeightedMean {
            weights,
            scores: None,
        }
    }

    /// The validation scores the weights were derived from, if they were.
    pub fn scores(&self) -> Option<&[f64]> {
        self.scores.as_deref()
    }
}

impl Fuser for WeightedMean {
    type Fitted = WeightedMean;
    fn fit(&self, preds: &Predictions, _targets: &Targets) -> Result<WeightedMean> {
        self.weights.check_len(preds.n_models())?;
        Ok(self.clone())
    }
}

impl Fitted for WeightedMean {
    fn predict(&self, preds: &Predictions) -> Result<Predictions> {
        self.weights.check_len(preds.n_models())?;
        Ok(weighted_mean(preds, self.weights.as_slice(), f64::from))
    }

    fn weights(&self) -> Option<&Weights> {
        Some(&self.weights)
    }
}

/// Weights proportional to each model's score on labelled validation data:
/// `w_m ∝ max(s_m, 0)^power` for metrics where higher is better, and
/// `w_m ∝ (1 / s_m)^power` for losses (log-loss, Brier, ECE, RMSE, MAE).
///
/// Scores at or below zero (a negative MCC or R², say) get weight zero: a
/// model no better than chance gets no say. `power` sharpens (> 1) or flattens
/// (< 1) the weighting; 1 is plain proportionality.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreWeighted {
    metric: Metric,
    power: f64,
}

impl ScoreWeighted {
    /// Weights proportional to `metric`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] when `power` is not finite and positive.
    pub fn new(metric: Metric, power: f64) -> Result<Self> {
        if !(power.is_finite() && power > 0.0) {
            return Err(Error::param(format!(
                "expected a finite positive power for score weighting, found {power}"
            )));
        }
        Ok(ScoreWeighted { metric, power })
    }
}

impl Fuser for ScoreWeighted {
    type Fitted = WeightedMean;
    fn fit(&self, preds: &Predictions, targets: &Targets) -> Result<WeightedMean> {
        let mut scores = Vec::with_capacity(preds.n_models());
        let mut raw = Vec::with_capacity(preds.n_models());
        for m in 0..preds.n_models() {
            let s = metrics::score(self.metric, preds, m, targets)
                .map_err(|e| e.with_model(preds.models()[m].clone()))?;
            scores.push(s);
            let base = if self.metric.greater_is_better() {
                s.max(0.0)
            } else if s > 0.0 {
                1.0 / s
            } else {
                // A perfect loss of zero: this model alone is right; give it
                // all the weight by making the others negligible.
                f64::MAX.sqrt()
            };
            raw.push(base.powf(self.power));
        }
        let weights = Weights::new(raw).map_err(|_| {
            Error::new(
                ErrorKind::InvalidWeights,
                format!(
                    "every model has a {} of zero or less, so weights proportional to it are undefined",
                    self.metric
                ),
            )
        })?;
        Ok(WeightedMean {
            weights,
            scores: Some(scores),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusers::test_support::probs;

    #[test]
    fn weighted_mean_uses_the_weights() {
        let p = probs(&[vec![1.0, 0.0], vec![0.0, 1.0]], 2);
        let w = Weights::new(vec![3.0, 1.0]).unwrap();
        let f = WeightedMean::new(w).predict(&p).unwrap();
        assert_eq!(f.row(0, 0), [0.75, 0.25]);
    }

    #[test]
    fn weighted_mean_rejects_wrong_length() {
        let p = probs(&[vec![1.0, 0.0]], 2);
        let w = Weights::new(vec![1.0, 1.0]).unwrap();
        let e = WeightedMean::new(w).predict(&p).unwrap_err();
        assert_eq!(e.to_string(), "expected one weight per model (1), found 2");
    }

    #[test]
    fn score_weighted_prefers_the_better_model() {
        // m0 right on both samples, m1 right on one.
        let p = probs(&[vec![0.9, 0.1, 0.2, 0.8], vec![0.6, 0.4, 0.7, 0.3]], 2);
        let t = Targets::Classes(vec![0, 1]);
        let f = ScoreWeighted::new(Metric::Accuracy, 1.0)
            .unwrap()
            .fit(&p, &t)
            .unwrap();
        assert_eq!(f.scores().unwrap(), [1.0, 0.5]);
        let w = f.weights().unwrap().as_slice();
        assert!((w[0] - 2.0 / 3.0).abs() < 1e-12);
    }
}
