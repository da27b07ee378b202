//! Extractive QA over long contexts split into strided windows: each
//! window's n-best spans mapped back to the context and merged into one
//! n-best list per question.
//!
//! A model with a bounded input (Hugging Face's `max_length` /
//! `doc_stride`) reads a long context as overlapping windows and proposes
//! spans in each. The same span, seen by two windows, is one candidate;
//! the best span is chosen across windows, and the merged list is an
//! ordinary n-best [`SystemAnswers`], so the fusers of
//! [`fuse`](crate::qa::fuse) work on it unchanged.
//!
//! # The window file (JSON Lines)
//!
//! One JSON object per line, one line per window of a question's context,
//! in any order (blank lines are skipped):
//!
//! ```json
//! {"id": "56be4db0acb8001400a502ec", "offset": 120,
//!  "nbest": [{"text": "Denver Broncos", "start": 15, "end": 29, "score": 7.25},
//!            {"text": "Broncos", "start": 22, "end": 29, "score": 5.5}]}
//! ```
//!
//! * `id`: the question id; `offset`: the window's first character in the
//!   context (characters are Unicode scalar values, as SQuAD's
//!   `answer_start`).
//! * `nbest`: the window's candidates, at least one. `start` and `end` are
//!   character offsets **into the window** (end exclusive), so the span is
//!   `offset + start .. offset + end` of the context. A candidate with
//!   `start == end` (and text `""`) is the window's no-answer candidate;
//!   all windows' no-answer candidates are one candidate.
//! * Each candidate has a `score` (a logit sum such as `start_logit +
//!   end_logit`; higher is better), or `start_logit` and `end_logit` (summed),
//!   or a `probability` in `[0, 1]`; the same kind throughout a file.
//! * One window per question and offset; the same context span must have
//!   the same text in every window that proposes it.
//!
//! # Merging ([`QaWindowMerge`])
//!
//! | rule | a span's merged value | output probabilities |
//! |---|---|---|
//! | `max` | the largest score over the windows proposing it (Hugging Face's rule: logits are compared across windows) | softmax of the merged scores (probability inputs: the merged values renormalised) |
//! | `sum` | the sum over windows of its probability after a softmax within each window (probability inputs: as given), divided by the question's number of windows | renormalised to sum to 1 |
//! | `first` | only the window with the smallest offset counts (a baseline: what a model that reads only the start of the context gives) | softmax within that window |
//!
//! The merged list is ordered by value, highest first; **ties** go to the
//! earlier span (smaller context start, then smaller end). The first
//! candidate is the system's answer.
//!
//! Cost: O(C log C) for C candidates in the file (grouping by question and
//! by span in ordered maps).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::squad::{Candidate, SystemAnswers};
use crate::error::{Error, ErrorKind, Result};

/// How the windows' candidates are merged (see the [module docs](self)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QaWindowMerge {
    /// The largest score over windows.
    #[default]
    Max,
    /// The mean over windows of per-window probabilities.
    Sum,
    /// The first window only (baseline).
    First,
}

impl QaWindowMerge {
    /// Every rule.
    pub const ALL: [QaWindowMerge; 3] =
        [QaWindowMerge::Max, QaWindowMerge::Sum, QaWindowMerge::First];

    /// The rule's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            QaWindowMerge::Max => "max",
            QaWindowMerge::Sum => "sum",
            QaWindowMerge::First => "first",
        }
    }
}

impl std::str::FromStr for QaWindowMerge {
    type Err = Error;

    fn from_str(s: &str) -> Result<QaWindowMerge> {
        QaWindowMerge::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidParameter,
                    format!("expected max, sum or first, found '{s}'"),
                )
            })
    }
}

/// What a file's candidates carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ValueKind {
    /// A real score (or a sum of start and end logits).
    Score,
    /// A probability.
    Probability,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    id: String,
    offset: usize,
    nbest: Vec<RawCandidate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCandidate {
    text: String,
    start: usize,
    end: usize,
    score: Option<f64>,
    start_logit: Option<f64>,
    end_logit: Option<f64>,
    probability: Option<f64>,
}

/// A span's characters in the context, `start..end`; `None` is the
/// no-answer candidate.
type At = Option<(usize, usize)>;

/// One window's candidate, in context offsets.
#[derive(Clone, Debug)]
struct Span {
    /// `None` for the no-answer candidate.
    at: At,
    text: String,
    value: f64,
}

/// One window: where it came from and its candidates.
#[derive(Clone, Debug)]
struct Window {
    offset: usize,
    line: usize,
    spans: Vec<Span>,
}

/// A parsed window file: per question, its windows.
#[derive(Clone, Debug)]
pub struct WindowedAnswers {
    source: String,
    kind: ValueKind,
    questions: BTreeMap<String, Vec<Window>>,
}

/// Whether a `.jsonl` prediction file is a window file: its first non-blank
/// line has an `"offset"` field.
pub fn is_window_file(text: &str) -> bool {
    text.split('\n')
        .map(str::trim)
        .find(|l| !l.is_empty())
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .is_some_and(|v| v.get("offset").is_some())
}

impl WindowedAnswers {
    /// Parses a window file (see the [module docs](self)); `source` names it
    /// in errors.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Format`] naming `source`, the line and the question id:
    /// a line that is not a window object, an empty `nbest`, a candidate
    /// with `start > end` or without a usable value (or of another kind
    /// than the file's first), a score that is not finite, a probability
    /// outside `[0, 1]`, no windows at all. [`ErrorKind::Mismatch`]: two
    /// windows of one question with the same offset.
    pub fn parse(text: &str, source: &str) -> Result<WindowedAnswers> {
        let mut kind = None;
        let mut questions: BTreeMap<String, Vec<Window>> = BTreeMap::new();
        for (i, line) in text.split('\n').enumerate() {
            let line_no = i + 1;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let at =
                |k: ErrorKind, m: String| Error::new(k, m).with_source(source).with_line(line_no);
            let raw: RawWindow = serde_json::from_str(line).map_err(|e| {
                at(
                    ErrorKind::Format,
                    format!("expected a window object {{\"id\", \"offset\", \"nbest\"}}, {e}"),
                )
            })?;
            let fmt = |m: String| at(ErrorKind::Format, m).with_item(raw.id.clone());
            if raw.nbest.is_empty() {
                return Err(fmt(
                    "expected at least one n-best candidate, found an empty list".into(),
                ));
            }
            let mut spans = Vec::with_capacity(raw.nbest.len());
            for (rank, c) in raw.nbest.into_iter().enumerate() {
                if c.start > c.end {
                    return Err(fmt(format!(
                        "n-best candidate {rank}: expected start <= end, found {} > {}",
                        c.start, c.end
                    )));
                }
                let (k, value) = match (c.score, c.start_logit, c.end_logit, c.probability) {
                    (Some(s), None, None, None) => (ValueKind::Score, s),
                    (None, Some(a), Some(b), None) => (ValueKind::Score, a + b),
                    (None, None, None, Some(p)) => (ValueKind::Probability, p),
                    _ => {
                        return Err(fmt(format!(
                            "n-best candidate {rank}: expected one of \"score\", \"start_logit\" and \"end_logit\", or \"probability\""
                        )));
                    }
                };
                if *kind.get_or_insert(k) != k {
                    return Err(fmt(format!(
                        "n-best candidate {rank}: expected {} as on the file's first line, found {}",
                        describe(kind.expect("set above")),
                        describe(k)
                    )));
                }
                let valid = match k {
                    ValueKind::Score => value.is_finite(),
                    ValueKind::Probability => (0.0..=1.0).contains(&value),
                };
                if !valid {
                    return Err(fmt(format!(
                        "n-best candidate {rank}: expected {}, found {value}",
                        match k {
                            ValueKind::Score => "a finite score",
                            ValueKind::Probability => "a probability in [0, 1]",
                        }
                    )));
                }
                spans.push(Span {
                    at: (c.start < c.end).then_some((raw.offset + c.start, raw.offset + c.end)),
                    text: c.text,
                    value,
                });
            }
            let windows = questions.entry(raw.id.clone()).or_default();
            if let Some(w) = windows.iter().find(|w| w.offset == raw.offset) {
                return Err(at(
                    ErrorKind::Mismatch,
                    format!(
                        "expected one window per offset, found a second one at offset {} (the first is on line {})",
                        raw.offset, w.line
                    ),
                )
                .with_item(raw.id));
            }
            windows.push(Window {
                offset: raw.offset,
                line: line_no,
                spans,
            });
        }
        let kind = kind.ok_or_else(|| {
            Error::new(ErrorKind::Format, "expected window lines, found none").with_source(source)
        })?;
        Ok(WindowedAnswers {
            source: source.to_string(),
            kind,
            questions,
        })
    }

    /// The number of questions.
    pub fn len(&self) -> usize {
        self.questions.len()
    }

    /// Whether there are no questions.
    pub fn is_empty(&self) -> bool {
        self.questions.is_empty()
    }

    /// Merges each question's windows into one n-best list by `how` (see
    /// the [module docs](self)).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] naming the file, the line and the question:
    /// one context span given different texts by two windows.
    pub fn merge(&self, how: QaWindowMerge) -> Result<SystemAnswers> {
        let mut out = Vec::with_capacity(self.questions.len());
        for (id, windows) in &self.questions {
            let mut windows: Vec<&Window> = windows.iter().collect();
            windows.sort_by_key(|w| w.offset);
            if how == QaWindowMerge::First {
                windows.truncate(1);
            }
            // Per span: its text, the line that first gave it, and the
            // merged value.
            let mut merged: BTreeMap<At, (&str, usize, f64)> = BTreeMap::new();
            for w in &windows {
                let values: Vec<f64> = match (how, self.kind) {
                    (QaWindowMerge::Max, _) | (_, ValueKind::Probability) => {
                        w.spans.iter().map(|s| s.value).collect()
                    }
                    (_, ValueKind::Score) => {
                        softmax(&w.spans.iter().map(|s| s.value).collect::<Vec<_>>())
                    }
                };
                for (s, v) in w.spans.iter().zip(values) {
                    match merged.get_mut(&s.at) {
                        None => {
                            merged.insert(s.at, (s.text.as_str(), w.line, v));
                        }
                        Some((text, line, m)) => {
                            if let Some((a, b)) = s.at
                                && *text != s.text
                            {
                                return Err(Error::new(
                                    ErrorKind::Mismatch,
                                    format!(
                                        "expected the span {a}..{b} to have the same text in every window, found '{}' (line {line}) and '{}'",
                                        text, s.text
                                    ),
                                )
                                .with_source(self.source.clone())
                                .with_line(w.line)
                                .with_item(id.clone()));
                            }
                            *m = match how {
                                QaWindowMerge::Max => m.max(v),
                                // `first` keeps one window, where a span
                                // given twice sums as in `sum`.
                                QaWindowMerge::Sum | QaWindowMerge::First => *m + v,
                            };
                        }
                    }
                }
            }
            // The ordered map lists spans by start then end (no-answer
            // first); a stable sort by value keeps that order on ties.
            let mut spans: Vec<(At, &str, f64)> = merged
                .into_iter()
                .map(|(at, (t, _, v))| (at, t, v))
                .collect();
            spans.sort_by(|a, b| b.2.total_cmp(&a.2));
            let values: Vec<f64> = spans.iter().map(|s| s.2).collect();
            let probabilities = if how == QaWindowMerge::Max && self.kind == ValueKind::Score {
                softmax(&values)
            } else {
                let total: f64 = values.iter().sum();
                if total > 0.0 {
                    values.iter().map(|v| v / total).collect()
                } else {
                    vec![1.0 / values.len() as f64; values.len()]
                }
            };
            let candidates = spans
                .iter()
                .zip(probabilities)
                .map(|(s, p)| Candidate {
                    text: s.1.to_string(),
                    probability: p.clamp(0.0, 1.0),
                })
                .collect();
            out.push((id.clone(), candidates));
        }
        SystemAnswers::from_candidates(out).map_err(|e| e.with_source(self.source.clone()))
    }
}

fn describe(k: ValueKind) -> &'static str {
    match k {
        ValueKind::Score => "scores",
        ValueKind::Probability => "probabilities",
    }
}

/// A numerically stable softmax (shifted by the maximum).
fn softmax(scores: &[f64]) -> Vec<f64> {
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
    let total: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A context of 40 characters read as windows at offsets 0 and 20, both
    /// seeing "Denver Broncos" at context 22..36.
    const TWO: &str = r#"{"id": "q", "offset": 20, "nbest": [{"text": "Denver Broncos", "start": 2, "end": 16, "score": 3.0}, {"text": "Broncos", "start": 9, "end": 16, "score": 1.0}]}
{"id": "q", "offset": 0, "nbest": [{"text": "Carolina", "start": 0, "end": 8, "score": 2.5}, {"text": "Denver Broncos", "start": 22, "end": 36, "score": 2.0}]}
"#;

    fn top(a: &SystemAnswers) -> Vec<(String, f64)> {
        a.candidates("q")
            .unwrap()
            .iter()
            .map(|c| (c.text.clone(), c.probability))
            .collect()
    }

    #[test]
    fn max_takes_the_best_score_across_windows() {
        let w = WindowedAnswers::parse(TWO, "w.jsonl").unwrap();
        let m = w.merge(QaWindowMerge::Max).unwrap();
        let got = top(&m);
        assert_eq!(got.len(), 3, "the shared span is one candidate");
        assert_eq!(got[0].0, "Denver Broncos");
        let want = softmax(&[3.0, 2.5, 1.0]);
        for (g, p) in got.iter().zip(want) {
            assert!((g.1 - p).abs() < 1e-15);
        }
        assert_eq!(got[1].0, "Carolina");
    }

    #[test]
    fn sum_adds_per_window_probabilities() {
        let w = WindowedAnswers::parse(TWO, "w.jsonl").unwrap();
        let got = top(&w.merge(QaWindowMerge::Sum).unwrap());
        let a = softmax(&[3.0, 1.0]);
        let b = softmax(&[2.5, 2.0]);
        assert_eq!(got[0].0, "Denver Broncos");
        assert!((got[0].1 - (a[0] + b[1]) / 2.0).abs() < 1e-15);
        let total: f64 = got.iter().map(|g| g.1).sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn first_reads_only_the_earliest_window() {
        let w = WindowedAnswers::parse(TWO, "w.jsonl").unwrap();
        let got = top(&w.merge(QaWindowMerge::First).unwrap());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "Carolina");
    }

    #[test]
    fn one_window_is_its_own_nbest() {
        // Merging a single window by any rule gives the window's candidates
        // in score order with their softmax probabilities, as an n-best file
        // with the same scores would.
        let one = r#"{"id": "q", "offset": 0, "nbest": [{"text": "b", "start": 2, "end": 3, "score": 0.5}, {"text": "a", "start": 0, "end": 1, "score": 1.5}]}"#;
        let plain = SystemAnswers::parse(
            r#"{"q": [{"text": "b", "score": 0.5}, {"text": "a", "score": 1.5}]}"#,
            "n.json",
        )
        .unwrap();
        let w = WindowedAnswers::parse(one, "w.jsonl").unwrap();
        for how in QaWindowMerge::ALL {
            assert_eq!(w.merge(how).unwrap().candidates("q"), plain.candidates("q"));
        }
    }

    #[test]
    fn ties_go_to_the_earlier_span() {
        let t = r#"{"id": "q", "offset": 10, "nbest": [{"text": "y", "start": 5, "end": 6, "score": 1.0}, {"text": "x", "start": 0, "end": 1, "score": 1.0}]}"#;
        let w = WindowedAnswers::parse(t, "w.jsonl").unwrap();
        let m = w.merge(QaWindowMerge::Max).unwrap();
        assert_eq!(m.answer("q"), Some("x"));
    }

    #[test]
    fn logits_probabilities_and_no_answer() {
        let t = r#"{"id": "q", "offset": 0, "nbest": [{"text": "", "start": 0, "end": 0, "probability": 0.25}, {"text": "a", "start": 0, "end": 1, "probability": 0.25}]}
{"id": "q", "offset": 5, "nbest": [{"text": "", "start": 0, "end": 0, "probability": 0.5}]}"#;
        let w = WindowedAnswers::parse(t, "w.jsonl").unwrap();
        let m = w.merge(QaWindowMerge::Sum).unwrap();
        // The two windows' no-answer candidates are one: (0.25 + 0.5) / 2,
        // renormalised over a total of 0.5.
        assert_eq!(top(&m), [("".to_string(), 0.75), ("a".to_string(), 0.25)]);
        let l = r#"{"id": "q", "offset": 0, "nbest": [{"text": "a", "start": 0, "end": 1, "start_logit": 1.0, "end_logit": 2.0}, {"text": "b", "start": 2, "end": 3, "score": 3.0}]}"#;
        let w = WindowedAnswers::parse(l, "w.jsonl").unwrap();
        let got = top(&w.merge(QaWindowMerge::Max).unwrap());
        assert_eq!((got[0].1, got[1].1), (0.5, 0.5));
    }

    #[test]
    fn bad_windows_are_named() {
        let e = |text: &str| {
            WindowedAnswers::parse(text, "w.jsonl")
                .and_then(|w| w.merge(QaWindowMerge::Max))
                .unwrap_err()
                .to_string()
        };
        let clash = TWO.replace(
            "{\"text\": \"Denver Broncos\", \"start\": 22",
            "{\"text\": \"Denver\", \"start\": 22",
        );
        assert_eq!(
            e(&clash),
            "w.jsonl:1: q: expected the span 22..36 to have the same text in every window, found 'Denver' (line 2) and 'Denver Broncos'"
        );
        let line = r#"{"id": "q", "offset": 0, "nbest": [{"text": "a", "start": 0, "end": 1, "score": 1.0}]}"#;
        assert_eq!(
            e(&format!("{line}\n{line}")),
            "w.jsonl:2: q: expected one window per offset, found a second one at offset 0 (the first is on line 1)"
        );
        assert_eq!(
            e(&line.replace("\"start\": 0", "\"start\": 2")),
            "w.jsonl:1: q: n-best candidate 0: expected start <= end, found 2 > 1"
        );
        assert_eq!(
            e(&line.replace("\"score\": 1.0", "\"probability\": 1.5")),
            "w.jsonl:1: q: n-best candidate 0: expected a probability in [0, 1], found 1.5"
        );
        assert_eq!(
            e(&format!(
                "{line}\n{}",
                line.replace("\"score\": 1.0", "\"probability\": 0.5")
                    .replace("\"offset\": 0", "\"offset\": 3")
            )),
            "w.jsonl:2: q: n-best candidate 0: expected scores as on the file's first line, found probabilities"
        );
        assert_eq!(
            e(&line.replace("\"score\": 1.0", "\"score\": 1.0, \"probability\": 1.0")),
            "w.jsonl:1: q: n-best candidate 0: expected one of \"score\", \"start_logit\" and \"end_logit\", or \"probability\""
        );
        assert_eq!(
            e(&line.replace(
                "[{\"text\": \"a\", \"start\": 0, \"end\": 1, \"score\": 1.0}]",
                "[]"
            )),
            "w.jsonl:1: q: expected at least one n-best candidate, found an empty list"
        );
        assert!(e("{\"id\": \"q\"}").starts_with("w.jsonl:1: expected a window object"));
        assert_eq!(e("\n"), "w.jsonl: expected window lines, found none");
        assert!(is_window_file(&format!("\n{line}")));
        assert!(!is_window_file(r#"{"q": "a"}"#));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn merged_probabilities_sum_to_one(
                windows in proptest::collection::vec(
                    (0usize..50, proptest::collection::vec((0usize..30, 1usize..5, -5.0f64..5.0), 1..6)),
                    1..6),
            ) {
                // Texts are derived from the context span, so windows agree.
                let mut lines = String::new();
                let mut seen = std::collections::BTreeSet::new();
                for (offset, cands) in &windows {
                    if !seen.insert(*offset) { continue; }
                    let nbest: Vec<String> = cands.iter().map(|(s, len, score)| {
                        let (a, b) = (offset + s, offset + s + len);
                        format!(r#"{{"text": "t{a}-{b}", "start": {s}, "end": {}, "score": {score}}}"#, s + len)
                    }).collect();
                    lines.push_str(&format!(r#"{{"id": "q", "offset": {offset}, "nbest": [{}]}}"#, nbest.join(", ")));
                    lines.push('\n');
                }
                let w = WindowedAnswers::parse(&lines, "w").unwrap();
                for how in QaWindowMerge::ALL {
                    let m = w.merge(how).unwrap();
                    let c = m.candidates("q").unwrap();
                    let total: f64 = c.iter().map(|c| c.probability).sum();
                    prop_assert!((total - 1.0).abs() < 1e-9, "{:?}: {}", how, total);
                    prop_assert!(c.windows(2).all(|p| p[0].probability >= p[1].probability));
                }
            }
        }
    }
}
