//! L-BFGS: unconstrained minimisation of a smooth function from its value and
//! gradient, the solver behind [`LogisticRegression`](super::logistic::LogisticRegression).
//!
//! Limited-memory BFGS (Nocedal 1980; Liu & Nocedal 1989) keeps the last
//! `memory` steps and gradient changes and applies the inverse-Hessian
//! approximation they define with the two-loop recursion, so a step costs
//! `O(memory · n)` besides the function evaluations. It is the method
//! scikit-learn's `LogisticRegression(solver="lbfgs")` uses (through SciPy's
//! L-BFGS-B), which is why stacking uses it here.
//!
//! # The line search
//!
//! Steps are chosen by a line search that enforces the *strong Wolfe*
//! conditions (bracketing then zooming with safeguarded cubic interpolation,
//! Nocedal & Wright, *Numerical Optimization*, 2nd ed., algorithms 3.5 and
//! 3.6). We chose it over backtracking with a separate curvature check
//! because the curvature condition is what keeps `sᵀy > 0`, and therefore the
//! BFGS matrix positive definite, on every step: backtracking only shrinks a
//! step, so when the unit step is too short (common in the first iterations,
//! and on flat valleys such as Rosenbrock's) it can never repair the
//! curvature and has to skip updates, which slows convergence exactly where
//! we need it. Bracketing can lengthen the step as well as shorten it.
//!
//! Near the optimum the decrease a step achieves falls below the rounding
//! noise of the objective, and the Armijo test becomes a coin toss. We then
//! also accept Hager & Zhang's *approximate Wolfe* condition (2005): the
//! value did not rise beyond the noise level and the directional derivative
//! fell enough. It relies on the gradient, which stays accurate long after
//! the value has run out of digits, so the solver can drive the gradient well
//! below what value comparisons alone could certify.
//!
//! # Stopping
//!
//! The solver runs inside the crate's one loop, [`Driver`]: each
//! [`Solver::next_iter`] is one L-BFGS iteration. It stops when the largest
//! gradient component is at most `gtol` (SciPy's `pgtol` test without
//! bounds), when an iteration improves the objective by at most
//! `ftol · max(1, |f|)` (the driver's rule, SciPy's `factr` test), or after
//! `max_iter` iterations.

use std::collections::VecDeque;

use crate::error::{Error, Result};
use crate::learn::driver::{Driver, Report, Solver, Step};

/// Sufficient-decrease constant of the Wolfe conditions (the usual choice).
const C1: f64 = 1e-4;
/// Curvature constant: 0.9 for quasi-Newton methods, so the unit step is
/// accepted as often as possible (Nocedal & Wright, §3.1).
const C2: f64 = 0.9;
/// Function evaluations allowed per line search; scikit-learn raises SciPy's
/// default of 20 to 50 for logistic regression, and so do we.
const MAX_LINE_SEARCH: usize = 50;
/// Rounding-noise allowance of the approximate Wolfe test, relative to
/// `|f|`: a few ulps of a sum of many terms.
const NOISE: f64 = 16.0 * f64::EPSILON;

/// Settings of an L-BFGS minimisation.
///
/// # Example
///
/// ```
/// use modelfuse::learn::lbfgs::Lbfgs;
///
/// // f(x, y) = (x - 1)² + 10 (y + 2)²
/// let f = |x: &[f64], g: &mut [f64]| {
///     g[0] = 2.0 * (x[0] - 1.0);
///     g[1] = 20.0 * (x[1] + 2.0);
///     (x[0] - 1.0).powi(2) + 10.0 * (x[1] + 2.0).powi(2)
/// };
/// let (x, report) = Lbfgs::default().minimize(f, vec![0.0, 0.0])?;
/// assert!(report.converged);
/// assert!((x[0] - 1.0).abs() < 1e-8 && (x[1] + 2.0).abs() < 1e-8);
/// # Ok::<(), modelfuse::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lbfgs {
    /// How many past steps the inverse-Hessian approximation remembers
    /// (default 10, as scikit-learn's SciPy call).
    pub memory: usize,
    /// The most iterations (default 1000).
    pub max_iter: usize,
    /// Stop when `max |∂f/∂xᵢ| <= gtol` (default `1e-8`).
    pub gtol: f64,
    /// Stop when an iteration lowers `f` by at most `ftol · max(1, |f|)`
    /// (default `64 ε ≈ 1.4e-14`, scikit-learn's setting); `0` disables it.
    pub ftol: f64,
}

impl Default for Lbfgs {
    fn default() -> Self {
        Lbfgs {
            memory: 10,
            max_iter: 1000,
            gtol: 1e-8,
            ftol: 64.0 * f64::EPSILON,
        }
    }
}

impl Lbfgs {
    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::ErrorKind::InvalidParameter) when `memory` is zero or a tolerance
    /// is negative or not finite.
    pub fn check(&self) -> Result<()> {
        if self.memory == 0 {
            return Err(Error::param(
                "expected an l-bfgs memory of at least 1, found 0",
            ));
        }
        for (name, v) in [("gtol", self.gtol), ("ftol", self.ftol)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::param(format!(
                    "expected a finite non-negative {name}, found {v}"
                )));
            }
        }
        Ok(())
    }

    /// Minimises `f` from `x0`; returns the last iterate and how the run
    /// ended.
    ///
    /// `f(x, grad)` returns the value at `x` and writes the gradient into
    /// `grad` (of the same length). A run that stops on the budget, or
    /// because no step can lower `f` any more, is not an error: the report
    /// says `converged: false` and the best point found is returned.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`](crate::ErrorKind::InvalidParameter) for invalid settings;
    /// [`ErrorKind::InvalidValue`](crate::ErrorKind::InvalidValue) when `x0`, or `f` or its gradient at `x0`,
    /// is not finite, or when every trial step of a line search gives a
    /// non-finite value.
    pub fn minimize<F>(&self, f: F, x0: Vec<f64>) -> Result<(Vec<f64>, Report)>
    where
        F: FnMut(&[f64], &mut [f64]) -> f64,
    {
        let mut solver = self.solver(f, x0)?;
        let mut report = Driver::new(self.max_iter, self.ftol).run(&mut solver)?;
        // The driver sees only objectives; a stall is a stop, not a success,
        // unless the gradient test happens to hold there.
        report.objective = solver.objective();
        if solver.is_stalled() && max_abs(solver.gradient()) > self.gtol {
            report.converged = false;
        }
        Ok((solver.into_x(), report))
    }

    /// The solver itself, for running under a [`Driver`] with an observer;
    /// evaluates `f` once at `x0`.
    ///
    /// # Errors
    ///
    /// As [`Lbfgs::minimize`].
    pub fn solver<F>(&self, mut f: F, x0: Vec<f64>) -> Result<LbfgsSolver<F>>
    where
        F: FnMut(&[f64], &mut [f64]) -> f64,
    {
        self.check()?;
        if let Some(i) = x0.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid_value(format!(
                "expected a finite starting point, found {} at position {i}",
                x0[i]
            )));
        }
        let n = x0.len();
        let mut g = vec![0.0; n];
        let fx = f(&x0, &mut g);
        if !fx.is_finite() {
            return Err(Error::invalid_value(format!(
                "expected a finite objective at the starting point, found {fx}"
            )));
        }
        if let Some(i) = g.iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid_value(format!(
                "expected a finite gradient at the starting point, found {} at position {i}",
                g[i]
            )));
        }
        Ok(LbfgsSolver {
            f,
            gtol: self.gtol,
            memory: self.memory,
            x: x0,
            fx,
            g,
            pairs: VecDeque::with_capacity(self.memory),
            spare: None,
            d: vec![0.0; n],
            x_trial: vec![0.0; n],
            g_trial: vec![0.0; n],
            f_trial: fx,
            alpha: vec![0.0; self.memory],
            evaluations: 1,
            stalled: false,
            only_non_finite: false,
        })
    }
}

/// One remembered step: `s = x₊ − x`, `y = g₊ − g`, `rho = 1 / sᵀy`.
struct Pair {
    s: Vec<f64>,
    y: Vec<f64>,
    rho: f64,
}

/// A point on the search line: step length, value, directional derivative.
#[derive(Clone, Copy, Debug)]
struct Probe {
    alpha: f64,
    f: f64,
    dphi: f64,
}

/// An L-BFGS run in progress; each [`Solver::next_iter`] is one iteration.
///
/// Made by [`Lbfgs::solver`]; read the result with [`LbfgsSolver::x`] or
/// [`LbfgsSolver::into_x`].
pub struct LbfgsSolver<F> {
    f: F,
    gtol: f64,
    memory: usize,
    x: Vec<f64>,
    fx: f64,
    g: Vec<f64>,
    pairs: VecDeque<Pair>,
    /// The oldest pair's buffers, reused for the next one once memory is
    /// full, so a long run allocates nothing per iteration.
    spare: Option<Pair>,
    d: Vec<f64>,
    x_trial: Vec<f64>,
    g_trial: Vec<f64>,
    f_trial: f64,
    /// Scratch for the two-loop recursion.
    alpha: Vec<f64>,
    evaluations: usize,
    stalled: bool,
    /// Whether every probe of the last line search was non-finite.
    only_non_finite: bool,
}

impl<F> LbfgsSolver<F>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    /// The current iterate.
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// Consumes the solver, returning the current iterate.
    pub fn into_x(self) -> Vec<f64> {
        self.x
    }

    /// The objective at the current iterate.
    pub fn objective(&self) -> f64 {
        self.fx
    }

    /// The gradient at the current iterate.
    pub fn gradient(&self) -> &[f64] {
        &self.g
    }

    /// Function evaluations so far, the one at the start included.
    pub fn evaluations(&self) -> usize {
        self.evaluations
    }

    /// Whether the run stopped because no step could lower the objective
    /// (usually: it is at the optimum to machine precision).
    pub fn is_stalled(&self) -> bool {
        self.stalled
    }

    /// Writes `d = −H g` by the two-loop recursion.
    fn direction(&mut self) {
        self.d.copy_from_slice(&self.g);
        for (i, p) in self.pairs.iter().enumerate().rev() {
            let a = p.rho * dot(&p.s, &self.d);
            self.alpha[i] = a;
            axpy(-a, &p.y, &mut self.d);
        }
        // H₀ = γI with γ = sᵀy / yᵀy of the newest pair: the scaling that
        // makes the unit step usually acceptable (Nocedal & Wright, 7.20).
        if let Some(p) = self.pairs.back() {
            let gamma = 1.0 / (p.rho * dot(&p.y, &p.y));
            self.d.iter_mut().for_each(|v| *v *= gamma);
        }
        for (i, p) in self.pairs.iter().enumerate() {
            let b = p.rho * dot(&p.y, &self.d);
            axpy(self.alpha[i] - b, &p.s, &mut self.d);
        }
        self.d.iter_mut().for_each(|v| *v = -*v);
    }

    /// Evaluates `f` at `x + alpha d` into the trial buffers. A non-finite
    /// value or gradient reads as `+∞`: the step went too far.
    fn probe(&mut self, alpha: f64) -> Probe {
        for ((t, &x), &d) in self.x_trial.iter_mut().zip(&self.x).zip(&self.d) {
            *t = x + alpha * d;
        }
        self.evaluations += 1;
        let f = (self.f)(&self.x_trial, &mut self.g_trial);
        let dphi = dot(&self.g_trial, &self.d);
        self.f_trial = f;
        if f.is_finite() && dphi.is_finite() && self.g_trial.iter().all(|v| v.is_finite()) {
            Probe { alpha, f, dphi }
        } else {
            Probe {
                alpha,
                f: f64::INFINITY,
                dphi: f64::NAN,
            }
        }
    }

    /// Finds a step along `d` meeting the strong (or approximate) Wolfe
    /// conditions; on success the trial buffers hold the accepted point.
    /// `None` when no step lowers the objective.
    fn line_search(&mut self, alpha0: f64, dphi0: f64) -> Option<Probe> {
        let f0 = self.fx;
        let noise = NOISE * f0.abs();
        let sufficient = |p: &Probe| {
            p.f <= f0 + C1 * p.alpha * dphi0
                || (p.f <= f0 + noise && p.dphi <= (2.0 * C1 - 1.0) * dphi0)
        };
        let curvature = |p: &Probe| p.dphi.abs() <= -C2 * dphi0;
        let start = Probe {
            alpha: 0.0,
            f: f0,
            dphi: dphi0,
        };
        let mut any_finite = false;
        let mut prev = start;
        let mut alpha = alpha0;
        let mut evals = 0;
        // Bracketing: lengthen the step until it is acceptable or an
        // interval known to contain an acceptable step is found.
        let (mut lo, mut hi) = loop {
            let cur = self.probe(alpha);
            evals += 1;
            any_finite |= cur.f.is_finite();
            if !sufficient(&cur) || (prev.alpha > 0.0 && cur.f > prev.f + noise) {
                break (prev, cur);
            }
            if curvature(&cur) {
                return Some(cur);
            }
            if cur.dphi >= 0.0 {
                break (cur, prev);
            }
            if evals >= MAX_LINE_SEARCH {
                // Still descending steeply at the longest step tried: take
                // it, it satisfies the sufficient decrease.
                return Some(cur);
            }
            let next = cubic_min(&prev, &cur).unwrap_or(f64::NAN);
            alpha = if next.is_finite() {
                next.clamp(2.0 * cur.alpha, 10.0 * cur.alpha)
            } else {
                4.0 * cur.alpha
            };
            prev = cur;
        };
        // Zoom: shrink [lo, hi] (lo always satisfies sufficient decrease
        // and, up to noise, has the lower value) until a step meets both
        // conditions.
        // Values within the noise of each other count as equal, and then
        // the slope decides which end to keep: comparing digits of noise
        // would send the search the wrong way half of the time.
        while evals < MAX_LINE_SEARCH {
            let (a, b) = (lo.alpha.min(hi.alpha), lo.alpha.max(hi.alpha));
            let width = b - a;
            if width <= f64::EPSILON * b {
                break;
            }
            let t = if hi.f.is_finite() {
                cubic_min(&lo, &hi).unwrap_or(f64::NAN)
            } else {
                f64::NAN
            };
            let t = if t.is_finite() {
                t.clamp(a + 0.1 * width, b - 0.1 * width)
            } else {
                0.5 * (a + b)
            };
            let cur = self.probe(t);
            evals += 1;
            any_finite |= cur.f.is_finite();
            if !sufficient(&cur) || cur.f > lo.f + noise {
                hi = cur;
            } else {
                if curvature(&cur) {
                    return Some(cur);
                }
                if cur.dphi * (hi.alpha - lo.alpha) >= 0.0 {
                    hi = lo;
                }
                lo = cur;
            }
        }
        self.only_non_finite = !any_finite;
        // Out of budget: settle for the best point found, which meets the
        // sufficient decrease test, if there is one.
        if lo.alpha > 0.0 {
            let p = self.probe(lo.alpha);
            if p.f.is_finite() {
                return Some(p);
            }
        }
        None
    }

    /// Stores the step just taken, reusing the oldest pair's buffers when
    /// memory is full. Skips steps without positive curvature, which would
    /// break positive definiteness (the strong Wolfe search rules them out
    /// except through rounding).
    fn remember(&mut self) {
        let mut pair = self.spare.take().unwrap_or_else(|| Pair {
            s: vec![0.0; self.x.len()],
            y: vec![0.0; self.x.len()],
            rho: 0.0,
        });
        for i in 0..self.x.len() {
            pair.s[i] = self.x_trial[i] - self.x[i];
            pair.y[i] = self.g_trial[i] - self.g[i];
        }
        let sy = dot(&pair.s, &pair.y);
        let yy = dot(&pair.y, &pair.y);
        if sy > f64::EPSILON * yy && sy.is_finite() {
            pair.rho = 1.0 / sy;
            if self.pairs.len() == self.memory {
                self.spare = self.pairs.pop_front();
            }
            self.pairs.push_back(pair);
        } else {
            self.spare = Some(pair);
        }
    }
}

impl<F> Solver for LbfgsSolver<F>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    fn next_iter(&mut self) -> Result<Step> {
        if self.stalled || max_abs(&self.g) <= self.gtol {
            return Ok(Step {
                objective: self.fx,
                converged: true,
            });
        }
        let mut accepted = None;
        // At most two tries: the quasi-Newton direction, then, if its line
        // search fails, steepest descent with the memory cleared (rounding
        // can make an old curvature pair misleading).
        for attempt in 0..2 {
            let mut dphi0 = f64::NAN;
            if attempt == 0 && !self.pairs.is_empty() {
                self.direction();
                dphi0 = dot(&self.d, &self.g);
            }
            let steepest = dphi0.is_nan() || dphi0 >= 0.0;
            if steepest {
                self.pairs.clear();
                self.d.iter_mut().zip(&self.g).for_each(|(d, g)| *d = -g);
                dphi0 = -dot(&self.g, &self.g);
            }
            // Without curvature information the scale of the gradient is
            // the only hint: a first step of unit length (SciPy's choice).
            let alpha0 = if steepest {
                (1.0 / dphi0.abs().sqrt()).min(1.0)
            } else {
                1.0
            };
            accepted = self.line_search(alpha0, dphi0);
            if accepted.is_some() || steepest {
                break;
            }
        }
        if accepted.is_none() {
            if self.only_non_finite {
                return Err(Error::invalid_value(format!(
                    "expected a finite objective along the search direction, found none in \
                     {MAX_LINE_SEARCH} trial steps"
                )));
            }
            self.stalled = true;
            return Ok(Step {
                objective: self.fx,
                converged: true,
            });
        }
        self.remember();
        std::mem::swap(&mut self.x, &mut self.x_trial);
        std::mem::swap(&mut self.g, &mut self.g_trial);
        self.fx = self.f_trial;
        Ok(Step {
            objective: self.fx,
            converged: max_abs(&self.g) <= self.gtol,
        })
    }
}

/// The minimiser of the cubic interpolating values and slopes at `a` and
/// `b` (Nocedal & Wright, 3.59); `None` when the cubic has no minimum.
fn cubic_min(a: &Probe, b: &Probe) -> Option<f64> {
    let d1 = a.dphi + b.dphi - 3.0 * (a.f - b.f) / (a.alpha - b.alpha);
    let disc = d1 * d1 - a.dphi * b.dphi;
    if disc.is_nan() || disc < 0.0 {
        return None;
    }
    let d2 = (b.alpha - a.alpha).signum() * disc.sqrt();
    let t = b.alpha - (b.alpha - a.alpha) * (b.dphi + d2 - d1) / (b.dphi - a.dphi + 2.0 * d2);
    t.is_finite().then_some(t)
}

/// `Σ aᵢ bᵢ`, with four accumulators so the compiler can vectorise it.
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    debug_assert_eq!(a.len(), b.len(), "dot of unequal lengths");
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// `y += a x`.
pub(crate) fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    debug_assert_eq!(x.len(), y.len(), "axpy of unequal lengths");
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// `max |vᵢ|`, `0` for an empty slice.
pub(crate) fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use proptest::prelude::*;

    /// Rosenbrock's banana in `n` dimensions (the chained form), minimum 0
    /// at `(1, …, 1)`.
    fn rosenbrock(x: &[f64], g: &mut [f64]) -> f64 {
        g.iter_mut().for_each(|v| *v = 0.0);
        let mut f = 0.0;
        for i in 0..x.len() - 1 {
            let a = x[i + 1] - x[i] * x[i];
            let b = 1.0 - x[i];
            f += 100.0 * a * a + b * b;
            g[i] += -400.0 * x[i] * a - 2.0 * b;
            g[i + 1] += 200.0 * a;
        }
        f
    }

    #[test]
    fn lbfgs_solves_rosenbrock_from_the_classic_start() {
        let lbfgs = Lbfgs {
            gtol: 1e-10,
            ftol: 0.0,
            ..Lbfgs::default()
        };
        let (x, r) = lbfgs.minimize(rosenbrock, vec![-1.2, 1.0]).unwrap();
        assert!(r.converged, "{r:?}");
        assert!(r.iterations < 100, "{r:?}");
        for v in &x {
            assert!((v - 1.0).abs() < 1e-9, "{x:?}");
        }
        let (x, r) = lbfgs.minimize(rosenbrock, vec![-1.0; 10]).unwrap();
        assert!(r.converged, "{r:?}");
        assert!(x.iter().all(|v| (v - 1.0).abs() < 1e-8), "{x:?}");
    }

    #[test]
    fn lbfgs_solves_an_ill_conditioned_quadratic() {
        // f = ½ Σ cᵢ (xᵢ − 1)², eigenvalues spread evenly (in log) over
        // three decades: the hard case for limited memory. SciPy's L-BFGS-B
        // (m = 10) needs 369 iterations for gtol = 1e-9; a spread of 1e6 it
        // does not solve in 1000, and neither do we.
        let n = 50;
        let c: Vec<f64> = (0..n)
            .map(|i| 10f64.powf(3.0 * i as f64 / (n - 1) as f64))
            .collect();
        let f = |x: &[f64], g: &mut [f64]| {
            let mut v = 0.0;
            for i in 0..n {
                let r = x[i] - 1.0;
                g[i] = c[i] * r;
                v += 0.5 * c[i] * r * r;
            }
            v
        };
        let lbfgs = Lbfgs {
            gtol: 1e-9,
            ftol: 0.0,
            ..Lbfgs::default()
        };
        let (x, r) = lbfgs.minimize(f, vec![0.0; n]).unwrap();
        assert!(r.converged && r.iterations < 500, "{r:?}");
        for i in 0..n {
            assert!((x[i] - 1.0).abs() * c[i] <= 1e-9, "x[{i}] = {}", x[i]);
        }
    }

    #[test]
    fn lbfgs_stops_at_once_on_a_zero_gradient() {
        let mut calls = 0;
        let f = |x: &[f64], g: &mut [f64]| {
            calls += 1;
            g[0] = 2.0 * x[0];
            x[0] * x[0]
        };
        let (x, r) = Lbfgs::default().minimize(f, vec![0.0]).unwrap();
        assert_eq!((x, r.iterations, r.converged), (vec![0.0], 1, true));
        assert_eq!(calls, 1);
    }

    #[test]
    fn lbfgs_reports_the_budget() {
        let lbfgs = Lbfgs {
            max_iter: 3,
            ftol: 0.0,
            gtol: 0.0,
            ..Lbfgs::default()
        };
        let (_, r) = lbfgs.minimize(rosenbrock, vec![-1.2, 1.0]).unwrap();
        assert_eq!((r.iterations, r.converged), (3, false));
        assert!(r.objective < 24.2, "{r:?}");
    }

    #[test]
    fn lbfgs_backs_off_from_non_finite_regions() {
        // ln-barrier: f = x − ln x is +∞ (NaN) for x <= 0, minimum at 1.
        // The first steps overshoot into x < 0 and must be shortened.
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = 1.0 - 1.0 / x[0];
            x[0] - x[0].ln()
        };
        let (x, r) = Lbfgs::default().minimize(f, vec![0.05]).unwrap();
        assert!(r.converged, "{r:?}");
        assert!((x[0] - 1.0).abs() < 1e-8, "{x:?}");
    }

    #[test]
    fn lbfgs_rejects_non_finite_input() {
        let err = Lbfgs::default()
            .minimize(rosenbrock, vec![f64::NAN, 1.0])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
        assert_eq!(
            err.to_string(),
            "expected a finite starting point, found NaN at position 0"
        );
        let err = Lbfgs::default()
            .minimize(|_: &[f64], _: &mut [f64]| f64::INFINITY, vec![0.0])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected a finite objective at the starting point, found inf"
        );
        // Finite at the start, NaN everywhere else.
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = 1.0;
            if x[0] == 0.0 { 0.0 } else { f64::NAN }
        };
        let err = Lbfgs::default().minimize(f, vec![0.0]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
    }

    #[test]
    fn lbfgs_rejects_bad_settings() {
        let bad = Lbfgs {
            memory: 0,
            ..Lbfgs::default()
        };
        assert_eq!(bad.check().unwrap_err().kind(), ErrorKind::InvalidParameter);
        let bad = Lbfgs {
            gtol: -1.0,
            ..Lbfgs::default()
        };
        assert_eq!(
            bad.check().unwrap_err().to_string(),
            "expected a finite non-negative gtol, found -1"
        );
    }

    #[test]
    fn lbfgs_runs_under_an_observed_driver() {
        let mut seen = Vec::new();
        let mut s = Lbfgs::default()
            .solver(rosenbrock, vec![-1.2, 1.0])
            .unwrap();
        let r = Driver::new(1000, 0.0)
            .run_observed(&mut s, |it, f| seen.push((it, f)))
            .unwrap();
        assert_eq!(seen.len(), r.iterations);
        assert!(s.evaluations() > r.iterations);
        // Every accepted step lowers the objective (strong Wolfe).
        assert!(seen.windows(2).all(|w| w[1].1 <= w[0].1), "{seen:?}");
    }

    proptest! {
        /// Any positive-definite diagonal quadratic with any centre is
        /// minimised to the gradient tolerance.
        #[test]
        fn lbfgs_minimises_random_quadratics(
            spec in prop::collection::vec((0.01f64..100.0, -50.0f64..50.0), 1..30),
        ) {
            let f = |x: &[f64], g: &mut [f64]| {
                let mut v = 0.0;
                for (i, (c, m)) in spec.iter().enumerate() {
                    g[i] = c * (x[i] - m);
                    v += 0.5 * c * (x[i] - m).powi(2);
                }
                v
            };
            let lbfgs = Lbfgs { gtol: 1e-9, ftol: 0.0, ..Lbfgs::default() };
            let (x, r) = lbfgs.minimize(f, vec![0.0; spec.len()]).unwrap();
            prop_assert!(r.converged, "{:?}", r);
            for (i, (c, m)) in spec.iter().enumerate() {
                prop_assert!((c * (x[i] - m)).abs() <= 1e-9);
            }
        }
    }
}
