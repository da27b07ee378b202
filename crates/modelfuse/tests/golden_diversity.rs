//! Golden test: `modelfuse::diversity::diversity` against values computed
//! independently with numpy and scikit-learn.
//!
//! The cases live in `tests/golden/diversity.json`, written by
//! `scripts/golden/diversity_golden.py` (which says how to regenerate it).
//! Each case goes through the same front door users take: hard labels, scores
//! or values become `ModelOutput`s, `Predictions::from_outputs` aligns them,
//! and `Targets::align` reads the truth as a labels table, so a mistake in
//! alignment or class mapping would show here too.

use std::collections::BTreeMap;

use modelfuse::diversity::{DiversityReport, PairMean, diversity};
use modelfuse::{BuildOptions, Content, ModelOutput, Predictions, Targets, TaskHint};
use serde::Deserialize;
use serde_json::Value;

/// Relative tolerance; the absolute floor only matters for values that are
/// zero up to rounding, where a relative test is meaningless.
const REL: f64 = 1e-9;
const ABS: f64 = 1e-12;

#[derive(Deserialize)]
struct Golden {
    tolerance: Tolerance,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Tolerance {
    rel: f64,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    task: String,
    #[serde(default)]
    classes: Vec<String>,
    /// Per model: class indices (classification), row-major scores
    /// (multilabel) or values (regression). Empty when `source` names real data.
    #[serde(default)]
    models: BTreeMap<String, Vec<Value>>,
    #[serde(default)]
    targets: Vec<Value>,
    /// Real third-party data, read from outside the repository (never committed).
    source: Option<Source>,
    expected: Expected,
}

/// Which real data a case is computed on: Fig-QA (the only set used here), its first
/// `first` items (all when absent), and a subset of its models (all when absent).
#[derive(Deserialize)]
struct Source {
    set: String,
    first: Option<usize>,
    models: Option<Vec<String>>,
}

impl Case {
    /// Fills `models` and `targets` from the case's real data, if it names some.
    fn with_data(mut self) -> Case {
        let Some(src) = &self.source else {
            return self;
        };
        assert_eq!(src.set, "figqa", "case {}: unknown data set", self.name);
        let items = modelfuse_testdata::figqa_items();
        let n = src.first.unwrap_or(items.gold.len());
        let values = |v: &[u64]| v[..n].iter().map(|&x| Value::from(x)).collect::<Vec<_>>();
        self.targets = values(&items.gold);
        for (name, picks) in &items.models {
            if src
                .models
                .as_ref()
                .is_none_or(|m| m.iter().any(|x| x == name))
            {
                self.models.insert(name.to_string(), values(picks));
            }
        }
        self
    }
}

#[derive(Deserialize)]
struct Expected {
    models: Vec<String>,
    pairs: Vec<ExpectedPair>,
    summary: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct ExpectedPair {
    a: String,
    b: String,
    disagreement: Option<f64>,
    double_fault: Option<f64>,
    q_statistic: Option<f64>,
    error_correlation: Option<f64>,
    kappa: Option<f64>,
}

fn load() -> Golden {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/diversity.json");
    let text = std::fs::read_to_string(path).expect("reading tests/golden/diversity.json");
    let mut golden: Golden =
        serde_json::from_str(&text).expect("parsing tests/golden/diversity.json");
    golden.cases = golden.cases.into_iter().map(Case::with_data).collect();
    golden
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

fn as_f64(v: &Value) -> f64 {
    v.as_f64().expect("a number")
}

fn as_index(v: &Value) -> usize {
    v.as_u64().expect("a class index") as usize
}

/// Builds predictions and targets for a case the way a front end would.
fn build(case: &Case) -> (Predictions, Targets) {
    let n = case.targets.len();
    let mut opts = BuildOptions {
        classes: (!case.classes.is_empty()).then(|| case.classes.clone()),
        ..Default::default()
    };
    let content = |values: &[Value]| match case.task.as_str() {
        "classification" => Content::Labels(
            values
                .iter()
                .map(|v| case.classes[as_index(v)].clone())
                .collect(),
        ),
        "multilabel" => Content::Scores {
            columns: case.classes.clone(),
            // The grid of eighths is exact in f32.
            values: values.iter().map(|v| as_f64(v) as f32).collect(),
        },
        // The script stores f32 values widened to f64, so this is exact.
        "regression" => Content::Values(values.iter().map(|v| as_f64(v) as f32).collect()),
        other => panic!("unknown task '{other}' in case {}", case.name),
    };
    let outputs = case
        .models
        .iter()
        .map(|(name, values)| ModelOutput {
            name: name.clone(),
            ids: ids(n).into(),
            content: content(values),
        })
        .collect();
    if case.task == "multilabel" {
        opts.task = TaskHint::Multilabel;
    }
    let preds = Predictions::from_outputs(outputs, &opts)
        .unwrap_or_else(|e| panic!("case {}: building predictions: {e}", case.name));
    let label = |t: &Value| match case.task.as_str() {
        "classification" => case.classes[as_index(t)].clone(),
        "multilabel" => {
            let row = t.as_array().expect("a row of 0/1 indicators");
            let on: Vec<&str> = row
                .iter()
                .zip(&case.classes)
                .filter(|(x, _)| as_index(x) == 1)
                .map(|(_, c)| c.as_str())
                .collect();
            on.join("|")
        }
        // Rust prints the shortest string that parses back to the same f64.
        _ => format!("{}", as_f64(t)),
    };
    let table: Vec<(String, String)> = ids(n)
        .into_iter()
        .zip(case.targets.iter().map(label))
        .collect();
    let targets = Targets::align(&preds, &table)
        .unwrap_or_else(|e| panic!("case {}: aligning targets: {e}", case.name));
    (preds, targets)
}

/// `expected` is `None` where the measure is not defined: the value must be
/// NaN there, and within tolerance elsewhere.
fn check(case: &str, what: &str, got: f64, expected: Option<f64>, rel: f64) -> Option<String> {
    let ok = match expected {
        None => got.is_nan(),
        Some(e) => (got - e).abs() <= (rel * e.abs().max(got.abs())).max(ABS),
    };
    (!ok).then(|| format!("{case}: {what}: got {got}, expected {expected:?}"))
}

fn compare(case: &Case, report: &DiversityReport, rel: f64) -> Vec<String> {
    let name = case.name.as_str();
    let mut bad = Vec::new();
    assert_eq!(report.models, case.expected.models, "{name}: models");
    assert_eq!(
        report.pairs.len(),
        case.expected.pairs.len(),
        "{name}: number of pairs"
    );
    for (got, exp) in report.pairs.iter().zip(&case.expected.pairs) {
        assert_eq!((&got.a, &got.b), (&exp.a, &exp.b), "{name}: pair order");
        let pair = format!("{}/{}", exp.a, exp.b);
        let fields = [
            ("disagreement", got.disagreement, exp.disagreement),
            ("double_fault", got.double_fault, exp.double_fault),
            ("q_statistic", got.q_statistic, exp.q_statistic),
            (
                "error_correlation",
                got.error_correlation,
                exp.error_correlation,
            ),
            ("kappa", got.kappa, exp.kappa),
        ];
        for (field, g, e) in fields {
            bad.extend(check(name, &format!("{pair} {field}"), g, e, rel));
        }
    }
    let s = &report.summary;
    let means: [(&str, PairMean); 5] = [
        ("disagreement", s.disagreement),
        ("double_fault", s.double_fault),
        ("q_statistic", s.q_statistic),
        ("error_correlation", s.error_correlation),
        ("kappa", s.kappa),
    ];
    let expected = &case.expected.summary;
    for (field, got) in means {
        let exp = &expected[field];
        bad.extend(check(
            name,
            &format!("summary {field} mean"),
            got.mean,
            exp["mean"].as_f64(),
            rel,
        ));
        if exp["undefined"].as_u64() != Some(got.undefined as u64) {
            bad.push(format!(
                "{name}: summary {field} undefined: got {}, expected {}",
                got.undefined, exp["undefined"]
            ));
        }
    }
    let scalars = [
        ("kohavi_wolpert_variance", s.kohavi_wolpert_variance),
        ("entropy", s.entropy),
        ("interrater_agreement", s.interrater_agreement),
        ("oracle_accuracy", s.oracle_accuracy),
        ("ambiguity", s.ambiguity),
    ];
    for (field, got) in scalars {
        bad.extend(check(
            name,
            &format!("summary {field}"),
            got,
            expected[field].as_f64(),
            rel,
        ));
    }
    bad
}

#[test]
fn golden_diversity_matches_numpy_and_sklearn() {
    let golden = load();
    // The file states its tolerance; never test looser than 1e-9.
    let rel = golden.tolerance.rel.min(REL);
    let mut bad = Vec::new();
    for case in &golden.cases {
        let (preds, targets) = build(case);
        let report = diversity(&preds, &targets)
            .unwrap_or_else(|e| panic!("case {}: diversity failed: {e}", case.name));
        bad.extend(compare(case, &report, rel));
    }
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn golden_diversity_covers_every_kind_of_case() {
    let golden = load();
    let names: Vec<&str> = golden.cases.iter().map(|c| c.name.as_str()).collect();
    for wanted in [
        "figqa_4models",
        "synthetic_5class",
        "undefined",
        "single_model",
        "multilabel",
        "regression",
    ] {
        assert!(names.contains(&wanted), "missing golden case {wanted}");
    }
    // The real-data case is the full Fig-QA set, not a sample of it.
    let figqa = golden
        .cases
        .iter()
        .find(|c| c.name == "figqa_4models")
        .unwrap();
    assert_eq!(figqa.targets.len(), 1094);
    assert_eq!(figqa.models.len(), 4);
}
