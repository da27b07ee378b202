//! Extractive question answering: read SQuAD files, score answers exactly as
//! the official SQuAD v1.1 and v2.0 scripts do, and fuse systems' answers.
//!
//! # Overview
//!
//! * [`Dataset`]: a SQuAD dataset file's questions and gold answers.
//! * [`SystemAnswers`]: one system's predictions, plain (`{id: answer}`) or
//!   n-best lists with probabilities; [`WindowedAnswers`]: n-best lists per
//!   strided window of a long context, merged into one list per question by
//!   a [`QaWindowMerge`] rule (best span across windows).
//! * [`evaluate`]: exact match and F1 as the official script of a
//!   [`ScriptVersion`] computes them.
//! * [`QaFuser`] → [`FittedQa`]: answer voting or F1 consensus, with weights
//!   and a no-answer threshold learned on labelled questions; saved as JSON.
//! * [`cross_fit`]: the honest comparison — every method fitted on one half
//!   of the questions and scored on the other, beside each single system.
//!
//! # Example
//!
//! ```
//! use modelfuse_nlp::qa::{Dataset, FittedQa, QaMethod, ScriptVersion, SystemAnswers, evaluate};
//!
//! let gold = r#"{"version": "1.1", "data": [{"paragraphs": [{"qas": [
//!     {"id": "q1", "answers": [{"text": "Denver Broncos"}]}]}]}]}"#;
//! let dataset = Dataset::parse(gold, "dev.json")?;
//! let a = SystemAnswers::parse(r#"{"q1": "the Denver Broncos"}"#, "a.json")?;
//! let b = SystemAnswers::parse(r#"{"q1": "Broncos"}"#, "b.json")?;
//! let c = SystemAnswers::parse(r#"{"q1": "Denver Broncos."}"#, "c.json")?;
//!
//! let fuser = FittedQa::new(QaMethod::Vote, vec!["a".into(), "b".into(), "c".into()], None, None, true)?;
//! let fused = fuser.predict(&[("a", &a), ("b", &b), ("c", &c)])?;
//! assert_eq!(fused["q1"].text, "the Denver Broncos");
//!
//! let scores = evaluate(&dataset, |id| fused.get(id).map(|f| f.text.as_str()),
//!                       fused.keys().map(String::as_str), ScriptVersion::V1_1)?;
//! assert_eq!((scores.exact_match, scores.f1), (100.0, 100.0));
//! # Ok::<(), modelfuse_nlp::Error>(())
//! ```

pub mod fuse;
pub mod metrics;
pub mod normalize;
pub mod report;
pub mod squad;
pub mod windows;

pub use fuse::{
    Abstain, FitSummary, FittedQa, FusedAnswer, Objective, QaFuser, QaMethod, WEIGHT_GRID,
};
pub use metrics::{
    Breakdown, QaScores, QuestionScore, ScriptVersion, evaluate, exact_match, f1, gold_answers,
    question_scores, score_answer, token_f1,
};
pub use normalize::{answer_tokens, normalize_answer};
pub use report::{CrossFit, CrossFitRow, Gain, cross_fit, halves};
pub use squad::{Candidate, Dataset, Question, SystemAnswers};
pub use windows::{QaWindowMerge, WindowedAnswers};
