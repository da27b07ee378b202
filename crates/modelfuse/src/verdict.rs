//! Is the fusion really better? Bootstrap confidence intervals for a metric,
//! and paired bootstrap comparisons of two predictors on the same samples.
//!
//! A fusion that scores 0.812 against the best model's 0.805 may just have
//! been lucky with these test samples. Resampling the samples with
//! replacement shows how much the metric moves with the sample, and scoring
//! both predictors on the **same** resamples (a paired bootstrap) cancels the
//! variation they share, the hard and easy samples, so that small but
//! consistent gains are detected.
//!
//! * [`bootstrap_interval`]: a percentile interval for one predictor's metric.
//! * [`paired_comparison`]: the gain of `a` over `b`, its percentile interval
//!   and a two-sided bootstrap p-value; [`Comparison::verdict`] reads it as
//!   [`Verdict::Better`], [`Verdict::NotDistinguishable`] or [`Verdict::Worse`].
//!
//! Evaluate on samples that played no part in fitting the fusion (a held-out
//! split, or the test folds of cross-validation): on the samples it was
//! fitted to, a learned fusion looks better than it is, and no resampling of
//! those samples can tell.
//!
//! # Resampling, exactly
//!
//! Resample `r` (for `r` in `0..n_resamples`) draws `n` sample indices, each
//! `Rng::new(seed).fork(r).below(n)` in turn, with one forked generator per
//! resample; it scores the gathered rows against the gathered targets with
//! [`metrics::score_rows`]. Resamples run in parallel (rayon), and because
//! each has its own generator, the results do not depend on the number of
//! threads. `scripts/golden/verdict_golden.py` re-implements the generator in
//! Python and draws the same resamples.
//!
//! A resample on which the metric is undefined (ROC-AUC on a resample
//! without a positive sample, say) is skipped and counted; the interval and
//! p-value come from the remaining resamples. Many skipped resamples mean the
//! test set is too small for that metric.
//!
//! # Percentiles
//!
//! Interval bounds are the `(1 − confidence) / 2` and `(1 + confidence) / 2`
//! quantiles of the resampled values, with NumPy's default `linear`
//! interpolation (`numpy.quantile(values, q)`): position `h = (B − 1)·q` in
//! the sorted values, interpolated between its neighbours, where `B` is the
//! number of resamples on which the metric was defined.

use rayon::prelude::*;

use crate::error::{Error, ErrorKind, Result};
use crate::learn::rng::Rng;
use crate::metrics::{self, Metric};
use crate::predictions::{Predictions, Targets};

/// How to bootstrap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BootstrapOptions {
    /// The number of resamples `B` (at least one). 1,000 gives interval
    /// bounds stable to about a tenth of their width and p-values in steps
    /// of 0.002; use 10,000 when a p-value near a threshold matters.
    pub n_resamples: usize,
    /// The coverage of the interval, strictly between 0 and 1.
    pub confidence: f64,
    /// The seed of the resamples.
    pub seed: u64,
}

impl Default for BootstrapOptions {
    /// 1,000 resamples, a 95% interval, seed 0.
    fn default() -> Self {
        BootstrapOptions {
            n_resamples: 1000,
            confidence: 0.95,
            seed: 0,
        }
    }
}

/// A metric's value and its bootstrap percentile interval.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Interval {
    /// The metric on all samples (not the mean of the resamples).
    pub estimate: f64,
    /// The lower bound.
    pub low: f64,
    /// The upper bound.
    pub high: f64,
    /// How many resamples were skipped because the metric was undefined on
    /// them.
    pub resamples_undefined: usize,
}

/// How much better `a` is than `b`, with its uncertainty.
///
/// The gain is oriented so that **positive means `a` is better**: `a − b`
/// for metrics where higher is better, `b − a` for losses and errors
/// ([`Metric::greater_is_better`]).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Comparison {
    /// The gain on all samples.
    pub gain: f64,
    /// The lower bound of the gain's percentile interval.
    pub low: f64,
    /// The upper bound of the gain's percentile interval.
    pub high: f64,
    /// The two-sided bootstrap p-value of "no gain":
    /// `min(1, 2 · min(#{g_r ≤ 0}, #{g_r ≥ 0}) / B)` over the gains `g_r` of
    /// the `B` resamples where the metric was defined for both (a gain of
    /// exactly zero counts on both sides). Up to the interpolation of
    /// percentiles, it is the smallest `1 − confidence` at which the
    /// equal-tailed interval reaches zero, so `p < 1 − confidence` goes with
    /// an interval that excludes zero. 0 means "below `1 / B`", not
    /// impossible.
    pub p_value: f64,
    /// How many resamples were skipped because the metric was undefined on
    /// them for `a` or for `b`.
    pub resamples_undefined: usize,
}

/// What a [`Comparison`] says about `a` against `b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval of the gain lies above zero.
    Better,
    /// The interval of the gain contains zero.
    NotDistinguishable,
    /// The whole interval of the gain lies below zero.
    Worse,
}

impl Comparison {
    /// [`Verdict::Better`] when the interval's lower bound is above zero,
    /// [`Verdict::Worse`] when its upper bound is below zero, and
    /// [`Verdict::NotDistinguishable`] otherwise.
    pub fn verdict(&self) -> Verdict {
        if self.low > 0.0 {
            Verdict::Better
        } else if self.high < 0.0 {
            Verdict::Worse
        } else {
            Verdict::NotDistinguishable
        }
    }
}

/// The bootstrap percentile interval of `metric` for the rows of one
/// predictor (`samples × outputs`, with the samples, classes and task of
/// `template`; for example a fused prediction's values, or one model's).
///
/// # Errors
///
/// * [`ErrorKind::InvalidParameter`] when `n_resamples` is zero or
///   `confidence` is not strictly between 0 and 1.
/// * The errors of [`metrics::score_rows`] on all samples: rows or targets
///   of the wrong shape, a metric that does not apply to the task or is
///   undefined on these targets.
/// * [`ErrorKind::InvalidValue`] when the metric is undefined on every
///   resample.
///
/// # Example
///
/// ```
/// use modelfuse::metrics::Metric;
/// use modelfuse::verdict::{BootstrapOptions, bootstrap_interval};
/// use modelfuse::{Predictions, Targets, Task};
///
/// let preds = Predictions::new(
///     Task::Binary,
///     vec!["bert".into()],
///     (0..4).map(|i| i.to_string()).collect(),
///     vec!["neg".into(), "pos".into()],
///     vec![0.9, 0.1, 0.3, 0.7, 0.6, 0.4, 0.2, 0.8],
/// )?;
/// let truth = Targets::Classes(vec![0, 1, 1, 1]);
/// let opts = BootstrapOptions { seed: 7, ..Default::default() };
/// let ci = bootstrap_interval(Metric::Accuracy, &preds, preds.model(0), &truth, &opts)?;
/// assert_eq!(ci.estimate, 0.75);
/// assert!(ci.low <= ci.estimate && ci.estimate <= ci.high);
/// # Ok::<(), modelfuse::Error>(())
/// ```
pub fn bootstrap_interval(
    metric: Metric,
    template: &Predictions,
    rows: &[f32],
    targets: &Targets,
    opts: &BootstrapOptions,
) -> Result<Interval> {
    check(opts)?;
    let estimate = metrics::score_rows(metric, template, rows, targets)?;
    let outcomes = resampled(template, targets, opts, &[rows], metric)?;
    interval(&outcomes, 0, estimate, metric, opts)
}

/// The interval of block `b` of `outcomes` around its `estimate`.
fn interval(
    outcomes: &[Option<Vec<f64>>],
    b: usize,
    estimate: f64,
    metric: Metric,
    opts: &BootstrapOptions,
) -> Result<Interval> {
    let mut values: Vec<f64> = outcomes.iter().flatten().map(|v| v[b]).collect();
    let resamples_undefined = opts.n_resamples - values.len();
    let (low, high) = bounds(&mut values, metric, opts)?;
    Ok(Interval {
        estimate,
        low,
        high,
        resamples_undefined,
    })
}

/// [`bootstrap_interval`] of several predictors on the same samples, in
/// order: each result is the one [`bootstrap_interval`] gives alone. A
/// metric that is a mean of per-sample terms (log-loss, accuracy, Brier,
/// MAE, RMSE) draws each resample once for all of them, so scoring many
/// models costs little more than one; other metrics score each on its own.
///
/// # Errors
///
/// As [`bootstrap_interval`], for the first predictor that fails.
pub fn bootstrap_intervals(
    metric: Metric,
    template: &Predictions,
    rows: &[&[f32]],
    targets: &Targets,
    opts: &BootstrapOptions,
) -> Result<Vec<Interval>> {
    check(opts)?;
    let estimates = rows
        .iter()
        .map(|r| metrics::score_rows(metric, template, r, targets))
        .collect::<Result<Vec<f64>>>()?;
    let shared = !rows.is_empty()
        && rows
            .iter()
            .all(|r| metrics::sample_terms(metric, template, r, targets).is_some());
    if !shared {
        return rows
            .iter()
            .map(|r| bootstrap_interval(metric, template, r, targets, opts))
            .collect();
    }
    // Defined on every resample (a mean of terms), so no resample is lost.
    let outcomes = resampled(template, targets, opts, rows, metric)?;
    estimates
        .into_iter()
        .enumerate()
        .map(|(b, estimate)| interval(&outcomes, b, estimate, metric, opts))
        .collect()
}

/// Compares two predictors on the same samples with a paired bootstrap:
/// each resample scores both `rows_a` and `rows_b`, and the interval and
/// p-value are those of the per-resample gain of `a` over `b` (see
/// [`Comparison`]).
///
/// # Errors
///
/// As [`bootstrap_interval`], for either predictor; and
/// [`ErrorKind::InvalidValue`] when no resample has the metric defined for
/// both.
///
/// # Example
///
/// ```
/// use modelfuse::metrics::Metric;
/// use modelfuse::verdict::{BootstrapOptions, Verdict, paired_comparison};
/// use modelfuse::{Predictions, Targets, Task};
///
/// // Model "a" is right on every sample, "b" on none.
/// let preds = Predictions::new(
///     Task::Binary,
///     vec!["a".into(), "b".into()],
///     (0..20).map(|i| i.to_string()).collect(),
///     vec!["neg".into(), "pos".into()],
///     [[0.8f32, 0.2].repeat(20), [0.3f32, 0.7].repeat(20)].concat(),
/// )?;
/// let truth = Targets::Classes(vec![0; 20]);
/// let c = paired_comparison(
///     Metric::Accuracy, &preds, preds.model(0), preds.model(1), &truth,
///     &BootstrapOptions::default(),
/// )?;
/// assert_eq!((c.gain, c.low, c.high, c.p_value), (1.0, 1.0, 1.0, 0.0));
/// assert_eq!(c.verdict(), Verdict::Better);
/// # Ok::<(), modelfuse::Error>(())
/// ```
pub fn paired_comparison(
    metric: Metric,
    template: &Predictions,
    rows_a: &[f32],
    rows_b: &[f32],
    targets: &Targets,
    opts: &BootstrapOptions,
) -> Result<Comparison> {
    check(opts)?;
    let a = metrics::score_rows(metric, template, rows_a, targets)?;
    let b = metrics::score_rows(metric, template, rows_b, targets)?;
    let gain = |a: f64, b: f64| metric.gain(a, b);
    let outcomes = resampled(template, targets, opts, &[rows_a, rows_b], metric)?;
    let mut gains: Vec<f64> = outcomes
        .iter()
        .flatten()
        .map(|v| gain(v[0], v[1]))
        .collect();
    let resamples_undefined = opts.n_resamples - gains.len();
    let (low, high) = bounds(&mut gains, metric, opts)?;
    let at_most_zero = gains.iter().filter(|&&g| g <= 0.0).count();
    let at_least_zero = gains.iter().filter(|&&g| g >= 0.0).count();
    let p_value = (2.0 * at_most_zero.min(at_least_zero) as f64 / gains.len() as f64).min(1.0);
    Ok(Comparison {
        gain: gain(a, b),
        low,
        high,
        p_value,
        resamples_undefined,
    })
}

/// [`paired_comparison`] for metrics that are not functions of prediction
/// rows: corpus-level scores computed from additive per-item statistics
/// (entity F1 from per-sentence true positive, false positive and false
/// negative counts; SQuAD exact match from per-question scores; chrF from
/// per-segment n-gram counts).
///
/// `a` and `b` hold `width` statistics per item, row-major, for the same
/// items in the same order; `score` turns the column sums of a (resampled)
/// set of items into the metric, with `None` where it is undefined (no
/// entities at all, say). Items are resampled with replacement exactly as
/// [`paired_comparison`] resamples rows (the same seeds draw the same items),
/// the gain is `score(a) − score(b)` when `greater_is_better`, else
/// `score(b) − score(a)`, and the interval and p-value follow the same rules.
///
/// Cost: O(`n_resamples` · items · `width`), resamples in parallel; the
/// result does not depend on the number of threads.
///
/// # Errors
///
/// [`ErrorKind::Shape`] when `width` is zero, the lengths differ, are not a
/// multiple of `width`, or there are no items;
/// [`ErrorKind::InvalidParameter`] for bad options;
/// [`ErrorKind::InvalidValue`] when the metric is undefined on all the items
/// or on every resample.
pub fn paired_comparison_by<F>(
    a: &[f64],
    b: &[f64],
    width: usize,
    greater_is_better: bool,
    score: F,
    opts: &BootstrapOptions,
) -> Result<Comparison>
where
    F: Fn(&[f64]) -> Option<f64> + Sync,
{
    check(opts)?;
    if width == 0 || a.len() != b.len() || !a.len().is_multiple_of(width) || a.is_empty() {
        return Err(Error::new(
            ErrorKind::Shape,
            format!(
                "expected two equal, non-empty sets of {width} statistics per item, found {} and {} values",
                a.len(),
                b.len()
            ),
        ));
    }
    let n = a.len() / width;
    let sums = |stats: &[f64], picks: Option<&[usize]>| -> Vec<f64> {
        let mut total = vec![0.0; width];
        let mut add = |i: usize| {
            for (t, v) in total.iter_mut().zip(&stats[i * width..(i + 1) * width]) {
                *t += v;
            }
        };
        match picks {
            Some(picks) => picks.iter().for_each(|&i| add(i)),
            None => (0..n).for_each(add),
        }
        total
    };
    let oriented = |x: f64, y: f64| if greater_is_better { x - y } else { y - x };
    let undefined = || {
        Error::new(
            ErrorKind::InvalidValue,
            "the metric is undefined on these items",
        )
    };
    let whole_a = score(&sums(a, None)).ok_or_else(undefined)?;
    let whole_b = score(&sums(b, None)).ok_or_else(undefined)?;
    let rng = Rng::new(opts.seed);
    let outcomes: Vec<Option<f64>> = (0..opts.n_resamples)
        .into_par_iter()
        .map(|r| {
            let mut draw = rng.fork(r as u64);
            let picks: Vec<usize> = (0..n).map(|_| draw.below(n)).collect();
            let sa = score(&sums(a, Some(&picks)))?;
            let sb = score(&sums(b, Some(&picks)))?;
            Some(oriented(sa, sb))
        })
        .collect();
    let mut gains: Vec<f64> = outcomes.into_iter().flatten().collect();
    let resamples_undefined = opts.n_resamples - gains.len();
    if gains.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!(
                "the metric is undefined on every one of the {} resamples",
                opts.n_resamples
            ),
        ));
    }
    gains.sort_unstable_by(f64::total_cmp);
    let alpha = (1.0 - opts.confidence) / 2.0;
    let (low, high) = (quantile(&gains, alpha), quantile(&gains, 1.0 - alpha));
    let at_most_zero = gains.iter().filter(|&&g| g <= 0.0).count();
    let at_least_zero = gains.iter().filter(|&&g| g >= 0.0).count();
    let p_value = (2.0 * at_most_zero.min(at_least_zero) as f64 / gains.len() as f64).min(1.0);
    Ok(Comparison {
        gain: oriented(whole_a, whole_b),
        low,
        high,
        p_value,
        resamples_undefined,
    })
}

fn check(opts: &BootstrapOptions) -> Result<()> {
    if opts.n_resamples == 0 {
        return Err(Error::param("expected at least one resample, found 0"));
    }
    if !(opts.confidence > 0.0 && opts.confidence < 1.0) {
        return Err(Error::param(format!(
            "expected a confidence strictly between 0 and 1, found {}",
            opts.confidence
        )));
    }
    Ok(())
}

/// Resample `r`'s samples: `n` draws with replacement from the resample's
/// own stream, so that every resampling path draws the same ones.
fn draw_picks(rng: &Rng, r: usize, n: usize) -> Vec<usize> {
    let mut draw = rng.fork(r as u64);
    (0..n).map(|_| draw.below(n)).collect()
}

/// The scores of every block in `rows` on each resample, in resample order;
/// `None` where the metric is undefined for some block.
///
/// The inputs were scored on all samples first, so the only error left for
/// a resample is an undefined metric; any other is passed on all the same.
fn resampled(
    template: &Predictions,
    targets: &Targets,
    opts: &BootstrapOptions,
    rows: &[&[f32]],
    metric: Metric,
) -> Result<Vec<Option<Vec<f64>>>> {
    let n = template.n_samples();
    let rng = Rng::new(opts.seed);
    // A metric that is a mean of per-sample terms is resampled from them:
    // the same picks and the same sums, so the same values, at the cost of
    // a gather instead of a copy of every row and the metric again.
    let terms: Option<Vec<metrics::SampleTerms>> = rows
        .iter()
        .map(|block| metrics::sample_terms(metric, template, block, targets))
        .collect();
    if let Some(terms) = terms {
        return Ok((0..opts.n_resamples)
            .into_par_iter()
            .map(|r| {
                let picks = draw_picks(&rng, r, n);
                Some(terms.iter().map(|t| t.on(&picks)).collect())
            })
            .collect());
    }
    resampled_by_rows(template, targets, opts, rows, metric)
}

/// [`resampled`] for any metric: each resample's rows are gathered and
/// scored again.
fn resampled_by_rows(
    template: &Predictions,
    targets: &Targets,
    opts: &BootstrapOptions,
    rows: &[&[f32]],
    metric: Metric,
) -> Result<Vec<Option<Vec<f64>>>> {
    let n = template.n_samples();
    let k = template.n_outputs();
    let rng = Rng::new(opts.seed);
    let outcomes: Vec<Result<Option<Vec<f64>>>> = (0..opts.n_resamples)
        .into_par_iter()
        .map_init(
            || vec![0f32; n * k],
            |buf, r| {
                let picks = draw_picks(&rng, r, n);
                // A resample has as many samples as the template, so the
                // template still describes it: only the order and
                // multiplicity of rows change.
                let truth = gather_targets(targets, &picks);
                let mut scores = Vec::with_capacity(rows.len());
                for block in rows {
                    for (dst, &i) in buf.chunks_exact_mut(k).zip(&picks) {
                        dst.copy_from_slice(&block[i * k..(i + 1) * k]);
                    }
                    match metrics::score_rows(metric, template, buf, &truth) {
                        Ok(v) => scores.push(v),
                        Err(e) if e.kind() == ErrorKind::InvalidValue => return Ok(None),
                        Err(e) => return Err(e),
                    }
                }
                Ok(Some(scores))
            },
        )
        .collect();
    outcomes.into_iter().collect()
}

/// The targets of the samples `picks`, in that order.
fn gather_targets(targets: &Targets, picks: &[usize]) -> Targets {
    match targets {
        Targets::Classes(y) => Targets::Classes(picks.iter().map(|&i| y[i]).collect()),
        Targets::Values(y) => Targets::Values(picks.iter().map(|&i| y[i]).collect()),
        Targets::Multilabel { n_labels, matrix } => Targets::Multilabel {
            n_labels: *n_labels,
            matrix: picks
                .iter()
                .flat_map(|&i| &matrix[i * n_labels..(i + 1) * n_labels])
                .copied()
                .collect(),
        },
    }
}

/// The interval bounds of the defined resampled values (sorted in place).
fn bounds(values: &mut [f64], metric: Metric, opts: &BootstrapOptions) -> Result<(f64, f64)> {
    if values.is_empty() {
        return Err(Error::invalid_value(format!(
            "{metric} is undefined on every one of the {} resamples",
            opts.n_resamples
        )));
    }
    values.sort_unstable_by(f64::total_cmp);
    let alpha = (1.0 - opts.confidence) / 2.0;
    Ok((quantile(values, alpha), quantile(values, 1.0 - alpha)))
}

/// NumPy's `quantile(values, q, method="linear")` of sorted, non-empty
/// values, computed the way NumPy does so that the two agree to the ulp.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let last = sorted.len() - 1;
    let h = last as f64 * q;
    if h >= last as f64 {
        return sorted[last];
    }
    let below = h.floor();
    let (a, b) = (sorted[below as usize], sorted[below as usize + 1]);
    let t = h - below;
    // NumPy's `_lerp`: from the nearer end, which is exact at t = 0 and 1
    // and monotone in t.
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predictions::{Task, argmax};

    fn binary(models: &[&[f32]]) -> Predictions {
        let n = models[0].len() / 2;
        Predictions::new(
            Task::Binary,
            (0..models.len()).map(|m| format!("m{m}")).collect(),
            (0..n).map(|i| i.to_string()).collect(),
            vec!["neg".into(), "pos".into()],
            models.concat(),
        )
        .unwrap()
    }

    /// A noisy binary model: right with probability about `skill`.
    fn noisy(y: &[usize], skill: f64, seed: u64) -> Vec<f32> {
        let mut rng = Rng::new(seed);
        y.iter()
            .flat_map(|&c| {
                let right = rng.next_f64() < skill;
                let p = 0.55 + 0.4 * rng.next_f64();
                let p_pos = if (c == 1) == right { p } else { 1.0 - p } as f32;
                [1.0 - p_pos, p_pos]
            })
            .collect()
    }

    #[test]
    fn intervals_of_many_predictors_are_each_ones_interval_alone() {
        let y: Vec<usize> = (0..300).map(|i| i % 2).collect();
        let models: Vec<Vec<f32>> = (0..4).map(|m| noisy(&y, 0.6 + 0.1 * m as f64, m)).collect();
        let p = binary(&models.iter().map(|m| m.as_slice()).collect::<Vec<_>>());
        let t = Targets::Classes(y);
        let opts = BootstrapOptions {
            n_resamples: 300,
            confidence: 0.9,
            seed: 3,
        };
        let blocks: Vec<&[f32]> = (0..4).map(|m| p.model(m)).collect();
        // Shared draws (log-loss, accuracy) and one at a time (ROC-AUC).
        for metric in [Metric::LogLoss, Metric::Accuracy, Metric::RocAuc] {
            let all = bootstrap_intervals(metric, &p, &blocks, &t, &opts).unwrap();
            for (m, got) in all.iter().enumerate() {
                let alone = bootstrap_interval(metric, &p, blocks[m], &t, &opts).unwrap();
                assert_eq!(got, &alone, "{metric}, model {m}");
            }
        }
    }

    #[test]
    fn per_sample_terms_resample_to_the_same_bits_as_the_rows() {
        // The fast path must give exactly what scoring the gathered rows
        // gives, for every metric it takes and both kinds of targets.
        let opts = BootstrapOptions {
            n_resamples: 64,
            confidence: 0.95,
            seed: 5,
        };
        let y: Vec<usize> = (0..257).map(|i| (i * 7) % 3).collect();
        let mut rng = Rng::new(9);
        let mut rows = || -> Vec<f32> {
            (0..y.len())
                .flat_map(|_| {
                    let r = [rng.next_f64(), rng.next_f64(), rng.next_f64() * 1e-9];
                    let s: f64 = r.iter().sum();
                    r.map(|x| (x / s) as f32)
                })
                .collect()
        };
        let (a, b) = (rows(), rows());
        let multi = Predictions::new(
            Task::Multiclass { n_classes: 3 },
            vec!["a".into(), "b".into()],
            (0..y.len()).map(|i| i.to_string()).collect(),
            vec!["x".into(), "y".into(), "z".into()],
            [a, b].concat(),
        )
        .unwrap();
        let yb: Vec<usize> = (0..300).map(|i| i % 2).collect();
        let bin = binary(&[&noisy(&yb, 0.8, 1), &noisy(&yb, 0.6, 2)]);
        let values: Vec<f64> = (0..200).map(|i| (i as f64 * 0.37).sin() * 5.0).collect();
        let reg = Predictions::new(
            Task::Regression,
            vec!["a".into(), "b".into()],
            (0..values.len()).map(|i| i.to_string()).collect(),
            vec!["value".into()],
            values
                .iter()
                .map(|v| (v + 0.3) as f32)
                .chain(values.iter().map(|v| (v * 0.9) as f32))
                .collect(),
        )
        .unwrap();
        let cases = [
            (&multi, Targets::Classes(y.clone()), Metric::LogLoss),
            (&multi, Targets::Classes(y.clone()), Metric::Accuracy),
            (&multi, Targets::Classes(y.clone()), Metric::Brier),
            (&bin, Targets::Classes(yb.clone()), Metric::LogLoss),
            (&bin, Targets::Classes(yb.clone()), Metric::Brier),
            (&reg, Targets::Values(values.clone()), Metric::Rmse),
            (&reg, Targets::Values(values.clone()), Metric::Mae),
        ];
        for (p, t, metric) in cases {
            let blocks = [p.model(0), p.model(1)];
            assert!(metrics::sample_terms(metric, p, blocks[0], &t).is_some());
            let fast = resampled(p, &t, &opts, &blocks, metric).unwrap();
            let slow = resampled_by_rows(p, &t, &opts, &blocks, metric).unwrap();
            let bits = |v: &[Option<Vec<f64>>]| -> Vec<u64> {
                v.iter().flatten().flatten().map(|x| x.to_bits()).collect()
            };
            assert_eq!(bits(&fast), bits(&slow), "{metric}");
            assert_eq!(bits(&fast).len(), 2 * opts.n_resamples, "{metric}");
        }
        // The others keep the row path.
        let t = Targets::Classes(y.clone());
        assert!(metrics::sample_terms(Metric::RocAuc, &multi, multi.model(0), &t).is_none());
        assert!(metrics::sample_terms(Metric::F1Macro, &multi, multi.model(0), &t).is_none());
    }

    #[test]
    fn statistics_bootstrap_agrees_with_the_row_bootstrap_on_accuracy() {
        // Accuracy is the mean of a per-sample 0/1 statistic, so both
        // bootstraps must draw the same samples and give the same numbers.
        let y: Vec<usize> = (0..300).map(|i| i % 2).collect();
        let a = noisy(&y, 0.8, 1);
        let b = noisy(&y, 0.7, 2);
        let p = binary(&[&a, &b]);
        let t = Targets::Classes(y.clone());
        let opts = BootstrapOptions {
            n_resamples: 200,
            confidence: 0.9,
            seed: 11,
        };
        let rows =
            paired_comparison(Metric::Accuracy, &p, p.model(0), p.model(1), &t, &opts).unwrap();
        let hits = |m: usize| -> Vec<f64> {
            (0..y.len())
                .map(|i| f64::from(u8::from(argmax(p.row(m, i)) == y[i])))
                .collect()
        };
        let n = y.len() as f64;
        let by =
            paired_comparison_by(&hits(0), &hits(1), 1, true, |s| Some(s[0] / n), &opts).unwrap();
        assert!((rows.gain - by.gain).abs() < 1e-12);
        assert!((rows.low - by.low).abs() < 1e-12, "{rows:?} {by:?}");
        assert!((rows.high - by.high).abs() < 1e-12);
        assert_eq!(rows.p_value, by.p_value);
        let e =
            paired_comparison_by(&[1.0], &[1.0, 2.0], 1, true, |s| Some(s[0]), &opts).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
    }

    #[test]
    fn quantile_matches_numpy_linear() {
        // numpy.quantile([1, 2, 4, 8], [0, 0.25, 0.5, 0.9, 1]) =
        // [1, 1.75, 3, 6.8, 8].
        let v = [1.0, 2.0, 4.0, 8.0];
        let got: Vec<f64> = [0.0, 0.25, 0.5, 0.9, 1.0]
            .iter()
            .map(|&q| quantile(&v, q))
            .collect();
        assert_eq!(got, [1.0, 1.75, 3.0, 6.800000000000001, 8.0]);
        assert_eq!(quantile(&[3.0], 0.025), 3.0);
    }

    #[test]
    fn interval_brackets_the_estimate_and_is_reproducible() {
        let y: Vec<usize> = (0..200).map(|i| i % 2).collect();
        let a = noisy(&y, 0.8, 1);
        let p = binary(&[&a]);
        let t = Targets::Classes(y);
        let opts = BootstrapOptions {
            n_resamples: 300,
            ..Default::default()
        };
        let ci = bootstrap_interval(Metric::Accuracy, &p, &a, &t, &opts).unwrap();
        assert!(ci.low < ci.estimate && ci.estimate < ci.high, "{ci:?}");
        // About ±1.96·sqrt(0.8·0.2/200) ≈ ±0.055.
        assert!((0.07..0.15).contains(&(ci.high - ci.low)), "{ci:?}");
        assert_eq!(ci.resamples_undefined, 0);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let again = one.install(|| bootstrap_interval(Metric::Accuracy, &p, &a, &t, &opts));
        assert_eq!(ci, again.unwrap());
    }

    #[test]
    fn comparison_of_a_model_with_itself_is_a_tie() {
        let y: Vec<usize> = (0..50).map(|i| i % 2).collect();
        let a = noisy(&y, 0.7, 2);
        let p = binary(&[&a]);
        let t = Targets::Classes(y);
        let c = paired_comparison(Metric::LogLoss, &p, &a, &a, &t, &Default::default()).unwrap();
        assert_eq!((c.gain, c.low, c.high, c.p_value), (0.0, 0.0, 0.0, 1.0));
        assert_eq!(c.verdict(), Verdict::NotDistinguishable);
    }

    #[test]
    fn comparison_is_oriented_so_positive_means_a_is_better() {
        let y: Vec<usize> = (0..400).map(|i| i % 2).collect();
        let good = noisy(&y, 0.9, 3);
        let bad = noisy(&y, 0.6, 4);
        let p = binary(&[&good, &bad]);
        let t = Targets::Classes(y);
        let opts = BootstrapOptions::default();
        for metric in [Metric::Accuracy, Metric::LogLoss, Metric::Brier] {
            let c = paired_comparison(metric, &p, &good, &bad, &t, &opts).unwrap();
            assert!(c.gain > 0.0 && c.low > 0.0, "{metric}: {c:?}");
            assert_eq!((c.verdict(), c.p_value), (Verdict::Better, 0.0));
            let r = paired_comparison(metric, &p, &bad, &good, &t, &opts).unwrap();
            assert_eq!(r.gain, -c.gain);
            assert_eq!(r.verdict(), Verdict::Worse);
        }
    }

    #[test]
    fn undefined_resamples_are_skipped_and_counted() {
        // One positive in 30 samples: about (29/30)^30 ≈ 36% of resamples
        // have no positive, where ROC-AUC is undefined.
        let mut y = vec![0usize; 30];
        y[7] = 1;
        let a = noisy(&y, 0.8, 5);
        let b = noisy(&y, 0.6, 6);
        let p = binary(&[&a, &b]);
        let t = Targets::Classes(y);
        let opts = BootstrapOptions::default();
        let ci = bootstrap_interval(Metric::RocAuc, &p, &a, &t, &opts).unwrap();
        assert!((250..480).contains(&ci.resamples_undefined), "{ci:?}");
        let c = paired_comparison(Metric::RocAuc, &p, &a, &b, &t, &opts).unwrap();
        assert_eq!(c.resamples_undefined, ci.resamples_undefined);
    }

    #[test]
    fn multilabel_resamples_gather_whole_label_rows() {
        // A perfect multilabel predictor stays perfect on every resample,
        // which holds only if each sample's labels move with its row.
        let truth = [true, false, false, true, true, true, false, false];
        let proba: Vec<f32> = truth.iter().map(|&t| if t { 0.9 } else { 0.2 }).collect();
        let p = Predictions::new(
            Task::Multilabel { n_labels: 2 },
            vec!["m".into()],
            (0..4).map(|i| i.to_string()).collect(),
            vec!["x".into(), "y".into()],
            proba.clone(),
        )
        .unwrap();
        let t = Targets::Multilabel {
            n_labels: 2,
            matrix: truth.to_vec(),
        };
        let ci = bootstrap_interval(Metric::Accuracy, &p, &proba, &t, &Default::default());
        let ci = ci.unwrap();
        assert_eq!((ci.estimate, ci.low, ci.high), (1.0, 1.0, 1.0));
    }

    #[test]
    fn verdict_reads_the_interval() {
        let c = |low, high| Comparison {
            gain: 0.0,
            low,
            high,
            p_value: 0.5,
            resamples_undefined: 0,
        };
        assert_eq!(c(0.01, 0.2).verdict(), Verdict::Better);
        assert_eq!(c(0.0, 0.2).verdict(), Verdict::NotDistinguishable);
        assert_eq!(c(-0.1, 0.2).verdict(), Verdict::NotDistinguishable);
        assert_eq!(c(-0.3, -0.2).verdict(), Verdict::Worse);
    }

    #[test]
    fn bootstrap_rejects_bad_options_and_inputs() {
        let p = binary(&[&[0.5, 0.5]]);
        let t = Targets::Classes(vec![1]);
        let rows = p.model(0);
        for (opts, msg) in [
            (
                BootstrapOptions {
                    n_resamples: 0,
                    ..Default::default()
                },
                "expected at least one resample, found 0",
            ),
            (
                BootstrapOptions {
                    confidence: 1.0,
                    ..Default::default()
                },
                "expected a confidence strictly between 0 and 1, found 1",
            ),
        ] {
            let e = bootstrap_interval(Metric::Accuracy, &p, rows, &t, &opts).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidParameter);
            assert_eq!(e.to_string(), msg);
        }
        let opts = BootstrapOptions::default();
        let e = bootstrap_interval(Metric::Accuracy, &p, &[0.5], &t, &opts).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
        // Undefined on all samples: the error of `score_rows`, unchanged.
        let e = bootstrap_interval(Metric::RocAuc, &p, rows, &t, &opts).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
    }
}
