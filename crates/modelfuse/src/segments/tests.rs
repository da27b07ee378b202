use super::pool::*;
use super::*;
use crate::Fitted;
use crate::fit::FitOptions;
use crate::fitted::FittedFuser;
use crate::fusers::Transform;
use crate::fusers::{MeanParams, StackingParams};
use crate::predictions::Content;
use crate::predictions::{BuildOptions, ModelOutput, Predictions, argmax};
use crate::spec::FuserSpec;

/// A model over segments: `(segment id, doc, probabilities)`.
fn model(name: &str, rows: &[(&str, &str, &[f32])], lengths: Option<&[f64]>) -> SegmentedOutput {
    let k = rows[0].2.len();
    SegmentedOutput {
        output: ModelOutput {
            name: name.into(),
            ids: rows.iter().map(|r| r.0.to_string()).collect(),
            content: Content::Scores {
                columns: (0..k).map(|j| format!("c{j}")).collect(),
                values: rows.iter().flat_map(|r| r.2.iter().copied()).collect(),
            },
        },
        docs: rows.iter().map(|r| r.1.to_string()).collect(),
        positions: None,
        lengths: lengths.map(<[f64]>::to_vec),
    }
}

fn build(models: Vec<SegmentedOutput>) -> SegmentedPredictions {
    SegmentedPredictions::from_outputs(models, &BuildOptions::default()).unwrap()
}

fn rows(p: &Predictions, m: usize) -> Vec<Vec<f32>> {
    (0..p.n_samples()).map(|i| p.row(m, i).to_vec()).collect()
}

const A: &[(&str, &str, &[f32])] = &[
    ("a1", "a", &[0.6, 0.3, 0.1]),
    ("a2", "a", &[0.2, 0.7, 0.1]),
    ("a3", "a", &[0.5, 0.1, 0.4]),
    ("b1", "b", &[0.1, 0.1, 0.8]),
];

#[test]
fn pooling_by_mean_max_length_and_majority() {
    let s = build(vec![model("m", A, Some(&[1.0, 2.0, 1.0, 5.0]))]);
    assert_eq!(s.docs(), ["a", "b"]);
    let close = |got: Vec<Vec<f32>>, want: [[f32; 3]; 2]| {
        for (g, w) in got.iter().zip(want) {
            for (x, y) in g.iter().zip(w) {
                assert!((x - y).abs() < 1e-6, "{got:?} vs {want:?}");
            }
        }
    };
    close(
        rows(&s.pool(Pooling::Mean).unwrap(), 0),
        [[1.3 / 3.0, 1.1 / 3.0, 0.6 / 3.0], [0.1, 0.1, 0.8]],
    );
    close(
        rows(&s.pool(Pooling::Length).unwrap(), 0),
        [[1.5 / 4.0, 1.8 / 4.0, 0.7 / 4.0], [0.1, 0.1, 0.8]],
    );
    close(
        rows(&s.pool(Pooling::Max).unwrap(), 0),
        [[0.6 / 1.7, 0.7 / 1.7, 0.4 / 1.7], [0.1, 0.1, 0.8]],
    );
    // Two segments vote c0 (a1, a3), one c1: the mean of a1 and a3.
    close(
        rows(&s.pool(Pooling::Majority).unwrap(), 0),
        [[0.55, 0.2, 0.25], [0.1, 0.1, 0.8]],
    );
}

#[test]
fn majority_ties_go_to_the_larger_summed_probability_then_the_first_class() {
    let tie: &[(&str, &str, &[f32])] =
        &[("1", "d", &[0.5, 0.4, 0.1]), ("2", "d", &[0.1, 0.8, 0.1])];
    // One vote each for c0 and c1; c1 has more mass (1.2 vs 0.6).
    let s = build(vec![model("m", tie, None)]);
    assert_eq!(
        rows(&s.pool(Pooling::Majority).unwrap(), 0),
        [[0.1, 0.8, 0.1]]
    );
    let even: &[(&str, &str, &[f32])] = &[("1", "d", &[0.6, 0.4]), ("2", "d", &[0.4, 0.6])];
    let s = build(vec![model("m", even, None)]);
    assert_eq!(rows(&s.pool(Pooling::Majority).unwrap(), 0), [[0.6, 0.4]]);
}

#[test]
fn length_pooling_needs_lengths_and_majority_needs_classes() {
    let s = build(vec![model("m", A, None)]);
    let e = s.pool(Pooling::Length).unwrap_err();
    assert_eq!(
        e.to_string(),
        "model 'm': length pooling needs each segment's length: add a 'length' column"
    );
    assert!(s.pool(Pooling::Learned).is_err());
}

#[test]
fn bad_segments_are_refused_with_the_model_and_id() {
    let e = SegmentedPredictions::from_outputs(
        vec![model("m", A, Some(&[1.0, 0.0, 1.0, 1.0]))],
        &BuildOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "model 'm', id 'a2': expected a positive, finite segment length, found 0"
    );
    let mut dup = model("m", A, None);
    dup.positions = Some(vec![0, 1, 1, 0]);
    let e = SegmentedPredictions::from_outputs(vec![dup], &BuildOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "model 'm': two segments of document 'a' are at position 1: 'a2' and 'a3'"
    );
    let other: &[(&str, &str, &[f32])] =
        &[("x", "a", &[0.2, 0.3, 0.5]), ("y", "c", &[0.2, 0.3, 0.5])];
    let e = SegmentedPredictions::from_outputs(
        vec![model("m", A, None), model("n", other, None)],
        &BuildOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "model 'n': expected the same 2 documents as model 'm', found 2; missing 1: 'b'; unexpected 1: 'c'"
    );
}

#[test]
fn models_first_needs_the_same_segments_and_segments_first_does_not() {
    let coarse: &[(&str, &str, &[f32])] =
        &[("a", "a", &[0.3, 0.3, 0.4]), ("b", "b", &[0.2, 0.2, 0.6])];
    let s = build(vec![model("m", A, None), model("n", coarse, None)]);
    let e = s.segment_level().unwrap_err();
    assert!(
        e.to_string()
            .contains("fusing models first needs every model to predict the same segments"),
        "{e}"
    );
    let settings = SegmentSettings {
        pooling: Pooling::Mean,
        order: Order::SegmentsFirst,
    };
    let fitted = FuserSpec::Mean(MeanParams {})
        .fit_segments(&s, None, &FitOptions::default(), settings)
        .unwrap();
    let fused = fitted.predict_segments(&s).unwrap();
    assert_eq!(fused.ids(), ["a", "b"]);
    let want = (1.3 / 3.0 + 0.3) / 2.0;
    assert!((fused.row(0, 0)[0] - want as f32).abs() < 1e-6);
}

#[test]
fn orders_commute_for_means_and_the_saved_fuser_remembers_its_order() {
    let b: &[(&str, &str, &[f32])] = &[
        ("a1", "a", &[0.1, 0.8, 0.1]),
        ("a2", "a", &[0.3, 0.3, 0.4]),
        ("a3", "a", &[0.2, 0.2, 0.6]),
        ("b1", "b", &[0.4, 0.4, 0.2]),
    ];
    let s = build(vec![model("m", A, None), model("n", b, None)]);
    let fit = |order| {
        FuserSpec::Mean(MeanParams {})
            .fit_segments(
                &s,
                None,
                &FitOptions::default(),
                SegmentSettings {
                    pooling: Pooling::Mean,
                    order,
                },
            )
            .unwrap()
    };
    let (sf, mf) = (fit(Order::SegmentsFirst), fit(Order::ModelsFirst));
    let (x, y) = (
        sf.predict_segments(&s).unwrap(),
        mf.predict_segments(&s).unwrap(),
    );
    for (p, q) in x.as_slice().iter().zip(y.as_slice()) {
        assert!((p - q).abs() < 1e-6);
    }
    let back = FittedFuser::from_json(&mf.to_json()).unwrap();
    assert_eq!(back, mf);
    assert!(mf.to_json().contains("\"order\": \"models-first\""));
    // A segment fuser does not take one row per sample, nor the reverse.
    let docs = s.pool(Pooling::Mean).unwrap();
    assert!(
        mf.predict(&docs)
            .unwrap_err()
            .to_string()
            .contains("fitted on segments")
    );
    let plain = FuserSpec::Mean(MeanParams {}).fit(&docs, None).unwrap();
    assert!(
        plain
            .predict_segments(&s)
            .unwrap_err()
            .to_string()
            .contains("fitted on one row per sample")
    );
}

/// Two informative models whose documents' evidence sits in one of
/// several segments: learned pooling fits, predicts valid rows, and
/// survives a round trip, in both orders.
#[test]
fn learned_pooling_fits_out_of_fold_in_both_orders() {
    let mut rng = crate::learn::rng::Rng::new(7);
    let mut labels = Vec::new();
    let mut outs: Vec<Vec<(String, String, Vec<f32>)>> = vec![Vec::new(), Vec::new()];
    for d in 0..60 {
        let y = d % 3;
        labels.push((format!("d{d}"), format!("c{y}")));
        let n_seg = 1 + d % 4;
        let key = (d * 7) % n_seg;
        for (m, out) in outs.iter_mut().enumerate() {
            for s in 0..n_seg {
                let mut p = [0.2f32, 0.2, 0.2];
                let noise = rng.next_f64() as f32 * 0.3;
                if s == key {
                    p[y] += 0.5 + noise - 0.1 * m as f32;
                } else {
                    p[(y + 1 + s % 2) % 3] += 0.3 + noise;
                }
                let sum: f32 = p.iter().sum();
                p.iter_mut().for_each(|x| *x /= sum);
                out.push((format!("d{d}s{s}"), format!("d{d}"), p.to_vec()));
            }
        }
    }
    let models: Vec<SegmentedOutput> = outs
        .iter()
        .enumerate()
        .map(|(m, rows)| {
            let r: Vec<(&str, &str, &[f32])> = rows
                .iter()
                .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_slice()))
                .collect();
            model(&format!("m{m}"), &r, None)
        })
        .collect();
    let s = build(models);
    for order in [Order::SegmentsFirst, Order::ModelsFirst] {
        let stacking = FuserSpec::Stacking(StackingParams {
            meta: None,
            transform: Some(Transform::Logits),
        });
        for spec in [FuserSpec::Mean(MeanParams {}), stacking] {
            let settings = SegmentSettings {
                pooling: Pooling::Learned,
                order,
            };
            let fitted = spec
                .fit_segments(&s, Some(&labels), &FitOptions::default(), settings)
                .unwrap();
            let seg = fitted.segments.as_ref().unwrap();
            let want: Vec<&str> = match order {
                Order::SegmentsFirst => vec!["m0", "m1"],
                Order::ModelsFirst => vec!["fused"],
            };
            assert_eq!(
                seg.aggregators
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                want
            );
            let fused = fitted.predict_segments(&s).unwrap();
            for i in 0..fused.n_samples() {
                let sum: f32 = fused.row(0, i).iter().sum();
                assert!((sum - 1.0).abs() < 1e-5);
            }
            let back = FittedFuser::from_json(&fitted.to_json()).unwrap();
            assert_eq!(back.predict_segments(&s).unwrap(), fused);
            // The learned aggregator beats mean pooling on this data,
            // where the mean is dominated by the distracting segments
            // (52 vs 39 of 60 documents in both orders).
            let t = s.doc_targets(&labels).unwrap();
            let acc = |p: &Predictions| {
                let y = t.classes().unwrap();
                (0..p.n_samples())
                    .filter(|&i| argmax(p.row(0, i)) == y[i])
                    .count()
            };
            let mean = FuserSpec::Mean(MeanParams {})
                .fit_segments(&s, None, &FitOptions::default(), SegmentSettings::default())
                .unwrap()
                .predict_segments(&s)
                .unwrap();
            // (A stacker fitted on segments labelled with their
            // document's label learns the distractors too: no claim.)
            assert!(
                spec != FuserSpec::Mean(MeanParams {}) || acc(&fused) > acc(&mean) + 6,
                "{order} {}: {} vs {}",
                spec.method(),
                acc(&fused),
                acc(&mean)
            );
        }
    }
    let e = FuserSpec::Mean(MeanParams {})
        .fit_segments(
            &s,
            None,
            &FitOptions::default(),
            SegmentSettings {
                pooling: Pooling::Learned,
                order: Order::SegmentsFirst,
            },
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "learned pooling learns from labels; pass the documents' labels"
    );
}
