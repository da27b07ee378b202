//! [`search_weights`]: a derivative-free pattern search on the simplex for
//! any metric, started from the log-loss optimum.

use super::*;

/// Where [`search_weights`] starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchStart {
    /// Equal weights.
    Uniform,
    /// The optimum of the task's smooth objective, found by
    /// [`optimize_weights`]: [`Objective::LogLoss`] for classification,
    /// [`Objective::SquaredError`] for regression. Usually close to the best
    /// weights for any metric, so the search only refines it.
    #[default]
    Optimum,
}

/// Settings of [`search_weights`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SearchOptions {
    /// Where the search starts.
    pub start: SearchStart,
    /// The first amount of weight moved between two models, in `(0, 1]`.
    pub step: f64,
    /// The search stops when the amount moved falls below this.
    pub tol: f64,
    /// The most sweeps; each sweep tries every ordered pair of models, so it
    /// scores M·(M − 1) candidate fusions.
    pub max_iter: usize,
}

impl Default for SearchOptions {
    /// Starts at the smooth optimum, moves 0.1 of weight at first and stops
    /// below 0.001, within 1,000 sweeps.
    fn default() -> Self {
        SearchOptions {
            start: SearchStart::Optimum,
            step: 0.1,
            tol: 1e-3,
            max_iter: 1000,
        }
    }
}

impl SearchOptions {
    pub(super) fn check(&self) -> Result<()> {
        if !(self.step.is_finite() && self.step > 0.0 && self.step <= 1.0) {
            return Err(Error::param(format!(
                "expected a weight search step in (0, 1], found {}",
                self.step
            )));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::param(format!(
                "expected a finite positive weight search tolerance, found {}",
                self.tol
            )));
        }
        if self.max_iter == 0 {
            return Err(Error::param(
                "expected at least one sweep for the weight search, found max_iter = 0",
            ));
        }
        Ok(())
    }
}

/// Weights that improve any `metric` of the weighted mean, found by a
/// derivative-free pattern search, with the metric's value at them.
///
/// Metrics such as accuracy, F1 or MCC are piecewise constant in the
/// weights, so no gradient helps. From `opts.start`, each sweep tries moving
/// `δ` of weight (or all of it, if a model has less) from model `a` to model
/// `b`, for every ordered pair in the order `(0, 1), (0, 2), …, (M−1, M−2)`,
/// and takes the move that improves the metric most, the first such move on
/// ties; when no move improves it, `δ` halves. The search ends when `δ <
/// opts.tol` or after `opts.max_iter` sweeps, and runs in the [`Driver`].
///
/// Each candidate is the fused block the
/// [`WeightedMean`](crate::fusers::WeightedMean) fuser would predict (rows
/// renormalised, multilabel probabilities clamped), scored by
/// [`metrics::score_rows`]; a candidate is built from the current fusion in
/// O(N·K). The result is deterministic, respects
/// [`Metric::greater_is_better`], and is the best point visited, so never
/// worse than the start. The score returned is that of the
/// [`WeightedMean`](crate::fusers::WeightedMean) of the weights returned.
///
/// # Errors
///
/// * [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) when the metric does not apply to the task.
/// * The target errors of [`optimize_weights`], and
///   [`ErrorKind::InvalidValue`](crate::ErrorKind::InvalidValue) when the metric is undefined on these
///   targets (ROC-AUC with a class that never occurs, say).
/// * [`ErrorKind::InvalidParameter`](crate::ErrorKind::InvalidParameter) when `opts` is invalid.
///
/// # Example
///
/// ```
/// use modelfuse::learn::simplex::{SearchOptions, search_weights};
/// use modelfuse::metrics::Metric;
/// use modelfuse::{Predictions, Targets, Task};
///
/// let preds = Predictions::new(
///     Task::Binary,
///     vec!["a".into(), "b".into()],
///     vec!["0".into(), "1".into()],
///     vec!["neg".into(), "pos".into()],
///     vec![0.6, 0.4, 0.4, 0.6, /* b */ 0.3, 0.7, 0.7, 0.3],
/// )?;
/// let truth = Targets::Classes(vec![0, 1]);
/// let (w, accuracy) = search_weights(&preds, &truth, Metric::Accuracy, &SearchOptions::default())?;
/// assert_eq!(accuracy, 1.0);
/// assert!(w.as_slice()[0] > 0.5);
/// # Ok::<(), modelfuse::Error>(())
/// ```
pub fn search_weights(
    preds: &Predictions,
    targets: &Targets,
    metric: Metric,
    opts: &SearchOptions,
) -> Result<(Weights, f64)> {
    opts.check()?;
    let task = preds.task();
    if !metric.applies_to(task) {
        return Err(unsupported(&metric.to_string(), task, ""));
    }
    targets.check_for(preds)?;
    let start = match opts.start {
        SearchStart::Uniform => Weights::uniform(preds.n_models()),
        SearchStart::Optimum => {
            let objective = match task {
                Task::Regression => Objective::SquaredError,
                _ => Objective::LogLoss,
            };
            optimize_weights(preds, targets, objective, &SimplexOptions::default())?.0
        }
    };
    let mut search = PatternSearch::new(preds, targets, metric, start, opts)?;
    // The driver's improvement rule is off: a sweep that only halves δ
    // improves nothing, yet the search is not over.
    Driver::new(opts.max_iter, 0.0).run(&mut search)?;
    // Scored once more at the weights returned, normalised, so that the
    // score is exactly that of the weighted mean they give.
    let weights = Weights::new(std::mem::take(&mut search.best_w))?;
    search.w = weights.as_slice().to_vec();
    let score = search.rescore()?;
    Ok((weights, score))
}

/// The pattern search of [`search_weights`]; one [`Solver`] step is one
/// sweep over all moves.
pub(super) struct PatternSearch<'a> {
    preds: &'a Predictions,
    targets: &'a Targets,
    metric: Metric,
    tol: f64,
    delta: f64,
    w: Vec<f64>,
    /// `Σ_m w_m p_m`, recomputed from scratch after every accepted move so
    /// that rounding never accumulates.
    acc: Vec<f64>,
    score: f64,
    best_w: Vec<f64>,
    best_score: f64,
    // Scratch for candidate blocks.
    scratch: Vec<f64>,
    rows: Vec<f32>,
}

impl<'a> PatternSearch<'a> {
    pub(super) fn new(
        preds: &'a Predictions,
        targets: &'a Targets,
        metric: Metric,
        start: Weights,
        opts: &SearchOptions,
    ) -> Result<Self> {
        let len = preds.n_samples() * preds.n_outputs();
        let mut search = PatternSearch {
            preds,
            targets,
            metric,
            tol: opts.tol,
            delta: opts.step,
            w: start.as_slice().to_vec(),
            acc: Vec::new(),
            score: f64::NAN,
            best_w: start.into(),
            best_score: f64::NAN,
            scratch: vec![0.0; len],
            rows: vec![0.0; len],
        };
        search.score = search.rescore()?;
        search.best_score = search.score;
        Ok(search)
    }

    /// Recomputes the fusion of the current weights from scratch and scores
    /// it.
    pub(super) fn rescore(&mut self) -> Result<f64> {
        self.acc = weighted_sum(self.preds, &self.w, |x| x as f64);
        self.scratch.copy_from_slice(&self.acc);
        finish_rows(
            self.preds.task(),
            self.preds.n_outputs(),
            &mut self.scratch,
            &mut self.rows,
        );
        metrics::score_rows(self.metric, self.preds, &self.rows, self.targets)
    }

    pub(super) fn better(&self, a: f64, b: f64) -> bool {
        self.metric.better(a, b)
    }

    /// The driver minimises: losses as they are, scores negated.
    pub(super) fn objective(&self) -> f64 {
        self.metric.as_loss(self.score)
    }
}

impl Solver for PatternSearch<'_> {
    fn next_iter(&mut self) -> Result<Step> {
        let m = self.preds.n_models();
        let k = self.preds.n_outputs();
        let task = self.preds.task();
        let mut chosen: Option<(usize, usize, f64, f64)> = None;
        for a in 0..m {
            if self.w[a] == 0.0 {
                continue;
            }
            let amount = self.delta.min(self.w[a]);
            for b in 0..m {
                if a == b {
                    continue;
                }
                let (pa, pb) = (self.preds.model(a), self.preds.model(b));
                for (((s, &acc), &xa), &xb) in
                    self.scratch.iter_mut().zip(&self.acc).zip(pa).zip(pb)
                {
                    *s = acc + amount * (xb as f64 - xa as f64);
                }
                finish_rows(task, k, &mut self.scratch, &mut self.rows);
                let s = metrics::score_rows(self.metric, self.preds, &self.rows, self.targets)?;
                let incumbent = chosen.map_or(self.score, |c| c.3);
                if self.better(s, incumbent) {
                    chosen = Some((a, b, amount, s));
                }
            }
        }
        match chosen {
            Some((a, b, amount, _)) => {
                self.w[a] = if amount == self.w[a] {
                    0.0
                } else {
                    self.w[a] - amount
                };
                self.w[b] += amount;
                self.score = self.rescore()?;
                if self.better(self.score, self.best_score) {
                    self.best_score = self.score;
                    self.best_w.copy_from_slice(&self.w);
                }
            }
            None => self.delta /= 2.0,
        }
        Ok(Step {
            objective: self.objective(),
            converged: self.delta < self.tol,
        })
    }
}

/// Turns accumulated weighted sums into the rows the weighted-mean fuser
/// predicts: single-label rows renormalised, multilabel probabilities
/// clamped to [0, 1], values kept. `acc` is overwritten.
pub(super) fn finish_rows(task: Task, k: usize, acc: &mut [f64], out: &mut [f32]) {
    match task {
        Task::Binary | Task::Multiclass { .. } => acc.chunks_exact_mut(k).for_each(normalize),
        Task::Multilabel { .. } => acc.iter_mut().for_each(|x| *x = x.clamp(0.0, 1.0)),
        Task::Regression => {}
    }
    for (o, &a) in out.iter_mut().zip(acc.iter()) {
        *o = a as f32;
    }
}
