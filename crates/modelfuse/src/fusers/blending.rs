//! `blending`: stacking's meta-model fitted on a seeded, stratified
//! held-out part of the fitting rows (the rest is not used), as in the
//! Netflix-prize blends; everything else is [`Stacking`](super::Stacking)'s.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fuser::Fitted;
use crate::fusers::method::{FitContext, FittedState, MethodParams, SpecOptions};
use crate::fusers::stacking::{
    build_stacking, describe_stacking, fit_stacking, meta_logistic_parameters,
};
use crate::fusers::{MetaModel, Transform};
use crate::learn::{folds, rng::Rng};
use crate::predictions::{Predictions, Targets, Task};

/// The parameters of `blending`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlendingParams {
    /// The meta-model (default: as stacking's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<MetaModel>,
    /// What the meta-model sees. The default is the probabilities, as for
    /// stacking: on the held-out tabular predictions of
    /// `examples/tabular` the logistic blender's test log-loss was 0.151
    /// (digits) and 0.099 (breast cancer) on probabilities, 0.268 and 0.120
    /// on log-probabilities, the former default. A spec without the field
    /// (a file written before) keeps its old meaning,
    /// [`MetaModel::default_transform`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<Transform>,
    /// The fraction of rows the meta-model is fitted on, in `(0, 1)`.
    #[serde(default = "half")]
    pub holdout: f64,
    /// Seed of the split; unset, the fit's seed (and a fitted fuser's spec
    /// records the one used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

fn half() -> f64 {
    0.5
}

impl Default for BlendingParams {
    fn default() -> Self {
        BlendingParams {
            meta: None,
            transform: Some(Transform::Probabilities),
            holdout: half(),
            seed: None,
        }
    }
}

impl MethodParams for BlendingParams {
    const NAME: &'static str = "blending";
    const OPTIONS: &'static [&'static str] = &["meta", "c", "alpha", "transform", "holdout"];

    fn from_options(o: &SpecOptions) -> Result<Self> {
        let d = BlendingParams::default();
        Ok(BlendingParams {
            meta: o.meta_model()?,
            transform: o.transform.or(d.transform),
            holdout: o.holdout.unwrap_or(d.holdout),
            seed: d.seed,
        })
    }

    fn needs_targets(&self) -> bool {
        true
    }

    fn check(&self) -> Result<()> {
        if !(self.holdout > 0.0 && self.holdout < 1.0) {
            return Err(Error::param(format!(
                "expected a holdout fraction between 0 and 1, found {}",
                self.holdout
            )));
        }
        Ok(())
    }

    fn describe(&self, task: Task) -> String {
        describe_stacking(Self::NAME, task, self.meta, self.transform)
    }

    fn logistic_parameters(&self, preds: &Predictions) -> Option<usize> {
        meta_logistic_parameters(self.meta, preds)
    }

    fn fit(&self, cx: &FitContext<'_>) -> Result<FittedState> {
        let (preds, t) = (cx.preds, cx.targets_for(Self::NAME)?);
        let seed = self.seed.unwrap_or(cx.seed);
        let rows = holdout_rows(t, preds.n_outputs(), self.holdout, seed)?;
        fit_stacking(
            &preds.select_rows(&rows),
            &t.select(&rows),
            self.meta,
            self.transform,
        )
    }

    fn build(&self, state: &FittedState, _n_models: usize) -> Result<Box<dyn Fitted>> {
        build_stacking(Self::NAME, state)
    }

    fn resolve_seed(&mut self, seed: u64) {
        self.seed.get_or_insert(seed);
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
            Rng::new(seed).shuffle(&mut rows);
            let take = ((n as f64 * fraction).round() as usize).clamp(1, n);
            rows.truncate(take);
            rows.sort_unstable();
            Ok(rows)
        }
    }
}
