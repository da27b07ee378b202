//! End-to-end tests of `modelfuse qa`: the official numbers on the bundled
//! SQuAD v1.1 systems, fit → fuse → evaluate, the report, and bad input.

mod common;

use common::{bad_input, data, modelfuse, repo, stdout_of};

use std::path::Path;

use serde_json::Value;

fn squad(part: &str) -> String {
    data(modelfuse_testdata::Set::Squad11, part)
        .display()
        .to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// A small SQuAD v1.1 dataset and three systems: `good` is right on every
/// question, `bad1` and `bad2` agree on a wrong answer for the first four.
fn toy(dir: &Path) -> (String, Vec<String>) {
    let ids: Vec<String> = (0..12).map(|i| format!("q{i}")).collect();
    let qas: Vec<Value> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "question": "?", "answers": [{"text": format!("answer {id}"), "answer_start": 0}]}))
        .collect();
    let dataset = serde_json::json!({"version": "1.1", "data": [{"title": "t", "paragraphs": [{"context": "c", "qas": qas}]}]});
    let d = write(dir, "dev.json", &dataset.to_string());
    let system = |wrong: bool| -> String {
        let map: serde_json::Map<String, Value> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let text = if wrong && i < 4 {
                    "wrong".to_string()
                } else {
                    format!("the answer {id}")
                };
                (id.clone(), Value::String(text))
            })
            .collect();
        Value::Object(map).to_string()
    };
    let files = vec![
        write(dir, "good.json", &system(false)),
        write(dir, "bad1.json", &system(true)),
        write(dir, "bad2.json", &system(true)),
    ];
    (d, files)
}

#[test]
fn evaluate_json_equals_the_official_script() {
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("crates/modelfuse-nlp/tests/golden/qa.json")).unwrap(),
    )
    .unwrap();
    let out = stdout_of(modelfuse().args([
        "qa",
        "evaluate",
        &squad("predictions/rnet_plus_ensemble_msra.json"),
        "--dataset",
        &squad("dev-v1.1.json"),
        "--json",
    ]));
    let got: Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["exact_match", "f1"]);
    assert_eq!(got, golden["v1"]["rnet_plus_ensemble_msra"]);
}

#[test]
fn fit_fuse_evaluate_round_trip_on_toy_data() {
    let dir = tempfile::tempdir().unwrap();
    let (dataset, files) = toy(dir.path());
    let fitted = dir.path().join("fitted.json").display().to_string();
    let mut fit = modelfuse();
    fit.args(["qa", "fit"]).args(&files).args([
        "--dataset",
        &dataset,
        "--learn-weights",
        "-o",
        &fitted,
        "--json",
    ]);
    let summary: Value = serde_json::from_str(&stdout_of(&mut fit)).unwrap();
    assert_eq!(summary["exact_match"], 100.0);

    let fused = dir.path().join("fused.json").display().to_string();
    let mut fuse = modelfuse();
    fuse.args(["qa", "fuse"])
        .args(&files)
        .args(["--fuser", &fitted, "-o", &fused]);
    stdout_of(&mut fuse);
    let first = std::fs::read(&fused).unwrap();
    stdout_of(&mut fuse);
    assert_eq!(
        first,
        std::fs::read(&fused).unwrap(),
        "fusing twice gives the same bytes"
    );

    let scores: Value = serde_json::from_str(&stdout_of(modelfuse().args([
        "qa",
        "evaluate",
        &fused,
        "--dataset",
        &dataset,
        "--json",
    ])))
    .unwrap();
    assert_eq!(scores["exact_match"], 100.0);

    // Without learning, the two bad systems outvote the good one on 4 of 12.
    let mut plain = modelfuse();
    plain
        .args(["qa", "fuse"])
        .args(&files)
        .args(["--method", "vote", "-o", &fused]);
    stdout_of(&mut plain);
    let scores: Value = serde_json::from_str(&stdout_of(modelfuse().args([
        "qa",
        "evaluate",
        &fused,
        "--dataset",
        &dataset,
        "--json",
    ])))
    .unwrap();
    assert!((scores["exact_match"].as_f64().unwrap() - 800.0 / 12.0).abs() < 1e-9);
}

#[test]
fn report_compares_methods_with_the_best_system() {
    let dir = tempfile::tempdir().unwrap();
    let (dataset, files) = toy(dir.path());
    let mut cmd = modelfuse();
    cmd.args(["qa", "report"])
        .args(&files)
        .args(["--dataset", &dataset, "--json"]);
    let report: Value = serde_json::from_str(&stdout_of(&mut cmd)).unwrap();
    assert_eq!(report["best_system"], "good");
    let rows = report["rows"].as_array().unwrap();
    let oracle = rows.iter().find(|r| r["kind"] == "oracle").unwrap();
    assert_eq!(oracle["exact_match"], 100.0);
    assert_eq!(report["gains"][0]["metric"], "f1");
}

#[test]
fn bad_input_names_the_file_and_question() {
    let dir = tempfile::tempdir().unwrap();
    let (dataset, files) = toy(dir.path());
    let broken = write(dir.path(), "broken.json", "{\"q1\": \"a\",\n \"q2\": }");
    let err = bad_input(modelfuse().args(["qa", "evaluate", &broken, "--dataset", &dataset]));
    assert!(err.contains("broken.json:2: invalid SQuAD JSON"), "{err}");

    let number = write(dir.path(), "number.json", "{\"q1\": 7}");
    let err = bad_input(modelfuse().args(["qa", "evaluate", &number, "--dataset", &dataset]));
    assert!(
        err.contains("number.json: q1: expected an answer string"),
        "{err}"
    );

    let twice = write(dir.path(), "twice.json", "{\"q1\": \"a\", \"q1\": \"b\"}");
    let err = bad_input(modelfuse().args(["qa", "evaluate", &twice, "--dataset", &dataset]));
    assert!(err.contains("\"q1\" appears more than once"), "{err}");

    let err = bad_input(modelfuse().args([
        "qa",
        "evaluate",
        &files[0],
        "--dataset",
        "/nonexistent/dev.json",
    ]));
    assert!(err.contains("/nonexistent/dev.json"), "{err}");

    // A fuser fitted on three systems refuses two.
    let fitted = dir.path().join("f.json").display().to_string();
    let mut fit = modelfuse();
    fit.args(["qa", "fit"])
        .args(&files)
        .args(["--dataset", &dataset, "-o", &fitted]);
    stdout_of(&mut fit);
    let out = dir.path().join("out.json");
    let err = bad_input(modelfuse().args([
        "qa",
        "fuse",
        &files[0],
        &files[1],
        "--fuser",
        &fitted,
        "-o",
        &out.display().to_string(),
    ]));
    assert!(err.contains("missing [\"bad2\"]"), "{err}");
    assert!(!out.exists(), "no output is written on error");

    let err = bad_input(modelfuse().args([
        "qa",
        "fuse",
        &files[0],
        "--abstain",
        "2",
        "-o",
        &out.display().to_string(),
    ]));
    assert!(err.contains("threshold in [0, 1], found 2"), "{err}");
}
