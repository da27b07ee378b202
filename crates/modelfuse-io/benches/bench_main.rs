//! The benchmark binary of `modelfuse-io`, laid out as `modelfuse`'s: each
//! area in its own file under `benchmarks/` (`cargo bench -p modelfuse-io`).
//! BENCHMARKS.md describes the sizes and the side-by-side comparison with
//! pandas and pyarrow (`bench/suite.py`).

mod benchmarks;

criterion::criterion_main!(benchmarks::loading::benches);
