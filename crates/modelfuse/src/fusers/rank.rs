//! Rank averaging (Borda count) across classes.

use crate::error::Result;
use crate::fuser::{Fitted, Fuser};
use crate::fusers::{FUSED, check_weights, unsupported};
use crate::predictions::{Predictions, Targets, Task};
use crate::weights::Weights;

/// Rank averaging, also called the Borda count.
///
/// Each model ranks the classes of a sample by its probabilities and gives
/// each class as many points as there are classes ranked below it (tied
/// classes share the average of their points). The fused score of a class is
/// its (weighted) mean points, divided by the row total so rows sum to one.
///
/// Only the order of each model's probabilities matters, so badly calibrated
/// or differently scaled models count equally. The outputs are scores, not
/// calibrated probabilities. Defined for binary and multiclass tasks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RankAverage {
    weights: Option<Weights>,
}

impl RankAverage {
    /// Every model counts equally.
    pub fn new() -> Self {
        RankAverage { weights: None }
    }

    /// Weighted points (one weight per model, in model order).
    pub fn with_weights(weights: Weights) -> Self {
        RankAverage {
            weights: Some(weights),
        }
    }
}

impl Fuser for RankAverage {
    type Fitted = RankAverage;
    fn fit(&self, _preds: &Predictions, _targets: &Targets) -> Result<RankAverage> {
        Ok(self.clone())
    }
}

impl Fitted for RankAverage {
    fn predict(&self, preds: &Predictions) -> Result<Predictions> {
        if !preds.task().is_single_label() {
            return Err(unsupported(
                "rank averaging",
                preds.task(),
                "; it ranks mutually exclusive classes",
            ));
        }
        let w = check_weights(self.weights.as_ref(), preds)?;
        let (n, k) = (preds.n_samples(), preds.n_outputs());
        let mut acc = vec![0f64; n * k];
        let mut order: Vec<usize> = Vec::with_capacity(k);
        let mut points = vec![0f64; k];
        for (m, &wm) in w.as_slice().iter().enumerate() {
            for (i, row) in preds.model(m).chunks_exact(k).enumerate() {
                borda_points(row, &mut order, &mut points);
                for (a, p) in acc[i * k..(i + 1) * k].iter_mut().zip(&points) {
                    *a += wm * p;
                }
            }
        }
        for row in acc.chunks_exact_mut(k) {
            super::normalize(row);
        }
        debug_assert!(preds.task() != Task::Regression);
        Ok(Predictions::fused(
            preds,
            FUSED,
            acc.into_iter().map(|x| x as f32).collect(),
        ))
    }

    fn weights(&self) -> Option<&Weights> {
        self.weights.as_ref()
    }
}

/// Borda points of each class in `row`: the number of classes ranked below
/// it, ties sharing the mean of their points.
fn borda_points(row: &[f32], order: &mut Vec<usize>, points: &mut [f64]) {
    order.clear();
    order.extend(0..row.len());
    order.sort_by(|&a, &b| row[a].total_cmp(&row[b]));
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && row[order[end]] == row[order[start]] {
            end += 1;
        }
        // Positions start..end (0-based from the bottom) share their mean.
        let mean = (start + end - 1) as f64 / 2.0;
        for &j in &order[start..end] {
            points[j] = mean;
        }
        start = end;
    }
}

crate::fusers::method::optional_weights_params! {
    /// The parameters of `rank`: rank averaging (Borda count), optionally
    /// weighted.
    RankParams, "rank", |weights, _n| match weights {
        Some(w) => RankAverage::with_weights(w.clone()),
        None => RankAverage::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusers::test_support::probs;

    #[test]
    fn borda_points_share_ties() {
        let mut order = Vec::new();
        let mut points = vec![0.0; 4];
        borda_points(&[0.1, 0.4, 0.4, 0.1], &mut order, &mut points);
        assert_eq!(points, [0.5, 2.5, 2.5, 0.5]);
    }

    #[test]
    fn rank_average_ignores_scale() {
        // m0 is extremely confident in c0, m1 and m2 mildly prefer c1 > c2 > c0.
        let p = probs(
            &[
                vec![0.98, 0.01, 0.01],
                vec![0.3, 0.36, 0.34],
                vec![0.3, 0.36, 0.34],
            ],
            3,
        );
        let f = RankAverage::new().predict(&p).unwrap();
        assert_eq!(f.predicted_classes(0), vec![1]);
    }
}
