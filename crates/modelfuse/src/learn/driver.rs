//! The one loop every iterative solver runs in.
//!
//! A solver implements [`Solver::next_iter`]: one step, returning the new
//! objective value and whether it has converged by its own criterion. The
//! [`Driver`] owns everything around it: the iteration budget, the relative
//! tolerance on the objective, an optional observer (progress reporting), and
//! the final [`Report`]. So L-BFGS, projected gradient and greedy selection
//! stop, report and fail the same way.

use crate::error::Result;

/// One iterative algorithm, advanced one step at a time.
pub trait Solver {
    /// Takes one step; returns the objective after it and whether the solver
    /// knows it has converged (a zero gradient, nothing left to add).
    ///
    /// # Errors
    ///
    /// When the step cannot be taken (a non-finite objective, say).
    fn next_iter(&mut self) -> Result<Step>;
}

/// The outcome of one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// The objective after the step (lower is better).
    pub objective: f64,
    /// The solver's own convergence verdict.
    pub converged: bool,
}

/// Iteration budget and stopping rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Driver {
    /// The most steps taken.
    pub max_iter: usize,
    /// Stop when a step improves the objective by less than `tol ·
    /// max(1, |objective|)`; `0` disables this rule.
    pub tol: f64,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Report {
    /// Steps taken.
    pub iterations: usize,
    /// The objective after the last step.
    pub objective: f64,
    /// Whether it stopped by convergence rather than by the budget.
    pub converged: bool,
}

impl Driver {
    /// A driver with the given budget and tolerance.
    pub fn new(max_iter: usize, tol: f64) -> Self {
        Driver { max_iter, tol }
    }

    /// Runs `solver` to convergence or the budget.
    ///
    /// # Errors
    ///
    /// The first error of a step.
    pub fn run<S: Solver>(&self, solver: &mut S) -> Result<Report> {
        self.run_observed(solver, |_, _| {})
    }

    /// As [`Driver::run`], calling `observe(iteration, objective)` after each
    /// step.
    ///
    /// # Errors
    ///
    /// The first error of a step.
    pub fn run_observed<S: Solver>(
        &self,
        solver: &mut S,
        mut observe: impl FnMut(usize, f64),
    ) -> Result<Report> {
        let mut previous = f64::INFINITY;
        let mut report = Report {
            iterations: 0,
            objective: f64::INFINITY,
            converged: false,
        };
        for it in 1..=self.max_iter {
            let step = solver.next_iter()?;
            observe(it, step.objective);
            report = Report {
                iterations: it,
                objective: step.objective,
                converged: step.converged,
            };
            let small = self.tol > 0.0
                && previous.is_finite()
                && previous - step.objective <= self.tol * step.objective.abs().max(1.0);
            if step.converged || small {
                report.converged = true;
                break;
            }
            previous = step.objective;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Halves x each step: f(x) = x².
    struct Halving(f64);

    impl Solver for Halving {
        fn next_iter(&mut self) -> Result<Step> {
            self.0 /= 2.0;
            Ok(Step {
                objective: self.0 * self.0,
                converged: self.0 == 0.0,
            })
        }
    }

    #[test]
    fn driver_stops_on_tolerance_or_budget() {
        let r = Driver::new(1000, 1e-6).run(&mut Halving(1.0)).unwrap();
        assert!(r.converged && r.iterations < 20, "{r:?}");
        let r = Driver::new(3, 0.0).run(&mut Halving(1.0)).unwrap();
        assert_eq!((r.iterations, r.converged), (3, false));
    }
}
