//! Property tests for the invariants every fuser keeps: fused probabilities
//! stay on the simplex, fusing one model returns it, and the result depends
//! neither on the order of models nor on the order of rows.

use modelfuse::{
    BuildOptions, Content, Fitted, FuserSpec, Method, ModelOutput, NamedWeights, Predictions,
    SpecOptions, Task,
};
use proptest::prelude::*;

/// Every method that needs no labels, taken from [`Method::ALL`] so a new
/// method is covered without being listed here: with its default settings
/// (unless they name weights, which only the data's models can), with weights
/// where it takes them, and the soft tie rule of `vote`.
fn specs(models: &[String]) -> Vec<FuserSpec> {
    let weights: NamedWeights = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.clone(), (i + 1) as f64))
        .collect();
    let mut v = Vec::new();
    for &method in Method::ALL {
        let spec = method.default_spec();
        if spec.needs_targets() {
            continue;
        }
        if spec.named_weights().is_none() {
            v.push(spec);
        }
        if method.options().contains(&"weights") {
            let o = SpecOptions {
                weights: Some(weights.clone()),
                ..Default::default()
            };
            v.push(FuserSpec::from_options(method, o).unwrap());
        }
    }
    let soft = SpecOptions {
        tie: Some(modelfuse::fusers::TieBreak::Soft),
        ..Default::default()
    };
    v.push(FuserSpec::from_options(Method::Vote, soft).unwrap());
    v
}

/// Every method that learns from labels, from [`Method::ALL`] with default
/// settings.
fn learned_specs() -> Vec<FuserSpec> {
    Method::ALL
        .iter()
        .map(|m| m.default_spec())
        .filter(FuserSpec::needs_targets)
        .collect()
}

/// Raw model outputs: `m` models × `n` samples × `k` classes of positive
/// scores, normalised per row into probabilities.
fn outputs_strategy() -> impl Strategy<Value = Vec<ModelOutput>> {
    (1usize..5, 1usize..15, 2usize..6).prop_flat_map(|(m, n, k)| {
        prop::collection::vec(prop::collection::vec(1e-6f32..1.0, n * k), m).prop_map(
            move |blocks| {
                blocks
                    .into_iter()
                    .enumerate()
                    .map(|(mi, mut v)| {
                        for row in v.chunks_exact_mut(k) {
                            let s: f32 = row.iter().sum();
                            row.iter_mut().for_each(|x| *x /= s);
                        }
                        ModelOutput {
                            name: format!("model{mi}"),
                            ids: (0..n).map(|i| format!("s{i}")).collect(),
                            content: Content::Scores {
                                columns: (0..k).map(|j| format!("c{j}")).collect(),
                                values: v,
                            },
                        }
                    })
                    .collect()
            },
        )
    })
}

fn build(outputs: Vec<ModelOutput>) -> Predictions {
    Predictions::from_outputs(outputs, &BuildOptions::default()).unwrap()
}

/// Reverses the row order of a model's output (ids and values together).
fn reverse_rows(out: &ModelOutput) -> ModelOutput {
    let Content::Scores { columns, values } = &out.content else {
        unreachable!()
    };
    let k = columns.len();
    let rows: Vec<&[f32]> = values.chunks_exact(k).rev().collect();
    ModelOutput {
        name: out.name.clone(),
        ids: out.ids.iter().rev().map(|s| s.into_owned()).collect(),
        content: Content::Scores {
            columns: columns.clone(),
            values: rows.concat(),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fused_probabilities_stay_on_the_simplex(outputs in outputs_strategy()) {
        let preds = build(outputs);
        for spec in specs(preds.models()) {
            let fused = spec.fit(&preds, None).unwrap().predict(&preds).unwrap();
            for i in 0..fused.n_samples() {
                let row = fused.row(0, i);
                let sum: f64 = row.iter().map(|&x| x as f64).sum();
                prop_assert!((sum - 1.0).abs() < 1e-5, "{spec:?}: row sums to {sum}");
                prop_assert!(row.iter().all(|&x| (0.0..=1.0).contains(&x)), "{spec:?}: {row:?}");
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_model_or_row_order(outputs in outputs_strategy()) {
        let preds = build(outputs.clone());
        let shuffled: Vec<ModelOutput> = outputs.iter().rev().map(reverse_rows).collect();
        let other = build(shuffled);
        prop_assert_eq!(&preds, &other);
        for spec in specs(preds.models()) {
            let a = spec.fit(&preds, None).unwrap().predict(&preds).unwrap();
            let b = spec.fit(&other, None).unwrap().predict(&other).unwrap();
            // Bit-identical, not merely close.
            let bits = |p: &Predictions| p.as_slice().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&a), bits(&b), "{:?}", spec);
        }
    }

    #[test]
    fn fusing_one_model_returns_it(outputs in outputs_strategy()) {
        let preds = build(outputs[..1].to_vec());
        for spec in specs(preds.models()) {
            let fused = spec.fit(&preds, None).unwrap().predict(&preds).unwrap();
            match spec {
                // Voting and ranking keep the model's decision, not its scores.
                FuserSpec::Vote(_) | FuserSpec::Rank(_) => {
                    prop_assert_eq!(fused.predicted_classes(0), preds.predicted_classes(0));
                }
                _ => {
                    for (a, b) in fused.as_slice().iter().zip(preds.as_slice()) {
                        prop_assert!((a - b).abs() < 1e-6, "{spec:?}: {a} vs {b}");
                    }
                }
            }
        }
    }

    #[test]
    fn fusing_identical_models_returns_the_model(outputs in outputs_strategy()) {
        let first = outputs[0].clone();
        let copies: Vec<ModelOutput> = (0..3)
            .map(|i| ModelOutput { name: format!("copy{i}"), ..first.clone() })
            .collect();
        let preds = build(copies);
        let single = build(vec![first]);
        for spec in [Method::Mean, Method::Geometric, Method::Median].map(Method::default_spec) {
            let fused = spec.fit(&preds, None).unwrap().predict(&preds).unwrap();
            for (a, b) in fused.as_slice().iter().zip(single.as_slice()) {
                prop_assert!((a - b).abs() < 1e-6, "{spec:?}: {a} vs {b}");
            }
        }
    }
}

#[test]
fn regression_fusers_stay_within_the_models_range() {
    let out = |name: &str, v: Vec<f32>| ModelOutput {
        name: name.into(),
        ids: vec!["a", "b"].into(),
        content: Content::Values(v),
    };
    let preds = Predictions::from_outputs(
        vec![
            out("x", vec![1.0, -5.0]),
            out("y", vec![3.0, 5.0]),
            out("z", vec![2.0, 100.0]),
        ],
        &BuildOptions::default(),
    )
    .unwrap();
    assert_eq!(preds.task(), Task::Regression);
    for spec in [Method::Mean, Method::Median].map(Method::default_spec) {
        let fused = spec.fit(&preds, None).unwrap().predict(&preds).unwrap();
        assert!(fused.model(0).iter().all(|v| (-5.0..=100.0).contains(v)));
    }
    let err = Method::Vote.default_spec().fit(&preds, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a vote does not apply to a regression task; use median"
    );
}

/// Probabilities at the edges: exact zeros and ones, values that underflow
/// in a product (1e-30), and ordinary ones, normalised per row (a row of
/// zeros becomes one-hot).
fn extreme_outputs_strategy() -> impl Strategy<Value = (Vec<ModelOutput>, Vec<usize>)> {
    let value = prop_oneof![
        Just(0.0f32),
        Just(1.0f32),
        Just(1e-30f32),
        Just(1e-8f32),
        Just(0.5f32),
        1e-6f32..1.0
    ];
    (1usize..4, 4usize..12, 2usize..5).prop_flat_map(move |(m, n, k)| {
        (
            prop::collection::vec(prop::collection::vec(value.clone(), n * k), m),
            prop::collection::vec(0..k, n),
        )
            .prop_map(move |(blocks, labels)| {
                let outputs = blocks
                    .into_iter()
                    .enumerate()
                    .map(|(mi, mut v)| {
                        for (i, row) in v.chunks_exact_mut(k).enumerate() {
                            let s: f64 = row.iter().map(|&x| f64::from(x)).sum();
                            if s == 0.0 {
                                row[i % k] = 1.0;
                            } else {
                                row.iter_mut().for_each(|x| *x = (f64::from(*x) / s) as f32);
                            }
                        }
                        ModelOutput {
                            name: format!("model{mi}"),
                            ids: (0..n).map(|i| format!("s{i}")).collect(),
                            content: Content::Scores {
                                columns: (0..k).map(|j| format!("c{j}")).collect(),
                                values: v,
                            },
                        }
                    })
                    .collect();
                (outputs, labels)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// No NaN or infinity out of valid input: every fuser, learned ones
    /// included, on probabilities with exact zeros and ones and values that
    /// underflow, keeps fused rows finite and on the simplex.
    #[test]
    fn extreme_probabilities_give_finite_fused_rows((outputs, labels) in extreme_outputs_strategy()) {
        let preds = build(outputs);
        let k = preds.n_outputs();
        // Every class present at least once, so learned fusers see them all.
        let labels: Vec<usize> = labels.iter().enumerate().map(|(i, &c)| if i < k { i } else { c }).collect();
        let targets = modelfuse::Targets::Classes(labels);
        let mut all = specs(preds.models());
        all.extend(learned_specs());
        // Temperature scaling of models and output, too (two folds: the
        // smallest sets have four samples).
        let calibrated = modelfuse::FitOptions {
            calibrate: modelfuse::Calibrate::Both,
            folds: 2,
            ..modelfuse::FitOptions::default()
        };
        let calibrated_too = [Method::Mean, Method::Optimized]
            .map(|m| all.iter().find(|s| s.method() == m).unwrap());
        let runs = all.iter().map(|s| (s, false)).chain(calibrated_too.map(|s| (s, true)));
        for (spec, calibrate) in runs {
            let fitted = if calibrate {
                spec.fit_with(&preds, Some(&targets), &calibrated)
            } else {
                spec.fit(&preds, Some(&targets))
            };
            let fitted = match fitted {
                // Blending fits its meta-model on a held-out half, which on
                // these tiny sets (four samples) can hold one class only: a
                // clear refusal, not a property violation.
                Err(e) if spec.method() == Method::Blending
                    && e.to_string().starts_with("expected samples of at least 2 classes") => continue,
                other => other.unwrap(),
            };
            let fused = fitted.predict(&preds).unwrap();
            for i in 0..fused.n_samples() {
                let row = fused.row(0, i);
                prop_assert!(row.iter().all(|x| x.is_finite()), "{spec:?}: {row:?}");
                let sum: f64 = row.iter().map(|&x| f64::from(x)).sum();
                prop_assert!((sum - 1.0).abs() < 1e-5, "{spec:?}: row sums to {sum}");
            }
            for metric in [modelfuse::metrics::Metric::LogLoss, modelfuse::metrics::Metric::Brier, modelfuse::metrics::Metric::Ece] {
                let v = modelfuse::metrics::score(metric, &fused, 0, &targets).unwrap();
                prop_assert!(v.is_finite(), "{spec:?}: {metric:?} = {v}");
            }
        }
    }
}

/// Segment-level outputs from plain ones: sample `s{i}` becomes document
/// `s{i}`, cut into `cuts[i]` segments (each a copy of the row, perturbed
/// when `perturb`).
fn segmented(
    outputs: &[ModelOutput],
    cuts: &[usize],
    perturb: bool,
) -> Vec<modelfuse::segments::SegmentedOutput> {
    outputs
        .iter()
        .map(|out| {
            let Content::Scores { columns, values } = &out.content else {
                unreachable!()
            };
            let k = columns.len();
            let (mut ids, mut docs, mut vals, mut lengths) = (vec![], vec![], vec![], vec![]);
            for (i, row) in values.chunks_exact(k).enumerate() {
                for s in 0..cuts[i % cuts.len()] {
                    ids.push(format!("{}#{s}", out.ids.id(i)));
                    docs.push(out.ids.id(i).into_owned());
                    let mut r = row.to_vec();
                    if perturb && s > 0 {
                        r.rotate_left(s % k);
                    }
                    vals.extend(r);
                    lengths.push(1.0 + s as f64);
                }
            }
            modelfuse::segments::SegmentedOutput {
                output: ModelOutput {
                    name: out.name.clone(),
                    ids: ids.into(),
                    content: Content::Scores {
                        columns: columns.clone(),
                        values: vals,
                    },
                },
                docs,
                positions: None,
                lengths: Some(lengths),
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Pooling a document of one segment is the identity, bit for bit, for
    /// every fixed pooling.
    #[test]
    fn pooling_one_segment_is_the_identity(outputs in outputs_strategy()) {
        use modelfuse::segments::{Pooling, SegmentedPredictions};
        let plain = build(outputs.clone());
        let segs = SegmentedPredictions::from_outputs(segmented(&outputs, &[1], false), &BuildOptions::default()).unwrap();
        for pooling in [Pooling::Mean, Pooling::Max, Pooling::Length, Pooling::Majority] {
            let pooled = segs.pool(pooling).unwrap();
            prop_assert_eq!(pooled.ids(), plain.ids());
            prop_assert_eq!(pooled.as_slice(), plain.as_slice(), "{}", pooling);
        }
    }

    /// Pooled and fused rows stay on the simplex for every pooling, order
    /// and label-free fuser, with documents of one to four segments.
    #[test]
    fn pooled_segments_stay_on_the_simplex(outputs in outputs_strategy(), cuts in prop::collection::vec(1usize..5, 1..6)) {
        use modelfuse::segments::{Order, Pooling, SegmentSettings, SegmentedPredictions};
        let segs = SegmentedPredictions::from_outputs(segmented(&outputs, &cuts, true), &BuildOptions::default()).unwrap();
        let models: Vec<String> = segs.models().iter().map(|s| s.to_string()).collect();
        for spec in specs(&models) {
            for pooling in [Pooling::Mean, Pooling::Max, Pooling::Length, Pooling::Majority] {
                for order in [Order::SegmentsFirst, Order::ModelsFirst] {
                    let settings = SegmentSettings { pooling, order };
                    let fitted = spec.fit_segments(&segs, None, &Default::default(), settings).unwrap();
                    let fused = fitted.predict_segments(&segs).unwrap();
                    prop_assert_eq!(fused.n_samples(), segs.docs().len());
                    for i in 0..fused.n_samples() {
                        let row = fused.row(0, i);
                        prop_assert!(row.iter().all(|p| p.is_finite() && (0.0..=1.0).contains(p)));
                        let sum: f32 = row.iter().sum();
                        prop_assert!((sum - 1.0).abs() < 1e-4, "{} {} {}: {:?}", spec.method(), pooling, order, row);
                    }
                }
            }
        }
    }
}
