//! The fusion methods, one file each.
//!
//! Each method is one unit: its parameter struct (`MeanParams`, …,
//! `SelectionParams`) implements [`MethodParams`] in the method's file —
//! name, options, defaults and range checks, whether it learns, what it
//! learns and how it is rebuilt from a saved state — beside the fuser that
//! does the work. [`FuserSpec`](crate::FuserSpec) lists them once. The fusers
//! share two kernels: a weighted sum over models (`weighted_sum`) and row
//! normalisation; everything else is method-specific.
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

/// Every fusion method, one line each, `Variant(module::Params)`, in the
/// order help text lists them: the variant of [`Method`](crate::Method) and
/// [`FuserSpec`](crate::FuserSpec), the method's module (its file in this
/// folder) and its parameter struct. `declare_methods!` below declares the
/// modules and re-exports the parameters; `spec.rs` writes `Method` and
/// `FuserSpec` from the same list. This line is the only place outside a
/// method's own file that names it.
macro_rules! for_each_method {
    ($callback:ident) => {
        $callback! {
            /// `mean`: arithmetic mean.
            Mean(mean::MeanParams),
            /// `geometric`: renormalised geometric mean.
            Geometric(geometric::GeometricParams),
            /// `weighted`: weighted mean with given weights.
            Weighted(weighted::WeightedParams),
            /// `score-weighted`: weights proportional to a validation score.
            ScoreWeighted(score_weighted::ScoreWeightedParams),
            /// `vote`: hard majority vote.
            Vote(vote::VoteParams),
            /// `soft-vote`: mean of probabilities, optionally weighted.
            SoftVote(soft_vote::SoftVoteParams),
            /// `rank`: rank averaging (Borda count).
            Rank(rank::RankParams),
            /// `median`: per-output median.
            Median(median::MedianParams),
            /// `optimized`: weights on the simplex that minimise a loss (or,
            /// with `--by`, optimise any metric).
            Optimized(optimized::OptimizedParams),
            /// `stacking`: a meta-model on the models' predictions.
            Stacking(stacking::StackingParams),
            /// `blending`: a meta-model fitted on a held-out split.
            Blending(blending::BlendingParams),
            /// `selection`: greedy ensemble selection (Caruana et al. 2004).
            Selection(selection::SelectionParams),
        }
    };
}
pub(crate) use for_each_method;

/// Declares each method's module (its file here) and re-exports its
/// parameter struct.
macro_rules! declare_methods {
    ($($(#[doc = $doc:literal])* $variant:ident($module:ident::$params:ident),)*) => {
        $(mod $module; pub use $module::$params;)*
    };
}
for_each_method!(declare_methods);

pub mod method;

pub use geometric::{GeometricMean, PROBABILITY_FLOOR};
pub use mean::Mean;
pub use median::Median;
pub use method::{FitContext, FittedState, MethodParams};
pub use rank::RankAverage;
pub use score_weighted::ScoreWeighted;
pub use selection::{Bagging, EnsembleSelection, Selection};
pub use stacking::{
    FittedMeta, FittedStacking, MetaModel, Stacking, StackingFit, Transform, logistic_parameters,
};
pub use vote::{MajorityVote, TIE_MARGIN, TieBreak};
pub use weighted::WeightedMean;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::predictions::{Predictions, Task};
use crate::weights::Weights;

/// The name a fused prediction carries as its one model.
pub const FUSED: &str = "fused";

/// Cells per block of the blocked kernels: 4096 `f64` accumulators, 32 KiB,
/// which stay in the core's L1/L2 cache while every model's slice of the
/// block streams through once. Summing a whole model at a time instead walks
/// an accumulator of `N·K` doubles (8 MB at 100,000 × 10) through main memory
/// once per model, three times the traffic of the predictions themselves.
const BLOCK_CELLS: usize = 4096;

/// The cells of one block: whole rows, so a block can be finished (rows
/// normalised) where it lies, and at least one row.
pub(crate) fn block_len(k: usize) -> usize {
    (BLOCK_CELLS / k).max(1) * k
}

/// `Σ_m w_m · f(x_m)` for every cell, accumulated in f64. Blocks of samples
/// run in parallel (rayon); within a block the models are added in model
/// order, as a model-by-model pass would, so the sums are the same bit for
/// bit whatever the number of threads.
pub(crate) fn weighted_sum(
    preds: &Predictions,
    weights: &[f64],
    f: impl Fn(f32) -> f64 + Sync,
) -> Vec<f64> {
    let mut acc = vec![0f64; preds.n_samples() * preds.n_outputs()];
    let block = block_len(preds.n_outputs());
    acc.par_chunks_mut(block)
        .enumerate()
        .for_each(|(b, acc)| accumulate(preds, weights, &f, b * block, acc));
    acc
}

/// Adds `Σ_m w_m · f(x_m)` over the cells `start..start + acc.len()` of every
/// model to `acc`, model after model; models of weight zero are skipped.
///
/// Four models are added per pass over the block, each cell still receiving
/// them one at a time in model order (the same sums bit for bit): the
/// accumulator is loaded and stored once per four models instead of once per
/// model, which is what bounded the one-model loop once the block sat in
/// cache.
pub(crate) fn accumulate(
    preds: &Predictions,
    weights: &[f64],
    f: &impl Fn(f32) -> f64,
    start: usize,
    acc: &mut [f64],
) {
    let len = acc.len();
    let mut models = weights
        .iter()
        .enumerate()
        .filter(|&(_, &w)| w != 0.0)
        .map(|(m, &w)| (w, &preds.model(m)[start..start + len]));
    loop {
        match (models.next(), models.next(), models.next(), models.next()) {
            (Some((w0, x0)), Some((w1, x1)), Some((w2, x2)), Some((w3, x3))) => {
                // Re-sliced to `len` so the indexing below needs no bounds checks.
                let (x0, x1, x2, x3) = (&x0[..len], &x1[..len], &x2[..len], &x3[..len]);
                for i in 0..len {
                    let mut a = acc[i];
                    a += w0 * f(x0[i]);
                    a += w1 * f(x1[i]);
                    a += w2 * f(x2[i]);
                    a += w3 * f(x3[i]);
                    acc[i] = a;
                }
            }
            (first, second, third, _) => {
                for (w, x) in [first, second, third].into_iter().flatten() {
                    for (a, &x) in acc.iter_mut().zip(x) {
                        *a += w * f(x);
                    }
                }
                return;
            }
        }
    }
}

/// The fused output of a weighted sum: `finish(preds, weighted_sum(..))` in
/// one blocked pass, each block accumulated, finished and rounded to f32 in
/// place, so the `N·K` doubles are never stored. The same values bit for bit.
pub(crate) fn weighted_mean(
    preds: &Predictions,
    weights: &[f64],
    f: impl Fn(f32) -> f64 + Sync,
) -> Predictions {
    let k = preds.n_outputs();
    let block = block_len(k);
    let mut out = vec![0f32; preds.n_samples() * k];
    out.par_chunks_mut(block).enumerate().for_each_init(
        || vec![0f64; block],
        |acc, (b, out)| {
            let acc = &mut acc[..out.len()];
            acc.fill(0.0);
            accumulate(preds, weights, &f, b * block, acc);
            finish_rows(preds.task(), k, acc);
            for (o, &a) in out.iter_mut().zip(acc.iter()) {
                *o = a as f32;
            }
        },
    );
    Predictions::fused(preds, FUSED, out)
}

/// Turns accumulated scores into the fused output: single-label rows are
/// rescaled to sum to one (removing the drift of f32 inputs), multilabel and
/// regression values are kept, clamped to [0, 1] for probabilities.
pub(crate) fn finish(preds: &Predictions, mut acc: Vec<f64>) -> Predictions {
    finish_rows(preds.task(), preds.n_outputs(), &mut acc);
    Predictions::fused(preds, FUSED, acc.into_iter().map(|x| x as f32).collect())
}

/// [`finish`] on whole rows of `k` accumulated scores, in place.
pub(crate) fn finish_rows(task: Task, k: usize, acc: &mut [f64]) {
    match task {
        Task::Binary | Task::Multiclass { .. } => {
            for row in acc.chunks_exact_mut(k) {
                normalize(row);
            }
        }
        Task::Multilabel { .. } => acc.iter_mut().for_each(|x| *x = x.clamp(0.0, 1.0)),
        Task::Regression => {}
    }
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
