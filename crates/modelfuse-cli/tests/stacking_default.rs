//! Stacking's and blending's default input transform on real held-out tabular predictions
//! (`examples/tabular`: six models the project trains on scikit-learn's
//! digits and breast-cancer data, several of which give exact zeros): the
//! default must be the peer's (scikit-learn's `StackingClassifier` feeds the
//! meta-model `predict_proba`) and must beat both the plain mean and the
//! former default, log-probabilities, on the test split.

mod common;

use std::path::Path;

use common::{example, modelfuse, stdout_of};

/// The test log-loss of `fit <args>` fitted on `dataset`'s val split.
fn test_log_loss(dataset: &str, dir: &Path, args: &[&str]) -> f64 {
    let data = example(&format!("tabular/{dataset}"));
    let fuser = dir.join("fuser.json");
    let fused = dir.join("fused.csv");
    let run = |args: Vec<&std::ffi::OsStr>| stdout_of(modelfuse().args(args));
    run(vec![
        "fit".as_ref(),
        data.join("val").as_os_str(),
        "--labels".as_ref(),
        data.join("val.labels.csv").as_os_str(),
    ]
    .into_iter()
    .chain(args.iter().map(|a| a.as_ref()))
    .chain(["-o".as_ref(), fuser.as_os_str()])
    .collect());
    run(vec![
        "predict".as_ref(),
        "--fuser".as_ref(),
        fuser.as_os_str(),
        data.join("test").as_os_str(),
        "-o".as_ref(),
        fused.as_os_str(),
    ]);
    let out = stdout_of(
        modelfuse()
            .arg("evaluate")
            .arg(&fused)
            .arg("--labels")
            .arg(data.join("test.labels.csv"))
            .arg("--json"),
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    json["log_loss"]
        .as_f64()
        .unwrap_or_else(|| panic!("no log_loss in {out}"))
}

#[test]
fn stacking_defaults_to_probabilities_and_beats_the_mean_on_real_tabular_data() {
    let tmp = tempfile::tempdir().unwrap();
    for dataset in ["digits", "breast_cancer"] {
        let loss = |args: &[&str]| test_log_loss(dataset, tmp.path(), args);
        let default = loss(&["--method", "stacking"]);
        let probabilities = loss(&["--method", "stacking", "--transform", "probabilities"]);
        let logits = loss(&["--method", "stacking", "--transform", "logits"]);
        let mean = loss(&["--method", "mean"]);
        assert_eq!(
            default, probabilities,
            "{dataset}: the default is the probabilities"
        );
        assert!(
            default < mean,
            "{dataset}: stacking {default} vs mean {mean}"
        );
        assert!(
            default < logits,
            "{dataset}: probabilities {default} vs logits {logits}"
        );
    }
}

/// Blending (stacking's meta-model on a held-out half) defaults to the
/// probabilities too: on the same data its logistic blender's test log-loss
/// is 0.151 / 0.099 on probabilities against 0.268 / 0.120 on
/// log-probabilities, its former default.
#[test]
fn blending_defaults_to_probabilities_on_real_tabular_data() {
    let tmp = tempfile::tempdir().unwrap();
    for dataset in ["digits", "breast_cancer"] {
        let loss = |args: &[&str]| test_log_loss(dataset, tmp.path(), args);
        let default = loss(&["--method", "blending"]);
        let probabilities = loss(&["--method", "blending", "--transform", "probabilities"]);
        let logits = loss(&["--method", "blending", "--transform", "logits"]);
        assert_eq!(
            default, probabilities,
            "{dataset}: the default is the probabilities"
        );
        assert!(
            default < logits,
            "{dataset}: probabilities {default} vs logits {logits}"
        );
    }
}
