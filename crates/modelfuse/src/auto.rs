//! Automated fusion: which fuser, on which models, and does it really help?
//!
//! [`search`] scores every single model and every candidate fuser on the
//! labelled validation predictions by **nested cross-validation**: the outer
//! folds give each candidate out-of-fold predictions for every row (so no
//! candidate is scored on rows whose labels it was fitted on), and the
//! candidates that choose models (pruned variants) choose them by an inner
//! cross-validation inside each outer training part. Each candidate's
//! out-of-fold predictions then get a 95% bootstrap interval, and a paired
//! bootstrap against the best single model gives the gain with its interval
//! and a p-value.
//!
//! The recommendation is conservative: the best fuser is recommended only if
//! its gain over the best single model is positive with confidence (the
//! interval's lower bound above zero); otherwise the report says plainly that
//! fusion did not help and recommends the best single model, saved as a
//! fitted fuser that puts all its weight on that model.
//!
//! The baseline is the best single model *in hindsight* (chosen on all
//! validation rows), which slightly favours the baseline: a fusion that wins
//! against it wins honestly.

use std::cell::Cell;
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::fit::prune::PruneOptions;
use crate::fit::{self, FitOptions, cv};
use crate::fitted::FittedFuser;
use crate::fusers::method::NamedWeights;
use crate::fusers::{
    BlendingParams, MetaModel, OptimizedParams, RankParams, ScoreWeightedParams, SelectionParams,
    StackingParams, TieBreak, Transform, VoteParams, WeightedParams,
};
use crate::metrics::{self, Metric};
use crate::predictions::{Predictions, Targets, Task};
use crate::spec::FuserSpec;
use crate::verdict::{self, BootstrapOptions, Comparison, Interval};

/// Settings of the search.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoOptions {
    /// The metric to rank by (default: see [`default_metric`]).
    pub metric: Option<Metric>,
    /// Outer cross-validation folds.
    pub folds: usize,
    /// Seed of folds, bootstrap and every random choice inside.
    pub seed: u64,
    /// Bootstrap resamples for intervals and the paired test.
    pub resamples: usize,
    /// The candidate fusers; `None` for [`default_candidates`].
    pub candidates: Option<Vec<Candidate>>,
    /// Time allowed for the search, from its start: once it is spent, the
    /// candidates not yet started are not evaluated (each listed in
    /// [`AutoReport::skipped`], and [`AutoReport::budget_cut`] counts them),
    /// and the verdict is the best found so far, saying so. It is checked
    /// before each candidate and each of its folds, so a candidate that runs
    /// out of time stops at its next fold (and is listed with how far it
    /// got); the recommended fuser is then refitted on all rows. `None`: no limit, and
    /// the report depends only on the inputs and the seed.
    pub budget: Option<std::time::Duration>,
}

impl Default for AutoOptions {
    fn default() -> Self {
        AutoOptions {
            metric: None,
            folds: 5,
            seed: 0,
            resamples: 1000,
            candidates: None,
            budget: None,
        }
    }
}

/// A candidate fuser: a spec, optionally with pruning (model-subset search).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// The method and settings.
    pub spec: FuserSpec,
    /// Whether models are pruned first (by inner cross-validation).
    pub prune: bool,
}

impl Candidate {
    /// A candidate without pruning.
    pub fn plain(spec: FuserSpec) -> Self {
        Candidate { spec, prune: false }
    }

    /// The same candidate with pruning.
    pub fn pruned(spec: FuserSpec) -> Self {
        Candidate { spec, prune: true }
    }

    /// A short name for the leaderboard.
    pub fn name(&self, task: Task) -> String {
        let base = self.spec.describe(task);
        if self.prune {
            format!("{base} + pruning")
        } else {
            base
        }
    }

    fn options(&self, metric: Metric, seed: u64) -> FitOptions {
        FitOptions {
            prune: self.prune.then(|| PruneOptions {
                metric: Some(metric),
                ..Default::default()
            }),
            seed,
            ..Default::default()
        }
    }
}

/// The metric `auto` ranks by when none is given: log-loss when some model
/// gives probabilities, accuracy when every model gives hard labels
/// (log-loss of one-hot guesses says little), RMSE for regression.
pub fn default_metric(preds: &Predictions) -> Metric {
    let task = preds.task();
    let all_hard = (0..preds.n_models()).all(|m| preds.is_hard(m));
    if task != Task::Regression && all_hard {
        Metric::Accuracy
    } else {
        Metric::default_for(task)
    }
}

/// The candidates tried by default for a task and metric; `seed` seeds the
/// ones with random choices (blending's split, selection's bags), and is
/// written into their specs so the report says which seed each used.
pub fn default_candidates(task: Task, metric: Metric, seed: u64) -> Vec<Candidate> {
    use FuserSpec as S;
    let mean = || S::Mean(Default::default());
    let optimized = |by, geometric| S::Optimized(OptimizedParams { by, geometric });
    let stacking = |meta, transform| {
        S::Stacking(StackingParams {
            meta: Some(meta),
            transform,
        })
    };
    let selection = S::Selection(SelectionParams {
        by: Some(metric),
        ..Default::default()
    });
    let mut v = Vec::new();
    match task {
        Task::Regression => {
            v.push(Candidate::plain(mean()));
            v.push(Candidate::plain(S::Median(Default::default())));
            v.push(Candidate::plain(optimized(None, false)));
            v.push(Candidate::plain(stacking(
                MetaModel::Ridge { alpha: 1.0 },
                None,
            )));
            v.push(Candidate::plain(stacking(MetaModel::Nnls, None)));
            v.push(Candidate::plain(selection));
            v.push(Candidate::pruned(mean()));
        }
        _ => {
            v.push(Candidate::plain(mean()));
            v.push(Candidate::plain(S::Geometric(Default::default())));
            v.push(Candidate::plain(S::Median(Default::default())));
            for tie in [TieBreak::Soft, TieBreak::BestModel] {
                v.push(Candidate::plain(S::Vote(VoteParams {
                    tie,
                    ..Default::default()
                })));
            }
            if task.is_single_label() {
                v.push(Candidate::plain(S::Rank(RankParams::default())));
            }
            v.push(Candidate::plain(S::ScoreWeighted(ScoreWeightedParams {
                by: metric,
                ..Default::default()
            })));
            v.push(Candidate::plain(optimized(None, false)));
            v.push(Candidate::plain(optimized(None, true)));
            if metric != Metric::LogLoss {
                v.push(Candidate::plain(optimized(Some(metric), false)));
            }
            let logistic = MetaModel::Logistic { c: 1.0 };
            v.push(Candidate::plain(stacking(
                logistic,
                Some(Transform::Logits),
            )));
            v.push(Candidate::plain(stacking(
                logistic,
                Some(Transform::Probabilities),
            )));
            v.push(Candidate::plain(stacking(MetaModel::Linear, None)));
            v.push(Candidate::plain(S::Blending(BlendingParams {
                meta: Some(logistic),
                ..Default::default()
            })));
            v.push(Candidate::plain(selection));
            v.push(Candidate::pruned(mean()));
            v.push(Candidate::pruned(optimized(None, false)));
        }
    }
    for c in &mut v {
        c.spec = c.spec.with_seed(seed);
    }
    v
}

/// One row of the leaderboard.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    /// A single model's name, or the candidate's description.
    pub name: String,
    /// `model` or `fuser`.
    pub kind: EntryKind,
    /// The candidate (fusers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate: Option<Candidate>,
    /// The (out-of-fold, for fusers) score with its bootstrap interval.
    pub score: Interval,
    /// The gain over the best single model, paired bootstrap (fusers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gain: Option<Comparison>,
}

/// What a leaderboard row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A single model.
    Model,
    /// A candidate fuser.
    Fuser,
}

/// A candidate that could not be evaluated, and why (a method that does not
/// apply to the task, say); the search goes on without it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Skipped {
    /// The candidate's description.
    pub name: String,
    /// The error.
    pub reason: String,
}

/// What the search recommends.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recommendation {
    /// The fuser beats the best single model with confidence.
    Fuser {
        /// Its leaderboard name.
        name: String,
    },
    /// No fuser beats the best single model with confidence: use the model.
    Model {
        /// The best single model.
        name: String,
    },
}

/// The search's result.
#[derive(Clone, Debug, Serialize)]
pub struct AutoReport {
    /// The metric everything is ranked by.
    pub metric: Metric,
    /// Outer folds.
    pub folds: usize,
    /// Samples searched on.
    pub n_samples: usize,
    /// The best single model (in hindsight, on all rows).
    pub best_model: String,
    /// Models and fusers, best first.
    pub leaderboard: Vec<Entry>,
    /// Candidates that could not be evaluated.
    pub skipped: Vec<Skipped>,
    /// How many candidates were not evaluated because the
    /// [budget](AutoOptions::budget) was spent (they are among `skipped`).
    pub budget_cut: usize,
    /// What to use.
    pub recommendation: Recommendation,
    /// One sentence saying it.
    pub verdict: String,
    /// The recommended fuser refitted on all rows (for the model
    /// recommendation: weight one on that model).
    #[serde(skip)]
    pub fitted: Option<FittedFuser>,
}

/// Where the search is, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress<'a> {
    /// Steps done: the single models count one each, then each candidate.
    pub done: usize,
    /// All the steps.
    pub total: usize,
    /// The step starting now (a candidate's name).
    pub what: &'a str,
    /// The candidate's fold starting now and the number of folds (`None`
    /// before the candidate's first fold): the folds of one candidate cost
    /// about the same, which is what an estimate of its time left rests on.
    pub fold: Option<(usize, usize)>,
}

/// Runs the search. `progress` is called before each candidate and each of
/// its folds.
///
/// # Errors
///
/// Targets that do not match, a metric that does not apply, folds that cannot
/// be made, or no model at all. A candidate that fails is skipped, not fatal.
pub fn search(
    preds: &Predictions,
    targets: &Targets,
    opts: &AutoOptions,
    progress: impl FnMut(Progress<'_>),
) -> Result<AutoReport> {
    let started = Instant::now();
    let deadline = opts.budget.map(|b| started + b);
    let task = preds.task();
    let metric = opts.metric.unwrap_or_else(|| default_metric(preds));
    if !metric.applies_to(task) {
        return Err(Error::unsupported(format!(
            "{metric} does not apply to a {} task",
            task.name()
        )));
    }
    let boot = BootstrapOptions {
        n_resamples: opts.resamples,
        confidence: 0.95,
        seed: opts.seed,
    };
    let k = opts.folds.min(preds.n_samples());
    let folds = cv::folds_for(targets, preds.n_outputs(), k, opts.seed)?;
    let candidates = opts
        .candidates
        .clone()
        .unwrap_or_else(|| default_candidates(task, metric, opts.seed));
    let total = preds.n_models() + candidates.len();

    // Single models: their predictions are already out of sample.
    let mut leaderboard = Vec::new();
    let mut best: Option<(usize, f64)> = None;
    // Called from the per-fold hook too, which may only borrow it.
    let progress = std::cell::RefCell::new(progress);
    let report = |done: usize, what: &str, fold: Option<(usize, usize)>| {
        (progress.borrow_mut())(Progress {
            done,
            total,
            what,
            fold,
        })
    };
    report(0, "the single models", None);
    let blocks: Vec<&[f32]> = (0..preds.n_models()).map(|m| preds.model(m)).collect();
    let scores = verdict::bootstrap_intervals(metric, preds, &blocks, targets, &boot)?;
    for (m, score) in scores.into_iter().enumerate() {
        if best.is_none_or(|(_, b)| metric.better(score.estimate, b)) {
            best = Some((m, score.estimate));
        }
        leaderboard.push(Entry {
            name: preds.models()[m].clone(),
            kind: EntryKind::Model,
            candidate: None,
            score,
            gain: None,
        });
    }
    let (best_m, _) =
        best.ok_or_else(|| Error::shape("expected at least one model, found none"))?;
    let best_rows = preds.model(best_m);

    let mut skipped = Vec::new();
    let mut budget_cut = 0;
    let train_rows = preds.n_samples() - preds.n_samples() / folds.len().max(1);
    for (c, cand) in candidates.iter().enumerate() {
        let name = cand.name(task);
        report(preds.n_models() + c, &name, None);
        if let Some(budget) = opts.budget.filter(|b| started.elapsed() >= *b) {
            budget_cut += 1;
            skipped.push(Skipped {
                name,
                reason: format!(
                    "not evaluated: the time budget of {} s was spent",
                    budget.as_secs_f64()
                ),
            });
            continue;
        }
        if let Some(reason) = too_big(cand, preds, train_rows) {
            skipped.push(Skipped { name, reason });
            continue;
        }
        // The budget is checked before each fold too: a slow candidate stops
        // at its next fold once the time is spent.
        let stopped_at = Cell::new(None);
        let evaluated = fit::out_of_fold_checked(
            &cand.spec,
            &cand.options(metric, opts.seed),
            preds,
            targets,
            &folds,
            |f| {
                report(preds.n_models() + c, &name, Some((f, folds.len())));
                match deadline {
                    Some(d) if Instant::now() >= d => {
                        stopped_at.set(Some(f));
                        Err(Error::invalid_value("the time budget was spent"))
                    }
                    _ => Ok(()),
                }
            },
        )
        .and_then(|oof| {
            let score = verdict::bootstrap_interval(metric, preds, oof.model(0), targets, &boot)?;
            let gain =
                verdict::paired_comparison(metric, preds, oof.model(0), best_rows, targets, &boot)?;
            Ok((score, gain))
        });
        match evaluated {
            Ok((score, gain)) => leaderboard.push(Entry {
                name,
                kind: EntryKind::Fuser,
                candidate: Some(cand.clone()),
                score,
                gain: Some(gain),
            }),
            Err(_) if stopped_at.get().is_some() => {
                budget_cut += 1;
                skipped.push(Skipped {
                    name,
                    reason: format!(
                        "stopped after {} of {} folds: the time budget of {} s was spent",
                        stopped_at.get().unwrap_or(0),
                        folds.len(),
                        opts.budget.map_or(0.0, |b| b.as_secs_f64())
                    ),
                });
            }
            Err(e) => skipped.push(Skipped {
                name,
                reason: e.to_string(),
            }),
        }
    }
    // Best first; equal scores keep their order (models before fusers, then
    // candidate order), so the ranking is deterministic.
    leaderboard.sort_by(|a, b| metric.best_first(a.score.estimate, b.score.estimate));

    let best_name = preds.models()[best_m].clone();
    let top_fuser = leaderboard.iter().find(|e| e.kind == EntryKind::Fuser);
    let (recommendation, verdict, fitted) = match top_fuser {
        Some(e) if e.gain.as_ref().is_some_and(|g| g.low > 0.0) => {
            let g = e.gain.as_ref().expect("checked");
            let cand = e.candidate.as_ref().expect("fusers have candidates");
            let fitted =
                cand.spec
                    .fit_with(preds, Some(targets), &cand.options(metric, opts.seed))?;
            (
                Recommendation::Fuser {
                    name: e.name.clone(),
                },
                format!(
                    "fusion helps: {} beats the best single model, {best_name}, by {:+.4} {metric} (95% CI {:+.4} to {:+.4}, p = {:.3})",
                    e.name, g.gain, g.low, g.high, g.p_value
                ),
                fitted,
            )
        }
        top => {
            let why = match top.and_then(|e| e.gain.as_ref().map(|g| (e, g))) {
                Some((e, g)) => format!(
                    "the best fuser, {}, changes {metric} by {:+.4} (95% CI {:+.4} to {:+.4}, p = {:.3}), which is not a confident gain",
                    e.name, g.gain, g.low, g.high, g.p_value
                ),
                None => "no fuser could be evaluated".to_string(),
            };
            let weights: NamedWeights = preds
                .models()
                .iter()
                .map(|m| (m.clone(), if *m == best_name { 1.0 } else { 0.0 }))
                .collect();
            let fitted =
                FuserSpec::Weighted(WeightedParams { weights }).fit(preds, Some(targets))?;
            (
                Recommendation::Model {
                    name: best_name.clone(),
                },
                format!(
                    "fusion does not help here: no fuser beats the best single model, {best_name}, with confidence ({why}); use {best_name} alone"
                ),
                fitted,
            )
        }
    };
    report(total, "done", None);
    let verdict = match (budget_cut, opts.budget) {
        (0, _) | (_, None) => verdict,
        (cut, Some(budget)) => format!(
            "{verdict}; this is the best found within the time budget of {} s: {cut} of {} candidate fusers were not evaluated",
            budget.as_secs_f64(),
            candidates.len()
        ),
    };
    Ok(AutoReport {
        metric,
        folds: folds.len(),
        n_samples: preds.n_samples(),
        best_model: best_name,
        leaderboard,
        skipped,
        budget_cut,
        recommendation,
        verdict,
        fitted: Some(fitted),
    })
}

/// Why a candidate is not worth evaluating here, if it is not: a logistic
/// meta-model with more parameters than training rows overfits (it loses to
/// the plain models) and takes minutes per fold; `fit --method stacking`
/// still runs it on request.
fn too_big(cand: &Candidate, preds: &Predictions, train_rows: usize) -> Option<String> {
    let params = cand.spec.logistic_parameters(preds)?;
    (params > train_rows).then(|| {
        format!(
            "a logistic meta-model on {} models × {} classes has {params} parameters for {train_rows} training rows per fold, so it would overfit; try stacking with --meta linear, or fit it yourself with `modelfuse fit --method stacking`",
            preds.n_models(),
            preds.n_outputs()
        )
    })
}

/// Scores fused test predictions beside the best single model's: each with
/// its interval, and the paired gain.
///
/// # Errors
///
/// As [`verdict::paired_comparison`].
pub fn score_test(
    metric: Metric,
    test: &Predictions,
    fused: &Predictions,
    best_model: &str,
    targets: &Targets,
    opts: &AutoOptions,
) -> Result<TestScore> {
    let boot = BootstrapOptions {
        n_resamples: opts.resamples,
        confidence: 0.95,
        seed: opts.seed,
    };
    let m = test.model_index(best_model).ok_or_else(|| {
        Error::new(
            crate::ErrorKind::Mismatch,
            format!("expected the model '{best_model}' among the test predictions, found none"),
        )
    })?;
    Ok(TestScore {
        fused: verdict::bootstrap_interval(metric, test, fused.model(0), targets, &boot)?,
        best_model: verdict::bootstrap_interval(metric, test, test.model(m), targets, &boot)?,
        gain: verdict::paired_comparison(
            metric,
            test,
            fused.model(0),
            test.model(m),
            targets,
            &boot,
        )?,
        all: metrics::evaluate(fused, 0, targets)?,
    })
}

/// The recommended fusion on the test set.
#[derive(Clone, Debug, Serialize)]
pub struct TestScore {
    /// The fused predictions' score.
    pub fused: Interval,
    /// The best (validation) single model's score.
    pub best_model: Interval,
    /// Fused minus best model, paired.
    pub gain: Comparison,
    /// Every metric of the fused predictions.
    pub all: Vec<(Metric, f64)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusers::MeanParams;
    use crate::fusers::test_support::probs;

    #[test]
    fn progress_comes_before_each_candidate_and_each_of_its_folds() {
        let n = 30;
        let y: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let model = |skill: f32| -> Vec<f32> {
            y.iter()
                .flat_map(|&c| {
                    let p = if c == 1 { skill } else { 1.0 - skill };
                    [1.0 - p, p]
                })
                .collect()
        };
        let preds = probs(&[model(0.7), model(0.6)], 2);
        let mean = FuserSpec::Mean(MeanParams {});
        let opts = AutoOptions {
            folds: 3,
            resamples: 50,
            candidates: Some(vec![
                Candidate::plain(mean.clone()),
                Candidate::pruned(mean),
            ]),
            ..Default::default()
        };
        let mut seen = Vec::new();
        search(&preds, &Targets::Classes(y.clone()), &opts, |p| {
            seen.push((p.done, p.total, p.what.to_string(), p.fold));
        })
        .unwrap();
        let step = |done, what: &str, fold| (done, 4, what.to_string(), fold);
        let mut want = vec![step(0, "the single models", None)];
        for (c, what) in ["mean", "mean + pruning"].into_iter().enumerate() {
            want.push(step(2 + c, what, None));
            want.extend((0..3).map(|f| step(2 + c, what, Some((f, 3)))));
        }
        want.push(step(4, "done", None));
        assert_eq!(seen, want);
    }
}
