//! The pairwise utilities MBR maximises, computed once per segment.
//!
//! For a segment with K candidates, [`UtilityMatrices`] holds the K×K matrix
//! `u[i][j]` = utility of candidate `i` as a hypothesis against candidate `j`
//! as a pseudo-reference. Each candidate's n-grams are counted once (K
//! profiles), and each unordered pair is compared once, giving both
//! directions; the segments are computed in parallel with rayon, each by
//! itself, so the matrices do not depend on the number of threads.
//!
//! Cost: O(K·L) to count and O(K²·L) to compare per segment, for texts of L
//! characters; O(S²·N·L) for S systems (one candidate each) and N segments.

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::bleu::Bleu;
use super::candidates::Candidates;
use super::chrf::Chrf;
use super::tokenize::Tokenizer;
use crate::{Error, ErrorKind, Result};

/// The similarity MBR uses between two candidates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Utility {
    /// Sentence chrF (chrF2, sacrebleu's defaults): robust on short segments
    /// and across languages; the default.
    #[default]
    Chrf,
    /// Sentence BLEU (sacrebleu's `sentence_bleu`: exp smoothing, effective
    /// order) after the given tokeniser.
    Bleu {
        /// `13a`, or `zh` for Chinese.
        tokenizer: Tokenizer,
    },
    /// Scores supplied by the user for every pair (see
    /// [`UtilityMatrices::from_pairwise_jsonl`]), e.g. from a neural metric.
    Pairwise,
}

impl fmt::Display for Utility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Utility::Chrf => f.write_str("chrf"),
            Utility::Bleu {
                tokenizer: Tokenizer::Thirteen,
            } => f.write_str("bleu"),
            Utility::Bleu { tokenizer } => write!(f, "bleu ({tokenizer})"),
            Utility::Pairwise => f.write_str("pairwise scores"),
        }
    }
}

impl FromStr for Utility {
    type Err = Error;

    /// `chrf` or `bleu` (13a); a pairwise score file is given by path instead.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "chrf" => Ok(Utility::Chrf),
            "bleu" => Ok(Utility::Bleu {
                tokenizer: Tokenizer::Thirteen,
            }),
            _ => Err(Error::new(
                ErrorKind::InvalidParameter,
                format!("unknown utility {s:?}: expected chrf, bleu, or a pairwise score file"),
            )),
        }
    }
}

/// Per segment, the K×K utilities of its candidates (row = hypothesis,
/// column = pseudo-reference), in the candidate order of [`Candidates`].
#[derive(Clone, Debug, PartialEq)]
pub struct UtilityMatrices {
    sizes: Vec<usize>,
    offsets: Vec<usize>,
    values: Vec<f64>,
}

impl UtilityMatrices {
    /// Computes every segment's matrix with `utility`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] for [`Utility::Pairwise`], whose
    /// scores must be read with [`UtilityMatrices::from_pairwise_jsonl`].
    pub fn compute(utility: Utility, candidates: &Candidates) -> Result<UtilityMatrices> {
        let per_segment: Vec<Vec<f64>> = match utility {
            Utility::Chrf => candidates
                .segments()
                .par_iter()
                .map(|seg| {
                    let texts: Vec<&str> = seg.iter().map(|c| c.text.as_str()).collect();
                    chrf_matrix(&Chrf::CHRF, &texts)
                })
                .collect(),
            Utility::Bleu { tokenizer } => {
                let bleu = Bleu::sentence_default(tokenizer);
                candidates
                    .segments()
                    .par_iter()
                    .map(|seg| {
                        let texts: Vec<&str> = seg.iter().map(|c| c.text.as_str()).collect();
                        let p = bleu.profiles(&texts);
                        let k = p.len();
                        let mut u = vec![0.0; k * k];
                        for i in 0..k {
                            for j in 0..k {
                                u[i * k + j] = bleu.score(&bleu.stats(&p[i], &p[j]));
                            }
                        }
                        u
                    })
                    .collect()
            }
            Utility::Pairwise => {
                return Err(Error::new(
                    ErrorKind::InvalidParameter,
                    "pairwise utilities are read from a score file, not computed",
                ));
            }
        };
        Ok(Self::from_segments(per_segment))
    }

    /// Reads user-supplied utilities: JSON Lines, one line per segment,
    /// `{"scores": [[u00, u01, …], [u10, …], …]}`, where `scores[i][j]` is the
    /// utility of candidate `i` against candidate `j` (higher is better), for
    /// the K candidates of the segment in [`Candidates`] order (systems
    /// sorted by name, each system's n-best in file order).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Format`] for a line that is not such an object or holds
    /// a non-finite score; [`ErrorKind::Mismatch`] when the number of lines
    /// or a matrix's size does not match the candidates.
    pub fn from_pairwise_jsonl(
        text: &str,
        source: &str,
        candidates: &Candidates,
    ) -> Result<UtilityMatrices> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Line {
            scores: Vec<Vec<f64>>,
        }
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() != candidates.n_segments() {
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "{source} has {} lines but the systems have {} segments; expected one line per segment",
                    lines.len(),
                    candidates.n_segments()
                ),
            ));
        }
        let mut per_segment = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            let at = |kind, msg: String| Error::new(kind, msg).with_source(source).with_line(i + 1);
            let parsed: Line = serde_json::from_str(line).map_err(|e| {
                at(
                    ErrorKind::Format,
                    format!("expected {{\"scores\": [[…], …]}}, {e}"),
                )
            })?;
            let k = candidates.segment(i).len();
            if parsed.scores.len() != k || parsed.scores.iter().any(|r| r.len() != k) {
                return Err(at(
                    ErrorKind::Mismatch,
                    format!("expected a {k}×{k} matrix (one row and column per candidate)"),
                ));
            }
            let flat: Vec<f64> = parsed.scores.into_iter().flatten().collect();
            if flat.iter().any(|v| !v.is_finite()) {
                return Err(at(ErrorKind::Format, "expected finite scores".into()));
            }
            per_segment.push(flat);
        }
        Ok(Self::from_segments(per_segment))
    }

    fn from_segments(per_segment: Vec<Vec<f64>>) -> UtilityMatrices {
        let mut sizes = Vec::with_capacity(per_segment.len());
        let mut offsets = Vec::with_capacity(per_segment.len());
        let mut values = Vec::new();
        for m in per_segment {
            let k = (m.len() as f64).sqrt().round() as usize;
            debug_assert_eq!(k * k, m.len());
            sizes.push(k);
            offsets.push(values.len());
            values.extend(m);
        }
        UtilityMatrices {
            sizes,
            offsets,
            values,
        }
    }

    /// The number of segments.
    pub fn n_segments(&self) -> usize {
        self.sizes.len()
    }

    /// Segment `i`'s candidate count K and its row-major K×K matrix.
    pub fn segment(&self, i: usize) -> (usize, &[f64]) {
        let k = self.sizes[i];
        (k, &self.values[self.offsets[i]..self.offsets[i] + k * k])
    }

    /// The segments `range` only.
    pub fn slice(&self, range: std::ops::Range<usize>) -> UtilityMatrices {
        Self::from_segments(range.map(|i| self.segment(i).1.to_vec()).collect())
    }
}

/// The chrF matrix of one segment: profiles once, each unordered pair once.
pub(crate) fn chrf_matrix(chrf: &Chrf, texts: &[&str]) -> Vec<f64> {
    let p = chrf.profiles(texts);
    let k = p.len();
    let mut u = vec![0.0; k * k];
    for i in 0..k {
        u[i * k + i] = chrf.score(&chrf.stats(&p[i], &p[i]));
        for j in i + 1..k {
            let (ij, ji) = chrf.pair(&p[i], &p[j]);
            u[i * k + j] = ij;
            u[j * k + i] = ji;
        }
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::candidates::SystemOutput;
    use crate::generate::segment_metric::SegmentMetric;

    fn cands() -> Candidates {
        Candidates::new(vec![
            SystemOutput::from_lines("a", "the cat sat\nhello\n"),
            SystemOutput::from_lines("b", "a cat sat\nhello there\n"),
        ])
        .unwrap()
    }

    #[test]
    fn chrf_matrix_entries_are_sentence_chrf() {
        let m = UtilityMatrices::compute(Utility::Chrf, &cands()).unwrap();
        let (k, u) = m.segment(0);
        assert_eq!(k, 2);
        assert_eq!(u[1], Chrf::CHRF.sentence("the cat sat", "a cat sat"));
        assert_eq!(u[2], Chrf::CHRF.sentence("a cat sat", "the cat sat"));
        assert_eq!(u[0], 100.0);
    }

    #[test]
    fn pairwise_files_are_checked_against_the_candidates() {
        let c = cands();
        let ok = "{\"scores\": [[1, 0.5], [0.2, 1]]}\n{\"scores\": [[1, 0], [0, 1]]}\n";
        let m = UtilityMatrices::from_pairwise_jsonl(ok, "u.jsonl", &c).unwrap();
        assert_eq!(m.segment(0).1, [1.0, 0.5, 0.2, 1.0]);
        let e = UtilityMatrices::from_pairwise_jsonl(
            "{\"scores\": [[1]]}\n{\"scores\": [[1]]}",
            "u.jsonl",
            &c,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "u.jsonl:1: expected a 2×2 matrix (one row and column per candidate)"
        );
    }
}
