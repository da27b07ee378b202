//! Saved fusers written by an earlier modelfuse (`tests/fixtures/saved`, one
//! per method) still load and are written back with the same content (the
//! same fields and values; weights are renormalised on loading, so their last
//! bits may differ from the file's, as they always have; the CLI's
//! `saved_files` test checks the predictions byte for byte).

use std::path::Path;

use modelfuse::FittedFuser;
use serde_json::Value;

/// Equal JSON, numbers within a relative 1e-12.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.keys().eq(y.keys()) && x.iter().zip(y).all(|((_, a), (_, b))| same(a, b))
        }
        _ => a == b,
    }
}

#[test]
fn every_saved_fuser_loads_and_writes_back_the_same_content() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/saved/fusers");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    // Every method that existed when the fixtures were written has one (a
    // method added later has no file written before it to stay compatible
    // with).
    let methods = [
        "mean",
        "geometric",
        "weighted",
        "score-weighted",
        "vote",
        "soft-vote",
        "rank",
        "median",
        "optimized",
        "stacking",
        "blending",
        "selection",
    ];
    for method in methods {
        let has = names.iter().any(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            text.contains(&format!("\"method\": \"{method}\""))
        });
        assert!(has, "no saved fixture for {method}");
    }
    for path in &names {
        let text = std::fs::read_to_string(path).unwrap();
        let fitted =
            FittedFuser::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let written = fitted.to_json();
        let (before, after): (Value, Value) = (
            serde_json::from_str(&text).unwrap(),
            serde_json::from_str(&written).unwrap(),
        );
        assert!(same(&before, &after), "{}:\n{written}", path.display());
    }
}

/// Stacking's default transform became the probabilities; files written
/// before keep their meaning: without the field, logits (the old default);
/// with it, what they name. New specs always name it.
#[test]
fn saved_stacking_keeps_the_transform_it_was_fitted_with() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/saved/fusers");
    let load = |name: &str| {
        let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        FittedFuser::from_json(&text).unwrap()
    };
    for (name, what) in [
        ("stacking", "stacking (logistic, logits)"),
        ("stacking-logits", "stacking (logistic, logits)"),
        (
            "stacking-probabilities",
            "stacking (logistic, probabilities)",
        ),
    ] {
        let fitted = load(name);
        assert_eq!(fitted.spec().describe(fitted.task()), what, "{name}");
    }
    let default = modelfuse::Method::Stacking.default_spec();
    assert_eq!(
        serde_json::to_string(&default).unwrap(),
        r#"{"method":"stacking","transform":"probabilities"}"#
    );
}
