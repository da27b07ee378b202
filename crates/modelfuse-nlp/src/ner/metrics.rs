//! Entity-level precision, recall and F1, equal to seqeval 1.2.2's.
//!
//! An entity is a `(type, start, end)` span; a predicted entity counts as
//! correct only when the gold has exactly the same span and type. Per type,
//! `precision = tp / predicted`, `recall = tp / gold`,
//! `f1 = 2·p·r / (p + r)`, each 0 when its denominator is 0 (seqeval's
//! `zero_division` default); the overall score is the micro average (counts
//! summed over types, then divided), seqeval's default `average='micro'`.
//!
//! Two ways of reading entities from tags, as seqeval's two modes:
//!
//! * [`Mode::Conlleval`] (seqeval's default, `get_entities`, after the
//!   conlleval Perl script): lenient. An entity starts at `B-x` or `S-x`, at
//!   an `I-x` or `E-x` after `O`, `E-` or `S-`, and at any tag whose type
//!   differs from the previous one; it ends before `O`, `B-`, `S-`, a type
//!   change, and after `E-` or `S-`. So `O I-x I-x` is one `x` entity and
//!   `B-x I-y` two.
//! * [`Mode::Strict`] (`mode='strict', scheme=IOB2`): an entity is a `B-x`
//!   followed by any number of `I-x`; an `I-` that continues nothing is
//!   ignored. `E-` and `S-` tags are errors, as in seqeval.
//!
//! Both read each sentence separately; seqeval's flattening of a list of
//! sentences with an `O` between them gives the same entities.
//!
//! Cost: O(tokens + entities · log entities).

use std::collections::BTreeMap;

use crate::error::{Error, ErrorKind, Result};
use crate::ner::tag::{Prefix, Tag};

/// How entities are read from tags.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// seqeval's default mode (conlleval-style, lenient).
    #[default]
    Conlleval,
    /// seqeval's `mode='strict', scheme=IOB2`.
    Strict,
}

impl std::str::FromStr for Mode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Mode> {
        match s {
            "conlleval" | "default" => Ok(Mode::Conlleval),
            "strict" => Ok(Mode::Strict),
            _ => Err(Error::new(
                ErrorKind::InvalidParameter,
                format!("expected a mode conlleval or strict, found '{s}'"),
            )),
        }
    }
}

/// An entity: its type and its tokens `start..end` (end exclusive) in a
/// sentence.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entity {
    /// The first token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
    /// The entity type.
    pub kind: String,
}

/// The entities of one sentence's tags, in order of their start.
///
/// # Errors
///
/// In [`Mode::Strict`], [`ErrorKind::InvalidValue`] for an `E-` or `S-` tag
/// (seqeval raises "Invalid token is found" there).
pub fn entities(tags: &[Tag], mode: Mode) -> Result<Vec<Entity>> {
    match mode {
        Mode::Conlleval => Ok(conlleval_entities(tags)),
        Mode::Strict => strict_entities(tags),
    }
}

fn conlleval_entities(tags: &[Tag]) -> Vec<Entity> {
    let mut out = Vec::new();
    // The state before the first token is seqeval's: prefix O, type "".
    let mut prev_p = Prefix::O;
    let mut prev_t = "";
    let mut begin = 0;
    let outside = Tag::outside();
    for (i, tag) in tags.iter().chain(std::iter::once(&outside)).enumerate() {
        let (p, t) = (tag.prefix(), tag.kind());
        let ends = matches!(prev_p, Prefix::E | Prefix::S)
            || (matches!(prev_p, Prefix::B | Prefix::I)
                && matches!(p, Prefix::B | Prefix::S | Prefix::O))
            || (prev_p != Prefix::O && prev_t != t);
        if ends {
            out.push(Entity {
                start: begin,
                end: i,
                kind: prev_t.to_string(),
            });
        }
        let starts = matches!(p, Prefix::B | Prefix::S)
            || (matches!(prev_p, Prefix::E | Prefix::S | Prefix::O)
                && matches!(p, Prefix::E | Prefix::I))
            || (p != Prefix::O && prev_t != t);
        if starts {
            begin = i;
        }
        prev_p = p;
        prev_t = t;
    }
    out
}

fn strict_entities(tags: &[Tag]) -> Result<Vec<Entity>> {
    if let Some(bad) = tags
        .iter()
        .find(|t| matches!(t.prefix(), Prefix::E | Prefix::S))
    {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("strict IOB2 allows only O, B- and I- tags, found '{bad}'"),
        ));
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < tags.len() {
        if tags[i].prefix() != Prefix::B {
            i += 1;
            continue;
        }
        let kind = tags[i].kind();
        let mut end = i + 1;
        while end < tags.len() && tags[end].prefix() == Prefix::I && tags[end].kind() == kind {
            end += 1;
        }
        out.push(Entity {
            start: i,
            end,
            kind: kind.to_string(),
        });
        i = end;
    }
    Ok(out)
}

/// Entity counts of one type: true positives, predicted and gold entities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Predicted entities that match a gold one exactly.
    pub tp: usize,
    /// Predicted entities.
    pub predicted: usize,
    /// Gold entities.
    pub gold: usize,
}

impl Counts {
    /// Adds another count.
    pub fn add(&mut self, other: Counts) {
        self.tp += other.tp;
        self.predicted += other.predicted;
        self.gold += other.gold;
    }

    /// Precision, recall and F1 (fractions, not percentages), by seqeval's
    /// formulas and zero-division rule.
    pub fn scores(&self) -> Scores {
        let div = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = div(self.tp, self.predicted);
        let recall = div(self.tp, self.gold);
        let denom = precision + recall;
        // seqeval: (1 + β²)·p·r / (β²·p + r) with β = 1, denominator 0 → 1.
        let f1 = 2.0 * precision * recall / if denom == 0.0 { 1.0 } else { denom };
        Scores {
            precision,
            recall,
            f1,
        }
    }
}

/// Precision, recall and F1, as fractions in `[0, 1]`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Scores {
    /// Correct predicted entities / predicted entities.
    pub precision: f64,
    /// Correct predicted entities / gold entities.
    pub recall: f64,
    /// The harmonic mean of precision and recall.
    pub f1: f64,
}

/// Counts per entity type (sorted by type) for a set of sentences.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeCounts {
    /// Counts per type; types seen in the gold or the prediction.
    pub per_type: BTreeMap<String, Counts>,
}

impl TypeCounts {
    /// The counts summed over types (the micro average's).
    pub fn total(&self) -> Counts {
        let mut c = Counts::default();
        for v in self.per_type.values() {
            c.add(*v);
        }
        c
    }

    /// Adds another set of counts.
    pub fn add(&mut self, other: &TypeCounts) {
        for (k, v) in &other.per_type {
            self.per_type.entry(k.clone()).or_default().add(*v);
        }
    }
}

/// The counts of one sentence: `gold` against `pred`.
///
/// # Errors
///
/// As [`entities`]; and [`ErrorKind::Mismatch`] when the lengths differ.
pub fn sentence_counts(gold: &[Tag], pred: &[Tag], mode: Mode) -> Result<TypeCounts> {
    if gold.len() != pred.len() {
        return Err(Error::new(
            ErrorKind::Mismatch,
            format!("expected {} tags, found {}", gold.len(), pred.len()),
        ));
    }
    let g = entities(gold, mode)?;
    let p = entities(pred, mode)?;
    Ok(counts_of(&g, &p))
}

/// The counts of predicted entities `pred` against gold entities `gold`
/// (one sentence; each list without duplicates, as [`entities`] returns).
pub fn counts_of(gold: &[Entity], pred: &[Entity]) -> TypeCounts {
    let mut out = TypeCounts::default();
    for e in gold {
        out.per_type.entry(e.kind.clone()).or_default().gold += 1;
    }
    for e in pred {
        let c = out.per_type.entry(e.kind.clone()).or_default();
        c.predicted += 1;
        if gold.contains(e) {
            c.tp += 1;
        }
    }
    out
}

/// The per-sentence counts of a whole prediction against the gold.
///
/// # Errors
///
/// As [`sentence_counts`], naming the sentence (0-based).
pub fn corpus_counts(gold: &[Vec<Tag>], pred: &[Vec<Tag>], mode: Mode) -> Result<Vec<TypeCounts>> {
    if gold.len() != pred.len() {
        return Err(Error::new(
            ErrorKind::Mismatch,
            format!("expected {} sentences, found {}", gold.len(), pred.len()),
        ));
    }
    gold.iter()
        .zip(pred)
        .enumerate()
        .map(|(i, (g, p))| {
            sentence_counts(g, p, mode).map_err(|e| e.with_item(format!("sentence {i}")))
        })
        .collect()
}

/// An evaluation: the micro average and each type's scores and counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// The micro-averaged scores over all types.
    pub overall: Scores,
    /// The summed counts.
    pub counts: Counts,
    /// Each type's scores and counts, sorted by type.
    pub per_type: Vec<(String, Scores, Counts)>,
}

impl Evaluation {
    /// Sums per-sentence counts and scores them.
    pub fn from_counts<'a>(sentences: impl IntoIterator<Item = &'a TypeCounts>) -> Evaluation {
        let mut all = TypeCounts::default();
        for s in sentences {
            all.add(s);
        }
        let counts = all.total();
        Evaluation {
            overall: counts.scores(),
            counts,
            per_type: all
                .per_type
                .iter()
                .map(|(k, c)| (k.clone(), c.scores(), *c))
                .collect(),
        }
    }
}

/// Scores a prediction against the gold, sentence by sentence.
///
/// # Errors
///
/// As [`corpus_counts`].
///
/// # Example
///
/// ```
/// use modelfuse_nlp::ner::{Mode, Tag, evaluate};
///
/// let tags = |s: &str| s.split(' ').map(|t| Tag::parse(t)).collect::<Result<Vec<_>, _>>();
/// let gold = vec![tags("B-PER I-PER O B-LOC")?];
/// let pred = vec![tags("O I-PER O B-LOC")?];
/// // Lenient: "I-PER" after O starts a PER entity at token 1 (not the gold's 0..2).
/// let e = evaluate(&gold, &pred, Mode::Conlleval)?;
/// assert_eq!((e.counts.tp, e.counts.predicted, e.counts.gold), (1, 2, 2));
/// // Strict IOB2: the orphan I-PER is no entity at all.
/// let e = evaluate(&gold, &pred, Mode::Strict)?;
/// assert_eq!((e.counts.tp, e.counts.predicted, e.counts.gold), (1, 1, 2));
/// assert_eq!(e.overall.precision, 1.0);
/// # Ok::<(), modelfuse_nlp::Error>(())
/// ```
pub fn evaluate(gold: &[Vec<Tag>], pred: &[Vec<Tag>], mode: Mode) -> Result<Evaluation> {
    Ok(Evaluation::from_counts(&corpus_counts(gold, pred, mode)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ner::test_support::tags;

    fn spans(s: &str, mode: Mode) -> Vec<(String, usize, usize)> {
        entities(&tags(s), mode)
            .unwrap()
            .into_iter()
            .map(|e| (e.kind, e.start, e.end - 1))
            .collect()
    }

    fn e(k: &str, s: usize, t: usize) -> (String, usize, usize) {
        (k.to_string(), s, t)
    }

    #[test]
    fn conlleval_reading_is_lenient() {
        let m = Mode::Conlleval;
        assert_eq!(
            spans("B-PER I-PER O B-LOC", m),
            [e("PER", 0, 1), e("LOC", 3, 3)]
        );
        assert_eq!(spans("O I-PER I-PER", m), [e("PER", 1, 2)]);
        assert_eq!(spans("B-PER I-LOC", m), [e("PER", 0, 0), e("LOC", 1, 1)]);
        assert_eq!(spans("S-A E-A", m), [e("A", 0, 0), e("A", 1, 1)]);
        assert_eq!(spans("B-A E-A I-A", m), [e("A", 0, 1), e("A", 2, 2)]);
        assert_eq!(spans("I-A B-A", m), [e("A", 0, 0), e("A", 1, 1)]);
        assert_eq!(spans("E-A", m), [e("A", 0, 0)]);
    }

    #[test]
    fn strict_reading_needs_a_begin() {
        let m = Mode::Strict;
        assert_eq!(spans("O I-PER I-PER", m), []);
        assert_eq!(
            spans("B-PER I-LOC I-LOC B-X", m),
            [e("PER", 0, 0), e("X", 3, 3)]
        );
        assert_eq!(
            entities(&tags("S-A"), m).unwrap_err().kind(),
            ErrorKind::InvalidValue
        );
    }

    #[test]
    fn scores_follow_seqeval_zero_division() {
        let c = Counts {
            tp: 0,
            predicted: 0,
            gold: 3,
        };
        assert_eq!(
            c.scores(),
            Scores {
                precision: 0.0,
                recall: 0.0,
                f1: 0.0
            }
        );
        let c = Counts {
            tp: 1,
            predicted: 2,
            gold: 4,
        };
        assert_eq!(c.scores().f1, 2.0 * 0.5 * 0.25 / 0.75);
    }
}
