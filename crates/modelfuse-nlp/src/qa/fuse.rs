//! Fusing extractive QA systems: weighted answer voting and F1 consensus.
//!
//! Systems rarely agree on token positions but often on answer strings, so
//! fusion works on answers after the official normalisation
//! ([`normalize_answer`]): two answers that normalise alike are one answer.
//! For each question every system contributes its candidates (one for a
//! plain prediction file, its n-best list otherwise), each with the
//! system's probability for it, and every distinct answer proposed gets a
//! **support**:
//!
//! * [`QaMethod::Vote`]: `support(a) = Σ_m w_m · Σ_{c ∈ cands_m, c ≡ a} p_m(c)`
//!   — the weighted probability mass on answer `a` (with plain files, the
//!   weighted count of systems that gave it).
//! * [`QaMethod::Consensus`]: `support(a) = Σ_m w_m · Σ_{c ∈ cands_m} p_m(c) · F1(a, c)`
//!   — the answer with the highest expected token F1 against the systems'
//!   answers (minimum Bayes risk under the SQuAD F1); partial overlaps count,
//!   so an answer that shares most words with every other wins over an
//!   outlier that two systems copy.
//!
//! The answer with the highest support is returned. **Ties** go to the
//! answer proposed first, visiting systems in name order and each system's
//! candidates most probable first. With a no-answer threshold `t`, the fused
//! answer is `""` (no answer, SQuAD 2.0) when the winner's share of the
//! support available (`Σ_m w_m · Σ_c p_m(c)` over the systems that answered)
//! is below `t`; a system's own `""` is a vote for no answer.
//!
//! Weights and the threshold are learned ([`QaFuser::fit`]) by coordinate
//! ascent over a fixed grid, maximising F1 (or exact match) on labelled
//! questions: deterministic, and exact for the discrete objective (no
//! gradient exists): the core's [`modelfuse::learn::grid`] solver, one
//! coordinate per system over [`WEIGHT_GRID`] (ties keep the earlier grid
//! value; a move must be strictly better), at most 20 passes; the
//! threshold is one more pass over 0.05, 0.10, …, 1. Cost per question is O(A·S) to score, with A distinct
//! answers and S systems (consensus adds O(A·C) F1 computations once, C
//! candidates); learning costs O(passes · S · grid · Σ_questions A·S).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use modelfuse::learn::grid::{Grid, GridProblem};

use super::metrics::{ScriptVersion, token_f1};
use super::normalize::{answer_tokens, normalize_answer};
use super::squad::{Dataset, SystemAnswers};
use crate::FORMAT_VERSION;
use crate::error::{Error, ErrorKind, Result};

/// How systems' answers are combined (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QaMethod {
    /// Weighted voting on normalised answers.
    Vote,
    /// The answer with the highest weighted expected F1 against the others.
    Consensus,
}

impl QaMethod {
    /// `"vote"` or `"consensus"`.
    pub fn name(self) -> &'static str {
        match self {
            QaMethod::Vote => "vote",
            QaMethod::Consensus => "consensus",
        }
    }
}

impl std::str::FromStr for QaMethod {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "vote" => Ok(QaMethod::Vote),
            "consensus" => Ok(QaMethod::Consensus),
            _ => Err(Error::new(
                ErrorKind::InvalidParameter,
                format!("expected a QA method (vote, consensus), found {s:?}"),
            )),
        }
    }
}

/// What learning maximises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Mean F1, ties broken by exact match.
    F1,
    /// Mean exact match, ties broken by F1.
    ExactMatch,
}

impl std::str::FromStr for Objective {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "f1" => Ok(Objective::F1),
            "exact_match" | "em" => Ok(Objective::ExactMatch),
            _ => Err(Error::new(
                ErrorKind::InvalidParameter,
                format!("expected an objective (f1, exact_match), found {s:?}"),
            )),
        }
    }
}

/// The no-answer rule.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Abstain {
    /// Always answer (SQuAD 1.1).
    Never,
    /// Answer `""` below this share of support, in `[0, 1]`.
    Below(f64),
    /// Learn the threshold on the labelled questions.
    Learn,
}

/// The weights the grid search tries for each system: spaced so that a
/// system can be switched off, tie-break others, or outvote several.
pub const WEIGHT_GRID: &[f64] = &[
    0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0,
];

/// The settings of a QA fuser; [`fit`](Self::fit) or
/// [`fixed`](Self::fixed) turns them into a [`FittedQa`].
#[derive(Clone, Debug, PartialEq)]
pub struct QaFuser {
    /// The combination rule.
    pub method: QaMethod,
    /// Fixed weights by system name (the others get 1); ignored when
    /// learning.
    pub weights: BTreeMap<String, f64>,
    /// Learn the weights on labelled questions.
    pub learn_weights: bool,
    /// The no-answer rule.
    pub abstain: Abstain,
    /// Use every n-best candidate (true) or only each system's best answer.
    pub nbest: bool,
    /// What learning maximises.
    pub objective: Objective,
}

impl Default for QaFuser {
    /// Unweighted voting on every candidate, never abstaining, learning F1.
    fn default() -> Self {
        QaFuser {
            method: QaMethod::Vote,
            weights: BTreeMap::new(),
            learn_weights: false,
            abstain: Abstain::Never,
            nbest: true,
            objective: Objective::F1,
        }
    }
}

/// A QA fuser ready to fuse: the systems it expects, their weights and the
/// no-answer threshold. Saved as versioned JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedQa {
    /// The format version ([`FORMAT_VERSION`]), in the core's field (files
    /// before it called it `format_version`; they still load).
    pub modelfuse: u32,
    /// Always `"qa"`: what kind of fuser the file holds.
    pub task: String,
    /// The combination rule.
    pub method: QaMethod,
    /// The systems, in name order.
    pub systems: Vec<String>,
    /// One non-negative weight per system, not all zero.
    pub weights: Vec<f64>,
    /// Answer `""` below this share of support; `None` never abstains.
    pub no_answer_threshold: Option<f64>,
    /// Whether every n-best candidate votes, or only each system's best.
    pub nbest: bool,
    /// How it was fitted, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<FitSummary>,
}

/// What fitting saw and reached.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitSummary {
    /// The number of labelled questions fitted on.
    pub questions: usize,
    /// The objective maximised.
    pub objective: Objective,
    /// Exact match on those questions, in percent.
    pub exact_match: f64,
    /// F1 on those questions, in percent.
    pub f1: f64,
    /// Grid passes until no weight changed.
    pub passes: usize,
}

/// A fused answer and how sure the fusion was.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FusedAnswer {
    /// The answer text (as one of the systems wrote it), or `""`.
    pub text: String,
    /// The winner's share of the support available, in `[0, 1]`.
    pub share: f64,
}

/// One distinct (normalised) answer to one question.
#[derive(Clone, Debug)]
struct Group {
    /// The first surface form proposed.
    text: String,
    /// Each system's contribution to the support, before its weight.
    contrib: Vec<f64>,
}

/// Everything fusing one question needs, computed once per question.
#[derive(Clone, Debug)]
struct Ballot {
    groups: Vec<Group>,
    /// Each system's total probability mass (0 when it did not answer).
    mass: Vec<f64>,
}

impl Ballot {
    fn new(id: &str, systems: &[&SystemAnswers], method: QaMethod, nbest: bool) -> Option<Ballot> {
        let s = systems.len();
        let mut keys: Vec<String> = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut mass = vec![0.0; s];
        // (system, group, probability) of every candidate.
        let mut votes: Vec<(usize, usize, f64)> = Vec::new();
        for (m, system) in systems.iter().enumerate() {
            let Some(cands) = system.candidates(id) else {
                continue;
            };
            let cands = if nbest { cands } else { &cands[..1] };
            for c in cands {
                let key = normalize_answer(&c.text);
                let g = match keys.iter().position(|k| *k == key) {
                    Some(g) => g,
                    None => {
                        keys.push(key);
                        groups.push(Group {
                            text: c.text.clone(),
                            contrib: vec![0.0; s],
                        });
                        groups.len() - 1
                    }
                };
                votes.push((m, g, c.probability));
                mass[m] += c.probability;
            }
        }
        if groups.is_empty() {
            return None;
        }
        match method {
            QaMethod::Vote => {
                for &(m, g, p) in &votes {
                    groups[g].contrib[m] += p;
                }
            }
            QaMethod::Consensus => {
                let tokens: Vec<Vec<String>> =
                    groups.iter().map(|g| answer_tokens(&g.text)).collect();
                // Similarities between distinct answers, each computed once;
                // v2.0's rule makes two empty answers (no answer) agree.
                let n = groups.len();
                let mut sim = vec![0.0; n * n];
                for a in 0..n {
                    for b in a..n {
                        let v = if a == b {
                            1.0
                        } else {
                            token_f1(&tokens[a], &tokens[b], ScriptVersion::V2_0)
                        };
                        sim[a * n + b] = v;
                        sim[b * n + a] = v;
                    }
                }
                for a in 0..n {
                    for &(m, g, p) in &votes {
                        groups[a].contrib[m] += p * sim[a * n + g];
                    }
                }
            }
        }
        Some(Ballot { groups, mass })
    }

    /// The winning group (ties to the first) and its share.
    fn winner(&self, weights: &[f64]) -> (usize, f64) {
        let mut best = (0, f64::NEG_INFINITY);
        for (g, group) in self.groups.iter().enumerate() {
            let support: f64 = group.contrib.iter().zip(weights).map(|(c, w)| c * w).sum();
            if support > best.1 {
                best = (g, support);
            }
        }
        let available: f64 = self.mass.iter().zip(weights).map(|(c, w)| c * w).sum();
        let share = if available > 0.0 {
            (best.1 / available).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (best.0, share)
    }
}

impl FittedQa {
    /// A fuser with the given weights (`None`: all equal), without fitting.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] for no systems, duplicate names,
    /// weights that are negative, not finite or all zero, or a threshold
    /// outside `[0, 1]`.
    pub fn new(
        method: QaMethod,
        systems: Vec<String>,
        weights: Option<Vec<f64>>,
        no_answer_threshold: Option<f64>,
        nbest: bool,
    ) -> Result<FittedQa> {
        let weights = weights.unwrap_or_else(|| vec![1.0; systems.len()]);
        let fitted = FittedQa {
            modelfuse: FORMAT_VERSION,
            task: "qa".into(),
            method,
            systems,
            weights,
            no_answer_threshold,
            nbest,
            fit: None,
        };
        fitted.check()?;
        Ok(fitted)
    }

    /// Checks the invariants a loaded file must hold.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new), and [`ErrorKind::FittedFormat`] for a newer
    /// format version or another task.
    pub fn check(&self) -> Result<()> {
        if self.modelfuse > FORMAT_VERSION || self.task != "qa" {
            return Err(Error::new(
                ErrorKind::FittedFormat,
                format!(
                    "expected a QA fuser (task \"qa\") of format version {FORMAT_VERSION} or older, found task {:?} of version {}",
                    self.task, self.modelfuse
                ),
            ));
        }
        let param = |m: String| Err(Error::new(ErrorKind::InvalidParameter, m));
        if self.systems.is_empty() {
            return param("expected at least one system, found none".into());
        }
        let mut names = self.systems.clone();
        names.sort();
        names.dedup();
        if names.len() != self.systems.len() {
            return param(format!("system names repeat: {:?}", self.systems));
        }
        if self.weights.len() != self.systems.len() {
            return param(format!(
                "expected {} weights (one per system), found {}",
                self.systems.len(),
                self.weights.len()
            ));
        }
        crate::saved::check_weights(ErrorKind::InvalidParameter, self.weights.iter().copied())?;
        if let Some(t) = self.no_answer_threshold
            && !(0.0..=1.0).contains(&t)
        {
            return param(format!(
                "expected a no-answer threshold in [0, 1], found {t}"
            ));
        }
        Ok(())
    }

    /// Loads a fitted fuser from its JSON (this layout, or the older one
    /// with `format_version`), checking it.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::FittedFormat`] for bad JSON, a newer format version
    /// (checked first) or another task; the errors of
    /// [`check`](Self::check).
    pub fn from_json(text: &str, source: &str) -> Result<FittedQa> {
        let fitted: FittedQa = crate::saved::from_json(text, "fitted QA fuser", "qa")
            .map_err(|e| e.with_source(source))?;
        fitted.check().map_err(|e| e.with_source(source))?;
        Ok(fitted)
    }

    /// The JSON of this fuser (pretty, newline-terminated), on the core's
    /// versioned envelope.
    pub fn to_json(&self) -> String {
        crate::saved::to_json(self)
    }

    /// Orders `systems` (name, answers) as this fuser expects them.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] naming the systems missing or unexpected.
    fn align<'a>(&self, systems: &[(&str, &'a SystemAnswers)]) -> Result<Vec<&'a SystemAnswers>> {
        let given: Vec<&str> = systems.iter().map(|s| s.0).collect();
        let missing: Vec<&str> = self
            .systems
            .iter()
            .map(String::as_str)
            .filter(|s| !given.contains(s))
            .collect();
        let extra: Vec<&str> = given
            .iter()
            .copied()
            .filter(|g| !self.systems.iter().any(|s| s == g))
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "the fuser was fitted on systems {:?}; missing {:?}, not expected {:?}",
                    self.systems, missing, extra
                ),
            ));
        }
        Ok(self
            .systems
            .iter()
            .map(|name| {
                systems
                    .iter()
                    .find(|s| s.0 == name)
                    .expect("checked above")
                    .1
            })
            .collect())
    }

    /// Fuses the systems' answers: one answer for every question that at
    /// least one system answered, keyed by question id.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] when the systems are not the fitted ones (by
    /// name; order does not matter).
    pub fn predict(
        &self,
        systems: &[(&str, &SystemAnswers)],
    ) -> Result<BTreeMap<String, FusedAnswer>> {
        let ordered = self.align(systems)?;
        let mut ids: Vec<&str> = ordered.iter().flat_map(|s| s.ids()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut out = BTreeMap::new();
        for id in ids {
            let ballot =
                Ballot::new(id, &ordered, self.method, self.nbest).expect("some system answered");
            let (g, share) = ballot.winner(&self.weights);
            let text = match self.no_answer_threshold {
                Some(t) if share < t => String::new(),
                _ => ballot.groups[g].text.clone(),
            };
            out.insert(id.to_string(), FusedAnswer { text, share });
        }
        Ok(out)
    }
}

/// A labelled question prepared for learning: its ballot and the score of
/// each group and of abstaining.
struct Labelled {
    ballot: Ballot,
    /// (exact match, F1) of each group.
    scores: Vec<(f64, f64)>,
    /// (exact match, F1) of answering `""`.
    empty: (f64, f64),
}

/// The most passes of the weight search.
const MAX_PASSES: usize = 20;

/// Summed (exact match, F1) of the labelled questions fused with `weights`
/// and the no-answer `threshold`.
fn total(labelled: &[Labelled], weights: &[f64], threshold: Option<f64>) -> (f64, f64) {
    let (mut em, mut f1) = (0.0, 0.0);
    for l in labelled {
        let (g, share) = l.ballot.winner(weights);
        let s = match threshold {
            Some(t) if share < t => l.empty,
            _ => l.scores[g],
        };
        em += s.0;
        f1 += s.1;
    }
    (em, f1)
}

/// The objective first, the other score breaking its ties.
fn key(objective: Objective, (em, f1): (f64, f64)) -> (f64, f64) {
    match objective {
        Objective::F1 => (f1, em),
        Objective::ExactMatch => (em, f1),
    }
}

/// The weight search: one coordinate per system, [`WEIGHT_GRID`] its
/// candidates (never all weights zero).
struct Search<'a> {
    labelled: &'a [Labelled],
    systems: usize,
    objective: Objective,
    threshold: Option<f64>,
}

impl GridProblem for Search<'_> {
    type State = Vec<f64>;
    type Score = (f64, f64);

    fn coordinates(&self) -> usize {
        self.systems
    }

    fn candidates(&self, weights: &Vec<f64>, m: usize) -> Vec<Vec<f64>> {
        WEIGHT_GRID
            .iter()
            .filter(|&&w| w != weights[m])
            .map(|&w| {
                let mut t = weights.clone();
                t[m] = w;
                t
            })
            .filter(|t| t.iter().any(|&x| x != 0.0))
            .collect()
    }

    fn score(&self, weights: &mut Vec<f64>) -> (f64, f64) {
        key(
            self.objective,
            total(self.labelled, weights, self.threshold),
        )
    }
}

/// The no-answer threshold search: `None`, then 0.05, 0.10, …, 1.
struct Thresholds<'a> {
    labelled: &'a [Labelled],
    objective: Objective,
    weights: &'a [f64],
}

impl GridProblem for Thresholds<'_> {
    type State = Option<f64>;
    type Score = (f64, f64);

    fn coordinates(&self) -> usize {
        1
    }

    fn candidates(&self, _: &Option<f64>, _: usize) -> Vec<Option<f64>> {
        (1..=20).map(|step| Some(f64::from(step) / 20.0)).collect()
    }

    fn score(&self, threshold: &mut Option<f64>) -> (f64, f64) {
        key(
            self.objective,
            total(self.labelled, self.weights, *threshold),
        )
    }
}

impl QaFuser {
    /// A fuser with the settings' fixed weights, fitted on nothing.
    ///
    /// # Errors
    ///
    /// As [`FittedQa::new`]; [`ErrorKind::InvalidParameter`] for a weight
    /// naming a system not given, or `Abstain::Learn` (which needs labels).
    pub fn fixed(&self, systems: &[&str]) -> Result<FittedQa> {
        if matches!(self.abstain, Abstain::Learn) {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                "learning the no-answer threshold needs labelled questions (fit with a dataset)",
            ));
        }
        let names = sorted_names(systems)?;
        if let Some(unknown) = self.weights.keys().find(|k| !names.contains(k)) {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                format!("a weight names system {unknown:?}, which is not among {names:?}"),
            ));
        }
        let weights = names
            .iter()
            .map(|n| self.weights.get(n).copied().unwrap_or(1.0))
            .collect();
        let threshold = match self.abstain {
            Abstain::Below(t) => Some(t),
            _ => None,
        };
        FittedQa::new(self.method, names, Some(weights), threshold, self.nbest)
    }

    /// Fits on the labelled questions of `dataset` (all of them; pass a
    /// [`Dataset::subset`] to fit on part): learns the weights when
    /// `learn_weights`, the threshold with `Abstain::Learn`, and records the
    /// score reached. `version` decides the scoring rules.
    ///
    /// # Errors
    ///
    /// Those of [`fixed`](Self::fixed) (except for `Abstain::Learn`);
    /// [`ErrorKind::InvalidValue`] when no system answers any question of
    /// the dataset.
    pub fn fit(
        &self,
        systems: &[(&str, &SystemAnswers)],
        dataset: &Dataset,
        version: ScriptVersion,
    ) -> Result<FittedQa> {
        let start = QaFuser {
            abstain: match self.abstain {
                Abstain::Learn => Abstain::Never,
                other => other,
            },
            ..self.clone()
        };
        let names: Vec<&str> = systems.iter().map(|s| s.0).collect();
        let mut fitted = start.fixed(&names)?;
        let ordered = fitted.align(systems)?;
        let labelled: Vec<Labelled> = dataset
            .questions()
            .iter()
            .filter_map(|q| {
                let ballot = Ballot::new(&q.id, &ordered, self.method, self.nbest)?;
                let scores = ballot
                    .groups
                    .iter()
                    .map(|g| {
                        let s = super::metrics::score_answer(&g.text, &q.answers, version);
                        (s.exact_match, s.f1)
                    })
                    .collect();
                let e = super::metrics::score_answer("", &q.answers, version);
                Some(Labelled {
                    ballot,
                    scores,
                    empty: (e.exact_match, e.f1),
                })
            })
            .collect();
        if labelled.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                "no system answers any question of the dataset; are these the right files?",
            ));
        }
        let search = Search {
            labelled: &labelled,
            systems: fitted.weights.len(),
            objective: self.objective,
            threshold: fitted.no_answer_threshold,
        };
        let mut passes = 0;
        if self.learn_weights {
            let result = Grid::new(MAX_PASSES, 0.0).run(&search, fitted.weights.clone());
            passes = result.rounds;
            fitted.weights = result.state;
        }
        if matches!(self.abstain, Abstain::Learn) {
            // One pass over one coordinate: the thresholds 0.05, 0.10, …, 1
            // against never abstaining, the first best winning.
            let thresholds = Thresholds {
                labelled: &labelled,
                objective: self.objective,
                weights: &fitted.weights,
            };
            fitted.no_answer_threshold = Grid::new(1, 0.0).run(&thresholds, None).state;
        }
        let objective = self.objective;
        let (em, f1) = total(&labelled, &fitted.weights, fitted.no_answer_threshold);
        // Over every dataset question, as the official scripts count.
        let n = dataset.questions().len() as f64;
        fitted.fit = Some(FitSummary {
            questions: dataset.questions().len(),
            objective,
            exact_match: 100.0 * em / n,
            f1: 100.0 * f1 / n,
            passes,
        });
        fitted.check()?;
        Ok(fitted)
    }
}

fn sorted_names(systems: &[&str]) -> Result<Vec<String>> {
    let mut names: Vec<String> = systems.iter().map(|s| s.to_string()).collect();
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            format!("two systems are named {:?}; rename one file", w[0]),
        ));
    }
    if names.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            "expected at least one system, found none",
        ));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qa::squad::{Candidate, Question};

    fn plain(pairs: &[(&str, &str)]) -> SystemAnswers {
        SystemAnswers::from_answers(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())))
    }

    fn dataset(golds: &[(&str, &str)]) -> Dataset {
        Dataset::from_questions(
            "1.1",
            golds
                .iter()
                .map(|(id, a)| Question {
                    id: id.to_string(),
                    answers: vec![a.to_string()],
                    article: 0,
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn vote_groups_answers_after_normalisation() {
        let a = plain(&[("q", "The Broncos")]);
        let b = plain(&[("q", "broncos!")]);
        let c = plain(&[("q", "Panthers")]);
        let f = FittedQa::new(
            QaMethod::Vote,
            vec!["a".into(), "b".into(), "c".into()],
            None,
            None,
            true,
        )
        .unwrap();
        let out = f.predict(&[("c", &c), ("a", &a), ("b", &b)]).unwrap();
        assert_eq!(out["q"].text, "The Broncos");
        assert!((out["q"].share - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn ties_go_to_the_first_system_by_name() {
        let a = plain(&[("q", "x")]);
        let b = plain(&[("q", "y")]);
        let f = FittedQa::new(
            QaMethod::Vote,
            vec!["a".into(), "b".into()],
            None,
            None,
            true,
        )
        .unwrap();
        assert_eq!(f.predict(&[("b", &b), ("a", &a)]).unwrap()["q"].text, "x");
    }

    #[test]
    fn consensus_prefers_the_answer_that_overlaps_most() {
        let a = plain(&[("q", "Santa Clara, California")]);
        let b = plain(&[("q", "Santa Clara")]);
        let c = plain(&[("q", "Levi's Stadium in Santa Clara")]);
        let names = vec!["a".into(), "b".into(), "c".into()];
        let vote = FittedQa::new(QaMethod::Vote, names.clone(), None, None, true).unwrap();
        let cons = FittedQa::new(QaMethod::Consensus, names, None, None, true).unwrap();
        let systems = [("a", &a), ("b", &b), ("c", &c)];
        // Three different answers: vote falls back to the first system.
        assert_eq!(
            vote.predict(&systems).unwrap()["q"].text,
            "Santa Clara, California"
        );
        // "Santa Clara" shares the most tokens with all three.
        assert_eq!(cons.predict(&systems).unwrap()["q"].text, "Santa Clara");
    }

    #[test]
    fn nbest_probabilities_are_aggregated() {
        let a = SystemAnswers::from_candidates([(
            "q".to_string(),
            vec![
                Candidate {
                    text: "x".into(),
                    probability: 0.55,
                },
                Candidate {
                    text: "y".into(),
                    probability: 0.45,
                },
            ],
        )])
        .unwrap();
        let b = SystemAnswers::from_candidates([(
            "q".to_string(),
            vec![
                Candidate {
                    text: "z".into(),
                    probability: 0.5,
                },
                Candidate {
                    text: "y".into(),
                    probability: 0.4,
                },
            ],
        )])
        .unwrap();
        let names = vec!["a".into(), "b".into()];
        let all = FittedQa::new(QaMethod::Vote, names.clone(), None, None, true).unwrap();
        let top = FittedQa::new(QaMethod::Vote, names, None, None, false).unwrap();
        assert_eq!(all.predict(&[("a", &a), ("b", &b)]).unwrap()["q"].text, "y");
        assert_eq!(top.predict(&[("a", &a), ("b", &b)]).unwrap()["q"].text, "x");
    }

    #[test]
    fn threshold_abstains_on_weak_support() {
        let a = plain(&[("q", "x")]);
        let b = plain(&[("q", "y")]);
        let f = FittedQa::new(
            QaMethod::Vote,
            vec!["a".into(), "b".into()],
            None,
            Some(0.6),
            true,
        )
        .unwrap();
        assert_eq!(f.predict(&[("a", &a), ("b", &b)]).unwrap()["q"].text, "");
    }

    #[test]
    fn learning_finds_the_reliable_system() {
        // "good" is right on all four; two copies of "bad" agree on wrong
        // answers. Equal weights follow the bad pair; learned ones do not.
        let ids = ["1", "2", "3", "4"];
        let good = plain(&ids.map(|i| (i, "right")));
        let bad = plain(&ids.map(|i| (i, "wrong")));
        let d = dataset(&ids.map(|i| (i, "right")));
        let systems = [("good", &good), ("bad1", &bad), ("bad2", &bad)];
        let plain_fit = QaFuser::default()
            .fit(&systems, &d, ScriptVersion::V1_1)
            .unwrap();
        assert_eq!(plain_fit.fit.as_ref().unwrap().exact_match, 0.0);
        let learned = QaFuser {
            learn_weights: true,
            ..QaFuser::default()
        }
        .fit(&systems, &d, ScriptVersion::V1_1)
        .unwrap();
        assert_eq!(learned.fit.as_ref().unwrap().exact_match, 100.0);
        let out = learned.predict(&systems).unwrap();
        assert!(out.values().all(|a| a.text == "right"));
    }

    #[test]
    fn fitted_files_round_trip_and_refuse_newer_versions() {
        let f = FittedQa::new(
            QaMethod::Consensus,
            vec!["a".into()],
            None,
            Some(0.3),
            false,
        )
        .unwrap();
        let back = FittedQa::from_json(&f.to_json(), "f.json").unwrap();
        assert_eq!(back, f);
        let newer = f.to_json().replace("\"modelfuse\": 1", "\"modelfuse\": 99");
        let e = FittedQa::from_json(&newer, "f.json").unwrap_err();
        assert!(
            e.to_string().contains("written by a newer modelfuse"),
            "{e}"
        );
        let other = f.to_json().replace("\"qa\"", "\"ner\"");
        assert_eq!(
            FittedQa::from_json(&other, "f.json").unwrap_err().kind(),
            ErrorKind::FittedFormat
        );
        let e = f.predict(&[("b", &plain(&[("q", "x")]))]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Mismatch);
    }

    #[test]
    fn one_system_is_the_identity() {
        let a = plain(&[("q1", "Denver Broncos"), ("q2", "")]);
        for method in [QaMethod::Vote, QaMethod::Consensus] {
            let f = FittedQa::new(method, vec!["a".into()], None, None, true).unwrap();
            let out = f.predict(&[("a", &a)]).unwrap();
            assert_eq!(out["q1"].text, "Denver Broncos");
            assert_eq!(out["q2"].text, "");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Up to four systems answering up to six questions from a small
        /// vocabulary, so answers collide often.
        fn systems() -> impl Strategy<Value = Vec<Vec<Option<String>>>> {
            let answer = prop_oneof![
                Just(None),
                Just(Some(String::new())),
                "(the |a )?(red|blue|green)( car| house)?[.!]?".prop_map(Some),
            ];
            (1usize..5, 1usize..7).prop_flat_map(move |(s, q)| {
                proptest::collection::vec(proptest::collection::vec(answer.clone(), q), s)
            })
        }

        fn build(raw: &[Vec<Option<String>>]) -> Vec<(String, SystemAnswers)> {
            raw.iter()
                .enumerate()
                .map(|(m, answers)| {
                    let pairs = answers
                        .iter()
                        .enumerate()
                        .filter_map(|(q, a)| a.clone().map(|a| (format!("q{q}"), a)));
                    (format!("s{m}"), SystemAnswers::from_answers(pairs))
                })
                .collect()
        }

        proptest! {
            #[test]
            fn fused_answers_are_proposed_answers(raw in systems(), consensus in any::<bool>(),
                                                  weights in proptest::collection::vec(0.0f64..3.0, 4)) {
                let built = build(&raw);
                let pairs: Vec<(&str, &SystemAnswers)> = built.iter().map(|(n, a)| (n.as_str(), a)).collect();
                let names: Vec<String> = built.iter().map(|b| b.0.clone()).collect();
                let mut w: Vec<f64> = weights[..names.len()].to_vec();
                w[0] += 0.1;
                let method = if consensus { QaMethod::Consensus } else { QaMethod::Vote };
                let f = FittedQa::new(method, names, Some(w.clone()), None, true).unwrap();
                let out = f.predict(&pairs).unwrap();
                for (id, a) in &out {
                    prop_assert!(pairs.iter().any(|(_, s)| s.answer(id) == Some(a.text.as_str())));
                    prop_assert!((0.0..=1.0).contains(&a.share));
                }
                // Scaling every weight changes nothing.
                let scaled = FittedQa { weights: w.iter().map(|x| x * 7.0).collect(), ..f.clone() };
                let again = scaled.predict(&pairs).unwrap();
                prop_assert_eq!(
                    out.iter().map(|(k, v)| (k, &v.text)).collect::<Vec<_>>(),
                    again.iter().map(|(k, v)| (k, &v.text)).collect::<Vec<_>>()
                );
            }

            #[test]
            fn one_system_or_identical_systems_are_the_identity(raw in systems(), copies in 1usize..4) {
                let one = build(&raw[..1]);
                let pairs: Vec<(String, &SystemAnswers)> =
                    (0..copies).map(|c| (format!("copy{c}"), &one[0].1)).collect();
                let refs: Vec<(&str, &SystemAnswers)> = pairs.iter().map(|(n, a)| (n.as_str(), *a)).collect();
                let names: Vec<String> = pairs.iter().map(|p| p.0.clone()).collect();
                for method in [QaMethod::Vote, QaMethod::Consensus] {
                    let f = FittedQa::new(method, names.clone(), None, None, true).unwrap();
                    let out = f.predict(&refs).unwrap();
                    prop_assert_eq!(out.len(), one[0].1.len());
                    for (id, a) in &out {
                        prop_assert_eq!(Some(a.text.as_str()), one[0].1.answer(id));
                    }
                }
            }
        }
    }
}
