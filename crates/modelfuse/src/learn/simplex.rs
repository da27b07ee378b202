//! Per-model weights learned on the probability simplex.
//!
//! Two ways to learn the weights of a weighted fusion from labelled
//! validation predictions:
//!
//! * [`optimize_weights`] minimises a smooth convex [`Objective`] (the
//!   log-loss of the weighted arithmetic or geometric mean, or the squared
//!   error of the weighted mean of values) over the simplex, to a certified
//!   optimum;
//! * [`search_weights`] improves any [`Metric`] (accuracy, F1, MCC, …) by a
//!   deterministic derivative-free pattern search, starting from that optimum.
//!
//! Both return [`Weights`], so the result plugs straight into
//! [`WeightedMean`](crate::fusers::WeightedMean) or
//! [`GeometricMean::with_weights`](crate::fusers::GeometricMean::with_weights).
//! [`project_simplex`], the Euclidean projection onto the simplex, is here
//! for solvers that take gradient steps on weights.
//!
//! # The objectives
//!
//! Every objective is a mean over "cells" `j` of a convex function `φ_j` of
//! a fused value that is linear in the weights, `z_j = Σ_m w_m b_mj`:
//!
//! | objective | task | `b_mj` | `φ_j(z)` |
//! |---|---|---|---|
//! | [`Objective::LogLoss`] | binary, multiclass | `p_m(true class)` | `−ln max(z, ε)` |
//! | [`Objective::LogLoss`] | multilabel (per cell) | `p_m` or `1 − p_m` | `−ln max(z, ε)` |
//! | [`Objective::GeometricLogLoss`] | binary, multiclass | `ln max(p_m, floor)` per class | `logsumexp(z) − z_true` |
//! | [`Objective::GeometricLogLoss`] | multilabel (per cell) | `logit p_m`, floored | `softplus(∓z)` |
//! | [`Objective::SquaredError`] | regression | `v_m` | `(z − y)²` |
//!
//! `ε` is the `f64` machine epsilon, the clipping of
//! [`metrics::log_loss`], and `floor` is
//! `1e-15`, the floor of [`GeometricMean`](crate::fusers::GeometricMean). A
//! linear map followed by a convex function is convex, so each objective is
//! convex in `w` and every local minimum on the simplex is global. For the arithmetic mean only the true class matters:
//! rows and weights both sum to one, so the fused row needs no
//! renormalisation and its true-class probability is exactly `z`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fusers::{normalize, unsupported, weighted_sum};
use crate::learn::driver::{Driver, Report, Solver, Step};
use crate::metrics::{self, Metric};
use crate::predictions::{Predictions, Targets, Task};
use crate::weights::Weights;

/// Probabilities are floored before the logarithms of the geometric
/// objective exactly as the geometric-mean fuser floors them.
pub(crate) use crate::fusers::PROBABILITY_FLOOR;

/// The clipping of probabilities before a logarithm in the arithmetic-mean
/// log-loss: the same as [`metrics::log_loss`], so the optimised objective is
/// the metric reported afterwards.
const EPS: f64 = f64::EPSILON;

/// Sufficient decrease required by the line search (the Armijo constant).
const ARMIJO: f64 = 1e-4;

/// The Euclidean projection of `v` onto the probability simplex: the point
/// `w` with `w_m ≥ 0`, `Σ w_m = 1` closest to `v`.
///
/// The projection is `w_m = max(v_m − θ, 0)` for the one threshold `θ` that
/// makes the result sum to one; sorting `v` finds `θ` in O(M log M) (Duchi,
/// Shalev-Shwartz, Singer & Chandra 2008, "Efficient projections onto the
/// ℓ1-ball"). Points already on the simplex are returned as they are, up to
/// rounding.
///
/// # Panics
///
/// When `v` is empty or holds a value that is not finite: neither has a
/// projection.
///
/// # Example
///
/// ```
/// use modelfuse::learn::simplex::project_simplex;
///
/// assert_eq!(project_simplex(&[0.5, 0.5, 2.0]), [0.0, 0.0, 1.0]);
/// assert_eq!(project_simplex(&[2.0, 1.0]), [1.0, 0.0]);
/// assert_eq!(project_simplex(&[0.5, 0.25]), [0.625, 0.375]);
/// ```
pub fn project_simplex(v: &[f64]) -> Vec<f64> {
    let mut out = v.to_vec();
    let mut sorted = Vec::with_capacity(v.len());
    project_in_place(&mut out, &mut sorted);
    out
}

/// [`project_simplex`] in place, with a caller-owned sort buffer so that the
/// solver's loop does not allocate.
fn project_in_place(v: &mut [f64], sorted: &mut Vec<f64>) {
    assert!(
        !v.is_empty(),
        "cannot project an empty vector onto the simplex"
    );
    assert!(
        v.iter().all(|x| x.is_finite()),
        "cannot project a vector with non-finite values onto the simplex: {v:?}"
    );
    sorted.clear();
    sorted.extend_from_slice(v);
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    // θ is set by the largest ρ for which u_ρ stays above the threshold the
    // first ρ sorted values define; the first value always qualifies.
    let mut cumulative = 0.0;
    let mut theta = sorted[0] - 1.0;
    for (j, &u) in sorted.iter().enumerate() {
        cumulative += u;
        let candidate = (cumulative - 1.0) / (j + 1) as f64;
        if u - candidate > 0.0 {
            theta = candidate;
        } else {
            break;
        }
    }
    v.iter_mut().for_each(|x| *x = (*x - theta).max(0.0));
}

/// A smooth convex function of the weights, minimised by
/// [`optimize_weights`]. See the [module docs](self) for the exact formulas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// The mean log-loss of the weighted arithmetic mean of probabilities
    /// (what [`WeightedMean`](crate::fusers::WeightedMean) predicts); for
    /// multilabel tasks the mean binary cross-entropy over all cells.
    /// Classification only.
    LogLoss,
    /// The mean log-loss of the weighted geometric mean: `softmax(Σ_m w_m ln
    /// p_m)`, or per label `sigmoid(Σ_m w_m logit p_m)` (what
    /// [`GeometricMean::with_weights`](crate::fusers::GeometricMean::with_weights)
    /// predicts), with probabilities floored at `1e-15` (the floor of [`GeometricMean`](crate::fusers::GeometricMean)).
    /// Classification only.
    GeometricLogLoss,
    /// The mean squared error of the weighted mean of values. Regression
    /// only.
    SquaredError,
}

impl Objective {
    /// The snake_case name, as serialised.
    pub fn name(self) -> &'static str {
        match self {
            Objective::LogLoss => "log_loss",
            Objective::GeometricLogLoss => "geometric_log_loss",
            Objective::SquaredError => "squared_error",
        }
    }

    /// Whether the objective is defined for `task`: the log-losses for
    /// binary, multiclass and multilabel tasks, the squared error for
    /// regression.
    pub fn applies_to(self, task: Task) -> bool {
        match self {
            Objective::LogLoss | Objective::GeometricLogLoss => task != Task::Regression,
            Objective::SquaredError => task == Task::Regression,
        }
    }

    /// The objective at the given weights.
    ///
    /// # Errors
    ///
    /// As [`optimize_weights`], and [`ErrorKind::InvalidWeights`](crate::ErrorKind::InvalidWeights) when there
    /// is not one weight per model.
    ///
    /// # Example
    ///
    /// ```
    /// use modelfuse::learn::simplex::Objective;
    /// use modelfuse::{Predictions, Targets, Task, Weights};
    ///
    /// let preds = Predictions::new(
    ///     Task::Binary,
    ///     vec!["a".into(), "b".into()],
    ///     vec!["0".into()],
    ///     vec!["neg".into(), "pos".into()],
    ///     vec![0.5, 0.5, 0.1, 0.9],
    /// )?;
    /// let truth = Targets::Classes(vec![1]);
    /// let loss = Objective::LogLoss.value(&preds, &truth, &Weights::uniform(2))?;
    /// assert!((loss - -(0.7f64.ln())).abs() < 1e-7);
    /// # Ok::<(), modelfuse::Error>(())
    /// ```
    pub fn value(self, preds: &Predictions, targets: &Targets, weights: &Weights) -> Result<f64> {
        weights.check_len(preds.n_models())?;
        let problem = Problem::new(preds, targets, self)?;
        let mut z = vec![0.0; problem.cells * problem.width];
        let mut r = vec![0.0; z.len()];
        problem.fuse(weights.as_slice(), &mut z);
        Ok(problem.loss(&z, &mut r))
    }
}

/// Settings of [`optimize_weights`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimplexOptions {
    /// The most Newton steps; five to ten reach the optimum in practice.
    pub max_iter: usize,
    /// Stop once the objective is within `tol · max(1, |objective|)` of the
    /// optimum, by the duality gap or the Newton decrement (see
    /// [`optimize_weights`]).
    pub tol: f64,
}

impl Default for SimplexOptions {
    /// 100 steps and a tolerance of `1e-12`: convergence is quadratic, so
    /// the last digits cost one step, and the golden tests want the optimum
    /// far below what scipy's SLSQP reaches.
    fn default() -> Self {
        SimplexOptions {
            max_iter: 100,
            tol: 1e-12,
        }
    }
}

impl SimplexOptions {
    fn check(&self) -> Result<()> {
        if self.max_iter == 0 {
            return Err(Error::param(
                "expected at least one iteration for the simplex solver, found max_iter = 0",
            ));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(Error::param(format!(
                "expected a finite non-negative tolerance for the simplex solver, found {}",
                self.tol
            )));
        }
        Ok(())
    }
}

/// The weights on the simplex that minimise `objective` on labelled
/// predictions, with the solver's [`Report`].
///
/// The solver starts from uniform weights and takes projected Newton steps
/// inside the [`Driver`]: each step minimises the exact second-order model
/// of the objective over the simplex (a small quadratic programme over the
/// models in play), then backtracks until the objective decreases enough.
/// It converges quadratically whatever the correlation between models,
/// typically in five to ten steps. A step costs O(M·N·K) for M models, N
/// samples and K outputs (O(M·N) for the arithmetic log-loss, which only
/// needs each model's probability of the truth) plus O(S²·N·K) for the
/// Hessian of the S models in play: all of them at the start, the few with
/// weight near the end. Nothing is allocated after the set-up, which keeps
/// the objective's inputs in f64 (for the geometric log-loss, the logarithms
/// of all predictions: twice the memory of the predictions themselves).
///
/// It stops when the Frank–Wolfe gap `Σ_m w_m g_m − min_m g_m` (with `g` the
/// gradient), an upper bound on how far the objective is above the optimum,
/// or the decrease the Newton model still predicts falls to `opts.tol ·
/// max(1, |objective|)`; the report's `objective` is the value at the
/// returned weights.
///
/// # Errors
///
/// * [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) when the objective does not apply to the
///   task (see [`Objective::applies_to`]).
/// * [`ErrorKind::Shape`](crate::ErrorKind::Shape) when the targets are of the wrong kind or length,
///   or there are no samples; [`ErrorKind::UnknownLabel`](crate::ErrorKind::UnknownLabel) when a class index
///   is out of range; [`ErrorKind::InvalidValue`](crate::ErrorKind::InvalidValue) when a true value is not
///   finite.
/// * [`ErrorKind::InvalidParameter`](crate::ErrorKind::InvalidParameter) when `opts` is invalid.
///
/// # Example
///
/// ```
/// use modelfuse::learn::simplex::{Objective, SimplexOptions, optimize_weights};
/// use modelfuse::{Predictions, Targets, Task};
///
/// // "good" is right and confident; "noise" always says 50/50.
/// let preds = Predictions::new(
///     Task::Binary,
///     vec!["good".into(), "noise".into()],
///     vec!["0".into(), "1".into(), "2".into()],
///     vec!["neg".into(), "pos".into()],
///     vec![0.9, 0.1, 0.2, 0.8, 0.6, 0.4, /* noise */ 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
/// )?;
/// let truth = Targets::Classes(vec![0, 1, 0]);
/// let (w, report) = optimize_weights(&preds, &truth, Objective::LogLoss, &SimplexOptions::default())?;
/// assert!(report.converged);
/// assert!(w.as_slice()[0] > 0.9);
/// # Ok::<(), modelfuse::Error>(())
/// ```
pub fn optimize_weights(
    preds: &Predictions,
    targets: &Targets,
    objective: Objective,
    opts: &SimplexOptions,
) -> Result<(Weights, Report)> {
    opts.check()?;
    let problem = Problem::new(preds, targets, objective)?;
    let mut solver = Newton::new(&problem, opts.tol);
    // The driver's improvement rule is off: a small step says nothing about
    // the distance to the optimum. The solver's own tests (duality gap,
    // Newton decrement) decide instead.
    let report = Driver::new(opts.max_iter, 0.0).run(&mut solver)?;
    let weights = Weights::new(solver.w)?;
    Ok((weights, report))
}

/// What a fused cell is scored by (see the table in the module docs).
enum Loss {
    /// `−ln max(z, ε)`: `z` is the fused probability of what happened.
    Log,
    /// `logsumexp(z) − z_y` over a row of logits, with the true class.
    Softmax(Vec<usize>),
    /// `softplus(−z)` when the label is on, `softplus(z)` when off.
    Sigmoid(Vec<bool>),
    /// `(z − y)²`.
    Squared(Vec<f64>),
}

/// An objective in the form the solver sees: `f(w) = mean_j φ_j(Σ_m w_m
/// b_m,j)` over `cells` rows of `width` values.
struct Problem {
    n_models: usize,
    cells: usize,
    width: usize,
    /// `n_models × cells × width`, contiguous per model so that each pass
    /// reads memory sequentially. Kept in f64: rounding logarithms to f32
    /// would move the objective by ~1e-7, more than the optimum is resolved.
    basis: Vec<f64>,
    loss: Loss,
}

impl Problem {
    fn new(preds: &Predictions, targets: &Targets, objective: Objective) -> Result<Self> {
        let task = preds.task();
        if !objective.applies_to(task) {
            let hint = match task {
                Task::Regression => "; use squared_error",
                _ => "; use log_loss or geometric_log_loss",
            };
            return Err(unsupported(
                &format!("the {} objective", objective.name()),
                task,
                hint,
            ));
        }
        targets.check_for(preds)?;
        let (m, n, k) = (preds.n_models(), preds.n_samples(), preds.n_outputs());
        let ln = |p: f32| (p as f64).max(PROBABILITY_FLOOR).ln();
        let mut basis = Vec::new();
        let (cells, width, loss) = match (objective, targets) {
            (Objective::LogLoss, Targets::Classes(y)) => {
                basis.reserve(m * n);
                for mi in 0..m {
                    let block = preds.model(mi);
                    basis.extend(y.iter().enumerate().map(|(i, &c)| block[i * k + c] as f64));
                }
                (n, 1, Loss::Log)
            }
            (Objective::LogLoss, Targets::Multilabel { matrix, .. }) => {
                basis.reserve(m * n * k);
                for mi in 0..m {
                    let block = preds.model(mi);
                    basis.extend(block.iter().zip(matrix).map(|(&p, &on)| {
                        let p = p as f64;
                        if on { p } else { 1.0 - p }
                    }));
                }
                (n * k, 1, Loss::Log)
            }
            (Objective::GeometricLogLoss, Targets::Classes(y)) => {
                basis.reserve(m * n * k);
                for mi in 0..m {
                    basis.extend(preds.model(mi).iter().map(|&p| ln(p)));
                }
                (n, k, Loss::Softmax(y.clone()))
            }
            (Objective::GeometricLogLoss, Targets::Multilabel { matrix, .. }) => {
                basis.reserve(m * n * k);
                for mi in 0..m {
                    // `1.0 - p` in f32, exactly as `GeometricMean` computes
                    // it, so the objective is the log-loss of its output.
                    basis.extend(preds.model(mi).iter().map(|&p| ln(p) - ln(1.0 - p)));
                }
                (n * k, 1, Loss::Sigmoid(matrix.clone()))
            }
            (Objective::SquaredError, Targets::Values(y)) => {
                basis.reserve(m * n);
                for mi in 0..m {
                    basis.extend(preds.model(mi).iter().map(|&v| v as f64));
                }
                (n, 1, Loss::Squared(y.clone()))
            }
            _ => unreachable!("Targets::check_for matched the targets to the task"),
        };
        Ok(Problem {
            n_models: m,
            cells,
            width,
            basis,
            loss,
        })
    }

    fn block(&self, m: usize) -> &[f64] {
        let len = self.cells * self.width;
        &self.basis[m * len..(m + 1) * len]
    }

    /// `z = Σ_m w_m b_m`. Models with weight zero are skipped, which makes
    /// the sparse points the projection produces cheap.
    fn fuse(&self, w: &[f64], z: &mut [f64]) {
        z.fill(0.0);
        for (m, &wm) in w.iter().enumerate() {
            if wm != 0.0 {
                for (zj, &b) in z.iter_mut().zip(self.block(m)) {
                    *zj += wm * b;
                }
            }
        }
    }

    /// The mean loss at `z`; writes its derivative with respect to each `z`
    /// (already divided by the number of cells) into `r`.
    fn loss(&self, z: &[f64], r: &mut [f64]) -> f64 {
        let scale = 1.0 / self.cells as f64;
        let mut sum = 0.0;
        match &self.loss {
            Loss::Log => {
                for (&zj, rj) in z.iter().zip(r.iter_mut()) {
                    // Below ε the loss is clipped flat, so its slope is zero.
                    if zj > EPS {
                        sum -= zj.ln();
                        *rj = -scale / zj;
                    } else {
                        sum -= EPS.ln();
                        *rj = 0.0;
                    }
                }
            }
            Loss::Softmax(y) => {
                let k = self.width;
                for ((row, rrow), &yi) in z.chunks_exact(k).zip(r.chunks_exact_mut(k)).zip(y) {
                    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let mut total = 0.0;
                    for (&zk, rk) in row.iter().zip(rrow.iter_mut()) {
                        *rk = (zk - max).exp();
                        total += *rk;
                    }
                    sum += max + total.ln() - row[yi];
                    rrow.iter_mut().for_each(|x| *x *= scale / total);
                    rrow[yi] -= scale;
                }
            }
            Loss::Sigmoid(y) => {
                for ((&zj, rj), &on) in z.iter().zip(r.iter_mut()).zip(y) {
                    let t = if on { -zj } else { zj };
                    sum += softplus(t);
                    let q = crate::predictions::sigmoid(zj);
                    *rj = scale * if on { q - 1.0 } else { q };
                }
            }
            Loss::Squared(y) => {
                for ((&zj, rj), &yj) in z.iter().zip(r.iter_mut()).zip(y) {
                    let e = zj - yj;
                    sum += e * e;
                    *rj = 2.0 * scale * e;
                }
            }
        }
        sum * scale
    }

    /// `g_m = Σ_j r_j · b_m,j`: the gradient, given the loss derivatives.
    fn gradient(&self, r: &[f64], g: &mut [f64]) {
        for (m, gm) in g.iter_mut().enumerate() {
            *gm = dot(self.block(m), r);
        }
    }

    /// The Hessian restricted to the models in `free`, written row-major
    /// into `h` (`free.len()²`), at fused values `z`.
    ///
    /// Every objective's Hessian is a Gram matrix `Σ_j c_j c_jᵀ` of
    /// transformed predictions: `b / z` for the log-loss, `b` centred on the
    /// fused softmax and weighted by its square root for the geometric
    /// log-loss, `b · √(σ(1 − σ))` per cell, `√2 b` for squared error (all
    /// divided by √cells). It is built one block of cells at a time.
    fn hessian(&self, z: &[f64], free: &[usize], h: &mut [f64], gram: &mut Gram) {
        let (s, w) = (free.len(), self.width);
        let per_cell = 1.0 / self.cells as f64;
        h.fill(0.0);
        for start in (0..self.cells).step_by(GRAM_BLOCK) {
            let end = (start + GRAM_BLOCK).min(self.cells);
            let len = (end - start) * w;
            let zb = &z[start * w..end * w];
            let weights = &mut gram.weights[..len];
            match &self.loss {
                Loss::Log => {
                    for (c, &zj) in weights.iter_mut().zip(zb) {
                        *c = if zj > EPS { per_cell.sqrt() / zj } else { 0.0 };
                    }
                }
                Loss::Softmax(_) => {
                    let probs = &mut gram.probs[..len];
                    for (row, q) in zb.chunks_exact(w).zip(probs.chunks_exact_mut(w)) {
                        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        let mut total = 0.0;
                        for (qk, &zk) in q.iter_mut().zip(row) {
                            *qk = (zk - max).exp();
                            total += *qk;
                        }
                        q.iter_mut().for_each(|x| *x /= total);
                    }
                    for (c, &q) in weights.iter_mut().zip(probs.iter()) {
                        *c = (q * per_cell).sqrt();
                    }
                }
                Loss::Sigmoid(_) => {
                    for (c, &zj) in weights.iter_mut().zip(zb) {
                        let q = crate::predictions::sigmoid(zj);
                        *c = (q * (1.0 - q) * per_cell).sqrt();
                    }
                }
                Loss::Squared(_) => weights.fill((2.0 * per_cell).sqrt()),
            }
            for (a, &m) in free.iter().enumerate() {
                let src = &self.block(m)[start * w..end * w];
                let dst = &mut gram.models[a * GRAM_BLOCK * w..][..len];
                if let Loss::Softmax(_) = self.loss {
                    let probs = &gram.probs[..len];
                    for (((d, b), q), c) in dst
                        .chunks_exact_mut(w)
                        .zip(src.chunks_exact(w))
                        .zip(probs.chunks_exact(w))
                        .zip(weights.chunks_exact(w))
                    {
                        let mean = dot(b, q);
                        for k in 0..w {
                            d[k] = c[k] * (b[k] - mean);
                        }
                    }
                } else {
                    for ((d, &b), &c) in dst.iter_mut().zip(src).zip(weights.iter()) {
                        *d = c * b;
                    }
                }
            }
            for a in 0..s {
                let ca = &gram.models[a * GRAM_BLOCK * w..][..len];
                for b in 0..=a {
                    let cb = &gram.models[b * GRAM_BLOCK * w..][..len];
                    h[a * s + b] += dot(ca, cb);
                }
            }
        }
        for a in 0..s {
            for b in 0..a {
                h[b * s + a] = h[a * s + b];
            }
        }
    }
}

/// `ln(1 + eˣ)`, without overflow for large `x` or loss of precision for
/// very negative `x`.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The Frank–Wolfe gap `⟨g, x⟩ − min g`: an upper bound on `f(x) − f*` for a
/// convex `f` on the simplex, zero exactly at the optimum.
fn duality_gap(x: &[f64], g: &[f64]) -> f64 {
    let dot: f64 = x.iter().zip(g).map(|(a, b)| a * b).sum();
    let min = g.iter().copied().fold(f64::INFINITY, f64::min);
    (dot - min).max(0.0)
}

/// Projected Newton on the simplex.
///
/// Why this method: the objectives are smooth and convex, and fused models
/// are typically strongly correlated (checkpoints of one fine-tuning run,
/// the same model at different temperatures), so the Hessian is badly
/// conditioned. First-order methods pay for that in iterations: spectral
/// projected gradient (Barzilai–Borwein steps, O(M·N·K) each), tried first,
/// took 13–30 iterations on diverse models but had not converged after
/// 10,000 (over three minutes) on 50 near-copies of one model, where SLSQP's
/// quasi-Newton steps would have won.
/// Newton's method is immune to conditioning: each step minimises the exact
/// second-order model over the simplex (a small quadratic programme, solved
/// exactly by an active-set method), an Armijo backtracking search makes it
/// globally convergent, and near the optimum it converges quadratically, in
/// a handful of steps whatever the correlation.
///
/// The price is the Hessian, O(S²·N·K) for the S models in play: those with
/// weight, plus those with none whose gradient says they would help. S
/// starts at M from uniform weights but falls to the support of the optimum
/// (usually a few models) within a few steps, so the total is a few passes
/// of O(M²·N·K) at most; it is computed in cache-sized blocks of cells as a
/// Gram matrix, without materialising anything model-sized.
struct Newton<'a> {
    problem: &'a Problem,
    tol: f64,
    /// The current weights, their fused values, objective, loss derivatives
    /// and gradient.
    w: Vec<f64>,
    z: Vec<f64>,
    f: f64,
    r: Vec<f64>,
    g: Vec<f64>,
    // Scratch space, allocated once: the models in play and their Hessian,
    // the quadratic programme, the Newton point and line-search trials.
    free: Vec<usize>,
    hessian: Vec<f64>,
    gram: Gram,
    qp: SimplexQp,
    g_free: Vec<f64>,
    w_free: Vec<f64>,
    x_free: Vec<f64>,
    d_free: Vec<f64>,
    x: Vec<f64>,
    zx: Vec<f64>,
    zt: Vec<f64>,
    rt: Vec<f64>,
}

impl<'a> Newton<'a> {
    fn new(problem: &'a Problem, tol: f64) -> Self {
        let m = problem.n_models;
        let len = problem.cells * problem.width;
        let w = vec![1.0 / m as f64; m];
        let mut z = vec![0.0; len];
        let mut r = vec![0.0; len];
        let mut g = vec![0.0; m];
        problem.fuse(&w, &mut z);
        let f = problem.loss(&z, &mut r);
        problem.gradient(&r, &mut g);
        Newton {
            problem,
            tol,
            w,
            z,
            f,
            r,
            g,
            free: Vec::with_capacity(m),
            hessian: vec![0.0; m * m],
            gram: Gram::new(m, problem.width),
            qp: SimplexQp::new(m),
            g_free: vec![0.0; m],
            w_free: vec![0.0; m],
            x_free: vec![0.0; m],
            d_free: vec![0.0; m],
            x: vec![0.0; m],
            zx: vec![0.0; len],
            zt: vec![0.0; len],
            rt: vec![0.0; len],
        }
    }

    fn certified(&self) -> bool {
        duality_gap(&self.w, &self.g) <= self.tol * self.f.abs().max(1.0)
    }

    fn stop(&self) -> Result<Step> {
        Ok(Step {
            objective: self.f,
            converged: true,
        })
    }
}

impl Solver for Newton<'_> {
    fn next_iter(&mut self) -> Result<Step> {
        if self.certified() {
            return self.stop();
        }
        let problem = self.problem;
        // In play: every model with weight, and every model without whose
        // gradient is below the highest among them (moving weight to it
        // would lower the objective). The others stay at zero this step.
        let ceiling = self
            .w
            .iter()
            .zip(&self.g)
            .filter(|(w, _)| **w > 0.0)
            .map(|(_, g)| *g)
            .fold(f64::NEG_INFINITY, f64::max);
        self.free.clear();
        self.free
            .extend((0..problem.n_models).filter(|&m| self.w[m] > 0.0 || self.g[m] < ceiling));
        let s = self.free.len();
        problem.hessian(
            &self.z,
            &self.free,
            &mut self.hessian[..s * s],
            &mut self.gram,
        );
        // The second-order model of the objective in the step d = x − w,
        // minimised over the simplex for the models in play.
        let h = &self.hessian[..s * s];
        for (a, &m) in self.free.iter().enumerate() {
            self.g_free[a] = self.g[m];
            self.w_free[a] = self.w[m];
        }
        self.qp.solve(
            h,
            &self.g_free[..s],
            &self.w_free[..s],
            &mut self.x_free[..s],
        );
        self.x.fill(0.0);
        for (a, &m) in self.free.iter().enumerate() {
            self.x[m] = self.x_free[a];
            self.d_free[a] = self.x_free[a] - self.w[m];
        }
        let d = &self.d_free[..s];
        let slope: f64 = self
            .x
            .iter()
            .zip(&self.w)
            .zip(&self.g)
            .map(|((x, w), g)| (x - w) * g)
            .sum();
        if slope >= 0.0 || !slope.is_finite() {
            // No descent direction left at working precision.
            return self.stop();
        }
        let curvature: f64 = (0..s).map(|a| d[a] * dot(&h[a * s..(a + 1) * s], d)).sum();
        // The decrease the model predicts (the Newton decrement): near the
        // optimum, where the model is exact to third order, it is how far
        // the objective is above the optimum. When it is below the
        // tolerance the step is taken only if it does not hurt, and the
        // search ends, even if rounding keeps the duality gap above it.
        let predicted = -(slope + 0.5 * curvature);
        let last = predicted <= self.tol * self.f.abs().max(1.0);
        problem.fuse(&self.x, &mut self.zx);
        // The fused values are linear in the weights, so a trial point
        // w + t(x − w) fuses to (1 − t) z + t z_x: backtracking never
        // re-reads the predictions.
        let mut t = 1.0;
        let f_new = loop {
            let f_trial = if t == 1.0 {
                problem.loss(&self.zx, &mut self.rt)
            } else {
                for ((zt, &z), &zx) in self.zt.iter_mut().zip(&self.z).zip(&self.zx) {
                    *zt = (1.0 - t) * z + t * zx;
                }
                problem.loss(&self.zt, &mut self.rt)
            };
            if f_trial <= self.f + ARMIJO * t * slope || (last && f_trial <= self.f) {
                break f_trial;
            }
            if last {
                return self.stop();
            }
            if t < 1e-20 {
                // No decrease is representable along the step: converged to
                // working precision.
                return self.stop();
            }
            // Minimise the quadratic through f(w), the slope and f_trial,
            // kept within [0.1t, 0.5t] so the search always shrinks.
            let curvature = f_trial - self.f - t * slope;
            let quadratic = -slope * t * t / (2.0 * curvature);
            t = if quadratic.is_finite() {
                quadratic.clamp(0.1 * t, 0.5 * t)
            } else {
                0.5 * t
            };
        };
        if t == 1.0 {
            // Exactly x, so weights the programme set to zero stay zero.
            self.w.copy_from_slice(&self.x);
            std::mem::swap(&mut self.z, &mut self.zx);
        } else {
            for (w, &x) in self.w.iter_mut().zip(&self.x) {
                *w += t * (x - *w);
            }
            std::mem::swap(&mut self.z, &mut self.zt);
        }
        std::mem::swap(&mut self.r, &mut self.rt);
        problem.gradient(&self.r, &mut self.g);
        self.f = f_new;
        Ok(Step {
            objective: f_new,
            converged: last || self.certified(),
        })
    }
}

/// Scratch for [`Problem::hessian`]: per block of cells, each model's
/// transformed values and the per-cell weights.
struct Gram {
    models: Vec<f64>,
    weights: Vec<f64>,
    probs: Vec<f64>,
}

/// Cells per block of the Hessian: small enough that the transformed block
/// of every model in play stays in cache while all pairs are multiplied.
const GRAM_BLOCK: usize = 256;

impl Gram {
    fn new(m: usize, width: usize) -> Self {
        Gram {
            models: vec![0.0; m * GRAM_BLOCK * width],
            weights: vec![0.0; GRAM_BLOCK * width],
            probs: vec![0.0; GRAM_BLOCK * width],
        }
    }
}

/// `Σ a_i b_i` with four independent accumulators, so that the compiler can
/// vectorise it (a single running sum fixes the order of additions).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = a4
        .remainder()
        .iter()
        .zip(b4.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a4.zip(b4) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Minimises the quadratic model `gᵀd + ½ dᵀHd` over steps `d` that keep
/// `x = w + d` on the simplex, by the primal active-set method (Nocedal &
/// Wright, *Numerical Optimization*, Algorithm 16.3): keep a set of
/// coordinates fixed at zero, minimise exactly over the others with the sum
/// constraint, step towards that minimiser until a coordinate hits zero, and
/// free the fixed coordinate whose multiplier is most negative when none
/// does. Each step solves a small linear system by Cholesky; the programmes
/// here have one variable per model in play, so this is cheap next to
/// building `H`. Working with the step rather than the point keeps the
/// model's gradient `g + H(x − w)` free of cancellation, so multipliers are
/// accurate to rounding and the duality gap can be driven to ~1e-15.
struct SimplexQp {
    fixed: Vec<bool>,
    idx: Vec<usize>,
    chol: Vec<f64>,
    ones: Vec<f64>,
    rhs: Vec<f64>,
    grad: Vec<f64>,
    step: Vec<f64>,
}

impl SimplexQp {
    fn new(m: usize) -> Self {
        SimplexQp {
            fixed: vec![false; m],
            idx: Vec::with_capacity(m),
            chol: vec![0.0; m * m],
            ones: vec![0.0; m],
            rhs: vec![0.0; m],
            grad: vec![0.0; m],
            step: vec![0.0; m],
        }
    }

    /// `h` is `n × n` row-major (positive semi-definite), `w` the current
    /// point on the simplex; `x` receives the minimiser (or the last iterate
    /// if the step budget runs out: each step lowers the model, so it is
    /// never worse than `w`).
    fn solve(&mut self, h: &[f64], g: &[f64], w: &[f64], x: &mut [f64]) {
        let n = x.len();
        let max_diag = (0..n).map(|i| h[i * n + i]).fold(0.0, f64::max);
        let tiny = 1e-15 * g.iter().fold(1.0, |a: f64, v| a.max(v.abs()));
        x.copy_from_slice(w);
        for (fixed, &xi) in self.fixed[..n].iter_mut().zip(x.iter()) {
            *fixed = xi <= 0.0;
        }
        for _ in 0..5 * n + 20 {
            // The model's gradient at x.
            for (s, (&xi, &wi)) in self.step[..n].iter_mut().zip(x.iter().zip(w)) {
                *s = xi - wi;
            }
            for i in 0..n {
                self.grad[i] = g[i] + dot(&h[i * n..(i + 1) * n], &self.step[..n]);
            }
            self.idx.clear();
            self.idx.extend((0..n).filter(|&i| !self.fixed[i]));
            let nf = self.idx.len();
            // The step p over the free coordinates to the minimiser with
            // Σ x = 1: H p + grad = ν·1, so p = ν H⁻¹1 − H⁻¹grad, with ν
            // fixing the sum (and absorbing any rounding drift in Σ x).
            self.factor(h, n, max_diag);
            let (l, ones, rhs) = (&self.chol[..nf * nf], &mut self.ones, &mut self.rhs);
            ones[..nf].fill(1.0);
            cholesky_solve(l, nf, &mut ones[..nf]);
            for (r, &i) in rhs.iter_mut().zip(&self.idx) {
                *r = self.grad[i];
            }
            cholesky_solve(l, nf, &mut rhs[..nf]);
            let drift = 1.0 - self.idx.iter().map(|&i| x[i]).sum::<f64>();
            let nu = (drift + rhs[..nf].iter().sum::<f64>()) / ones[..nf].iter().sum::<f64>();
            // Step towards it, as far as feasibility allows.
            let mut length = 1.0;
            let mut blocking = None;
            for (a, &i) in self.idx.iter().enumerate() {
                let p = nu * ones[a] - rhs[a];
                if p < 0.0 && x[i] < -length * p {
                    length = x[i] / -p;
                    blocking = Some(i);
                }
            }
            for (a, &i) in self.idx.iter().enumerate() {
                x[i] = (x[i] + length * (nu * ones[a] - rhs[a])).max(0.0);
            }
            if let Some(i) = blocking {
                x[i] = 0.0;
                self.fixed[i] = true;
                continue;
            }
            // At the minimiser for this fixed set: free the coordinate whose
            // multiplier grad_i − ν is most negative, or stop. ν here is the
            // gradient on the free coordinates, which the full step equalised.
            for (s, (&xi, &wi)) in self.step[..n].iter_mut().zip(x.iter().zip(w)) {
                *s = xi - wi;
            }
            let mut release = None;
            let mut most = -tiny;
            let mut level = 0.0;
            for &i in &self.idx {
                level += g[i] + dot(&h[i * n..(i + 1) * n], &self.step[..n]);
            }
            level /= nf as f64;
            for i in (0..n).filter(|&i| self.fixed[i]) {
                let multiplier = g[i] + dot(&h[i * n..(i + 1) * n], &self.step[..n]) - level;
                if multiplier < most {
                    most = multiplier;
                    release = Some(i);
                }
            }
            match release {
                Some(i) => self.fixed[i] = false,
                None => return,
            }
        }
    }

    /// Cholesky factor of `H` restricted to the free coordinates, plus a
    /// small ridge: it keeps the factor defined when `H` is singular (two
    /// identical models), splitting weight evenly between such models, and
    /// grows if rounding still breaks positive definiteness.
    fn factor(&mut self, h: &[f64], n: usize, max_diag: f64) {
        let nf = self.idx.len();
        let mut ridge = 1e-10 * max_diag + 1e-30;
        loop {
            for (a, &i) in self.idx.iter().enumerate() {
                for (b, &j) in self.idx.iter().enumerate() {
                    self.chol[a * nf + b] = h[i * n + j];
                }
                self.chol[a * nf + a] += ridge;
            }
            if cholesky(&mut self.chol[..nf * nf], nf) {
                return;
            }
            ridge *= 100.0;
        }
    }
}

/// In-place Cholesky factorisation `A = L Lᵀ` of a row-major `n × n`
/// matrix (lower triangle); false when `A` is not positive definite.
fn cholesky(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let d = a[j * n + j] - dot(&a[j * n..j * n + j], &a[j * n..j * n + j]);
        if !(d.is_finite() && d > 0.0) {
            return false;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let s = a[i * n + j] - dot(&a[i * n..i * n + j], &a[j * n..j * n + j]);
            a[i * n + j] = s / d;
        }
    }
    true
}

/// Solves `L Lᵀ x = b` in place, given the factor from [`cholesky`].
fn cholesky_solve(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let s = b[i] - dot(&l[i * n..i * n + i], &b[..i]);
        b[i] = s / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

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
    fn check(&self) -> Result<()> {
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
struct PatternSearch<'a> {
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
    fn new(
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
    fn rescore(&mut self) -> Result<f64> {
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

    fn better(&self, a: f64, b: f64) -> bool {
        self.metric.better(a, b)
    }

    /// The driver minimises: losses as they are, scores negated.
    fn objective(&self) -> f64 {
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
fn finish_rows(task: Task, k: usize, acc: &mut [f64], out: &mut [f32]) {
    match task {
        Task::Binary | Task::Multiclass { .. } => acc.chunks_exact_mut(k).for_each(normalize),
        Task::Multilabel { .. } => acc.iter_mut().for_each(|x| *x = x.clamp(0.0, 1.0)),
        Task::Regression => {}
    }
    for (o, &a) in out.iter_mut().zip(acc.iter()) {
        *o = a as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::fuser::Fitted;
    use crate::fusers::test_support::{build, probs, values};
    use crate::fusers::{GeometricMean, WeightedMean};
    use crate::predictions::TaskHint;
    use proptest::prelude::*;

    /// Asserts `project_simplex(v) == want` to rounding.
    macro_rules! projects {
        ($($v:expr => $want:expr),* $(,)?) => {$(
            let got = project_simplex(&$v);
            let want: &[f64] = &$want;
            assert!(
                got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-15),
                "{:?} projected to {got:?}, expected {want:?}", $v
            );
        )*};
    }

    #[test]
    fn projection_handles_interior_boundary_and_ties() {
        projects! {
            [0.2, 0.3, 0.5] => [0.2, 0.3, 0.5],
            [0.0, 0.0] => [0.5, 0.5],
            [-3.0, -3.0, -3.0] => [1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0],
            [5.0] => [1.0],
            [-1.0, 2.0, -1.0] => [0.0, 1.0, 0.0],
            [1.0, 1.0, 0.0] => [0.5, 0.5, 0.0],
            [0.6, 0.6, 0.6, -9.0] => [1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0, 0.0],
        }
    }

    #[test]
    #[should_panic(expected = "cannot project an empty vector")]
    fn projection_of_nothing_panics() {
        project_simplex(&[]);
    }

    fn three_models() -> (Predictions, Targets) {
        // m0 mostly right, m1 right where m0 is wrong, m2 noise.
        let p = probs(
            &[
                vec![0.8, 0.2, 0.7, 0.3, 0.3, 0.7, 0.6, 0.4],
                vec![0.4, 0.6, 0.3, 0.7, 0.9, 0.1, 0.5, 0.5],
                vec![0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
            ],
            2,
        );
        (p, Targets::Classes(vec![0, 0, 0, 1]))
    }

    #[test]
    fn optimum_beats_every_model_and_the_mean() {
        let (p, t) = three_models();
        let (w, report) =
            optimize_weights(&p, &t, Objective::LogLoss, &SimplexOptions::default()).unwrap();
        assert!(report.converged, "{report:?}");
        for m in 0..3 {
            let alone = metrics::log_loss(&[0, 0, 0, 1], p.model(m), 2);
            assert!(report.objective <= alone, "model {m}: {alone}");
        }
        let uniform = Objective::LogLoss
            .value(&p, &t, &Weights::uniform(3))
            .unwrap();
        assert!(report.objective < uniform);
        assert!(w.as_slice()[0] > w.as_slice()[2]);
    }

    #[test]
    fn one_model_gets_all_the_weight_at_once() {
        let p = probs(&[vec![0.7, 0.3, 0.4, 0.6]], 2);
        let t = Targets::Classes(vec![0, 1]);
        let (w, report) = optimize_weights(
            &p,
            &t,
            Objective::GeometricLogLoss,
            &SimplexOptions::default(),
        )
        .unwrap();
        assert_eq!(w.as_slice(), [1.0]);
        assert_eq!((report.iterations, report.converged), (1, true));
    }

    #[test]
    fn a_dominated_model_gets_exactly_zero() {
        // m1 is m0 with every probability moved towards the wrong class.
        let p = probs(
            &[
                vec![0.9, 0.1, 0.2, 0.8, 0.7, 0.3],
                vec![0.6, 0.4, 0.5, 0.5, 0.4, 0.6],
            ],
            2,
        );
        let t = Targets::Classes(vec![0, 1, 0]);
        let (w, _) =
            optimize_weights(&p, &t, Objective::LogLoss, &SimplexOptions::default()).unwrap();
        assert_eq!(w.as_slice(), [1.0, 0.0]);
    }

    #[test]
    fn squared_error_finds_the_least_squares_mix() {
        // y = 0.25 a + 0.75 b exactly.
        let p = values(&[vec![0.0, 4.0, 8.0], vec![4.0, 0.0, 4.0]]);
        let t = Targets::Values(vec![3.0, 1.0, 5.0]);
        let (w, report) =
            optimize_weights(&p, &t, Objective::SquaredError, &SimplexOptions::default()).unwrap();
        assert!((w.as_slice()[0] - 0.25).abs() < 1e-9, "{w:?}");
        assert!(report.objective < 1e-15);
    }

    #[test]
    fn log_loss_objective_is_the_metric_of_the_weighted_mean() {
        let (p, t) = three_models();
        let w = Weights::new(vec![0.5, 0.3, 0.2]).unwrap();
        let fused = WeightedMean::new(w.clone()).predict(&p).unwrap();
        let metric = metrics::log_loss(t.classes().unwrap(), fused.as_slice(), 2);
        let objective = Objective::LogLoss.value(&p, &t, &w).unwrap();
        assert!((metric - objective).abs() < 1e-7, "{metric} vs {objective}");

        let ml = build(
            &[vec![0.9, 0.2, 0.6, 0.1], vec![0.5, 0.4, 0.7, 0.3]],
            2,
            TaskHint::Multilabel,
        );
        let truth = vec![true, false, true, true];
        let t = Targets::Multilabel {
            n_labels: 2,
            matrix: truth.clone(),
        };
        let fused = WeightedMean::new(w_of(&[0.7, 0.3])).predict(&ml).unwrap();
        let metric = metrics::multilabel_log_loss(&truth, fused.as_slice());
        let objective = Objective::LogLoss
            .value(&ml, &t, &w_of(&[0.7, 0.3]))
            .unwrap();
        assert!((metric - objective).abs() < 1e-7, "{metric} vs {objective}");
    }

    fn w_of(raw: &[f64]) -> Weights {
        Weights::new(raw.to_vec()).unwrap()
    }

    #[test]
    fn geometric_objective_is_the_log_loss_of_the_geometric_mean() {
        // Zeros exercise the floor: the objective must floor exactly where
        // the fuser does, or the two disagree by orders of magnitude.
        let p = probs(
            &[
                vec![1.0, 0.0, 0.0, 0.3, 0.7, 0.0],
                vec![0.2, 0.5, 0.3, 0.0, 0.0, 1.0],
            ],
            3,
        );
        let t = Targets::Classes(vec![1, 2]);
        let w = w_of(&[0.5, 0.5]);
        let fused = GeometricMean::with_weights(w.clone()).predict(&p).unwrap();
        let metric = metrics::log_loss(&[1, 2], fused.as_slice(), 3);
        let objective = Objective::GeometricLogLoss.value(&p, &t, &w).unwrap();
        assert!(
            (metric - objective).abs() < 1e-6 * metric,
            "{metric} vs {objective}"
        );

        // Weights that keep the fused cells away from 0 and 1, where f32
        // output cannot resolve them.
        let w = w_of(&[0.1, 0.9]);
        let ml = build(&[vec![1.0, 0.25], vec![0.5, 0.0]], 2, TaskHint::Multilabel);
        let truth = vec![false, true];
        let t = Targets::Multilabel {
            n_labels: 2,
            matrix: truth.clone(),
        };
        let fused = GeometricMean::with_weights(w.clone()).predict(&ml).unwrap();
        let metric = metrics::multilabel_log_loss(&truth, fused.as_slice());
        let objective = Objective::GeometricLogLoss.value(&ml, &t, &w).unwrap();
        assert!(
            (metric - objective).abs() < 1e-6 * metric,
            "{metric} vs {objective}"
        );
    }

    #[test]
    fn objectives_refuse_the_wrong_task() {
        let (p, t) = three_models();
        let opts = SimplexOptions::default();
        let e = optimize_weights(&p, &t, Objective::SquaredError, &opts).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert_eq!(
            e.to_string(),
            "the squared_error objective does not apply to a binary task; use log_loss or geometric_log_loss"
        );
        let r = values(&[vec![1.0, 2.0]]);
        let e = optimize_weights(
            &r,
            &Targets::Values(vec![1.0, 2.0]),
            Objective::LogLoss,
            &opts,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the log_loss objective does not apply to a regression task; use squared_error"
        );
    }

    #[test]
    fn mismatched_targets_are_shape_errors() {
        let (p, _) = three_models();
        let opts = SimplexOptions::default();
        let cases: [(Targets, ErrorKind, &str); 4] = [
            (
                Targets::Classes(vec![0, 1]),
                ErrorKind::Shape,
                "expected targets for 4 samples, found 2",
            ),
            (
                Targets::Values(vec![0.0; 4]),
                ErrorKind::Shape,
                "expected class indices as targets for a binary task, found real values",
            ),
            (
                Targets::Multilabel {
                    n_labels: 2,
                    matrix: vec![true; 8],
                },
                ErrorKind::Shape,
                "expected class indices as targets for a binary task, found a label matrix",
            ),
            (
                Targets::Classes(vec![0, 0, 2, 1]),
                ErrorKind::UnknownLabel,
                "id '2': expected a class index below 2, found 2",
            ),
        ];
        for (t, kind, msg) in cases {
            let e = optimize_weights(&p, &t, Objective::LogLoss, &opts).unwrap_err();
            assert_eq!((e.kind(), e.to_string().as_str()), (kind, msg));
        }
        let bad = SimplexOptions {
            max_iter: 10,
            tol: f64::NAN,
        };
        let e = optimize_weights(&p, &Targets::Classes(vec![0; 4]), Objective::LogLoss, &bad)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidParameter);
    }

    #[test]
    fn search_improves_accuracy_and_is_deterministic() {
        // m0 is right on samples 0–2, m1 confidently wrong there; each 0.1
        // of weight moved to m0 flips one more of them (at w0 ≈ 0.55, 0.65,
        // 0.74), and sample 3 stays right up to w0 ≈ 0.95. The uniform mean
        // gets only sample 3 right.
        let p = probs(
            &[
                vec![0.83, 0.17, 0.72, 0.28, 0.64, 0.36, 0.52, 0.48],
                vec![0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9],
            ],
            2,
        );
        let t = Targets::Classes(vec![0, 0, 0, 1]);
        let uniform = WeightedMean::new(Weights::uniform(2)).predict(&p).unwrap();
        let at_start = metrics::score(Metric::Accuracy, &uniform, 0, &t).unwrap();
        let opts = SearchOptions {
            start: SearchStart::Uniform,
            ..Default::default()
        };
        let (w, acc) = search_weights(&p, &t, Metric::Accuracy, &opts).unwrap();
        assert_eq!((at_start, acc), (0.25, 1.0), "{w:?}");
        // The reported score is the score of the weighted mean at `w`.
        let fused = WeightedMean::new(w.clone()).predict(&p).unwrap();
        assert_eq!(
            metrics::score(Metric::Accuracy, &fused, 0, &t).unwrap(),
            acc
        );
        // The search is deterministic, bit for bit.
        assert_eq!(
            search_weights(&p, &t, Metric::Accuracy, &opts).unwrap(),
            (w, acc)
        );
        // From the log-loss optimum it is never worse than that optimum.
        let optimum = optimize_weights(&p, &t, Objective::LogLoss, &SimplexOptions::default())
            .unwrap()
            .0;
        let fused = WeightedMean::new(optimum).predict(&p).unwrap();
        let at_optimum = metrics::score(Metric::F1Macro, &fused, 0, &t).unwrap();
        let (_, f1) = search_weights(&p, &t, Metric::F1Macro, &SearchOptions::default()).unwrap();
        assert!(f1 >= at_optimum, "{f1} < {at_optimum}");
    }

    #[test]
    fn search_lowers_losses() {
        let (p, t) = three_models();
        let opts = SearchOptions {
            start: SearchStart::Uniform,
            ..Default::default()
        };
        let uniform = WeightedMean::new(Weights::uniform(3)).predict(&p).unwrap();
        let before = metrics::score(Metric::Brier, &uniform, 0, &t).unwrap();
        let (_, after) = search_weights(&p, &t, Metric::Brier, &opts).unwrap();
        assert!(after < before, "{after} >= {before}");

        let r = values(&[vec![0.0, 4.0, 8.0], vec![4.0, 0.0, 4.0]]);
        let y = Targets::Values(vec![3.0, 1.0, 5.0]);
        let (w, mae) = search_weights(&r, &y, Metric::Mae, &SearchOptions::default()).unwrap();
        assert!(mae < 1e-6, "{w:?}: {mae}");

        // Multilabel: the fused cells are clamped, not renormalised.
        let ml = build(
            &[vec![0.9, 0.6, 0.2, 0.7], vec![0.4, 0.1, 0.75, 0.2]],
            2,
            TaskHint::Multilabel,
        );
        let t = Targets::Multilabel {
            n_labels: 2,
            matrix: vec![true, false, true, false],
        };
        let uniform = WeightedMean::new(Weights::uniform(2)).predict(&ml).unwrap();
        let before = metrics::score(Metric::F1Micro, &uniform, 0, &t).unwrap();
        let (w, after) = search_weights(&ml, &t, Metric::F1Micro, &opts).unwrap();
        assert!(after > before, "{w:?}: {after} <= {before}");
    }

    #[test]
    fn search_refuses_metrics_of_other_tasks() {
        let (p, t) = three_models();
        let e = search_weights(&p, &t, Metric::Rmse, &SearchOptions::default()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert_eq!(e.to_string(), "rmse does not apply to a binary task");
        let bad = SearchOptions {
            step: 0.0,
            ..Default::default()
        };
        let e = search_weights(&p, &t, Metric::Accuracy, &bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected a weight search step in (0, 1], found 0"
        );
    }

    /// Labelled probability blocks: `m` models × `n` samples × `k` classes.
    fn labelled() -> impl Strategy<Value = (Predictions, Targets)> {
        (1usize..5, 1usize..20, 2usize..5).prop_flat_map(|(m, n, k)| {
            (
                prop::collection::vec(prop::collection::vec(1e-4f32..1.0, n * k), m),
                prop::collection::vec(0..k, n),
            )
                .prop_map(move |(mut blocks, y)| {
                    for block in &mut blocks {
                        for row in block.chunks_exact_mut(k) {
                            let s: f32 = row.iter().sum();
                            row.iter_mut().for_each(|x| *x /= s);
                        }
                    }
                    (probs(&blocks, k), Targets::Classes(y))
                })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn projection_lands_on_the_simplex_and_is_idempotent(
            v in prop::collection::vec(-1e3f64..1e3, 1..30)
        ) {
            let w = project_simplex(&v);
            let sum: f64 = w.iter().sum();
            prop_assert!((sum - 1.0).abs() < 1e-12, "sums to {sum}");
            prop_assert!(w.iter().all(|&x| x >= 0.0));
            let again = project_simplex(&w);
            for (a, b) in w.iter().zip(&again) {
                prop_assert!((a - b).abs() < 1e-12, "{w:?} then {again:?}");
            }
        }

        #[test]
        fn optimised_log_loss_beats_every_model_and_the_mean((p, t) in labelled()) {
            let y = t.classes().unwrap().to_vec();
            let k = p.n_outputs();
            for objective in [Objective::LogLoss, Objective::GeometricLogLoss] {
                let (w, report) =
                    optimize_weights(&p, &t, objective, &SimplexOptions::default()).unwrap();
                prop_assert!(report.converged, "{objective:?}: {report:?}");
                let sum: f64 = w.as_slice().iter().sum();
                prop_assert!((sum - 1.0).abs() < 1e-12);
                prop_assert!(w.as_slice().iter().all(|&x| (0.0..=1.0).contains(&x)));
                let slack = 1e-9 * report.objective.max(1.0);
                let uniform = objective.value(&p, &t, &Weights::uniform(p.n_models())).unwrap();
                prop_assert!(report.objective <= uniform + slack);
                for m in 0..p.n_models() {
                    let alone = metrics::log_loss(&y, p.model(m), k);
                    prop_assert!(report.objective <= alone + 1e-6 * alone.max(1.0),
                        "{objective:?}: {} > model {m}'s {alone}", report.objective);
                }
            }
        }
    }
}
