//! Tag probabilities given per window of a sentence, merged into one
//! distribution per word before decoding.
//!
//! Models with a bounded input length (or taggers run on long documents)
//! see a sentence through overlapping windows. Each window gives every word
//! it covers a distribution over the tags; a word near a window's edge was
//! tagged with little context on that side, so the windows covering a word
//! are merged by a [`WindowMerge`] rule, and the decoders and fusers then
//! work on the merged per-word distributions as on any probability system.
//!
//! # The window file (JSON Lines)
//!
//! One JSON object per line, one line per window, in any order (blank lines
//! are skipped):
//!
//! ```json
//! {"sentence": 0, "start": 4, "words": ["in", "New", "York"],
//!  "offsets": [[0, 2], [3, 6], [7, 11]], "tags": ["O", "B-loc", "I-loc"],
//!  "probs": [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]}
//! ```
//!
//! * `sentence`: the sentence's 0-based index in the reference file;
//!   `start`: the window's first word, as a 0-based word index into that
//!   sentence; `words`: the window's words, which must equal the sentence's
//!   words `start..start + words.len()` (the check that the window and the
//!   reference agree).
//! * `offsets`, `probs`, `tags`, `tokens`: as in a whole-sentence
//!   [probability file](crate::ner::probs), with character offsets into the
//!   **window's** text (its words joined by single spaces), so a window is
//!   aligned to its words exactly as a sentence is (first subtoken or mean).
//!   Each row of `probs` is a distribution: finite, non-negative, summing
//!   to 1 within [`SUM_TOLERANCE`].
//! * At most one window per sentence and start; every word of every
//!   sentence must be covered by some window.
//!
//! # Merging
//!
//! A word at index `k` of a sentence of `n` words, in the window covering
//! words `a..b`, has the **context** `c = min(left, right)` where `left = k
//! − a` and `right = b − 1 − k`, except that an edge that is the sentence's
//! own start (`a = 0`) or end (`b = n`) cut nothing off and counts as `n`.
//! This is the "maximum context" score of Hugging Face's question-answering
//! scripts, made aware of sentence boundaries: a word at the start of a
//! sentence saw all the left context there is.
//!
//! | rule | the word's distribution |
//! |---|---|
//! | [`Mean`](WindowMerge::Mean) | the mean over the windows covering it |
//! | [`Centre`](WindowMerge::Centre) | the mean weighted by `c + 1` (triangular: a window's central words count most) |
//! | [`MaxContext`](WindowMerge::MaxContext) | the one window with the largest `c`; ties to the longer window, then the earlier start |
//! | [`First`](WindowMerge::First) | the window with the earliest start (a baseline: what ignoring the overlap gives) |
//!
//! With one window per word (no overlap) every rule gives that window's
//! distribution, bit for bit; in particular one window covering a whole
//! sentence gives exactly what the same probabilities given as a sentence
//! would. Merged rows are convex combinations of rows that sum to 1, so
//! they sum to 1 too (within the input's tolerance).
//!
//! Cost: O(L + W log W + N·T) for L window subtokens, W windows, N window
//! words and T tags: windows are bucketed by sentence and sorted by start
//! within it, every window word is merged once.

use crate::error::{Error, ErrorKind, Result};
pub use crate::ner::probs::SUM_TOLERANCE;
use crate::ner::probs::{
    Alignment, SubwordSentence, align_to_words, check_shape, format_error, json_lines,
};
use crate::ner::systems::SystemInput;

/// One window of a window file: where it sits and its probabilities.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// The sentence's 0-based index in the reference.
    pub sentence: usize,
    /// The window's first word in that sentence.
    pub start: usize,
    /// The window's words.
    pub words: Vec<String>,
    /// The subtokens' offsets (into the window's text), tags and
    /// probabilities.
    pub probs: SubwordSentence,
    /// The 1-based line of the file the window came from.
    pub line: usize,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    sentence: usize,
    start: usize,
    words: Vec<String>,
    #[serde(default)]
    tokens: Vec<String>,
    offsets: Vec<[usize; 2]>,
    tags: Vec<String>,
    probs: Vec<Vec<f64>>,
}

/// How the windows covering a word are merged (see the [module
/// docs](self)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WindowMerge {
    /// The plain mean.
    Mean,
    /// The mean weighted by context + 1.
    Centre,
    /// The window where the word has the most context (the default: on the
    /// bundled WNUT-17 taggers it recovers the whole-sentence output).
    #[default]
    MaxContext,
    /// The earliest window (baseline).
    First,
}

impl WindowMerge {
    /// Every rule, in the order reports list them.
    pub const ALL: [WindowMerge; 4] = [
        WindowMerge::Mean,
        WindowMerge::Centre,
        WindowMerge::MaxContext,
        WindowMerge::First,
    ];

    /// The rule's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            WindowMerge::Mean => "mean",
            WindowMerge::Centre => "centre",
            WindowMerge::MaxContext => "max-context",
            WindowMerge::First => "first",
        }
    }
}

impl std::str::FromStr for WindowMerge {
    type Err = Error;

    fn from_str(s: &str) -> Result<WindowMerge> {
        WindowMerge::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidParameter,
                    format!("expected mean, centre, max-context or first, found '{s}'"),
                )
            })
    }
}

/// Whether a probability file's first line is a window (it has a
/// `"sentence"` field) rather than a whole sentence.
///
/// # Errors
///
/// [`ErrorKind::Format`] naming `source` and the line: a first line that is
/// not a JSON object.
pub fn is_window_file(text: &str, source: &str) -> Result<bool> {
    let Some((i, line)) = text
        .split('\n')
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty())
    else {
        return Ok(false);
    };
    let v: serde_json::Value = serde_json::from_str(line.trim()).map_err(|e| {
        Error::new(
            ErrorKind::Format,
            format!("expected a probability object, {e}"),
        )
        .with_source(source)
        .with_line(i + 1)
    })?;
    Ok(v.get("sentence").is_some())
}

/// Parses a window file (see the [module docs](self)).
///
/// # Errors
///
/// [`ErrorKind::Format`] naming `source` and the line: a line that is not a
/// window object, an empty `words`, the checks of
/// [`parse_probs_jsonl`](crate::ner::parse_probs_jsonl), a probability that
/// is not finite and non-negative or a row whose sum is not 1 within
/// [`SUM_TOLERANCE`].
pub fn parse_windows_jsonl(text: &str, source: &str) -> Result<Vec<Window>> {
    let mut out: Vec<Window> = Vec::new();
    for (line_no, line) in json_lines(text) {
        let fmt = |m: String| format_error(m, source, line_no);
        let raw: RawWindow = serde_json::from_str(line).map_err(|e| {
            fmt(format!(
                "expected a window object {{\"sentence\", \"start\", \"words\", \"offsets\", \"tags\", \"probs\"}}, {e}"
            ))
        })?;
        if raw.words.is_empty() {
            return Err(fmt(
                "expected at least one word in the window, found none".into()
            ));
        }
        let probs = SubwordSentence {
            tokens: raw.tokens,
            offsets: raw.offsets,
            tags: raw.tags,
            probs: raw.probs,
        };
        check_shape(&probs, out.first().map(|w| w.probs.tags.as_slice())).map_err(fmt)?;
        out.push(Window {
            sentence: raw.sentence,
            start: raw.start,
            words: raw.words,
            probs,
            line: line_no,
        });
    }
    Ok(out)
}

/// The context of word `k` in the window `a..b` of a sentence of `n` words
/// (see the [module docs](self)).
fn context(k: usize, a: usize, b: usize, n: usize) -> usize {
    let left = if a == 0 { n } else { k - a };
    let right = if b == n { n } else { b - 1 - k };
    left.min(right)
}

/// Merges a window file's windows into one distribution per word of the
/// reference sentences `words`, giving a system input for
/// [`Systems::new`](crate::ner::Systems::new) (see the [module
/// docs](self)). Each window is first aligned to its words by `align`.
///
/// # Errors
///
/// Naming `source`, the line and the sentence:
/// * [`ErrorKind::Mismatch`]: a sentence index past the reference's
///   sentences; a window running past its sentence's end; a window word
///   that differs from the reference's (naming both); two windows with the
///   same start; a word no window covers (naming it); a window word without
///   subtokens.
/// * [`ErrorKind::Format`]: a file without windows.
pub fn merge_windows(
    windows: &[Window],
    words: &[Vec<String>],
    align: Alignment,
    how: WindowMerge,
    source: &str,
) -> Result<SystemInput> {
    let tags = windows
        .first()
        .map(|w| w.probs.tags.clone())
        .ok_or_else(|| {
            Error::new(ErrorKind::Format, "expected window lines, found none").with_source(source)
        })?;
    let mismatch = |w: &Window, m: String| {
        Error::new(ErrorKind::Mismatch, m)
            .with_source(source)
            .with_line(w.line)
            .with_item(format!("sentence {}", w.sentence))
    };
    // Bucket the windows by sentence (a counting sort keeps this linear),
    // then order each bucket by start; file order never matters.
    let mut by_sentence: Vec<Vec<&Window>> = vec![Vec::new(); words.len()];
    for w in windows {
        let Some(ws) = words.get(w.sentence) else {
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "expected a sentence index below {} (the reference's sentences), found {}",
                    words.len(),
                    w.sentence
                ),
            )
            .with_source(source)
            .with_line(w.line));
        };
        let end = w.start + w.words.len();
        if end > ws.len() {
            return Err(mismatch(
                w,
                format!(
                    "expected a window within the sentence's {} words, found words {}..{end}",
                    ws.len(),
                    w.start
                ),
            ));
        }
        if let Some((j, (found, expected))) = w
            .words
            .iter()
            .zip(&ws[w.start..end])
            .enumerate()
            .find(|(_, (f, e))| f != e)
        {
            return Err(mismatch(
                w,
                format!(
                    "word {}: expected '{expected}' (as in the reference), found '{found}'",
                    w.start + j
                ),
            ));
        }
        by_sentence[w.sentence].push(w);
    }
    let n_tags = tags.len();
    let mut merged = Vec::with_capacity(words.len());
    for (i, (ws, mut wins)) in words.iter().zip(by_sentence).enumerate() {
        wins.sort_by_key(|w| (w.start, w.line));
        if let Some(p) = wins.windows(2).find(|p| p[0].start == p[1].start) {
            return Err(mismatch(
                p[1],
                format!(
                    "expected one window per start, found a second one at word {} (the first is on line {})",
                    p[1].start, p[0].line
                ),
            ));
        }
        let n = ws.len();
        let mut rows = vec![vec![0.0; n_tags]; n];
        // Per word: the total weight so far (mean, centre) or the key of the
        // window kept (max-context: context, length; first: any).
        let mut weight = vec![0.0f64; n];
        let mut kept: Vec<Option<(usize, usize)>> = vec![None; n];
        for w in &wins {
            let dist = align_to_words(&w.probs, &w.words, align).map_err(|e| {
                e.with_source(source)
                    .with_line(w.line)
                    .with_item(format!("sentence {i}"))
            })?;
            let (a, b) = (w.start, w.start + w.words.len());
            for (k, p) in (a..b).zip(dist) {
                let c = context(k, a, b, n);
                match how {
                    WindowMerge::Mean | WindowMerge::Centre => {
                        let wk = if how == WindowMerge::Mean {
                            1.0
                        } else {
                            (c + 1) as f64
                        };
                        // A running weighted mean: the first window's row is
                        // copied as it is, so a word with one window gets
                        // exactly that window's distribution.
                        weight[k] += wk;
                        let share = wk / weight[k];
                        if kept[k].is_none() {
                            rows[k] = p;
                            kept[k] = Some((0, 0));
                        } else {
                            for (m, v) in rows[k].iter_mut().zip(&p) {
                                *m += share * (v - *m);
                            }
                        }
                    }
                    WindowMerge::MaxContext => {
                        // Windows come by increasing start, so keeping the
                        // earlier one on a full tie needs a strict `>`.
                        let key = (c, b - a);
                        if kept[k].is_none_or(|best| key > best) {
                            rows[k] = p;
                            kept[k] = Some(key);
                        }
                    }
                    WindowMerge::First => {
                        if kept[k].is_none() {
                            rows[k] = p;
                            kept[k] = Some((0, 0));
                        }
                    }
                }
            }
        }
        if let Some(k) = kept.iter().position(Option::is_none) {
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "expected every word covered by a window, found word {k} ('{}') in none",
                    ws[k]
                ),
            )
            .with_source(source)
            .with_item(format!("sentence {i}")));
        }
        merged.push(rows);
    }
    Ok(SystemInput::Probs {
        tags,
        probs: merged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ner::probs::align_corpus;

    const TAGS: [&str; 3] = ["O", "B-x", "I-x"];

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    /// A window of one subtoken per word with the given rows.
    fn window(sentence: usize, start: usize, ws: &[String], probs: Vec<Vec<f64>>) -> Window {
        let mut offsets = Vec::new();
        let mut pos = 0;
        for w in ws {
            let n = w.chars().count();
            offsets.push([pos, pos + n]);
            pos += n + 1;
        }
        Window {
            sentence,
            start,
            words: ws.to_vec(),
            probs: SubwordSentence {
                tokens: vec![],
                offsets,
                tags: TAGS.iter().map(|t| t.to_string()).collect(),
                probs,
            },
            line: 1 + start,
        }
    }

    fn rows(input: SystemInput) -> Vec<Vec<Vec<f64>>> {
        match input {
            SystemInput::Probs { probs, .. } => probs,
            SystemInput::Tags(_) => unreachable!("merging gives probabilities"),
        }
    }

    /// The merged rows of windows over the one sentence `ws`.
    fn one_sentence(wins: &[Window], ws: &[String], how: WindowMerge) -> Vec<Vec<f64>> {
        let reference = [ws.to_vec()];
        rows(merge_windows(wins, &reference, Alignment::FirstSubtoken, how, "w").unwrap()).remove(0)
    }

    fn onehot(l: usize) -> Vec<f64> {
        let mut r = vec![0.0; 3];
        r[l] = 1.0;
        r
    }

    #[test]
    fn one_window_over_the_sentence_is_the_identity() {
        let ws = words("Jöhn lives in New York");
        let probs = vec![
            vec![0.2, 0.7, 0.1],
            vec![0.9, 0.05, 0.05],
            vec![0.6, 0.3, 0.1],
            vec![0.1, 0.6, 0.3],
            vec![0.3, 0.1, 0.6],
        ];
        let w = window(0, 0, &ws, probs);
        let whole = align_corpus(
            std::slice::from_ref(&w.probs),
            std::slice::from_ref(&ws),
            Alignment::FirstSubtoken,
            "s",
        )
        .unwrap();
        for how in WindowMerge::ALL {
            let m = merge_windows(
                std::slice::from_ref(&w),
                std::slice::from_ref(&ws),
                Alignment::FirstSubtoken,
                how,
                "w",
            )
            .unwrap();
            assert_eq!(m, whole, "{how:?}");
        }
    }

    #[test]
    fn each_rule_on_two_overlapping_windows() {
        // Six words; windows 0..4 and 2..6 overlap on words 2 and 3.
        let ws = words("a b c d e f");
        let a = window(0, 0, &ws[0..4], (0..4).map(|_| onehot(0)).collect());
        let b = window(0, 2, &ws[2..6], (0..4).map(|_| onehot(1)).collect());
        let merge = |how| one_sentence(&[b.clone(), a.clone()], &ws, how);
        let mean = merge(WindowMerge::Mean);
        assert_eq!(mean[0], onehot(0));
        assert_eq!(mean[2], vec![0.5, 0.5, 0.0]);
        assert_eq!(mean[5], onehot(1));
        // Word 2: context 1 in window a (one word to its cut right edge),
        // 0 in window b (at its cut left edge): weights 2 and 1.
        // Word 3: context 0 in a, 1 in b: weights 1 and 2.
        let centre = merge(WindowMerge::Centre);
        assert!((centre[2][0] - 2.0 / 3.0).abs() < 1e-15);
        assert!((centre[3][1] - 2.0 / 3.0).abs() < 1e-15);
        let max = merge(WindowMerge::MaxContext);
        assert_eq!(max[2], onehot(0));
        assert_eq!(max[3], onehot(1));
        let first = merge(WindowMerge::First);
        assert_eq!(first[3], onehot(0));
        assert_eq!(first[4], onehot(1));
    }

    #[test]
    fn max_context_ties_go_to_the_longer_then_the_earlier_window() {
        let ws = words("a b c d");
        // Windows 0..3 and 1..4 of four words: 0..3 starts at the sentence
        // start and 1..4 ends at its end, so only their inner edges cut.
        let a = window(0, 0, &ws[0..3], (0..3).map(|_| onehot(0)).collect());
        let b = window(0, 1, &ws[1..4], (0..3).map(|_| onehot(1)).collect());
        let m = one_sentence(&[a, b], &ws, WindowMerge::MaxContext);
        // Word 2: in a, left 2 / right 0 (cut) → 0; in b, left 1 / right n → 1.
        assert_eq!(m[2], onehot(1));
        // Word 1: in a, left n / right 1 → 1; in b, left 0 → 0.
        assert_eq!(m[1], onehot(0));
        // Equal context and length: the earlier window.
        let ws = words("a b c d e");
        let a = window(0, 1, &ws[1..3], (0..2).map(|_| onehot(0)).collect());
        let b = window(0, 2, &ws[2..4], (0..2).map(|_| onehot(1)).collect());
        let edges = [
            window(0, 0, &ws[0..1], vec![onehot(2)]),
            window(0, 4, &ws[4..5], vec![onehot(2)]),
        ];
        let all = [b, edges[0].clone(), a, edges[1].clone()];
        let m = one_sentence(&all, &ws, WindowMerge::MaxContext);
        assert_eq!(m[2], onehot(0), "both windows give word 2 context 0");
    }

    #[test]
    fn bad_windows_are_named() {
        let ws = words("a b c");
        let refw = std::slice::from_ref(&ws);
        let err = |wins: &[Window]| {
            merge_windows(
                wins,
                refw,
                Alignment::FirstSubtoken,
                WindowMerge::Mean,
                "w.jsonl",
            )
            .unwrap_err()
            .to_string()
        };
        let first_two = window(0, 0, &ws[0..2], vec![onehot(0); 2]);
        assert_eq!(
            err(std::slice::from_ref(&first_two)),
            "w.jsonl: sentence 0: expected every word covered by a window, found word 2 ('c') in none"
        );
        let mut wrong = window(0, 1, &words("b x"), vec![onehot(0); 2]);
        wrong.line = 7;
        assert_eq!(
            err(&[first_two.clone(), wrong]),
            "w.jsonl:7: sentence 0: word 2: expected 'c' (as in the reference), found 'x'"
        );
        let past = window(0, 2, &words("c d"), vec![onehot(0); 2]);
        assert_eq!(
            err(&[past]),
            "w.jsonl:3: sentence 0: expected a window within the sentence's 3 words, found words 2..4"
        );
        let other = window(1, 0, &ws, vec![onehot(0); 3]);
        assert_eq!(
            err(&[other]),
            "w.jsonl:1: expected a sentence index below 1 (the reference's sentences), found 1"
        );
        let mut again = first_two.clone();
        again.line = 9;
        assert_eq!(
            err(&[first_two, again]),
            "w.jsonl:9: sentence 0: expected one window per start, found a second one at word 0 (the first is on line 1)"
        );
        assert_eq!(err(&[]), "w.jsonl: expected window lines, found none");
    }

    #[test]
    fn files_parse_and_bad_lines_are_named() {
        let line = r#"{"sentence": 0, "start": 1, "words": ["b"], "offsets": [[0, 1]], "tags": ["O", "B-x"], "probs": [[0.25, 0.75]]}"#;
        assert!(is_window_file(&format!("\n{line}\n"), "w").unwrap());
        assert!(!is_window_file(r#"{"offsets": [], "tags": [], "probs": []}"#, "w").unwrap());
        let ws = parse_windows_jsonl(&format!("{line}\n\n{line}\n"), "w.jsonl").unwrap();
        assert_eq!(ws.len(), 2);
        assert_eq!((ws[1].line, ws[1].start), (3, 1));
        for (bad, message) in [
            (
                line.replace("0.75", "0.5"),
                "w.jsonl:2: subtoken 0: expected probabilities summing to 1 (within 0.001), found a sum of 0.75",
            ),
            (
                line.replace("0.25", "-0.25").replace("0.75", "1.25"),
                "w.jsonl:2: subtoken 0: expected finite non-negative probabilities, found -0.25",
            ),
            (
                line.replace("[\"b\"]", "[]"),
                "w.jsonl:2: expected at least one word in the window, found none",
            ),
        ] {
            let e = parse_windows_jsonl(&format!("{line}\n{bad}\n"), "w.jsonl").unwrap_err();
            assert_eq!(e.to_string(), message);
        }
        let e = parse_windows_jsonl(r#"{"offsets": [], "tags": [], "probs": []}"#, "w.jsonl")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("w.jsonl:1: expected a window object"),
            "{e}"
        );
    }

    #[test]
    fn rule_names_round_trip() {
        for m in WindowMerge::ALL {
            assert_eq!(m.name().parse::<WindowMerge>().unwrap(), m);
        }
        assert!("median".parse::<WindowMerge>().is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// A sentence of `n` words covered by windows of `size` words every
        /// `stride` words, each row a random distribution.
        fn covered(
            n: usize,
            size: usize,
            stride: usize,
            seed: &[f64],
        ) -> (Vec<String>, Vec<Window>) {
            let ws: Vec<String> = (0..n).map(|i| format!("w{i}")).collect();
            let mut wins = Vec::new();
            let mut start = 0;
            let mut r = 0;
            loop {
                let end = (start + size).min(n);
                let probs = (start..end)
                    .map(|_| {
                        let raw: Vec<f64> = (0..3)
                            .map(|_| {
                                r += 1;
                                seed[r % seed.len()]
                            })
                            .collect();
                        let s: f64 = raw.iter().sum();
                        raw.iter().map(|v| v / s).collect()
                    })
                    .collect();
                wins.push(window(0, start, &ws[start..end], probs));
                if end == n {
                    break;
                }
                start += stride;
            }
            (ws, wins)
        }

        proptest! {
            #[test]
            fn merged_rows_are_distributions(n in 1usize..40, size in 1usize..12, stride_frac in 0.1f64..1.0,
                                             seed in proptest::collection::vec(0.01f64..1.0, 1..50)) {
                let stride = ((size as f64 * stride_frac).ceil() as usize).max(1);
                let (ws, wins) = covered(n, size, stride, &seed);
                for how in WindowMerge::ALL {
                    let m = rows(merge_windows(&wins, std::slice::from_ref(&ws),
                                               Alignment::FirstSubtoken, how, "w").unwrap());
                    prop_assert_eq!(m[0].len(), n);
                    for row in &m[0] {
                        let s: f64 = row.iter().sum();
                        prop_assert!((s - 1.0).abs() < 1e-12, "{:?} sums to {}", how, s);
                        prop_assert!(row.iter().all(|v| (0.0..=1.0 + 1e-15).contains(v)));
                    }
                }
            }

            #[test]
            fn window_order_does_not_matter(n in 1usize..30, size in 1usize..10,
                                            seed in proptest::collection::vec(0.01f64..1.0, 1..30)) {
                let (ws, wins) = covered(n, size, size.div_ceil(2), &seed);
                let mut rev = wins.clone();
                rev.reverse();
                for how in WindowMerge::ALL {
                    let a = merge_windows(&wins, std::slice::from_ref(&ws), Alignment::Mean, how, "w").unwrap();
                    let b = merge_windows(&rev, std::slice::from_ref(&ws), Alignment::Mean, how, "w").unwrap();
                    prop_assert_eq!(a, b);
                }
            }
        }
    }
}
