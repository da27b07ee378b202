//! Fuse generated text (translations, summaries, answers) by consensus.
//!
//! Several systems produce a candidate (or an n-best list) for every
//! segment; fusion picks, per segment, the candidate the others support
//! most: **minimum Bayes risk (MBR) selection** with a pairwise utility
//! (chrF by default, sentence BLEU, or scores you supply), optionally with
//! per-system weights learned on a development set, or **exact-match
//! majority voting** for short answers. The metrics equal sacrebleu 2.6.0's.
//!
//! # Overview
//!
//! - [`Candidates`]: every system's candidates for every segment, aligned
//!   and checked (built from [`SystemOutput`]s: plain text or n-best JSONL).
//! - [`Chrf`] and [`Bleu`]: corpus and sentence chrF / chrF++ / BLEU, equal
//!   to sacrebleu's default signatures (`13a` or `zh` [`Tokenizer`]); their
//!   sentence and corpus scores come from the one [`SegmentMetric`] trait.
//! - [`UtilityMatrices`]: each segment's K×K pairwise utilities, computed
//!   once with every candidate's n-grams counted once.
//! - [`Mbr`] (settings) selects; [`WeightSearch`] fits per-system weights
//!   into a [`FittedMbr`] (versioned JSON, systems checked by name); [`vote`]
//!   votes.
//! - [`report()`]: every method beside every system, the oracle, and learned
//!   weights scored on held-out halves.
//!
//! # Example
//!
//! ```
//! use modelfuse_nlp::generate::{Candidates, Mbr, SystemOutput, Utility, UtilityMatrices};
//!
//! let candidates = Candidates::new(vec![
//!     SystemOutput::from_lines("a", "The cat sat on the mat.\n"),
//!     SystemOutput::from_lines("b", "The cat sat on a mat.\n"),
//!     SystemOutput::from_lines("c", "A dog barked.\n"),
//! ])?;
//! let matrices = UtilityMatrices::compute(Utility::Chrf, &candidates)?;
//! let fused = Mbr::default().predict(&matrices, &candidates, &[1.0, 1.0, 1.0]);
//! assert_eq!(fused, ["The cat sat on the mat."]);
//! # Ok::<(), modelfuse_nlp::Error>(())
//! ```
//!
//! # Complexity
//!
//! For S systems with one candidate each, N segments of L characters: the
//! n-grams of each candidate are counted once, O(S·N·L); the pairwise
//! utilities cost O(S²·N·L) (one merge of sorted n-gram lists per unordered
//! pair gives both directions); selection given the utilities is O(S²·N);
//! each step of the weight search O(S²·N). Segments run in parallel on all
//! cores with rayon, each computed by itself, so no result depends on the
//! number of threads. Memory: O(S²·N) for the utility matrices.

mod bleu;
mod candidates;
mod chrf;
mod fit;
mod mbr;
mod ngrams;
mod report;
mod segment_metric;
mod tokenize;
mod utility;
mod vote;

pub use bleu::{Bleu, BleuStats, MAX_ORDER, Profile as BleuProfile};
pub use candidates::{Candidate, Candidates, SystemOutput};
pub use chrf::{Chrf, ChrfStats, Profile as ChrfProfile};
pub use fit::{FitSummary, FittedMbr, Method, ReferenceStats, WeightSearch};
pub use mbr::Mbr;
pub use report::{HeldOut, Report, ReportSettings, Row, RowKind, halves, report};
pub use segment_metric::SegmentMetric;
pub use tokenize::{Tokenizer, is_py_space, py_split};
pub use utility::{Utility, UtilityMatrices};
pub use vote::{normalize_whitespace, vote};

#[cfg(test)]
mod tests {
    use super::*;

    /// A server shares fitted fusers and candidates across threads.
    #[test]
    fn autotraits() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Candidates>();
        send_sync::<UtilityMatrices>();
        send_sync::<FittedMbr>();
        send_sync::<Mbr>();
        send_sync::<ReferenceStats>();
        send_sync::<crate::Error>();
    }
}
