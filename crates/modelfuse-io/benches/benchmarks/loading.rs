//! Loading predictions: one model's file of 100,000 samples × 10 classes
//! read as CSV and as Parquet (parsing, ids, checks), and the alignment of
//! ten such models into one `Predictions` (`Predictions::from_outputs`:
//! ids checked and ordered, rows validated and renormalised), the two halves
//! of what every command does first.

use std::hint::black_box;
use std::path::Path;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group};
use modelfuse::learn::rng::Rng;
use modelfuse::{BuildOptions, ModelOutput, Predictions, Task};

const SAMPLES: usize = 100_000;
const CLASSES: usize = 10;
const MODELS: usize = 10;

/// One model's seeded probability rows (each a normalised draw of uniform
/// weights, rounded to f32), ids `0..n`.
fn one_model(seed: u64) -> Predictions {
    let mut rng = Rng::new(seed);
    let mut values = Vec::with_capacity(SAMPLES * CLASSES);
    for _ in 0..SAMPLES {
        let row: Vec<f64> = (0..CLASSES).map(|_| 0.05 + rng.next_f64()).collect();
        let sum: f64 = row.iter().sum();
        values.extend(row.iter().map(|x| (x / sum) as f32));
    }
    Predictions::new(
        Task::Multiclass { n_classes: CLASSES },
        vec!["m".into()],
        (0..SAMPLES).map(|i| i.to_string()).collect(),
        (0..CLASSES).map(|c| format!("c{c}")).collect(),
        values,
    )
    .expect("normalised rows")
}

fn read(path: &Path) -> ModelOutput {
    modelfuse_io::read_predictions(path).unwrap()
}

fn loading(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let preds = one_model(7);
    let mut group = c.benchmark_group("loading");
    group.throughput(Throughput::Elements(SAMPLES as u64));
    let size = format!("{SAMPLES}x{CLASSES}");
    for ext in ["csv", "parquet"] {
        let path = dir.path().join(format!("m.{ext}"));
        modelfuse_io::write_predictions(&path, &preds).unwrap();
        // What was written reads back as the same predictions.
        let out = read(&path);
        let back = Predictions::from_outputs(vec![out], &BuildOptions::default()).unwrap();
        assert_eq!(back.ids(), preds.ids());
        let diff = back
            .model(0)
            .iter()
            .zip(preds.model(0))
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(diff < 1e-6, "{ext}: {diff}");
        group.bench_function(BenchmarkId::new(ext, &size), |b| {
            b.iter(|| read(black_box(&path)))
        });
    }

    // Alignment of ten models that list the same ids in the same order.
    let path = dir.path().join("m.parquet");
    let outputs: Vec<ModelOutput> = (0..MODELS)
        .map(|m| ModelOutput {
            name: format!("m{m}"),
            ..read(&path)
        })
        .collect();
    let opts = BuildOptions::default();
    let aligned = Predictions::from_outputs(outputs.clone(), &opts).unwrap();
    assert_eq!(aligned.n_models(), MODELS);
    assert_eq!(aligned.model(MODELS - 1), aligned.model(0));
    group.throughput(Throughput::Elements((MODELS * SAMPLES) as u64));
    group.bench_function(
        BenchmarkId::new("align", format!("{MODELS}x{SAMPLES}x{CLASSES}")),
        |b| {
            b.iter_batched(
                || outputs.clone(),
                |o| Predictions::from_outputs(o, &opts).unwrap(),
                BatchSize::LargeInput,
            )
        },
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = super::config();
    targets = loading
}
