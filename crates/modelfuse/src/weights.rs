//! [`Weights`]: one non-negative, finite weight per model, summing to one.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// One weight per model, on the probability simplex: every weight is finite
/// and non-negative and they sum to one (within `1e-12`).
///
/// The only constructors normalise or reject, so holding a `Weights` is proof
/// of the invariant; fusers never re-check it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f64>", into = "Vec<f64>")]
pub struct Weights(Vec<f64>);

impl Weights {
    /// Normalises raw non-negative weights to sum to one.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidWeights`] when there are no weights, when one is
    /// negative or not finite, or when all are zero.
    ///
    /// # Example
    ///
    /// ```
    /// let w = modelfuse::Weights::new(vec![1.0, 3.0]).unwrap();
    /// assert_eq!(w.as_slice(), &[0.25, 0.75]);
    /// ```
    pub fn new(raw: Vec<f64>) -> Result<Self> {
        let invalid = |msg: String| Err(Error::new(ErrorKind::InvalidWeights, msg));
        if raw.is_empty() {
            return invalid("expected at least one weight, found none".into());
        }
        if let Some((i, w)) = raw
            .iter()
            .enumerate()
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            return invalid(format!(
                "expected finite non-negative weights, found {w} at position {}",
                i + 1
            ));
        }
        let sum: f64 = raw.iter().sum();
        if sum <= 0.0 || !sum.is_finite() {
            return invalid(format!(
                "expected weights with a positive finite sum, found a sum of {sum}"
            ));
        }
        Ok(Weights(raw.into_iter().map(|w| w / sum).collect()))
    }

    /// Equal weights for `n` models.
    ///
    /// # Panics
    ///
    /// When `n` is zero.
    pub fn uniform(n: usize) -> Self {
        assert!(n > 0, "uniform weights need at least one model");
        Weights(vec![1.0 / n as f64; n])
    }

    /// The weights, one per model.
    pub fn as_slice(&self) -> &[f64] {
        &self.0
    }

    /// Number of weights.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: `Weights` is never empty.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Checks that there is one weight per model.
    pub(crate) fn check_len(&self, n_models: usize) -> Result<()> {
        if self.0.len() != n_models {
            return Err(Error::new(
                ErrorKind::InvalidWeights,
                format!(
                    "expected one weight per model ({n_models}), found {}",
                    self.0.len()
                ),
            ));
        }
        Ok(())
    }
}

impl TryFrom<Vec<f64>> for Weights {
    type Error = Error;
    fn try_from(v: Vec<f64>) -> Result<Self> {
        Weights::new(v)
    }
}

impl From<Weights> for Vec<f64> {
    fn from(w: Weights) -> Vec<f64> {
        w.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn weights_reject_negative_and_zero() {
        assert_eq!(
            Weights::new(vec![1.0, -1.0]).unwrap_err().to_string(),
            "expected finite non-negative weights, found -1 at position 2"
        );
        assert_eq!(
            Weights::new(vec![0.0, 0.0]).unwrap_err().to_string(),
            "expected weights with a positive finite sum, found a sum of 0"
        );
        assert!(Weights::new(vec![f64::NAN]).is_err());
        assert!(Weights::new(vec![]).is_err());
    }

    #[test]
    fn weights_deserialize_through_the_checked_constructor() {
        let w: Weights = serde_json::from_str("[2.0, 2.0]").unwrap();
        assert_eq!(w.as_slice(), &[0.5, 0.5]);
        assert!(serde_json::from_str::<Weights>("[-1.0, 2.0]").is_err());
    }

    proptest! {
        #[test]
        fn weights_lie_on_the_simplex(raw in prop::collection::vec(0.0f64..1e6, 1..50)) {
            prop_assume!(raw.iter().sum::<f64>() > 0.0);
            let w = Weights::new(raw).unwrap();
            let sum: f64 = w.as_slice().iter().sum();
            prop_assert!((sum - 1.0).abs() < 1e-12);
            prop_assert!(w.as_slice().iter().all(|&x| (0.0..=1.0).contains(&x)));
        }
    }
}
