//! What learned fusers learn with: small solvers owned here, each tested
//! against the reference implementation (scikit-learn, scipy).
//!
//! * [`driver`]: the one loop every iterative solver runs in (maximum
//!   iterations, tolerance, convergence report); solvers supply a step.
//! * [`rng`]: the seeded random number generator behind every random choice.
//! * [`simplex`]: weights on the simplex, optimal for a convex loss or searched for a metric.

pub mod driver;
pub mod rng;
pub mod simplex;
