//! [`FittedFuser`]: a fitted fuser in its saved, versioned form; the fit
//! that produces it is [`crate::fit`]'s.
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
//! format version first, then the shape, then builds the fuser, so a file
//! whose state lacks what its method needs is refused when it is read, not
//! when it is used; predicting checks that the models and classes it is given
//! are the ones it was fitted on, by name.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::calibrate::{self, Temperature};
use crate::error::{Error, ErrorKind, Result};
use crate::fuser::Fitted;
use crate::fusers::FittedState;
use crate::predictions::{BuildOptions, Predictions, Targets, Task, TaskHint};
use crate::segments::{Order, Pooling};
use crate::spec::FuserSpec;
use crate::weights::Weights;

pub use crate::format::FORMAT_VERSION;

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

/// A model pruned away at fit time, and why (see [`crate::prune`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dropped {
    /// The model.
    pub model: String,
    /// Why, in words.
    pub reason: String,
}

/// What a fitted fuser records of its segments: the settings, and the
/// fitted aggregators of learned pooling (by model name for segments-first,
/// one named `fused` for models-first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedSegments {
    /// Which fusion comes first.
    pub order: Order,
    /// How segments are pooled.
    pub pooling: Pooling,
    /// The learned aggregators (learned pooling only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aggregators: BTreeMap<String, FittedFuser>,
}

/// A fitted fuser in its saved form: the spec, the models and classes it was
/// fitted on, and what it learned. It is itself [`Fitted`]: `predict` checks
/// and reorders the incoming models and classes by name first.
///
/// Built by [`FuserSpec::fit_with`] or [`FittedFuser::from_json`], which
/// both check it; the fields are read through accessors so that nothing can
/// break what they checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedFuser {
    /// The saved-format version ([`FORMAT_VERSION`] when written).
    modelfuse: u32,
    /// The method and its settings (seeds resolved).
    spec: FuserSpec,
    /// The task it was fitted for.
    task: Task,
    /// The models, by name, in the order the state refers to them.
    models: Vec<String>,
    /// The classes, in output order.
    classes: Vec<String>,
    /// What was learned.
    state: FittedState,
    /// Temperatures, when calibration was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    calibration: Option<Calibration>,
    /// Models pruned away at fit time (and why); `predict` ignores them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dropped: Vec<Dropped>,
    /// For a fuser fitted on segments (rows of documents): the order of
    /// pooling and fusing, the pooling, and learned aggregators. Such a
    /// fuser predicts with [`FittedFuser::predict_segments`] only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) segments: Option<FittedSegments>,
}

impl FittedFuser {
    /// A fitted fuser over the models and classes of `preds`, checked as a
    /// loaded file would be.
    pub(crate) fn new(
        spec: FuserSpec,
        preds: &Predictions,
        state: FittedState,
        calibration: Option<Calibration>,
        dropped: Vec<Dropped>,
    ) -> Result<FittedFuser> {
        let fitted = FittedFuser {
            modelfuse: FORMAT_VERSION,
            spec,
            task: preds.task(),
            models: preds.models().to_vec(),
            classes: preds.classes().to_vec(),
            state,
            calibration,
            dropped,
            segments: None,
        };
        fitted.check()?;
        Ok(fitted)
    }

    /// The saved-format version the fuser was read with or written in.
    pub fn format_version(&self) -> u32 {
        self.modelfuse
    }

    /// The method and its settings, with the seeds the fit used.
    pub fn spec(&self) -> &FuserSpec {
        &self.spec
    }

    /// The task it was fitted for.
    pub fn task(&self) -> Task {
        self.task
    }

    /// The models it fuses, by name, in the order of its weights and
    /// temperatures (pruned models are not among them).
    pub fn models(&self) -> &[String] {
        &self.models
    }

    /// The classes, in output order.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// What the method learned.
    pub fn state(&self) -> &FittedState {
        &self.state
    }

    /// Temperatures, when calibration was asked for.
    pub fn calibration(&self) -> Option<&Calibration> {
        self.calibration.as_ref()
    }

    /// Models pruned away at fit time, and why.
    pub fn dropped(&self) -> &[Dropped] {
        &self.dropped
    }

    /// The segment settings and learned aggregators, for a fuser fitted on
    /// segments.
    pub fn segments(&self) -> Option<&FittedSegments> {
        self.segments.as_ref()
    }

    /// `base` with what reading prediction files for this fuser needs: its
    /// task (multilabel is never guessed) and its classes, in its order, so a
    /// file with reordered columns still lines up. The reader's own choices
    /// (logits, renormalising) stay `base`'s.
    pub fn read_options(&self, base: BuildOptions) -> BuildOptions {
        BuildOptions {
            task: match self.task {
                Task::Multilabel { .. } => TaskHint::Multilabel,
                _ => TaskHint::Auto,
            },
            classes: (self.task != Task::Regression).then(|| self.classes.clone()),
            ..base
        }
    }
}

impl FittedFuser {
    /// Serialises to pretty JSON (deterministic: fields in declaration order,
    /// maps sorted by key; see [`crate::format`]).
    pub fn to_json(&self) -> String {
        crate::format::to_json(self)
    }

    /// Parses a saved fitted fuser and checks it is well formed (see
    /// [`crate::format`]: the version is checked first).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Format`] for malformed JSON, a newer format version,
    /// unknown fields or methods, weights that do not match the models, or a
    /// state that lacks what the method needs.
    pub fn from_json(text: &str) -> Result<FittedFuser> {
        let mut fitted: FittedFuser = crate::format::from_json(text, "fitted fuser", None)?;
        // Files saved before class names were canonicalised may spell `1` as `1.0`;
        // the predictions they are applied to no longer do (see `canonical_class`).
        for c in &mut fitted.classes {
            *c = crate::canonical_class(c).into_owned();
        }
        if let Some(dup) =
            (1..fitted.classes.len()).find(|&i| fitted.classes[..i].contains(&fitted.classes[i]))
        {
            return Err(Error::new(
                ErrorKind::Format,
                format!(
                    "expected distinct class names, found two spellings of the class '{}' \
                     (refit the fuser: it was saved by a version that kept them apart)",
                    fitted.classes[dup]
                ),
            ));
        }
        if let Some(dup) =
            (1..fitted.models.len()).find(|&i| fitted.models[..i].contains(&fitted.models[i]))
        {
            return Err(Error::new(
                ErrorKind::Format,
                format!(
                    "expected distinct model names, found '{}' twice in \"models\"",
                    fitted.models[dup]
                ),
            ));
        }
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
        // Building the fuser checks that the state holds what the method
        // needs, so such a file fails here rather than at its first use.
        self.build().map(drop)
    }

    /// The concrete fuser for this spec and state.
    pub(crate) fn build(&self) -> Result<Box<dyn Fitted>> {
        self.spec.build(&self.state, self.models.len())
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
        self.check_layout(preds.task(), preds.classes())?;
        if preds.models() == self.models.as_slice() {
            return Ok(Cow::Borrowed(preds));
        }
        let subset = self.check_models(preds.models())?;
        let result = match subset {
            true => preds.subset_models(&self.models),
            false => preds.select_models(&self.models),
        };
        Ok(Cow::Owned(result.expect("the models were checked")))
    }

    /// Checks that predictions of `task` with these classes are what this
    /// fuser was fitted on.
    pub(crate) fn check_layout(&self, task: Task, classes: &[String]) -> Result<()> {
        let same_kind = std::mem::discriminant(&task) == std::mem::discriminant(&self.task);
        if !same_kind {
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "this fuser was fitted for a {} task, found a {} task",
                    self.task.name(),
                    task.name()
                ),
            ));
        }
        if classes != self.classes.as_slice() {
            return Err(Error::new(
                ErrorKind::Mismatch,
                format!(
                    "this fuser was fitted on the classes [{}], found [{}]",
                    self.classes.join(", "),
                    classes.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// Checks that models named `have` (distinct, in model order) hold every
    /// model this fuser was fitted on, and others only if they were pruned
    /// away at fit time (they may be given again and are left out). Returns
    /// whether such models are there to leave out.
    pub(crate) fn check_models(&self, have: &[String]) -> Result<bool> {
        if have == self.models.as_slice() {
            return Ok(false);
        }
        let dropped: BTreeSet<&str> = self.dropped.iter().map(|d| d.model.as_str()).collect();
        let only_dropped_extra = have
            .iter()
            .all(|m| self.models.contains(m) || dropped.contains(m.as_str()));
        let subset = only_dropped_extra && !dropped.is_empty();
        let problem = match subset {
            true => self.models.iter().find(|m| !have.contains(m)).map(|name| {
                format!(
                    "expected the model '{name}' among [{}], found none",
                    have.join(", ")
                )
            }),
            false => crate::predictions::model_set_mismatch(&self.models, have),
        };
        match problem {
            Some(msg) => Err(Error::new(
                ErrorKind::Mismatch,
                format!("this fuser was fitted on other models: {msg}"),
            )),
            None => Ok(subset),
        }
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
    use crate::fusers::method::NamedWeights;
    use crate::fusers::test_support::probs;
    use crate::fusers::{MeanParams, WeightedParams};

    #[test]
    fn fitted_fuser_round_trips_and_predicts_the_same() {
        let p = probs(&[vec![0.9, 0.1, 0.3, 0.7], vec![0.6, 0.4, 0.2, 0.8]], 2);
        let mut w = NamedWeights::new();
        w.insert("m0".into(), 1.0);
        w.insert("m1".into(), 3.0);
        let fitted = FuserSpec::Weighted(WeightedParams { weights: w })
            .fit(&p, None)
            .unwrap();
        let back = FittedFuser::from_json(&fitted.to_json()).unwrap();
        assert_eq!(back, fitted);
        assert_eq!(back.predict(&p).unwrap(), fitted.predict(&p).unwrap());
    }

    #[test]
    fn fitted_fuser_refuses_other_models_and_newer_versions() {
        let p = probs(&[vec![0.9, 0.1], vec![0.6, 0.4]], 2);
        let fitted = FuserSpec::Mean(MeanParams {}).fit(&p, None).unwrap();
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
    fn a_saved_fuser_naming_a_model_twice_fails_at_load() {
        let text = r#"{"modelfuse": 1, "spec": {"method": "mean"}, "task": {"kind": "binary"}, "models": ["m", "m"], "classes": ["a", "b"], "state": {}}"#;
        let e = FittedFuser::from_json(text).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format);
        assert_eq!(
            e.to_string(),
            "expected distinct model names, found 'm' twice in \"models\""
        );
    }

    #[test]
    fn weights_must_name_every_model() {
        let p = probs(&[vec![0.9, 0.1], vec![0.6, 0.4]], 2);
        let mut w = NamedWeights::new();
        w.insert("m0".into(), 1.0);
        w.insert("bert".into(), 1.0);
        assert_eq!(
            FuserSpec::Weighted(WeightedParams { weights: w })
                .fit(&p, None)
                .unwrap_err()
                .to_string(),
            "expected one weight for each model [m0, m1]; no weight for: m1; weights for unknown models: bert"
        );
    }

    #[test]
    fn a_saved_state_missing_what_its_method_needs_fails_at_load() {
        let text = r#"{"modelfuse": 1, "spec": {"method": "weighted", "weights": {"a": 1.0, "b": 2.0}}, "task": {"kind": "binary"}, "models": ["a", "b"], "classes": ["neg", "pos"], "state": {}}"#;
        let e = FittedFuser::from_json(text).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format);
        assert_eq!(
            e.to_string(),
            "a fitted weighted fuser needs weights in its state"
        );
        let text = text.replace(r#""state": {}"#, r#""state": {"weights": [0.25, 0.75]}"#);
        let fitted = FittedFuser::from_json(&text).unwrap();
        assert_eq!(fitted.models(), ["a", "b"]);
        let vote = r#"{"modelfuse": 1, "spec": {"method": "vote", "tie": "best-model"}, "task": {"kind": "binary"}, "models": ["a"], "classes": ["neg", "pos"], "state": {}}"#;
        assert_eq!(
            FittedFuser::from_json(vote).unwrap_err().to_string(),
            "a fitted vote fuser needs scores in its state"
        );
    }
}
