//! Hard majority voting.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fuser::{Fitted, Fuser, RowShape, RowSum};
use rayon::prelude::*;

use crate::fusers::method::{
    FitContext, FittedState, MethodParams, NamedWeights, SpecOptions, missing, weights_state,
};
use crate::fusers::{FUSED, accumulate, block_len, check_weights, unsupported, weights_for};
use crate::metrics::{self, Metric};
use crate::predictions::{Predictions, Targets, Task, argmax, argmax4};
use crate::weights::Weights;

/// How much a tie-break lifts the winning class's vote share (before
/// renormalising), so that the fused label, always the argmax of the fused
/// row, carries the tie-break. Far below any real difference in vote shares
/// (at least 1 / total weight of a model), far above f32 rounding.
pub const TIE_MARGIN: f64 = 1e-4;

/// What decides between classes with the same (weighted) number of votes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TieBreak {
    /// The class that comes first in the class order, as scikit-learn's
    /// `VotingClassifier(voting="hard")` does. Tied shares stay exactly tied.
    #[default]
    Lowest,
    /// The tied class with the highest (weighted) mean probability; then the
    /// lowest. Useful when models give probabilities.
    Soft,
    /// The tied class voted for by the most accurate model on the labelled
    /// fitting data (the next most accurate if that model voted otherwise;
    /// then the lowest). Needs labels at fit time; suits hard-label models,
    /// where `soft` cannot help.
    BestModel,
}

impl TieBreak {
    /// Every rule, in the order help text lists them.
    pub const ALL: &'static [TieBreak] = &[TieBreak::Lowest, TieBreak::Soft, TieBreak::BestModel];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            TieBreak::Lowest => "lowest",
            TieBreak::Soft => "soft",
            TieBreak::BestModel => "best-model",
        }
    }

    /// Whether this is the default rule (omitted from saved specs).
    pub fn is_default(&self) -> bool {
        *self == TieBreak::Lowest
    }
}

impl fmt::Display for TieBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TieBreak {
    type Err = Error;
    fn from_str(s: &str) -> Result<TieBreak> {
        TieBreak::ALL
            .iter()
            .copied()
            .find(|t| t.name() == s)
            .ok_or_else(|| {
                Error::param(format!(
                    "expected a tie rule among [lowest, soft, best-model], found '{s}'"
                ))
            })
    }
}

/// Hard (optionally weighted) majority vote.
///
/// Each model votes for its predicted class (its highest probability, ties to
/// the lowest class index) with its weight. The fused output is each class's
/// share of the votes, so rows sum to one and the fused label (the argmax) is
/// the class with the most votes.
///
/// **Ties** between classes with the same share follow the [`TieBreak`] rule;
/// the default, [`TieBreak::Lowest`], gives the class that comes first in the
/// class order, exactly as scikit-learn does. The other rules lift the winner's
/// share by [`TIE_MARGIN`] so the fused label shows it.
///
/// Multilabel: per label, the share of (weighted) models predicting it
/// (probability ≥ 0.5); a share of exactly one half counts as on, as every
/// probability of 0.5 does in modelfuse. Not defined for regression (use the
/// median).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MajorityVote {
    weights: Option<Weights>,
    tie: TieBreak,
    /// Validation accuracy of each model (for [`TieBreak::BestModel`]).
    accuracies: Option<Vec<f64>>,
}

impl MajorityVote {
    /// One vote per model, ties to the lowest class.
    pub fn new() -> Self {
        MajorityVote::default()
    }

    /// Weighted votes (one weight per model, in model order).
    pub fn with_weights(mut self, weights: Weights) -> Self {
        self.weights = Some(weights);
        self
    }

    /// The tie rule.
    pub fn with_tie(mut self, tie: TieBreak) -> Self {
        self.tie = tie;
        self
    }

    /// The fitted form, restored from what `fit` learned: the per-model
    /// accuracies that rank models for [`TieBreak::BestModel`].
    pub fn with_accuracies(mut self, accuracies: Vec<f64>) -> Self {
        self.accuracies = Some(accuracies);
        self
    }

    /// The per-model accuracies learned for the best-model tie rule.
    pub fn accuracies(&self) -> Option<&[f64]> {
        self.accuracies.as_deref()
    }

    /// Models from most to least accurate; equal accuracies keep model order.
    fn ranking(&self, n_models: usize) -> Result<Vec<usize>> {
        let acc = self.accuracies.as_ref().ok_or_else(|| {
            Error::param("the best-model tie rule ranks models by accuracy; fit it with labels")
        })?;
        if acc.len() != n_models {
            return Err(Error::shape(format!(
                "expected an accuracy for each of the {n_models} models, found {}",
                acc.len()
            )));
        }
        let mut order: Vec<usize> = (0..n_models).collect();
        order.sort_by(|&a, &b| acc[b].total_cmp(&acc[a]).then(a.cmp(&b)));
        Ok(order)
    }
}

impl Fuser for MajorityVote {
    type Fitted = MajorityVote;
    fn fit(&self, preds: &Predictions, targets: &Targets) -> Result<MajorityVote> {
        let mut fitted = self.clone();
        if self.tie == TieBreak::BestModel {
            let acc = (0..preds.n_models())
                .map(|m| metrics::score(Metric::Accuracy, preds, m, targets))
                .collect::<Result<Vec<f64>>>()?;
            fitted.accuracies = Some(acc);
        }
        Ok(fitted)
    }
}

impl Fitted for MajorityVote {
    /// Blocks of samples in parallel (rayon), each counted, tie-broken,
    /// normalised and rounded where it lies; every model's slice of a block
    /// is read once while the block's counts stay in cache. A row's votes are
    /// added in model order whatever the threads, so results do not depend on
    /// them.
    fn predict(&self, preds: &Predictions) -> Result<Predictions> {
        let w = check_weights(self.weights.as_ref(), preds)?;
        let (n, k) = (preds.n_samples(), preds.n_outputs());
        let single_label = match preds.task() {
            Task::Binary | Task::Multiclass { .. } => true,
            Task::Multilabel { .. } => false,
            Task::Regression => {
                return Err(unsupported("a vote", preds.task(), "; use median"));
            }
        };
        let ranking = match self.tie {
            TieBreak::BestModel => Some(self.ranking(preds.n_models())?),
            TieBreak::Lowest | TieBreak::Soft => None,
        };
        let block = block_len(k);
        let mut out = vec![0f32; n * k];
        out.par_chunks_mut(block).enumerate().for_each_init(
            || (vec![0f64; block], Vec::<f64>::new()),
            |(votes, soft), (b, out)| {
                let start = b * block;
                let votes = &mut votes[..out.len()];
                votes.fill(0.0);
                let len = out.len();
                let ws = w.as_slice();
                let mut m = 0;
                // Four models at a time pay off when a row's argmax is a
                // chain worth overlapping (ten classes: 16 -> 13 ms at
                // 50 x 100k on two threads); at two classes the four adds
                // into one row serialise and it was no faster.
                if single_label && k > 2 {
                    while m + 4 <= ws.len() {
                        let xs: [&[f32]; 4] =
                            std::array::from_fn(|q| &preds.model(m + q)[start..start + len]);
                        add_votes4(votes, xs, k, [ws[m], ws[m + 1], ws[m + 2], ws[m + 3]]);
                        m += 4;
                    }
                }
                for (m, &wm) in ws.iter().enumerate().skip(m) {
                    let rows = &preds.model(m)[start..start + len];
                    if single_label {
                        add_votes(votes, rows, k, wm);
                    } else {
                        for (v, &p) in votes.iter_mut().zip(rows) {
                            if p >= 0.5 {
                                *v += wm;
                            }
                        }
                    }
                }
                if single_label {
                    match (self.tie, ranking.as_deref()) {
                        (TieBreak::Soft, _) => {
                            soft.clear();
                            soft.resize(len, 0.0);
                            accumulate(preds, ws, &f64::from, start, soft);
                            break_ties(votes, k, |r, tied| {
                                soft_winner(&soft[r * k..(r + 1) * k], tied)
                            });
                        }
                        (TieBreak::BestModel, Some(order)) => break_ties(votes, k, |r, tied| {
                            order
                                .iter()
                                .map(|&m| argmax(preds.row(m, start / k + r)))
                                .find(|c| tied.contains(c))
                                .unwrap_or(tied[0])
                        }),
                        _ => {}
                    }
                    votes.chunks_exact_mut(k).for_each(super::normalize);
                }
                for (o, &v) in out.iter_mut().zip(votes.iter()) {
                    *o = v.clamp(0.0, 1.0) as f32;
                }
            },
        );
        Ok(Predictions::fused(preds, FUSED, out))
    }

    fn weights(&self) -> Option<&Weights> {
        self.weights.as_ref()
    }

    /// Streams with the lowest and soft tie rules; the best-model rule
    /// looks back at every model's vote on a tied row, so it takes them all
    /// at once.
    fn row_sum(&self, shape: RowShape) -> Result<Option<Box<dyn RowSum>>> {
        let w = weights_for(self.weights.as_ref(), shape.models)?;
        let single_label = match shape.task {
            Task::Binary | Task::Multiclass { .. } => true,
            Task::Multilabel { .. } => false,
            Task::Regression => {
                return Err(unsupported("a vote", shape.task, "; use median"));
            }
        };
        let cells = shape.rows * shape.outputs();
        let soft = match self.tie {
            TieBreak::Lowest => None,
            TieBreak::Soft => Some(vec![0.0; cells]),
            TieBreak::BestModel => return Ok(None),
        };
        Ok(Some(Box::new(VoteRowSum {
            weights: w.as_slice().to_vec(),
            k: shape.outputs(),
            single_label,
            votes: vec![0.0; cells],
            soft: soft.filter(|_| single_label),
        })))
    }
}

/// Adds `w` to the count of each row's argmax class, for the rows of `k`
/// scores in `rows` and their counts in `votes`, four rows at a time (see
/// [`argmax4`]).
fn add_votes(votes: &mut [f64], rows: &[f32], k: usize, w: f64) {
    let mut votes4 = votes.chunks_exact_mut(4 * k);
    let mut rows4 = rows.chunks_exact(4 * k);
    for (v, r) in (&mut votes4).zip(&mut rows4) {
        let best = argmax4(std::array::from_fn(|q| &r[q * k..(q + 1) * k]), k);
        for (q, &c) in best.iter().enumerate() {
            v[q * k + c] += w;
        }
    }
    let rest = votes4.into_remainder().chunks_exact_mut(k);
    for (v, row) in rest.zip(rows4.remainder().chunks_exact(k)) {
        v[argmax(row)] += w;
    }
}

/// [`add_votes`] for four models at once, row by row, each row's votes
/// added in model order: four argmax chains per row, and four streams of
/// rows read side by side.
fn add_votes4(votes: &mut [f64], xs: [&[f32]; 4], k: usize, w: [f64; 4]) {
    for (r, v) in votes.chunks_exact_mut(k).enumerate() {
        let best = argmax4(std::array::from_fn(|q| &xs[q][r * k..(r + 1) * k]), k);
        for q in 0..4 {
            v[best[q]] += w[q];
        }
    }
}

/// Lifts the winner of each tied row of `votes` (rows of `k` vote shares)
/// by [`TIE_MARGIN`]; `winner(r, tied)` picks among the tied classes of row
/// `r`, in class order.
fn break_ties(votes: &mut [f64], k: usize, winner: impl Fn(usize, &[usize]) -> usize) {
    let mut tied = Vec::with_capacity(k);
    for (r, row) in votes.chunks_exact_mut(k).enumerate() {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        tied.clear();
        // Shares are sums of the same weights in different orders:
        // compare with a tolerance far below one model's weight.
        tied.extend((0..k).filter(|&j| max - row[j] <= 1e-12));
        if tied.len() < 2 {
            continue;
        }
        row[winner(r, &tied)] += TIE_MARGIN;
    }
}

/// [`TieBreak::Soft`]: the tied class of highest weighted mean probability
/// `s` (one row), the lowest of equal means.
fn soft_winner(s: &[f64], tied: &[usize]) -> usize {
    // max_by keeps the last maximum; iterate in reverse so equal means go to
    // the lowest class.
    *tied
        .iter()
        .rev()
        .max_by(|&&a, &&b| s[a].total_cmp(&s[b]))
        .expect("at least two tied classes")
}

/// The vote of models given one at a time ([`Fitted::row_sum`]): the same
/// counts in the same order as the blocked batch kernel, and for
/// [`TieBreak::Soft`] the weighted mean beside them.
struct VoteRowSum {
    weights: Vec<f64>,
    k: usize,
    single_label: bool,
    votes: Vec<f64>,
    soft: Option<Vec<f64>>,
}

impl RowSum for VoteRowSum {
    fn add(&mut self, m: usize, block: &[f32]) {
        let (w, k) = (self.weights[m], self.k);
        let chunk = block_len(k) * 16;
        if self.single_label {
            self.votes
                .par_chunks_mut(chunk)
                .zip(block.par_chunks(chunk))
                .for_each(|(v, rows)| add_votes(v, rows, k, w));
        } else {
            self.votes
                .par_chunks_mut(chunk)
                .zip(block.par_chunks(chunk))
                .for_each(|(v, rows)| {
                    for (v, &p) in v.iter_mut().zip(rows) {
                        if p >= 0.5 {
                            *v += w;
                        }
                    }
                });
        }
        // As `accumulate` does for the soft tie rule, models of weight zero
        // add nothing to the mean.
        if let Some(soft) = &mut self.soft
            && w != 0.0
        {
            soft.par_chunks_mut(chunk)
                .zip(block.par_chunks(chunk))
                .for_each(|(s, x)| {
                    for (s, &x) in s.iter_mut().zip(x) {
                        *s += w * f64::from(x);
                    }
                });
        }
    }

    fn finish(self: Box<Self>) -> Vec<f32> {
        let VoteRowSum {
            k,
            single_label,
            mut votes,
            soft,
            ..
        } = *self;
        if single_label {
            let chunk = block_len(k);
            if let Some(soft) = &soft {
                votes
                    .par_chunks_mut(chunk)
                    .zip(soft.par_chunks(chunk))
                    .for_each(|(v, s)| {
                        break_ties(v, k, |r, tied| soft_winner(&s[r * k..(r + 1) * k], tied))
                    });
            }
            votes.par_chunks_mut(chunk).for_each(|v| {
                v.chunks_exact_mut(k).for_each(super::normalize);
            });
        }
        votes
            .into_par_iter()
            .map(|v| v.clamp(0.0, 1.0) as f32)
            .collect()
    }
}

/// The parameters of `vote`: the hard majority vote, optionally weighted,
/// with a tie rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteParams {
    /// Optional per-model vote weights, by model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<NamedWeights>,
    /// What decides a tie (default: the lowest class, as scikit-learn).
    #[serde(default, skip_serializing_if = "TieBreak::is_default")]
    pub tie: TieBreak,
}

impl MethodParams for VoteParams {
    const NAME: &'static str = "vote";
    const OPTIONS: &'static [&'static str] = &["weights", "tie"];

    fn from_options(o: &SpecOptions) -> Result<Self> {
        Ok(VoteParams {
            weights: o.weights.clone(),
            tie: o.tie.unwrap_or_default(),
        })
    }

    fn needs_targets(&self) -> bool {
        // Only the best-model tie rule ranks models by their accuracy.
        self.tie == TieBreak::BestModel
    }

    fn describe(&self, _task: Task) -> String {
        let w = if self.weights.is_some() {
            "weighted, "
        } else {
            ""
        };
        format!("vote ({w}ties: {})", self.tie)
    }

    fn named_weights(&self) -> Option<&NamedWeights> {
        self.weights.as_ref()
    }

    fn fit(&self, cx: &FitContext<'_>) -> Result<FittedState> {
        let mut state = weights_state(self.weights.as_ref(), cx.preds)?;
        if self.tie == TieBreak::BestModel {
            let t = cx.targets_for(Self::NAME)?;
            let fitted = MajorityVote::new()
                .with_tie(TieBreak::BestModel)
                .fit(cx.preds, t)?;
            state.scores = fitted.accuracies().map(<[f64]>::to_vec);
        }
        Ok(state)
    }

    fn build(&self, state: &FittedState, _n_models: usize) -> Result<Box<dyn Fitted>> {
        let mut vote = MajorityVote::new().with_tie(self.tie);
        if let Some(w) = &state.weights {
            vote = vote.with_weights(w.clone());
        }
        if self.tie == TieBreak::BestModel {
            let acc = state
                .scores
                .clone()
                .ok_or_else(|| missing(Self::NAME, "scores"))?;
            vote = vote.with_accuracies(acc);
        }
        Ok(Box::new(vote))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusers::test_support::probs;

    #[test]
    fn four_rows_at_a_time_give_each_row_its_first_maximum() {
        // 11 rows of 3 (two groups of four and a remainder), with ties.
        let rows: Vec<f32> = (0..33).map(|i| ((i * 7) % 5) as f32).collect();
        let mut votes = vec![0.0; 33];
        add_votes(&mut votes, &rows, 3, 0.5);
        let mut expected = vec![0.0; 33];
        for (v, row) in expected.chunks_exact_mut(3).zip(rows.chunks_exact(3)) {
            v[argmax(row)] += 0.5;
        }
        assert_eq!(votes, expected);
    }

    #[test]
    fn four_models_at_a_time_count_as_one_at_a_time() {
        // 6 models (a group of four and two alone) × 7 rows × 3 classes,
        // with ties inside rows, weighted.
        let k = 3;
        let blocks: Vec<Vec<f32>> = (0..6)
            .map(|m| {
                (0..21)
                    .map(|i| ((i * 5 + m * 3) % 4) as f32 + 0.5)
                    .collect()
            })
            .map(|v: Vec<f32>| {
                v.chunks(k)
                    .flat_map(|r| {
                        let s: f32 = r.iter().sum();
                        r.iter().map(move |x| x / s).collect::<Vec<_>>()
                    })
                    .collect()
            })
            .collect();
        let preds = probs(&blocks, k);
        let weights = Weights::new(vec![0.5, 1.0, 2.0, 0.25, 1.5, 3.0]).unwrap();
        let w = weights.as_slice().to_vec();
        let fused = MajorityVote::new()
            .with_weights(weights)
            .predict(&preds)
            .unwrap();
        for i in 0..7 {
            let mut counts = vec![0f64; k];
            for (m, &wm) in w.iter().enumerate() {
                counts[argmax(preds.row(m, i))] += wm;
            }
            super::super::normalize(&mut counts);
            let expected: Vec<f32> = counts.iter().map(|&c| c as f32).collect();
            assert_eq!(fused.row(0, i), expected.as_slice(), "row {i}");
        }
    }

    #[test]
    fn vote_counts_argmax_votes() {
        let p = probs(
            &[
                vec![0.6, 0.3, 0.1],
                vec![0.2, 0.7, 0.1],
                vec![0.5, 0.1, 0.4],
            ],
            3,
        );
        let f = MajorityVote::new().predict(&p).unwrap();
        let r = f.row(0, 0);
        assert!((r[0] - 2.0 / 3.0).abs() < 1e-6 && (r[1] - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(f.predicted_classes(0), vec![0]);
    }

    #[test]
    fn vote_tie_breaks_to_lowest_class_index() {
        let p = probs(&[vec![0.1, 0.9], vec![0.9, 0.1]], 2);
        let f = MajorityVote::new().predict(&p).unwrap();
        assert_eq!(f.row(0, 0), [0.5, 0.5]);
        assert_eq!(f.predicted_classes(0), vec![0]);
    }

    #[test]
    fn vote_soft_tie_break_follows_mean_probability() {
        let p = probs(&[vec![0.45, 0.55], vec![0.9, 0.1]], 2);
        let f = MajorityVote::new()
            .with_tie(TieBreak::Soft)
            .predict(&p)
            .unwrap();
        assert_eq!(f.predicted_classes(0), vec![0]);
        let p = probs(&[vec![0.05, 0.95], vec![0.6, 0.4]], 2);
        let f = MajorityVote::new()
            .with_tie(TieBreak::Soft)
            .predict(&p)
            .unwrap();
        assert_eq!(f.predicted_classes(0), vec![1]);
        assert!((f.row(0, 0)[1] - 0.5).abs() < 1e-4);
    }

    #[test]
    fn vote_best_model_tie_break_trusts_the_most_accurate_model() {
        // m0 is right on both samples, m1 on none; sample 1 is a tie.
        let p = probs(&[vec![0.9, 0.1, 0.2, 0.8], vec![0.1, 0.9, 0.7, 0.3]], 2);
        let t = Targets::Classes(vec![0, 1]);
        let vote = MajorityVote::new().with_tie(TieBreak::BestModel);
        assert!(vote.predict(&p).is_err(), "needs fitting first");
        let f = vote.fit(&p, &t).unwrap();
        assert_eq!(f.accuracies().unwrap(), [1.0, 0.0]);
        assert_eq!(f.predict(&p).unwrap().predicted_classes(0), vec![0, 1]);
    }

    #[test]
    fn weighted_vote_lets_a_heavy_model_win() {
        let p = probs(&[vec![0.1, 0.9], vec![0.9, 0.1], vec![0.8, 0.2]], 2);
        let w = Weights::new(vec![3.0, 1.0, 1.0]).unwrap();
        let f = MajorityVote::new().with_weights(w).predict(&p).unwrap();
        assert_eq!(f.predicted_classes(0), vec![1]);
    }
}
