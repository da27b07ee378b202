//! Minimum Bayes risk selection: per segment, the candidate the others
//! support most.
//!
//! Candidate `i`'s expected utility is `Σ_j w_j · u[i][j]` over the other
//! candidates `j` of the segment, where `w_j` = its system's weight × its
//! prior within the system (n-best), and `u` is the chosen [`Utility`]. The
//! candidate with the largest expected utility wins.
//!
//! **Self as pseudo-reference.** By default a candidate also counts as its
//! own pseudo-reference (`include_self: true`), adding `w_i · u[i][i]`. With
//! uniform weights and one candidate per system this is the same constant for
//! every non-empty candidate (chrF of a text against itself is 100) and
//! changes nothing. With learned weights it is what lets a weight mean
//! "trust this system": without it, a system's own weight never counts for
//! its own output, so a system holding all the weight could never be
//! chosen, and a reliable system outvoted by two systems sharing a mistake
//! could never win, whatever the weights. With n-best lists it is also the
//! usual sampling-based MBR (each sample scored against all samples).
//! `include_self: false` (pure support from the others) remains available.
//!
//! **Ties** (exactly equal expected utility) go to the candidate with the
//! larger weight `w_i`, then to the lower candidate index (systems sorted by
//! name, then n-best rank). No step depends on hash-map order or on the
//! number of threads.
//!
//! Cost: O(K²) per segment given the utility matrices, O(S²·N) in all.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::candidates::Candidates;
use super::utility::{Utility, UtilityMatrices};

/// The settings of MBR selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mbr {
    /// The pairwise utility (chrF by default).
    pub utility: Utility,
    /// Count each candidate as its own pseudo-reference too (default: yes;
    /// see the module docs for why).
    pub include_self: bool,
}

impl Default for Mbr {
    fn default() -> Self {
        Mbr {
            utility: Utility::Chrf,
            include_self: true,
        }
    }
}

/// The invariants MBR and the vote rely on: one weight per system, and utility
/// matrices computed for these candidates.
///
/// # Panics
///
/// When either does not hold (the callers keep them; user input never reaches here).
pub(crate) fn check_inputs(matrices: &UtilityMatrices, candidates: &Candidates, weights: &[f64]) {
    assert_eq!(
        weights.len(),
        candidates.systems().len(),
        "one weight per system"
    );
    assert_eq!(
        matrices.n_segments(),
        candidates.n_segments(),
        "matrices of these candidates"
    );
}

impl Mbr {
    /// The chosen candidate index of every segment, given per-system
    /// weights (any non-negative values; only their ratios matter).
    ///
    /// # Panics
    ///
    /// If `weights` does not have one entry per system, or the matrices do
    /// not belong to `candidates` (internal invariants the callers keep).
    pub fn select(
        &self,
        matrices: &UtilityMatrices,
        candidates: &Candidates,
        weights: &[f64],
    ) -> Vec<usize> {
        check_inputs(matrices, candidates, weights);
        (0..candidates.n_segments())
            .into_par_iter()
            .map(|s| {
                let cands = candidates.segment(s);
                let (k, u) = matrices.segment(s);
                let w: Vec<f64> = cands.iter().map(|c| weights[c.system] * c.prior).collect();
                self.select_one(k, u, &w)
            })
            .collect()
    }

    /// The winner of one segment: `k` candidates, their utility matrix and
    /// their weights.
    pub fn select_one(&self, k: usize, u: &[f64], w: &[f64]) -> usize {
        self.select_among(k, u, w, |_| true)
    }

    /// [`select_one`](Self::select_one)'s rule among the candidates `allowed`
    /// admits, each still scored against all `k` candidates (the vote breaks its
    /// ties with it); 0 when none is admitted, as `select_one` gives for `k = 0`.
    pub(crate) fn select_among(
        &self,
        k: usize,
        u: &[f64],
        w: &[f64],
        allowed: impl Fn(usize) -> bool,
    ) -> usize {
        let mut candidates = (0..k).filter(|&i| allowed(i));
        let Some(mut best) = candidates.next() else {
            return 0;
        };
        let mut best_score = f64::NEG_INFINITY;
        for i in std::iter::once(best).chain(candidates) {
            let score = self.expected_utility(i, k, u, w);
            // Strictly better, or tied with a larger weight; equal weights
            // keep the earlier candidate.
            if score > best_score || (score == best_score && w[i] > w[best]) {
                best = i;
                best_score = score;
            }
        }
        best
    }

    /// Candidate `i`'s expected utility `Σ_j w_j · u[i][j]` among `k` candidates
    /// (the `j = i` term only with `include_self`).
    fn expected_utility(&self, i: usize, k: usize, u: &[f64], w: &[f64]) -> f64 {
        let row = &u[i * k..(i + 1) * k];
        let mut score = 0.0;
        for j in 0..k {
            if j != i || self.include_self {
                score += w[j] * row[j];
            }
        }
        score
    }

    /// The chosen texts, one per segment.
    pub fn predict<'a>(
        &self,
        matrices: &UtilityMatrices,
        candidates: &'a Candidates,
        weights: &[f64],
    ) -> Vec<&'a str> {
        let picks = self.select(matrices, candidates, weights);
        picks
            .iter()
            .enumerate()
            .map(|(s, &i)| candidates.segment(s)[i].text.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::candidates::SystemOutput;

    #[test]
    fn the_consensus_candidate_wins() {
        let c = Candidates::new(vec![
            SystemOutput::from_lines("a", "the cat sat on the mat\n"),
            SystemOutput::from_lines("b", "the cat sat on a mat\n"),
            SystemOutput::from_lines("c", "completely different words\n"),
        ])
        .unwrap();
        let m = UtilityMatrices::compute(Utility::Chrf, &c).unwrap();
        let picks = Mbr::default().select(&m, &c, &[1.0, 1.0, 1.0]);
        assert!(picks[0] < 2);
    }

    #[test]
    fn ties_go_to_the_heavier_then_the_earlier_candidate() {
        let mbr = Mbr {
            include_self: false,
            ..Mbr::default()
        };
        let u = [100.0, 50.0, 50.0, 100.0];
        assert_eq!(mbr.select_one(2, &u, &[1.0, 1.0]), 0);
        // With weights 1 and 2, candidate 0 scores 2·50 and candidate 1 1·50.
        assert_eq!(mbr.select_one(2, &u, &[1.0, 2.0]), 0);
        let u = [0.0, 10.0, 20.0, 0.0];
        assert_eq!(mbr.select_one(2, &u, &[2.0, 1.0]), 1);
        // Equal scores (0·... ), larger weight wins.
        let u = [0.0, 0.0, 0.0, 0.0];
        assert_eq!(mbr.select_one(2, &u, &[1.0, 3.0]), 1);
    }

    #[test]
    fn including_self_adds_a_weighted_prior() {
        let u = [100.0, 40.0, 60.0, 100.0];
        let w = [3.0, 1.0];
        let without_self = Mbr {
            include_self: false,
            ..Mbr::default()
        };
        assert_eq!(without_self.select_one(2, &u, &w), 1);
        assert_eq!(Mbr::default().select_one(2, &u, &w), 0);
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let outputs = (0..5)
            .map(|s| {
                let lines: String = (0..40)
                    .map(|i| format!("w{} x{} y{}\n", i % (s + 2), i % 3, (i * s) % 5))
                    .collect();
                SystemOutput::from_lines(format!("s{s}"), &lines)
            })
            .collect();
        let c = Candidates::new(outputs).unwrap();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let m = UtilityMatrices::compute(Utility::Chrf, &c).unwrap();
                (Mbr::default().select(&m, &c, &[0.1, 0.2, 0.3, 0.2, 0.2]), m)
            })
        };
        assert_eq!(run(1), run(3));
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Short texts from a small alphabet (with spaces and punctuation),
        /// so that candidates often share n-grams and sometimes coincide.
        fn text() -> impl Strategy<Value = String> {
            "[a-c ,.]{0,12}"
        }

        fn segments(n: usize) -> impl Strategy<Value = Vec<String>> {
            prop::collection::vec(text(), n)
        }

        /// The lines as a file: each ended by a newline.
        fn file(lines: &[String]) -> String {
            lines.iter().map(|l| format!("{l}\n")).collect()
        }

        proptest! {
            #[test]
            fn mbr_over_one_system_returns_it(seg in segments(5), self_ in any::<bool>()) {
                let c = Candidates::new(vec![SystemOutput::from_lines("only", &file(&seg))]).unwrap();
                let m = UtilityMatrices::compute(Utility::Chrf, &c).unwrap();
                let mbr = Mbr { include_self: self_, ..Mbr::default() };
                let fused = mbr.predict(&m, &c, &[1.0]);
                let want: Vec<&str> = seg.iter().map(String::as_str).collect();
                prop_assert_eq!(fused, want);
            }

            #[test]
            fn mbr_over_identical_systems_returns_that_text(
                seg in segments(4),
                copies in 2usize..6,
                weights in prop::collection::vec(0.01f64..10.0, 6),
                bleu in any::<bool>(),
            ) {
                let outputs = (0..copies)
                    .map(|i| SystemOutput::from_lines(format!("s{i}"), &file(&seg)))
                    .collect();
                let c = Candidates::new(outputs).unwrap();
                let utility = if bleu { Utility::Bleu { tokenizer: Default::default() } } else { Utility::Chrf };
                let m = UtilityMatrices::compute(utility, &c).unwrap();
                let mbr = Mbr { utility, ..Mbr::default() };
                let fused = mbr.predict(&m, &c, &weights[..copies]);
                let want: Vec<&str> = seg.iter().map(String::as_str).collect();
                prop_assert_eq!(fused, want);
            }

            #[test]
            fn mbr_ignores_the_order_the_systems_come_in(
                a in segments(3), b in segments(3), c in segments(3),
            ) {
                let make = |order: [usize; 3]| {
                    let texts = [&a, &b, &c];
                    let outputs = order
                        .iter()
                        .map(|&i| SystemOutput::from_lines(format!("s{i}"), &file(texts[i])))
                        .collect();
                    let cands = Candidates::new(outputs).unwrap();
                    let m = UtilityMatrices::compute(Utility::Chrf, &cands).unwrap();
                    Mbr::default().predict(&m, &cands, &[1.0, 2.0, 3.0]).into_iter().map(str::to_string).collect::<Vec<_>>()
                };
                prop_assert_eq!(make([0, 1, 2]), make([2, 0, 1]));
            }
        }
    }
}
