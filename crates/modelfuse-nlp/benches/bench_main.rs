//! The one benchmark binary of `modelfuse-nlp`: each area lives in its own
//! file under `benchmarks/` (`cargo bench -p modelfuse-nlp -- generate/`).
//! What each measures and the side-by-side with Python: BENCHMARKS.md.

mod benchmarks;

criterion::criterion_main!(benchmarks::generate::benches);
