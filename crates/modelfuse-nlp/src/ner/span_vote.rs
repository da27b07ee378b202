//! Entity-level voting: each system votes for its exact spans.
//!
//! A span `(start, end, type)` predicted by system `s` gets `s`'s weight for
//! that type; its **support** is the sum of the weights of the systems that
//! predicted exactly that span, divided by the sum of all systems' weights
//! for the type (so support is in `[0, 1]`, and 0.5 means "half the weight").
//! Spans with support ≥ the threshold (less a tolerance of 1e-9, so that
//! `3/6 ≥ 0.5` holds in floating point) are candidates. Overlapping
//! candidates are resolved greedily in this order: highest support, then
//! longer, then earlier start, then lower type index; a candidate is kept
//! when it overlaps no span kept before it.
//!
//! Because support is normalised per type, per-type weights also set a bar
//! per type: a weight on a system that never predicts type `k` adds to
//! `k`'s total only, so `k`'s spans need more support. Learning uses this.
//!
//! Systems' spans are read the conlleval way (seqeval's default), so an
//! `I-x` after `O` is a span here too.
//!
//! Cost: O(S log S) per sentence for S spans over all systems (sorting twice;
//! the overlap check is against kept spans, which do not overlap, so at most
//! `tokens` of them).

use crate::ner::systems::{Span, Systems, iob2_of_spans};

/// Numerical slack on the threshold comparison.
const TOLERANCE: f64 = 1e-9;

/// The spans of sentence `i` with their support, in the order they are
/// considered (support desc, length desc, start, type); `w[s][k]` is system
/// `s`'s weight for type `k`, and `totals[k]` the sum over systems.
pub(crate) fn candidates(
    sys: &Systems,
    i: usize,
    w: &[Vec<f64>],
    totals: &[f64],
) -> Vec<(Span, f64)> {
    let mut votes: Vec<(Span, usize)> = Vec::new();
    for s in 0..sys.names().len() {
        votes.extend(sys.spans(s, i).iter().map(|&sp| (sp, s)));
    }
    votes.sort_unstable();
    let mut out: Vec<(Span, f64)> = Vec::new();
    for (sp, s) in votes {
        let add = w[s][sp.kind];
        match out.last_mut() {
            Some((last, sum)) if *last == sp => *sum += add,
            _ => out.push((sp, add)),
        }
    }
    for (sp, sum) in &mut out {
        let t = totals[sp.kind];
        *sum = if t > 0.0 { *sum / t } else { 0.0 };
    }
    out.sort_by(|(a, x), (b, y)| {
        y.total_cmp(x)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
            .then(a.kind.cmp(&b.kind))
    });
    out
}

/// The kept spans among ordered candidates at `threshold`.
pub(crate) fn select(cands: &[(Span, f64)], threshold: f64) -> Vec<Span> {
    let mut kept: Vec<Span> = Vec::new();
    for &(sp, support) in cands {
        if support <= 0.0 || support < threshold - TOLERANCE {
            continue;
        }
        if kept.iter().all(|k| k.end <= sp.start || sp.end <= k.start) {
            kept.push(sp);
        }
    }
    kept.sort_unstable();
    kept
}

/// The per-type sums of the weights.
pub(crate) fn totals(w: &[Vec<f64>], n_types: usize) -> Vec<f64> {
    (0..n_types)
        .map(|k| w.iter().map(|ws| ws[k]).sum())
        .collect()
}

/// The fused IOB2 labels of sentence `i`.
pub(crate) fn predict(sys: &Systems, i: usize, w: &[Vec<f64>], threshold: f64) -> Vec<usize> {
    let totals = totals(w, sys.labels().types().len());
    let kept = select(&candidates(sys, i, w, &totals), threshold);
    iob2_of_spans(&kept, sys.lengths()[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ner::test_support::tags;

    fn sys() -> Systems {
        Systems::from_tags(
            vec![
                ("a".into(), vec![tags("B-x I-x O O")]),
                ("b".into(), vec![tags("B-x I-x O B-y")]),
                ("c".into(), vec![tags("O B-y I-y I-y")]),
                ("d".into(), vec![tags("O B-y I-y I-y")]),
            ],
            [],
        )
        .unwrap()
    }

    #[test]
    fn ties_in_support_go_to_the_longer_span() {
        let s = sys();
        let w = vec![vec![1.0, 1.0]; 4];
        // x[0,2) and y[1,4) both have support 2/4; y is longer and wins.
        assert_eq!(s.tags_of(&predict(&s, 0, &w, 0.5)), tags("O B-y I-y I-y"));
        // Nothing reaches 3/4.
        assert_eq!(s.tags_of(&predict(&s, 0, &w, 0.75)), tags("O O O O"));
    }

    #[test]
    fn weights_and_threshold_change_the_vote() {
        let s = sys();
        let w = vec![
            vec![2.0, 2.0],
            vec![1.0, 1.0],
            vec![1.0, 1.0],
            vec![1.0, 1.0],
        ];
        // x has 3/5, y[1,4) 2/5, y[3,4) 1/5: x kept, then y[3,4) at 0.2.
        assert_eq!(s.tags_of(&predict(&s, 0, &w, 0.2)), tags("B-x I-x O B-y"));
        assert_eq!(s.tags_of(&predict(&s, 0, &w, 0.5)), tags("B-x I-x O O"));
    }
}
