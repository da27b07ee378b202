//! Backward elimination for the arithmetic mean, scored from running sums.
//!
//! The mean learns nothing, so its out-of-fold fusion of a subset of the
//! models is the subset's mean row by row, and leaving model `j` out of the
//! `m` kept ones gives `(S − p_j)/(m − 1)`, where `S` is their sum. One pass
//! over the kept models per elimination step gives `S`; each removal is then
//! one pass over the N·K cells of `S` and `p_j`. The general path fits the
//! fuser by cross-validation on a copied subset for every removal: O(M²·N·K)
//! per step and two copies of the subset, against O(M·N·K) here.
//!
//! **The scores are the general path's, bit for bit.** The mean's fused cell
//! is `Σ_{i≠j} w·x_i` summed in model order (`fusers::accumulate`),
//! normalised and rounded to `f32`; `(S − p_j)/(m − 1)` sums in another
//! order, so its `f64` value differs in the last bits. Both are within a
//! bound of the exact real mean that follows from the number of terms and
//! their magnitudes (standard forward error bounds of recursive summation,
//! taken eight times over), so the general path's value lies within an
//! interval around ours. When both ends of that interval round to the same
//! `f32`, that is the general path's output; when they do not (about one
//! cell in a million), the row is summed again in model order as the general
//! path does. So the fused rows, and every score and decision made from
//! them, are identical; the unit tests check it against the general path,
//! including with every row forced through the fallback.

use rayon::prelude::*;

use crate::error::Result;
use crate::fit::prune::SubsetScores;
use crate::fusers::{block_len, finish_rows, weighted_mean};
use crate::metrics::{self, Metric};
use crate::predictions::{Predictions, Targets, Task};

/// How many times the error bounds are taken: the bounds are not tight, and
/// the interval's own arithmetic rounds too; a wider interval only sends
/// more rows to the exact fallback.
const SLACK: f64 = 8.0;

/// The unit roundoff of `f64`.
const U: f64 = f64::EPSILON / 2.0;

/// The arithmetic mean's (and the unweighted soft vote's) subset scores,
/// from running sums of the models in `preds`.
pub(crate) struct MeanSums<'a> {
    pub preds: &'a Predictions,
    pub targets: &'a Targets,
}

impl SubsetScores for MeanSums<'_> {
    fn score(&self, metric: Metric, kept: &[usize]) -> Result<f64> {
        // The mean of the subset is the weighted mean of all the models with
        // weight zero on the others: `accumulate` skips those, so the kept
        // models are summed in the same order with the same weights.
        let mut w = vec![0.0; self.preds.n_models()];
        for &m in kept {
            w[m] = 1.0 / kept.len() as f64;
        }
        let fused = weighted_mean(self.preds, &w, f64::from);
        metrics::score(metric, &fused, 0, self.targets)
    }

    fn removals(&self, metric: Metric, kept: &[usize]) -> Vec<Result<f64>> {
        self.removals_with(metric, kept, SLACK)
    }
}

impl MeanSums<'_> {
    /// [`SubsetScores::removals`] with the error bounds taken `slack` times
    /// (the tests force every row through the fallback with a huge one).
    fn removals_with(&self, metric: Metric, kept: &[usize], slack: f64) -> Vec<Result<f64>> {
        let sums = Sums::over(self.preds, kept);
        (0..kept.len())
            .into_par_iter()
            .map(|pos| {
                let rows = self.without(&sums, kept, pos, slack);
                metrics::score_rows(metric, self.preds, &rows, self.targets)
            })
            .collect()
    }

    /// The mean's fused rows on `kept` without `kept[pos]`, as the general
    /// path computes them.
    fn without(&self, sums: &Sums, kept: &[usize], pos: usize, slack: f64) -> Vec<f32> {
        let preds = self.preds;
        let (task, k) = (preds.task(), preds.n_outputs());
        let j = kept[pos];
        let left = (kept.len() - 1) as f64;
        let xj = preds.model(j);
        // |ours − exact real| and |general − exact real| are each below
        // about (m + 3)·u·Σ|x| / (m − 1): m − 1 roundings of the sum, the
        // subtraction (or the weight) and the product or division.
        let bound = slack * (kept.len() + 4) as f64 * U / left;
        let mut out = vec![0f32; preds.n_samples() * k];
        let mut v = vec![0f64; k];
        let mut d = vec![0f64; k];
        for (i, row) in out.chunks_exact_mut(k).enumerate() {
            let cells = i * k..(i + 1) * k;
            for (c, t) in cells.clone().enumerate() {
                v[c] = (sums.sum[t] - f64::from(xj[t])) / left;
                d[c] = bound * sums.abs[t];
            }
            if !round_row(task, &v, &d, slack, row) {
                exact_row(preds, kept, j, i, row);
            }
        }
        out
    }
}

/// Per cell, the kept models' sum and the sum of their magnitudes, each in
/// model order.
struct Sums {
    sum: Vec<f64>,
    abs: Vec<f64>,
}

impl Sums {
    fn over(preds: &Predictions, kept: &[usize]) -> Sums {
        let cells = preds.n_samples() * preds.n_outputs();
        let (mut sum, mut abs) = (vec![0f64; cells], vec![0f64; cells]);
        let block = block_len(preds.n_outputs());
        sum.par_chunks_mut(block)
            .zip(abs.par_chunks_mut(block))
            .enumerate()
            .for_each(|(b, (sum, abs))| {
                let start = b * block;
                for &m in kept {
                    let x = &preds.model(m)[start..start + sum.len()];
                    for ((s, a), &x) in sum.iter_mut().zip(abs.iter_mut()).zip(x) {
                        *s += f64::from(x);
                        *a += f64::from(x).abs();
                    }
                }
            });
        Sums { sum, abs }
    }
}

/// Writes the general path's output for one row whose mean is within `d`
/// of `v` (cell by cell) and returns true, or returns false when the bounds
/// do not settle some cell's `f32` (then nothing is to be trusted in `out`).
fn round_row(task: Task, v: &[f64], d: &[f64], slack: f64, out: &mut [f32]) -> bool {
    // Rounding to nearest is monotone: if both ends of an interval round to
    // the same `f32` (compared by bits, so −0 and +0 differ), so does every
    // value inside it.
    let settle = |lo: f64, hi: f64, out: &mut f32| {
        let (a, b) = (lo as f32, hi as f32);
        *out = a;
        a.to_bits() == b.to_bits()
    };
    match task {
        Task::Regression => v
            .iter()
            .zip(d)
            .zip(out.iter_mut())
            .all(|((&v, &d), o)| settle(v - d, v + d, o)),
        Task::Multilabel { .. } => v
            .iter()
            .zip(d)
            .zip(out.iter_mut())
            .all(|((&v, &d), o)| settle((v - d).clamp(0.0, 1.0), (v + d).clamp(0.0, 1.0), o)),
        Task::Binary | Task::Multiclass { .. } => {
            // The general path divides each cell by its row's sum; bound
            // that sum (its K − 1 roundings, and the cells' own bounds).
            let g = slack * (v.len() + 4) as f64 * U;
            let (s, sd): (f64, f64) = (v.iter().sum(), d.iter().sum());
            let lo_sum = (s * (1.0 - g) - sd) * (1.0 - g);
            let hi_sum = (s * (1.0 + g) + sd) * (1.0 + g);
            if !(lo_sum > 0.0 && hi_sum.is_finite()) {
                // Near an all-zero row, which the general path makes uniform.
                return false;
            }
            let q = slack * U;
            v.iter().zip(d).zip(out.iter_mut()).all(|((&v, &d), o)| {
                let lo = (v - d).max(0.0) / hi_sum * (1.0 - q);
                let hi = (v + d) / lo_sum * (1.0 + q);
                settle(lo, hi, o)
            })
        }
    }
}

/// Row `i` of the mean of `kept` without model `j`, summed in model order
/// with the mean's weight and finished as the general path does (see
/// `fusers::weighted_mean`).
fn exact_row(preds: &Predictions, kept: &[usize], j: usize, i: usize, out: &mut [f32]) {
    let k = out.len();
    let w = 1.0 / (kept.len() - 1) as f64;
    let mut acc = vec![0f64; k];
    for &m in kept.iter().filter(|&&m| m != j) {
        for (a, &x) in acc.iter_mut().zip(&preds.model(m)[i * k..(i + 1) * k]) {
            *a += w * f64::from(x);
        }
    }
    finish_rows(preds.task(), k, &mut acc);
    for (o, a) in out.iter_mut().zip(acc) {
        *o = a as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::prune::{self, PruneOptions};
    use crate::fit::{FitOptions, cv, out_of_fold};
    use crate::fusers::test_support::{build, values};
    use crate::fusers::{MeanParams, SoftVoteParams};
    use crate::learn::rng::Rng;
    use crate::predictions::TaskHint;
    use crate::spec::FuserSpec;

    /// The general path: the spec fitted out of fold on a copied subset.
    struct General<'a> {
        spec: FuserSpec,
        preds: &'a Predictions,
        targets: &'a Targets,
        folds: Vec<Vec<usize>>,
    }

    impl SubsetScores for General<'_> {
        fn score(&self, metric: Metric, kept: &[usize]) -> Result<f64> {
            let names: Vec<String> = kept
                .iter()
                .map(|&m| self.preds.models()[m].clone())
                .collect();
            let subset = self.preds.subset_models(&names)?;
            let oof = out_of_fold(
                &self.spec,
                &FitOptions::default(),
                &subset,
                self.targets,
                &self.folds,
            )?;
            metrics::score(metric, &oof, 0, self.targets)
        }
    }

    /// A cell value with the awkward cases in it: exact zeros, tiny and
    /// near-one probabilities.
    fn cell(rng: &mut Rng) -> f64 {
        match rng.below(10) {
            0 => 0.0,
            1 => 1e-30 * rng.next_f64(),
            2 => 1.0 - 1e-7 * rng.next_f64(),
            _ => rng.next_f64(),
        }
    }

    /// `m` models of `n` samples: single-label (`k` classes), multilabel or
    /// regression, models from informative to noise, with their targets.
    fn data(seed: u64, m: usize, n: usize, k: usize, kind: &str) -> (Predictions, Targets) {
        let mut rng = Rng::new(seed);
        let truth: Vec<usize> = (0..n * k.max(1)).map(|_| rng.below(k.max(2))).collect();
        let blocks: Vec<Vec<f32>> = (0..m)
            .map(|model| {
                let skill = 1.0 - model as f64 / m as f64;
                match kind {
                    "regression" => (0..n)
                        .map(|i| {
                            (truth[i] as f64 + (1.0 - skill) * (cell(&mut rng) - 0.5) * 8.0) as f32
                        })
                        .collect(),
                    "multilabel" => (0..n * k)
                        .map(|c| {
                            let hit = if truth[c] == 0 { 1.0 } else { 0.0 };
                            (skill * hit + (1.0 - skill) * cell(&mut rng)).min(1.0) as f32
                        })
                        .collect(),
                    _ => (0..n)
                        .flat_map(|i| {
                            let mut row: Vec<f64> = (0..k)
                                .map(|c| {
                                    let hit = if c == truth[i] { 2.0 } else { 0.0 };
                                    skill * hit + cell(&mut rng)
                                })
                                .collect();
                            let s: f64 = row.iter().sum();
                            row.iter_mut().for_each(|x| *x /= s);
                            row.into_iter().map(|x| x as f32).collect::<Vec<_>>()
                        })
                        .collect(),
                }
            })
            .collect();
        match kind {
            "regression" => (
                values(&blocks),
                Targets::Values(truth[..n].iter().map(|&t| t as f64).collect()),
            ),
            "multilabel" => (
                build(&blocks, k, TaskHint::Multilabel),
                Targets::Multilabel {
                    n_labels: k,
                    matrix: truth.iter().map(|&t| t == 0).collect(),
                },
            ),
            _ => (
                build(&blocks, k, TaskHint::Auto),
                Targets::Classes(truth[..n].to_vec()),
            ),
        }
    }

    fn cases() -> Vec<(Predictions, Targets, Vec<Metric>)> {
        let single = [Metric::LogLoss, Metric::Accuracy, Metric::Brier];
        vec![
            {
                let (p, t) = data(1, 9, 400, 4, "multiclass");
                (p, t, single.to_vec())
            },
            {
                let (p, t) = data(2, 6, 300, 2, "binary");
                (p, t, vec![Metric::LogLoss, Metric::RocAuc])
            },
            {
                let (p, t) = data(3, 7, 200, 3, "multilabel");
                (p, t, vec![Metric::LogLoss])
            },
            {
                let (p, t) = data(4, 8, 300, 1, "regression");
                (p, t, vec![Metric::Rmse, Metric::Mae])
            },
        ]
    }

    fn general<'a>(spec: FuserSpec, p: &'a Predictions, t: &'a Targets) -> General<'a> {
        let folds = cv::folds_for(t, p.n_outputs(), 5, 7).unwrap();
        General {
            spec,
            preds: p,
            targets: t,
            folds,
        }
    }

    fn bits(scores: Vec<Result<f64>>) -> Vec<u64> {
        scores.into_iter().map(|s| s.unwrap().to_bits()).collect()
    }

    #[test]
    fn removal_scores_are_the_general_paths_bit_for_bit() {
        for (p, t, metrics) in cases() {
            let fast = MeanSums {
                preds: &p,
                targets: &t,
            };
            let slow = general(FuserSpec::Mean(MeanParams {}), &p, &t);
            let all: Vec<usize> = (0..p.n_models()).collect();
            let some: Vec<usize> = all.iter().copied().filter(|m| m % 3 != 1).collect();
            for metric in metrics {
                for kept in [&all, &some] {
                    let want = bits(slow.removals(metric, kept));
                    assert_eq!(bits(fast.removals(metric, kept)), want, "{metric}");
                    // Every row through the exact fallback: the same again.
                    assert_eq!(
                        bits(fast.removals_with(metric, kept, 1e300)),
                        want,
                        "{metric}"
                    );
                    assert_eq!(
                        fast.score(metric, kept).unwrap().to_bits(),
                        slow.score(metric, kept).unwrap().to_bits()
                    );
                }
            }
        }
    }

    #[test]
    fn the_fallback_is_rare() {
        let (p, _) = data(5, 9, 2000, 5, "multiclass");
        let kept: Vec<usize> = (0..p.n_models()).collect();
        let sums = Sums::over(&p, &kept);
        let mut fell_back = 0;
        let mut row = vec![0f32; 5];
        let (mut v, mut d) = (vec![0f64; 5], vec![0f64; 5]);
        for i in 0..p.n_samples() {
            for c in 0..5 {
                let t = i * 5 + c;
                v[c] = (sums.sum[t] - f64::from(p.model(0)[t])) / 8.0;
                d[c] = SLACK * 13.0 * U / 8.0 * sums.abs[t];
            }
            fell_back += usize::from(!round_row(p.task(), &v, &d, SLACK, &mut row));
        }
        assert!(fell_back < 20, "{fell_back} of 2000 rows fell back");
    }

    #[test]
    fn pruning_decides_as_the_general_path() {
        for (p, t, metrics) in cases() {
            for spec in [
                FuserSpec::Mean(MeanParams {}),
                FuserSpec::SoftVote(SoftVoteParams::default()),
            ] {
                for metric in &metrics {
                    let opts = PruneOptions {
                        metric: Some(*metric),
                        min_gain: 1e-6,
                        ..Default::default()
                    };
                    let fast = MeanSums {
                        preds: &p,
                        targets: &t,
                    };
                    let want = prune::prune_by(&p, &t, &opts, &general(spec.clone(), &p, &t));
                    let got = prune::prune_by(&p, &t, &opts, &fast).unwrap();
                    let want = want.unwrap();
                    assert_eq!(got, want, "{metric}");
                    assert_eq!(got.score_after.to_bits(), want.score_after.to_bits());
                }
            }
        }
    }

    #[test]
    fn fit_with_pruning_takes_the_sums_path_with_the_same_result() {
        let (p, t) = data(6, 9, 400, 4, "multiclass");
        let options = FitOptions {
            prune: Some(PruneOptions {
                min_gain: 1e-6,
                ..Default::default()
            }),
            ..Default::default()
        };
        let spec = FuserSpec::Mean(MeanParams {});
        let fitted = spec.fit_with(&p, Some(&t), &options).unwrap();
        let folds = cv::folds_for(&t, p.n_outputs(), 5, 0).unwrap();
        let want = prune::prune(&p, &t, options.prune.as_ref().unwrap(), |s| {
            out_of_fold(&spec, &FitOptions::default(), s, &t, &folds)
        })
        .unwrap();
        assert!(!want.dropped.is_empty(), "the case should drop models");
        assert_eq!(fitted.dropped(), want.dropped.as_slice());
    }
}
