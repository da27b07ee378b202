//! `score-weighted`: a weighted mean with weights derived from each model's
//! validation score.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::fuser::{Fitted, Fuser};
use crate::fusers::WeightedMean;
use crate::fusers::method::{FitContext, FittedState, MethodParams, SpecOptions};
use crate::metrics::{self, Metric};
use crate::predictions::{Predictions, Targets, Task};
use crate::weights::Weights;

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
        Ok(WeightedMean::with_scores(weights, scores))
    }
}

/// The parameters of `score-weighted`: weights proportional to each model's
/// validation score (see [`ScoreWeighted`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreWeightedParams {
    /// The metric to weight by; saved specs and the command line must name
    /// it (the default, log-loss, serves programmatic use only).
    pub by: Metric,
    /// Exponent applied to the scores (1 = proportional).
    #[serde(default = "one")]
    pub power: f64,
}

fn one() -> f64 {
    1.0
}

impl Default for ScoreWeightedParams {
    fn default() -> Self {
        ScoreWeightedParams {
            by: Metric::LogLoss,
            power: one(),
        }
    }
}

impl MethodParams for ScoreWeightedParams {
    const NAME: &'static str = "score-weighted";
    const OPTIONS: &'static [&'static str] = &["by", "power"];

    fn from_options(o: &SpecOptions) -> Result<Self> {
        let by = o.by.ok_or_else(|| {
            Error::param("score-weighted needs a metric to weight by (e.g. --by accuracy)")
        })?;
        Ok(ScoreWeightedParams {
            by,
            power: o.power.unwrap_or(one()),
        })
    }

    fn needs_targets(&self) -> bool {
        true
    }

    fn check(&self) -> Result<()> {
        ScoreWeighted::new(self.by, self.power).map(drop)
    }

    fn describe(&self, _task: Task) -> String {
        if self.power == 1.0 {
            format!("score-weighted (by {})", self.by)
        } else {
            format!("score-weighted (by {}, power {})", self.by, self.power)
        }
    }

    fn fit(&self, cx: &FitContext<'_>) -> Result<FittedState> {
        let t = cx.targets_for(Self::NAME)?;
        let fitted = ScoreWeighted::new(self.by, self.power)?.fit(cx.preds, t)?;
        Ok(FittedState {
            weights: fitted.weights().cloned(),
            scores: fitted.scores().map(<[f64]>::to_vec),
            meta: None,
        })
    }

    fn build(&self, state: &FittedState, _n_models: usize) -> Result<Box<dyn Fitted>> {
        Ok(Box::new(WeightedMean::new(state.weights_for(Self::NAME)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusers::test_support::probs;

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
