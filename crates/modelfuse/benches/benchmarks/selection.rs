//! Learned per-model weights: greedy ensemble selection (auto-sklearn's
//! loop) and weights optimised on the simplex, at the everyday size and at
//! the 50 × 100,000 × 10. `bench/side_by_side.py` compares the same
//! two against auto-sklearn's loop in NumPy and scipy's SLSQP.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use modelfuse::fusers::EnsembleSelection;
use modelfuse::learn::simplex::{Objective, SimplexOptions, optimize_weights};
use modelfuse::metrics::{self, Metric};
use modelfuse::{Predictions, Targets, Weights};

use super::data::{self, LARGE, SMALL};

fn selection(c: &mut Criterion) {
    for size in [SMALL, LARGE] {
        let (preds, targets) = data::classification(size, 1);
        let mut group = c.benchmark_group("selection");
        group.throughput(Throughput::Elements(size.samples as u64));
        // Log-loss, auto-sklearn's default: only each sample's true-class
        // probability is scored.
        let es = EnsembleSelection::new();
        let (s, took) = super::once(|| es.select(&preds, &targets).unwrap());
        check_selection(&preds, &targets, Metric::LogLoss, &s.trajectory);
        super::budget(&mut group, took);
        group.bench_function(BenchmarkId::new("log_loss", size), |b| {
            b.iter(|| es.select(black_box(&preds), black_box(&targets)).unwrap())
        });
        // Brier reads whole rows: every candidate's fused block is built,
        // the general path, ten times the memory traffic. The everyday size
        // only: at the large one a run takes seconds and says nothing new.
        if size == SMALL {
            let es = EnsembleSelection::new().metric(Metric::Brier);
            let (s, took) = super::once(|| es.select(&preds, &targets).unwrap());
            check_selection(&preds, &targets, Metric::Brier, &s.trajectory);
            super::budget(&mut group, took);
            group.bench_function(BenchmarkId::new("brier", size), |b| {
                b.iter(|| es.select(black_box(&preds), black_box(&targets)).unwrap())
            });
        }
        group.finish();
    }
}

/// 50 rounds were run, the first pick is the best single model, and the last
/// score is the metric of the weighted mean of the counts.
fn check_selection(preds: &Predictions, targets: &Targets, metric: Metric, traj: &[(usize, f64)]) {
    assert_eq!(traj.len(), 50);
    let own: Vec<f64> = (0..preds.n_models())
        .map(|m| metrics::score(metric, preds, m, targets).unwrap())
        .collect();
    let best = (0..own.len())
        .min_by(|&a, &b| own[a].total_cmp(&own[b]))
        .unwrap();
    assert_eq!(traj[0], (best, own[best]));
    let mut counts = vec![0.0; preds.n_models()];
    traj.iter().for_each(|&(m, _)| counts[m] += 1.0);
    let w = Weights::new(counts).unwrap();
    let fused = weighted(preds, &w);
    let score = metrics::score(metric, &fused, 0, targets).unwrap();
    assert!(
        (score - traj[49].1).abs() < 1e-6,
        "{score} vs {}",
        traj[49].1
    );
}

fn weighted(preds: &Predictions, w: &Weights) -> Predictions {
    use modelfuse::Fitted;
    modelfuse::fusers::WeightedMean::new(w.clone())
        .predict(preds)
        .unwrap()
}

fn optimized(c: &mut Criterion) {
    for size in [SMALL, LARGE] {
        let (preds, targets) = data::classification(size, 2);
        let mut group = c.benchmark_group("optimized");
        group.throughput(Throughput::Elements(size.samples as u64));
        let opts = SimplexOptions::default();
        let ((w, report), took) =
            super::once(|| optimize_weights(&preds, &targets, Objective::LogLoss, &opts).unwrap());
        // Certified optimal, and better than the uniform mean and than the
        // best single model.
        assert!(report.converged);
        let uniform = Objective::LogLoss
            .value(&preds, &targets, &Weights::uniform(preds.n_models()))
            .unwrap();
        let best = (0..preds.n_models())
            .map(|m| metrics::score(Metric::LogLoss, &preds, m, &targets).unwrap())
            .fold(f64::INFINITY, f64::min);
        let loss = Objective::LogLoss.value(&preds, &targets, &w).unwrap();
        assert!(loss < uniform && loss < best, "{loss} vs {uniform}, {best}");
        super::budget(&mut group, took);
        group.bench_function(BenchmarkId::new("log_loss", size), |b| {
            b.iter(|| {
                optimize_weights(
                    black_box(&preds),
                    black_box(&targets),
                    Objective::LogLoss,
                    &opts,
                )
                .unwrap()
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = super::config();
    targets = selection, optimized
}
