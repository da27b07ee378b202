//! Coordinate ascent over a grid, for objectives with no useful gradient
//! (an F1, an exact match, a corpus chrF: step functions of the weights).
//!
//! A [`GridProblem`] says which coordinates there are, which candidate
//! states one coordinate may move to from the current state (in the order
//! they are tried), and how a state scores (higher is better). [`Grid::run`]
//! does the rest, as one [`Solver`] under the crate's [`Driver`], so every
//! grid search in the workspace (NER, QA and generation weights) stops and
//! breaks ties the same way.
//!
//! # The rule, exactly
//!
//! 1. The start state is scored first ([`GridProblem::score`] may complete
//!    it, e.g. pick a threshold for its weights).
//! 2. A round visits the coordinates `0..coordinates()` in order. For each,
//!    every candidate is scored; the **first candidate with the highest
//!    score** (in candidate order; a later one must be strictly greater to
//!    win) replaces the current state only if its score
//!    [exceeds](Score::exceeds) the current score by more than
//!    [`Grid::min_gain`]. Ties therefore keep the earlier candidate, and a
//!    candidate merely equal to the current state never moves it, so the
//!    search is deterministic and terminates.
//! 3. Rounds repeat until one moves nothing (converged) or
//!    [`Grid::max_rounds`] have run.
//!
//! A problem with one coordinate whose candidates are every single move is
//! steepest ascent (one move per round, the best of all); one coordinate
//! per weight is cyclic coordinate ascent. Candidates of one coordinate are
//! scored independently ([`GridProblem::score_all`] may do it in parallel),
//! so results never depend on the thread count.

use crate::learn::driver::{Driver, Solver, Step};

/// A score that a grid search maximises.
pub trait Score: Copy + PartialOrd {
    /// Whether `self` is above `other` by more than `margin` (`margin ≥ 0`).
    fn exceeds(self, other: Self, margin: f64) -> bool;
    /// The score as an objective to minimise, for the [`Driver`]'s report.
    fn objective(self) -> f64;
}

impl Score for f64 {
    fn exceeds(self, other: f64, margin: f64) -> bool {
        self > other + margin
    }

    fn objective(self) -> f64 {
        -self
    }
}

/// A lexicographic pair: the second number breaks ties of the first.
impl Score for (f64, f64) {
    fn exceeds(self, other: (f64, f64), margin: f64) -> bool {
        self.0 > other.0 + margin || (self.0 == other.0 && self.1 > other.1 + margin)
    }

    fn objective(self) -> f64 {
        -self.0
    }
}

/// What a grid search searches.
pub trait GridProblem {
    /// A point of the search (weights, and whatever scoring completes).
    type State: Clone;
    /// How a state scores; higher is better.
    type Score: Score;

    /// The number of coordinates a round visits.
    fn coordinates(&self) -> usize;

    /// The states coordinate `coordinate` may move `state` to, in the order
    /// they are tried (ties go to the earlier one). Leave out candidates
    /// that change nothing or are not allowed (all weights zero).
    fn candidates(&self, state: &Self::State, coordinate: usize) -> Vec<Self::State>;

    /// The score of `state`; may complete the state (pick the best
    /// threshold for its weights, say).
    fn score(&self, state: &mut Self::State) -> Self::Score;

    /// The scores of `states`, in order; by default one after another.
    /// Override to score in parallel: each candidate must be scored by
    /// itself.
    fn score_all(&self, states: &mut [Self::State]) -> Vec<Self::Score> {
        states.iter_mut().map(|s| self.score(s)).collect()
    }
}

/// The settings of a grid search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    /// The most rounds.
    pub max_rounds: usize,
    /// A move must raise the score by more than this (`0`: any rise).
    pub min_gain: f64,
}

/// The end of a grid search.
#[derive(Clone, Debug, PartialEq)]
pub struct GridResult<S, V> {
    /// The final state.
    pub state: S,
    /// Its score.
    pub score: V,
    /// The score of the start state (after [`GridProblem::score`]).
    pub start_score: V,
    /// Rounds run, the last one (that moved nothing) included.
    pub rounds: usize,
    /// Moves accepted.
    pub moves: usize,
    /// Whether a round moved nothing (rather than the budget running out).
    pub converged: bool,
}

impl Grid {
    /// A search of at most `max_rounds` rounds where a move must gain more
    /// than `min_gain`.
    pub fn new(max_rounds: usize, min_gain: f64) -> Grid {
        Grid {
            max_rounds,
            min_gain,
        }
    }

    /// Runs the search from `start` (see the [module docs](self)).
    pub fn run<P: GridProblem>(
        &self,
        problem: &P,
        start: P::State,
    ) -> GridResult<P::State, P::Score> {
        let mut state = start;
        let current = problem.score(&mut state);
        let mut ascent = Ascent {
            problem,
            min_gain: self.min_gain,
            state,
            current,
            moves: 0,
        };
        // The driver's own improvement rule is off: a round stops the search
        // only by moving nothing.
        let report = Driver::new(self.max_rounds, 0.0)
            .run(&mut ascent)
            .expect("a grid round cannot fail");
        GridResult {
            state: ascent.state,
            score: ascent.current,
            start_score: current,
            rounds: report.iterations,
            moves: ascent.moves,
            converged: report.converged,
        }
    }
}

/// The search as a [`Solver`]: one step is one round.
struct Ascent<'a, P: GridProblem> {
    problem: &'a P,
    min_gain: f64,
    state: P::State,
    current: P::Score,
    moves: usize,
}

impl<P: GridProblem> Solver for Ascent<'_, P> {
    fn next_iter(&mut self) -> crate::error::Result<Step> {
        let mut moved = false;
        for c in 0..self.problem.coordinates() {
            let mut candidates = self.problem.candidates(&self.state, c);
            let scores = self.problem.score_all(&mut candidates);
            let mut best: Option<usize> = None;
            for (i, &v) in scores.iter().enumerate() {
                if best.is_none_or(|b| v > scores[b]) {
                    best = Some(i);
                }
            }
            if let Some(b) = best
                && scores[b].exceeds(self.current, self.min_gain)
            {
                self.current = scores[b];
                self.state = candidates.swap_remove(b);
                self.moves += 1;
                moved = true;
            }
        }
        Ok(Step {
            objective: self.current.objective(),
            converged: !moved,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Maximise `-(x - 3)² - (y + 1)²` over integers in `-5..=5`, one
    /// coordinate per axis.
    struct Bowl;

    impl GridProblem for Bowl {
        type State = [i32; 2];
        type Score = f64;

        fn coordinates(&self) -> usize {
            2
        }

        fn candidates(&self, s: &[i32; 2], c: usize) -> Vec<[i32; 2]> {
            (-5..=5)
                .filter(|&v| v != s[c])
                .map(|v| {
                    let mut t = *s;
                    t[c] = v;
                    t
                })
                .collect()
        }

        fn score(&self, s: &mut [i32; 2]) -> f64 {
            -f64::from((s[0] - 3).pow(2) + (s[1] + 1).pow(2))
        }
    }

    #[test]
    fn cyclic_ascent_finds_the_top_and_stops() {
        let r = Grid::new(10, 0.0).run(&Bowl, [0, 0]);
        assert_eq!((r.state, r.score, r.start_score), ([3, -1], 0.0, -10.0));
        // One round moves both coordinates, the second moves nothing.
        assert_eq!((r.rounds, r.moves, r.converged), (2, 2, true));
        let r = Grid::new(1, 0.0).run(&Bowl, [0, 0]);
        assert_eq!((r.rounds, r.converged), (1, false));
        let r = Grid::new(0, 0.0).run(&Bowl, [0, 0]);
        assert_eq!((r.state, r.rounds, r.moves), ([0, 0], 0, 0));
    }

    /// Every candidate scores the same: ties keep the earliest, and a gain
    /// of zero over the current state never moves it.
    struct Flat;

    impl GridProblem for Flat {
        type State = u8;
        type Score = (f64, f64);

        fn coordinates(&self) -> usize {
            1
        }

        fn candidates(&self, _: &u8, _: usize) -> Vec<u8> {
            vec![1, 2, 3]
        }

        fn score(&self, s: &mut u8) -> (f64, f64) {
            (1.0, if *s == 0 { 0.0 } else { 0.5 })
        }
    }

    #[test]
    fn ties_go_to_the_first_candidate_and_the_margin_is_strict() {
        let r = Grid::new(5, 0.0).run(&Flat, 0);
        assert_eq!((r.state, r.moves), (1, 1));
        let r = Grid::new(5, 0.5).run(&Flat, 0);
        assert_eq!((r.state, r.moves), (0, 0));
        assert!((2.0, 0.0).exceeds((1.0, 9.0), 0.0));
        assert!(!(1.0, 0.0).exceeds((1.0, 0.0), 0.0));
    }
}
