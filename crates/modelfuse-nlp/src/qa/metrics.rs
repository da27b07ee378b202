//! Exact match and F1, exactly as the official SQuAD evaluation scripts
//! compute them.
//!
//! The two scripts differ in three ways, all reproduced here:
//!
//! * **v1.1** scores every dataset question; a question without a prediction
//!   scores 0. F1 is 0 when the prediction and the gold answer share no
//!   token, including when either is empty after normalisation.
//! * **v2.0** drops gold answers that normalise to nothing; a question left
//!   without gold answers is unanswerable and its only gold answer is `""`.
//!   F1 is 1 when both the prediction and the gold answer are empty, 0 when
//!   only one is. A question without a prediction is skipped (the totals
//!   count predicted questions only) — but the script then crashes while
//!   computing its `HasAns`/`NoAns` breakdown, so here a missing prediction
//!   is an error under v2.0.
//! * v2.0 also reports the scores on answerable (`HasAns`) and unanswerable
//!   (`NoAns`) questions.
//!
//! Sums run over questions in file order, in `f64`, as Python's do, so the
//! percentages equal the scripts' to the last bit on the same inputs.

use std::collections::HashMap;

use super::normalize::{answer_tokens, normalize_answer};
use super::squad::Dataset;
use crate::error::{Error, ErrorKind, Result};

/// Which official script's rules to follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ScriptVersion {
    /// The SQuAD v1.1 script.
    #[serde(rename = "1.1")]
    V1_1,
    /// The SQuAD v2.0 script.
    #[serde(rename = "2.0")]
    V2_0,
}

impl ScriptVersion {
    /// The script a dataset's `version` field calls for: v2.0 for versions
    /// starting with `2` or `v2`, v1.1 otherwise.
    pub fn for_dataset(dataset: &Dataset) -> ScriptVersion {
        let v = dataset.version().trim_start_matches(['v', 'V']);
        if v.starts_with('2') {
            ScriptVersion::V2_0
        } else {
            ScriptVersion::V1_1
        }
    }

    /// `"1.1"` or `"2.0"`.
    pub fn name(self) -> &'static str {
        match self {
            ScriptVersion::V1_1 => "1.1",
            ScriptVersion::V2_0 => "2.0",
        }
    }
}

impl std::str::FromStr for ScriptVersion {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim_start_matches(['v', 'V']) {
            "1.1" | "1" => Ok(ScriptVersion::V1_1),
            "2.0" | "2" => Ok(ScriptVersion::V2_0),
            _ => Err(Error::new(
                ErrorKind::InvalidParameter,
                format!("expected a SQuAD version 1.1 or 2.0, found {s:?}"),
            )),
        }
    }
}

/// Whether `prediction` equals `gold` after normalisation.
pub fn exact_match(prediction: &str, gold: &str) -> bool {
    normalize_answer(prediction) == normalize_answer(gold)
}

/// The official token F1 of `prediction` against one `gold` answer, under
/// `version`'s rule for empty answers (see the module documentation).
pub fn f1(prediction: &str, gold: &str, version: ScriptVersion) -> f64 {
    token_f1(&answer_tokens(prediction), &answer_tokens(gold), version)
}

/// [`f1`] on answers already split into [`answer_tokens`].
pub fn token_f1(prediction: &[String], gold: &[String], version: ScriptVersion) -> f64 {
    if version == ScriptVersion::V2_0 && (prediction.is_empty() || gold.is_empty()) {
        return f64::from(u8::from(prediction == gold));
    }
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for t in gold {
        *counts.entry(t).or_default() += 1;
    }
    let mut same = 0i64;
    for t in prediction {
        if let Some(c) = counts.get_mut(t.as_str())
            && *c > 0
        {
            *c -= 1;
            same += 1;
        }
    }
    if same == 0 {
        return 0.0;
    }
    let precision = 1.0 * same as f64 / prediction.len() as f64;
    let recall = 1.0 * same as f64 / gold.len() as f64;
    (2.0 * precision * recall) / (precision + recall)
}

/// The gold answers a script compares against: v2.0 drops answers that
/// normalise to nothing and uses `[""]` when none is left.
pub fn gold_answers(answers: &[String], version: ScriptVersion) -> Vec<&str> {
    match version {
        ScriptVersion::V1_1 => answers.iter().map(String::as_str).collect(),
        ScriptVersion::V2_0 => {
            let kept: Vec<&str> = answers
                .iter()
                .map(String::as_str)
                .filter(|a| !normalize_answer(a).is_empty())
                .collect();
            if kept.is_empty() { vec![""] } else { kept }
        }
    }
}

/// One question's scores: the best exact match (0 or 1) and the best F1 over
/// its gold answers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuestionScore {
    /// 1 when the prediction matches some gold answer exactly, else 0.
    pub exact_match: f64,
    /// The best F1 against any gold answer, in `[0, 1]`.
    pub f1: f64,
}

/// The scores of `prediction` against a question's gold `answers`.
pub fn score_answer(prediction: &str, answers: &[String], version: ScriptVersion) -> QuestionScore {
    let golds = gold_answers(answers, version);
    let pred_norm = normalize_answer(prediction);
    let pred_tokens = answer_tokens(prediction);
    let mut best = QuestionScore {
        exact_match: 0.0,
        f1: 0.0,
    };
    for g in golds {
        if normalize_answer(g) == pred_norm {
            best.exact_match = 1.0;
        }
        best.f1 = best
            .f1
            .max(token_f1(&pred_tokens, &answer_tokens(g), version));
    }
    best
}

/// Scores of a subset of questions, as percentages.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Breakdown {
    /// Exact match, in percent.
    pub exact_match: f64,
    /// F1, in percent.
    pub f1: f64,
    /// The number of questions.
    pub total: usize,
}

/// What an official script reports.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct QaScores {
    /// The script whose rules were followed.
    pub version: ScriptVersion,
    /// Exact match, in percent.
    pub exact_match: f64,
    /// F1, in percent.
    pub f1: f64,
    /// The number of questions the percentages are over.
    pub total: usize,
    /// Dataset questions without a prediction (scored 0 under v1.1).
    pub missing: usize,
    /// Predictions for ids that are not in the dataset (ignored, as the
    /// scripts do).
    pub unknown: usize,
    /// v2.0: the answerable questions.
    pub has_ans: Option<Breakdown>,
    /// v2.0: the unanswerable questions.
    pub no_ans: Option<Breakdown>,
}

/// Per-question scores of `answer_for` on `dataset`, in file order; `None`
/// where there is no prediction.
pub fn question_scores<'a>(
    dataset: &Dataset,
    answer_for: impl Fn(&str) -> Option<&'a str>,
    version: ScriptVersion,
) -> Vec<Option<QuestionScore>> {
    dataset
        .questions()
        .iter()
        .map(|q| answer_for(&q.id).map(|a| score_answer(a, &q.answers, version)))
        .collect()
}

/// Scores predictions on a dataset as the official script of `version`
/// does. `answer_for` gives the prediction for a question id;
/// `predicted_ids` are all the ids the predictions have (to count those the
/// dataset lacks).
///
/// # Errors
///
/// [`ErrorKind::Mismatch`] under v2.0 when a question has no prediction (the
/// official script crashes there), naming the first such question and the
/// count; [`ErrorKind::InvalidValue`] for a dataset without questions.
pub fn evaluate<'a, 'b>(
    dataset: &Dataset,
    answer_for: impl Fn(&str) -> Option<&'a str>,
    predicted_ids: impl Iterator<Item = &'b str>,
    version: ScriptVersion,
) -> Result<QaScores> {
    let questions = dataset.questions();
    if questions.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            "the dataset has no questions",
        ));
    }
    let known: std::collections::HashSet<&str> = questions.iter().map(|q| q.id.as_str()).collect();
    let unknown = predicted_ids.filter(|id| !known.contains(id)).count();
    let scores = question_scores(dataset, answer_for, version);
    let missing = scores.iter().filter(|s| s.is_none()).count();
    match version {
        ScriptVersion::V1_1 => {
            let (mut em, mut f1) = (0.0, 0.0);
            for s in scores.iter().flatten() {
                em += s.exact_match;
                f1 += s.f1;
            }
            let total = questions.len();
            Ok(QaScores {
                version,
                exact_match: 100.0 * em / total as f64,
                f1: 100.0 * f1 / total as f64,
                total,
                missing,
                unknown,
                has_ans: None,
                no_ans: None,
            })
        }
        ScriptVersion::V2_0 => {
            if let Some(q) = questions.iter().zip(&scores).find(|(_, s)| s.is_none()) {
                return Err(Error::new(
                    ErrorKind::Mismatch,
                    format!(
                        "no prediction for this question ({missing} of {} questions have none); \
                         the SQuAD 2.0 script needs one for every question (\"\" for no answer)",
                        questions.len()
                    ),
                )
                .with_item(q.0.id.clone()));
            }
            let scores: Vec<QuestionScore> = scores.into_iter().flatten().collect();
            let has_answer: Vec<bool> = questions.iter().map(|q| !q.answers.is_empty()).collect();
            let part = |want: Option<bool>| -> Option<Breakdown> {
                let (mut em, mut f1, mut n) = (0.0, 0.0, 0usize);
                for (s, &h) in scores.iter().zip(&has_answer) {
                    if want.is_none_or(|w| w == h) {
                        em += s.exact_match;
                        f1 += s.f1;
                        n += 1;
                    }
                }
                (n > 0).then(|| Breakdown {
                    exact_match: 100.0 * em / n as f64,
                    f1: 100.0 * f1 / n as f64,
                    total: n,
                })
            };
            let all = part(None).expect("the dataset has questions");
            Ok(QaScores {
                version,
                exact_match: all.exact_match,
                f1: all.f1,
                total: all.total,
                missing,
                unknown,
                has_ans: part(Some(true)),
                no_ans: part(Some(false)),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qa::squad::Question;

    fn q(id: &str, answers: &[&str]) -> Question {
        Question {
            id: id.into(),
            answers: answers.iter().map(|s| s.to_string()).collect(),
            article: 0,
        }
    }

    #[test]
    fn f1_counts_shared_tokens_with_multiplicity() {
        let v = ScriptVersion::V1_1;
        assert_eq!(f1("the cat sat", "a cat", v), 2.0 * 0.5 * 1.0 / 1.5);
        assert_eq!(f1("cat cat", "cat", v), 2.0 * 0.5 / 1.5);
        assert_eq!(f1("dog", "cat", v), 0.0);
    }

    #[test]
    fn empty_answers_follow_each_scripts_rule() {
        assert_eq!(f1("", "the", ScriptVersion::V1_1), 0.0);
        assert_eq!(f1("", "the", ScriptVersion::V2_0), 1.0);
        assert_eq!(f1("cat", "", ScriptVersion::V2_0), 0.0);
        // v2.0 drops gold answers that normalise to nothing.
        assert_eq!(
            gold_answers(&["the".into(), "cat".into()], ScriptVersion::V2_0),
            ["cat"]
        );
        assert_eq!(gold_answers(&[], ScriptVersion::V2_0), [""]);
    }

    #[test]
    fn v1_counts_missing_as_zero_and_v2_refuses_them() {
        let d = Dataset::from_questions("1.1", vec![q("a", &["Denver"]), q("b", &["x"])]).unwrap();
        let preds = [("a", "denver"), ("zzz", "y")];
        let get = |id: &str| preds.iter().find(|p| p.0 == id).map(|p| p.1);
        let s = evaluate(&d, get, preds.iter().map(|p| p.0), ScriptVersion::V1_1).unwrap();
        assert_eq!(
            (s.exact_match, s.f1, s.total, s.missing, s.unknown),
            (50.0, 50.0, 2, 1, 1)
        );
        let e = evaluate(&d, get, preds.iter().map(|p| p.0), ScriptVersion::V2_0).unwrap_err();
        assert_eq!(e.location().item.as_deref(), Some("b"));
    }

    #[test]
    fn v2_reports_answerable_and_unanswerable_parts() {
        let d = Dataset::from_questions("v2.0", vec![q("a", &["Denver"]), q("b", &[])]).unwrap();
        assert_eq!(ScriptVersion::for_dataset(&d), ScriptVersion::V2_0);
        let get = |id: &str| Some(if id == "a" { "Denver" } else { "" });
        let s = evaluate(&d, get, ["a", "b"].into_iter(), ScriptVersion::V2_0).unwrap();
        assert_eq!((s.exact_match, s.f1), (100.0, 100.0));
        assert_eq!(s.has_ans.unwrap().total, 1);
        assert_eq!(s.no_ans.unwrap().exact_match, 100.0);
    }
}
