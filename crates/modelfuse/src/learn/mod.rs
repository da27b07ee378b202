//! What learned fusers learn with: small solvers owned here, each tested
//! against the reference implementation (scikit-learn, scipy).
//!
//! * [`driver`]: the one loop every iterative solver runs in (maximum
//!   iterations, tolerance, convergence report); solvers supply a step.
//! * [`folds`]: seeded stratified k-fold and held-out splits.
//! * [`rng`]: the seeded random number generator behind every random choice.

pub mod driver;
pub mod folds;
pub mod rng;
