//! The arithmetic mean of the models' outputs.

use crate::error::Result;
use crate::fuser::{Fitted, Fuser, RowShape, RowSum};
use crate::fusers::{WeightedRowSum, finish_rows, weighted_mean};
use crate::predictions::{Predictions, Targets};
use crate::weights::Weights;

/// The unweighted arithmetic mean: of probabilities (classification, per
/// label for multilabel) or of values (regression). The simplest strong
/// baseline; it learns nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Mean;

impl Fuser for Mean {
    type Fitted = Mean;
    fn fit(&self, _preds: &Predictions, _targets: &Targets) -> Result<Mean> {
        Ok(Mean)
    }
}

impl Fitted for Mean {
    fn predict(&self, preds: &Predictions) -> Result<Predictions> {
        let w = Weights::uniform(preds.n_models());
        Ok(weighted_mean(preds, w.as_slice(), f64::from))
    }

    fn row_sum(&self, shape: RowShape) -> Result<Option<Box<dyn RowSum>>> {
        let w = Weights::uniform(shape.models);
        Ok(Some(Box::new(WeightedRowSum::new(
            shape,
            w.as_slice(),
            f64::from,
            finish_rows,
        ))))
    }
}

crate::fusers::method::stateless_params! {
    /// The parameters of `mean`, the arithmetic mean: none, and it learns nothing.
    MeanParams, "mean", Mean
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusers::test_support::{probs, values};

    #[test]
    fn mean_averages_probabilities() {
        let p = probs(&[vec![0.9, 0.1, 0.2, 0.8], vec![0.5, 0.5, 0.4, 0.6]], 2);
        let f = Mean.predict(&p).unwrap();
        assert_eq!(f.models(), ["fused"]);
        assert_eq!(f.row(0, 0), [0.7, 0.3]);
        assert_eq!(f.row(0, 1), [0.3, 0.7]);
    }

    #[test]
    fn mean_averages_regression_values() {
        let p = values(&[vec![1.0, -2.0], vec![3.0, 4.0]]);
        assert_eq!(Mean.predict(&p).unwrap().model(0), [2.0, 1.0]);
    }
}
