//! The one benchmark binary of `modelfuse`: each area lives in its own file
//! under `benchmarks/`, and `criterion_main!` runs them all (or those a
//! filter names: `cargo bench -p modelfuse -- selection/`). Sizes, what each
//! benchmark asserts before it measures, and the side-by-side comparison
//! with the Python references are described in BENCHMARKS.md.

mod benchmarks;

criterion::criterion_main!(
    benchmarks::selection::benches,
    benchmarks::stacking::benches,
    benchmarks::fusers::benches,
    benchmarks::metrics::benches,
    benchmarks::diversity::benches,
);
