//! The weighted mean with given weights (`weighted`, and the fuser of every
//! method that learns weights).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fuser::{Fitted, Fuser, RowShape, RowSum};
use crate::fusers::method::{
    FitContext, FittedState, MethodParams, NamedWeights, SpecOptions, resolve_weights,
};
use crate::fusers::{WeightedRowSum, finish_rows, weighted_mean};
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

    /// A weighted mean whose weights were derived from these validation
    /// scores (see [`ScoreWeighted`](super::ScoreWeighted)).
    pub(crate) fn with_scores(weights: Weights, scores: Vec<f64>) -> Self {
        WeightedMean {
            weights,
            scores: Some(scores),
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

    fn row_sum(&self, shape: RowShape) -> Result<Option<Box<dyn RowSum>>> {
        self.weights.check_len(shape.models)?;
        Ok(Some(Box::new(WeightedRowSum::new(
            shape,
            self.weights.as_slice(),
            f64::from,
            finish_rows,
        ))))
    }
}

/// The parameters of `weighted`: the weighted mean with weights given by
/// model name (normalised to sum to one).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedParams {
    /// One weight per model, by model name.
    pub weights: NamedWeights,
}

impl MethodParams for WeightedParams {
    const NAME: &'static str = "weighted";
    const OPTIONS: &'static [&'static str] = &["weights"];

    fn from_options(o: &SpecOptions) -> Result<Self> {
        let weights = o.weights.clone().ok_or_else(|| {
            Error::param("weighted needs a weight per model (e.g. --weights bert=2,roberta=1)")
        })?;
        Ok(WeightedParams { weights })
    }

    fn needs_targets(&self) -> bool {
        false
    }

    fn named_weights(&self) -> Option<&NamedWeights> {
        Some(&self.weights)
    }

    fn fit(&self, cx: &FitContext<'_>) -> Result<FittedState> {
        Ok(FittedState {
            weights: Some(resolve_weights(&self.weights, cx.preds)?),
            ..FittedState::default()
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
}
