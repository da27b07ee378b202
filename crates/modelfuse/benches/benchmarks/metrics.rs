//! Metrics over 100,000 samples × 10 classes: log-loss (one read per
//! sample), one-vs-rest ROC-AUC (a sort per class, the costliest metric
//! the reports compute) and macro F1 (an argmax per sample and a confusion
//! count), the three `bench/suite.py` compares with scikit-learn.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use modelfuse::metrics::{self, Metric};

use super::data::{self, Size};

const SIZE: Size = Size {
    models: 1,
    samples: 100_000,
    classes: 10,
};

fn metrics(c: &mut Criterion) {
    let (preds, targets) = data::classification(SIZE, 5);
    let (y, p, k) = (data::classes(&targets), preds.model(0), SIZE.classes);
    let mut group = c.benchmark_group("metrics");
    group.throughput(Throughput::Elements(SIZE.samples as u64));
    // `{samples}x{classes}`: there is one model.
    let size = format!("{}x{}", SIZE.samples, SIZE.classes);

    let naive = y
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            -f64::from(p[i * k + c])
                .clamp(f64::EPSILON, 1.0 - f64::EPSILON)
                .ln()
        })
        .sum::<f64>()
        / y.len() as f64;
    let (loss, took) = super::once(|| metrics::log_loss(y, p, k));
    assert!((loss - naive).abs() < 1e-12);
    super::budget(&mut group, took);
    group.bench_function(BenchmarkId::new("log_loss", &size), |b| {
        b.iter(|| metrics::log_loss(black_box(y), black_box(p), k))
    });

    let (auc, took) = super::once(|| metrics::roc_auc_ovr(y, p, k));
    let mean = (0..k).map(|c| rank_auc(y, p, k, c)).sum::<f64>() / k as f64;
    assert!((auc - mean).abs() < 1e-12, "{auc} vs {mean}");
    super::budget(&mut group, took);
    group.bench_function(BenchmarkId::new("roc_auc", &size), |b| {
        b.iter(|| metrics::roc_auc_ovr(black_box(y), black_box(p), k))
    });

    // Macro F1 through `score`, as the reports compute it (the argmax of
    // every row included), against the per-class counts done here.
    let (f1, took) = super::once(|| metrics::score(Metric::F1Macro, &preds, 0, &targets).unwrap());
    let pred = preds.predicted_classes(0);
    let per_class: f64 = (0..k)
        .map(|c| {
            let tp = (0..y.len()).filter(|&i| y[i] == c && pred[i] == c).count() as f64;
            let fp = (0..y.len()).filter(|&i| y[i] != c && pred[i] == c).count() as f64;
            let fneg = (0..y.len()).filter(|&i| y[i] == c && pred[i] != c).count() as f64;
            if tp == 0.0 {
                0.0
            } else {
                2.0 * tp / (2.0 * tp + fp + fneg)
            }
        })
        .sum();
    assert!((f1 - per_class / k as f64).abs() < 1e-12, "{f1}");
    super::budget(&mut group, took);
    group.bench_function(BenchmarkId::new("f1_macro", &size), |b| {
        b.iter(|| {
            metrics::score(Metric::F1Macro, black_box(&preds), 0, black_box(&targets)).unwrap()
        })
    });
    group.finish();
}

/// Class `c`'s one-vs-rest AUC by the Mann–Whitney rank sum (tied scores
/// share their mean rank): an independent route to the same number.
fn rank_auc(y: &[usize], p: &[f32], k: usize, c: usize) -> f64 {
    let mut s: Vec<(f32, bool)> = y
        .iter()
        .enumerate()
        .map(|(i, &t)| (p[i * k + c], t == c))
        .collect();
    s.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut start) = (0.0, 0);
    while start < s.len() {
        let end = start + s[start..].iter().take_while(|x| x.0 == s[start].0).count();
        let mean_rank = (start + end + 1) as f64 / 2.0;
        rank_sum += mean_rank * s[start..end].iter().filter(|x| x.1).count() as f64;
        start = end;
    }
    let pos = s.iter().filter(|x| x.1).count() as f64;
    let neg = s.len() as f64 - pos;
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

criterion_group! {
    name = benches;
    config = super::config();
    targets = metrics
}
