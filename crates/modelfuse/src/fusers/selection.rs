//! Ensemble selection (Caruana, Niculescu-Mizil, Crew & Ksikes, "Ensemble
//! selection from libraries of models", ICML 2004), as auto-sklearn runs it.
//!
//! Greedy forward selection with replacement: start from an empty ensemble
//! and, for a fixed number of rounds, add the model whose inclusion makes the
//! running average of the ensemble score best on labelled validation data.
//! A model may be added many times; its weight is the number of times it was
//! added over the number of rounds. The result is an integer-valued, sparse
//! weighting that often beats both the best single model and the plain mean,
//! because it can lean on good models while dropping redundant or harmful
//! ones, and it optimises exactly the metric you care about.
//!
//! The paper's refinements are options of [`EnsembleSelection`]:
//!
//! * **sorted initialisation**: start with the best `n` models by their own
//!   score, each added once, before the greedy rounds;
//! * **without replacement**: each model is added at most once (selection
//!   then stops when every model is in);
//! * **bagging**: run the selection on several random subsets of the models
//!   and average the resulting weights, which reduces overfitting the
//!   validation set when there are many models.
//!
//! # The loop, exactly
//!
//! With `S` the element-wise sum (in `f64`) of the `s` predictions chosen so
//! far, round `s + 1` scores, for every candidate model `m`, the block
//! `(S + p_m) · (1 / (s + 1))` rounded to `f32` (what a [`Predictions`]
//! stores) with [`metrics::score_rows`], and adds the best. Multiplying by the
//! reciprocal, rather than dividing, is what auto-sklearn's `_fast` loop
//! does; it also keeps the inner loop free of divisions. The scores of a round
//! are computed in parallel (rayon) but the winner is chosen afterwards, in
//! model order: the best score wins (higher or lower as
//! [`Metric::greater_is_better`] says) and **ties go to the lowest model
//! index**. auto-sklearn breaks ties uniformly at random instead; with
//! continuous metrics ties are rare, but with accuracy they are common, and a
//! fixed rule keeps the result independent of seeds and thread counts.
//!
//! # Cost
//!
//! `O(rounds · M · N · K)` time for M models, N samples and K outputs (each
//! of the `M` candidates of a round builds and scores an `N × K` block), plus
//! `O(M · N · K)` once for sorted initialisation; memory is the `N × K` `f64`
//! running sum plus one `f32` block per worker thread. Bagging multiplies the
//! time by `bags · fraction`.
//!
//! Log-loss on a single-label task, the default, reads only the probability
//! each sample gives its true class, so for it the candidates are built and
//! scored on that column alone: `O(rounds · M · N)` after an `O(M · N)`
//! gather, and an `N`-long running sum. The cells it computes are the very
//! cells of the whole block, with the same operations in the same order, so
//! the scores are bit for bit those of [`metrics::score_rows`] on the block
//! (at 50 models × 100,000 samples × 10 classes this made selection five
//! times faster; the logarithms are what is left).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fuser::{Fitted, Fuser};
use crate::fusers::method::{FitContext, FittedState, MethodParams, SpecOptions};
use crate::fusers::{WeightedMean, unsupported};
use crate::learn::driver::{Driver, Solver, Step};
use crate::learn::rng::Rng;
use crate::metrics::{self, Metric};
use crate::predictions::{Predictions, Targets, Task};
use crate::weights::Weights;

/// Settings of ensemble selection: how many rounds, which metric, and the
/// paper's options. Built with chained setters, checked when used.
///
/// # Example
///
/// ```
/// use modelfuse::fusers::EnsembleSelection;
/// use modelfuse::metrics::Metric;
/// use modelfuse::{Fitted, Fuser, Predictions, Targets, Task};
///
/// // Model "a" is right on both samples, "b" on one.
/// let preds = Predictions::new(
///     Task::Binary,
///     vec!["a".into(), "b".into()],
///     vec!["1".into(), "2".into()],
///     vec!["neg".into(), "pos".into()],
///     vec![0.8, 0.2, 0.3, 0.7, /* b: */ 0.6, 0.4, 0.9, 0.1],
/// )?;
/// let truth = Targets::Classes(vec![0, 1]);
/// let selector = EnsembleSelection::new().rounds(10).metric(Metric::LogLoss);
/// let selection = selector.select(&preds, &truth)?;
/// assert_eq!(selection.trajectory[0].0, 0); // the better model comes first
/// let fitted = selector.fit(&preds, &truth)?;
/// assert_eq!(fitted.weights(), Some(&selection.weights));
/// # Ok::<(), modelfuse::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EnsembleSelection {
    rounds: usize,
    metric: Option<Metric>,
    sorted_init: usize,
    with_replacement: bool,
    bagging: Option<Bagging>,
}

/// Bagged ensemble selection: `bags` independent selections, each over a
/// random subset of `fraction` of the models, whose weights are averaged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bagging {
    /// How many bags (at least one).
    pub bags: usize,
    /// The share of the models in each bag, in `(0, 1]`; a bag holds
    /// `floor(fraction · M)` models, at least one.
    pub fraction: f64,
    /// The seed of the bags' model subsets.
    pub seed: u64,
}

impl Default for Bagging {
    /// The paper's setting: 20 bags of half the models each.
    fn default() -> Self {
        Bagging {
            bags: 20,
            fraction: 0.5,
            seed: 0,
        }
    }
}

/// What ensemble selection chose, with its trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    /// The weight of each model: `counts[m] / Σ counts` without bagging, the
    /// mean over bags of that ratio with bagging.
    pub weights: Weights,
    /// How many times each model was added (summed over bags).
    pub counts: Vec<usize>,
    /// The model added at each round and the metric of the ensemble right
    /// after adding it, in order; sorted initialisation's models come first.
    /// With bagging, the bags' trajectories one after the other.
    pub trajectory: Vec<(usize, f64)>,
    /// The metric that was optimised (the default for the task when none was
    /// set).
    pub metric: Metric,
}

impl Default for EnsembleSelection {
    fn default() -> Self {
        Self::new()
    }
}

impl EnsembleSelection {
    /// auto-sklearn's defaults: 50 rounds with replacement, no sorted
    /// initialisation, no bagging, and the task's default metric (log-loss
    /// for classification and multilabel, RMSE for regression).
    pub fn new() -> Self {
        // The defaults live once, in the method's parameters.
        let d = SelectionParams::default();
        EnsembleSelection {
            rounds: d.rounds,
            metric: d.by,
            sorted_init: d.sorted_init,
            with_replacement: d.replacement,
            bagging: None,
        }
    }

    /// The number of models added, counting sorted initialisation's (the
    /// ensemble size of auto-sklearn). At least one.
    pub fn rounds(mut self, rounds: usize) -> Self {
        self.rounds = rounds;
        self
    }

    /// The metric to optimise; it must apply to the task.
    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = Some(metric);
        self
    }

    /// Start with the best `n` models by their own score, each added once;
    /// `0` (the default) turns this off. These `n` additions count towards
    /// [`rounds`](Self::rounds), as in auto-sklearn's implementation of the
    /// paper, so `n` may not exceed the rounds nor the number of models (in a
    /// bag, with bagging).
    pub fn sorted_init(mut self, n: usize) -> Self {
        self.sorted_init = n;
        self
    }

    /// Whether a model may be added more than once (the default). Without
    /// replacement, selection stops early once every model is in.
    pub fn with_replacement(mut self, yes: bool) -> Self {
        self.with_replacement = yes;
        self
    }

    /// Bag the selection (see [`Bagging`]); `None` (the default) runs one
    /// selection over all models.
    pub fn bagging(mut self, bagging: Option<Bagging>) -> Self {
        self.bagging = bagging;
        self
    }

    /// The metric optimised for `task`: the one set, or the task's default.
    pub fn metric_for(&self, task: Task) -> Metric {
        self.metric.unwrap_or_else(|| Metric::default_for(task))
    }

    /// Checks the settings that do not depend on the data.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::ErrorKind::InvalidParameter)
    /// when there are no rounds, more sorted-initialisation models than
    /// rounds, no bags, or a bag fraction outside `(0, 1]`.
    pub fn check(&self) -> Result<()> {
        if self.rounds == 0 {
            return Err(Error::param(
                "expected at least one round of ensemble selection, found 0",
            ));
        }
        if self.sorted_init > self.rounds {
            return Err(Error::param(format!(
                "expected sorted_init at most the {} rounds it counts towards, found {}",
                self.rounds, self.sorted_init
            )));
        }
        if let Some(b) = self.bagging {
            if b.bags == 0 {
                return Err(Error::param("expected at least one bag, found 0"));
            }
            if !(b.fraction > 0.0 && b.fraction <= 1.0) {
                return Err(Error::param(format!(
                    "expected a bag fraction in (0, 1], found {}",
                    b.fraction
                )));
            }
        }
        Ok(())
    }

    /// Runs ensemble selection on validation predictions and their targets,
    /// returning the weights and the trace.
    ///
    /// # Errors
    ///
    /// * The errors of [`check`](Self::check), and
    ///   [`ErrorKind::InvalidParameter`](crate::ErrorKind::InvalidParameter)
    ///   when sorted initialisation asks for more models than there are (in
    ///   a bag).
    /// * [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) when the
    ///   metric does not apply to the task.
    /// * [`ErrorKind::Shape`](crate::ErrorKind::Shape) when there are no
    ///   models, and the errors of [`metrics::score_rows`]: targets of the
    ///   wrong kind or length, or a metric undefined on these targets.
    pub fn select(&self, preds: &Predictions, targets: &Targets) -> Result<Selection> {
        self.check()?;
        let metric = self.metric_for(preds.task());
        if !metric.applies_to(preds.task()) {
            return Err(unsupported(
                &format!("ensemble selection by {metric}"),
                preds.task(),
                "",
            ));
        }
        let n_models = preds.n_models();
        if n_models == 0 {
            return Err(Error::shape("expected at least one model, found none"));
        }
        let truth = true_class_column(preds, targets, metric)?;
        let truth = truth.as_deref();
        let Some(bagging) = self.bagging else {
            let run = self.run(preds, targets, truth, metric, (0..n_models).collect())?;
            let weights = Weights::new(run.counts.iter().map(|&c| c as f64).collect())?;
            return Ok(Selection {
                weights,
                counts: run.counts,
                trajectory: run.trajectory,
                metric,
            });
        };
        let bag_size = ((bagging.fraction * n_models as f64).floor() as usize).clamp(1, n_models);
        let mut weights = vec![0f64; n_models];
        let mut counts = vec![0usize; n_models];
        let mut trajectory = Vec::new();
        let rng = Rng::new(bagging.seed);
        for bag in 0..bagging.bags {
            // A uniformly random subset of the models: the first `bag_size`
            // of a seeded shuffle, in model order.
            let mut pool: Vec<usize> = (0..n_models).collect();
            rng.fork(bag as u64).shuffle(&mut pool);
            pool.truncate(bag_size);
            pool.sort_unstable();
            let run = self.run(preds, targets, truth, metric, pool)?;
            let total: usize = run.counts.iter().sum();
            for (m, &c) in run.counts.iter().enumerate() {
                weights[m] += c as f64 / total as f64;
                counts[m] += c;
            }
            trajectory.extend(run.trajectory);
        }
        Ok(Selection {
            weights: Weights::new(weights)?,
            counts,
            trajectory,
            metric,
        })
    }

    /// One greedy selection over the models in `pool` (ascending indices);
    /// `truth` is the [`true_class_column`] when the metric reads nothing
    /// else.
    fn run(
        &self,
        preds: &Predictions,
        targets: &Targets,
        truth: Option<&[f32]>,
        metric: Metric,
        pool: Vec<usize>,
    ) -> Result<Run> {
        if self.sorted_init > pool.len() {
            return Err(Error::param(format!(
                "expected sorted_init at most the {} models to choose from, found {}",
                pool.len(),
                self.sorted_init
            )));
        }
        let sum_len = match truth {
            Some(_) => preds.n_samples(),
            None => preds.n_samples() * preds.n_outputs(),
        };
        let mut greedy = Greedy {
            preds,
            targets,
            metric,
            with_replacement: self.with_replacement,
            pool,
            init: Vec::new(),
            truth,
            sum: vec![0.0; sum_len],
            added: 0,
            counts: vec![0; preds.n_models()],
            trajectory: Vec::with_capacity(self.rounds),
        };
        if self.sorted_init > 0 {
            // With an empty ensemble a candidate's block is the model itself,
            // so round one's scores are the models' own scores.
            let scores = greedy.candidate_scores()?;
            let mut order: Vec<usize> = (0..scores.len()).collect();
            // Stable: equal scores keep model order (`best_first` ties 0.0
            // and -0.0); NaN never occurs, since an undefined metric is an
            // error from `score_rows`.
            order.sort_by(|&a, &b| metric.best_first(scores[a], scores[b]));
            // Popped from the back, so the best goes last.
            greedy.init = order[..self.sorted_init]
                .iter()
                .rev()
                .map(|&i| greedy.pool[i])
                .collect();
        }
        // No tolerance: the paper runs every round, and a round that makes
        // the ensemble worse is part of the method (later rounds recover).
        Driver::new(self.rounds, 0.0).run(&mut greedy)?;
        Ok(Run {
            counts: greedy.counts,
            trajectory: greedy.trajectory,
        })
    }
}

impl Fuser for EnsembleSelection {
    type Fitted = WeightedMean;

    /// The weighted mean with the weights [`select`](Self::select) finds.
    fn fit(&self, preds: &Predictions, targets: &Targets) -> Result<WeightedMean> {
        Ok(WeightedMean::new(self.select(preds, targets)?.weights))
    }
}

/// Every model's probability of each sample's true class, `n_models ×
/// n_samples`, when `metric` is log-loss on a single-label task, the one case
/// where the metric reads nothing else (see the module docs); `None`
/// otherwise.
///
/// # Errors
///
/// Those of [`metrics::score`] for targets that do not fit the predictions,
/// checked here because the column is gathered with the class indices.
fn true_class_column(
    preds: &Predictions,
    targets: &Targets,
    metric: Metric,
) -> Result<Option<Vec<f32>>> {
    let (Metric::LogLoss, Targets::Classes(y)) = (metric, targets) else {
        return Ok(None);
    };
    if !preds.task().is_single_label() {
        return Ok(None);
    }
    // The checks every candidate's `score_rows` would make: the number of
    // targets, class indices in range, targets of the task's kind.
    metrics::score(metric, preds, 0, targets)?;
    let k = preds.n_outputs();
    let mut column = Vec::with_capacity(preds.n_models() * y.len());
    for m in 0..preds.n_models() {
        let block = preds.model(m);
        column.extend(y.iter().enumerate().map(|(i, &c)| block[i * k + c]));
    }
    Ok(Some(column))
}

/// The counts and trace of one selection.
struct Run {
    counts: Vec<usize>,
    trajectory: Vec<(usize, f64)>,
}

/// The state of one greedy selection; each [`Solver::next_iter`] adds one
/// model.
struct Greedy<'a> {
    preds: &'a Predictions,
    targets: &'a Targets,
    metric: Metric,
    with_replacement: bool,
    /// The models that may still be added, ascending.
    pool: Vec<usize>,
    /// Sorted initialisation's models still to add, best last.
    init: Vec<usize>,
    /// The [`true_class_column`], when candidates are scored on it alone.
    truth: Option<&'a [f32]>,
    /// The element-wise sum of the added models' predictions: of their
    /// true-class column with `truth`, of their whole blocks without.
    sum: Vec<f64>,
    /// How many models were added (with repeats).
    added: usize,
    counts: Vec<usize>,
    trajectory: Vec<(usize, f64)>,
}

impl<'a> Greedy<'a> {
    /// Model `m`'s cells that [`sum`](Self::sum) adds up.
    fn cells(&self, m: usize) -> &'a [f32] {
        match self.truth {
            Some(column) => &column[m * self.sum.len()..(m + 1) * self.sum.len()],
            None => self.preds.model(m),
        }
    }

    /// The length of a candidate's block buffer: none is needed with
    /// `truth`.
    fn buffer_len(&self) -> usize {
        if self.truth.is_some() {
            0
        } else {
            self.sum.len()
        }
    }

    /// The score of the ensemble with model `m` added, built in `buf` (empty
    /// and unused with `truth`).
    fn candidate(&self, m: usize, buf: &mut [f32]) -> Result<f64> {
        let scale = 1.0 / (self.added + 1) as f64;
        let fused = self
            .sum
            .iter()
            .zip(self.cells(m))
            .map(|(&s, &p)| ((s + f64::from(p)) * scale) as f32);
        if self.truth.is_some() {
            return Ok(metrics::true_class_log_loss(fused, self.sum.len()));
        }
        for (b, v) in buf.iter_mut().zip(fused) {
            *b = v;
        }
        metrics::score_rows(self.metric, self.preds, buf, self.targets)
    }

    /// The score of adding each model of the pool, in pool order.
    fn candidate_scores(&self) -> Result<Vec<f64>> {
        let len = self.buffer_len();
        // One buffer per rayon job rather than per candidate: at 100,000
        // samples × 10 classes a block is 4 MB.
        let scores: Vec<Result<f64>> = self
            .pool
            .par_iter()
            .map_init(|| vec![0f32; len], |buf, &m| self.candidate(m, buf))
            .collect();
        scores.into_iter().collect()
    }

    fn add(&mut self, m: usize, score: f64) {
        let cells = self.cells(m);
        for (s, &p) in self.sum.iter_mut().zip(cells) {
            *s += f64::from(p);
        }
        self.added += 1;
        self.counts[m] += 1;
        self.trajectory.push((m, score));
        if !self.with_replacement {
            self.pool.retain(|&x| x != m);
        }
    }
}

impl Solver for Greedy<'_> {
    fn next_iter(&mut self) -> Result<Step> {
        let (m, score) = match self.init.pop() {
            Some(m) => {
                let mut buf = vec![0f32; self.buffer_len()];
                (m, self.candidate(m, &mut buf)?)
            }
            None => {
                let scores = self.candidate_scores()?;
                // In pool order and strictly better only: ties go to the
                // lowest model index.
                let mut best: Option<(usize, f64)> = None;
                for (&m, &s) in self.pool.iter().zip(&scores) {
                    if !s.is_nan() && best.is_none_or(|(_, b)| self.metric.better(s, b)) {
                        best = Some((m, s));
                    }
                }
                best.ok_or_else(|| {
                    Error::invalid_value(format!(
                        "{} is undefined for every candidate ensemble",
                        self.metric
                    ))
                })?
            }
        };
        self.add(m, score);
        let objective = self.metric.as_loss(score);
        // Nothing left to choose, or only one model, which every further
        // round would add again without changing the weights (auto-sklearn
        // stops there too).
        let converged = self.init.is_empty()
            && (self.pool.is_empty() || (self.with_replacement && self.pool.len() == 1));
        Ok(Step {
            objective,
            converged,
        })
    }
}

/// The parameters of `selection`: greedy forward ensemble selection
/// (Caruana et al. 2004), as [`EnsembleSelection`] runs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionParams {
    /// The metric the selection optimises (default: log-loss, or RMSE for
    /// regression).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Metric>,
    /// Selection rounds (the ensemble size).
    #[serde(default = "fifty")]
    pub rounds: usize,
    /// Start from the best `sorted_init` models (0: from nothing).
    #[serde(default)]
    pub sorted_init: usize,
    /// Whether a model may be picked more than once.
    #[serde(default = "yes")]
    pub replacement: bool,
    /// Number of bags (0: no bagging).
    #[serde(default)]
    pub bags: usize,
    /// The fraction of models in each bag.
    #[serde(default = "half")]
    pub bag_fraction: f64,
    /// Seed of the bags; unset, the fit's seed (and a fitted fuser's spec
    /// records the one used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

// auto-sklearn's defaults.
fn fifty() -> usize {
    50
}
fn yes() -> bool {
    true
}
fn half() -> f64 {
    0.5
}

impl Default for SelectionParams {
    fn default() -> Self {
        SelectionParams {
            by: None,
            rounds: fifty(),
            sorted_init: 0,
            replacement: yes(),
            bags: 0,
            bag_fraction: half(),
            seed: None,
        }
    }
}

impl SelectionParams {
    /// The selector these parameters describe; `seed` seeds the bags.
    fn selector(&self, seed: u64) -> EnsembleSelection {
        let mut sel = EnsembleSelection::new()
            .rounds(self.rounds)
            .sorted_init(self.sorted_init)
            .with_replacement(self.replacement);
        if let Some(by) = self.by {
            sel = sel.metric(by);
        }
        sel.bagging((self.bags > 0).then_some(Bagging {
            bags: self.bags,
            fraction: self.bag_fraction,
            seed,
        }))
    }
}

impl MethodParams for SelectionParams {
    const NAME: &'static str = "selection";
    const OPTIONS: &'static [&'static str] = &[
        "by",
        "rounds",
        "sorted-init",
        "no-replacement",
        "bags",
        "bag-fraction",
    ];

    fn from_options(o: &SpecOptions) -> Result<Self> {
        let d = SelectionParams::default();
        Ok(SelectionParams {
            by: o.by,
            rounds: o.rounds.unwrap_or(d.rounds),
            sorted_init: o.sorted_init.unwrap_or(d.sorted_init),
            replacement: !o.no_replacement,
            bags: o.bags.unwrap_or(d.bags),
            bag_fraction: o.bag_fraction.unwrap_or(d.bag_fraction),
            seed: d.seed,
        })
    }

    fn needs_targets(&self) -> bool {
        true
    }

    fn check(&self) -> Result<()> {
        // The bag fraction is checked even without bags: a spec naming a
        // fraction outside (0, 1] is wrong whatever `bags` says.
        let probe = SelectionParams {
            bags: self.bags.max(1),
            ..self.clone()
        };
        probe.selector(0).check()
    }

    fn describe(&self, task: Task) -> String {
        let by = self.selector(0).metric_for(task);
        if self.bags > 0 {
            format!(
                "selection ({by}, {} rounds, {} bags)",
                self.rounds, self.bags
            )
        } else {
            format!("selection ({by}, {} rounds)", self.rounds)
        }
    }

    fn fit(&self, cx: &FitContext<'_>) -> Result<FittedState> {
        let t = cx.targets_for(Self::NAME)?;
        let selection = self
            .selector(self.seed.unwrap_or(cx.seed))
            .select(cx.preds, t)?;
        Ok(FittedState {
            weights: Some(selection.weights),
            ..FittedState::default()
        })
    }

    fn build(&self, state: &FittedState, _n_models: usize) -> Result<Box<dyn Fitted>> {
        Ok(Box::new(WeightedMean::new(state.weights_for(Self::NAME)?)))
    }

    fn resolve_seed(&mut self, seed: u64) {
        self.seed.get_or_insert(seed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::fuser::Fitted;
    use crate::fusers::test_support::{probs, values};
    use proptest::prelude::*;

    /// Three binary models on four samples of truth [0, 1, 0, 1]: m0 is
    /// good, m1 is m0's twin, m2 is bad but right where m0 is unsure.
    fn three() -> (Predictions, Targets) {
        let good = vec![0.9, 0.1, 0.4, 0.6, 0.8, 0.2, 0.45, 0.55];
        let bad = vec![0.6, 0.4, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8];
        (
            probs(&[good.clone(), good, bad], 2),
            Targets::Classes(vec![0, 1, 0, 1]),
        )
    }

    #[test]
    fn selection_starts_with_the_best_model_and_breaks_ties_low() {
        let (p, t) = three();
        let s = EnsembleSelection::new()
            .rounds(5)
            .metric(Metric::LogLoss)
            .select(&p, &t)
            .unwrap();
        // m0 and m1 are identical: m1 is never picked.
        assert_eq!(s.trajectory[0].0, 0);
        assert_eq!(s.counts[1], 0);
        assert_eq!(s.counts.iter().sum::<usize>(), 5);
        let expected: Vec<f64> = s.counts.iter().map(|&c| c as f64 / 5.0).collect();
        assert_eq!(s.weights.as_slice(), expected.as_slice());
        let own = metrics::score(Metric::LogLoss, &p, 0, &t).unwrap();
        assert_eq!(s.trajectory[0].1, own);
    }

    #[test]
    fn selection_optimises_the_metric_direction() {
        // Accuracy is higher-is-better: m0 and its twin m1 are right on all
        // four samples, m2 on three; the tie between m0 and m1 goes to m0.
        let (p, t) = three();
        let s = EnsembleSelection::new()
            .rounds(1)
            .metric(Metric::Accuracy)
            .select(&p, &t)
            .unwrap();
        assert_eq!(s.trajectory, [(0, 1.0)]);
    }

    #[test]
    fn selection_without_replacement_stops_when_all_are_in() {
        let (p, t) = three();
        let s = EnsembleSelection::new()
            .rounds(10)
            .with_replacement(false)
            .select(&p, &t)
            .unwrap();
        assert_eq!(s.counts, [1, 1, 1]);
        assert_eq!(s.trajectory.len(), 3);
        assert_eq!(s.weights, Weights::uniform(3));
    }

    #[test]
    fn sorted_init_adds_the_best_models_first() {
        let (p, t) = three();
        let own: Vec<f64> = (0..3)
            .map(|m| metrics::score(Metric::Brier, &p, m, &t).unwrap())
            .collect();
        let s = EnsembleSelection::new()
            .rounds(4)
            .metric(Metric::Brier)
            .sorted_init(2)
            .select(&p, &t)
            .unwrap();
        // m0 and m1 tie on their own score; the stable sort keeps m0 first.
        assert!(own[0] < own[2]);
        assert_eq!(s.trajectory[0], (0, own[0]));
        assert_eq!(s.trajectory[1].0, 1);
        assert_eq!(s.trajectory.len(), 4);
    }

    #[test]
    fn one_model_stops_after_one_round() {
        let p = probs(&[vec![0.9, 0.1]], 2);
        let s = EnsembleSelection::new()
            .select(&p, &Targets::Classes(vec![0]))
            .unwrap();
        assert_eq!((s.counts, s.trajectory.len()), (vec![1], 1));
    }

    #[test]
    fn regression_defaults_to_rmse() {
        let p = values(&[vec![1.0, 2.0, 3.0], vec![1.5, 2.5, 2.0]]);
        let t = Targets::Values(vec![1.0, 2.0, 3.0]);
        let s = EnsembleSelection::new().rounds(3).select(&p, &t).unwrap();
        assert_eq!(s.metric, Metric::Rmse);
        assert_eq!(s.trajectory, [(0, 0.0), (0, 0.0), (0, 0.0)]);
        assert_eq!(s.weights.as_slice(), [1.0, 0.0]);
    }

    #[test]
    fn multilabel_defaults_to_log_loss() {
        use crate::fusers::test_support::build;
        use crate::predictions::TaskHint;
        let good = vec![0.9, 0.2, 0.1, 0.8];
        let bad = vec![0.4, 0.6, 0.5, 0.5];
        let p = build(&[bad, good], 2, TaskHint::Multilabel);
        let t = Targets::Multilabel {
            n_labels: 2,
            matrix: vec![true, false, false, true],
        };
        let s = EnsembleSelection::new().rounds(4).select(&p, &t).unwrap();
        assert_eq!(s.metric, Metric::LogLoss);
        assert_eq!(s.counts, [0, 4]);
    }

    #[test]
    fn bagging_averages_the_bags_weights() {
        let (p, t) = three();
        let bagging = Bagging {
            bags: 4,
            fraction: 0.5,
            seed: 9,
        };
        let s = EnsembleSelection::new()
            .rounds(3)
            .bagging(Some(bagging))
            .select(&p, &t)
            .unwrap();
        // A bag holds one of the three models, so each bag puts all of its
        // weight on that model after one round.
        assert_eq!(s.trajectory.len(), 4);
        assert_eq!(s.counts.iter().sum::<usize>(), 4);
        let w: Vec<f64> = s.counts.iter().map(|&c| c as f64 / 4.0).collect();
        assert_eq!(s.weights.as_slice(), w.as_slice());
        let again = EnsembleSelection::new()
            .rounds(3)
            .bagging(Some(bagging))
            .select(&p, &t)
            .unwrap();
        assert_eq!(s, again);
    }

    #[test]
    fn fit_returns_the_selected_weighted_mean() {
        let (p, t) = three();
        let es = EnsembleSelection::new().rounds(7);
        let s = es.select(&p, &t).unwrap();
        let fitted = es.fit(&p, &t).unwrap();
        assert_eq!(fitted.weights(), Some(&s.weights));
        let fused = fitted.predict(&p).unwrap();
        let score = metrics::score(Metric::LogLoss, &fused, 0, &t).unwrap();
        assert!((score - s.trajectory.last().unwrap().1).abs() < 1e-6);
    }

    #[test]
    fn selection_rejects_bad_settings() {
        let (p, t) = three();
        let cases = [
            (
                EnsembleSelection::new().rounds(0),
                "expected at least one round of ensemble selection, found 0",
            ),
            (
                EnsembleSelection::new().rounds(2).sorted_init(3),
                "expected sorted_init at most the 2 rounds it counts towards, found 3",
            ),
            (
                EnsembleSelection::new().sorted_init(4),
                "expected sorted_init at most the 3 models to choose from, found 4",
            ),
            (
                EnsembleSelection::new().bagging(Some(Bagging {
                    bags: 0,
                    ..Bagging::default()
                })),
                "expected at least one bag, found 0",
            ),
            (
                EnsembleSelection::new().bagging(Some(Bagging {
                    fraction: 1.5,
                    ..Bagging::default()
                })),
                "expected a bag fraction in (0, 1], found 1.5",
            ),
        ];
        for (es, msg) in cases {
            let e = es.select(&p, &t).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidParameter);
            assert_eq!(e.to_string(), msg);
        }
        let e = EnsembleSelection::new()
            .metric(Metric::R2)
            .select(&p, &t)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert_eq!(
            e.to_string(),
            "ensemble selection by r2 does not apply to a binary task"
        );
        let e = EnsembleSelection::new()
            .select(&p, &Targets::Classes(vec![0, 1]))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Shape);
    }

    #[test]
    fn selection_does_not_depend_on_the_thread_count() {
        let (p, t) = three();
        let es = EnsembleSelection::new().rounds(20).metric(Metric::Brier);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| es.select(&p, &t).unwrap())
        };
        assert_eq!(run(1), run(3));
    }

    /// Replays a selection with every candidate's whole block scored by
    /// `score_rows`, the definition in the module docs.
    fn replay_whole_blocks(p: &Predictions, t: &Targets, metric: Metric, s: &Selection) {
        let mut sum = vec![0f64; p.n_samples() * p.n_outputs()];
        for (round, &(pick, score)) in s.trajectory.iter().enumerate() {
            let scale = 1.0 / (round + 1) as f64;
            let scores: Vec<f64> = (0..p.n_models())
                .map(|m| {
                    let block: Vec<f32> = sum
                        .iter()
                        .zip(p.model(m))
                        .map(|(&s, &x)| ((s + f64::from(x)) * scale) as f32)
                        .collect();
                    metrics::score_rows(metric, p, &block, t).unwrap()
                })
                .collect();
            let best = (0..scores.len())
                .reduce(|a, b| if scores[b] < scores[a] { b } else { a })
                .unwrap();
            assert_eq!((pick, score.to_bits()), (best, scores[best].to_bits()));
            for (s, &x) in sum.iter_mut().zip(p.model(pick)) {
                *s += f64::from(x);
            }
        }
    }

    #[test]
    fn log_loss_scored_on_the_true_class_column_equals_whole_blocks() {
        let (p, t) = three();
        let s = EnsembleSelection::new().rounds(6).select(&p, &t).unwrap();
        replay_whole_blocks(&p, &t, Metric::LogLoss, &s);
    }

    proptest! {
        /// Log-loss takes the true-class column path, bit for bit the
        /// scores of the whole blocks (multiclass here, binary above).
        #[test]
        fn log_loss_selection_matches_whole_block_scores(
            raw in prop::collection::vec(0.0f32..1.0, 5 * 8 * 4),
            y in prop::collection::vec(0usize..4, 8),
        ) {
            let blocks: Vec<Vec<f32>> = raw
                .chunks(8 * 4)
                .map(|b| {
                    b.chunks(4)
                        .flat_map(|r| {
                            let s: f32 = r.iter().sum::<f32>() + 1e-3;
                            r.iter().map(move |x| (x + 2.5e-4) / s).collect::<Vec<_>>()
                        })
                        .collect()
                })
                .collect();
            let p = probs(&blocks, 4);
            let t = Targets::Classes(y);
            let s = EnsembleSelection::new().rounds(8).select(&p, &t).unwrap();
            replay_whole_blocks(&p, &t, Metric::LogLoss, &s);
        }

        #[test]
        fn selection_weights_are_counts_over_rounds(
            raw in prop::collection::vec(0.01f32..1.0, 4 * 6 * 3),
            y in prop::collection::vec(0usize..3, 6),
            rounds in 1usize..12,
            replace in any::<bool>(),
        ) {
            let blocks: Vec<Vec<f32>> = raw
                .chunks(6 * 3)
                .map(|b| {
                    b.chunks(3)
                        .flat_map(|r| {
                            let s: f32 = r.iter().sum();
                            r.iter().map(move |x| x / s).collect::<Vec<_>>()
                        })
                        .collect()
                })
                .collect();
            let p = probs(&blocks, 3);
            let t = Targets::Classes(y);
            let s = EnsembleSelection::new()
                .rounds(rounds)
                .with_replacement(replace)
                .select(&p, &t)
                .unwrap();
            let total: usize = s.counts.iter().sum();
            prop_assert_eq!(total, s.trajectory.len());
            prop_assert_eq!(total, if replace { rounds } else { rounds.min(4) });
            let sum: f64 = s.weights.as_slice().iter().sum();
            prop_assert!((sum - 1.0).abs() < 1e-12);
            for (w, &c) in s.weights.as_slice().iter().zip(&s.counts) {
                prop_assert!((w - c as f64 / total as f64).abs() < 1e-15);
            }
            // The same inputs give the same selection.
            prop_assert_eq!(&s, &EnsembleSelection::new()
                .rounds(rounds)
                .with_replacement(replace)
                .select(&p, &t)
                .unwrap());
        }
    }
}
