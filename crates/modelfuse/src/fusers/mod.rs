//! The fusion methods, one file each.
//!
//! Every fuser here learns nothing, or only per-model weights, so each is its
//! own [`Fitted`](crate::Fitted). They share two kernels: a weighted sum over
//! models (`weighted_sum`) and row normalisation; everything else is
//! method-specific.
//!
//! | method | classification | multilabel | regression | cost |
//! |---|---|---|---|---|
//! | [`Mean`] | mean probability | mean per label | mean | O(M·N·K) |
//! | [`GeometricMean`] | renormalised geometric mean | per label | — | O(M·N·K) |
//! | [`WeightedMean`] | weighted mean (also soft vote) | per label | weighted mean | O(M·N·K) |
//! | [`MajorityVote`] | share of (weighted) votes | per label | — | O(M·N·K) |
//! | [`RankAverage`] | Borda count | — | — | O(M·N·K log K) |
//! | [`Median`] | renormalised median | per label | median | O(M·N·K·log M) |
//! | [`Stacking`] | meta-model on the outputs | per label | ridge / NNLS | a solver's cost |
//! | [`EnsembleSelection`] | greedy forward selection → weights | per label | yes | O(R·M·N·K) |
//!
//! M models, N samples, K classes.

mod geometric;
mod mean;
mod median;
mod rank;
mod selection;
mod stacking;
mod vote;
mod weighted;

pub use geometric::{GeometricMean, PROBABILITY_FLOOR};
pub use mean::Mean;
pub use median::Median;
pub use rank::RankAverage;
pub use selection::{Bagging, EnsembleSelection, Selection};
pub use stacking::{
    FittedMeta, FittedStacking, MetaModel, Stacking, StackingFit, Transform, logistic_parameters,
};
pub use vote::{MajorityVote, TIE_MARGIN, TieBreak};
pub use weighted::{ScoreWeighted, WeightedMean};

use crate::error::{Error, Result};
use crate::predictions::{Predictions, Task};
use crate::weights::Weights;

/// The name a fused prediction carries as its one model.
pub const FUSED: &str = "fused";

/// `Σ_m w_m · f(x_m)` for every cell, accumulated in f64; one pass per model
/// over its contiguous block so memory is read sequentially.
pub(crate) fn weighted_sum(
    preds: &Predictions,
    weights: &[f64],
    f: impl Fn(f32) -> f64,
) -> Vec<f64> {
    let len = preds.n_samples() * preds.n_outputs();
    let mut acc = vec![0f64; len];
    for (m, &w) in weights.iter().enumerate() {
        if w == 0.0 {
            continue;
        }
        for (a, &x) in acc.iter_mut().zip(preds.model(m)) {
            *a += w * f(x);
        }
    }
    acc
}

/// Turns accumulated scores into the fused output: single-label rows are
/// rescaled to sum to one (removing the drift of f32 inputs), multilabel and
/// regression values are kept, clamped to [0, 1] for probabilities.
pub(crate) fn finish(preds: &Predictions, mut acc: Vec<f64>) -> Predictions {
    let k = preds.n_outputs();
    match preds.task() {
        Task::Binary | Task::Multiclass { .. } => {
            for row in acc.chunks_exact_mut(k) {
                normalize(row);
            }
        }
        Task::Multilabel { .. } => acc.iter_mut().for_each(|x| *x = x.clamp(0.0, 1.0)),
        Task::Regression => {}
    }
    Predictions::fused(preds, FUSED, acc.into_iter().map(|x| x as f32).collect())
}

/// Rescales a non-negative row to sum to one; an all-zero row becomes uniform
/// (no model gave any class support, so none is preferred).
pub(crate) fn normalize(row: &mut [f64]) {
    let sum: f64 = row.iter().sum();
    if sum > 0.0 && sum.is_finite() {
        row.iter_mut().for_each(|x| *x /= sum);
    } else {
        let u = 1.0 / row.len() as f64;
        row.iter_mut().for_each(|x| *x = u);
    }
}

/// Checks that a weighted fuser receives one weight per model.
pub(crate) fn check_weights(weights: Option<&Weights>, preds: &Predictions) -> Result<Weights> {
    match weights {
        Some(w) => {
            w.check_len(preds.n_models())?;
            Ok(w.clone())
        }
        None => Ok(Weights::uniform(preds.n_models())),
    }
}

/// The error for a method that does not apply to a task.
pub(crate) fn unsupported(method: &str, task: Task, hint: &str) -> Error {
    Error::unsupported(format!(
        "{method} does not apply to a {} task{hint}",
        task.name()
    ))
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::predictions::{BuildOptions, Content, ModelOutput, Predictions, TaskHint};

    /// Predictions from per-model row-major probability blocks with ids
    /// "0".."n-1" and classes "c0".."c{k-1}".
    pub fn probs(blocks: &[Vec<f32>], k: usize) -> Predictions {
        build(blocks, k, TaskHint::Auto)
    }

    pub fn build(blocks: &[Vec<f32>], k: usize, task: TaskHint) -> Predictions {
        let outputs = blocks
            .iter()
            .enumerate()
            .map(|(m, v)| ModelOutput {
                name: format!("m{m}"),
                ids: (0..v.len() / k).map(|i| i.to_string()).collect(),
                content: Content::Scores {
                    columns: (0..k).map(|j| format!("c{j}")).collect(),
                    values: v.clone(),
                },
            })
            .collect();
        let opts = BuildOptions {
            task,
            ..Default::default()
        };
        Predictions::from_outputs(outputs, &opts).unwrap()
    }

    pub fn values(blocks: &[Vec<f32>]) -> Predictions {
        let outputs = blocks
            .iter()
            .enumerate()
            .map(|(m, v)| ModelOutput {
                name: format!("m{m}"),
                ids: (0..v.len()).map(|i| i.to_string()).collect(),
                content: Content::Values(v.clone()),
            })
            .collect();
        Predictions::from_outputs(outputs, &BuildOptions::default()).unwrap()
    }
}
