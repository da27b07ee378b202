//! The simple fusers against scikit-learn's VotingClassifier / VotingRegressor
//! and numpy/scipy on the same inputs. Values come from
//! `scripts/golden/fusers_golden.py` (versions recorded in the JSON).

use modelfuse::fusers::{RankParams, SoftVoteParams, VoteParams, WeightedParams};
use modelfuse::{
    BuildOptions, Content, Fitted, FuserSpec, Method, ModelOutput, NamedWeights, Predictions,
};
use serde_json::Value;

fn golden() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/fusers.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().flat_map(floats).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap()],
        other => panic!("expected numbers, found {other}"),
    }
}

fn predictions(case: &Value) -> Predictions {
    let inputs = case["inputs"].as_array().unwrap();
    let regression = case["task"] == "regression";
    let outputs = inputs
        .iter()
        .enumerate()
        .map(|(m, block)| {
            let values: Vec<f32> = floats(block).into_iter().map(|x| x as f32).collect();
            let n = block.as_array().unwrap().len();
            let content = if regression {
                Content::Values(values)
            } else {
                let k = case["k"].as_u64().unwrap() as usize;
                Content::Scores {
                    columns: (0..k).map(|j| j.to_string()).collect(),
                    values,
                }
            };
            ModelOutput {
                name: format!("m{m}"),
                ids: (0..n).map(|i| i.to_string()).collect(),
                content,
            }
        })
        .collect();
    Predictions::from_outputs(outputs, &BuildOptions::default()).unwrap()
}

fn weights(case: &Value) -> NamedWeights {
    floats(&case["weights"])
        .into_iter()
        .enumerate()
        .map(|(m, w)| (format!("m{m}"), w))
        .collect()
}

fn fuse(spec: FuserSpec, preds: &Predictions) -> Predictions {
    spec.fit(preds, None).unwrap().predict(preds).unwrap()
}

fn assert_close(name: &str, method: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{name} {method}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        // Inputs are f32 and outputs are stored as f32: agreement to ~1 ulp
        // of f32 at these magnitudes is what equality can mean here.
        let tol = 2e-6 * w.abs().max(1.0);
        assert!(
            (*g as f64 - w).abs() <= tol,
            "{name} {method}: value {i}: modelfuse {g}, reference {w}"
        );
    }
}

#[test]
fn simple_fusers_match_scikit_learn() {
    let doc = golden();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let preds = predictions(case);
        let w = weights(case);
        let check = |method: &str, spec: FuserSpec| {
            let fused = fuse(spec, &preds);
            assert_close(name, method, fused.as_slice(), &floats(&case[method]));
        };
        check("mean", Method::Mean.default_spec());
        check(
            "weighted",
            FuserSpec::Weighted(WeightedParams { weights: w.clone() }),
        );
        check("median", Method::Median.default_spec());
        if case["task"] == "regression" {
            continue;
        }
        check("mean", Method::SoftVote.default_spec());
        check(
            "weighted",
            FuserSpec::SoftVote(SoftVoteParams {
                weights: Some(w.clone()),
            }),
        );
        check("geometric", Method::Geometric.default_spec());
        check("rank", FuserSpec::Rank(RankParams::default()));
        for (key, spec) in [
            ("vote_labels", FuserSpec::Vote(VoteParams::default())),
            (
                "weighted_vote_labels",
                FuserSpec::Vote(VoteParams {
                    weights: Some(w.clone()),
                    ..Default::default()
                }),
            ),
        ] {
            let fused = fuse(spec, &preds);
            let want: Vec<usize> = floats(&case[key]).into_iter().map(|x| x as usize).collect();
            assert_eq!(fused.predicted_classes(0), want, "{name} {key}");
        }
    }
}
