//! `learn::linear::RidgeCv` against scikit-learn's `RidgeCV(alphas=(0.1, 1,
//! 10))`, `StackingRegressor`'s default meta-model (values from
//! `scripts/golden/ridge_cv_golden.py`): the chosen alpha exactly, the
//! coefficients, intercept and best leave-one-out score to 1e-9 relative.

use modelfuse::learn::linear::RidgeCv;
use serde_json::Value;

fn close(a: f64, b: f64, scale: f64) -> bool {
    let rel = (a - b).abs() / scale;
    WORST.with(|w| w.set(w.get().max(rel)));
    rel <= 1e-9
}

thread_local! {
    static WORST: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

#[test]
fn ridge_cv_matches_scikit_learn() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/ridge_cv.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let nums = |v: &Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let alphas = nums(&doc["alphas"]);
    assert_eq!(alphas, RidgeCv::new().alphas);
    let cases = doc["cases"].as_array().unwrap();
    let mut won = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let rows = case["x"].as_array().unwrap();
        let d = rows[0].as_array().unwrap().len();
        let x: Vec<f64> = rows.iter().flat_map(nums).collect();
        let y = nums(&case["y"]);
        let cv = RidgeCv::new();
        let (fit, alpha) = cv.fit(&x, d, &y).unwrap();
        assert_eq!(alpha, case["alpha"].as_f64().unwrap(), "{name}");
        won.push(alpha);
        let coef = nums(&case["coef"]);
        let scale = coef.iter().fold(0.0f64, |m, c| m.max(c.abs()));
        for (a, b) in fit.coef().iter().zip(&coef) {
            assert!(close(*a, *b, scale), "{name}: coef {a} vs {b}");
        }
        let b = case["intercept"].as_f64().unwrap();
        assert!(
            close(fit.intercept(), b, b.abs().max(scale)),
            "{name}: intercept {} vs {b}",
            fit.intercept()
        );
        let errors = cv.loo_errors(&x, d, &y).unwrap();
        let best = -errors.iter().copied().fold(f64::INFINITY, f64::min);
        let want = case["best_score"].as_f64().unwrap();
        assert!(
            close(best, want, want.abs()),
            "{name}: best score {best} vs {want}"
        );
    }
    for a in alphas {
        assert!(won.contains(&a), "no case where alpha {a} wins");
    }
    eprintln!(
        "{} cases, alphas chosen {won:?}, worst relative difference {:e}",
        cases.len(),
        WORST.with(|w| w.get())
    );
}
