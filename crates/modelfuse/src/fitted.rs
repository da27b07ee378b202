//! [`FittedFuser`]: a fitted fuser in its saved, versioned form, and the
//! fitting that produces it ([`FuserSpec::fit_with`]).
//!
//! A saved fuser is a JSON object:
//!
//! ```json
//! { "modelfuse": 1,
//!   "spec": { "method": "score-weighted", "by": "log_loss", "power": 1.0 },
//!   "task": { "kind": "multiclass", "n_classes": 3 },
//!   "models": ["bert", "roberta"],
//!   "classes": ["neg", "neu", "pos"],
//!   "state": { "weights": [0.4, 0.6], "scores": [0.61, 0.52] } }
//! ```
//!
//! with, when they were asked for, `calibration` (temperatures) and
//! `dropped` (models pruned away, with the reason). Loading checks the
//! format version; predicting checks that the models and classes it is given
//! are the ones it was fitted on, by name.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::calibrate::{self, Temperature};
use crate::cv;
use crate::error::{Error, ErrorKind, Result};
use crate::fuser::{Fitted, Fuser};
use crate::fusers::{
    EnsembleSelection, FittedMeta, FittedStacking, GeometricMean, MajorityVote, Mean, Median,
    MetaModel, RankAverage, ScoreWeighted, Stacking, StackingFit, TieBreak, WeightedMean,
};
use crate::learn::{folds, simplex};
use crate::metrics::Metric;
use crate::predictions::{Predictions, Targets, Task};
use crate::prune::{self, Dropped, PruneOptions};
use crate::segments::FittedSegments;
use crate::spec::{FuserSpec, NamedWeights};
use crate::weights::Weights;

/// The version of the saved-fuser format this build writes and reads. A file
/// with a higher version was written by a newer modelfuse and is refused
/// rather than misread.
pub const FORMAT_VERSION: u32 = 1;

/// Which temperatures to fit (see [`crate::calibrate`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Calibrate {
    /// No calibration.
    #[default]
    None,
    /// One temperature per model, applied before fusing.
    Models,
    /// One temperature for the fused output, fitted on out-of-fold fused
    /// predictions.
    Output,
    /// Both.
    Both,
}

impl Calibrate {
    fn models(self) -> bool {
        matches!(self, Calibrate::Models | Calibrate::Both)
    }

    fn output(self) -> bool {
        matches!(self, Calibrate::Output | Calibrate::Both)
    }
}

impl FromStr for Calibrate {
    type Err = Error;
    fn from_str(s: &str) -> Result<Calibrate> {
        Ok(match s {
            "none" => Calibrate::None,
            "models" => Calibrate::Models,
            "output" => Calibrate::Output,
            "both" => Calibrate::Both,
            _ => {
                return Err(Error::param(format!(
                    "expected a calibration among [none, models, output, both], found '{s}'"
                )));
            }
        })
    }
}

impl fmt::Display for Calibrate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Calibrate::None => "none",
            Calibrate::Models => "models",
            Calibrate::Output => "output",
            Calibrate::Both => "both",
        })
    }
}

/// What surrounds a method's own fit: pruning, calibration, and the folds
/// used when out-of-fold predictions are needed.
#[derive(Clone, Debug, PartialEq)]
pub struct FitOptions {
    /// Temperatures to fit.
    pub calibrate: Calibrate,
    /// Drop models that do not help before fitting.
    pub prune: Option<PruneOptions>,
    /// Folds for out-of-fold predictions (output calibration).
    pub folds: usize,
    /// Seed of the folds.
    pub seed: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            calibrate: Calibrate::None,
            prune: None,
            folds: 5,
            seed: 0,
        }
    }
}

/// What a fitted fuser learned; empty for methods that learn nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedState {
    /// Per-model weights, in the order of [`FittedFuser::models`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Weights>,
    /// Per-model validation scores: those the weights were derived from
    /// (score-weighted), or the accuracies that rank models for the
    /// best-model tie rule (vote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<Vec<f64>>,
    /// The fitted meta-model (stacking, blending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<FittedMeta>,
}

/// Temperatures fitted around the method.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// One temperature per model (in model order), applied before fusing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<Temperature>>,
    /// The temperature of the fused output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Temperature>,
}

/// A fitted fuser in its saved form: the spec, the models and classes it was
/// fitted on, and what it learned. It is itself [`Fitted`]: `predict` checks
/// and reorders the incoming models and classes by name first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedFuser {
    /// The saved-format version ([`FORMAT_VERSION`] when written).
    pub modelfuse: u32,
    /// The method and its settings.
    pub spec: FuserSpec,
    /// The task it was fitted for.
    pub task: Task,
    /// The models, by name, in the order the state refers to them.
    pub models: Vec<String>,
    /// The classes, in output order.
    pub classes: Vec<String>,
    /// What was learned.
    pub state: FittedState,
    /// Temperatures, when calibration was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
    /// Models pruned away at fit time (and why); `predict` ignores them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<Dropped>,
    /// For a fuser fitted on segments (rows of documents): the order of
    /// pooling and fusing, the pooling, and learned aggregators. Such a
    /// fuser predicts with [`FittedFuser::predict_segments`] only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<FittedSegments>,
}

impl FuserSpec {
    /// Fits the fuser on `preds` and, for methods that learn, `targets`.
    ///
    /// # Errors
    ///
    /// Labels missing for a method that learns from them; weights naming
    /// models that are not there (or leaving some out); a method that does
    /// not apply to the task; or any error of the method's own fit.
    pub fn fit(&self, preds: &Predictions, targets: Option<&Targets>) -> Result<FittedFuser> {
        self.fit_with(preds, targets, &FitOptions::default())
    }

    /// Fits with pruning and calibration around the method (see
    /// [`FitOptions`]).
    ///
    /// # Errors
    ///
    /// As [`FuserSpec::fit`]; pruning and calibration need labels.
    pub fn fit_with(
        &self,
        preds: &Predictions,
        targets: Option<&Targets>,
        options: &FitOptions,
    ) -> Result<FittedFuser> {
        self.check()?;
        let needs =
            self.needs_targets() || options.prune.is_some() || options.calibrate != Calibrate::None;
        let targets = match (targets, needs) {
            (Some(t), _) => Some(t),
            (None, false) => None,
            (None, true) => {
                let what = if self.needs_targets() {
                    format!("{} learns", self.method())
                } else {
                    "pruning and calibration learn".to_string()
                };
                return Err(Error::param(format!(
                    "{what} from labels; pass the validation labels"
                )));
            }
        };
        // Pruning: the method is then fitted on the kept models only.
        let (preds, dropped) = match (&options.prune, targets) {
            (Some(p), Some(t)) => {
                let pruning = prune::prune(self, preds, t, p)?;
                (
                    Cow::Owned(preds.subset_models(&pruning.kept)?),
                    pruning.dropped,
                )
            }
            _ => (Cow::Borrowed(preds), Vec::new()),
        };
        let (calibrated, model_temps) = match (options.calibrate.models(), targets) {
            (true, Some(t)) => {
                let (p, temps) = calibrate::calibrate_models(&preds, t)?;
                (Cow::Owned(p), Some(temps))
            }
            _ => (Cow::Borrowed(preds.as_ref()), None),
        };
        let state = self.fit_state(&calibrated, targets)?;
        let mut fitted = FittedFuser {
            modelfuse: FORMAT_VERSION,
            spec: self.clone(),
            task: preds.task(),
            models: preds.models().to_vec(),
            classes: preds.classes().to_vec(),
            state,
            calibration: None,
            dropped,
            segments: None,
        };
        if model_temps.is_some() || options.calibrate.output() {
            fitted.calibration = Some(Calibration {
                models: model_temps,
                output: None,
            });
        }
        if let (true, Some(t)) = (options.calibrate.output(), targets) {
            // Fit the output temperature on out-of-fold fused predictions:
            // in-sample ones are over-confident for methods that learn.
            let inner = FitOptions {
                calibrate: if options.calibrate.models() {
                    Calibrate::Models
                } else {
                    Calibrate::None
                },
                prune: None,
                ..options.clone()
            };
            let k = options.folds.min(preds.n_samples());
            let fold_sets = cv::folds_for(t, preds.n_outputs(), k, options.seed)?;
            let oof = cv::cross_val_predict(self, &inner, &preds, t, &fold_sets)?;
            let temp = calibrate::fit_temperature(oof.model(0), oof.n_outputs(), oof.task(), t)?;
            if let Some(c) = fitted.calibration.as_mut() {
                c.output = Some(temp);
            }
        }
        // Fail at fit time, not at predict time, when the method does not apply.
        fitted.predict(&preds)?;
        Ok(fitted)
    }

    /// What the method itself learns from (calibrated) predictions.
    fn fit_state(&self, preds: &Predictions, targets: Option<&Targets>) -> Result<FittedState> {
        let mut state = FittedState::default();
        let named = match self {
            FuserSpec::Weighted { weights } => Some(weights),
            FuserSpec::Vote { weights, .. }
            | FuserSpec::SoftVote { weights }
            | FuserSpec::Rank { weights } => weights.as_ref(),
            _ => None,
        };
        state.weights = named.map(|w| resolve(w, preds)).transpose()?;
        let Some(t) = targets else {
            return Ok(state);
        };
        match self {
            FuserSpec::ScoreWeighted { by, power } => {
                let fitted = ScoreWeighted::new(*by, *power)?.fit(preds, t)?;
                state.weights = fitted.weights().cloned();
                state.scores = fitted.scores().map(<[f64]>::to_vec);
            }
            FuserSpec::Vote {
                tie: TieBreak::BestModel,
                ..
            } => {
                let fitted = MajorityVote::new()
                    .with_tie(TieBreak::BestModel)
                    .fit(preds, t)?;
                state.scores = fitted.accuracies().map(<[f64]>::to_vec);
            }
            FuserSpec::Optimized { by, geometric } => {
                let objective = match (preds.task(), geometric) {
                    (Task::Regression, false) => simplex::Objective::SquaredError,
                    (Task::Regression, true) => {
                        return Err(crate::fusers::unsupported(
                            "the geometric mean",
                            Task::Regression,
                            "; use optimized without --geometric",
                        ));
                    }
                    (_, false) => simplex::Objective::LogLoss,
                    (_, true) => simplex::Objective::GeometricLogLoss,
                };
                state.weights = Some(match by {
                    None => {
                        simplex::optimize_weights(
                            preds,
                            t,
                            objective,
                            &simplex::SimplexOptions::default(),
                        )?
                        .0
                    }
                    Some(_) if *geometric => {
                        return Err(Error::unsupported(
                            "optimized --by searches the weights of the arithmetic mean; drop --geometric or --by",
                        ));
                    }
                    Some(metric) => {
                        simplex::search_weights(
                            preds,
                            t,
                            *metric,
                            &simplex::SearchOptions::default(),
                        )?
                        .0
                    }
                });
            }
            FuserSpec::Stacking { meta, transform } => {
                let fit = stacker(preds.task(), *meta, *transform).fit_meta(preds, t)?;
                store_stacking(&mut state, fit);
            }
            FuserSpec::Blending {
                meta,
                transform,
                holdout,
                seed,
            } => {
                let rows = holdout_rows(t, preds.n_outputs(), *holdout, *seed)?;
                let fit = stacker(preds.task(), *meta, *transform)
                    .fit_meta(&preds.select_rows(&rows), &t.select(&rows))?;
                store_stacking(&mut state, fit);
            }
            FuserSpec::Selection {
                by,
                rounds,
                sorted_init,
                replacement,
                bags,
                bag_fraction,
                seed,
            } => {
                let metric = by.unwrap_or(match preds.task() {
                    Task::Regression => Metric::Rmse,
                    _ => Metric::LogLoss,
                });
                let mut sel = EnsembleSelection::new()
                    .rounds(*rounds)
                    .metric(metric)
                    .sorted_init(*sorted_init)
                    .with_replacement(*replacement);
                if *bags > 0 {
                    sel = sel.bagging(Some(crate::fusers::Bagging {
                        bags: *bags,
                        fraction: *bag_fraction,
                        seed: *seed,
                    }));
                }
                state.weights = Some(sel.select(preds, t)?.weights);
            }
            _ => {}
        }
        Ok(state)
    }
}

fn stacker(
    task: Task,
    meta: Option<MetaModel>,
    transform: Option<crate::fusers::Transform>,
) -> Stacking {
    let meta = meta.unwrap_or_else(|| MetaModel::default_for(task));
    Stacking::new(meta, transform.unwrap_or_else(|| meta.default_transform()))
}

fn store_stacking(state: &mut FittedState, fit: StackingFit) {
    match fit {
        StackingFit::Meta(m) => state.meta = Some(m.meta().clone()),
        StackingFit::Weights(w) => state.weights = w.weights().cloned(),
    }
}

/// The rows a blender's meta-model is fitted on: a seeded `fraction` of the
/// rows, stratified by class for single-label targets.
fn holdout_rows(
    targets: &Targets,
    n_classes: usize,
    fraction: f64,
    seed: u64,
) -> Result<Vec<usize>> {
    match targets {
        Targets::Classes(y) => Ok(folds::stratified_holdout(y, n_classes, fraction, seed)?.1),
        other => {
            let n = other.len();
            let mut rows: Vec<usize> = (0..n).collect();
            crate::learn::rng::Rng::new(seed).shuffle(&mut rows);
            let take = ((n as f64 * fraction).round() as usize).clamp(1, n);
            rows.truncate(take);
            rows.sort_unstable();
            Ok(rows)
        }
    }
}

/// Maps weights given by model name onto the models of `preds`, in order.
fn resolve(named: &NamedWeights, preds: &Predictions) -> Result<Weights> {
    let unknown: Vec<&str> = named
        .keys()
        .filter(|k| preds.model_index(k).is_none())
        .map(|s| s.as_str())
        .collect();
    let missing: Vec<&str> = preds
        .models()
        .iter()
        .filter(|m| !named.contains_key(*m))
        .map(|s| s.as_str())
        .collect();
    if !unknown.is_empty() || !missing.is_empty() {
        let mut msg = format!(
            "expected one weight for each model [{}]",
            preds.models().join(", ")
        );
        if !missing.is_empty() {
            msg.push_str(&format!("; no weight for: {}", missing.join(", ")));
        }
        if !unknown.is_empty() {
            msg.push_str(&format!(
                "; weights for unknown models: {}",
                unknown.join(", ")
            ));
        }
        return Err(Error::new(ErrorKind::InvalidWeights, msg));
    }
    Weights::new(preds.models().iter().map(|m| named[m]).collect())
}

impl FittedFuser {
    /// Serialises to pretty JSON (deterministic: fields in declaration order,
    /// maps sorted by key).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a fitted fuser always serialises");
        s.push('\n');
        s
    }

    /// Parses a saved fitted fuser and checks it is well formed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Format`] for malformed JSON, a newer format version,
    /// unknown fields or methods, or weights that do not match the models.
    pub fn from_json(text: &str) -> Result<FittedFuser> {
        // Read the version first, so a file from a newer modelfuse gets a
        // message about versions rather than about an unknown field.
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            Error::new(
                ErrorKind::Format,
                format!("expected JSON, found an error: {e}"),
            )
        })?;
        match value.get("modelfuse").and_then(|v| v.as_u64()) {
            None => {
                return Err(Error::new(
                    ErrorKind::Format,
                    "expected a fitted fuser with a \"modelfuse\" format version, found none",
                ));
            }
            Some(v) if v > FORMAT_VERSION as u64 => {
                return Err(Error::new(
                    ErrorKind::Format,
                    format!(
                        "expected a fitted fuser of format version {FORMAT_VERSION} or older, found version {v} (written by a newer modelfuse)"
                    ),
                ));
            }
            Some(_) => {}
        }
        let fitted: FittedFuser = serde_json::from_value(value)
            .map_err(|e| Error::new(ErrorKind::Format, format!("malformed fitted fuser: {e}")))?;
        fitted.check()?;
        Ok(fitted)
    }

    fn check(&self) -> Result<()> {
        let format = |msg: String| Err(Error::new(ErrorKind::Format, msg));
        if let Some(seg) = &self.segments {
            for (name, agg) in &seg.aggregators {
                if agg.segments.is_some() {
                    return format(format!(
                        "the aggregator of '{name}' is itself fitted on segments"
                    ));
                }
                agg.check()?;
            }
        }
        if self.classes.len() != self.task.n_outputs() {
            return format(format!(
                "a {} task has {} outputs, but the fuser lists {} classes",
                self.task.name(),
                self.task.n_outputs(),
                self.classes.len()
            ));
        }
        self.spec
            .check()
            .map_err(|e| Error::new(ErrorKind::Format, e.message().to_string()))?;
        let n = self.models.len();
        let temps = self
            .calibration
            .as_ref()
            .and_then(|c| c.models.as_ref())
            .map(Vec::len);
        let lens = [
            ("weight", self.state.weights.as_ref().map(Weights::len)),
            ("score", self.state.scores.as_ref().map(Vec::len)),
            ("temperature", temps),
        ];
        for (what, len) in lens {
            if let Some(len) = len.filter(|&l| l != n) {
                return format(format!("expected one {what} per model ({n}), found {len}"));
            }
        }
        Ok(())
    }

    /// The concrete fuser for this spec and state.
    fn build(&self) -> Result<Box<dyn Fitted>> {
        let weights = self.state.weights.clone();
        let missing = |what: &str| {
            Error::new(
                ErrorKind::Format,
                format!(
                    "a fitted {} fuser needs {what} in its state",
                    self.spec.method()
                ),
            )
        };
        Ok(match &self.spec {
            FuserSpec::Mean => Box::new(Mean),
            FuserSpec::Median => Box::new(Median),
            FuserSpec::Geometric => Box::new(GeometricMean::new()),
            FuserSpec::Optimized {
                geometric: true, ..
            } => Box::new(GeometricMean::with_weights(
                weights.ok_or_else(|| missing("weights"))?,
            )),
            FuserSpec::Weighted { .. }
            | FuserSpec::ScoreWeighted { .. }
            | FuserSpec::Optimized { .. }
            | FuserSpec::Selection { .. } => Box::new(WeightedMean::new(
                weights.ok_or_else(|| missing("weights"))?,
            )),
            FuserSpec::Stacking { .. } | FuserSpec::Blending { .. } => {
                match (&self.state.meta, weights) {
                    (Some(meta), _) => Box::new(FittedStacking::new(meta.clone())),
                    (None, Some(w)) => Box::new(WeightedMean::new(w)),
                    (None, None) => return Err(missing("a meta-model or weights")),
                }
            }
            FuserSpec::SoftVote { .. } => Box::new(WeightedMean::new(
                weights.unwrap_or_else(|| Weights::uniform(self.models.len())),
            )),
            FuserSpec::Vote { tie, .. } => {
                let mut vote = MajorityVote::new().with_tie(*tie);
                if let Some(w) = weights {
                    vote = vote.with_weights(w);
                }
                if *tie == TieBreak::BestModel {
                    let acc = self.state.scores.clone().ok_or_else(|| missing("scores"))?;
                    vote = vote.with_accuracies(acc);
                }
                Box::new(vote)
            }
            FuserSpec::Rank { .. } => match weights {
                Some(w) => Box::new(RankAverage::with_weights(w)),
                None => Box::new(RankAverage::new()),
            },
        })
    }

    /// ECE and log-loss before and after each fitted temperature, on
    /// `preds` and `targets` (typically the fitting data): one row per
    /// calibrated model, and a row named `fused` for the output temperature.
    /// Empty when nothing was calibrated.
    ///
    /// # Errors
    ///
    /// As [`Fitted::predict`], or targets that do not match.
    pub fn calibration_report(
        &self,
        preds: &Predictions,
        targets: &Targets,
    ) -> Result<Vec<calibrate::CalibrationReport>> {
        let Some(cal) = &self.calibration else {
            return Ok(Vec::new());
        };
        let aligned = self.align(preds)?;
        let k = aligned.n_outputs();
        let measure = |rows: &[f32]| -> (f64, f64) {
            match targets {
                Targets::Classes(y) => (
                    crate::metrics::ece(y, rows, k),
                    crate::metrics::log_loss(y, rows, k),
                ),
                Targets::Multilabel { matrix, .. } => {
                    (f64::NAN, crate::metrics::multilabel_log_loss(matrix, rows))
                }
                Targets::Values(_) => (f64::NAN, f64::NAN),
            }
        };
        let row = |model: &str, t: &Temperature, before: &[f32], after: &[f32]| {
            let (ece_before, log_loss_before) = measure(before);
            let (ece_after, log_loss_after) = measure(after);
            calibrate::CalibrationReport {
                model: model.to_string(),
                temperature: t.get(),
                ece_before,
                ece_after,
                log_loss_before,
                log_loss_after,
            }
        };
        let mut out = Vec::new();
        let input = match &cal.models {
            Some(temps) => {
                let calibrated = calibrate::apply_temperatures(&aligned, temps)?;
                for (m, t) in temps.iter().enumerate() {
                    out.push(row(
                        &self.models[m],
                        t,
                        aligned.model(m),
                        calibrated.model(m),
                    ));
                }
                Cow::Owned(calibrated)
            }
            None => aligned,
        };
        if let Some(t) = &cal.output {
            let fused = self.build()?.predict(&input)?;
            let after = t.apply(fused.model(0), fused.n_outputs(), fused.task());
            out.push(row(crate::fusers::FUSED, t, fused.model(0), &after));
        }
        Ok(out)
    }

    /// The learned weights, if the method has them.
    pub fn learned_weights(&self) -> Option<&Weights> {
        self.state.weights.as_ref()
    }

    /// Checks that `preds` has the task, models and classes this fuser was
    /// fitted on (by name; models it pruned away may be present and are
    /// ignored) and returns them in the fitted order.
    fn align<'a>(&self, preds: &'a Predictions) -> Result<Cow<'a, Predictions>> {
        let same_kind = std::mem::discriminant(&preds.task()) == std::mem::discriminant(&self.task);
        if !same_kind {
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "this fuser was fitted for a {} task, found a {} task",
                    self.task.name(),
                    preds.task().name()
                ),
            ));
        }
        if preds.classes() != self.classes.as_slice() {
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "this fuser was fitted on the classes [{}], found [{}]",
                    self.classes.join(", "),
                    preds.classes().join(", ")
                ),
            ));
        }
        if preds.models() == self.models.as_slice() {
            return Ok(Cow::Borrowed(preds));
        }
        // Models pruned away at fit time may be given again; they are left out.
        let dropped: BTreeSet<&str> = self.dropped.iter().map(|d| d.model.as_str()).collect();
        let only_dropped_extra = preds
            .models()
            .iter()
            .all(|m| self.models.contains(m) || dropped.contains(m.as_str()));
        let result = if only_dropped_extra && !dropped.is_empty() {
            preds.subset_models(&self.models)
        } else {
            preds.select_models(&self.models)
        };
        result.map(Cow::Owned).map_err(|e| {
            Error::new(
                ErrorKind::Mismatch,
                format!("this fuser was fitted on other models: {}", e.message()),
            )
        })
    }
}

impl Fitted for FittedFuser {
    fn predict(&self, preds: &Predictions) -> Result<Predictions> {
        if self.segments.is_some() {
            return Err(Error::new(
                ErrorKind::Mismatch,
                "this fuser was fitted on segments (rows with a document id); give it segment-level predictions",
            ));
        }
        self.predict_samples(preds)
    }

    fn weights(&self) -> Option<&Weights> {
        self.learned_weights()
    }
}

impl FittedFuser {
    /// Predicts one row per sample, whatever the fuser was fitted on (the
    /// sample-level step of segment fusion).
    pub(crate) fn predict_samples(&self, preds: &Predictions) -> Result<Predictions> {
        let aligned = self.align(preds)?;
        let calibration = self.calibration.as_ref();
        let input = match calibration.and_then(|c| c.models.as_ref()) {
            Some(temps) => Cow::Owned(calibrate::apply_temperatures(&aligned, temps)?),
            None => aligned,
        };
        let fused = self.build()?.predict(&input)?;
        match calibration.and_then(|c| c.output.as_ref()) {
            Some(t) => {
                let values = t.apply(fused.model(0), fused.n_outputs(), fused.task());
                Ok(fused.with_values(values))
            }
            None => Ok(fused),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusers::test_support::probs;

    #[test]
    fn fitted_fuser_round_trips_and_predicts_the_same() {
        let p = probs(&[vec![0.9, 0.1, 0.3, 0.7], vec![0.6, 0.4, 0.2, 0.8]], 2);
        let mut w = NamedWeights::new();
        w.insert("m0".into(), 1.0);
        w.insert("m1".into(), 3.0);
        let fitted = FuserSpec::Weighted { weights: w }.fit(&p, None).unwrap();
        let back = FittedFuser::from_json(&fitted.to_json()).unwrap();
        assert_eq!(back, fitted);
        assert_eq!(back.predict(&p).unwrap(), fitted.predict(&p).unwrap());
    }

    #[test]
    fn fitted_fuser_refuses_other_models_and_newer_versions() {
        let p = probs(&[vec![0.9, 0.1], vec![0.6, 0.4]], 2);
        let fitted = FuserSpec::Mean.fit(&p, None).unwrap();
        let q = probs(&[vec![0.9, 0.1]], 2);
        assert_eq!(
            fitted.predict(&q).unwrap_err().to_string(),
            "this fuser was fitted on other models: expected the models [m0, m1], found [m0]; missing: m1"
        );
        let newer = fitted
            .to_json()
            .replace("\"modelfuse\": 1", "\"modelfuse\": 9");
        assert_eq!(
            FittedFuser::from_json(&newer).unwrap_err().to_string(),
            "expected a fitted fuser of format version 1 or older, found version 9 (written by a newer modelfuse)"
        );
    }

    #[test]
    fn weights_must_name_every_model() {
        let p = probs(&[vec![0.9, 0.1], vec![0.6, 0.4]], 2);
        let mut w = NamedWeights::new();
        w.insert("m0".into(), 1.0);
        w.insert("bert".into(), 1.0);
        assert_eq!(
            FuserSpec::Weighted { weights: w }
                .fit(&p, None)
                .unwrap_err()
                .to_string(),
            "expected one weight for each model [m0, m1]; no weight for: m1; weights for unknown models: bert"
        );
    }
}
