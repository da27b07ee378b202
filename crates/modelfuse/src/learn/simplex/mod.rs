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

mod newton;
mod qp;
mod search;
#[cfg(test)]
mod tests;

use newton::Newton;
pub use search::{SearchOptions, SearchStart, search_weights};
