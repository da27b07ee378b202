//! Exact-match majority voting (self-consistency) for short answers.
//!
//! Candidates are compared after whitespace normalisation (Python's
//! `" ".join(text.split())`: runs of whitespace become one space, ends
//! trimmed). Each distinct answer collects the weights of its candidates
//! (system weight × prior); the heaviest answer wins. **Ties** go to the
//! answer whose first candidate comes earliest (systems sorted by name, then
//! n-best rank), which with one candidate per system is the lowest system
//! index. The output is the normalised answer.
//!
//! Cost: O(K²·L) per segment for K candidates of L characters (answers are
//! grouped by a linear scan, which for the handful of candidates of a
//! segment is faster than hashing and keeps the order explicit).

use rayon::prelude::*;

use super::candidates::Candidates;
use super::tokenize::py_split;

/// Whitespace normalisation used for voting.
pub fn normalize_whitespace(text: &str) -> String {
    py_split(text).collect::<Vec<_>>().join(" ")
}

/// Majority vote over each segment's candidates, weighted per system.
///
/// # Panics
///
/// If `weights` does not have one entry per system.
pub fn vote(candidates: &Candidates, weights: &[f64]) -> Vec<String> {
    assert_eq!(
        weights.len(),
        candidates.systems().len(),
        "one weight per system"
    );
    candidates
        .segments()
        .par_iter()
        .map(|seg| {
            let mut answers: Vec<(String, f64)> = Vec::new();
            for c in seg {
                let key = normalize_whitespace(&c.text);
                let w = weights[c.system] * c.prior;
                match answers.iter_mut().find(|(a, _)| *a == key) {
                    Some((_, total)) => *total += w,
                    None => answers.push((key, w)),
                }
            }
            let mut best = 0;
            for (i, (_, w)) in answers.iter().enumerate() {
                if *w > answers[best].1 {
                    best = i;
                }
            }
            answers.swap_remove(best).0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::candidates::SystemOutput;

    #[test]
    fn the_most_common_normalised_answer_wins() {
        let c = Candidates::new(vec![
            SystemOutput::from_lines("a", "Paris\n42\n"),
            SystemOutput::from_lines("b", " Paris \nforty-two\n"),
            SystemOutput::from_lines("c", "London\n41\n"),
        ])
        .unwrap();
        assert_eq!(vote(&c, &[1.0, 1.0, 1.0]), ["Paris", "42"]);
        // All different: the first system's answer; weights can override.
        assert_eq!(vote(&c, &[1.0, 1.0, 3.0]), ["London", "41"]);
    }
}
