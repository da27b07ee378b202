//! Named entity recognition: read taggers' outputs, score them as seqeval
//! does, and fuse them.
//!
//! Taggers fine-tuned on the same data make different mistakes, so fusing
//! them helps, but voting token by token breaks the BIO structure (`B-x`
//! from some systems, `I-y` from others). The fusers here keep it: every
//! fused sentence is valid IOB2.
//!
//! # Overview
//!
//! 1. **Read** ([`parse_conll`], [`parse_columns`]): CoNLL files (one per
//!    system) or a column file; [`check_aligned`] checks each system against
//!    the gold, sentence by sentence, naming the file, line and sentence.
//!    Probabilities from subword models: [`parse_probs_jsonl`] and
//!    [`align_corpus`]; given per window of a sentence:
//!    [`parse_windows_jsonl`] and [`merge_windows`] (overlapping windows
//!    merged per word by a [`WindowMerge`] rule before decoding).
//! 2. **Score** ([`evaluate`], [`Mode`]): entity-level P/R/F1 per type and
//!    micro-averaged, equal to seqeval 1.2.2 in its default (conlleval) and
//!    strict IOB2 modes.
//! 3. **Fuse** ([`Systems`], [`NerFuser`] → [`FittedNer`]): token vote +
//!    repair, constrained Viterbi, or span vote; weights and thresholds
//!    learnable on labelled sentences; the fitted state saves as versioned
//!    JSON and checks system names on use.
//! 4. **Compare** ([`halves`], [`paired_bootstrap`]): fit on one seeded half,
//!    score on the other, and bootstrap the gain over sentences.
//!
//! | method | what | cost per sentence of n tokens, M systems, T labels |
//! |---|---|---|
//! | token vote | weighted vote per token, then `I-x` not continuing `x` → `B-x` | O(M·n + n·T) |
//! | Viterbi | best valid IOB2 path under averaged probabilities | O(M·n·T + n·T²) |
//! | span vote | weighted vote per exact span, threshold, greedy overlap resolution | O(S log S), S spans |
//!
//! Same inputs give the same bytes out: systems are sorted by name, ties are
//! broken by documented rules, maps are ordered.
//!
//! # Example
//!
//! ```
//! use modelfuse_nlp::ner::{Mode, NerFuser, NerMethod, Systems, evaluate, parse_conll};
//!
//! let gold = parse_conll("John B-PER\nSmith I-PER\nsings O\n", "gold.conll")?;
//! let a = parse_conll("John B-PER\nSmith I-PER\nsings O\n", "a.conll")?;
//! let b = parse_conll("John O\nSmith I-PER\nsings O\n", "b.conll")?;
//! let c = parse_conll("John B-PER\nSmith O\nsings B-LOC\n", "c.conll")?;
//! let systems = Systems::from_tags(
//!     vec![("a".into(), a.tags()), ("b".into(), b.tags()), ("c".into(), c.tags())],
//!     [],
//! )?;
//! let fused = NerFuser::new(NerMethod::TokenVote).fit(&systems, None, &[])?.predict(&systems)?;
//! let e = evaluate(&gold.tags(), &fused, Mode::Conlleval)?;
//! assert_eq!(e.overall.f1, 1.0);
//! # Ok::<(), modelfuse_nlp::Error>(())
//! ```

pub mod compare;
pub mod conll;
pub mod fuser;
pub mod metrics;
pub mod probs;
pub mod report;
pub mod span_vote;
pub mod systems;
pub mod tag;
#[cfg(test)]
mod test_support;
pub mod token_vote;
pub mod viterbi;
pub mod windows;

pub use compare::{Gain, f1_over, halves, paired_bootstrap};
pub use conll::{Sentence, Tagged, check_aligned, parse_columns, parse_conll};
pub use fuser::{
    FitSummary, FittedNer, MAX_ROUNDS, NerFuser, NerMethod, NerState, THRESHOLD_GRID, WEIGHT_GRID,
};
pub use metrics::{
    Counts, Entity, Evaluation, Mode, Scores, TypeCounts, corpus_counts, counts_of, entities,
    evaluate, sentence_counts,
};
pub use probs::{Alignment, SubwordSentence, align_corpus, align_to_words, parse_probs_jsonl};
pub use report::{Direction, NerReport, ReportRow, report, report_fusers, system_tags};
pub use systems::{Span, SystemInput, Systems};
pub use tag::{LabelSet, Prefix, Tag, allowed, is_valid_iob2, repair_iob2};
pub use windows::{Window, WindowMerge, is_window_file, merge_windows, parse_windows_jsonl};

/// Writes sentences as CoNLL text: `token<TAB>tag` per line, a blank line
/// after each sentence, LF line ends (deterministic bytes).
///
/// # Panics
///
/// When a sentence has fewer tags than tokens or the reverse.
pub fn write_conll(tokens: &[Vec<String>], tags: &[Vec<Tag>]) -> String {
    let mut out = String::new();
    for (ws, ts) in tokens.iter().zip(tags) {
        assert_eq!(ws.len(), ts.len(), "every token needs a tag");
        for (w, t) in ws.iter().zip(ts) {
            out.push_str(w);
            out.push('\t');
            out.push_str(&t.to_string());
            out.push('\n');
        }
        out.push('\n');
    }
    out
}
