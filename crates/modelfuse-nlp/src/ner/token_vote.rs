//! Token-level weighted voting followed by IOB2 repair.
//!
//! Each token gets the label with the highest total weight among the
//! systems' labels (ties: the lowest label index, so `O` first, then types in
//! sorted order, `B-` before `I-`). Voting per token can break the tag
//! structure (`B-x` from two systems, `I-y` from three), so the sequence is
//! then repaired by the conlleval reading: an `I-x` that does not continue an
//! `x` entity becomes `B-x` ([`repair_iob2`]).
//!
//! Cost: O(systems · tokens + tokens · labels).

use crate::ner::systems::Systems;
use crate::ner::tag::repair_iob2;

/// The fused IOB2 labels of sentence `i` with per-system weights `w`.
pub(crate) fn predict(sys: &Systems, i: usize, w: &[f64]) -> Vec<usize> {
    let n_labels = sys.labels().len();
    let mut score = vec![0.0f64; n_labels];
    let mut out = Vec::with_capacity(sys.lengths()[i]);
    for j in 0..sys.lengths()[i] {
        score.iter_mut().for_each(|v| *v = 0.0);
        for (s, &ws) in w.iter().enumerate() {
            score[sys.hard(s, i)[j]] += ws;
        }
        out.push(crate::ner::systems::argmax(&score));
    }
    repair_iob2(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ner::test_support::tags;

    #[test]
    fn majority_then_repair() {
        let sys = Systems::from_tags(
            vec![
                ("a".into(), vec![tags("B-x I-x O")]),
                ("b".into(), vec![tags("O I-x O")]),
                ("c".into(), vec![tags("O I-x B-y")]),
            ],
            [],
        )
        .unwrap();
        // Token 0: O wins 2–1; token 1: I-x, repaired to B-x.
        let l = predict(&sys, 0, &[1.0, 1.0, 1.0]);
        assert_eq!(sys.tags_of(&l), tags("O B-x O"));
        // Weight on "a" wins token 0 and keeps the entity whole.
        let l = predict(&sys, 0, &[3.0, 1.0, 1.0]);
        assert_eq!(sys.tags_of(&l), tags("B-x I-x O"));
        // A tie (1 against 1) goes to the lowest label: O.
        let l = predict(&sys, 0, &[0.0, 1.0, 1.0]);
        assert_eq!(sys.tags_of(&l), tags("O B-x O"));
    }
}
