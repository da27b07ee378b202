//! What BLEU and chrF share: a score computed from integer statistics that
//! sum over segments, so a corpus score is the score of the summed
//! statistics and a sentence score that of one segment's.

use std::ops::AddAssign;

use rayon::prelude::*;

/// A metric scored from per-segment statistics that add up ([`super::Bleu`],
/// [`super::Chrf`]). A metric gives its profiles, the statistics of a
/// hypothesis against one or several references, and the score of summed
/// statistics; the sentence and corpus scores follow, the same for both.
pub trait SegmentMetric: Sync {
    /// A text's n-gram counts, comparable with the other profiles of one
    /// [`SegmentMetric::profiles`] call.
    type Profile;
    /// Statistics of one or more segments; `+=` sums them exactly (integers,
    /// so sums do not depend on their order or the thread count).
    type Stats: Default + Send + for<'a> AddAssign<&'a Self::Stats>;

    /// Counts the n-grams of each text once.
    fn profiles(&self, texts: &[&str]) -> Vec<Self::Profile>;

    /// The statistics of `hyp` against one reference.
    fn stats(&self, hyp: &Self::Profile, reference: &Self::Profile) -> Self::Stats;

    /// The statistics of `hyp` against several references, by the metric's
    /// own rule (BLEU clips by the largest count in any reference; chrF
    /// keeps the best reference).
    fn stats_multi(&self, hyp: &Self::Profile, references: &[Self::Profile]) -> Self::Stats;

    /// The score (0–100) of summed statistics.
    fn score(&self, stats: &Self::Stats) -> f64;

    /// The score of one hypothesis against one reference.
    fn sentence(&self, hyp: &str, reference: &str) -> f64 {
        let p = self.profiles(&[hyp, reference]);
        self.score(&self.stats(&p[0], &p[1]))
    }

    /// The summed statistics of aligned hypotheses and references (lengths
    /// must match: the caller checks them and names the files); segments are
    /// counted in parallel.
    fn corpus_stats(&self, hyps: &[&str], refs: &[&str]) -> Self::Stats {
        self.corpus_stats_multi(hyps, &[refs])
    }

    /// [`SegmentMetric::corpus_stats`] with several reference streams
    /// (`refs[stream][segment]`).
    fn corpus_stats_multi(&self, hyps: &[&str], refs: &[&[&str]]) -> Self::Stats {
        debug_assert!(refs.iter().all(|r| r.len() == hyps.len()));
        hyps.par_iter()
            .enumerate()
            .map(|(i, h)| {
                let mut texts = vec![*h];
                texts.extend(refs.iter().map(|r| r[i]));
                let p = self.profiles(&texts);
                self.stats_multi(&p[0], &p[1..])
            })
            .reduce(Self::Stats::default, |mut a, b| {
                a += &b;
                a
            })
    }

    /// The corpus score: statistics summed over the segments, then one
    /// score (sacrebleu's `corpus_score`).
    fn corpus(&self, hyps: &[&str], refs: &[&str]) -> f64 {
        self.score(&self.corpus_stats(hyps, refs))
    }

    /// The corpus score against several reference streams.
    fn corpus_multi(&self, hyps: &[&str], refs: &[&[&str]]) -> f64 {
        self.score(&self.corpus_stats_multi(hyps, refs))
    }
}
