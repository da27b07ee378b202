//! End-to-end tests of `modelfuse cascade` on the bundled BANKING77 zoo and
//! its measured costs.

mod common;

use common::{bad_input, modelfuse, stdout_of};

use std::path::{Path, PathBuf};

use serde_json::Value;

fn banking(part: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/banking77")
        .join(part)
        .display()
        .to_string()
}

/// Four models (15 chains) keep the debug-build search quick: two cheap
/// classical ones and two heads on the shared MiniLM encoder.
const MODELS: [&str; 4] = [
    "tfidf_word_logreg",
    "tfidf_char_svm",
    "minilm_logreg",
    "minilm_mlp",
];

fn files(split: &str) -> Vec<String> {
    MODELS
        .iter()
        .map(|m| banking(&format!("{split}/{m}.parquet")))
        .collect()
}

fn fit(dir: &Path) -> (PathBuf, Value) {
    let fuser = dir.join("cascade.json");
    let mut cmd = modelfuse();
    cmd.args(["cascade", "fit"]).args(files("val")).args([
        "--labels",
        &banking("val.labels.csv"),
        "--costs",
        &banking("costs.json"),
        "-o",
        fuser.to_str().unwrap(),
        "--json",
    ]);
    let summary: Value = serde_json::from_str(&stdout_of(&mut cmd)).unwrap();
    (fuser, summary)
}

#[test]
fn fit_matches_the_full_fusion_for_less_and_predict_reports_the_cost_spent() {
    let dir = tempfile::tempdir().unwrap();
    let (fuser, summary) = fit(dir.path());
    let chosen = &summary["chosen"];
    let full = &summary["full"];
    let acc = |v: &Value| v["accuracy"].as_f64().unwrap();
    let cost = |v: &Value| v["cost"].as_f64().unwrap();
    assert!(acc(chosen) >= acc(full), "{summary}");
    assert!(cost(chosen) < cost(full), "{summary}");
    // The encoder is paid once: the full fusion costs the four heads, the
    // two vectorisers and one encoder.
    let costs: Value =
        serde_json::from_str(&std::fs::read_to_string(banking("costs.json")).unwrap()).unwrap();
    let c = |group: &str, name: &str| costs[group][name].as_f64().unwrap();
    let want = MODELS.iter().map(|m| c("models", m)).sum::<f64>()
        + c("components", "word_tfidf")
        + c("components", "char_tfidf")
        + c("components", "minilm");
    assert!((cost(full) - want).abs() < 1e-9, "{} vs {want}", cost(full));
    // The frontier: cheapest first, each point more accurate than the last.
    let frontier = summary["frontier"].as_array().unwrap();
    for w in frontier.windows(2) {
        assert!(cost(&w[0]) <= cost(&w[1]) && acc(&w[0]) < acc(&w[1]));
    }

    let fused = dir.path().join("fused.csv");
    let measured = dir.path().join("frontier.json");
    let mut cmd = modelfuse();
    cmd.args(["cascade", "predict"]).args(files("test")).args([
        "--fuser",
        fuser.to_str().unwrap(),
        "--labels",
        &banking("test.labels.csv"),
        "--frontier",
        measured.to_str().unwrap(),
        "-o",
        fused.to_str().unwrap(),
        "--json",
    ]);
    let report: Value = serde_json::from_str(&stdout_of(&mut cmd)).unwrap();
    assert!(report["mean_cost"].as_f64().unwrap() < report["full"]["cost"].as_f64().unwrap());
    let points: Value = serde_json::from_str(&std::fs::read_to_string(&measured).unwrap()).unwrap();
    assert_eq!(points.as_array().unwrap().len(), frontier.len());

    // The written file scores as the report says.
    let scored: Value = serde_json::from_str(&stdout_of(modelfuse().args([
        "evaluate",
        fused.to_str().unwrap(),
        "--labels",
        &banking("test.labels.csv"),
        "--json",
    ])))
    .unwrap();
    assert_eq!(scored["accuracy"], report["accuracy"]);
}

#[test]
fn bad_costs_and_changed_members_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let costs = dir.path().join("costs.csv");
    std::fs::write(
        &costs,
        "model,cost\ntfidf_word_logreg,1\ntfidf_char_svm,2\nminilm_logreg,abc\n",
    )
    .unwrap();
    let mut cmd = modelfuse();
    cmd.args(["cascade", "fit"]).args(files("val")).args([
        "--labels",
        &banking("val.labels.csv"),
        "--costs",
        costs.to_str().unwrap(),
        "-o",
        dir.path().join("c.json").to_str().unwrap(),
    ]);
    let err = bad_input(&mut cmd);
    assert!(
        err.contains(
            "costs.csv: line 4: expected a number as the cost of 'minilm_logreg', found 'abc'"
        ),
        "{err}"
    );

    std::fs::write(&costs, "model,cost\ntfidf_word_logreg,1\n").unwrap();
    let err = bad_input(&mut cmd);
    assert!(err.contains("has no cost"), "{err}");
    assert!(!dir.path().join("c.json").exists());

    // A cascade whose chain model is missing from the inputs must be refitted.
    let (fuser, summary) = fit(dir.path());
    let chain: Vec<&str> = summary["chosen"]["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let kept: Vec<String> = MODELS
        .iter()
        .filter(|m| **m != chain[0])
        .map(|m| banking(&format!("test/{m}.parquet")))
        .collect();
    let out = dir.path().join("o.csv");
    let mut cmd = modelfuse();
    cmd.args(["cascade", "predict"]).args(&kept).args([
        "--fuser",
        fuser.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = bad_input(&mut cmd);
    assert!(err.contains("refit the cascade"), "{err}");
    assert!(!out.exists());
}
