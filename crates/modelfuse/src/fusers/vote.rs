//! Hard majority voting.

use crate::error::Result;
use crate::fuser::{Fitted, Fuser};
use crate::fusers::{FUSED, check_weights, unsupported};
use crate::predictions::{Predictions, Targets, Task, argmax};
use crate::weights::Weights;

/// Hard (optionally weighted) majority vote.
///
/// Each model votes for its predicted class (its highest probability, ties to
/// the lowest class index) with its weight. The fused output is each class's
/// share of the votes, so rows sum to one and the fused label is the class
/// with the most votes.
///
/// **Tie rule:** when several classes have the same vote share, the fused
/// label is the one that comes first in the class order (the lowest index),
/// exactly as scikit-learn's `VotingClassifier(voting="hard")` does. The
/// output shares stay tied so downstream code can see the tie.
///
/// Multilabel: per label, the share of (weighted) models predicting it
/// (probability ≥ 0.5); the fused label is on when the share is above one
/// half (a tie is off). Not defined for regression (use the median).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MajorityVote {
    weights: Option<Weights>,
}

impl MajorityVote {
    /// One vote per model.
    pub fn new() -> Self {
        MajorityVote { weights: None }
    }

    /// Weighted votes (one weight per model, in model order).
    pub fn with_weights(weights: Weights) -> Self {
        MajorityVote {
            weights: Some(weights),
        }
    }
}

impl Fuser for MajorityVote {
    type Fitted = MajorityVote;
    fn fit(&self, _preds: &Predictions, _targets: &Targets) -> Result<MajorityVote> {
        Ok(self.clone())
    }
}

impl Fitted for MajorityVote {
    fn predict(&self, preds: &Predictions) -> Result<Predictions> {
        let w = check_weights(self.weights.as_ref(), preds)?;
        let (n, k) = (preds.n_samples(), preds.n_outputs());
        let mut votes = vec![0f64; n * k];
        match preds.task() {
            Task::Binary | Task::Multiclass { .. } => {
                for (m, &wm) in w.as_slice().iter().enumerate() {
                    for (i, row) in preds.model(m).chunks_exact(k).enumerate() {
                        votes[i * k + argmax(row)] += wm;
                    }
                }
            }
            Task::Multilabel { .. } => {
                for (m, &wm) in w.as_slice().iter().enumerate() {
                    for (v, &p) in votes.iter_mut().zip(preds.model(m)) {
                        if p >= 0.5 {
                            *v += wm;
                        }
                    }
                }
            }
            Task::Regression => {
                return Err(unsupported("a vote", preds.task(), "; use median"));
            }
        }
        // Weights sum to one, so the vote totals are already shares; rounding
        // aside, single-label rows sum to one.
        if preds.task().is_single_label() {
            votes.chunks_exact_mut(k).for_each(super::normalize);
        }
        Ok(Predictions::fused(
            preds,
            FUSED,
            votes
                .into_iter()
                .map(|x| x.clamp(0.0, 1.0) as f32)
                .collect(),
        ))
    }

    fn weights(&self) -> Option<&Weights> {
        self.weights.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusers::test_support::probs;

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
    fn weighted_vote_lets_a_heavy_model_win() {
        let p = probs(&[vec![0.1, 0.9], vec![0.9, 0.1], vec![0.8, 0.2]], 2);
        let w = Weights::new(vec![3.0, 1.0, 1.0]).unwrap();
        let f = MajorityVote::with_weights(w).predict(&p).unwrap();
        assert_eq!(f.predicted_classes(0), vec![1]);
    }
}
