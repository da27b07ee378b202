//! Learned simplex weights and temperature scaling against scipy: SLSQP for
//! the weights, `minimize_scalar` and `brentq` for the temperatures, on
//! seeded synthetic predictions of models of different quality and
//! calibration. Values come from `scripts/golden/simplex_golden.py`
//! (versions recorded in the JSON). Run with `--nocapture` to see by how
//! much the optimised objectives beat SLSQP's.

use modelfuse::calibrate::{calibrate_models_report, fit_temperature};
use modelfuse::learn::simplex::{Objective, SimplexOptions, optimize_weights, project_simplex};
use modelfuse::{Predictions, Targets, Task, Weights};
use serde_json::Value;

fn golden() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/simplex.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().flat_map(floats).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap()],
        other => panic!("expected numbers, found {other}"),
    }
}

fn len(v: &Value) -> usize {
    v.as_array().unwrap().len()
}

/// The case's predictions and targets. Probabilities are stored as counts
/// over `denominator` (values over `value_denominator`), exact in `f32`.
fn case_data(doc: &Value, case: &Value) -> (Predictions, Targets) {
    let counts = &case["counts"];
    let (m, n) = (len(counts), len(&counts[0]));
    let regression = case["task"] == "regression";
    let den = if regression {
        doc["value_denominator"].as_f64().unwrap()
    } else {
        doc["denominator"].as_f64().unwrap()
    };
    let values: Vec<f32> = floats(counts)
        .into_iter()
        .map(|c| c as f32 / den as f32)
        .collect();
    let k = values.len() / (m * n);
    let truth = &case["targets"];
    let (task, targets) = match case["task"].as_str().unwrap() {
        "binary" => (Task::Binary, classes(truth)),
        "multiclass" => (Task::Multiclass { n_classes: k }, classes(truth)),
        "multilabel" => (
            Task::Multilabel { n_labels: k },
            Targets::Multilabel {
                n_labels: k,
                matrix: floats(truth).into_iter().map(|x| x == 1.0).collect(),
            },
        ),
        "regression" => (
            Task::Regression,
            Targets::Values(floats(truth).into_iter().map(|c| c / den).collect()),
        ),
        other => panic!("unknown task {other}"),
    };
    let column_names = if regression {
        vec!["value".to_string()]
    } else {
        (0..k).map(|j| format!("c{j}")).collect()
    };
    let preds = Predictions::new(
        task,
        (0..m).map(|i| format!("m{i}")).collect(),
        (0..n).map(|i| i.to_string()).collect(),
        column_names,
        values,
    )
    .unwrap();
    (preds, targets)
}

fn classes(v: &Value) -> Targets {
    Targets::Classes(floats(v).into_iter().map(|x| x as usize).collect())
}

fn objective(name: &str) -> Objective {
    match name {
        "log_loss" => Objective::LogLoss,
        "geometric_log_loss" => Objective::GeometricLogLoss,
        "squared_error" => Objective::SquaredError,
        other => panic!("unknown objective {other}"),
    }
}

#[test]
fn optimized_weights_reach_scipy_slsqp_or_better() {
    let doc = golden();
    eprintln!(
        "{:<26} {:<19} {:>5} {:>19} {:>11} {:>11} {:>9}",
        "case", "objective", "iter", "modelfuse", "-default", "-tight", "max |Δw|"
    );
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (preds, targets) = case_data(&doc, case);
        for (key, want) in case["objectives"].as_object().unwrap() {
            let objective = objective(key);
            let (w, report) =
                optimize_weights(&preds, &targets, objective, &SimplexOptions::default()).unwrap();
            assert!(report.converged, "{name} {key}: {report:?}");
            let ours = objective.value(&preds, &targets, &w).unwrap();
            assert!(
                (ours - report.objective).abs() <= 1e-14,
                "{name} {key}: the report says {}, the weights give {ours}",
                report.objective
            );
            let (default, tight) = (&want["slsqp_default"], &want["slsqp_tight"]);
            // Both sides define the objective identically: scipy's weights
            // score the same here as there.
            let scipy_w = Weights::new(floats(&tight["weights"])).unwrap();
            let scipy_here = objective.value(&preds, &targets, &scipy_w).unwrap();
            let scipy_there = tight["objective"].as_f64().unwrap();
            assert!(
                (scipy_here - scipy_there).abs() <= 1e-13,
                "{name} {key}: SLSQP's weights score {scipy_here} here, {scipy_there} in scipy"
            );
            let best_scipy = default["objective"].as_f64().unwrap().min(scipy_there);
            assert!(
                ours <= best_scipy + 1e-9,
                "{name} {key}: modelfuse {ours} > SLSQP {best_scipy}"
            );
            let dw = w
                .as_slice()
                .iter()
                .zip(scipy_w.as_slice())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            if want["unique"].as_bool().unwrap() {
                assert!(
                    dw <= 1e-4,
                    "{name} {key}: weights {:?}, SLSQP {:?}",
                    w.as_slice(),
                    scipy_w.as_slice()
                );
            }
            eprintln!(
                "{name:<26} {key:<19} {:>5} {ours:>19.15} {:>11.3e} {:>11.3e} {dw:>9.1e}",
                report.iterations,
                default["objective"].as_f64().unwrap() - ours,
                scipy_there - ours,
            );
        }
    }
}

#[test]
fn temperatures_match_scipy() {
    let doc = golden();
    let (mut worst_t, mut worst_nll) = (0.0f64, 0.0f64);
    for case in doc["cases"].as_array().unwrap() {
        let Some(temps) = case["temperatures"].as_array() else {
            continue;
        };
        let name = case["name"].as_str().unwrap();
        let (preds, targets) = case_data(&doc, case);
        let (calibrated, fitted, reports) = calibrate_models_report(&preds, &targets).unwrap();
        for (m, want) in temps.iter().enumerate() {
            let t = fit_temperature(preds.model(m), preds.n_outputs(), preds.task(), &targets)
                .unwrap()
                .get();
            let expected = want["temperature"].as_f64().unwrap();
            assert!(
                (t - expected).abs() <= 1e-6,
                "{name} model {m}: T = {t}, scipy {expected}"
            );
            assert_eq!(fitted[m].get(), t, "{name} model {m}");
            worst_t = worst_t.max((t - expected).abs());
            let r = &reports[m];
            let before = want["nll_before"].as_f64().unwrap();
            let after = want["nll_after"].as_f64().unwrap();
            assert!(
                (r.log_loss_before - before).abs() <= 1e-12,
                "{name} model {m}: NLL before {} vs {before}",
                r.log_loss_before
            );
            // After scaling, the rows are stored as f32: agreement to f32
            // precision is all equality can mean.
            assert!(
                (r.log_loss_after - after).abs() <= 1e-6,
                "{name} model {m}: NLL after {} vs {after}",
                r.log_loss_after
            );
            assert!(r.log_loss_after <= r.log_loss_before + 1e-9);
            worst_nll = worst_nll.max((r.log_loss_after - after).abs());
            if preds.task().is_single_label() {
                assert!(r.ece_before.is_finite() && r.ece_after.is_finite());
            }
        }
        assert_eq!(calibrated.models(), preds.models());
    }
    eprintln!(
        "temperatures: max |T − scipy| = {worst_t:.1e}, max |NLL after − scipy| = {worst_nll:.1e}"
    );
}

#[test]
fn projections_match_reference() {
    let doc = golden();
    for p in doc["projections"].as_array().unwrap() {
        let v = floats(&p["v"]);
        let want = floats(&p["projection"]);
        let got = project_simplex(&v);
        let scale = v.iter().fold(1.0f64, |a, x| a.max(x.abs()));
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() <= 1e-12 * scale,
                "projection of {v:?}: {got:?}, expected {want:?}"
            );
        }
    }
}

/// The scale check: 50 models × 100,000 samples × 10 classes, once with
/// models of different quality and calibration and once with near-copies of
/// one model at different temperatures (badly conditioned, the case that
/// rules out first-order solvers). Run with `cargo test --release -p
/// modelfuse --test golden_simplex -- --ignored --nocapture`.
#[test]
#[ignore = "builds 200 MB of predictions; run in release"]
fn simplex_scale_50_models_100000_samples_10_classes() {
    use modelfuse::learn::rng::Rng;
    use std::time::Instant;

    let (m, n, k) = (50, 100_000, 10);
    for (label, near_copies) in [("diverse", false), ("near-copies", true)] {
        let mut rng = Rng::new(7);
        let truth: Vec<usize> = (0..n).map(|_| rng.below(k)).collect();
        let shared: Vec<f64> = (0..n * k).map(|_| rng.next_f64() * 2.0 - 1.0).collect();
        let mut values = Vec::with_capacity(m * n * k);
        let mut row = vec![0.0f64; k];
        for mi in 0..m {
            // Diverse: quality from strong to useless, calibration from
            // under- to over-confident, errors partly shared. Near copies:
            // one model's logits at 50 temperatures, plus a little noise.
            let (signal, own, common) = if near_copies {
                (1.0, 0.001, 2.0)
            } else {
                (2.5 * (1.0 - mi as f64 / m as f64), 2.0, 1.5)
            };
            let sharpness = 0.5 + 2.0 * ((mi * 7) % m) as f64 / m as f64;
            for i in 0..n {
                for (j, r) in row.iter_mut().enumerate() {
                    let noise = rng.next_f64() * 2.0 - 1.0;
                    let on = if j == truth[i] { signal } else { 0.0 };
                    *r = sharpness * (on + common * shared[i * k + j] + own * noise);
                }
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = row.iter().map(|x| (x - max).exp()).sum();
                values.extend(row.iter().map(|x| ((x - max).exp() / sum) as f32));
            }
        }
        let preds = Predictions::new(
            Task::Multiclass { n_classes: k },
            (0..m).map(|i| format!("m{i:02}")).collect(),
            (0..n).map(|i| i.to_string()).collect(),
            (0..k).map(|j| format!("c{j}")).collect(),
            values,
        )
        .unwrap();
        let targets = Targets::Classes(truth);
        for objective in [Objective::LogLoss, Objective::GeometricLogLoss] {
            let start = Instant::now();
            let (w, report) =
                optimize_weights(&preds, &targets, objective, &SimplexOptions::default()).unwrap();
            let elapsed = start.elapsed();
            // One evaluation costs the set-up (gathering or taking logs of
            // the predictions) plus one pass: the fixed part of the time.
            let start = Instant::now();
            let uniform = objective
                .value(&preds, &targets, &Weights::uniform(m))
                .unwrap();
            let setup = start.elapsed();
            let support = w.as_slice().iter().filter(|&&x| x > 0.0).count();
            eprintln!(
                "{label:<11} {:<18}: {:>2} iterations, {elapsed:>9.2?} (one evaluation {setup:.2?}), converged {}, objective {:.12} (uniform {uniform:.6}), {support} models with weight",
                objective.name(),
                report.iterations,
                report.converged,
                report.objective
            );
            assert!(report.converged);
            assert!(report.objective < uniform);
        }
    }
}
