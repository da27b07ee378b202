//! The per-output median across models.

use crate::error::Result;
use crate::fuser::{Fitted, Fuser};
use crate::fusers::finish;
use crate::predictions::{Predictions, Targets};

/// The median across models of each output: of values for regression (robust
/// to one wild model), of each class probability for classification (then
/// renormalised so rows sum to one), of each label's probability for
/// multilabel. With an even number of models it is the mean of the two middle
/// values, as `numpy.median` computes it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Median;

impl Fuser for Median {
    type Fitted = Median;
    fn fit(&self, _preds: &Predictions, _targets: &Targets) -> Result<Median> {
        Ok(Median)
    }
}

impl Fitted for Median {
    fn predict(&self, preds: &Predictions) -> Result<Predictions> {
        let m = preds.n_models();
        let len = preds.n_samples() * preds.n_outputs();
        let mut column = vec![0f32; m];
        let acc = (0..len)
            .map(|cell| {
                for (j, c) in column.iter_mut().enumerate() {
                    *c = preds.model(j)[cell];
                }
                median(&mut column)
            })
            .collect();
        Ok(finish(preds, acc))
    }
}

/// The median of `xs` (reordered in place); never called on an empty slice.
fn median(xs: &mut [f32]) -> f64 {
    let n = xs.len();
    xs.sort_unstable_by(f32::total_cmp);
    if n % 2 == 1 {
        xs[n / 2] as f64
    } else {
        (xs[n / 2 - 1] as f64 + xs[n / 2] as f64) / 2.0
    }
}

crate::fusers::method::stateless_params! {
    /// The parameters of `median`, the per-output median: none, and it learns
    /// nothing.
    MedianParams, "median", Median
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusers::test_support::values;

    #[test]
    fn median_ignores_one_wild_model() {
        let p = values(&[vec![1.0], vec![2.0], vec![1000.0]]);
        assert_eq!(Median.predict(&p).unwrap().model(0), [2.0]);
        let p = values(&[vec![1.0], vec![2.0], vec![1000.0], vec![3.0]]);
        assert_eq!(Median.predict(&p).unwrap().model(0), [2.5]);
    }
}
