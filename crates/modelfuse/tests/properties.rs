//! Property tests for the invariants every fuser keeps: fused probabilities
//! stay on the simplex, fusing one model returns it, and the result depends
//! neither on the order of models nor on the order of rows.

use modelfuse::{
    BuildOptions, Content, Fitted, FuserSpec, ModelOutput, NamedWeights, Predictions, Task,
};
use proptest::prelude::*;

/// Every method that needs no labels, with weights where it takes them.
fn specs(models: &[String]) -> Vec<FuserSpec> {
    let weights: NamedWeights = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.clone(), (i + 1) as f64))
        .collect();
    vec![
        FuserSpec::Mean,
        FuserSpec::Geometric,
        FuserSpec::Median,
        FuserSpec::Weighted {
            weights: weights.clone(),
        },
        FuserSpec::Vote {
            weights: None,
            tie: Default::default(),
        },
        FuserSpec::Vote {
            weights: Some(weights.clone()),
            tie: Default::default(),
        },
        FuserSpec::Vote {
            weights: None,
            tie: modelfuse::fusers::TieBreak::Soft,
        },
        FuserSpec::SoftVote { weights: None },
        FuserSpec::Rank { weights: None },
        FuserSpec::Rank {
            weights: Some(weights),
        },
    ]
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
        ids: out.ids.iter().rev().cloned().collect(),
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
                FuserSpec::Vote { .. } | FuserSpec::Rank { .. } => {
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
        for spec in [FuserSpec::Mean, FuserSpec::Geometric, FuserSpec::Median] {
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
        ids: vec!["a".into(), "b".into()],
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
    for spec in [FuserSpec::Mean, FuserSpec::Median] {
        let fused = spec.fit(&preds, None).unwrap().predict(&preds).unwrap();
        assert!(fused.model(0).iter().all(|v| (-5.0..=100.0).contains(v)));
    }
    let err = FuserSpec::Vote {
        weights: None,
        tie: Default::default(),
    }
    .fit(&preds, None)
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a vote does not apply to a regression task; use median"
    );
}
