//! The NER fusers' settings ([`NerFuser`]), their fitted state
//! ([`FittedNer`], a versioned JSON file) and how weights and thresholds are
//! learned.
//!
//! # Learning, exactly
//!
//! With `learn` on, [`NerFuser::fit`] maximises the micro entity F1 (in the
//! fuser's [`Mode`]) of the fused output on the labelled sentences it is
//! given, by coordinate ascent over a grid, deterministically:
//!
//! 1. Start from weight 1 for every system (or the given weights) and the
//!    given threshold. For span voting, first pick the best threshold on the
//!    threshold grid for these weights.
//! 2. A round visits each weight in order (systems by name; with `per_type`,
//!    each system's types in sorted order). For each it tries every value of
//!    [`WEIGHT_GRID`] (span voting: each with its best threshold on
//!    [`THRESHOLD_GRID`]), and moves to the one with the highest F1 if that
//!    is higher than the current F1 by more than 1e-12; among equal F1s the
//!    first in grid order wins. All-zero weights are never tried.
//! 3. Rounds repeat until one changes nothing, at most [`MAX_ROUNDS`].
//!
//! This is the core's one grid solver, [`modelfuse::learn::grid`], with one
//! coordinate per weight and a margin of 1e-12; its module docs state the
//! tie rule.
//!
//! Each F1 evaluation fuses every sentence once, so learning costs
//! O(rounds · weights · grid · fusion) (span voting: × thresholds for the
//! selection step only).

use std::collections::BTreeMap;

use modelfuse::learn::grid::{Grid, GridProblem};

use crate::FORMAT_VERSION;
use crate::error::{Error, ErrorKind, Result};
use crate::ner::metrics::{Mode, entities};
use crate::ner::systems::{Span, Systems, spans_of_iob2};
use crate::ner::tag::Tag;
use crate::ner::{span_vote, token_vote, viterbi};

/// The weight values coordinate ascent tries.
pub const WEIGHT_GRID: [f64; 5] = [0.0, 0.5, 1.0, 2.0, 3.0];
/// The span-vote thresholds learning tries: 0.05, 0.10, …, 0.95.
pub const THRESHOLD_GRID: [f64; 19] = [
    0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80,
    0.85, 0.90, 0.95,
];
/// The most rounds of coordinate ascent.
pub const MAX_ROUNDS: usize = 5;

/// A fusion method for taggers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NerMethod {
    /// Token-level weighted vote, then IOB2 repair ([`token_vote`]).
    TokenVote,
    /// BIO-constrained Viterbi decoding over averaged probabilities
    /// ([`viterbi`]).
    Viterbi,
    /// Entity-level weighted vote with a support threshold
    /// ([`span_vote`]).
    SpanVote,
}

impl NerMethod {
    /// Every method, in the order reports list them.
    pub const ALL: [NerMethod; 3] = [
        NerMethod::TokenVote,
        NerMethod::Viterbi,
        NerMethod::SpanVote,
    ];

    /// The name used on the command line and in fitted files.
    pub fn name(self) -> &'static str {
        match self {
            NerMethod::TokenVote => "token-vote",
            NerMethod::Viterbi => "viterbi",
            NerMethod::SpanVote => "span-vote",
        }
    }
}

impl std::str::FromStr for NerMethod {
    type Err = Error;

    /// The only place a method name is parsed.
    fn from_str(s: &str) -> Result<NerMethod> {
        NerMethod::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidParameter,
                    format!("expected a method token-vote, viterbi or span-vote, found '{s}'"),
                )
            })
    }
}

/// A fuser's settings: what to fuse with and what to learn. Checked once by
/// [`NerFuser::check`]; fitting never changes them.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NerFuser {
    /// The method.
    pub method: NerMethod,
    /// Learn the weights (and, for span voting, the threshold) on labelled
    /// sentences.
    #[serde(default)]
    pub learn: bool,
    /// Span voting: one weight per system and entity type rather than per
    /// system.
    #[serde(default)]
    pub per_type: bool,
    /// Span voting: the support a span needs, in `(0, 1]`; the start of
    /// learning when `learn` is on.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Viterbi: added to each averaged probability before the logarithm
    /// (> 0).
    #[serde(default = "default_smoothing")]
    pub smoothing: f64,
    /// The F1 that learning maximises.
    #[serde(default)]
    pub mode: Mode,
    /// Given per-system weights (non-negative, not all zero); systems left
    /// out weigh 1. The start of learning when `learn` is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<BTreeMap<String, f64>>,
}

fn default_threshold() -> f64 {
    0.5
}

fn default_smoothing() -> f64 {
    1e-3
}

impl NerFuser {
    /// The default settings of a method: no learning, equal weights,
    /// threshold 0.5 (a span needs half the weight), smoothing 1e-3,
    /// conlleval F1.
    pub fn new(method: NerMethod) -> NerFuser {
        NerFuser {
            method,
            learn: false,
            per_type: false,
            threshold: default_threshold(),
            smoothing: default_smoothing(),
            mode: Mode::Conlleval,
            weights: None,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`]: a threshold outside `(0, 1]`, a
    /// smoothing that is not positive and finite, a negative or non-finite
    /// weight, `per_type` with a method other than span voting.
    pub fn check(&self) -> Result<()> {
        let param = |m: String| Err(Error::new(ErrorKind::InvalidParameter, m));
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return param(format!(
                "expected a threshold in (0, 1], found {}",
                self.threshold
            ));
        }
        if !(self.smoothing > 0.0 && self.smoothing.is_finite()) {
            return param(format!(
                "expected a positive smoothing, found {}",
                self.smoothing
            ));
        }
        if self.per_type && self.method != NerMethod::SpanVote {
            return param(format!(
                "expected per-type weights with span-vote only, found them with {}",
                self.method.name()
            ));
        }
        if let Some((n, v)) = self
            .weights
            .iter()
            .flatten()
            .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
        {
            return param(format!(
                "expected a non-negative weight for '{n}', found {v}"
            ));
        }
        Ok(())
    }

    /// A short description, e.g. `span-vote (learned, per type)`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.learn {
            parts.push("learned");
        }
        if self.per_type {
            parts.push("per type");
        }
        if parts.is_empty() {
            self.method.name().to_string()
        } else {
            format!("{} ({})", self.method.name(), parts.join(", "))
        }
    }

    /// Fits the fuser on the sentences `sentences` of `systems`; `gold` (all
    /// sentences, aligned with `systems`) is needed only when learning.
    ///
    /// # Errors
    ///
    /// * As [`NerFuser::check`]; a weight for a system that is not given.
    /// * [`ErrorKind::InvalidParameter`]: learning without gold or without
    ///   sentences; all weights zero.
    /// * [`ErrorKind::Mismatch`]: gold with a different number of sentences
    ///   or tokens than the systems; a sentence index out of range.
    /// * The errors of [`entities`] on the gold in strict mode.
    ///
    /// # Example
    ///
    /// ```
    /// use modelfuse_nlp::ner::{NerFuser, NerMethod, Systems, Tag};
    ///
    /// let tags = |s: &str| s.split(' ').map(|t| Tag::parse(t)).collect::<Result<Vec<_>, _>>();
    /// let systems = Systems::from_tags(
    ///     vec![
    ///         ("a".to_string(), vec![tags("B-PER I-PER O")?]),
    ///         ("b".to_string(), vec![tags("B-PER O O")?]),
    ///         ("c".to_string(), vec![tags("B-PER I-PER B-LOC")?]),
    ///     ],
    ///     [],
    /// )?;
    /// let fitted = NerFuser::new(NerMethod::SpanVote).fit(&systems, None, &[0])?;
    /// assert_eq!(fitted.predict(&systems)?, vec![tags("B-PER I-PER O")?]);
    /// # Ok::<(), modelfuse_nlp::Error>(())
    /// ```
    pub fn fit(
        &self,
        systems: &Systems,
        gold: Option<&[Vec<Tag>]>,
        sentences: &[usize],
    ) -> Result<FittedNer> {
        self.check()?;
        let names = systems.names();
        let types = systems.labels().types();
        let mut start = vec![1.0; names.len()];
        if let Some(given) = &self.weights {
            for (n, &v) in given {
                let s = names.iter().position(|x| x == n).ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidParameter,
                        format!(
                            "expected weights for systems among [{}], found '{n}'",
                            names.join(", ")
                        ),
                    )
                })?;
                start[s] = v;
            }
        }
        crate::saved::check_weights(ErrorKind::InvalidParameter, start.iter().copied())?;
        let mut params = Params {
            system: start.clone(),
            weights: start.iter().map(|&v| vec![v; types.len()]).collect(),
            threshold: self.threshold,
            smoothing: self.smoothing,
        };
        let mut fit_f1 = None;
        if self.learn {
            let gold = gold.ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidParameter,
                    "expected gold tags to learn from, found none",
                )
            })?;
            if sentences.is_empty() {
                return Err(Error::new(
                    ErrorKind::InvalidParameter,
                    "expected sentences to learn from, found none",
                ));
            }
            let objective = Objective::new(systems, gold, sentences, self.mode)?;
            fit_f1 = Some(self.ascend(systems, &objective, &mut params));
        } else if let Some(gold) = gold
            && !sentences.is_empty()
        {
            let objective = Objective::new(systems, gold, sentences, self.mode)?;
            fit_f1 = Some(objective.f1(systems, self.method, &params));
        }
        let weights = names
            .iter()
            .cloned()
            .zip(params.system.iter().copied())
            .collect();
        let type_weights = self.per_type.then(|| {
            names
                .iter()
                .zip(&params.weights)
                .map(|(n, w)| {
                    (
                        n.clone(),
                        types.iter().cloned().zip(w.iter().copied()).collect(),
                    )
                })
                .collect()
        });
        Ok(FittedNer {
            modelfuse: FORMAT_VERSION,
            task: "ner".to_string(),
            spec: self.clone(),
            systems: names.to_vec(),
            types: types.to_vec(),
            state: NerState {
                weights,
                type_weights,
                threshold: params.threshold,
            },
            fit: fit_f1.map(|f1| FitSummary {
                sentences: sentences.len(),
                f1,
            }),
        })
    }

    /// Coordinate ascent (see the module docs) on the core's grid solver;
    /// returns the final F1.
    fn ascend(&self, systems: &Systems, obj: &Objective, params: &mut Params) -> f64 {
        let n_types = systems.labels().types().len();
        // The coordinates: (system, None) ties all of a system's types
        // together; (system, Some(k)) is one type's weight.
        let coords: Vec<(usize, Option<usize>)> = if self.per_type {
            (0..systems.names().len())
                .flat_map(|s| (0..n_types).map(move |k| (s, Some(k))))
                .collect()
        } else {
            (0..systems.names().len()).map(|s| (s, None)).collect()
        };
        let problem = Ascent {
            systems,
            obj,
            method: self.method,
            coords,
        };
        let result = Grid::new(MAX_ROUNDS, MIN_GAIN).run(&problem, params.clone());
        *params = result.state;
        result.score
    }
}

/// A move must raise the F1 by more than this.
const MIN_GAIN: f64 = 1e-12;

/// NER's weight search as a [`GridProblem`].
struct Ascent<'a> {
    systems: &'a Systems,
    obj: &'a Objective<'a>,
    method: NerMethod,
    coords: Vec<(usize, Option<usize>)>,
}

impl GridProblem for Ascent<'_> {
    type State = Params;
    type Score = f64;

    fn coordinates(&self) -> usize {
        self.coords.len()
    }

    fn candidates(&self, params: &Params, c: usize) -> Vec<Params> {
        let (s, k) = self.coords[c];
        WEIGHT_GRID
            .iter()
            .filter_map(|&v| {
                let mut trial = params.clone();
                match k {
                    Some(k) => trial.weights[s][k] = v,
                    None => {
                        trial.system[s] = v;
                        trial.weights[s].iter_mut().for_each(|w| *w = v);
                    }
                }
                (trial != *params && !trial.all_zero()).then_some(trial)
            })
            .collect()
    }

    /// The F1; span voting first picks the best threshold for the weights.
    fn score(&self, p: &mut Params) -> f64 {
        if self.method == NerMethod::SpanVote {
            let (f1, thr) = self.obj.best_threshold(self.systems, p);
            p.threshold = thr;
            f1
        } else {
            self.obj.f1(self.systems, self.method, p)
        }
    }
}

/// What the fusers compute with: a weight per system (token vote, Viterbi),
/// weights `[system][type]` (span vote; equal to the system's weight unless
/// per type), the span threshold and the Viterbi smoothing.
#[derive(Clone, Debug, PartialEq)]
struct Params {
    system: Vec<f64>,
    weights: Vec<Vec<f64>>,
    threshold: f64,
    smoothing: f64,
}

impl Params {
    fn all_zero(&self) -> bool {
        let types = self.weights.first().map_or(0, Vec::len);
        self.system.iter().all(|&w| w == 0.0)
            || (types > 0 && self.weights.iter().flatten().all(|&w| w == 0.0))
    }

    fn predict(&self, systems: &Systems, method: NerMethod, i: usize) -> Vec<usize> {
        match method {
            NerMethod::TokenVote => token_vote::predict(systems, i, &self.system),
            NerMethod::Viterbi => viterbi::predict(systems, i, &self.system, self.smoothing),
            NerMethod::SpanVote => span_vote::predict(systems, i, &self.weights, self.threshold),
        }
    }
}

/// The gold spans of the training sentences, to score candidate settings.
struct Objective<'a> {
    sentences: &'a [usize],
    gold: Vec<Vec<Span>>,
    n_gold: usize,
}

impl<'a> Objective<'a> {
    fn new(
        systems: &Systems,
        gold: &[Vec<Tag>],
        sentences: &'a [usize],
        mode: Mode,
    ) -> Result<Objective<'a>> {
        check_gold(systems, gold)?;
        let mut spans = Vec::with_capacity(sentences.len());
        for &i in sentences {
            let g = gold.get(i).ok_or_else(|| {
                Error::new(
                    ErrorKind::Mismatch,
                    format!("expected sentence indices below {}, found {i}", gold.len()),
                )
            })?;
            let ents = entities(g, mode).map_err(|e| e.with_item(format!("gold sentence {i}")))?;
            spans.push(systems.spans_of(&ents));
        }
        let n_gold = spans.iter().map(Vec::len).sum();
        Ok(Objective {
            sentences,
            gold: spans,
            n_gold,
        })
    }

    fn f1_of(&self, tp: usize, predicted: usize) -> f64 {
        crate::ner::metrics::Counts {
            tp,
            predicted,
            gold: self.n_gold,
        }
        .scores()
        .f1
    }

    fn f1(&self, systems: &Systems, method: NerMethod, p: &Params) -> f64 {
        let (mut tp, mut predicted) = (0, 0);
        for (g, &i) in self.gold.iter().zip(self.sentences) {
            let pred = spans_of_iob2(&p.predict(systems, method, i));
            predicted += pred.len();
            tp += pred.iter().filter(|s| g.contains(s)).count();
        }
        self.f1_of(tp, predicted)
    }

    /// The best F1 over the threshold grid for span voting with `p`'s
    /// weights, and its threshold (the first in grid order among equals).
    fn best_threshold(&self, systems: &Systems, p: &Params) -> (f64, f64) {
        let totals = span_vote::totals(&p.weights, systems.labels().types().len());
        let cands: Vec<_> = self
            .sentences
            .iter()
            .map(|&i| span_vote::candidates(systems, i, &p.weights, &totals))
            .collect();
        let mut best = (f64::NEG_INFINITY, THRESHOLD_GRID[0]);
        for &thr in &THRESHOLD_GRID {
            let (mut tp, mut predicted) = (0, 0);
            for (c, g) in cands.iter().zip(&self.gold) {
                let kept = span_vote::select(c, thr);
                predicted += kept.len();
                tp += kept.iter().filter(|s| g.contains(s)).count();
            }
            let f1 = self.f1_of(tp, predicted);
            if f1 > best.0 {
                best = (f1, thr);
            }
        }
        best
    }
}

/// Checks that the gold has the systems' sentences and tokens.
fn check_gold(systems: &Systems, gold: &[Vec<Tag>]) -> Result<()> {
    if gold.len() != systems.n_sentences() {
        return Err(Error::new(
            ErrorKind::Mismatch,
            format!(
                "expected gold for {} sentences, found {}",
                systems.n_sentences(),
                gold.len()
            ),
        ));
    }
    for (i, (g, &n)) in gold.iter().zip(systems.lengths()).enumerate() {
        if g.len() != n {
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!("expected {n} gold tags, found {}", g.len()),
            )
            .with_item(format!("sentence {i}")));
        }
    }
    Ok(())
}

/// The learned state of a fitted fuser.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NerState {
    /// Each system's weight (span voting per type: unused, see
    /// `type_weights`).
    pub weights: BTreeMap<String, f64>,
    /// Span voting per type: each system's weight per entity type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_weights: Option<BTreeMap<String, BTreeMap<String, f64>>>,
    /// The span-vote threshold (kept for every method; used by span voting).
    pub threshold: f64,
}

/// How the fuser did on the sentences it was fitted on (in-sample: an
/// optimistic number when learned).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitSummary {
    /// The number of sentences.
    pub sentences: usize,
    /// The micro entity F1 (a fraction) on them.
    pub f1: f64,
}

/// A fitted NER fuser: settings, the systems and types it was fitted on, and
/// its learned state. Saved as JSON:
/// `{"modelfuse": 1, "task": "ner", "spec": {…}, "systems": […], "types": […],
/// "state": {"weights": {…}, "threshold": …}, "fit": {…}}`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedNer {
    /// The format version ([`FORMAT_VERSION`]).
    pub modelfuse: u32,
    /// Always `"ner"`, so a QA or classification fuser file is refused.
    pub task: String,
    /// The settings it was fitted with.
    pub spec: NerFuser,
    /// The systems, sorted by name.
    pub systems: Vec<String>,
    /// The entity types known at fitting time.
    pub types: Vec<String>,
    /// The learned state.
    pub state: NerState,
    /// The F1 on the fitting sentences, when gold was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<FitSummary>,
}

impl FittedNer {
    /// Fuses every sentence of `systems`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Mismatch`] when the systems are not the ones it was
    /// fitted on, by name (listing the missing and the unexpected ones).
    pub fn predict(&self, systems: &Systems) -> Result<Vec<Vec<Tag>>> {
        let labels = self.predict_labels(systems)?;
        Ok(labels.iter().map(|l| systems.tags_of(l)).collect())
    }

    /// Fuses every sentence into IOB2 label indices of `systems.labels()`.
    ///
    /// # Errors
    ///
    /// As [`FittedNer::predict`].
    pub fn predict_labels(&self, systems: &Systems) -> Result<Vec<Vec<usize>>> {
        let params = self.params(systems)?;
        Ok((0..systems.n_sentences())
            .map(|i| params.predict(systems, self.spec.method, i))
            .collect())
    }

    fn params(&self, systems: &Systems) -> Result<Params> {
        let missing: Vec<&String> = self
            .systems
            .iter()
            .filter(|n| !systems.names().contains(n))
            .collect();
        let extra: Vec<&String> = systems
            .names()
            .iter()
            .filter(|n| !self.systems.contains(n))
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            let list = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "expected the systems the fuser was fitted on; missing [{}], unexpected [{}]",
                    list(&missing),
                    list(&extra)
                ),
            ));
        }
        let weights = systems
            .names()
            .iter()
            .map(|n| {
                let base = self.state.weights.get(n).copied().unwrap_or(1.0);
                let per = self.state.type_weights.as_ref().and_then(|t| t.get(n));
                systems
                    .labels()
                    .types()
                    .iter()
                    // A type unseen at fitting time gets the system's weight.
                    .map(|k| per.and_then(|m| m.get(k)).copied().unwrap_or(base))
                    .collect()
            })
            .collect();
        let system = systems
            .names()
            .iter()
            .map(|n| self.state.weights.get(n).copied().unwrap_or(1.0))
            .collect();
        Ok(Params {
            system,
            weights,
            threshold: self.state.threshold,
            smoothing: self.spec.smoothing,
        })
    }

    /// The fitted fuser as pretty JSON (deterministic: maps are sorted),
    /// on the core's versioned envelope.
    pub fn to_json(&self) -> String {
        crate::saved::to_json(self)
    }

    /// Reads a fitted fuser written by [`FittedNer::to_json`]: the version
    /// first, then the task `ner`, then the body (the core's [`modelfuse::format`] envelope).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::FittedFormat`]: not JSON of this shape, a task other
    /// than `ner`, a format version newer than [`FORMAT_VERSION`], weights
    /// that [`modelfuse::Weights`] refuses, a threshold outside `(0, 1]`;
    /// and the errors of [`NerFuser::check`] on its settings.
    pub fn from_json(text: &str) -> Result<FittedNer> {
        let fitted: FittedNer = crate::saved::from_json(text, "fitted NER fuser", "ner")?;
        fitted.spec.check()?;
        let st = &fitted.state;
        let all = st.weights.values().chain(
            st.type_weights
                .iter()
                .flat_map(|m| m.values().flat_map(|t| t.values())),
        );
        crate::saved::check_weights(ErrorKind::FittedFormat, all.copied())
            .map_err(|e| e.with_item("state weights"))?;
        if !(st.threshold > 0.0 && st.threshold <= 1.0) {
            return Err(Error::new(
                ErrorKind::FittedFormat,
                format!("expected a threshold in (0, 1], found {}", st.threshold),
            ));
        }
        Ok(fitted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ner::test_support::tags;

    /// Three systems; "good" is always right, the others add noise.
    fn data() -> (Systems, Vec<Vec<Tag>>) {
        let gold = vec![
            tags("B-x I-x O B-y"),
            tags("O B-y O O"),
            tags("B-x O B-x I-x"),
        ];
        let sys = Systems::from_tags(
            vec![
                ("good".into(), gold.clone()),
                (
                    "n1".into(),
                    vec![
                        tags("B-y I-y O O"),
                        tags("B-x I-x O O"),
                        tags("O O B-y I-y"),
                    ],
                ),
                (
                    "n2".into(),
                    vec![
                        tags("B-y I-y O O"),
                        tags("B-x I-x O O"),
                        tags("O O B-y I-y"),
                    ],
                ),
            ],
            [],
        )
        .unwrap();
        (sys, gold)
    }

    #[test]
    fn learning_finds_the_good_system() {
        let (sys, gold) = data();
        for method in NerMethod::ALL {
            let mut f = NerFuser::new(method);
            let plain = f.fit(&sys, Some(&gold), &[0, 1, 2]).unwrap();
            assert!(plain.fit.unwrap().f1 < 0.5, "{method:?}");
            f.learn = true;
            let fitted = f.fit(&sys, Some(&gold), &[0, 1, 2]).unwrap();
            assert_eq!(fitted.fit.unwrap().f1, 1.0, "{method:?}");
            assert_eq!(fitted.predict(&sys).unwrap(), gold, "{method:?}");
        }
    }

    #[test]
    fn fitted_round_trips_and_checks_names() {
        let (sys, gold) = data();
        let mut f = NerFuser::new(NerMethod::SpanVote);
        f.learn = true;
        f.per_type = true;
        let fitted = f.fit(&sys, Some(&gold), &[0, 1, 2]).unwrap();
        let back = FittedNer::from_json(&fitted.to_json()).unwrap();
        assert_eq!(back, fitted);
        assert_eq!(back.to_json(), fitted.to_json());
        let other =
            Systems::from_tags(vec![("good".into(), gold.clone()), ("zz".into(), gold)], [])
                .unwrap();
        assert_eq!(
            fitted.predict(&other).unwrap_err().to_string(),
            "expected the systems the fuser was fitted on; missing [n1, n2], unexpected [zz]"
        );
        let newer = fitted
            .to_json()
            .replacen("\"modelfuse\": 1", "\"modelfuse\": 9", 1);
        assert_eq!(
            FittedNer::from_json(&newer).unwrap_err().kind(),
            ErrorKind::FittedFormat
        );
    }

    #[test]
    fn settings_are_checked() {
        let mut f = NerFuser::new(NerMethod::TokenVote);
        f.per_type = true;
        assert_eq!(f.check().unwrap_err().kind(), ErrorKind::InvalidParameter);
        let mut f = NerFuser::new(NerMethod::SpanVote);
        f.threshold = 0.0;
        assert!(f.check().is_err());
        assert_eq!(
            "vote".parse::<NerMethod>().unwrap_err().to_string(),
            "expected a method token-vote, viterbi or span-vote, found 'vote'"
        );
    }
}
