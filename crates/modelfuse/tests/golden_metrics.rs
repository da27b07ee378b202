//! Golden tests: every metric of `modelfuse::metrics` against scikit-learn.
//!
//! `tests/golden/metrics.json` is written by `scripts/golden/metrics_golden.py`
//! (see `scripts/golden/README.md`); it holds the inputs of each case, the
//! value of every metric that applies to the task (`null` where scikit-learn
//! returns NaN), and the versions of NumPy and scikit-learn used. The cases
//! cover binary, 3-class and 5-class problems with an absent class, tied
//! scores, exact 0 and 1 probabilities, multilabel, regression with a
//! constant target, and the real hard predictions of four models on Fig-QA.

use std::collections::{BTreeMap, BTreeSet};

use modelfuse::metrics::{self, Metric, evaluate, score};
use modelfuse::{
    BuildOptions, Content, ErrorKind, ModelOutput, Predictions, Result, Targets, Task,
};
use serde::Deserialize;
use serde_json::Value;

/// The relative tolerance. The script gives scikit-learn the exact `f32`
/// probabilities that `Predictions` stores, widened to `f64`, so both sides
/// score the same numbers and differ only in the order of summation (a few
/// ulps); the looser 1e-6 that `f32` rounding would need is not needed.
const REL_TOL: f64 = 1e-9;

/// Values that are exactly zero on one side (an MCC of 0, a perfect RMSE)
/// cannot be compared relatively.
const ABS_TOL: f64 = 1e-15;

const GOLDEN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/metrics.json"
));

#[derive(Deserialize)]
struct Golden {
    versions: BTreeMap<String, String>,
    cases: Vec<Case>,
    real: Vec<RealCase>,
}

/// A synthetic case: one model's probabilities (or values) and the truth.
#[derive(Deserialize)]
struct Case {
    name: String,
    task: String,
    n_classes: Option<usize>,
    n_labels: Option<usize>,
    /// Class indices, 0/1 label rows, or real values, by task.
    y_true: Value,
    proba: Option<Vec<Vec<f64>>>,
    y_pred: Option<Vec<f64>>,
    expected: BTreeMap<String, Option<f64>>,
}

/// Real data: several models' hard predictions, given as labels. The data itself
/// is read from outside the repository (`source`; never committed).
#[derive(Deserialize)]
struct RealCase {
    name: String,
    source: Source,
    expected: BTreeMap<String, BTreeMap<String, Option<f64>>>,
}

#[derive(Deserialize)]
struct Source {
    set: String,
}

fn golden() -> Golden {
    serde_json::from_str(GOLDEN).expect("tests/golden/metrics.json parses")
}

/// Flattens rows of `f32` values stored as their exact `f64` decimals.
fn flat_f32(rows: &[Vec<f64>]) -> Vec<f32> {
    rows.iter().flatten().map(|&x| x as f32).collect()
}

impl Case {
    fn build(&self) -> Result<(Predictions, Targets)> {
        let (task, values, targets) = match self.task.as_str() {
            "binary" | "multiclass" => {
                let k = self.n_classes.expect("n_classes");
                let task = if k == 2 {
                    Task::Binary
                } else {
                    Task::Multiclass { n_classes: k }
                };
                let y: Vec<usize> = serde_json::from_value(self.y_true.clone()).unwrap();
                let proba = flat_f32(self.proba.as_ref().expect("proba"));
                (task, proba, Targets::Classes(y))
            }
            "multilabel" => {
                let n_labels = self.n_labels.expect("n_labels");
                let rows: Vec<Vec<u8>> = serde_json::from_value(self.y_true.clone()).unwrap();
                let matrix = rows.iter().flatten().map(|&b| b == 1).collect();
                let proba = flat_f32(self.proba.as_ref().expect("proba"));
                (
                    Task::Multilabel { n_labels },
                    proba,
                    Targets::Multilabel { n_labels, matrix },
                )
            }
            "regression" => {
                let y: Vec<f64> = serde_json::from_value(self.y_true.clone()).unwrap();
                let y_pred = self.y_pred.as_ref().expect("y_pred");
                let values = y_pred.iter().map(|&x| x as f32).collect();
                (Task::Regression, values, Targets::Values(y))
            }
            other => panic!("{}: unknown task '{other}'", self.name),
        };
        let n = targets.len();
        let classes = match task {
            Task::Regression => vec!["value".to_string()],
            _ => (0..task.n_outputs()).map(|j| format!("c{j}")).collect(),
        };
        let ids = (0..n).map(|i| i.to_string()).collect();
        let preds = Predictions::new(task, vec!["model".into()], ids, classes, values)?;
        Ok((preds, targets))
    }
}

/// Collects mismatches so that one run reports all of them.
#[derive(Default)]
struct Checker {
    failures: Vec<String>,
    checked: usize,
}

impl Checker {
    fn value(&mut self, what: &str, got: f64, want: Option<f64>) {
        self.checked += 1;
        let ok = match want {
            None => got.is_nan(),
            Some(w) => (got - w).abs() <= REL_TOL * w.abs().max(got.abs()) + ABS_TOL,
        };
        if !ok {
            self.failures
                .push(format!("{what}: got {got:e}, expected {want:?}"));
        }
    }

    /// `score` returns the value, or an `InvalidValue` error where
    /// scikit-learn returns NaN.
    fn score(&mut self, what: &str, got: Result<f64>, want: Option<f64>) {
        match (got, want) {
            (Ok(v), _) => self.value(what, v, want),
            (Err(e), None) if e.kind() == ErrorKind::InvalidValue => self.checked += 1,
            (Err(e), _) => self
                .failures
                .push(format!("{what}: error {e} ({:?})", e.kind())),
        }
    }

    /// Every metric of the expected map through `score`, then the whole
    /// report through `evaluate`; the map must name exactly the metrics that
    /// apply to the task.
    fn model(
        &mut self,
        case: &str,
        preds: &Predictions,
        m: usize,
        targets: &Targets,
        expected: &BTreeMap<String, Option<f64>>,
    ) {
        let mut seen = BTreeSet::new();
        for (name, &want) in expected {
            let metric: Metric = name.parse().expect("a metric name");
            seen.insert(metric);
            let got = score(metric, preds, m, targets);
            self.score(&format!("{case}/{name}"), got, want);
        }
        let applicable: BTreeSet<Metric> = Metric::ALL
            .iter()
            .copied()
            .filter(|m| m.applies_to(preds.task()))
            .collect();
        if seen != applicable {
            self.failures.push(format!(
                "{case}: expected values for {applicable:?}, the golden file has {seen:?}"
            ));
        }
        match evaluate(preds, m, targets) {
            Ok(report) => {
                for (metric, got) in report {
                    let want = expected[metric.name()];
                    self.value(&format!("{case}/evaluate/{metric}"), got, want);
                }
            }
            Err(e) => self.failures.push(format!("{case}: evaluate failed: {e}")),
        }
    }

    fn finish(self, at_least: usize) {
        assert!(
            self.failures.is_empty(),
            "{} of {} golden values differ:\n{}",
            self.failures.len(),
            self.checked + self.failures.len(),
            self.failures.join("\n")
        );
        assert!(
            self.checked >= at_least,
            "only {} golden values checked",
            self.checked
        );
    }
}

#[test]
fn golden_file_records_the_reference_versions() {
    let g = golden();
    for key in ["numpy", "scikit-learn"] {
        assert!(g.versions.get(key).is_some_and(|v| !v.is_empty()), "{key}");
    }
}

#[test]
fn golden_synthetic_cases_match_sklearn() -> Result<()> {
    let g = golden();
    assert!(g.cases.len() >= 10);
    let mut check = Checker::default();
    for case in &g.cases {
        let (preds, targets) = case.build()?;
        check.model(&case.name, &preds, 0, &targets, &case.expected);
    }
    check.finish(200);
    Ok(())
}

/// Where scikit-learn's ROC-AUC is NaN, the pure functions return NaN too
/// (only `score` turns it into an error).
#[test]
fn golden_undefined_roc_auc_is_nan_in_pure_functions() -> Result<()> {
    let g = golden();
    let mut undefined = 0;
    for case in g
        .cases
        .iter()
        .filter(|c| c.expected.get("roc_auc") == Some(&None))
    {
        let (preds, targets) = case.build()?;
        let rows = preds.model(0);
        let auc = match (&targets, preds.task()) {
            (Targets::Classes(y), Task::Binary) => {
                let positive: Vec<bool> = y.iter().map(|&c| c == 1).collect();
                let p1: Vec<f32> = rows.chunks_exact(2).map(|r| r[1]).collect();
                metrics::roc_auc_binary(&positive, &p1)
            }
            (Targets::Classes(y), task) => metrics::roc_auc_ovr(y, rows, task.n_outputs()),
            (Targets::Multilabel { n_labels, matrix }, _) => {
                metrics::roc_auc_multilabel(matrix, rows, *n_labels)
            }
            (Targets::Values(_), _) => unreachable!("regression has no roc_auc"),
        };
        assert!(auc.is_nan(), "{}: {auc}", case.name);
        undefined += 1;
    }
    assert!(
        undefined >= 3,
        "the golden file should cover undefined ROC-AUC"
    );
    Ok(())
}

/// Real data: Fig-QA gold answers and the hard predictions of BERT, RoBERTa,
/// GPT-2 and GPT-Neo, read the way the CLI reads label files (hard labels
/// become one-hot rows, targets are aligned by id).
#[test]
fn golden_real_hard_predictions_match_sklearn() -> Result<()> {
    let g = golden();
    let mut check = Checker::default();
    for case in &g.real {
        assert_eq!(
            case.source.set, "figqa",
            "case {}: unknown data set",
            case.name
        );
        let items = modelfuse_testdata::figqa_items();
        let ids: Vec<String> = (0..items.gold.len()).map(|i| i.to_string()).collect();
        let outputs = items
            .models
            .iter()
            .map(|(name, labels)| ModelOutput {
                name: name.to_string(),
                ids: ids.clone().into(),
                content: Content::Labels(labels.iter().map(|l| l.to_string()).collect()),
            })
            .collect();
        let opts = BuildOptions {
            classes: Some(vec!["0".into(), "1".into()]),
            ..Default::default()
        };
        let preds = Predictions::from_outputs(outputs, &opts)?;
        assert_eq!(preds.task(), Task::Binary);
        let table: Vec<(String, String)> = ids
            .iter()
            .zip(&items.gold)
            .map(|(id, y)| (id.clone(), y.to_string()))
            .collect();
        let targets = Targets::align(&preds, &table)?;
        for (model, expected) in &case.expected {
            let m = preds.model_index(model).expect("model present");
            assert!(preds.is_hard(m));
            check.model(
                &format!("{}/{model}", case.name),
                &preds,
                m,
                &targets,
                expected,
            );
        }
    }
    check.finish(100);
    Ok(())
}
