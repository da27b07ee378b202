//! Per-token tag probabilities from models with their own (subword)
//! tokenizers, aligned back to the reference words.
//!
//! # The probability file (JSON Lines)
//!
//! One JSON object per line, one line per sentence, in the order of the
//! reference sentences (blank lines are skipped):
//!
//! ```json
//! {"tokens": ["▁Jo", "hn", "▁lives"], "offsets": [[0, 2], [2, 4], [5, 10]],
//!  "tags": ["O", "B-PER", "I-PER"], "probs": [[0.1, 0.8, 0.1], [0.2, 0.1, 0.7], [0.9, 0.05, 0.05]]}
//! ```
//!
//! * `offsets[k] = [start, end]`: subtoken `k` covers the characters
//!   `start..end` (Unicode scalar values, end exclusive) of the sentence
//!   text, which is **the reference words joined by single spaces**
//!   (`"John lives"` above). A subtoken with `start == end` (a special token
//!   such as `[CLS]`) is ignored.
//! * `tags`: the tag names the probabilities are over; the same list on every
//!   line. `S-x` and `E-x` count as `B-x` and `I-x` when fused.
//! * `probs[k]`: subtoken `k`'s distribution over `tags`: finite,
//!   non-negative and summing to 1 within
//!   [`SUM_TOLERANCE`] (renormalised exactly when
//!   fused); distinct tag names, each a valid tag. `tokens` is informative
//!   only. An offset past the end of the sentence text is an error.
//!
//! # Alignment
//!
//! Word `w` covers characters `ws..we` of the sentence text; a subtoken
//! belongs to every word whose characters it overlaps (`start < we` and
//! `end > ws`), so a subtoken spanning a space counts for both words.
//! [`Alignment::FirstSubtoken`] gives each word the distribution of its
//! first subtoken (what token-classification models are trained on);
//! [`Alignment::Mean`] averages all its subtokens. A word without any
//! subtoken is an error (the model did not see it).
//!
//! Cost: O(subtokens + words) per sentence (both are in order).

use crate::error::{Error, ErrorKind, Result};
use crate::ner::systems::SystemInput;
use crate::ner::tag::Tag;

/// How far a probability row's sum may be from 1 (sentence and window
/// files alike).
pub const SUM_TOLERANCE: f64 = 1e-3;

/// One sentence of a probability file.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubwordSentence {
    /// The subtokens (informative only).
    #[serde(default)]
    pub tokens: Vec<String>,
    /// Each subtoken's character span in the sentence text.
    pub offsets: Vec<[usize; 2]>,
    /// The tag names.
    pub tags: Vec<String>,
    /// Each subtoken's distribution over `tags`.
    pub probs: Vec<Vec<f64>>,
}

/// How a word gets its distribution from its subtokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Alignment {
    /// The first subtoken's distribution.
    #[default]
    FirstSubtoken,
    /// The mean of its subtokens' distributions.
    Mean,
}

/// Parses a probability file (see the [module docs](self)).
///
/// # Errors
///
/// [`ErrorKind::Format`] naming `source` and the line: a line that is not
/// such an object, `offsets` and `probs` of different lengths, a row of
/// `probs` not as long as `tags`, an offset with `start > end`, a
/// probability that is not finite and non-negative, a row not summing to 1
/// within [`SUM_TOLERANCE`], a tag that does not parse or appears twice,
/// `tags` different from the first line's.
pub fn parse_probs_jsonl(text: &str, source: &str) -> Result<Vec<SubwordSentence>> {
    let mut out: Vec<SubwordSentence> = Vec::new();
    for (line_no, line) in json_lines(text) {
        let fmt = |m: String| format_error(m, source, line_no);
        let s: SubwordSentence = serde_json::from_str(line)
            .map_err(|e| fmt(format!("expected a probability object, {e}")))?;
        check_shape(&s, out.first().map(|f| f.tags.as_slice())).map_err(fmt)?;
        out.push(s);
    }
    Ok(out)
}

/// The non-blank lines of a JSON Lines text, trimmed, with their 1-based
/// line numbers.
pub(crate) fn json_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
}

/// A [`ErrorKind::Format`] error at `source`'s line `line`.
pub(crate) fn format_error(message: String, source: &str, line: usize) -> Error {
    Error::new(ErrorKind::Format, message)
        .with_source(source)
        .with_line(line)
}

/// The checks every probability line passes, whole sentence or window:
/// `offsets` and `probs` of one length, every row as long as `tags`, no
/// offset with `start > end`, and the tags of the file's first line. Returns
/// the message (the caller knows the file and line).
pub(crate) fn check_shape(
    s: &SubwordSentence,
    first_tags: Option<&[String]>,
) -> std::result::Result<(), String> {
    if s.tags.is_empty() {
        return Err("expected at least one tag name in 'tags', found none".into());
    }
    if s.offsets.len() != s.probs.len() {
        return Err(format!(
            "expected as many offsets as probability rows, found {} and {}",
            s.offsets.len(),
            s.probs.len()
        ));
    }
    if let Some(r) = s.probs.iter().find(|r| r.len() != s.tags.len()) {
        return Err(format!(
            "expected {} probabilities per subtoken (one per tag), found {}",
            s.tags.len(),
            r.len()
        ));
    }
    if let Some([a, b]) = s.offsets.iter().find(|[a, b]| a > b) {
        return Err(format!(
            "expected offsets with start <= end, found [{a}, {b}]"
        ));
    }
    for (k, row) in s.probs.iter().enumerate() {
        if let Some(v) = row.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(format!(
                "subtoken {k}: expected finite non-negative probabilities, found {v}"
            ));
        }
        let sum: f64 = row.iter().sum();
        if (sum - 1.0).abs() > SUM_TOLERANCE {
            return Err(format!(
                "subtoken {k}: expected probabilities summing to 1 (within {SUM_TOLERANCE}), found a sum of {}",
                (sum * 1e6).round() / 1e6
            ));
        }
    }
    // The first line's tags are checked here, so that a bad one is reported
    // on its own line; every later line must repeat them.
    if first_tags.is_none() {
        for (i, t) in s.tags.iter().enumerate() {
            if let Err(e) = Tag::parse(t) {
                return Err(format!("tag {i}: {}", e.message()));
            }
            if s.tags[..i].contains(t) {
                return Err(format!("expected distinct tag names, found '{t}' twice"));
            }
        }
    }
    if let Some(first) = first_tags
        && first != s.tags.as_slice()
    {
        return Err(format!(
            "expected the tags of the first line [{}], found [{}]",
            first.join(", "),
            s.tags.join(", ")
        ));
    }
    Ok(())
}

/// Each word's distribution over `sent.tags` (see the [module docs](self)).
///
/// # Errors
///
/// [`ErrorKind::Mismatch`]: a word no subtoken overlaps (naming the word).
pub fn align_to_words(
    sent: &SubwordSentence,
    words: &[String],
    how: Alignment,
) -> Result<Vec<Vec<f64>>> {
    // The sentence text is the words joined by single spaces.
    let text_len =
        words.iter().map(|w| w.chars().count()).sum::<usize>() + words.len().saturating_sub(1);
    if let Some((k, [a, b])) = sent
        .offsets
        .iter()
        .enumerate()
        .find(|(_, o)| o[1] > text_len)
    {
        return Err(Error::new(
            ErrorKind::Mismatch,
            format!(
                "subtoken {k}: expected offsets within the sentence text ({text_len} characters: the words joined by single spaces), found [{a}, {b}]"
            ),
        ));
    }
    let mut out = Vec::with_capacity(words.len());
    let mut pos = 0;
    // Subtokens are usually in order; `first` only moves forward, but every
    // word still scans from it, so out-of-order subtokens are handled too.
    let mut first = 0;
    for w in words {
        let (ws, we) = (pos, pos + w.chars().count());
        pos = we + 1;
        while first < sent.offsets.len()
            && sent.offsets[first][1] <= ws
            && sent.offsets[first][0] < sent.offsets[first][1]
        {
            first += 1;
        }
        let mut acc = vec![0.0; sent.tags.len()];
        let mut n = 0usize;
        for (k, &[s, e]) in sent.offsets.iter().enumerate().skip(first) {
            if s == e || !(s < we && e > ws) {
                continue;
            }
            for (a, p) in acc.iter_mut().zip(&sent.probs[k]) {
                *a += p;
            }
            n += 1;
            if how == Alignment::FirstSubtoken {
                break;
            }
        }
        if n == 0 {
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "expected a subtoken over the word '{w}' (characters {ws}..{we}), found none"
                ),
            ));
        }
        acc.iter_mut().for_each(|a| *a /= n as f64);
        out.push(acc);
    }
    Ok(out)
}

/// Aligns a whole probability file to the reference sentences' words,
/// giving a system input for [`Systems::new`](crate::ner::Systems::new).
///
/// # Errors
///
/// [`ErrorKind::Mismatch`] naming `source` and the sentence: a different
/// number of sentences, a word without subtokens; [`ErrorKind::Format`]: an
/// empty file.
pub fn align_corpus(
    sents: &[SubwordSentence],
    words: &[Vec<String>],
    how: Alignment,
    source: &str,
) -> Result<SystemInput> {
    if sents.len() != words.len() {
        return Err(Error::new(
            ErrorKind::Mismatch,
            format!(
                "expected {} sentences (lines), found {}",
                words.len(),
                sents.len()
            ),
        )
        .with_source(source));
    }
    let tags = sents.first().map(|s| s.tags.clone()).ok_or_else(|| {
        Error::new(ErrorKind::Format, "expected probability lines, found none").with_source(source)
    })?;
    let probs = sents
        .iter()
        .zip(words)
        .enumerate()
        .map(|(i, (s, w))| {
            align_to_words(s, w, how)
                .map_err(|e| e.with_source(source).with_item(format!("sentence {i}")))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(SystemInput::Probs { tags, probs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    /// Splits each word into pieces of at most `k` characters, as a subword
    /// tokenizer would, with a special token first; each piece's
    /// distribution is one-hot on `label(word, piece)`.
    fn synthetic(
        ws: &[String],
        k: usize,
        label: impl Fn(usize, usize) -> usize,
    ) -> SubwordSentence {
        let mut offsets = vec![[0, 0]];
        let mut probs = vec![vec![1.0, 0.0, 0.0]];
        let mut pos = 0;
        for (wi, w) in ws.iter().enumerate() {
            let n = w.chars().count();
            for (pi, start) in (0..n).step_by(k).enumerate() {
                offsets.push([pos + start, pos + (start + k).min(n)]);
                let mut p = vec![0.0; 3];
                p[label(wi, pi)] = 1.0;
                probs.push(p);
            }
            pos += n + 1;
        }
        SubwordSentence {
            tokens: vec![],
            offsets,
            tags: vec!["O".into(), "B-x".into(), "I-x".into()],
            probs,
        }
    }

    #[test]
    fn first_subtoken_and_mean_alignments() {
        let ws = words("Jöhnny Appleseed said");
        // Pieces of two characters; the first piece of each word says the
        // word's true label, later pieces say I-x.
        let truth = [1, 2, 0];
        let s = synthetic(&ws, 2, |w, p| if p == 0 { truth[w] } else { 2 });
        let first = align_to_words(&s, &ws, Alignment::FirstSubtoken).unwrap();
        assert_eq!(
            first,
            vec![
                vec![0.0, 1.0, 0.0],
                vec![0.0, 0.0, 1.0],
                vec![1.0, 0.0, 0.0]
            ]
        );
        let mean = align_to_words(&s, &ws, Alignment::Mean).unwrap();
        // "Jöhnny": 3 pieces (B, I, I); "said": 2 pieces (O, I).
        assert_eq!(mean[0], vec![0.0, 1.0 / 3.0, 2.0 / 3.0]);
        assert_eq!(mean[2], vec![0.5, 0.0, 0.5]);
    }

    #[test]
    fn a_word_without_subtokens_is_named() {
        let ws = words("a b");
        let s = SubwordSentence {
            tokens: vec![],
            offsets: vec![[0, 1]],
            tags: vec!["O".into()],
            probs: vec![vec![1.0]],
        };
        let e = align_to_words(&s, &ws, Alignment::FirstSubtoken).unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected a subtoken over the word 'b' (characters 2..3), found none"
        );
    }

    #[test]
    fn files_parse_and_report_lines() {
        let text = "{\"tokens\":[\"a\"],\"offsets\":[[0,1]],\"tags\":[\"O\",\"B-x\"],\"probs\":[[0.5,0.5]]}\n\n{\"offsets\":[[0,1]],\"tags\":[\"O\"],\"probs\":[[1]]}\n";
        let e = parse_probs_jsonl(text, "p.jsonl").unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.jsonl:3: expected the tags of the first line [O, B-x], found [O]"
        );
        let ok = parse_probs_jsonl(&text[..text.find('\n').unwrap()], "p.jsonl").unwrap();
        assert_eq!(ok.len(), 1);
    }
}
