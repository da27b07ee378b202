//! SQuAD files: the dataset (gold answers) and systems' predictions.
//!
//! Parsing is strict where the official scripts would crash or silently
//! guess (a prediction that is not a string, a question id given twice) and
//! says which file, line and question id is wrong.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// One question of a SQuAD dataset, with its gold answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The question id, as in the dataset.
    pub id: String,
    /// The gold answer texts, in dataset order; empty for an unanswerable
    /// (SQuAD 2.0) question.
    pub answers: Vec<String>,
    /// The index of the article (`data[i]`) the question belongs to.
    pub article: usize,
}

/// A SQuAD dataset file reduced to what scoring needs: its version and the
/// questions in file order (the order the official scripts sum in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    version: String,
    questions: Vec<Question>,
}

#[derive(Deserialize)]
struct RawDataset {
    #[serde(default)]
    version: Option<String>,
    data: Vec<RawArticle>,
}

#[derive(Deserialize)]
struct RawArticle {
    paragraphs: Vec<RawParagraph>,
}

#[derive(Deserialize)]
struct RawParagraph {
    qas: Vec<RawQuestion>,
}

#[derive(Deserialize)]
struct RawQuestion {
    id: String,
    answers: Vec<RawAnswer>,
}

#[derive(Deserialize)]
struct RawAnswer {
    text: String,
}

impl Dataset {
    /// Parses a SQuAD dataset (`{"version": …, "data": [{"paragraphs":
    /// [{"qas": [{"id": …, "answers": [{"text": …}, …]}, …]}, …]}, …]}`);
    /// other fields (contexts, questions, offsets) are not needed and not
    /// checked. `source` names the input in errors.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Format`] for invalid JSON or a missing field (with the
    /// line), [`ErrorKind::Mismatch`] for a question id that appears twice.
    pub fn parse(text: &str, source: &str) -> Result<Dataset> {
        let raw: RawDataset = serde_json::from_str(text).map_err(|e| json_error(&e, source))?;
        let mut seen = HashSet::new();
        let mut questions = Vec::new();
        for (article, a) in raw.data.into_iter().enumerate() {
            for p in a.paragraphs {
                for q in p.qas {
                    if !seen.insert(q.id.clone()) {
                        return Err(Error::new(
                            ErrorKind::Mismatch,
                            "question id appears more than once in the dataset",
                        )
                        .with_item(q.id)
                        .with_source(source));
                    }
                    questions.push(Question {
                        id: q.id,
                        answers: q.answers.into_iter().map(|a| a.text).collect(),
                        article,
                    });
                }
            }
        }
        Ok(Dataset {
            version: raw.version.unwrap_or_default(),
            questions,
        })
    }

    /// Builds a dataset from questions directly (tests, other formats).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] for a question id that appears twice.
    pub fn from_questions(version: &str, questions: Vec<Question>) -> Result<Dataset> {
        let mut seen = HashSet::new();
        for q in &questions {
            if !seen.insert(q.id.as_str()) {
                return Err(Error::new(ErrorKind::Mismatch, "question id appears twice")
                    .with_item(q.id.clone()));
            }
        }
        Ok(Dataset {
            version: version.to_string(),
            questions,
        })
    }

    /// The `version` field of the file (`"1.1"`, `"v2.0"`), or empty.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The questions in file order.
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }

    /// The same dataset restricted to `keep`'s questions (by position), in
    /// file order.
    pub fn subset(&self, keep: &[bool]) -> Dataset {
        Dataset {
            version: self.version.clone(),
            questions: self
                .questions
                .iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(q, _)| q.clone())
                .collect(),
        }
    }
}

/// One candidate answer of a system: its text and the probability the
/// system gives it (1 for a plain prediction file).
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The answer text as the system wrote it; empty means "no answer".
    pub text: String,
    /// The system's probability for this answer, in `[0, 1]`.
    pub probability: f64,
}

/// A system's answers: for each question id, its candidates, most probable
/// first (one candidate for a plain `{id: answer}` file).
#[derive(Clone, Debug, PartialEq)]
pub struct SystemAnswers {
    answers: BTreeMap<String, Vec<Candidate>>,
    nbest: bool,
}

impl SystemAnswers {
    /// Parses a prediction file: either the official format
    /// `{"question id": "answer text", …}`, or an n-best file
    /// `{"question id": [{"text": …, "probability": …}, …], …}` as written by
    /// Hugging Face's question-answering scripts (`nbest_predictions.json`).
    /// An n-best entry without `probability` but with `score` gets the
    /// softmax of the scores of its question; other fields are ignored.
    /// Candidates are ordered by probability, highest first (ties keep file
    /// order).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Format`] for invalid JSON (with the line), a value that is
    /// neither a string nor a list of candidates, an empty n-best list, a
    /// probability outside `[0, 1]` or a score that is not finite (naming the
    /// question id); [`ErrorKind::Mismatch`] for a question id given twice.
    pub fn parse(text: &str, source: &str) -> Result<SystemAnswers> {
        let map: UniqueMap = serde_json::from_str(text).map_err(|e| json_error(&e, source))?;
        let mut answers = BTreeMap::new();
        let mut nbest = false;
        for (id, value) in map.0 {
            let candidates = match value {
                Value::String(s) => vec![Candidate {
                    text: s,
                    probability: 1.0,
                }],
                Value::Array(items) => {
                    nbest = true;
                    parse_nbest(items).map_err(|e| e.with_item(id.clone()).with_source(source))?
                }
                other => {
                    return Err(Error::new(
                        ErrorKind::Format,
                        format!(
                            "expected an answer string or a list of n-best candidates, found {}",
                            kind_of(&other)
                        ),
                    )
                    .with_item(id)
                    .with_source(source));
                }
            };
            answers.insert(id, candidates);
        }
        Ok(SystemAnswers { answers, nbest })
    }

    /// Builds a system's answers from `(id, candidates)` pairs.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] for an id given twice,
    /// [`ErrorKind::InvalidValue`] for no candidates or a probability outside
    /// `[0, 1]`.
    pub fn from_candidates(
        items: impl IntoIterator<Item = (String, Vec<Candidate>)>,
    ) -> Result<SystemAnswers> {
        let mut answers = BTreeMap::new();
        let mut nbest = false;
        for (id, mut candidates) in items {
            if candidates.is_empty() {
                return Err(Error::new(ErrorKind::InvalidValue, "no candidates").with_item(id));
            }
            if let Some(c) = candidates
                .iter()
                .find(|c| !(0.0..=1.0).contains(&c.probability))
            {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("expected a probability in [0, 1], found {}", c.probability),
                )
                .with_item(id));
            }
            nbest |= candidates.len() > 1;
            candidates.sort_by(|a, b| b.probability.total_cmp(&a.probability));
            if answers.insert(id.clone(), candidates).is_some() {
                return Err(
                    Error::new(ErrorKind::Mismatch, "question id given twice").with_item(id)
                );
            }
        }
        Ok(SystemAnswers { answers, nbest })
    }

    /// Builds a plain system (one answer per question, probability 1).
    pub fn from_answers(items: impl IntoIterator<Item = (String, String)>) -> SystemAnswers {
        SystemAnswers {
            answers: items
                .into_iter()
                .map(|(id, text)| {
                    (
                        id,
                        vec![Candidate {
                            text,
                            probability: 1.0,
                        }],
                    )
                })
                .collect(),
            nbest: false,
        }
    }

    /// The system's answer to question `id`: its most probable candidate.
    pub fn answer(&self, id: &str) -> Option<&str> {
        self.answers
            .get(id)
            .and_then(|c| c.first())
            .map(|c| c.text.as_str())
    }

    /// All candidates for question `id`, most probable first.
    pub fn candidates(&self, id: &str) -> Option<&[Candidate]> {
        self.answers.get(id).map(Vec::as_slice)
    }

    /// Whether the file had n-best lists (rather than one answer each).
    pub fn is_nbest(&self) -> bool {
        self.nbest
    }

    /// How many questions have an answer.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// Whether no question has an answer.
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }

    /// The question ids answered, in lexicographic order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.answers.keys().map(String::as_str)
    }
}

fn parse_nbest(items: Vec<Value>) -> Result<Vec<Candidate>> {
    if items.is_empty() {
        return Err(Error::new(
            ErrorKind::Format,
            "expected at least one n-best candidate, found an empty list",
        ));
    }
    let mut texts = Vec::with_capacity(items.len());
    let mut probabilities = Vec::with_capacity(items.len());
    let mut scores = Vec::with_capacity(items.len());
    for (rank, item) in items.into_iter().enumerate() {
        let Value::Object(mut fields) = item else {
            return Err(Error::new(
                ErrorKind::Format,
                format!(
                    "n-best candidate {rank}: expected an object with \"text\", found {}",
                    kind_of(&item)
                ),
            ));
        };
        let text = match fields.remove("text") {
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err(Error::new(
                    ErrorKind::Format,
                    format!(
                        "n-best candidate {rank}: expected \"text\" to be a string, found {}",
                        kind_of(&other)
                    ),
                ));
            }
            None => {
                return Err(Error::new(
                    ErrorKind::Format,
                    format!("n-best candidate {rank}: missing \"text\""),
                ));
            }
        };
        let number = |name: &str, fields: &serde_json::Map<String, Value>| -> Result<Option<f64>> {
            match fields.get(name) {
                None => Ok(None),
                Some(Value::Number(n)) => Ok(n.as_f64()),
                Some(other) => Err(Error::new(
                    ErrorKind::Format,
                    format!(
                        "n-best candidate {rank}: expected \"{name}\" to be a number, found {}",
                        kind_of(other)
                    ),
                )),
            }
        };
        texts.push(text);
        probabilities.push(number("probability", &fields)?);
        scores.push(number("score", &fields)?);
    }
    let probabilities: Vec<f64> = if probabilities.iter().all(Option::is_some) {
        let p: Vec<f64> = probabilities.into_iter().flatten().collect();
        if let Some((rank, v)) = p
            .iter()
            .enumerate()
            .find(|(_, v)| !(0.0..=1.0).contains(*v))
        {
            return Err(Error::new(
                ErrorKind::Format,
                format!("n-best candidate {rank}: expected a probability in [0, 1], found {v}"),
            ));
        }
        p
    } else if scores.iter().all(Option::is_some) {
        let s: Vec<f64> = scores.into_iter().flatten().collect();
        if let Some((rank, v)) = s.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::new(
                ErrorKind::Format,
                format!("n-best candidate {rank}: expected a finite score, found {v}"),
            ));
        }
        softmax(&s)
    } else {
        return Err(Error::new(
            ErrorKind::Format,
            "expected every n-best candidate to have a \"probability\" (or every one a \"score\")",
        ));
    };
    let mut candidates: Vec<Candidate> = texts
        .into_iter()
        .zip(probabilities)
        .map(|(text, probability)| Candidate { text, probability })
        .collect();
    // Stable: equal probabilities keep the file's order.
    candidates.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    Ok(candidates)
}

/// A numerically stable softmax (shifted by the maximum).
fn softmax(scores: &[f64]) -> Vec<f64> {
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
    let total: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / total).collect()
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn json_error(e: &serde_json::Error, source: &str) -> Error {
    // serde_json's message ends with " at line L column C"; the line goes in
    // the location instead.
    let message = e.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m)
        .to_string();
    let mut err =
        Error::new(ErrorKind::Format, format!("invalid SQuAD JSON: {message}")).with_source(source);
    if e.line() > 0 {
        err = err.with_line(e.line());
    }
    err
}

/// A JSON object read in file order that refuses repeated keys (serde_json's
/// maps keep the last silently, and so would the official scripts).
struct UniqueMap(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for UniqueMap {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UniqueMap;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object mapping question ids to answers")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<UniqueMap, A::Error> {
                let mut seen = HashSet::new();
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    if !seen.insert(k.clone()) {
                        return Err(de::Error::custom(format!(
                            "question id {k:?} appears more than once"
                        )));
                    }
                    out.push((k, v));
                }
                Ok(UniqueMap(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATASET: &str = r#"{"version": "1.1", "data": [
      {"title": "t", "paragraphs": [{"context": "c", "qas": [
        {"id": "q1", "question": "?", "answers": [{"text": "Denver Broncos", "answer_start": 0}]},
        {"id": "q2", "question": "?", "answers": []}]}]}]}"#;

    #[test]
    fn dataset_keeps_file_order_and_answers() {
        let d = Dataset::parse(DATASET, "dev.json").unwrap();
        assert_eq!(d.version(), "1.1");
        assert_eq!(d.questions().len(), 2);
        assert_eq!(d.questions()[0].answers, ["Denver Broncos"]);
        assert!(d.questions()[1].answers.is_empty());
    }

    #[test]
    fn dataset_errors_name_file_line_and_id() {
        let e = Dataset::parse("{\"data\": [\n{\"paragraphs\": 3}]}", "dev.json").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format);
        assert_eq!(e.location().line, Some(2));
        assert!(
            e.to_string().starts_with("dev.json:2: invalid SQuAD JSON"),
            "{e}"
        );
        let twice = DATASET.replace("\"q2\"", "\"q1\"");
        let e = Dataset::parse(&twice, "dev.json").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Mismatch);
        assert_eq!(e.location().item.as_deref(), Some("q1"));
    }

    #[test]
    fn plain_and_nbest_predictions() {
        let s = SystemAnswers::parse(r#"{"q1": "Denver", "q2": ""}"#, "a.json").unwrap();
        assert_eq!(s.answer("q1"), Some("Denver"));
        assert_eq!(s.answer("q2"), Some(""));
        assert!(!s.is_nbest());
        let n = SystemAnswers::parse(
            r#"{"q1": [{"text": "Broncos", "probability": 0.3, "start_logit": 1},
                        {"text": "Denver Broncos", "probability": 0.6}]}"#,
            "n.json",
        )
        .unwrap();
        assert!(n.is_nbest());
        assert_eq!(n.answer("q1"), Some("Denver Broncos"));
        let s = SystemAnswers::parse(
            r#"{"q1": [{"text": "a", "score": 0.0}, {"text": "b", "score": 0.0}]}"#,
            "s.json",
        )
        .unwrap();
        let c = s.candidates("q1").unwrap();
        assert_eq!((c[0].text.as_str(), c[0].probability), ("a", 0.5));
    }

    #[test]
    fn bad_predictions_are_refused_with_the_id() {
        for (text, needle) in [
            (r#"{"q1": 3}"#, "found a number"),
            (r#"{"q1": []}"#, "empty list"),
            (
                r#"{"q1": [{"text": "x", "probability": 1.5}]}"#,
                "found 1.5",
            ),
            (r#"{"q1": [{"probability": 0.5}]}"#, "missing \"text\""),
            (r#"{"q1": [{"text": "x"}]}"#, "\"probability\""),
        ] {
            let e = SystemAnswers::parse(text, "a.json").unwrap_err();
            let shown = e.to_string();
            assert!(shown.starts_with("a.json: q1: "), "{shown}");
            assert!(shown.contains(needle), "{shown}");
        }
        let e = SystemAnswers::parse(r#"{"q1": "a", "q1": "b"}"#, "a.json").unwrap_err();
        assert!(
            e.to_string().contains("\"q1\" appears more than once"),
            "{e}"
        );
        assert_eq!(e.location().line, Some(1));
    }
}
