//! Stacking with the logistic meta-model against scikit-learn's
//! LogisticRegression on the same features (values from
//! `scripts/golden/stacking_golden.py`). The bar is 1e-4 on the
//! probabilities; we hold 1e-6.

use modelfuse::fusers::{MetaModel, StackingParams, Transform};
use modelfuse::{BuildOptions, Content, Fitted, FuserSpec, ModelOutput, Predictions, Targets};
use serde_json::Value;

#[test]
fn stacking_matches_scikit_learn_logistic_regression() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/stacking.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let scale = doc["scale"].as_f64().unwrap();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let k = case["k"].as_u64().unwrap() as usize;
        let y: Vec<usize> = case["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let n = y.len();
        let outputs = case["counts"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(m, rows)| ModelOutput {
                name: format!("m{m}"),
                ids: (0..n).map(|i| i.to_string()).collect(),
                content: Content::Scores {
                    columns: (0..k).map(|j| format!("c{j}")).collect(),
                    values: rows
                        .as_array()
                        .unwrap()
                        .iter()
                        .flat_map(|r| r.as_array().unwrap().iter())
                        .map(|c| (c.as_f64().unwrap() / scale) as f32)
                        .collect(),
                },
            })
            .collect();
        let preds = Predictions::from_outputs(outputs, &BuildOptions::default()).unwrap();
        let transform = match case["transform"].as_str().unwrap() {
            "logits" => Transform::Logits,
            _ => Transform::Probabilities,
        };
        let spec = FuserSpec::Stacking(StackingParams {
            meta: Some(MetaModel::Logistic {
                c: case["c"].as_f64().unwrap(),
            }),
            transform: Some(transform),
        });
        let targets = Targets::Classes(y);
        let fused = spec
            .fit(&preds, Some(&targets))
            .unwrap()
            .predict(&preds)
            .unwrap();
        let want: Vec<f64> = case["proba"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
            .collect();
        let worst = fused
            .as_slice()
            .iter()
            .zip(&want)
            .map(|(a, b)| (*a as f64 - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-6, "{name}: max |difference| {worst:e}");
    }
}
