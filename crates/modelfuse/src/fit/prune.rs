//! Model pruning: drop models that do not help the fusion, and say why.
//!
//! Two reasons to drop a model:
//!
//! 1. **It duplicates a better model**: their predicted classes disagree on
//!    fewer than 1% of samples (residuals correlate above 0.999 for
//!    regression), so it adds cost and no diversity; the weaker of the two
//!    goes.
//! 2. **Leaving it out improves the fusion out of fold**: backward
//!    elimination. Score the fuser by cross-validation with all remaining
//!    models, then without each one; drop the model whose removal helps most,
//!    and repeat while removing one still helps by more than `min_gain`
//!    (relative). Cost: O(M²) cross-validated fits in general; for the
//!    arithmetic mean, which learns nothing, O(M·N·K) per step, each removal
//!    scored from the running sum of the kept models (`fit::prune_mean`).
//!
//! The fusion is scored out of fold, so a learned fuser never judges a model
//! on rows whose labels it was fitted on.

use rayon::prelude::*;

use crate::error::Result;
pub use crate::fitted::Dropped;
use crate::metrics::{self, Metric};
use crate::predictions::{Predictions, Targets, Task};

/// Pruning settings (its folds and seed are the fit's:
/// [`FitOptions`](crate::FitOptions)).
#[derive(Clone, Debug, PartialEq)]
pub struct PruneOptions {
    /// The metric the fusion is judged by (default: log-loss, or RMSE for
    /// regression).
    pub metric: Option<Metric>,
    /// The relative improvement that removing a model must bring.
    pub min_gain: f64,
    /// Two models whose predicted classes disagree on less than this
    /// fraction of samples are near-duplicates.
    pub duplicate_disagreement: f64,
}

impl Default for PruneOptions {
    fn default() -> Self {
        PruneOptions {
            metric: None,
            min_gain: 1e-3,
            duplicate_disagreement: 0.01,
        }
    }
}

/// The outcome of pruning.
#[derive(Clone, Debug, PartialEq)]
pub struct Pruning {
    /// The models kept, in model order.
    pub kept: Vec<String>,
    /// The models dropped, in the order they were dropped.
    pub dropped: Vec<Dropped>,
    /// The metric pruning judged by.
    pub metric: Metric,
    /// The fusion's out-of-fold score with every model.
    pub score_before: f64,
    /// The fusion's out-of-fold score with the kept models.
    pub score_after: f64,
}

/// The fusion's out-of-fold scores on subsets of the models, as backward
/// elimination asks for them. A subset is a list of model indices in model
/// order.
///
/// [`prune`] judges through any fuser's out-of-fold predictions on a copied
/// subset; a fuser whose out-of-fold fusion is cheap to update (the
/// arithmetic mean, `fit::prune_mean`) scores a step's removals from what
/// they share instead, and must give the same scores.
pub trait SubsetScores: Sync {
    /// The out-of-fold `metric` of the fusion of the models `kept`.
    ///
    /// # Errors
    ///
    /// Any error of the fusion or of scoring.
    fn score(&self, metric: Metric, kept: &[usize]) -> Result<f64>;

    /// The scores of `kept` without each of its models in turn (element
    /// `pos`: without `kept[pos]`), each equal to what [`score`] gives for
    /// that subset. By default every removal is scored by [`score`], in
    /// parallel.
    ///
    /// [`score`]: SubsetScores::score
    fn removals(&self, metric: Metric, kept: &[usize]) -> Vec<Result<f64>> {
        (0..kept.len())
            .into_par_iter()
            .map(|pos| {
                let mut without = kept.to_vec();
                without.remove(pos);
                self.score(metric, &without)
            })
            .collect()
    }
}

/// Scores through a fuser's out-of-fold predictions on each subset, copied
/// out of the predictions: what any fuser, learned or not, can be judged by.
struct OutOfFold<'a, F> {
    preds: &'a Predictions,
    targets: &'a Targets,
    oof: F,
}

impl<F> SubsetScores for OutOfFold<'_, F>
where
    F: Fn(&Predictions) -> Result<Predictions> + Sync,
{
    fn score(&self, metric: Metric, kept: &[usize]) -> Result<f64> {
        let names: Vec<String> = kept
            .iter()
            .map(|&m| self.preds.models()[m].clone())
            .collect();
        let fused = (self.oof)(&self.preds.subset_models(&names)?)?;
        metrics::score(metric, &fused, 0, self.targets)
    }
}

/// Prunes the models of `preds`; `oof(subset)` gives the fusion's
/// out-of-fold predictions on a subset of the models (see
/// [`crate::fit::out_of_fold`]), which judge every removal; the removals
/// of one step are scored in parallel.
///
/// # Errors
///
/// Any error of `oof` or of scoring.
pub fn prune(
    preds: &Predictions,
    targets: &Targets,
    opts: &PruneOptions,
    oof: impl Fn(&Predictions) -> Result<Predictions> + Sync,
) -> Result<Pruning> {
    prune_by(
        preds,
        targets,
        opts,
        &OutOfFold {
            preds,
            targets,
            oof,
        },
    )
}

/// [`prune`], judging subsets by `scores` (which must score the models of
/// `preds` against `targets`).
///
/// # Errors
///
/// Any error of `scores` or of scoring.
pub fn prune_by(
    preds: &Predictions,
    targets: &Targets,
    opts: &PruneOptions,
    scores: &impl SubsetScores,
) -> Result<Pruning> {
    let metric = opts
        .metric
        .unwrap_or_else(|| Metric::default_for(preds.task()));
    let better = |a: f64, b: f64| metric.better(a, b);

    let own: Vec<f64> = (0..preds.n_models())
        .map(|m| metrics::score(metric, preds, m, targets))
        .collect::<Result<_>>()?;
    let mut kept: Vec<usize> = (0..preds.n_models()).collect();
    let mut dropped = Vec::new();

    // 1. Near-duplicates: the weaker of each too-similar pair goes.
    if preds.n_models() > 1 {
        let similar = similarity(preds, targets)?;
        let mut gone = vec![false; preds.n_models()];
        for (a, b, how) in similar {
            if gone[a] || gone[b] {
                continue;
            }
            if how.near_duplicate(opts.duplicate_disagreement) {
                let (weak, strong) = if better(own[b], own[a]) {
                    (a, b)
                } else {
                    (b, a)
                };
                gone[weak] = true;
                dropped.push(Dropped {
                    model: preds.models()[weak].clone(),
                    reason: format!(
                        "near-duplicate of '{}' ({}) and weaker ({metric} {:.4} vs {:.4})",
                        preds.models()[strong],
                        how.describe(),
                        own[weak],
                        own[strong]
                    ),
                });
            }
        }
        kept.retain(|&m| !gone[m]);
    }

    // 2. Backward elimination on the out-of-fold score of the fusion.
    let all: Vec<usize> = (0..preds.n_models()).collect();
    let score_before = scores.score(metric, &all)?;
    let mut current = scores.score(metric, &kept)?;
    while kept.len() > 1 {
        // The removals may be scored in parallel; they are chosen in model
        // order as a sequential loop would (the first best; the first error).
        let mut best: Option<(usize, f64)> = None;
        for (pos, s) in scores.removals(metric, &kept).into_iter().enumerate() {
            let s = s?;
            if best.is_none_or(|(_, b)| better(s, b)) {
                best = Some((pos, s));
            }
        }
        let (pos, s) = best.expect("at least two models");
        let gain = metric.gain(s, current);
        if gain <= opts.min_gain * current.abs().max(1e-12) {
            break;
        }
        let m = kept.remove(pos);
        dropped.push(Dropped {
            model: preds.models()[m].clone(),
            reason: format!(
                "leaving it out improved the out-of-fold {metric} of the fusion from {current:.4} to {s:.4}"
            ),
        });
        current = s;
    }
    Ok(Pruning {
        kept: kept.iter().map(|&m| preds.models()[m].clone()).collect(),
        dropped,
        metric,
        score_before,
        score_after: current,
    })
}

/// How alike two models are.
enum Alike {
    /// Fraction of samples whose predicted classes differ.
    Disagreement(f64),
    /// Correlation of regression residuals.
    Residuals(f64),
}

impl Alike {
    fn near_duplicate(&self, max_disagreement: f64) -> bool {
        match *self {
            Alike::Disagreement(d) => d < max_disagreement,
            Alike::Residuals(r) => r > 0.999,
        }
    }

    fn describe(&self) -> String {
        match *self {
            Alike::Disagreement(d) => format!("they disagree on {:.1}% of samples", 100.0 * d),
            Alike::Residuals(r) => format!("their errors correlate at {r:.4}"),
        }
    }
}

/// Every pair of models with how alike they are.
fn similarity(preds: &Predictions, targets: &Targets) -> Result<Vec<(usize, usize, Alike)>> {
    let m = preds.n_models();
    let mut out = Vec::new();
    match (preds.task(), targets) {
        (Task::Regression, Targets::Values(y)) => {
            let resid: Vec<Vec<f64>> = (0..m)
                .map(|i| {
                    preds
                        .model(i)
                        .iter()
                        .zip(y)
                        .map(|(&p, &t)| t - p as f64)
                        .collect()
                })
                .collect();
            for a in 0..m {
                for b in a + 1..m {
                    let r = crate::diversity::pearson_correlation(&resid[a], &resid[b])?;
                    out.push((a, b, Alike::Residuals(r)));
                }
            }
        }
        (Task::Binary | Task::Multiclass { .. }, _) => {
            let labels: Vec<Vec<usize>> = (0..m).map(|i| preds.predicted_classes(i)).collect();
            for a in 0..m {
                for b in a + 1..m {
                    let differ = labels[a]
                        .iter()
                        .zip(&labels[b])
                        .filter(|(x, y)| x != y)
                        .count();
                    let d = differ as f64 / preds.n_samples().max(1) as f64;
                    out.push((a, b, Alike::Disagreement(d)));
                }
            }
        }
        // Multilabel: no near-duplicate rule; elimination still applies.
        _ => {}
    }
    Ok(out)
}
