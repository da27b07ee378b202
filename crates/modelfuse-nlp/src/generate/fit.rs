//! Learning per-system weights for MBR on a development set, and the saved
//! form of the result.
//!
//! The search maximises the corpus chrF (against the reference) of the MBR
//! selection. That objective is a step function of the weights, so it is
//! searched directly rather than by gradients: a deterministic coordinate
//! search starts from uniform weights and, each round, tries multiplying
//! each system's weight by 0, ¼, ½, 2 and 4 (then renormalising), keeps the
//! single move that raises corpus chrF most (ties: the first move in system
//! order, then multiplier order), and stops when no move helps or after
//! `rounds` rounds. This is the core's [`modelfuse::learn::grid`] solver
//! with one coordinate whose candidates are every move (so a round makes
//! the single best move) and a margin of 1e-9. The moves of a round are evaluated in parallel, each
//! independently, so the result does not depend on the thread count.
//!
//! Cost: the utility matrices and every candidate's statistics against the
//! reference are computed once (O(S²·N·L)); each evaluated move is then
//! O(S²·N) for the selection plus O(N) to sum statistics, and a round
//! evaluates 5·S moves.

use modelfuse::learn::grid::{Grid, GridProblem};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::candidates::Candidates;
use super::chrf::{Chrf, ChrfStats};
use super::mbr::Mbr;
use super::utility::UtilityMatrices;
use crate::{Error, ErrorKind, FORMAT_VERSION, Result};

/// Every candidate's chrF statistics against the reference, computed once so
/// that any selection's corpus chrF is a sum.
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceStats {
    per_segment: Vec<Vec<ChrfStats>>,
}

impl ReferenceStats {
    /// Counts each candidate against its segment's reference (chrF2); with
    /// several reference streams (`refs[stream][segment]`), against the
    /// reference that gives it the best chrF, as sacrebleu does.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] when there is no reference stream or a stream
    /// does not have one line per segment.
    pub fn compute(candidates: &Candidates, refs: &[&[&str]]) -> Result<ReferenceStats> {
        if refs.is_empty() {
            return Err(Error::new(
                ErrorKind::Mismatch,
                "expected a reference, found none",
            ));
        }
        if let Some(bad) = refs.iter().find(|r| r.len() != candidates.n_segments()) {
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "the reference has {} lines but the systems have {}; they must be line-aligned",
                    bad.len(),
                    candidates.n_segments()
                ),
            ));
        }
        let chrf = Chrf::CHRF;
        let per_segment = candidates
            .segments()
            .par_iter()
            .enumerate()
            .map(|(i, seg)| {
                let mut texts: Vec<&str> = seg.iter().map(|c| c.text.as_str()).collect();
                texts.extend(refs.iter().map(|r| r[i]));
                let p = chrf.profiles(&texts);
                let (cands, references) = p.split_at(seg.len());
                cands
                    .iter()
                    .map(|c| chrf.best_stats(c, references))
                    .collect()
            })
            .collect();
        Ok(ReferenceStats { per_segment })
    }

    /// Corpus chrF of the selection `picks` (one candidate index per segment).
    pub fn corpus_chrf(&self, picks: &[usize]) -> f64 {
        let mut total = ChrfStats::default();
        for (seg, &i) in self.per_segment.iter().zip(picks) {
            total += &seg[i];
        }
        Chrf::CHRF.score(&total)
    }

    /// The oracle selection: per segment the candidate with the best sentence
    /// chrF against the reference (ties: the lower candidate index).
    pub fn oracle(&self) -> Vec<usize> {
        self.per_segment
            .iter()
            .map(|seg| {
                let mut best = (0, f64::NEG_INFINITY);
                for (i, s) in seg.iter().enumerate() {
                    let v = Chrf::CHRF.score(s);
                    if v > best.1 {
                        best = (i, v);
                    }
                }
                best.0
            })
            .collect()
    }

    /// The segments `range` only.
    pub fn slice(&self, range: std::ops::Range<usize>) -> ReferenceStats {
        ReferenceStats {
            per_segment: self.per_segment[range].to_vec(),
        }
    }
}

/// The settings of the weight search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightSearch {
    /// The most rounds of coordinate moves (default 30).
    pub rounds: usize,
}

impl Default for WeightSearch {
    fn default() -> Self {
        WeightSearch { rounds: 30 }
    }
}

/// The multipliers tried on one system's weight per move.
const MULTIPLIERS: [f64; 5] = [0.0, 0.25, 0.5, 2.0, 4.0];

/// A move must raise corpus chrF by more than this to count, so that
/// floating-point noise never makes the search wander.
const MIN_GAIN: f64 = 1e-9;

impl WeightSearch {
    /// Fits per-system weights (summing to 1) for `mbr` on development
    /// candidates with their utility matrices and reference statistics.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidValue`] when there is no segment to fit on: weights
    /// "learned" from nothing would be the uniform start passed off as a fit.
    pub fn fit(
        &self,
        mbr: &Mbr,
        matrices: &UtilityMatrices,
        candidates: &Candidates,
        reference: &ReferenceStats,
    ) -> Result<FittedMbr> {
        if candidates.n_segments() == 0 {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                "expected segments to fit the weights on, found none",
            ));
        }
        let s = candidates.systems().len();
        let search = Moves {
            mbr,
            matrices,
            candidates,
            reference,
        };
        let result = Grid::new(self.rounds, MIN_GAIN).run(&search, vec![1.0 / s as f64; s]);
        let (weights, uniform, current, rounds) =
            (result.state, result.start_score, result.score, result.moves);
        Ok(FittedMbr {
            modelfuse: FORMAT_VERSION,
            task: "generate".to_string(),
            method: Method::Mbr,
            mbr: *mbr,
            systems: candidates.systems().to_vec(),
            weights,
            fitted_on: FitSummary {
                segments: candidates.n_segments(),
                chrf_uniform: uniform,
                chrf_fitted: current,
                rounds,
            },
        })
    }
}

/// The weight search as a [`GridProblem`]: one coordinate whose candidates
/// are every move (systems in order, then [`MULTIPLIERS`]), so a round makes
/// the single best move; moves are scored in parallel.
struct Moves<'a> {
    mbr: &'a Mbr,
    matrices: &'a UtilityMatrices,
    candidates: &'a Candidates,
    reference: &'a ReferenceStats,
}

impl GridProblem for Moves<'_> {
    type State = Vec<f64>;
    type Score = f64;

    fn coordinates(&self) -> usize {
        1
    }

    fn candidates(&self, weights: &Vec<f64>, _: usize) -> Vec<Vec<f64>> {
        (0..weights.len())
            .flat_map(|sys| MULTIPLIERS.iter().map(move |&m| (sys, m)))
            .filter_map(|(sys, m)| moved(weights, sys, m))
            .collect()
    }

    fn score(&self, weights: &mut Vec<f64>) -> f64 {
        self.reference
            .corpus_chrf(&self.mbr.select(self.matrices, self.candidates, weights))
    }

    fn score_all(&self, states: &mut [Vec<f64>]) -> Vec<f64> {
        states.par_iter_mut().map(|w| self.score(w)).collect()
    }
}

/// `weights` with system `sys`'s weight times `m`, renormalised; `None` when
/// the move changes nothing or would leave no weight.
fn moved(weights: &[f64], sys: usize, m: f64) -> Option<Vec<f64>> {
    if weights[sys] == 0.0 {
        return None;
    }
    let mut w = weights.to_vec();
    w[sys] *= m;
    let total: f64 = w.iter().sum();
    if total <= 0.0 {
        return None;
    }
    w.iter_mut().for_each(|v| *v /= total);
    Some(w)
}

/// The method a saved fitted fuser applies (only MBR learns weights).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Weighted MBR selection.
    Mbr,
}

/// What the fit saw and achieved (in-sample), for the record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitSummary {
    /// Development segments.
    pub segments: usize,
    /// Corpus chrF of MBR with uniform weights on them.
    pub chrf_uniform: f64,
    /// Corpus chrF of MBR with the fitted weights on them (in-sample).
    pub chrf_fitted: f64,
    /// Accepted moves.
    pub rounds: usize,
}

/// A fitted generation fuser, saved on the core's versioned envelope:
/// `{"modelfuse": 1, "task": "generate", "method": "mbr", "mbr": {…},
/// "systems": […], "weights": […], "fitted_on": {…}}` (files without the
/// `task`, written before it, still load).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedMbr {
    /// The format version ([`FORMAT_VERSION`]).
    pub modelfuse: u32,
    /// Always `"generate"`: what kind of fuser the file holds.
    pub task: String,
    /// The method.
    pub method: Method,
    /// The MBR settings it was fitted with.
    pub mbr: Mbr,
    /// The systems' names, sorted.
    pub systems: Vec<String>,
    /// One weight per system, summing to 1.
    pub weights: Vec<f64>,
    /// The fit's summary.
    pub fitted_on: FitSummary,
}

impl FittedMbr {
    /// Serialises to pretty JSON, without the trailing newline of the
    /// other saved files (the CLI adds it when writing).
    pub fn to_json(&self) -> String {
        let mut s = crate::saved::to_json(self);
        s.pop();
        s
    }

    /// Parses and checks a saved fitted fuser: the version first, then the
    /// task `generate`, then the body (the core's [`modelfuse::format`] envelope).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::FittedFormat`] for malformed JSON, a newer format
    /// version, another task, or weights that are not one per system or
    /// that [`modelfuse::Weights`] refuses (finite, non-negative, a
    /// positive sum).
    pub fn from_json(text: &str) -> Result<FittedMbr> {
        let f: FittedMbr = crate::saved::from_json(text, "fitted generation fuser", "generate")?;
        if f.weights.len() != f.systems.len() {
            return Err(Error::new(
                ErrorKind::FittedFormat,
                format!(
                    "expected {} weights (one per system), found {}",
                    f.systems.len(),
                    f.weights.len()
                ),
            ));
        }
        crate::saved::check_weights(ErrorKind::FittedFormat, f.weights.iter().copied())?;
        Ok(f)
    }

    /// The weights in the order of `systems` (the candidates' systems),
    /// checked by name.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] naming the systems the fuser was fitted on
    /// that are missing, and those it does not know.
    pub fn weights_for(&self, systems: &[String]) -> Result<Vec<f64>> {
        let missing: Vec<&str> = self
            .systems
            .iter()
            .filter(|s| !systems.contains(s))
            .map(String::as_str)
            .collect();
        let unknown: Vec<&str> = systems
            .iter()
            .filter(|s| !self.systems.contains(s))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() || !unknown.is_empty() {
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "the fuser was fitted on other systems: missing {missing:?}, not fitted on {unknown:?}"
                ),
            ));
        }
        Ok(systems
            .iter()
            .map(|s| {
                let i = self
                    .systems
                    .iter()
                    .position(|t| t == s)
                    .expect("checked above");
                self.weights[i]
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::candidates::SystemOutput;
    use crate::generate::utility::Utility;

    fn dev() -> (Candidates, Vec<&'static str>) {
        // System "good" is right; "bad1" and "bad2" agree with each other on
        // a wrong answer, so uniform MBR follows them.
        let c = Candidates::new(vec![
            SystemOutput::from_lines("bad1", "the dog ran home\nit is cold today\n"),
            SystemOutput::from_lines("bad2", "the dog ran home!\nit is cold today!\n"),
            SystemOutput::from_lines("good", "a cat sat on the mat\nthe sun is warm\n"),
        ])
        .unwrap();
        (c, vec!["a cat sat on the mat", "the sun is warm"])
    }

    #[test]
    fn the_search_learns_to_trust_the_right_system() {
        let (c, refs) = dev();
        let mbr = Mbr::default();
        let m = UtilityMatrices::compute(Utility::Chrf, &c).unwrap();
        let r = ReferenceStats::compute(&c, &[&refs]).unwrap();
        let f = WeightSearch::default().fit(&mbr, &m, &c, &r).unwrap();
        assert!(f.fitted_on.chrf_fitted > f.fitted_on.chrf_uniform);
        assert_eq!(mbr.predict(&m, &c, &f.weights), refs);
        assert!((f.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn no_segments_is_nothing_to_fit_on() {
        let (c, refs) = dev();
        let m = UtilityMatrices::compute(Utility::Chrf, &c).unwrap();
        let r = ReferenceStats::compute(&c, &[&refs]).unwrap();
        let e = WeightSearch::default()
            .fit(
                &Mbr::default(),
                &m.slice(0..0),
                &c.slice(0..0),
                &r.slice(0..0),
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        assert!(e.to_string().contains("found none"), "{e}");
    }

    #[test]
    fn fitted_fusers_round_trip_and_check_names() {
        let (c, refs) = dev();
        let m = UtilityMatrices::compute(Utility::Chrf, &c).unwrap();
        let r = ReferenceStats::compute(&c, &[&refs]).unwrap();
        let f = WeightSearch::default()
            .fit(&Mbr::default(), &m, &c, &r)
            .unwrap();
        let back = FittedMbr::from_json(&f.to_json()).unwrap();
        assert_eq!(back, f);
        let e = back
            .weights_for(&["bad1".into(), "other".into()])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the fuser was fitted on other systems: missing [\"bad2\", \"good\"], not fitted on [\"other\"]"
        );
        let newer = f.to_json().replace("\"modelfuse\": 1", "\"modelfuse\": 99");
        assert_eq!(
            FittedMbr::from_json(&newer).unwrap_err().kind(),
            ErrorKind::FittedFormat
        );
    }

    #[test]
    fn the_oracle_picks_the_best_candidate_per_segment() {
        let (c, refs) = dev();
        let r = ReferenceStats::compute(&c, &[&refs]).unwrap();
        assert_eq!(r.oracle(), [2, 2]);
        assert_eq!(r.corpus_chrf(&[2, 2]), 100.0);
    }
}
