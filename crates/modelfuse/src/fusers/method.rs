//! What makes a fusion method a method: its parameter struct implements
//! [`MethodParams`], in the method's own file.
//!
//! The trait is the whole contract between a method and the rest of the
//! crate: its name and command-line options, how it is built from those
//! options, its defaults and range checks (once, in the struct), whether it
//! learns from labels, how it describes itself, what it learns
//! ([`MethodParams::fit`] → a [`FittedState`], the part of a saved file that
//! is the method's) and how it is rebuilt from a saved state
//! ([`MethodParams::build`]). [`FuserSpec`](crate::FuserSpec) lists the
//! methods once and delegates every call here, so a method the list names
//! but does not implement fully is a compile error, not a wildcard arm.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::fuser::Fitted;
use crate::fusers::{FittedMeta, MetaModel, TieBreak, Transform};
use crate::metrics::Metric;
use crate::predictions::{Predictions, Targets, Task};
use crate::weights::Weights;

/// Per-model weights keyed by model name, as a user gives them.
pub type NamedWeights = BTreeMap<String, f64>;

/// One fusion method's parameters: serde (the spec inside a saved file),
/// `Default` (the method's defaults, written once), and the method's
/// behaviour around its fuser.
pub trait MethodParams: Sized {
    /// The method's name: `--method`'s value and the `method` tag of saved
    /// specs (serde derives the tag from the variant; a test checks they
    /// agree).
    const NAME: &'static str;

    /// The command-line options ([`SpecOptions`] fields, by their
    /// command-line names) the method takes; any other given option is
    /// refused by name.
    const OPTIONS: &'static [&'static str];

    /// The parameters from command-line options: the defaults, overridden by
    /// the options that were given (only options in [`Self::OPTIONS`] reach
    /// here).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] for a required option that is missing
    /// or options that contradict each other; ranges are [`Self::check`]'s.
    fn from_options(o: &SpecOptions) -> Result<Self>;

    /// Whether fitting learns from labels. Required, not provided: a wrong
    /// answer either asks for labels a method never reads or fits a learner
    /// without them.
    fn needs_targets(&self) -> bool;

    /// Checks the settings serde cannot (ranges); data-dependent checks
    /// (a meta-model that does not apply to the task) happen at fit time.
    /// The default, for methods without numeric settings, has nothing to
    /// check.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] naming the setting.
    fn check(&self) -> Result<()> {
        Ok(())
    }

    /// A short human description for `task`, e.g. `stacking (logistic,
    /// logits)`; by default the method's name.
    fn describe(&self, _task: Task) -> String {
        Self::NAME.to_string()
    }

    /// Per-model weights fixed by name, if the method was given them (pruning
    /// refuses these: dropping a model would leave a weight naming nothing).
    /// By default none: most methods take no weights.
    fn named_weights(&self) -> Option<&NamedWeights> {
        None
    }

    /// How many parameters a logistic meta-model fitted on `preds` by this
    /// method would have, if the method fits one (stacking and blending
    /// with their logistic meta-model); `auto` skips a candidate with more
    /// parameters than training rows. By default none.
    fn logistic_parameters(&self, _preds: &Predictions) -> Option<usize> {
        None
    }

    /// What the method learns from (calibrated) predictions.
    ///
    /// # Errors
    ///
    /// Missing labels for a method that needs them, a method that does not
    /// apply to the task, or the errors of its solver.
    fn fit(&self, cx: &FitContext<'_>) -> Result<FittedState>;

    /// The fuser for a saved `state` over `n_models` models.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Format`] when the state lacks what the method needs (see
    /// [`missing`]).
    fn build(&self, state: &FittedState, n_models: usize) -> Result<Box<dyn Fitted>>;

    /// Fills an unset seed of the method's own random choices with the fit's
    /// seed, so the saved spec says which seed was used. Methods without
    /// random choices have nothing to fill, hence the empty default.
    fn resolve_seed(&mut self, _seed: u64) {}
}

/// What a method's fit sees.
#[derive(Clone, Copy, Debug)]
pub struct FitContext<'a> {
    /// The (calibrated, pruned) predictions.
    pub preds: &'a Predictions,
    /// The labels, when they were given.
    pub targets: Option<&'a Targets>,
    /// The fit's seed ([`FitOptions::seed`](crate::FitOptions::seed)), for
    /// random choices whose own seed is unset.
    pub seed: u64,
}

impl<'a> FitContext<'a> {
    /// The labels, which `method` learns from.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] when none were given.
    pub fn targets_for(&self, method: &str) -> Result<&'a Targets> {
        self.targets.ok_or_else(|| {
            Error::param(format!(
                "{method} learns from labels; pass the validation labels"
            ))
        })
    }
}

/// What a fitted fuser learned; empty for methods that learn nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedState {
    /// Per-model weights, in the order of [`FittedFuser::models`](crate::FittedFuser::models).
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

impl FittedState {
    /// The weights, which a fitted `method` needs.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Format`] when there are none.
    pub fn weights_for(&self, method: &str) -> Result<Weights> {
        self.weights
            .clone()
            .ok_or_else(|| missing(method, "weights"))
    }
}

/// The state of a method whose only setting is optional weights by model
/// name: those weights in model order, if given.
///
/// # Errors
///
/// As [`resolve_weights`].
pub fn weights_state(named: Option<&NamedWeights>, preds: &Predictions) -> Result<FittedState> {
    Ok(FittedState {
        weights: named.map(|w| resolve_weights(w, preds)).transpose()?,
        ..FittedState::default()
    })
}

/// The parameters of a method with no settings that learns nothing: the
/// struct (empty, so a saved spec is just its `method` tag) and its
/// [`MethodParams`], which builds the fuser `$build`.
macro_rules! stateless_params {
    ($(#[doc = $doc:literal])* $params:ident, $name:literal, $build:expr) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $params {}

        impl $crate::fusers::method::MethodParams for $params {
            const NAME: &'static str = $name;
            const OPTIONS: &'static [&'static str] = &[];

            fn from_options(_o: &$crate::fusers::method::SpecOptions) -> $crate::Result<Self> {
                Ok($params {})
            }

            fn needs_targets(&self) -> bool {
                false
            }

            fn fit(
                &self,
                _cx: &$crate::fusers::method::FitContext<'_>,
            ) -> $crate::Result<$crate::fusers::method::FittedState> {
                Ok($crate::fusers::method::FittedState::default())
            }

            fn build(
                &self,
                _state: &$crate::fusers::method::FittedState,
                _n_models: usize,
            ) -> $crate::Result<Box<dyn $crate::Fitted>> {
                Ok(Box::new($build))
            }
        }
    };
}
pub(crate) use stateless_params;

/// The parameters of a method whose only setting is optional per-model
/// weights by name and that learns nothing: the struct and its
/// [`MethodParams`], which builds the fuser `$build` from the resolved
/// weights `$w` (an `Option<&Weights>`) over `$n` models.
macro_rules! optional_weights_params {
    ($(#[doc = $doc:literal])* $params:ident, $name:literal, |$w:ident, $n:ident| $build:expr) => {
        $(#[doc = $doc])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $params {
            /// Optional per-model weights, by model name (default: equal).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub weights: Option<$crate::NamedWeights>,
        }

        impl $crate::fusers::method::MethodParams for $params {
            const NAME: &'static str = $name;
            const OPTIONS: &'static [&'static str] = &["weights"];

            fn from_options(o: &$crate::fusers::method::SpecOptions) -> $crate::Result<Self> {
                Ok($params {
                    weights: o.weights.clone(),
                })
            }

            fn needs_targets(&self) -> bool {
                false
            }

            fn named_weights(&self) -> Option<&$crate::NamedWeights> {
                self.weights.as_ref()
            }

            fn fit(
                &self,
                cx: &$crate::fusers::method::FitContext<'_>,
            ) -> $crate::Result<$crate::fusers::method::FittedState> {
                $crate::fusers::method::weights_state(self.weights.as_ref(), cx.preds)
            }

            fn build(
                &self,
                state: &$crate::fusers::method::FittedState,
                n_models: usize,
            ) -> $crate::Result<Box<dyn $crate::Fitted>> {
                let ($w, $n) = (state.weights.as_ref(), n_models);
                Ok(Box::new($build))
            }
        }
    };
}
pub(crate) use optional_weights_params;

/// The error for a saved state that lacks what its method needs.
pub fn missing(method: &str, what: &str) -> Error {
    Error::new(
        ErrorKind::Format,
        format!("a fitted {method} fuser needs {what} in its state"),
    )
}

/// Maps weights given by model name onto the models of `preds`, in order.
///
/// # Errors
///
/// [`ErrorKind::InvalidWeights`] naming the models without a weight and the
/// weights naming no model; the errors of [`Weights::new`].
pub fn resolve_weights(named: &NamedWeights, preds: &Predictions) -> Result<Weights> {
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

/// Settings given on the command line, before they become a
/// [`FuserSpec`](crate::FuserSpec). Every field is optional;
/// [`FuserSpec::from_options`](crate::FuserSpec::from_options) rejects those
/// the method does not take. The seed is not here: it is the fit's
/// ([`FitOptions::seed`](crate::FitOptions::seed)), and methods with random
/// choices take it from there.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpecOptions {
    /// `--weights name=w,…`
    pub weights: Option<NamedWeights>,
    /// `--by <metric>`
    pub by: Option<Metric>,
    /// `--power p`
    pub power: Option<f64>,
    /// `--tie <rule>`
    pub tie: Option<TieBreak>,
    /// `--geometric`
    pub geometric: bool,
    /// `--meta <model>`
    pub meta: Option<MetaModel>,
    /// `--c <C>` (logistic meta-model)
    pub c: Option<f64>,
    /// `--alpha <alpha>` (ridge meta-model)
    pub alpha: Option<f64>,
    /// `--transform <t>`
    pub transform: Option<Transform>,
    /// `--holdout <fraction>`
    pub holdout: Option<f64>,
    /// `--rounds <n>`
    pub rounds: Option<usize>,
    /// `--sorted-init <n>`
    pub sorted_init: Option<usize>,
    /// `--no-replacement`
    pub no_replacement: bool,
    /// `--bags <n>`
    pub bags: Option<usize>,
    /// `--bag-fraction <f>`
    pub bag_fraction: Option<f64>,
}

impl SpecOptions {
    /// The command-line names of the options that were given.
    pub(crate) fn given(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut add = |on: bool, name: &'static str| {
            if on {
                v.push(name);
            }
        };
        add(self.weights.is_some(), "weights");
        add(self.by.is_some(), "by");
        add(self.power.is_some(), "power");
        add(self.tie.is_some(), "tie");
        add(self.geometric, "geometric");
        add(self.meta.is_some(), "meta");
        add(self.c.is_some(), "c");
        add(self.alpha.is_some(), "alpha");
        add(self.transform.is_some(), "transform");
        add(self.holdout.is_some(), "holdout");
        add(self.rounds.is_some(), "rounds");
        add(self.sorted_init.is_some(), "sorted-init");
        add(self.no_replacement, "no-replacement");
        add(self.bags.is_some(), "bags");
        add(self.bag_fraction.is_some(), "bag-fraction");
        v
    }

    /// The meta-model with `--c` / `--alpha` applied.
    pub(crate) fn meta_model(&self) -> Result<Option<MetaModel>> {
        let meta = match (self.meta, self.c, self.alpha) {
            (None, Some(c), _) => Some(MetaModel::Logistic { c }),
            (None, None, Some(alpha)) => Some(MetaModel::Ridge { alpha }),
            (Some(MetaModel::Logistic { .. }), Some(c), _) => Some(MetaModel::Logistic { c }),
            (Some(MetaModel::Ridge { .. }), _, Some(alpha)) => Some(MetaModel::Ridge { alpha }),
            (Some(m), Some(_), _) => {
                return Err(Error::param(format!(
                    "--c sets the logistic meta-model's C; the {m} meta-model takes no C"
                )));
            }
            (Some(m), None, Some(_)) => {
                return Err(Error::param(format!(
                    "--alpha sets the ridge meta-model's alpha; the {m} meta-model takes no alpha"
                )));
            }
            (m, None, None) => m,
        };
        Ok(meta)
    }
}
