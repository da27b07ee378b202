//! BLEU, equal to sacrebleu 2.6.0's `BLEU` with its defaults: word n-grams up
//! to 4 after the `13a` (or `zh`) tokeniser, exponential smoothing (NIST's
//! "smooth 3", used only when an order has no match), a brevity penalty from
//! the summed lengths. Sentence BLEU additionally uses the effective order, as
//! sacrebleu's `sentence_bleu` does: orders the hypothesis is too short to
//! have are left out of the geometric mean instead of zeroing it.
//!
//! Like chrF, a score comes from integer [`BleuStats`], which corpus BLEU sums
//! over segments before scoring once.

use std::ops::AddAssign;

use serde::{Deserialize, Serialize};

use super::ngrams::{self, Counts, Words};
use super::segment_metric::SegmentMetric;
use super::tokenize::Tokenizer;

/// The largest n-gram order of BLEU.
pub const MAX_ORDER: usize = 4;

/// The settings of BLEU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bleu {
    /// The tokeniser applied to hypotheses and references.
    pub tokenizer: Tokenizer,
    /// Leave out of the geometric mean the orders at which the hypothesis has
    /// no n-gram (sacrebleu's `effective_order`; on for sentence BLEU).
    pub effective_order: bool,
}

/// Sufficient statistics of BLEU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BleuStats {
    /// Hypothesis tokens.
    pub hyp_len: u64,
    /// Reference tokens.
    pub ref_len: u64,
    /// Clipped n-gram matches per order.
    pub correct: [u64; MAX_ORDER],
    /// Hypothesis n-grams per order.
    pub total: [u64; MAX_ORDER],
}

impl AddAssign<&BleuStats> for BleuStats {
    fn add_assign(&mut self, o: &BleuStats) {
        self.hyp_len += o.hyp_len;
        self.ref_len += o.ref_len;
        for n in 0..MAX_ORDER {
            self.correct[n] += o.correct[n];
            self.total[n] += o.total[n];
        }
    }
}

/// The tokenised n-grams of one text (see [`Bleu::profiles`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    counts: Counts,
}

/// sacrebleu's `my_log`: the log, with log(0) floored at -9999999999.
fn floored_log(x: f64) -> f64 {
    if x == 0.0 { -9_999_999_999.0 } else { x.ln() }
}

impl Bleu {
    /// Corpus BLEU as sacrebleu's `corpus_bleu` / `BLEU()` computes it.
    pub fn corpus_default(tokenizer: Tokenizer) -> Bleu {
        Bleu {
            tokenizer,
            effective_order: false,
        }
    }

    /// Sentence BLEU as sacrebleu's `sentence_bleu` computes it.
    pub fn sentence_default(tokenizer: Tokenizer) -> Bleu {
        Bleu {
            tokenizer,
            effective_order: true,
        }
    }

    /// Tokenises and counts the n-grams of each text once, with ids shared
    /// across `texts` (compare only profiles of the same call).
    pub fn profiles(&self, texts: &[&str]) -> Vec<Profile> {
        let tokenized: Vec<String> = texts.iter().map(|t| self.tokenizer.tokenize(t)).collect();
        let mut words = Words::default();
        let seqs: Vec<Vec<u32>> = tokenized
            .iter()
            .map(|t| {
                t.split(' ')
                    .filter(|w| !w.is_empty())
                    .map(|w| words.id(w))
                    .collect()
            })
            .collect();
        ngrams::count_all(&seqs, MAX_ORDER)
            .into_iter()
            .map(|counts| Profile { counts })
            .collect()
    }

    /// The statistics of `hyp` against one reference.
    pub fn stats(&self, hyp: &Profile, reference: &Profile) -> BleuStats {
        let mut s = BleuStats {
            hyp_len: hyp.counts.orders[0].total,
            ref_len: reference.counts.orders[0].total,
            ..BleuStats::default()
        };
        for n in 0..MAX_ORDER {
            let (h, r) = (&hyp.counts.orders[n], &reference.counts.orders[n]);
            s.total[n] = h.total;
            s.correct[n] = h.clipped_matches(r);
        }
        s
    }

    /// The statistics of `hyp` against several references, as sacrebleu
    /// computes them: each n-gram clipped by its largest count in any
    /// reference, and the reference length closest to the hypothesis length
    /// (ties: the shorter).
    pub fn stats_multi(&self, hyp: &Profile, references: &[Profile]) -> BleuStats {
        let Some((first, rest)) = references.split_first() else {
            return BleuStats {
                hyp_len: hyp.counts.orders[0].total,
                total: std::array::from_fn(|n| hyp.counts.orders[n].total),
                ..BleuStats::default()
            };
        };
        let mut merged = first.counts.orders.clone();
        for r in rest {
            for (m, o) in merged.iter_mut().zip(&r.counts.orders) {
                *m = m.max_union(o);
            }
        }
        let hyp_len = hyp.counts.orders[0].total;
        let mut closest: Option<(u64, u64)> = None;
        for r in references {
            let len = r.counts.orders[0].total;
            let diff = hyp_len.abs_diff(len);
            closest = match closest {
                Some((d, l)) if d < diff || (d == diff && l <= len) => Some((d, l)),
                _ => Some((diff, len)),
            };
        }
        let mut s = BleuStats {
            hyp_len,
            ref_len: closest.map_or(0, |(_, l)| l),
            ..BleuStats::default()
        };
        for n in 0..MAX_ORDER {
            s.total[n] = hyp.counts.orders[n].total;
            s.correct[n] = hyp.counts.orders[n].clipped_matches(&merged[n]);
        }
        s
    }

    /// The BLEU score (0 to 100) of summed statistics, in sacrebleu's
    /// operation order (`compute_bleu` with `smooth_method="exp"`).
    pub fn score(&self, s: &BleuStats) -> f64 {
        let bp = if s.hyp_len < s.ref_len {
            if s.hyp_len > 0 {
                (1.0 - s.ref_len as f64 / s.hyp_len as f64).exp()
            } else {
                0.0
            }
        } else {
            1.0
        };
        if s.correct.iter().all(|&c| c == 0) {
            return 0.0;
        }
        let mut precisions = [0.0f64; MAX_ORDER];
        let mut smooth = 1.0f64;
        let mut eff_order = MAX_ORDER;
        for n in 0..MAX_ORDER {
            if s.total[n] == 0 {
                break;
            }
            if self.effective_order {
                eff_order = n + 1;
            }
            precisions[n] = if s.correct[n] == 0 {
                smooth *= 2.0;
                100.0 / (smooth * s.total[n] as f64)
            } else {
                100.0 * s.correct[n] as f64 / s.total[n] as f64
            };
        }
        // Python's `sum` starts from 0 and adds left to right.
        let mut sum = 0.0f64;
        for &p in &precisions[..eff_order] {
            sum += floored_log(p);
        }
        bp * (sum / eff_order as f64).exp()
    }
}

impl SegmentMetric for Bleu {
    type Profile = Profile;
    type Stats = BleuStats;

    fn profiles(&self, texts: &[&str]) -> Vec<Profile> {
        Bleu::profiles(self, texts)
    }

    fn stats(&self, hyp: &Profile, reference: &Profile) -> BleuStats {
        Bleu::stats(self, hyp, reference)
    }

    fn stats_multi(&self, hyp: &Profile, references: &[Profile]) -> BleuStats {
        Bleu::stats_multi(self, hyp, references)
    }

    fn score(&self, stats: &BleuStats) -> f64 {
        Bleu::score(self, stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_sentences_score_100() {
        let b = Bleu::sentence_default(Tokenizer::Thirteen);
        assert!(
            (b.sentence("The cat sat on the mat.", "The cat sat on the mat.") - 100.0).abs() < 1e-9
        );
        // Two tokens: effective order 2, still a perfect match.
        assert!((b.sentence("Hi !", "Hi !") - 100.0).abs() < 1e-9);
        assert_eq!(b.sentence("", "Hi"), 0.0);
    }

    #[test]
    fn without_effective_order_short_sentences_are_penalised() {
        let b = Bleu::corpus_default(Tokenizer::Thirteen);
        assert!(b.sentence("Hi !", "Hi !") < 100.0);
    }
}
