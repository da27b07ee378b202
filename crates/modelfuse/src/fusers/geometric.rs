//! The geometric mean of probabilities, computed in log space.

use crate::error::Result;
use crate::fuser::{Fitted, Fuser, RowShape, RowSum};
use crate::fusers::{FUSED, WeightedRowSum, unsupported, weighted_sum};
use crate::predictions::{Predictions, Targets, Task, sigmoid};
use crate::weights::Weights;

/// Probabilities are floored here before taking logs. A model that gives a
/// class exactly zero then counts as very strong evidence against it rather
/// than an absolute veto (which would leave every class at zero as soon as two
/// confident models disagree).
pub const PROBABILITY_FLOOR: f64 = 1e-15;

/// The (optionally weighted) geometric mean of probabilities, renormalised:
/// for single-label tasks `softmax(Σ_m w_m log p_m)`, for multilabel, per
/// label, `sigmoid(Σ_m w_m logit p_m)` (the geometric mean of `p` and of
/// `1 − p`, renormalised). Equivalent to averaging log-probabilities, the
/// product-of-experts view; it punishes a class any confident model rules
/// out. Not defined for regression.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GeometricMean {
    weights: Option<Weights>,
}

impl GeometricMean {
    /// The unweighted geometric mean.
    pub fn new() -> Self {
        GeometricMean { weights: None }
    }

    /// A weighted geometric mean (one weight per model, in model order).
    pub fn with_weights(weights: Weights) -> Self {
        GeometricMean {
            weights: Some(weights),
        }
    }
}

impl Fuser for GeometricMean {
    type Fitted = GeometricMean;
    fn fit(&self, _preds: &Predictions, _targets: &Targets) -> Result<GeometricMean> {
        Ok(self.clone())
    }
}

impl Fitted for GeometricMean {
    fn predict(&self, preds: &Predictions) -> Result<Predictions> {
        let w = super::check_weights(self.weights.as_ref(), preds)?;
        let (f, finish) = terms(preds.task())?;
        let mut acc = weighted_sum(preds, w.as_slice(), f);
        finish(preds.task(), preds.n_outputs(), &mut acc);
        let values = acc.into_iter().map(|x| x as f32).collect();
        Ok(Predictions::fused(preds, FUSED, values))
    }

    fn weights(&self) -> Option<&Weights> {
        self.weights.as_ref()
    }

    fn row_sum(&self, shape: RowShape) -> Result<Option<Box<dyn RowSum>>> {
        let w = super::weights_for(self.weights.as_ref(), shape.models)?;
        let (f, finish) = terms(shape.task)?;
        Ok(Some(Box::new(WeightedRowSum::new(
            shape,
            w.as_slice(),
            f,
            finish,
        ))))
    }
}

/// The per-model term of the log-space sum for `task`, and what turns the
/// summed rows into the fused output.
type Terms = (fn(f32) -> f64, fn(Task, usize, &mut [f64]));

fn terms(task: Task) -> Result<Terms> {
    match task {
        Task::Binary | Task::Multiclass { .. } => Ok((floored_ln, softmax_rows)),
        Task::Multilabel { .. } => Ok((floored_logit, sigmoid_cells)),
        Task::Regression => Err(unsupported(
            "the geometric mean",
            task,
            "; use mean or median",
        )),
    }
}

fn floored_ln(x: f32) -> f64 {
    (x as f64).max(PROBABILITY_FLOOR).ln()
}

fn floored_logit(x: f32) -> f64 {
    floored_ln(x) - floored_ln(1.0 - x)
}

/// Log-space softmax of each row: the row maximum is subtracted so `exp`
/// never underflows to an all-zero row.
fn softmax_rows(_task: Task, k: usize, acc: &mut [f64]) {
    for row in acc.chunks_exact_mut(k) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        row.iter_mut().for_each(|x| *x = (*x - max).exp());
        super::normalize(row);
    }
}

fn sigmoid_cells(_task: Task, _k: usize, acc: &mut [f64]) {
    acc.iter_mut().for_each(|z| *z = sigmoid(*z));
}

crate::fusers::method::stateless_params! {
    /// The parameters of `geometric`, the renormalised geometric mean: none, and
    /// it learns nothing.
    GeometricParams, "geometric", GeometricMean::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusers::test_support::{build, probs};
    use crate::predictions::TaskHint;

    #[test]
    fn geometric_mean_renormalises_the_product() {
        let p = probs(&[vec![0.8, 0.2], vec![0.5, 0.5]], 2);
        let f = GeometricMean::new().predict(&p).unwrap();
        // sqrt(0.4) : sqrt(0.1) = 2 : 1
        let r = f.row(0, 0);
        assert!((r[0] - 2.0 / 3.0).abs() < 1e-6, "{r:?}");
    }

    #[test]
    fn geometric_mean_survives_opposing_certainties() {
        let p = probs(&[vec![1.0, 0.0], vec![0.0, 1.0]], 2);
        let f = GeometricMean::new().predict(&p).unwrap();
        assert_eq!(f.row(0, 0), [0.5, 0.5]);
    }

    #[test]
    fn geometric_mean_of_multilabel_is_sigmoid_of_mean_logit() {
        let p = build(&[vec![0.9, 0.5], vec![0.1, 0.5]], 2, TaskHint::Multilabel);
        let f = GeometricMean::new().predict(&p).unwrap();
        assert!((f.row(0, 0)[0] - 0.5).abs() < 1e-6);
    }
}
