//! The fusers that learn nothing (or are given their weights), at 50 ×
//! 100,000 × 10: one pass over the predictions each, so these measure memory
//! bandwidth more than arithmetic.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use modelfuse::fusers::{MajorityVote, Mean, WeightedMean};
use modelfuse::{Fitted, Weights, argmax};

use super::data::{self, LARGE};

fn fusers(c: &mut Criterion) {
    let (preds, _) = data::classification(LARGE, 4);
    let (m, n, k) = (preds.n_models(), preds.n_samples(), preds.n_outputs());
    let mut group = c.benchmark_group("fusers");
    group.throughput(Throughput::Elements(n as u64));

    // Mean: a sample's fused row is the mean of its rows, renormalised.
    let (fused, took) = super::once(|| Mean.predict(&preds).unwrap());
    let i = n / 2;
    let mean: Vec<f64> = (0..k)
        .map(|j| (0..m).map(|mi| f64::from(preds.row(mi, i)[j])).sum::<f64>() / m as f64)
        .collect();
    close(fused.row(0, i), &mean);
    super::budget(&mut group, took);
    group.bench_function(BenchmarkId::new("mean", LARGE), |b| {
        b.iter(|| Mean.predict(black_box(&preds)).unwrap())
    });

    // Weighted mean, with weights 1..=M (normalised).
    let w = Weights::new((1..=m).map(|x| x as f64).collect()).unwrap();
    let weighted = WeightedMean::new(w.clone());
    let (fused, took) = super::once(|| weighted.predict(&preds).unwrap());
    let expected: Vec<f64> = (0..k)
        .map(|j| {
            (0..m)
                .map(|mi| w.as_slice()[mi] * f64::from(preds.row(mi, i)[j]))
                .sum::<f64>()
        })
        .collect();
    close(fused.row(0, i), &expected);
    super::budget(&mut group, took);
    group.bench_function(BenchmarkId::new("weighted", LARGE), |b| {
        b.iter(|| weighted.predict(black_box(&preds)).unwrap())
    });

    // Majority vote: a sample's row is the share of models voting for each
    // class.
    let vote = MajorityVote::new();
    let (fused, took) = super::once(|| vote.predict(&preds).unwrap());
    let mut shares = vec![0.0; k];
    (0..m).for_each(|mi| shares[argmax(preds.row(mi, i))] += 1.0 / m as f64);
    close(fused.row(0, i), &shares);
    super::budget(&mut group, took);
    group.bench_function(BenchmarkId::new("vote", LARGE), |b| {
        b.iter(|| vote.predict(black_box(&preds)).unwrap())
    });
    group.finish();
}

/// The fused row is `expected` to float32 precision.
fn close(row: &[f32], expected: &[f64]) {
    for (&a, &b) in row.iter().zip(expected) {
        assert!((f64::from(a) - b).abs() < 1e-6, "{row:?} vs {expected:?}");
    }
}

criterion_group! {
    name = benches;
    config = super::config();
    targets = fusers
}
