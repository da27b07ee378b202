//! The two central traits: [`Fuser`] (settings) and [`Fitted`] (a fuser ready
//! to predict); and [`RowSum`], how a fuser that combines models row by row
//! takes them one at a time.

use crate::error::Result;
use crate::predictions::{Predictions, Targets, Task};
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

    /// For fusers that combine the models independently per row (means,
    /// votes): an empty [`RowSum`] for `shape`, which fuses the models given
    /// one at a time to the same bits as [`Fitted::predict`] on all of them,
    /// so predicting never holds more than one model's rows besides the
    /// output. `None` (the default) when the fuser needs every model at once.
    ///
    /// # Errors
    ///
    /// Those `predict` would give for this shape (a method that does not
    /// apply to the task, weights for another number of models).
    fn row_sum(&self, shape: RowShape) -> Result<Option<Box<dyn RowSum>>> {
        let _ = shape;
        Ok(None)
    }
}

/// What a [`RowSum`] is started for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowShape {
    /// The task of the models.
    pub task: Task,
    /// How many models will be added.
    pub models: usize,
    /// Rows (samples) per model.
    pub rows: usize,
}

impl RowShape {
    /// Outputs per row (classes, labels, or one value).
    pub fn outputs(&self) -> usize {
        self.task.n_outputs()
    }
}

/// A fusion in progress, fed one model at a time (see [`Fitted::row_sum`]).
pub trait RowSum: Send + Sync {
    /// Adds model `m`'s rows: `rows × outputs` values, aligned (the fused id
    /// and class order) and validated. Models come in model order, each once;
    /// every row's sum takes them in that order, which is what makes the
    /// result equal to the one of `predict`.
    fn add(&mut self, m: usize, block: &[f32]);

    /// The fused rows, `rows × outputs`.
    fn finish(self: Box<Self>) -> Vec<f32>;
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
