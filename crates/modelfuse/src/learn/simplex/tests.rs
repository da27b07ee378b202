use super::*;
use crate::error::ErrorKind;
use crate::fuser::Fitted;
use crate::fusers::test_support::{build, probs, values};
use crate::fusers::{GeometricMean, WeightedMean};
use crate::predictions::TaskHint;
use proptest::prelude::*;

/// Asserts `project_simplex(v) == want` to rounding.
macro_rules! projects {
    ($($v:expr => $want:expr),* $(,)?) => {$(
        let got = project_simplex(&$v);
        let want: &[f64] = &$want;
        assert!(
            got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-15),
            "{:?} projected to {got:?}, expected {want:?}", $v
        );
    )*};
}

#[test]
fn projection_handles_interior_boundary_and_ties() {
    projects! {
        [0.2, 0.3, 0.5] => [0.2, 0.3, 0.5],
        [0.0, 0.0] => [0.5, 0.5],
        [-3.0, -3.0, -3.0] => [1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0],
        [5.0] => [1.0],
        [-1.0, 2.0, -1.0] => [0.0, 1.0, 0.0],
        [1.0, 1.0, 0.0] => [0.5, 0.5, 0.0],
        [0.6, 0.6, 0.6, -9.0] => [1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0, 0.0],
    }
}

#[test]
#[should_panic(expected = "cannot project an empty vector")]
fn projection_of_nothing_panics() {
    project_simplex(&[]);
}

fn three_models() -> (Predictions, Targets) {
    // m0 mostly right, m1 right where m0 is wrong, m2 noise.
    let p = probs(
        &[
            vec![0.8, 0.2, 0.7, 0.3, 0.3, 0.7, 0.6, 0.4],
            vec![0.4, 0.6, 0.3, 0.7, 0.9, 0.1, 0.5, 0.5],
            vec![0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
        ],
        2,
    );
    (p, Targets::Classes(vec![0, 0, 0, 1]))
}

#[test]
fn optimum_beats_every_model_and_the_mean() {
    let (p, t) = three_models();
    let (w, report) =
        optimize_weights(&p, &t, Objective::LogLoss, &SimplexOptions::default()).unwrap();
    assert!(report.converged, "{report:?}");
    for m in 0..3 {
        let alone = metrics::log_loss(&[0, 0, 0, 1], p.model(m), 2);
        assert!(report.objective <= alone, "model {m}: {alone}");
    }
    let uniform = Objective::LogLoss
        .value(&p, &t, &Weights::uniform(3))
        .unwrap();
    assert!(report.objective < uniform);
    assert!(w.as_slice()[0] > w.as_slice()[2]);
}

#[test]
fn one_model_gets_all_the_weight_at_once() {
    let p = probs(&[vec![0.7, 0.3, 0.4, 0.6]], 2);
    let t = Targets::Classes(vec![0, 1]);
    let (w, report) = optimize_weights(
        &p,
        &t,
        Objective::GeometricLogLoss,
        &SimplexOptions::default(),
    )
    .unwrap();
    assert_eq!(w.as_slice(), [1.0]);
    assert_eq!((report.iterations, report.converged), (1, true));
}

#[test]
fn a_dominated_model_gets_exactly_zero() {
    // m1 is m0 with every probability moved towards the wrong class.
    let p = probs(
        &[
            vec![0.9, 0.1, 0.2, 0.8, 0.7, 0.3],
            vec![0.6, 0.4, 0.5, 0.5, 0.4, 0.6],
        ],
        2,
    );
    let t = Targets::Classes(vec![0, 1, 0]);
    let (w, _) = optimize_weights(&p, &t, Objective::LogLoss, &SimplexOptions::default()).unwrap();
    assert_eq!(w.as_slice(), [1.0, 0.0]);
}

#[test]
fn squared_error_finds_the_least_squares_mix() {
    // y = 0.25 a + 0.75 b exactly.
    let p = values(&[vec![0.0, 4.0, 8.0], vec![4.0, 0.0, 4.0]]);
    let t = Targets::Values(vec![3.0, 1.0, 5.0]);
    let (w, report) =
        optimize_weights(&p, &t, Objective::SquaredError, &SimplexOptions::default()).unwrap();
    assert!((w.as_slice()[0] - 0.25).abs() < 1e-9, "{w:?}");
    assert!(report.objective < 1e-15);
}

#[test]
fn log_loss_objective_is_the_metric_of_the_weighted_mean() {
    let (p, t) = three_models();
    let w = Weights::new(vec![0.5, 0.3, 0.2]).unwrap();
    let fused = WeightedMean::new(w.clone()).predict(&p).unwrap();
    let metric = metrics::log_loss(t.classes().unwrap(), fused.as_slice(), 2);
    let objective = Objective::LogLoss.value(&p, &t, &w).unwrap();
    assert!((metric - objective).abs() < 1e-7, "{metric} vs {objective}");

    let ml = build(
        &[vec![0.9, 0.2, 0.6, 0.1], vec![0.5, 0.4, 0.7, 0.3]],
        2,
        TaskHint::Multilabel,
    );
    let truth = vec![true, false, true, true];
    let t = Targets::Multilabel {
        n_labels: 2,
        matrix: truth.clone(),
    };
    let fused = WeightedMean::new(w_of(&[0.7, 0.3])).predict(&ml).unwrap();
    let metric = metrics::multilabel_log_loss(&truth, fused.as_slice());
    let objective = Objective::LogLoss
        .value(&ml, &t, &w_of(&[0.7, 0.3]))
        .unwrap();
    assert!((metric - objective).abs() < 1e-7, "{metric} vs {objective}");
}

fn w_of(raw: &[f64]) -> Weights {
    Weights::new(raw.to_vec()).unwrap()
}

#[test]
fn geometric_objective_is_the_log_loss_of_the_geometric_mean() {
    // Zeros exercise the floor: the objective must floor exactly where
    // the fuser does, or the two disagree by orders of magnitude.
    let p = probs(
        &[
            vec![1.0, 0.0, 0.0, 0.3, 0.7, 0.0],
            vec![0.2, 0.5, 0.3, 0.0, 0.0, 1.0],
        ],
        3,
    );
    let t = Targets::Classes(vec![1, 2]);
    let w = w_of(&[0.5, 0.5]);
    let fused = GeometricMean::with_weights(w.clone()).predict(&p).unwrap();
    let metric = metrics::log_loss(&[1, 2], fused.as_slice(), 3);
    let objective = Objective::GeometricLogLoss.value(&p, &t, &w).unwrap();
    assert!(
        (metric - objective).abs() < 1e-6 * metric,
        "{metric} vs {objective}"
    );

    // Weights that keep the fused cells away from 0 and 1, where f32
    // output cannot resolve them.
    let w = w_of(&[0.1, 0.9]);
    let ml = build(&[vec![1.0, 0.25], vec![0.5, 0.0]], 2, TaskHint::Multilabel);
    let truth = vec![false, true];
    let t = Targets::Multilabel {
        n_labels: 2,
        matrix: truth.clone(),
    };
    let fused = GeometricMean::with_weights(w.clone()).predict(&ml).unwrap();
    let metric = metrics::multilabel_log_loss(&truth, fused.as_slice());
    let objective = Objective::GeometricLogLoss.value(&ml, &t, &w).unwrap();
    assert!(
        (metric - objective).abs() < 1e-6 * metric,
        "{metric} vs {objective}"
    );
}

#[test]
fn objectives_refuse_the_wrong_task() {
    let (p, t) = three_models();
    let opts = SimplexOptions::default();
    let e = optimize_weights(&p, &t, Objective::SquaredError, &opts).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert_eq!(
        e.to_string(),
        "the squared_error objective does not apply to a binary task; use log_loss or geometric_log_loss"
    );
    let r = values(&[vec![1.0, 2.0]]);
    let e = optimize_weights(
        &r,
        &Targets::Values(vec![1.0, 2.0]),
        Objective::LogLoss,
        &opts,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the log_loss objective does not apply to a regression task; use squared_error"
    );
}

#[test]
fn mismatched_targets_are_shape_errors() {
    let (p, _) = three_models();
    let opts = SimplexOptions::default();
    let cases: [(Targets, ErrorKind, &str); 4] = [
        (
            Targets::Classes(vec![0, 1]),
            ErrorKind::Shape,
            "expected targets for 4 samples, found 2",
        ),
        (
            Targets::Values(vec![0.0; 4]),
            ErrorKind::Shape,
            "expected class indices as targets for a binary task, found real values",
        ),
        (
            Targets::Multilabel {
                n_labels: 2,
                matrix: vec![true; 8],
            },
            ErrorKind::Shape,
            "expected class indices as targets for a binary task, found a label matrix",
        ),
        (
            Targets::Classes(vec![0, 0, 2, 1]),
            ErrorKind::UnknownLabel,
            "id '2': expected a class index below 2, found 2",
        ),
    ];
    for (t, kind, msg) in cases {
        let e = optimize_weights(&p, &t, Objective::LogLoss, &opts).unwrap_err();
        assert_eq!((e.kind(), e.to_string().as_str()), (kind, msg));
    }
    let bad = SimplexOptions {
        max_iter: 10,
        tol: f64::NAN,
    };
    let e =
        optimize_weights(&p, &Targets::Classes(vec![0; 4]), Objective::LogLoss, &bad).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParameter);
}

#[test]
fn search_improves_accuracy_and_is_deterministic() {
    // m0 is right on samples 0–2, m1 confidently wrong there; each 0.1
    // of weight moved to m0 flips one more of them (at w0 ≈ 0.55, 0.65,
    // 0.74), and sample 3 stays right up to w0 ≈ 0.95. The uniform mean
    // gets only sample 3 right.
    let p = probs(
        &[
            vec![0.83, 0.17, 0.72, 0.28, 0.64, 0.36, 0.52, 0.48],
            vec![0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9],
        ],
        2,
    );
    let t = Targets::Classes(vec![0, 0, 0, 1]);
    let uniform = WeightedMean::new(Weights::uniform(2)).predict(&p).unwrap();
    let at_start = metrics::score(Metric::Accuracy, &uniform, 0, &t).unwrap();
    let opts = SearchOptions {
        start: SearchStart::Uniform,
        ..Default::default()
    };
    let (w, acc) = search_weights(&p, &t, Metric::Accuracy, &opts).unwrap();
    assert_eq!((at_start, acc), (0.25, 1.0), "{w:?}");
    // The reported score is the score of the weighted mean at `w`.
    let fused = WeightedMean::new(w.clone()).predict(&p).unwrap();
    assert_eq!(
        metrics::score(Metric::Accuracy, &fused, 0, &t).unwrap(),
        acc
    );
    // The search is deterministic, bit for bit.
    assert_eq!(
        search_weights(&p, &t, Metric::Accuracy, &opts).unwrap(),
        (w, acc)
    );
    // From the log-loss optimum it is never worse than that optimum.
    let optimum = optimize_weights(&p, &t, Objective::LogLoss, &SimplexOptions::default())
        .unwrap()
        .0;
    let fused = WeightedMean::new(optimum).predict(&p).unwrap();
    let at_optimum = metrics::score(Metric::F1Macro, &fused, 0, &t).unwrap();
    let (_, f1) = search_weights(&p, &t, Metric::F1Macro, &SearchOptions::default()).unwrap();
    assert!(f1 >= at_optimum, "{f1} < {at_optimum}");
}

#[test]
fn search_lowers_losses() {
    let (p, t) = three_models();
    let opts = SearchOptions {
        start: SearchStart::Uniform,
        ..Default::default()
    };
    let uniform = WeightedMean::new(Weights::uniform(3)).predict(&p).unwrap();
    let before = metrics::score(Metric::Brier, &uniform, 0, &t).unwrap();
    let (_, after) = search_weights(&p, &t, Metric::Brier, &opts).unwrap();
    assert!(after < before, "{after} >= {before}");

    let r = values(&[vec![0.0, 4.0, 8.0], vec![4.0, 0.0, 4.0]]);
    let y = Targets::Values(vec![3.0, 1.0, 5.0]);
    let (w, mae) = search_weights(&r, &y, Metric::Mae, &SearchOptions::default()).unwrap();
    assert!(mae < 1e-6, "{w:?}: {mae}");

    // Multilabel: the fused cells are clamped, not renormalised.
    let ml = build(
        &[vec![0.9, 0.6, 0.2, 0.7], vec![0.4, 0.1, 0.75, 0.2]],
        2,
        TaskHint::Multilabel,
    );
    let t = Targets::Multilabel {
        n_labels: 2,
        matrix: vec![true, false, true, false],
    };
    let uniform = WeightedMean::new(Weights::uniform(2)).predict(&ml).unwrap();
    let before = metrics::score(Metric::F1Micro, &uniform, 0, &t).unwrap();
    let (w, after) = search_weights(&ml, &t, Metric::F1Micro, &opts).unwrap();
    assert!(after > before, "{w:?}: {after} <= {before}");
}

#[test]
fn search_refuses_metrics_of_other_tasks() {
    let (p, t) = three_models();
    let e = search_weights(&p, &t, Metric::Rmse, &SearchOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert_eq!(e.to_string(), "rmse does not apply to a binary task");
    let bad = SearchOptions {
        step: 0.0,
        ..Default::default()
    };
    let e = search_weights(&p, &t, Metric::Accuracy, &bad).unwrap_err();
    assert_eq!(
        e.to_string(),
        "expected a weight search step in (0, 1], found 0"
    );
}

/// Labelled probability blocks: `m` models × `n` samples × `k` classes.
fn labelled() -> impl Strategy<Value = (Predictions, Targets)> {
    (1usize..5, 1usize..20, 2usize..5).prop_flat_map(|(m, n, k)| {
        (
            prop::collection::vec(prop::collection::vec(1e-4f32..1.0, n * k), m),
            prop::collection::vec(0..k, n),
        )
            .prop_map(move |(mut blocks, y)| {
                for block in &mut blocks {
                    for row in block.chunks_exact_mut(k) {
                        let s: f32 = row.iter().sum();
                        row.iter_mut().for_each(|x| *x /= s);
                    }
                }
                (probs(&blocks, k), Targets::Classes(y))
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn projection_lands_on_the_simplex_and_is_idempotent(
        v in prop::collection::vec(-1e3f64..1e3, 1..30)
    ) {
        let w = project_simplex(&v);
        let sum: f64 = w.iter().sum();
        prop_assert!((sum - 1.0).abs() < 1e-12, "sums to {sum}");
        prop_assert!(w.iter().all(|&x| x >= 0.0));
        let again = project_simplex(&w);
        for (a, b) in w.iter().zip(&again) {
            prop_assert!((a - b).abs() < 1e-12, "{w:?} then {again:?}");
        }
    }

    #[test]
    fn optimised_log_loss_beats_every_model_and_the_mean((p, t) in labelled()) {
        let y = t.classes().unwrap().to_vec();
        let k = p.n_outputs();
        for objective in [Objective::LogLoss, Objective::GeometricLogLoss] {
            let (w, report) =
                optimize_weights(&p, &t, objective, &SimplexOptions::default()).unwrap();
            prop_assert!(report.converged, "{objective:?}: {report:?}");
            let sum: f64 = w.as_slice().iter().sum();
            prop_assert!((sum - 1.0).abs() < 1e-12);
            prop_assert!(w.as_slice().iter().all(|&x| (0.0..=1.0).contains(&x)));
            let slack = 1e-9 * report.objective.max(1.0);
            let uniform = objective.value(&p, &t, &Weights::uniform(p.n_models())).unwrap();
            prop_assert!(report.objective <= uniform + slack);
            for m in 0..p.n_models() {
                let alone = metrics::log_loss(&y, p.model(m), k);
                prop_assert!(report.objective <= alone + 1e-6 * alone.max(1.0),
                    "{objective:?}: {} > model {m}'s {alone}", report.objective);
            }
        }
    }
}
