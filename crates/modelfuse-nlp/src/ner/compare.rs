//! Honest comparisons: seeded halves of the sentences, and a paired
//! bootstrap over sentences for the gain in entity F1 of one prediction over
//! another.
//!
//! # Halves, exactly
//!
//! [`halves`] (the core's `modelfuse::learn::folds::halves`, the one split
//! of every NLP task) shuffles the sentence indices `0..n` with
//! `modelfuse::learn::rng::Rng::new(seed).shuffle` (Fisher–Yates over
//! SplitMix64, the core's generator, so a seed means the same split in every
//! release); the first `⌈n/2⌉` shuffled indices, sorted, are half A, the
//! rest, sorted, half B.
//!
//! # Bootstrap, exactly
//!
//! Entity F1 is a corpus-level number (counts are summed, then divided), so
//! resampling works on sentences and recomputes the counts: resample `r`
//! draws `n` sentence indices with `Rng::new(seed).fork(r).below(n)`, sums
//! the two predictions' per-sentence counts over the draw, and takes the
//! difference of their micro F1. The interval is NumPy's default (`linear`)
//! percentile interval of those differences; the p-value is the core's
//! (`modelfuse::verdict::Comparison`): `min(1, 2·min(#{g ≤ 0}, #{g ≥ 0}) / B)`.
//!
//! Cost: O(B · n) for B resamples of n sentences.

use modelfuse::verdict::{BootstrapOptions, paired_comparison_by};

use crate::error::{Error, ErrorKind, Result};
use crate::ner::metrics::Counts;

/// Splits `0..n` into two seeded halves: the core's one split,
/// [`modelfuse::learn::folds::halves`] (see the [module docs](self)).
pub use modelfuse::learn::folds::halves;

/// The micro F1 of summed counts over `picks` (indices into `counts`).
pub fn f1_over(counts: &[Counts], picks: impl IntoIterator<Item = usize>) -> f64 {
    let mut c = Counts::default();
    for i in picks {
        c.add(counts[i]);
    }
    c.scores().f1
}

/// The gain in F1 of `a` over `b` (fractions; positive: `a` is better).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Gain {
    /// The gain on all sentences.
    pub gain: f64,
    /// The lower bound of its percentile interval.
    pub low: f64,
    /// The upper bound.
    pub high: f64,
    /// The two-sided bootstrap p-value of "no gain".
    pub p_value: f64,
}

/// The paired bootstrap of the F1 gain of `a` over `b`, given each one's
/// per-sentence counts (micro totals) on the same sentences.
///
/// # Errors
///
/// [`ErrorKind::InvalidParameter`]: no resamples, a confidence outside
/// `(0, 1)`, no sentences; [`ErrorKind::Mismatch`]: `a` and `b` of
/// different lengths.
pub fn paired_bootstrap(
    a: &[Counts],
    b: &[Counts],
    n_resamples: usize,
    confidence: f64,
    seed: u64,
) -> Result<Gain> {
    if a.len() != b.len() {
        return Err(Error::new(
            ErrorKind::Mismatch,
            format!(
                "expected counts for {} sentences, found {}",
                a.len(),
                b.len()
            ),
        ));
    }
    if n_resamples == 0 || a.is_empty() || !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            format!(
                "expected resamples > 0, sentences > 0 and a confidence in (0, 1), found {n_resamples}, {} and {confidence}",
                a.len()
            ),
        ));
    }
    // The core's paired bootstrap over additive per-item statistics: the
    // same draws, interval and p-value as every other comparison in
    // modelfuse. Counts are small integers, exact in f64.
    let stats = |c: &[Counts]| -> Vec<f64> {
        c.iter()
            .flat_map(|c| [c.tp as f64, c.predicted as f64, c.gold as f64])
            .collect()
    };
    let f1 = |sum: &[f64]| {
        Some(
            Counts {
                tp: sum[0] as usize,
                predicted: sum[1] as usize,
                gold: sum[2] as usize,
            }
            .scores()
            .f1,
        )
    };
    let opts = BootstrapOptions {
        n_resamples,
        confidence,
        seed,
    };
    let c = paired_comparison_by(&stats(a), &stats(b), 3, true, f1, &opts)?;
    Ok(Gain {
        gain: c.gain,
        low: c.low,
        high: c.high,
        p_value: c.p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_partition_and_depend_on_the_seed() {
        let (a, b) = halves(11, 3);
        assert_eq!((a.len(), b.len()), (6, 5));
        let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..11).collect::<Vec<_>>());
        assert_eq!(halves(11, 3), (a.clone(), b));
        assert_ne!(halves(11, 4).0, a);
    }

    #[test]
    fn a_prediction_always_better_has_p_zero() {
        let good = Counts {
            tp: 1,
            predicted: 1,
            gold: 1,
        };
        let bad = Counts {
            tp: 0,
            predicted: 1,
            gold: 1,
        };
        let g = paired_bootstrap(&[good; 30], &[bad; 30], 200, 0.95, 1).unwrap();
        assert_eq!((g.gain, g.low, g.high, g.p_value), (1.0, 1.0, 1.0, 0.0));
        let same = paired_bootstrap(&[good; 5], &[good; 5], 50, 0.95, 1).unwrap();
        assert_eq!(same.p_value, 1.0);
    }
}
