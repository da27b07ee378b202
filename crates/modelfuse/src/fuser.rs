//! The two central traits: [`Fuser`] (settings) and [`Fitted`] (a fuser ready
//! to predict).

use crate::error::Result;
use crate::predictions::{Predictions, Targets};
use crate::weights::Weights;

/// A fusion method's settings, validated when built. `fit` learns whatever
/// the method needs from validation predictions and their targets.
///
/// Fusers that learn nothing (the mean, a majority vote) are their own
/// [`Fitted`] and ignore the targets.
pub trait Fuser {
    /// What fitting produces.
    type Fitted: Fitted;

    /// Learns from `preds` (several models) and the true `targets`.
    ///
    /// # Errors
    ///
    /// When the method does not apply to the task, or the targets do not
    /// match the predictions.
    fn fit(&self, preds: &Predictions, targets: &Targets) -> Result<Self::Fitted>;
}

/// A fuser ready to combine models: one required method.
///
/// `predict` receives the predictions of the same models the fuser was
/// fitted on, in the same order (the [`FittedFuser`](crate::FittedFuser)
/// envelope checks names and reorders), and returns a [`Predictions`] with a
/// single model: the fusion.
pub trait Fitted: Send + Sync {
    /// Fuses the models of `preds` into one.
    ///
    /// # Errors
    ///
    /// When the method does not apply to the task, or `preds` does not have
    /// the number of models the fuser was fitted for.
    fn predict(&self, preds: &Predictions) -> Result<Predictions>;

    /// The per-model weights, for fusers that have them.
    fn weights(&self) -> Option<&Weights> {
        None
    }
}

/// Any function from predictions to a fused prediction is a fitted fuser.
impl<F> Fitted for F
where
    F: Fn(&Predictions) -> Result<Predictions> + Send + Sync,
{
    fn predict(&self, preds: &Predictions) -> Result<Predictions> {
        self(preds)
    }
}
