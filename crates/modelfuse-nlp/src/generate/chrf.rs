//! chrF and chrF++, equal to sacrebleu 2.6.0's `CHRF` with its defaults
//! (`chrF2`: character n-grams up to 6, beta 2, whitespace removed, no
//! lowercasing, no epsilon smoothing; chrF++ adds word n-grams up to 2).
//!
//! A score is computed from [`ChrfStats`], per order the hypothesis n-gram
//! count, the reference n-gram count and their clipped matches. Corpus chrF
//! sums the statistics of all segments, then scores once (it is not the mean
//! of sentence scores). The statistics are integers, so corpus sums do not
//! depend on the order (or the thread) in which segments are counted.
//!
//! sacrebleu's details reproduced here: words for chrF++ are split off one
//! leading or trailing punctuation character (`_remove_punctuation`); an order
//! at which the reference has no n-gram counts zero hypothesis n-grams; the
//! final F-score averages precision and recall over the orders where both
//! sides have n-grams (its "effective order").

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

use super::ngrams::{self, Counts, Words};
use super::segment_metric::SegmentMetric;
use super::tokenize::{is_py_space, py_split};

/// The settings of chrF; [`Chrf::CHRF`] and [`Chrf::CHRF_PP`] are
/// sacrebleu's two standard signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chrf {
    /// The largest character n-gram order (6).
    pub char_order: usize,
    /// The largest word n-gram order (0 for chrF, 2 for chrF++).
    pub word_order: usize,
    /// Recall is `beta` times as important as precision (2).
    pub beta: u32,
}

impl Default for Chrf {
    fn default() -> Self {
        Chrf::CHRF
    }
}

/// The n-grams of one text, ready to be compared with any other text of the
/// same group (see [`Chrf::profiles`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    counts: Counts,
}

/// Sufficient statistics of chrF: per order (character orders first, then
/// word orders) `[hypothesis n-grams, reference n-grams, matches]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChrfStats(pub Vec<[u64; 3]>);

impl AddAssign<&ChrfStats> for ChrfStats {
    fn add_assign(&mut self, other: &ChrfStats) {
        if self.0.is_empty() {
            self.0 = vec![[0; 3]; other.0.len()];
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            for k in 0..3 {
                a[k] += b[k];
            }
        }
    }
}

/// The punctuation of sacrebleu's `CHRF._PUNCTS` (ASCII punctuation).
fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation()
}

/// sacrebleu's `_remove_punctuation`: whitespace-split words, with one
/// trailing (else one leading) punctuation character split off words longer
/// than one character.
fn chrf_words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for w in py_split(text) {
        let mut chars = w.char_indices();
        let (first, last) = (chars.next(), chars.next_back());
        match (first, last) {
            (Some((_, c0)), Some((i_last, c_last))) => {
                if is_punct(c_last) {
                    out.push(&w[..i_last]);
                    out.push(&w[i_last..]);
                } else if is_punct(c0) {
                    let cut = c0.len_utf8();
                    out.push(&w[..cut]);
                    out.push(&w[cut..]);
                } else {
                    out.push(w);
                }
            }
            _ => out.push(w),
        }
    }
    out
}

impl Chrf {
    /// chrF2, sacrebleu's default: `nc:6|nw:0|space:no`.
    pub const CHRF: Chrf = Chrf {
        char_order: 6,
        word_order: 0,
        beta: 2,
    };

    /// chrF++ (sacrebleu `--chrf-word-order 2`).
    pub const CHRF_PP: Chrf = Chrf {
        char_order: 6,
        word_order: 2,
        beta: 2,
    };

    /// Counts the n-grams of each text once, with ids shared across `texts`
    /// so that any two of the returned profiles can be compared by
    /// [`Chrf::stats`]. Profiles of different calls must not be mixed.
    ///
    /// O(total characters · orders).
    pub fn profiles(&self, texts: &[&str]) -> Vec<Profile> {
        let chars: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| {
                t.chars()
                    .filter(|&c| !is_py_space(c))
                    .map(u32::from)
                    .collect()
            })
            .collect();
        let mut counts = ngrams::count_all(&chars, self.char_order);
        if self.word_order > 0 {
            let mut words = Words::default();
            let seqs: Vec<Vec<u32>> = texts
                .iter()
                .map(|t| chrf_words(t).into_iter().map(|w| words.id(w)).collect())
                .collect();
            let word_counts = ngrams::count_all(&seqs, self.word_order);
            for (c, w) in counts.iter_mut().zip(word_counts) {
                c.orders.extend(w.orders);
            }
        }
        counts
            .into_iter()
            .map(|counts| Profile { counts })
            .collect()
    }

    /// The statistics of hypothesis `hyp` against reference `reference`
    /// (profiles from the same [`Chrf::profiles`] call). O(n-grams).
    pub fn stats(&self, hyp: &Profile, reference: &Profile) -> ChrfStats {
        ChrfStats(
            hyp.counts
                .orders
                .iter()
                .zip(&reference.counts.orders)
                .map(|(h, r)| {
                    // sacrebleu: `hyp_count if ref_ngrams else 0`.
                    let n_hyp = if r.total > 0 { h.total } else { 0 };
                    [n_hyp, r.total, h.clipped_matches(r)]
                })
                .collect(),
        )
    }

    /// Both directions at once, `(chrF(a against b), chrF(b against a))`:
    /// clipped matches are symmetric, so they are counted once for the pair.
    /// This is what makes pairwise MBR cost one merge per unordered pair.
    pub fn pair(&self, a: &Profile, b: &Profile) -> (f64, f64) {
        let mut ab = Vec::with_capacity(a.counts.orders.len());
        let mut ba = Vec::with_capacity(a.counts.orders.len());
        for (x, y) in a.counts.orders.iter().zip(&b.counts.orders) {
            let m = x.clipped_matches(y);
            ab.push([if y.total > 0 { x.total } else { 0 }, y.total, m]);
            ba.push([if x.total > 0 { y.total } else { 0 }, x.total, m]);
        }
        (self.score(&ChrfStats(ab)), self.score(&ChrfStats(ba)))
    }

    /// The chrF score (0 to 100) of summed statistics, computed in the same
    /// operation order as sacrebleu so the result agrees to the last bit.
    pub fn score(&self, stats: &ChrfStats) -> f64 {
        let factor = f64::from(self.beta * self.beta);
        let (mut avg_prec, mut avg_rec, mut effective) = (0.0f64, 0.0f64, 0u32);
        for &[n_hyp, n_ref, n_match] in &stats.0 {
            if n_hyp > 0 && n_ref > 0 {
                avg_prec += n_match as f64 / n_hyp as f64;
                avg_rec += n_match as f64 / n_ref as f64;
                effective += 1;
            }
        }
        if effective == 0 {
            return 0.0;
        }
        avg_prec /= f64::from(effective);
        avg_rec /= f64::from(effective);
        if avg_prec + avg_rec == 0.0 {
            return 0.0;
        }
        let mut score = (1.0 + factor) * avg_prec * avg_rec;
        score /= factor * avg_prec + avg_rec;
        100.0 * score
    }

    /// The statistics of `hyp` against several references: those of the
    /// reference giving the highest chrF (the first such, as sacrebleu keeps
    /// a reference only when its score is strictly higher).
    pub fn best_stats(&self, hyp: &Profile, references: &[Profile]) -> ChrfStats {
        let mut best = (ChrfStats::default(), -1.0);
        for r in references {
            let stats = self.stats(hyp, r);
            let f = self.score(&stats);
            if f > best.1 {
                best = (stats, f);
            }
        }
        best.0
    }
}

/// chrF against several references keeps the best one
/// ([`Chrf::best_stats`]), as sacrebleu does.
impl SegmentMetric for Chrf {
    type Profile = Profile;
    type Stats = ChrfStats;

    fn profiles(&self, texts: &[&str]) -> Vec<Profile> {
        Chrf::profiles(self, texts)
    }

    fn stats(&self, hyp: &Profile, reference: &Profile) -> ChrfStats {
        Chrf::stats(self, hyp, reference)
    }

    fn stats_multi(&self, hyp: &Profile, references: &[Profile]) -> ChrfStats {
        self.best_stats(hyp, references)
    }

    fn score(&self, stats: &ChrfStats) -> f64 {
        Chrf::score(self, stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chrf_words_split_one_punctuation_character() {
        assert_eq!(
            chrf_words("(hi) Hello, world. a ... \"x"),
            [
                "(hi", ")", "Hello", ",", "world", ".", "a", "..", ".", "\"", "x"
            ]
        );
    }

    #[test]
    fn identical_texts_score_100_and_empty_ones_0() {
        let c = Chrf::CHRF;
        assert_eq!(c.sentence("Das ist gut.", "Das ist gut."), 100.0);
        assert_eq!(c.sentence("", "Das ist gut."), 0.0);
        assert_eq!(c.sentence("", ""), 0.0);
        assert_eq!(Chrf::CHRF_PP.sentence("a b c", "a b c"), 100.0);
    }

    #[test]
    fn pair_equals_two_single_directions() {
        let c = Chrf::CHRF_PP;
        let (a, b) = ("Der Hund bellt laut.", "Ein Hund bellte.");
        let p = c.profiles(&[a, b]);
        assert_eq!(c.pair(&p[0], &p[1]), (c.sentence(a, b), c.sentence(b, a)));
    }

    #[test]
    fn whitespace_is_ignored_by_chrf2() {
        let c = Chrf::CHRF;
        assert_eq!(c.sentence("ab cd", "abcd"), 100.0);
    }

    #[test]
    fn an_order_the_reference_lacks_counts_no_hypothesis_grams() {
        let c = Chrf::CHRF;
        let p = c.profiles(&["abcdefgh", "ab"]);
        let s = c.stats(&p[0], &p[1]);
        assert_eq!(s.0[0], [8, 2, 2]);
        assert_eq!(s.0[2], [0, 0, 0]);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn chrf_of_a_text_against_itself_is_100(text in "\\PC{0,40}") {
                // A text with no non-whitespace character has no n-grams at
                // all, and sacrebleu scores it 0 (as we do).
                prop_assume!(text.chars().any(|c| !is_py_space(c)));
                prop_assert_eq!(Chrf::CHRF.sentence(&text, &text), 100.0);
                prop_assert_eq!(Chrf::CHRF_PP.sentence(&text, &text), 100.0);
            }

            #[test]
            fn chrf_lies_between_0_and_100(a in "[a-d ]{0,20}", b in "[a-d ]{0,20}") {
                let v = Chrf::CHRF.sentence(&a, &b);
                prop_assert!((0.0..=100.0).contains(&v));
            }
        }
    }
}
