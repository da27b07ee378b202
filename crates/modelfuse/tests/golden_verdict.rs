//! Bootstrap intervals and paired comparisons against scikit-learn and NumPy
//! on the very same resamples.
//!
//! `tests/golden/verdict.json` is written by `scripts/golden/verdict_golden.py`,
//! which re-implements `learn::rng::Rng` in Python, so it draws the resamples
//! `verdict` draws; it scores them with scikit-learn and takes percentiles
//! with `numpy.quantile`. Everything must agree to 1e-12: the resampled
//! values differ only by summation order, and the percentiles interpolate
//! the same way.

mod synthetic;

use modelfuse::learn::rng::Rng;
use modelfuse::metrics::Metric;
use modelfuse::verdict::{
    BootstrapOptions, Comparison, Interval, Verdict, bootstrap_interval, paired_comparison,
};
use serde_json::Value;
use synthetic::Data;

const GOLDEN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/verdict.json"
));

fn golden() -> Value {
    serde_json::from_str(GOLDEN).expect("verdict.json parses")
}

fn assert_close(got: f64, want: &Value, what: &str) {
    let want = want.as_f64().unwrap_or_else(|| panic!("{what}: a number"));
    assert!(
        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
        "{what}: {got} vs {want}"
    );
}

fn u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

fn check_interval(got: &Interval, want: &Value, what: &str) {
    assert_close(got.estimate, &want["estimate"], &format!("{what}.estimate"));
    assert_close(got.low, &want["low"], &format!("{what}.low"));
    assert_close(got.high, &want["high"], &format!("{what}.high"));
    assert_eq!(
        got.resamples_undefined as u64,
        want["resamples_undefined"].as_u64().unwrap(),
        "{what}.resamples_undefined"
    );
}

fn check_comparison(got: &Comparison, want: &Value, what: &str) {
    assert_close(got.gain, &want["gain"], &format!("{what}.gain"));
    assert_close(got.low, &want["low"], &format!("{what}.low"));
    assert_close(got.high, &want["high"], &format!("{what}.high"));
    assert_close(got.p_value, &want["p_value"], &format!("{what}.p_value"));
    assert_eq!(
        got.resamples_undefined as u64,
        want["resamples_undefined"].as_u64().unwrap(),
        "{what}.resamples_undefined"
    );
    let verdict = match want["verdict"].as_str().unwrap() {
        "better" => Verdict::Better,
        "worse" => Verdict::Worse,
        "not_distinguishable" => Verdict::NotDistinguishable,
        other => panic!("unknown verdict {other}"),
    };
    assert_eq!(got.verdict(), verdict, "{what}.verdict");
}

#[test]
fn python_rng_is_modelfuse_rng() {
    let g = golden();
    let r = &g["rng"];
    let mut rng = Rng::new(r["seed"].as_u64().unwrap());
    let u: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
    assert_eq!(u, u64s(&r["next_u64"]));
    let mut forked = rng.fork(3);
    let f: Vec<u64> = (0..3).map(|_| forked.next_u64()).collect();
    assert_eq!(f, u64s(&r["fork_3_next_u64"]));
    let b: Vec<u64> = (0..10).map(|_| forked.below(7) as u64).collect();
    assert_eq!(b, u64s(&r["then_below_7"]));
    let mut items: Vec<u64> = (0..10).collect();
    Rng::new(5).shuffle(&mut items);
    assert_eq!(items, u64s(&r["shuffle_seed_5_range_10"]));
}

#[test]
fn intervals_and_comparisons_match_scikit_learn() {
    let g = golden();
    let cases = g["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let data = Data::from_json(&g["datasets"][case["data"].as_str().unwrap()]);
        let (preds, targets) = (data.preds(), data.targets());
        let metric: Metric = case["metric"].as_str().unwrap().parse().unwrap();
        let opts = BootstrapOptions {
            n_resamples: case["n_resamples"].as_u64().unwrap() as usize,
            confidence: case["confidence_percent"].as_u64().unwrap() as f64 / 100.0,
            seed: case["seed"].as_u64().unwrap(),
        };
        let a = preds.model(case["a"].as_u64().unwrap() as usize);
        let b = preds.model(case["b"].as_u64().unwrap() as usize);
        let ia = bootstrap_interval(metric, preds, a, &targets, &opts).unwrap();
        check_interval(&ia, &case["interval_a"], &format!("{name}.a"));
        let ib = bootstrap_interval(metric, preds, b, &targets, &opts).unwrap();
        check_interval(&ib, &case["interval_b"], &format!("{name}.b"));
        let c = paired_comparison(metric, preds, a, b, &targets, &opts).unwrap();
        check_comparison(&c, &case["comparison"], name);
    }
}
