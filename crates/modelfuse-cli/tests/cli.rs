//! End-to-end tests of the `modelfuse` binary: the README flow on the bundled
//! Fig-QA predictions, golden output, bad input and atomic writes.

mod common;

use common::{bad_input, data, modelfuse, repo, stdout_of, write};

use std::path::{Path, PathBuf};

use predicates::prelude::*;

fn figqa(part: &str) -> PathBuf {
    data(modelfuse_testdata::Set::Figqa, part)
}

#[test]
fn inspect_figqa_text_output_is_stable() {
    let out = stdout_of(modelfuse().current_dir(figqa("")).args([
        "inspect",
        "val",
        "--labels",
        "val.labels.csv",
    ]));
    insta::assert_snapshot!("inspect_figqa_val", out);
}

#[test]
fn inspect_json_reports_each_model() {
    let out = stdout_of(modelfuse().args([
        "inspect".as_ref(),
        figqa("val").as_os_str(),
        "--labels".as_ref(),
        figqa("val.labels.csv").as_os_str(),
        "--json".as_ref(),
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bert", "gpt2", "gptneo", "roberta"]);
    assert_eq!(v["n_samples"], 548);
    assert!(v["models"][3]["metrics"]["accuracy"].as_f64().unwrap() > 0.85);
    assert_eq!(v["diversity"]["pairs"].as_array().unwrap().len(), 6);
}

#[test]
fn fit_predict_evaluate_round_trip_on_figqa() {
    let tmp = tempfile::tempdir().unwrap();
    let fuser = tmp.path().join("vote.json");
    let fused = tmp.path().join("fused.csv");
    stdout_of(modelfuse().args([
        "fit".as_ref(),
        figqa("val").as_os_str(),
        "--labels".as_ref(),
        figqa("val.labels.csv").as_os_str(),
        "--method".as_ref(),
        "score-weighted".as_ref(),
        "--by".as_ref(),
        "accuracy".as_ref(),
        "-o".as_ref(),
        fuser.as_os_str(),
    ]));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fuser).unwrap()).unwrap();
    assert_eq!(saved["modelfuse"], 1);
    assert_eq!(saved["spec"]["method"], "score-weighted");
    modelfuse()
        .args(["predict", "--fuser"])
        .arg(&fuser)
        .arg(figqa("test"))
        .arg("-o")
        .arg(&fused)
        .assert()
        .success()
        .stderr(predicate::str::contains("fused 4 models on 546 samples"));
    let first = std::fs::read(&fused).unwrap();
    // Same inputs, same bytes.
    modelfuse()
        .args(["predict", "--fuser"])
        .arg(&fuser)
        .arg(figqa("test"))
        .arg("-o")
        .arg(&fused)
        .assert()
        .success();
    assert_eq!(first, std::fs::read(&fused).unwrap());
    let out = stdout_of(
        modelfuse()
            .arg("evaluate")
            .arg(&fused)
            .arg("--labels")
            .arg(figqa("test.labels.csv"))
            .arg("--json"),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let acc = v["accuracy"].as_f64().unwrap();
    assert!((0.5..=1.0).contains(&acc), "{acc}");
    for key in [
        "balanced_accuracy",
        "f1_macro",
        "log_loss",
        "brier",
        "ece",
        "roc_auc",
        "mcc",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn predict_refuses_a_fuser_fitted_on_other_models() {
    let tmp = tempfile::tempdir().unwrap();
    let fuser = tmp.path().join("mean.json");
    stdout_of(
        modelfuse()
            .arg("fit")
            .arg(figqa("val/bert.csv"))
            .arg(figqa("val/roberta.csv"))
            .args(["--method", "vote", "-o"])
            .arg(&fuser),
    );
    let err = bad_input(
        modelfuse()
            .args(["predict", "--fuser"])
            .arg(&fuser)
            .arg(figqa("test/bert.csv"))
            .arg(figqa("test/gpt2.csv"))
            .arg("-o")
            .arg(tmp.path().join("out.csv")),
    );
    assert!(
        err.contains("this fuser was fitted on other models: expected the models [bert, roberta], found [bert, gpt2]; missing: roberta; unexpected: gpt2"),
        "{err}"
    );
    assert!(!tmp.path().join("out.csv").exists());
}

#[test]
fn bad_inputs_name_the_file_and_the_id() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let labels = write(d, "labels.csv", "id,label\n1,a\n2,b\n3,a\n");
    let good = write(d, "good.csv", "id,a,b\n1,0.9,0.1\n2,0.2,0.8\n3,0.6,0.4\n");
    let cases: Vec<(&str, &str, &str)> = vec![
        (
            "missing.csv",
            "id,a,b\n1,0.9,0.1\n2,0.2,0.8\n",
            "missing 1: '3'",
        ),
        (
            "nan.csv",
            "id,a,b\n1,NaN,0.1\n2,0.2,0.8\n3,0.6,0.4\n",
            "id '1', class 'a': expected a finite number, found NaN",
        ),
        (
            "sum.csv",
            "id,a,b\n1,0.9,0.9\n2,0.2,0.8\n3,0.6,0.4\n",
            "id '1': expected probabilities summing to 1 (±0.001), found a sum of 1.800000",
        ),
        (
            "range.csv",
            "id,a,b\n1,1.5,-0.5\n2,0.2,0.8\n3,0.6,0.4\n",
            "id '1', class 'a': expected a probability in [0, 1], found 1.5",
        ),
        (
            "z_cols.csv",
            "id,a,c\n1,0.9,0.1\n2,0.2,0.8\n3,0.6,0.4\n",
            "expected the class columns [a, b] of model 'good', found [a, c]; missing: 'b'; unexpected: 'c'",
        ),
        (
            "dup.csv",
            "id,a,b\n1,0.9,0.1\n1,0.2,0.8\n3,0.6,0.4\n",
            "id '1': the id appears more than once",
        ),
    ];
    for (name, text, want) in cases {
        let bad = write(d, name, text);
        let err = bad_input(
            modelfuse()
                .arg("inspect")
                .arg(&good)
                .arg(&bad)
                .arg("--labels")
                .arg(&labels),
        );
        assert!(err.contains(want), "{name}: {err}");
        assert!(
            err.contains(name),
            "{name}: the message should name the file: {err}"
        );
    }
    let unknown = write(d, "unknown.labels.csv", "id,label\n1,a\n2,z\n3,a\n");
    let err = bad_input(
        modelfuse()
            .arg("inspect")
            .arg(&good)
            .arg("--labels")
            .arg(&unknown),
    );
    assert!(
        err.contains("id '2': expected a label among the classes ['a', 'b'], found 'z'"),
        "{err}"
    );
}

#[test]
fn failed_fit_leaves_an_existing_output_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let out = write(tmp.path(), "fuser.json", "previous contents");
    bad_input(
        modelfuse()
            .arg("fit")
            .arg(figqa("val"))
            .args(["--method", "weighted", "--weights", "bert=1", "-o"])
            .arg(&out),
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous contents");
}

#[test]
fn methods_reject_options_they_do_not_take() {
    let err = bad_input(modelfuse().args([
        "fit",
        "x.csv",
        "--method",
        "mean",
        "--weights",
        "a=1",
        "-o",
        "f.json",
    ]));
    assert!(
        err.contains("mean does not take --weights; it takes no options"),
        "{err}"
    );
    let err = bad_input(modelfuse().args(["fit", "x.csv", "--method", "avg", "-o", "f.json"]));
    assert!(
        err.contains("expected a method among [mean, geometric"),
        "{err}"
    );
}

#[test]
fn auto_on_figqa_reports_a_leaderboard_and_an_honest_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let stdout = stdout_of(
        modelfuse()
            .arg("auto")
            .arg(figqa(""))
            .args(["--resamples", "200", "-o"])
            .arg(&out),
    );
    assert!(
        stdout.contains("ranked by out-of-fold accuracy"),
        "{stdout}"
    );
    assert!(stdout.contains("roberta (best model)"), "{stdout}");
    assert!(stdout.contains("test (546 samples)"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let board = report["report"]["leaderboard"].as_array().unwrap();
    assert!(board.len() >= 10, "{board:?}");
    // Every fuser row carries a paired comparison with the best model.
    for e in board.iter().filter(|e| e["kind"] == "fuser") {
        assert!(e["gain"]["p_value"].as_f64().is_some(), "{e}");
        let s = &e["score"];
        assert!(s["low"].as_f64().unwrap() <= s["estimate"].as_f64().unwrap());
    }
    assert!(out.join("fuser.json").is_file());
    assert!(out.join("fused.csv").is_file());
    // Deterministic: the same run gives the same report.
    let again = tmp.path().join("again");
    stdout_of(
        modelfuse()
            .arg("auto")
            .arg(figqa(""))
            .args(["--resamples", "200", "-o"])
            .arg(&again),
    );
    let strip = |p: &Path| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p.join("report.json")).unwrap()).unwrap();
        v["outputs"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&out), strip(&again));
    assert_eq!(
        std::fs::read(out.join("fused.csv")).unwrap(),
        std::fs::read(again.join("fused.csv")).unwrap()
    );
}

#[test]
fn every_learned_method_fits_saves_loads_and_predicts() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: &[&[&str]] = &[
        &["--method", "optimized"],
        &["--method", "optimized", "--geometric"],
        &["--method", "optimized", "--by", "f1_macro"],
        &["--method", "stacking"],
        &["--method", "stacking", "--meta", "linear"],
        &[
            "--method",
            "stacking",
            "--c",
            "0.1",
            "--transform",
            "probabilities",
        ],
        &["--method", "blending", "--holdout", "0.4", "--seed", "3"],
        &["--method", "selection", "--rounds", "20", "--bags", "4"],
        &["--method", "mean", "--prune"],
        &[
            "--method",
            "vote",
            "--tie",
            "best-model",
            "--calibrate",
            "output",
        ],
    ];
    for (i, extra) in cases.iter().enumerate() {
        let fuser = tmp.path().join(format!("f{i}.json"));
        let fused = tmp.path().join(format!("f{i}.csv"));
        stdout_of(
            modelfuse()
                .arg("fit")
                .arg(figqa("val"))
                .arg("--labels")
                .arg(figqa("val.labels.csv"))
                .args(*extra)
                .arg("-o")
                .arg(&fuser),
        );
        let saved = std::fs::read_to_string(&fuser).unwrap();
        let back: serde_json::Value = serde_json::from_str(&saved).unwrap();
        assert_eq!(back["modelfuse"], 1, "{extra:?}");
        stdout_of(
            modelfuse()
                .args(["predict", "--fuser"])
                .arg(&fuser)
                .arg(figqa("test"))
                .arg("-o")
                .arg(&fused),
        );
        let out = stdout_of(
            modelfuse()
                .arg("evaluate")
                .arg(&fused)
                .arg("--labels")
                .arg(figqa("test.labels.csv"))
                .arg("--json"),
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let acc = v["accuracy"].as_f64().unwrap();
        assert!((0.5..=1.0).contains(&acc), "{extra:?}: {acc}");
    }
}

#[test]
fn learned_methods_demand_labels() {
    let err = bad_input(
        modelfuse()
            .arg("fit")
            .arg(figqa("val"))
            .args(["--method", "stacking", "-o", "x.json"]),
    );
    assert!(err.contains("stacking learns from labels"), "{err}");
}

/// `auto` on the bundled banking77 zoo: the report's structure, and every
/// number it reports for models and the fused test predictions can be
/// recomputed from the files (`evaluate` on the written fused.csv and on the
/// models' own files).
#[test]
fn auto_on_banking77_reports_numbers_recomputable_from_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let b77 = repo().join("examples/banking77");
    stdout_of(
        modelfuse()
            .arg("auto")
            .arg(&b77)
            .args(["--resamples", "200", "-o"])
            .arg(&out),
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let r = &report["report"];
    assert_eq!(r["metric"], "log_loss");
    assert_eq!(r["n_samples"], 1540);
    let best = r["best_model"].as_str().unwrap().to_string();
    let board = r["leaderboard"].as_array().unwrap();
    let models = board.iter().filter(|e| e["kind"] == "model").count();
    assert!(models >= 8, "the zoo has at least 8 models");
    let eval = |file: PathBuf, labels: &str| -> f64 {
        let out = stdout_of(
            modelfuse()
                .arg("evaluate")
                .arg(&file)
                .arg("--labels")
                .arg(b77.join(labels))
                .arg("--json"),
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["log_loss"].as_f64().unwrap()
    };
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1.0);
    // Every single model's score is its own file's log-loss.
    for e in board.iter().filter(|e| e["kind"] == "model") {
        let name = e["name"].as_str().unwrap();
        let got = e["score"]["estimate"].as_f64().unwrap();
        let want = eval(b77.join(format!("val/{name}.parquet")), "val.labels.csv");
        assert!(close(got, want), "{name}: report {got}, file {want}");
    }
    // The fused test predictions and the best model on test.
    let test = &report["test"];
    let fused = test["fused"]["estimate"].as_f64().unwrap();
    assert!(close(fused, eval(out.join("fused.csv"), "test.labels.csv")));
    let best_test = test["best_model"]["estimate"].as_f64().unwrap();
    assert!(close(
        best_test,
        eval(b77.join(format!("test/{best}.parquet")), "test.labels.csv")
    ));
    let gain = test["gain"]["gain"].as_f64().unwrap();
    assert!(
        close(gain, best_test - fused),
        "gain {gain} vs {}",
        best_test - fused
    );
    // The recommendation follows from the leaderboard.
    let top = board.iter().find(|e| e["kind"] == "fuser").unwrap();
    let confident = top["gain"]["low"].as_f64().unwrap() > 0.0;
    assert_eq!(
        r["recommendation"]["kind"],
        if confident { "fuser" } else { "model" }
    );
}

/// `predict` writes NumPy too, and a fused `.npz` or `.npy` scores exactly as
/// the CSV does (the formats read back as written).
#[test]
fn predict_writes_numpy_that_scores_like_the_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let b77 = repo().join("examples/banking77");
    let fuser = tmp.path().join("mean.json");
    stdout_of(
        modelfuse()
            .arg("fit")
            .arg(b77.join("val"))
            .args(["--method", "mean", "-o"])
            .arg(&fuser),
    );
    let mut scores = Vec::new();
    for name in ["fused.csv", "fused.npz", "fused.npy"] {
        let out = tmp.path().join(name);
        modelfuse()
            .args(["predict", "--fuser"])
            .arg(&fuser)
            .arg(b77.join("test"))
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        scores.push(stdout_of(
            modelfuse()
                .arg("evaluate")
                .arg(&out)
                .arg("--labels")
                .arg(b77.join("test.labels.csv"))
                .arg("--json"),
        ));
    }
    assert!(tmp.path().join("fused.ids.txt").is_file());
    assert!(tmp.path().join("fused.classes.txt").is_file());
    // The JSON holds only the scores, so equal text is equal scores.
    assert_eq!(scores[0], scores[1]);
    assert_eq!(scores[0], scores[2]);
}

/// `auto` with no folder finds the bundled zoo from any directory, and says so (a
/// refused `--resamples` stops it right after, so the search itself is not rerun here;
/// `auto_on_banking77_…` runs it).
#[test]
fn auto_without_a_folder_says_what_it_runs_on_from_any_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let stderr = bad_input(modelfuse().current_dir(tmp.path()).args([
        "auto",
        "--resamples",
        "1",
        "-o",
        "out",
    ]));
    assert!(
        stderr.contains("no folder given: running on the bundled BANKING77 zoo")
            && stderr.contains("examples/banking77"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--resamples 1: expected at least"),
        "{stderr}"
    );
    assert!(!tmp.path().join("out").exists());
}

/// `auto --budget`: once the time is spent, the candidates not started are
/// listed as not evaluated, the verdict says it is the best found within the
/// budget, and report.json records the budget and how many were cut. A
/// budget far too small to start any fuser cuts every one of them.
#[test]
fn auto_with_a_budget_says_what_it_did_not_evaluate() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let stdout = stdout_of(
        modelfuse()
            .arg("auto")
            .arg(repo().join("examples/banking77"))
            .args(["--resamples", "200", "--budget", "0.000001", "-o"])
            .arg(&out),
    );
    assert!(
        stdout.contains("this is the best found within the time budget of 0.000001 s"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["settings"]["budget_seconds"], 0.000001);
    let r = &report["report"];
    let skipped = r["skipped"].as_array().unwrap();
    let cut = r["budget_cut"].as_u64().unwrap() as usize;
    assert!(
        cut > 0 && cut == skipped.len(),
        "{cut} of {}",
        skipped.len()
    );
    assert!(
        skipped
            .iter()
            .all(|s| s["reason"] == "not evaluated: the time budget of 0.000001 s was spent")
    );
    // No fuser was evaluated: the recommendation is the best model.
    assert_eq!(r["recommendation"]["kind"], "model");
    assert!(
        r["leaderboard"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] == "model")
    );
    assert!(out.join("fuser.json").exists() && out.join("fused.csv").exists());
}
