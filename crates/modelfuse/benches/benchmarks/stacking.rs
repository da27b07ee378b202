//! Stacking with the logistic meta-model on log-probability features (`M·K`
//! of them), the default for classification. `bench/side_by_side.py`
//! compares the same fit with scikit-learn's `LogisticRegression`.
//!
//! At the everyday size the whole `Stacking::fit` is measured, to
//! convergence. At 50 × 100,000 × 10 (500 features, 10 classes) one fit to
//! convergence takes the better part of a minute, so criterion's minimum of
//! ten samples would make `cargo bench` run for many minutes: there the
//! benchmark is ten L-BFGS iterations of the same fit (tolerance 0, so the
//! work is fixed), which is what a fit's time is made of. The iterations a
//! fit needs are in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use modelfuse::fusers::{MetaModel, Stacking, Transform};
use modelfuse::learn::logistic::LogisticRegression;
use modelfuse::metrics::{self, Metric};
use modelfuse::{Fitted, Fuser, Predictions};

use super::data::{self, LARGE, SMALL};

/// L-BFGS iterations measured at the large size.
const ITERATIONS: usize = 10;

fn stacking(c: &mut Criterion) {
    let mut group = c.benchmark_group("stacking");
    let (preds, targets) = data::classification(SMALL, 3);
    group.throughput(Throughput::Elements(SMALL.samples as u64));
    let stacker = Stacking::new(MetaModel::Logistic { c: 1.0 }, Transform::Logits);
    // In sample, the stacker beats the best single model's log-loss.
    let (fitted, took) = super::once(|| stacker.fit(&preds, &targets).unwrap());
    let fused = fitted.predict(&preds).unwrap();
    let stacked = metrics::score(Metric::LogLoss, &fused, 0, &targets).unwrap();
    let best = (0..preds.n_models())
        .map(|m| metrics::score(Metric::LogLoss, &preds, m, &targets).unwrap())
        .fold(f64::INFINITY, f64::min);
    assert!(stacked < best, "{stacked} vs {best}");
    super::budget(&mut group, took);
    group.bench_function(BenchmarkId::new("fit", SMALL), |b| {
        b.iter(|| stacker.fit(black_box(&preds), black_box(&targets)).unwrap())
    });

    let (preds, targets) = data::classification(LARGE, 3);
    let y = data::classes(&targets);
    let (x, d) = features(&preds);
    let lr = LogisticRegression::new().tol(0.0).max_iter(ITERATIONS);
    let (fit, took) = super::once(|| lr.fit(&x, d, y, LARGE.classes, None).unwrap());
    assert_eq!(fit.iterations(), ITERATIONS);
    let p = fit.predict_proba(&x, d).unwrap();
    assert!(
        p.chunks_exact(LARGE.classes)
            .all(|row| (row.iter().sum::<f64>() - 1.0).abs() < 1e-12)
    );
    group.throughput(Throughput::Elements(LARGE.samples as u64));
    super::budget(&mut group, took);
    let id = BenchmarkId::new(format!("logistic_{ITERATIONS}_iterations"), LARGE);
    group.bench_function(id, |b| {
        b.iter(|| {
            lr.fit(black_box(&x), d, black_box(y), LARGE.classes, None)
                .unwrap()
        })
    });
    group.finish();
}

/// Stacking's features for a multiclass task: `ln max(p, 1e-15)` of every
/// model and class, `x[i · M·K + m · K + c]`.
fn features(preds: &Predictions) -> (Vec<f64>, usize) {
    let (m, n, k) = (preds.n_models(), preds.n_samples(), preds.n_outputs());
    let d = m * k;
    let mut x = vec![0.0; n * d];
    for mi in 0..m {
        for (i, row) in preds.model(mi).chunks_exact(k).enumerate() {
            for (c, &p) in row.iter().enumerate() {
                x[i * d + mi * k + c] = f64::from(p).max(1e-15).ln();
            }
        }
    }
    (x, d)
}

criterion_group! {
    name = benches;
    config = super::config();
    targets = stacking
}
