//! What learned fusers learn with: small solvers owned here, each tested
//! against the reference implementation (scikit-learn, scipy).
//!
//! * [`driver`]: the one loop every iterative solver runs in (maximum
//!   iterations, tolerance, convergence report); solvers supply a step.
//! * [`folds`]: seeded stratified k-fold and held-out splits, and the seeded
//!   halves every NLP report and fit splits in.
//! * [`grid`]: coordinate ascent over a grid, for step-function objectives
//!   (the NER, QA and generation weight searches).
//! * [`rng`]: the seeded random number generator behind every random choice.
//! * [`lbfgs`]: L-BFGS with a strong Wolfe line search, for smooth objectives.
//! * [`linear`]: ridge (also with leave-one-out choice of alpha, as `RidgeCV`) and non-negative
//!   least squares, as scikit-learn and SciPy.
//! * [`logistic`]: L2-regularised logistic regression, as scikit-learn's.
//! * [`simplex`]: weights on the simplex, optimal for a convex loss or searched for a metric.

pub mod driver;
pub mod folds;
pub mod grid;
pub mod lbfgs;
pub mod linear;
pub mod logistic;
pub mod rng;
pub mod simplex;
