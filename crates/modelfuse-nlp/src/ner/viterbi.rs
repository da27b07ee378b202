//! BIO-constrained Viterbi decoding over averaged tag probabilities.
//!
//! The systems' distributions over the labels are averaged with the weights
//! (hard tags count as one-hot distributions), and the decoder finds the
//! label sequence with the largest sum of `ln(p + smoothing)` among the
//! sequences that are valid IOB2: `I-x` may follow only `B-x` or `I-x`, so
//! `O → I-x`, `B-x → I-y` (y ≠ x) and a sentence starting with `I-x` are
//! forbidden. The smoothing keeps a label no system chose possible, at a
//! price, so that a forbidden transition can be avoided by the cheapest
//! change rather than not at all.
//!
//! Ties go to the lowest label index, both for the last label and for each
//! back-pointer.
//!
//! Cost: O(tokens · labels²) = O(n · T²) time per sentence (T labels) and
//! O(n · T) memory, plus O(systems · n · T) to average.

use crate::ner::systems::Systems;
use crate::ner::tag::allowed;

/// The decoded IOB2 labels of sentence `i` with per-system weights `w`
/// (not all zero) and smoothing `smoothing` (> 0).
pub(crate) fn predict(sys: &Systems, i: usize, w: &[f64], smoothing: f64) -> Vec<usize> {
    let n = sys.lengths()[i];
    let t = sys.labels().len();
    if n == 0 {
        return Vec::new();
    }
    let total: f64 = w.iter().sum();
    let mut emit = vec![0.0f64; n * t];
    for j in 0..n {
        let row = &mut emit[j * t..(j + 1) * t];
        for (s, &ws) in w.iter().enumerate() {
            if ws == 0.0 {
                continue;
            }
            for (l, v) in row.iter_mut().enumerate() {
                *v += ws * sys.prob(s, i, j, l);
            }
        }
        for v in row.iter_mut() {
            *v = (*v / total + smoothing).ln();
        }
    }
    let mut delta = vec![f64::NEG_INFINITY; n * t];
    let mut back = vec![0usize; n * t];
    for l in 0..t {
        if allowed(None, l) {
            delta[l] = emit[l];
        }
    }
    for j in 1..n {
        for l in 0..t {
            let mut best = f64::NEG_INFINITY;
            let mut arg = 0;
            for p in 0..t {
                let v = delta[(j - 1) * t + p];
                if v > best && allowed(Some(p), l) {
                    best = v;
                    arg = p;
                }
            }
            delta[j * t + l] = best + emit[j * t + l];
            back[j * t + l] = arg;
        }
    }
    let last = &delta[(n - 1) * t..];
    let mut l = crate::ner::systems::argmax(last);
    let mut out = vec![0; n];
    for j in (0..n).rev() {
        out[j] = l;
        l = back[j * t + l];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ner::systems::SystemInput;
    use crate::ner::tag::is_valid_iob2;
    use crate::ner::test_support::tags;

    #[test]
    fn decoding_never_starts_an_inside() {
        let sys = Systems::from_tags(
            vec![
                ("a".into(), vec![tags("O I-x I-x")]),
                ("b".into(), vec![tags("O I-x I-x")]),
                ("c".into(), vec![tags("B-x I-x O")]),
            ],
            [],
        )
        .unwrap();
        let l = predict(&sys, 0, &[1.0, 1.0, 1.0], 1e-3);
        assert!(is_valid_iob2(&l));
        // O I I has the most votes but is forbidden; B-x I-x I-x costs one
        // token's agreement (1/3 for B at token 0) and keeps the rest.
        assert_eq!(sys.tags_of(&l), tags("B-x I-x I-x"));
    }

    #[test]
    fn probabilities_are_averaged() {
        let probs = vec![vec![vec![0.6, 0.4, 0.0], vec![0.1, 0.0, 0.9]]];
        let sys = Systems::new(
            vec![(
                "p".into(),
                SystemInput::Probs {
                    tags: vec!["O".into(), "B-x".into(), "I-x".into()],
                    probs,
                },
            )],
            [],
        )
        .unwrap();
        // Greedy would give O I-x (invalid); the best valid path is B-x I-x:
        // ln .4 + ln .9 > ln .6 + ln .1.
        assert_eq!(
            sys.tags_of(&predict(&sys, 0, &[1.0], 1e-6)),
            tags("B-x I-x")
        );
    }
}
