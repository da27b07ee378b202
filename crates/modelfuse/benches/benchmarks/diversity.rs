//! The pairwise diversity matrix (`modelfuse inspect`): every pair's
//! disagreement, double fault, Yule's Q, correlation and Cohen's κ, O(M²·N),
//! at 50 × 100,000 × 10 (1,225 pairs). `bench/suite.py` compares it with
//! the same matrix in NumPy.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use modelfuse::diversity::{cohen_kappa, diversity};

use super::data::{self, LARGE};

fn pairs(c: &mut Criterion) {
    let (preds, targets) = data::classification(LARGE, 6);
    let y = data::classes(&targets);
    let m = preds.n_models();
    let mut group = c.benchmark_group("diversity");
    group.throughput(Throughput::Elements(
        (m * (m - 1) / 2 * LARGE.samples) as u64,
    ));

    let (report, took) = super::once(|| diversity(&preds, &targets).unwrap());
    assert_eq!(report.pairs.len(), m * (m - 1) / 2);
    // The last pair, recomputed from the models' labels by the public
    // one-pair functions.
    let (a, b) = (
        preds.predicted_classes(m - 2),
        preds.predicted_classes(m - 1),
    );
    let only_one = (0..y.len())
        .filter(|&i| (a[i] == y[i]) != (b[i] == y[i]))
        .count();
    let last = report.pairs.last().unwrap();
    assert_eq!(last.disagreement, only_one as f64 / y.len() as f64);
    assert_eq!(last.kappa, cohen_kappa(&a, &b).unwrap());
    super::budget(&mut group, took);
    group.bench_function(BenchmarkId::new("pairs", LARGE), |bch| {
        bch.iter(|| diversity(black_box(&preds), black_box(&targets)).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = super::config();
    targets = pairs
}
