//! [`Systems`]: the outputs of several taggers on the same sentences, in the
//! dense form fusers work on.

use crate::error::{Error, ErrorKind, Result};
use crate::ner::metrics::{Entity, Mode, entities};
use crate::ner::tag::{LabelSet, Tag, repair_iob2};

/// A span in a sentence with its type as an index into a [`LabelSet`]'s
/// types; `start..end`, end exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// The first token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
    /// The type index.
    pub kind: usize,
}

/// One system's output: hard tags, or a probability distribution over the
/// labels for each token.
#[derive(Clone, Debug, PartialEq)]
pub enum SystemInput {
    /// A tag per token per sentence (a CoNLL file).
    Tags(Vec<Vec<Tag>>),
    /// Per sentence, per token, a distribution over `tags` (tag names, for
    /// example from a probability file aligned by
    /// [`align_to_words`](crate::ner::align_to_words)).
    Probs {
        /// The tag names the distributions are over.
        tags: Vec<String>,
        /// `[sentence][token][tag]`.
        probs: Vec<Vec<Vec<f64>>>,
    },
}

/// The outputs of several systems on the same sentences, validated once:
/// systems sorted by name, every sentence of every system of the same length,
/// every tag's type in the label set.
///
/// For each system it keeps the IOB2 label of each token (`S-x` read as
/// `B-x`, `E-x` as `I-x`; for probabilities the most probable label, lowest
/// index on ties), its entities read the conlleval way (for span voting), and
/// a distribution over the labels per token (one-hot for hard tags; for
/// Viterbi decoding).
#[derive(Clone, Debug)]
pub struct Systems {
    names: Vec<String>,
    labels: LabelSet,
    lengths: Vec<usize>,
    hard: Vec<Vec<Vec<usize>>>,
    spans: Vec<Vec<Vec<Span>>>,
    // `[system][sentence]`: tokens × labels, row-major; `None` for hard tags,
    // whose one-hot rows are implied by `hard`.
    probs: Vec<Vec<Option<Vec<f64>>>>,
}

impl Systems {
    /// Builds the systems from named inputs; `extra_types` (the gold's types,
    /// say) join the label set so that the fusers know every type.
    ///
    /// # Errors
    ///
    /// * [`ErrorKind::InvalidParameter`]: no systems, or two with one name.
    /// * [`ErrorKind::Mismatch`]: systems with different numbers of sentences
    ///   or tokens (naming the system and sentence).
    /// * [`ErrorKind::InvalidValue`]: a probability that is negative or not
    ///   finite, or a row that sums to zero.
    /// * [`ErrorKind::Format`]: a probability tag name that does not parse.
    pub fn new(
        inputs: Vec<(String, SystemInput)>,
        extra_types: impl IntoIterator<Item = String>,
    ) -> Result<Systems> {
        let mut inputs = inputs;
        inputs.sort_by(|a, b| a.0.cmp(&b.0));
        if inputs.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                "expected at least one system, found none",
            ));
        }
        for w in inputs.windows(2) {
            if w[0].0 == w[1].0 {
                return Err(Error::new(
                    ErrorKind::InvalidParameter,
                    format!("expected distinct system names, found '{}' twice", w[0].0),
                ));
            }
        }
        // Every type any system or the gold mentions.
        let mut types: Vec<String> = extra_types.into_iter().collect();
        let mut parsed_prob_tags = Vec::new();
        for (name, input) in &inputs {
            match input {
                SystemInput::Tags(sents) => {
                    for t in sents.iter().flatten().filter(|t| !t.is_outside()) {
                        types.push(t.kind().to_string());
                    }
                    parsed_prob_tags.push(Vec::new());
                }
                SystemInput::Probs { tags, .. } => {
                    let parsed = tags
                        .iter()
                        .map(|t| Tag::parse(t).map_err(|e| e.with_source(name.clone())))
                        .collect::<Result<Vec<_>>>()?;
                    types.extend(
                        parsed
                            .iter()
                            .filter(|t| !t.is_outside())
                            .map(|t| t.kind().to_string()),
                    );
                    parsed_prob_tags.push(parsed);
                }
            }
        }
        let labels = LabelSet::new(types);
        let lengths: Vec<usize> = match &inputs[0].1 {
            SystemInput::Tags(s) => s.iter().map(Vec::len).collect(),
            SystemInput::Probs { probs, .. } => probs.iter().map(Vec::len).collect(),
        };
        let n_labels = labels.len();
        let mut names = Vec::new();
        let mut hard = Vec::new();
        let mut spans = Vec::new();
        let mut probs_all = Vec::new();
        for ((name, input), ptags) in inputs.into_iter().zip(parsed_prob_tags) {
            let mismatch = |msg: String, item: Option<usize>| {
                let e = Error::new(ErrorKind::Mismatch, msg).with_source(name.clone());
                match item {
                    Some(i) => e.with_item(format!("sentence {i}")),
                    None => e,
                }
            };
            let n_sent = match &input {
                SystemInput::Tags(s) => s.len(),
                SystemInput::Probs { probs, .. } => probs.len(),
            };
            if n_sent != lengths.len() {
                return Err(mismatch(
                    format!("expected {} sentences, found {n_sent}", lengths.len()),
                    None,
                ));
            }
            let mut sys_hard = Vec::with_capacity(n_sent);
            let mut sys_spans = Vec::with_capacity(n_sent);
            let mut sys_probs = Vec::with_capacity(n_sent);
            match input {
                SystemInput::Tags(sents) => {
                    for (i, s) in sents.iter().enumerate() {
                        if s.len() != lengths[i] {
                            return Err(mismatch(
                                format!("expected {} tokens, found {}", lengths[i], s.len()),
                                Some(i),
                            ));
                        }
                        let h = s
                            .iter()
                            .map(|t| labels.label(t))
                            .collect::<Result<Vec<_>>>()?;
                        let ents = entities(s, Mode::Conlleval)?;
                        sys_spans.push(to_spans(&labels, &ents));
                        sys_hard.push(h);
                        sys_probs.push(None);
                    }
                }
                SystemInput::Probs { probs, .. } => {
                    let map = ptags
                        .iter()
                        .map(|t| labels.label(t))
                        .collect::<Result<Vec<_>>>()?;
                    for (i, s) in probs.iter().enumerate() {
                        if s.len() != lengths[i] {
                            return Err(mismatch(
                                format!("expected {} tokens, found {}", lengths[i], s.len()),
                                Some(i),
                            ));
                        }
                        let mut rows = vec![0.0; s.len() * n_labels];
                        let mut h = Vec::with_capacity(s.len());
                        for (j, p) in s.iter().enumerate() {
                            if p.len() != map.len() {
                                return Err(mismatch(
                                    format!(
                                        "expected {} probabilities, found {}",
                                        map.len(),
                                        p.len()
                                    ),
                                    Some(i),
                                ));
                            }
                            let row = &mut rows[j * n_labels..(j + 1) * n_labels];
                            for (&l, &v) in map.iter().zip(p) {
                                if !(v.is_finite() && v >= 0.0) {
                                    return Err(Error::new(
                                        ErrorKind::InvalidValue,
                                        format!(
                                            "expected a finite non-negative probability, found {v}"
                                        ),
                                    )
                                    .with_source(name.clone())
                                    .with_item(format!("sentence {i}, token {j}")));
                                }
                                row[l] += v;
                            }
                            let sum: f64 = row.iter().sum();
                            if sum <= 0.0 {
                                return Err(Error::new(
                                    ErrorKind::InvalidValue,
                                    "expected probabilities with a positive sum, found all zero",
                                )
                                .with_source(name.clone())
                                .with_item(format!("sentence {i}, token {j}")));
                            }
                            row.iter_mut().for_each(|v| *v /= sum);
                            h.push(argmax(row));
                        }
                        let mut repaired = h.clone();
                        repair_iob2(&mut repaired);
                        sys_spans.push(spans_of_iob2(&repaired));
                        sys_hard.push(h);
                        sys_probs.push(Some(rows));
                    }
                }
            }
            names.push(name);
            hard.push(sys_hard);
            spans.push(sys_spans);
            probs_all.push(sys_probs);
        }
        Ok(Systems {
            names,
            labels,
            lengths,
            hard,
            spans,
            probs: probs_all,
        })
    }

    /// Builds the systems from hard tags only.
    ///
    /// # Errors
    ///
    /// As [`Systems::new`].
    pub fn from_tags(
        inputs: Vec<(String, Vec<Vec<Tag>>)>,
        extra_types: impl IntoIterator<Item = String>,
    ) -> Result<Systems> {
        Systems::new(
            inputs
                .into_iter()
                .map(|(n, t)| (n, SystemInput::Tags(t)))
                .collect(),
            extra_types,
        )
    }

    /// The system names, sorted.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The labels fused over.
    pub fn labels(&self) -> &LabelSet {
        &self.labels
    }

    /// The number of sentences.
    pub fn n_sentences(&self) -> usize {
        self.lengths.len()
    }

    /// The number of tokens of each sentence.
    pub fn lengths(&self) -> &[usize] {
        &self.lengths
    }

    /// System `s`'s IOB2 labels in sentence `i`.
    pub fn hard(&self, s: usize, i: usize) -> &[usize] {
        &self.hard[s][i]
    }

    /// System `s`'s entities in sentence `i` (conlleval reading).
    pub fn spans(&self, s: usize, i: usize) -> &[Span] {
        &self.spans[s][i]
    }

    /// System `s`'s probability of label `l` at token `j` of sentence `i`.
    pub fn prob(&self, s: usize, i: usize, j: usize, l: usize) -> f64 {
        match &self.probs[s][i] {
            Some(rows) => rows[j * self.labels.len() + l],
            None => f64::from(u8::from(self.hard[s][i][j] == l)),
        }
    }

    /// Turns labels of this set back into tags.
    pub fn tags_of(&self, labels: &[usize]) -> Vec<Tag> {
        labels.iter().map(|&l| self.labels.tag(l)).collect()
    }

    /// The spans of entities as [`Span`]s of this label set; entities of
    /// unknown types are dropped (they cannot match anything here).
    pub fn spans_of(&self, ents: &[Entity]) -> Vec<Span> {
        to_spans(&self.labels, ents)
    }
}

fn to_spans(labels: &LabelSet, ents: &[Entity]) -> Vec<Span> {
    ents.iter()
        .filter_map(|e| {
            labels.type_index(&e.kind).map(|kind| Span {
                start: e.start,
                end: e.end,
                kind,
            })
        })
        .collect()
}

/// The first largest value's index.
pub(crate) fn argmax(row: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// The entities of a valid IOB2 label sequence (where both seqeval modes
/// agree).
pub(crate) fn spans_of_iob2(labels: &[usize]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < labels.len() {
        let l = labels[i];
        if l == 0 {
            i += 1;
            continue;
        }
        let kind = (l - 1) / 2;
        let mut end = i + 1;
        while end < labels.len() && labels[end] == 2 + 2 * kind {
            end += 1;
        }
        out.push(Span {
            start: i,
            end,
            kind,
        });
        i = end;
    }
    out
}

/// Writes spans as IOB2 labels over `n` tokens (spans must not overlap).
pub(crate) fn iob2_of_spans(spans: &[Span], n: usize) -> Vec<usize> {
    let mut out = vec![0; n];
    for s in spans {
        out[s.start] = 1 + 2 * s.kind;
        for l in &mut out[s.start + 1..s.end] {
            *l = 2 + 2 * s.kind;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ner::test_support::tags;

    #[test]
    fn systems_are_sorted_and_checked() {
        let s = Systems::from_tags(
            vec![
                ("b".into(), vec![tags("B-x I-x O")]),
                ("a".into(), vec![tags("S-y O O")]),
            ],
            ["z".to_string()],
        )
        .unwrap();
        assert_eq!(s.names(), ["a", "b"]);
        assert_eq!(s.labels().types(), ["x", "y", "z"]);
        assert_eq!(s.hard(0, 0), [3, 0, 0]);
        assert_eq!(
            s.spans(1, 0),
            [Span {
                start: 0,
                end: 2,
                kind: 0
            }]
        );
        let e = Systems::from_tags(
            vec![
                ("a".into(), vec![tags("O")]),
                ("b".into(), vec![tags("O O")]),
            ],
            [],
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "b: sentence 0: expected 1 tokens, found 2");
    }

    #[test]
    fn probabilities_merge_iobes_tags_and_renormalise() {
        let s = Systems::new(
            vec![(
                "p".into(),
                SystemInput::Probs {
                    tags: vec!["O".into(), "S-x".into(), "B-x".into(), "E-x".into()],
                    probs: vec![vec![vec![1.0, 1.0, 1.0, 1.0], vec![0.0, 0.0, 0.0, 2.0]]],
                },
            )],
            [],
        )
        .unwrap();
        // S-x and B-x both count as B-x: 2/4 of the mass.
        assert_eq!(s.prob(0, 0, 0, 1), 0.5);
        assert_eq!(s.prob(0, 0, 1, 2), 1.0);
        assert_eq!(s.hard(0, 0), [1, 2]);
        assert_eq!(
            s.spans(0, 0),
            [Span {
                start: 0,
                end: 2,
                kind: 0
            }]
        );
        let bad = Systems::new(
            vec![(
                "p".into(),
                SystemInput::Probs {
                    tags: vec!["O".into()],
                    probs: vec![vec![vec![f64::NAN]]],
                },
            )],
            [],
        )
        .unwrap_err();
        assert_eq!(bad.kind(), ErrorKind::InvalidValue);
        assert_eq!(
            bad.to_string(),
            "p: sentence 0, token 0: expected a finite non-negative probability, found NaN"
        );
    }

    #[test]
    fn spans_round_trip_through_iob2() {
        let spans = vec![
            Span {
                start: 0,
                end: 1,
                kind: 1,
            },
            Span {
                start: 1,
                end: 3,
                kind: 1,
            },
        ];
        let l = iob2_of_spans(&spans, 4);
        assert_eq!(l, [3, 3, 4, 0]);
        assert_eq!(spans_of_iob2(&l), spans);
    }
}
