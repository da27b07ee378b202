//! Stacking: a meta-model learns how to combine the models' predictions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fuser::{Fitted, Fuser};
use crate::fusers::geometric::PROBABILITY_FLOOR;
use crate::fusers::method::{FitContext, FittedState, MethodParams, SpecOptions, missing};
use crate::fusers::{FUSED, WeightedMean, normalize};
use crate::learn::linear::{FittedLinear, NonNegativeLeastSquares, Ridge, RidgeCv, nnls};
use crate::learn::logistic::{FittedLogistic, LogisticRegression};
use crate::predictions::{Predictions, Targets, Task};
use crate::weights::Weights;

/// The model that learns to combine the base models.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MetaModel {
    /// L2-regularised logistic regression (multinomial for several classes,
    /// one per label for multilabel), the same objective as scikit-learn's
    /// `LogisticRegression(C=c)`. Classification.
    Logistic {
        /// Inverse regularisation strength (scikit-learn's `C`).
        #[serde(default = "one")]
        c: f64,
    },
    /// Ridge regression (scikit-learn's `Ridge(alpha=alpha)`). Regression.
    Ridge {
        /// Regularisation strength.
        #[serde(default = "one")]
        alpha: f64,
    },
    /// Ridge regression with `alpha` chosen among 0.1, 1 and 10 by exact
    /// leave-one-out squared error, then refitted on all rows: scikit-learn's
    /// `RidgeCV()`, the default of its `StackingRegressor` ([`RidgeCv`]).
    /// Regression. Not our default: on the M3 forecasts it did worse than
    /// ridge with `alpha = 1` (see [`MetaModel::default_for`]).
    RidgeCv,
    /// Non-negative least squares with an intercept (scikit-learn's
    /// `LinearRegression(positive=True)`). Regression.
    Nnls,
    /// Non-negative linear blending: one non-negative weight per model,
    /// fitted by least squares of the blended probabilities against the
    /// one-hot truth (values for regression), then normalised to sum to one.
    /// The result is a weighted mean, so its outputs stay probabilities.
    Linear,
}

fn one() -> f64 {
    1.0
}

impl MetaModel {
    /// The names accepted on the command line.
    pub const NAMES: &'static [&'static str] = &["logistic", "ridge", "ridge-cv", "nnls", "linear"];

    /// The default meta-model for a task: logistic regression for
    /// classification (scikit-learn's `StackingClassifier`), ridge with
    /// `alpha = 1` for regression. scikit-learn's `StackingRegressor` uses
    /// `RidgeCV()` ([`MetaModel::RidgeCv`]); on the one real regression set at
    /// hand, the M3 competition's forecasts of 22 methods
    /// (`bench/m3_stacking_meta.py`: a meta-model fitted on 5, 20 or 100
    /// series, scored on the others, 40 splits, four frequencies), its median
    /// test error per split was no lower than that of `alpha = 1` in all 12
    /// settings and its mean test error higher in 11 (monthly, 20 series:
    /// 44.0 against 7.09), as leave-one-out over the correlated rows of a
    /// series picks too little regularisation; so the default stays.
    pub fn default_for(task: Task) -> MetaModel {
        match task {
            Task::Regression => MetaModel::Ridge { alpha: 1.0 },
            _ => MetaModel::Logistic { c: 1.0 },
        }
    }

    /// The command-line name.
    pub fn name(&self) -> &'static str {
        match self {
            MetaModel::Logistic { .. } => "logistic",
            MetaModel::Ridge { .. } => "ridge",
            MetaModel::RidgeCv => "ridge-cv",
            MetaModel::Nnls => "nnls",
            MetaModel::Linear => "linear",
        }
    }

    /// The input transform a spec without one means: log-probabilities for
    /// logistic regression (its model is linear in log-odds), the
    /// probabilities themselves for the linear blends: what a stacking or
    /// blending spec written before their default became the probabilities
    /// means (see [`StackingParams::transform`]).
    pub fn default_transform(&self) -> Transform {
        match self {
            MetaModel::Logistic { .. } => Transform::Logits,
            _ => Transform::Probabilities,
        }
    }

    fn check(&self, task: Task) -> Result<()> {
        let ok = match self {
            MetaModel::Logistic { c } => {
                if !(c.is_finite() && *c > 0.0) {
                    return Err(Error::param(format!(
                        "expected a finite positive C for the logistic meta-model, found {c}"
                    )));
                }
                task != Task::Regression
            }
            MetaModel::Ridge { alpha } => {
                if !(alpha.is_finite() && *alpha >= 0.0) {
                    return Err(Error::param(format!(
                        "expected a finite non-negative alpha for ridge, found {alpha}"
                    )));
                }
                task == Task::Regression
            }
            MetaModel::RidgeCv | MetaModel::Nnls => task == Task::Regression,
            MetaModel::Linear => true,
        };
        if ok {
            Ok(())
        } else {
            let hint = if task == Task::Regression {
                "; use ridge, nnls or linear"
            } else {
                "; use logistic or linear"
            };
            Err(super::unsupported(
                &format!("the {} meta-model", self.name()),
                task,
                hint,
            ))
        }
    }
}

impl FromStr for MetaModel {
    type Err = Error;
    /// Parses a meta-model name with its default settings.
    fn from_str(s: &str) -> Result<MetaModel> {
        Ok(match s {
            "logistic" => MetaModel::Logistic { c: 1.0 },
            "ridge" => MetaModel::Ridge { alpha: 1.0 },
            "ridge-cv" => MetaModel::RidgeCv,
            "nnls" => MetaModel::Nnls,
            "linear" => MetaModel::Linear,
            _ => {
                return Err(Error::param(format!(
                    "expected a meta-model among [{}], found '{s}'",
                    MetaModel::NAMES.join(", ")
                )));
            }
        })
    }
}

impl fmt::Display for MetaModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the meta-model sees of each base model's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// The probabilities (binary: the positive class's only, as
    /// scikit-learn's `StackingClassifier` does, since the other is
    /// redundant).
    Probabilities,
    /// Log-probabilities (binary and multilabel: the log-odds), floored at
    /// 1e-15 so a zero does not become minus infinity.
    Logits,
}

impl Transform {
    /// The command-line name.
    pub fn name(&self) -> &'static str {
        match self {
            Transform::Probabilities => "probabilities",
            Transform::Logits => "logits",
        }
    }
}

impl FromStr for Transform {
    type Err = Error;
    fn from_str(s: &str) -> Result<Transform> {
        match s {
            "probabilities" | "probs" => Ok(Transform::Probabilities),
            "logits" => Ok(Transform::Logits),
            _ => Err(Error::param(format!(
                "expected a transform among [probabilities, logits], found '{s}'"
            ))),
        }
    }
}

/// Stacking: a meta-model fitted on the base models' predictions of labelled
/// validation data.
///
/// The base models' validation predictions are already out-of-sample for
/// them (they were not trained on those rows), so the meta-model is fitted on
/// all of them; cross-validation (`cv::cross_val_predict`) scores the stacker
/// itself without letting it see the labels of the rows it predicts.
///
/// Features per sample: for each model, its transformed output (see
/// [`Transform`]): `M·K` features for `K > 2` classes, `M` for binary tasks,
/// regression and, label by label, multilabel tasks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stacking {
    meta: MetaModel,
    transform: Transform,
}

impl Stacking {
    /// Stacking with the given meta-model and transform.
    pub fn new(meta: MetaModel, transform: Transform) -> Self {
        Stacking { meta, transform }
    }
}

/// What a stacker learned; saved in the fitted fuser's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FittedMeta {
    /// Logistic regression: one model for single-label tasks, one per label
    /// for multilabel tasks.
    Logistic {
        /// The input transform.
        transform: Transform,
        /// The fitted logistic models.
        models: Vec<FittedLogistic>,
    },
    /// A linear regression meta-model (ridge or non-negative least squares).
    Linear {
        /// The input transform.
        transform: Transform,
        /// The fitted linear model.
        model: FittedLinear,
    },
}

/// A fitted stacker.
#[derive(Clone, Debug, PartialEq)]
pub struct FittedStacking {
    meta: FittedMeta,
}

impl FittedStacking {
    /// Restores a fitted stacker from its saved state.
    pub fn new(meta: FittedMeta) -> Self {
        FittedStacking { meta }
    }

    /// What was learned.
    pub fn meta(&self) -> &FittedMeta {
        &self.meta
    }
}

/// The result of fitting stacking: a meta-model, or, for the linear blend,
/// plain weights (a weighted mean).
#[derive(Clone, Debug, PartialEq)]
pub enum StackingFit {
    /// A meta-model.
    Meta(FittedStacking),
    /// Non-negative blending weights.
    Weights(WeightedMean),
}

impl Fuser for Stacking {
    type Fitted = StackingFit;
    fn fit(&self, preds: &Predictions, targets: &Targets) -> Result<StackingFit> {
        self.fit_meta(preds, targets)
    }
}

impl Fitted for StackingFit {
    fn predict(&self, preds: &Predictions) -> Result<Predictions> {
        match self {
            StackingFit::Meta(m) => m.predict(preds),
            StackingFit::Weights(w) => w.predict(preds),
        }
    }

    fn weights(&self) -> Option<&Weights> {
        match self {
            StackingFit::Meta(_) => None,
            StackingFit::Weights(w) => w.weights(),
        }
    }
}

impl Stacking {
    /// Fits the meta-model.
    ///
    /// # Errors
    ///
    /// A meta-model that does not apply to the task, targets that do not
    /// match, or a failure of the solver.
    pub fn fit_meta(&self, preds: &Predictions, targets: &Targets) -> Result<StackingFit> {
        let task = preds.task();
        self.meta.check(task)?;
        let transform = self.transform;
        match (self.meta, targets) {
            (MetaModel::Linear, _) => Ok(StackingFit::Weights(WeightedMean::new(linear_blend(
                preds, targets,
            )?))),
            (MetaModel::Logistic { c }, Targets::Classes(y)) => {
                let (x, d) = features(preds, transform, None);
                let model = meta_logistic(c).fit(&x, d, y, preds.n_outputs(), None)?;
                Ok(StackingFit::Meta(FittedStacking::new(
                    FittedMeta::Logistic {
                        transform,
                        models: vec![model],
                    },
                )))
            }
            (MetaModel::Logistic { c }, Targets::Multilabel { n_labels, matrix }) => {
                let mut models = Vec::with_capacity(*n_labels);
                for l in 0..*n_labels {
                    let (x, d) = features(preds, transform, Some(l));
                    let y: Vec<usize> = (0..preds.n_samples())
                        .map(|i| matrix[i * n_labels + l] as usize)
                        .collect();
                    models.push(meta_logistic(c).fit(&x, d, &y, 2, None)?);
                }
                Ok(StackingFit::Meta(FittedStacking::new(
                    FittedMeta::Logistic { transform, models },
                )))
            }
            (MetaModel::Ridge { alpha }, Targets::Values(y)) => {
                let (x, d) = features(preds, transform, None);
                let model = Ridge::new().alpha(alpha).fit(&x, d, y, None)?;
                Ok(StackingFit::Meta(FittedStacking::new(FittedMeta::Linear {
                    transform,
                    model,
                })))
            }
            (MetaModel::RidgeCv, Targets::Values(y)) => {
                let (x, d) = features(preds, transform, None);
                let (model, _alpha) = RidgeCv::new().fit(&x, d, y)?;
                Ok(StackingFit::Meta(FittedStacking::new(FittedMeta::Linear {
                    transform,
                    model,
                })))
            }
            (MetaModel::Nnls, Targets::Values(y)) => {
                let (x, d) = features(preds, transform, None);
                let model = NonNegativeLeastSquares::new().fit(&x, d, y, None)?;
                Ok(StackingFit::Meta(FittedStacking::new(FittedMeta::Linear {
                    transform,
                    model,
                })))
            }
            _ => Err(Error::shape(format!(
                "expected targets of a {} task for stacking",
                task.name()
            ))),
        }
    }
}

impl Fitted for FittedStacking {
    fn predict(&self, preds: &Predictions) -> Result<Predictions> {
        let (n, k) = (preds.n_samples(), preds.n_outputs());
        let values: Vec<f32> = match (&self.meta, preds.task()) {
            (FittedMeta::Logistic { transform, models }, Task::Multilabel { n_labels }) => {
                check_count(models.len(), n_labels)?;
                let mut out = vec![0f32; n * k];
                for (l, model) in models.iter().enumerate() {
                    let (x, d) = features(preds, *transform, Some(l));
                    let p = model.predict_proba(&x, d)?;
                    for i in 0..n {
                        out[i * k + l] = p[i * 2 + 1].clamp(0.0, 1.0) as f32;
                    }
                }
                out
            }
            (
                FittedMeta::Logistic { transform, models },
                Task::Binary | Task::Multiclass { .. },
            ) => {
                check_count(models.len(), 1)?;
                let (x, d) = features(preds, *transform, None);
                let mut p = models[0].predict_proba(&x, d)?;
                if p.len() != n * k {
                    return Err(Error::shape(format!(
                        "expected the meta-model to give {k} probabilities per sample, found {}",
                        p.len() / n.max(1)
                    )));
                }
                p.chunks_exact_mut(k).for_each(normalize);
                p.into_iter().map(|x| x as f32).collect()
            }
            (FittedMeta::Linear { transform, model }, Task::Regression) => {
                let (x, d) = features(preds, *transform, None);
                model
                    .predict(&x, d)?
                    .into_iter()
                    .map(|v| v as f32)
                    .collect()
            }
            (meta, task) => {
                let kind = match meta {
                    FittedMeta::Logistic { .. } => "logistic",
                    FittedMeta::Linear { .. } => "linear",
                };
                return Err(super::unsupported(
                    &format!("a fitted {kind} meta-model"),
                    task,
                    "",
                ));
            }
        };
        if values.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid_value(
                "the meta-model produced a value that is not finite",
            ));
        }
        Ok(Predictions::fused(preds, FUSED, values))
    }
}

/// The logistic meta-model: scikit-learn's objective, solved to the optimum
/// (the solver's defaults) so that results match scikit-learn run to
/// convergence.
fn meta_logistic(c: f64) -> LogisticRegression {
    LogisticRegression::new().c(c)
}

/// The number of parameters a logistic meta-model would fit on `preds`:
/// (features + 1) per class row (one row for binary tasks, one model per
/// label for multilabel).
pub fn logistic_parameters(preds: &Predictions) -> usize {
    let (m, k) = (preds.n_models(), preds.n_outputs());
    match preds.task() {
        Task::Binary => m + 1,
        Task::Multiclass { .. } => (m * k + 1) * k,
        Task::Multilabel { .. } => (m + 1) * k,
        Task::Regression => m + 1,
    }
}

fn check_count(found: usize, expected: usize) -> Result<()> {
    if found != expected {
        return Err(Error::shape(format!(
            "expected {expected} fitted meta-models, found {found}"
        )));
    }
    Ok(())
}

/// The meta-model's input: `n × d` row-major features. For multilabel,
/// `label` selects the label whose per-model outputs are the features.
pub fn features(
    preds: &Predictions,
    transform: Transform,
    label: Option<usize>,
) -> (Vec<f64>, usize) {
    let (m, n, k) = (preds.n_models(), preds.n_samples(), preds.n_outputs());
    let log = |p: f32| (p as f64).max(PROBABILITY_FLOOR).ln();
    let logit = |p: f32| log(p) - log(1.0 - p);
    // Which output columns each model contributes, and how each becomes a
    // feature.
    let (cols, per): (Vec<usize>, usize) = match (preds.task(), label) {
        (Task::Multilabel { .. }, Some(l)) => (vec![l], 1),
        (Task::Binary, _) => (vec![1], 1),
        (Task::Regression, _) => (vec![0], 1),
        _ => ((0..k).collect(), k),
    };
    let d = m * per;
    let mut x = vec![0f64; n * d];
    let pairwise = matches!(preds.task(), Task::Binary | Task::Multilabel { .. });
    for mi in 0..m {
        let block = preds.model(mi);
        for i in 0..n {
            let row = &block[i * k..(i + 1) * k];
            for (c_i, &c) in cols.iter().enumerate() {
                let v = row[c];
                x[i * d + mi * per + c_i] = match (preds.task(), transform) {
                    (Task::Regression, _) | (_, Transform::Probabilities) => v as f64,
                    (_, Transform::Logits) if pairwise => logit(v),
                    (_, Transform::Logits) => log(v),
                };
            }
        }
    }
    (x, d)
}

/// Non-negative least squares of `Σ_m w_m p_m` against the truth over every
/// cell, normalised to sum to one (uniform if every weight is zero).
fn linear_blend(preds: &Predictions, targets: &Targets) -> Result<Weights> {
    let (m, n, k) = (preds.n_models(), preds.n_samples(), preds.n_outputs());
    let cells = n * k;
    let mut a = vec![0f64; cells * m];
    for mi in 0..m {
        for (cell, &v) in preds.model(mi).iter().enumerate() {
            a[cell * m + mi] = v as f64;
        }
    }
    let mut b = vec![0f64; cells];
    match targets {
        Targets::Classes(y) => {
            for (i, &c) in y.iter().enumerate() {
                b[i * k + c] = 1.0;
            }
        }
        Targets::Multilabel { matrix, .. } => {
            for (cell, &on) in matrix.iter().enumerate() {
                b[cell] = on as u8 as f64;
            }
        }
        Targets::Values(y) => b.copy_from_slice(y),
    }
    let (w, _) = nnls(&a, m, &b)?;
    Weights::new(w).or_else(|_| Ok(Weights::uniform(m)))
}

/// The parameters of `stacking`: a meta-model fitted on the models'
/// predictions (see [`Stacking`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackingParams {
    /// The meta-model (default: logistic for classification, ridge for
    /// regression).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<MetaModel>,
    /// What the meta-model sees. The default is the probabilities, as
    /// scikit-learn's `StackingClassifier` (`predict_proba`): on held-out
    /// tabular predictions with exact zeros, log-probabilities gave the
    /// logistic meta-model a test log-loss worse than the plain mean
    /// (`examples/tabular/PROVENANCE.md`). The default is written into every
    /// spec made since; a spec without the field (a file written before)
    /// keeps its old meaning, [`MetaModel::default_transform`]: logits for a
    /// logistic meta-model, probabilities otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<Transform>,
}

impl Default for StackingParams {
    fn default() -> Self {
        StackingParams {
            meta: None,
            transform: Some(Transform::Probabilities),
        }
    }
}

impl MethodParams for StackingParams {
    const NAME: &'static str = "stacking";
    const OPTIONS: &'static [&'static str] = &["meta", "c", "alpha", "transform"];

    fn from_options(o: &SpecOptions) -> Result<Self> {
        Ok(StackingParams {
            meta: o.meta_model()?,
            transform: o.transform.or(StackingParams::default().transform),
        })
    }

    fn needs_targets(&self) -> bool {
        true
    }

    fn describe(&self, task: Task) -> String {
        describe_stacking(Self::NAME, task, self.meta, self.transform)
    }

    fn logistic_parameters(&self, preds: &Predictions) -> Option<usize> {
        meta_logistic_parameters(self.meta, preds)
    }

    fn fit(&self, cx: &FitContext<'_>) -> Result<FittedState> {
        fit_stacking(
            cx.preds,
            cx.targets_for(Self::NAME)?,
            self.meta,
            self.transform,
        )
    }

    fn build(&self, state: &FittedState, _n_models: usize) -> Result<Box<dyn Fitted>> {
        build_stacking(Self::NAME, state)
    }
}

/// The stacker for `task` with the defaults filled in.
fn stacker(task: Task, meta: Option<MetaModel>, transform: Option<Transform>) -> Stacking {
    let meta = meta.unwrap_or_else(|| MetaModel::default_for(task));
    Stacking::new(meta, transform.unwrap_or_else(|| meta.default_transform()))
}

/// The parameters of stacking's or blending's meta-model on `preds` when it
/// is the logistic one (given, or the task's default).
pub(crate) fn meta_logistic_parameters(
    meta: Option<MetaModel>,
    preds: &Predictions,
) -> Option<usize> {
    let meta = meta.unwrap_or_else(|| MetaModel::default_for(preds.task()));
    matches!(meta, MetaModel::Logistic { .. }).then(|| logistic_parameters(preds))
}

/// Stacking's and blending's description: `method (meta, transform)`.
pub(crate) fn describe_stacking(
    method: &str,
    task: Task,
    meta: Option<MetaModel>,
    transform: Option<Transform>,
) -> String {
    let s = stacker(task, meta, transform);
    format!("{method} ({}, {})", s.meta, s.transform.name())
}

/// Fits stacking's meta-model and packs it into a saved state: the
/// meta-model, or the linear blend's weights.
pub(crate) fn fit_stacking(
    preds: &Predictions,
    targets: &Targets,
    meta: Option<MetaModel>,
    transform: Option<Transform>,
) -> Result<FittedState> {
    let mut state = FittedState::default();
    match stacker(preds.task(), meta, transform).fit_meta(preds, targets)? {
        StackingFit::Meta(m) => state.meta = Some(m.meta().clone()),
        StackingFit::Weights(w) => state.weights = w.weights().cloned(),
    }
    Ok(state)
}

/// A saved stacking state's fuser: the meta-model, or the linear blend's
/// weighted mean.
pub(crate) fn build_stacking(method: &str, state: &FittedState) -> Result<Box<dyn Fitted>> {
    match (&state.meta, &state.weights) {
        (Some(meta), _) => Ok(Box::new(FittedStacking::new(meta.clone()))),
        (None, Some(w)) => Ok(Box::new(WeightedMean::new(w.clone()))),
        (None, None) => Err(missing(method, "a meta-model or weights")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusers::test_support::{probs, values};

    #[test]
    fn stacking_logistic_learns_to_trust_the_informative_model() {
        // m0 is always right and confident; m1 is noise.
        let n = 60;
        let mut good = Vec::new();
        let mut noise = Vec::new();
        let mut y = Vec::new();
        for i in 0..n {
            let c = i % 3;
            y.push(c);
            let mut row = [0.1f32; 3];
            row[c] = 0.8;
            good.extend_from_slice(&row);
            let mut r2 = [0.2f32; 3];
            r2[(i * 7) % 3] = 0.6;
            noise.extend_from_slice(&r2);
        }
        let p = probs(&[good, noise], 3);
        let t = Targets::Classes(y.clone());
        let f = Stacking::new(MetaModel::Logistic { c: 1.0 }, Transform::Logits)
            .fit(&p, &t)
            .unwrap();
        let fused = f.predict(&p).unwrap();
        assert_eq!(fused.predicted_classes(0), y);
    }

    #[test]
    fn meta_models_refuse_the_wrong_task() {
        let p = probs(&[vec![0.9, 0.1]], 2);
        let t = Targets::Classes(vec![0]);
        let e = Stacking::new(MetaModel::Ridge { alpha: 1.0 }, Transform::Probabilities)
            .fit(&p, &t)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the ridge meta-model does not apply to a binary task; use logistic or linear"
        );
    }

    #[test]
    fn linear_blend_puts_weight_on_the_model_that_matches() {
        let p = probs(&[vec![1.0, 0.0, 0.0, 1.0], vec![0.5, 0.5, 0.5, 0.5]], 2);
        let t = Targets::Classes(vec![0, 1]);
        let f = Stacking::new(MetaModel::Linear, Transform::Probabilities)
            .fit(&p, &t)
            .unwrap();
        let w = f.weights().unwrap().as_slice();
        assert!(w[0] > 0.99, "{w:?}");
    }

    #[test]
    fn ridge_cv_meta_model_is_ridge_with_the_alpha_leave_one_out_picks() {
        let p = values(&[
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            vec![1.5, 1.5, 3.5, 3.0, 5.5, 6.5],
        ]);
        let y = vec![1.2, 2.1, 3.3, 3.9, 5.2, 6.1];
        let t = Targets::Values(y.clone());
        let cv = Stacking::new(MetaModel::RidgeCv, Transform::Probabilities)
            .fit(&p, &t)
            .unwrap();
        let (x, d) = features(&p, Transform::Probabilities, None);
        let (_, alpha) = RidgeCv::new().fit(&x, d, &y).unwrap();
        let plain = Stacking::new(MetaModel::Ridge { alpha }, Transform::Probabilities)
            .fit(&p, &t)
            .unwrap();
        assert_eq!(cv.predict(&p).unwrap(), plain.predict(&p).unwrap());
        let e = Stacking::new(MetaModel::RidgeCv, Transform::Probabilities)
            .fit(&probs(&[vec![1.0, 0.0, 0.0, 1.0]], 2), &Targets::Classes(vec![0, 1]))
            .unwrap_err();
        assert!(e.to_string().contains("ridge-cv"), "{e}");
    }
}
