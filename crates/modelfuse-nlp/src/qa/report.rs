//! The honest comparison of QA fusion against the best single system.
//!
//! Learned fusers are never scored on the questions they were fitted on:
//! the questions are split into two seeded halves ([`halves`]), each learned
//! method is fitted on one half and predicts the other, and the two
//! held-out halves together give one cross-fitted prediction for every
//! question, scored with the official rules beside every single system on
//! the same questions. Methods that learn nothing are scored directly. The
//! gain of the best fused method over the best single system comes with a
//! paired bootstrap interval over questions.

use modelfuse::verdict::{BootstrapOptions, Comparison, paired_comparison_by};
use serde::Serialize;

use super::fuse::{Abstain, QaFuser, QaMethod};
use super::metrics::{QuestionScore, ScriptVersion, question_scores};
use super::squad::{Dataset, SystemAnswers};
use crate::error::{Error, ErrorKind, Result};

/// The seeded split of `n` items into two halves as a mask: `true` for the
/// first half. The core's one split, [`modelfuse::learn::folds::halves`]
/// (Fisher–Yates over the core's [`Rng`](modelfuse::learn::rng::Rng) of
/// `seed`, the first `⌈n/2⌉` shuffled indices form the first half), so a
/// seed means the same halves for every task.
pub fn halves(n: usize, seed: u64) -> Vec<bool> {
    let mut first = vec![false; n];
    for i in modelfuse::learn::folds::halves(n, seed).0 {
        first[i] = true;
    }
    first
}

/// One line of the comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CrossFitRow {
    /// The system's name, or the method's description.
    pub name: String,
    /// `"system"`, `"fused"` or `"oracle"`.
    pub kind: &'static str,
    /// Exact match on all questions, in percent (fused: cross-fitted).
    pub exact_match: f64,
    /// F1 on all questions, in percent (fused: cross-fitted).
    pub f1: f64,
    /// (exact match, F1) on the first half; learned methods fitted on the
    /// second.
    pub first_half: (f64, f64),
    /// (exact match, F1) on the second half; learned methods fitted on the
    /// first.
    pub second_half: (f64, f64),
    /// Learned weights by system (fitted on the first half, then on the
    /// second), for learned methods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights: Option<[Vec<(String, f64)>; 2]>,
}

/// A gain with its interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Gain {
    /// `"exact_match"` or `"f1"`.
    pub metric: &'static str,
    /// The fused method compared.
    pub method: String,
    /// The single system it is compared with.
    pub baseline: String,
    /// Gain in percentage points (positive: fusion is better), its interval
    /// and p-value.
    pub comparison: Comparison,
}

/// The result of [`cross_fit`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CrossFit {
    /// The scoring rules used.
    pub version: ScriptVersion,
    /// The seed of the halves.
    pub seed: u64,
    /// Questions in each half.
    pub half_sizes: (usize, usize),
    /// Systems, then fused methods, then the oracle.
    pub rows: Vec<CrossFitRow>,
    /// The single system with the highest F1 on all questions.
    pub best_system: String,
    /// The fused method with the highest cross-fitted F1.
    pub best_fused: String,
    /// The best fused method against the best system, on F1 and on exact
    /// match.
    pub gains: Vec<Gain>,
}

/// The methods compared: each rule unweighted and with learned weights, and
/// on SQuAD 2.0 also with a learned no-answer threshold.
fn methods(version: ScriptVersion) -> Vec<(String, QaFuser)> {
    let mut out = Vec::new();
    for method in [QaMethod::Vote, QaMethod::Consensus] {
        let base = QaFuser {
            method,
            ..QaFuser::default()
        };
        out.push((method.name().to_string(), base.clone()));
        out.push((
            format!("{}, learned weights", method.name()),
            QaFuser {
                learn_weights: true,
                ..base.clone()
            },
        ));
        if version == ScriptVersion::V2_0 {
            out.push((
                format!("{}, learned weights and no-answer threshold", method.name()),
                QaFuser {
                    learn_weights: true,
                    abstain: Abstain::Learn,
                    ..base
                },
            ));
        }
    }
    out
}

/// Runs the comparison (see the [module docs](self)).
///
/// # Errors
///
/// [`ErrorKind::InvalidValue`] for fewer than two questions; the errors of
/// fitting and fusing (duplicate system names, no answers at all).
pub fn cross_fit(
    dataset: &Dataset,
    systems: &[(&str, &SystemAnswers)],
    version: ScriptVersion,
    seed: u64,
    bootstrap: &BootstrapOptions,
) -> Result<CrossFit> {
    let n = dataset.questions().len();
    if n < 2 {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("expected at least two questions to split in halves, found {n}"),
        ));
    }
    let first = halves(n, seed);
    let second: Vec<bool> = first.iter().map(|f| !f).collect();
    let half_sizes = (
        first.iter().filter(|f| **f).count(),
        n - first.iter().filter(|f| **f).count(),
    );
    // Per-question (exact match, F1), 0 for no prediction (v1.1's rule; v2.0
    // fusers answer every question a system answered).
    let flat = |scores: Vec<Option<QuestionScore>>| -> Vec<(f64, f64)> {
        scores
            .into_iter()
            .map(|s| s.map_or((0.0, 0.0), |s| (s.exact_match, s.f1)))
            .collect()
    };
    let mean = |v: &[(f64, f64)], keep: Option<&[bool]>| -> (f64, f64) {
        let (mut em, mut f1, mut k) = (0.0, 0.0, 0usize);
        for (i, s) in v.iter().enumerate() {
            if keep.is_none_or(|keep| keep[i]) {
                em += s.0;
                f1 += s.1;
                k += 1;
            }
        }
        (100.0 * em / k as f64, 100.0 * f1 / k as f64)
    };
    let row = |name: String, kind: &'static str, v: &[(f64, f64)], weights| {
        let all = mean(v, None);
        CrossFitRow {
            name,
            kind,
            exact_match: all.0,
            f1: all.1,
            first_half: mean(v, Some(&first)),
            second_half: mean(v, Some(&second)),
            weights,
        }
    };

    let mut rows = Vec::new();
    let mut per_question: Vec<Vec<(f64, f64)>> = Vec::new();
    for (name, answers) in systems {
        let v = flat(question_scores(dataset, |id| answers.answer(id), version));
        rows.push(row(name.to_string(), "system", &v, None));
        per_question.push(v);
    }
    let names: Vec<&str> = systems.iter().map(|s| s.0).collect();
    let index: std::collections::HashMap<&str, usize> = dataset
        .questions()
        .iter()
        .enumerate()
        .map(|(i, q)| (q.id.as_str(), i))
        .collect();
    for (label, fuser) in methods(version) {
        let (v, weights) = if fuser.learn_weights || matches!(fuser.abstain, Abstain::Learn) {
            let on_first = fuser.fit(systems, &dataset.subset(&first), version)?;
            let on_second = fuser.fit(systems, &dataset.subset(&second), version)?;
            let fused_by_first = on_first.predict(systems)?;
            let fused_by_second = on_second.predict(systems)?;
            let scores = question_scores(
                dataset,
                |id| {
                    let i = *index.get(id)?;
                    // Each question is answered by the fuser fitted on the
                    // other half.
                    let fused = if first[i] {
                        &fused_by_second
                    } else {
                        &fused_by_first
                    };
                    fused.get(id).map(|f| f.text.as_str())
                },
                version,
            );
            let named = |f: &super::fuse::FittedQa| -> Vec<(String, f64)> {
                f.systems
                    .iter()
                    .cloned()
                    .zip(f.weights.iter().copied())
                    .collect()
            };
            (flat(scores), Some([named(&on_first), named(&on_second)]))
        } else {
            let fused = fuser.fixed(&names)?.predict(systems)?;
            let scores = question_scores(
                dataset,
                |id| fused.get(id).map(|f| f.text.as_str()),
                version,
            );
            (flat(scores), None)
        };
        rows.push(row(label, "fused", &v, weights));
        per_question.push(v);
    }
    let oracle: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            per_question[..systems.len()]
                .iter()
                .fold((0.0f64, 0.0f64), |acc, v| {
                    (acc.0.max(v[i].0), acc.1.max(v[i].1))
                })
        })
        .collect();
    rows.push(row(
        "oracle (best system per question)".into(),
        "oracle",
        &oracle,
        None,
    ));

    // Highest F1, ties to the earlier row.
    let best_of = |kind: &str| -> usize {
        let mut best: Option<usize> = None;
        for (i, r) in rows.iter().enumerate() {
            if r.kind == kind && best.is_none_or(|b| r.f1 > rows[b].f1) {
                best = Some(i);
            }
        }
        best.expect("there is at least one row of each kind")
    };
    let (bs, bf) = (best_of("system"), best_of("fused"));
    let mut gains = Vec::new();
    for (metric, pick) in [("f1", 1usize), ("exact_match", 0usize)] {
        let take = |v: &[(f64, f64)]| -> Vec<f64> {
            v.iter()
                .map(|s| if pick == 0 { s.0 } else { s.1 })
                .collect()
        };
        let comparison = paired_comparison_by(
            &take(&per_question[bf]),
            &take(&per_question[bs]),
            1,
            true,
            |sum| Some(100.0 * sum[0] / n as f64),
            bootstrap,
        )?;
        gains.push(Gain {
            metric,
            method: rows[bf].name.clone(),
            baseline: rows[bs].name.clone(),
            comparison,
        });
    }
    Ok(CrossFit {
        version,
        seed,
        half_sizes,
        best_system: rows[bs].name.clone(),
        best_fused: rows[bf].name.clone(),
        rows,
        gains,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_are_balanced_and_seeded() {
        let h = halves(11, 3);
        assert_eq!(h.iter().filter(|x| **x).count(), 6);
        assert_eq!(h, halves(11, 3));
        assert_ne!(h, halves(11, 4));
    }
}
