//! [`FuserSpec`], the one place where a string names a fusion method.
//!
//! A spec is a method with its settings: what [`FuserSpec::fit`] builds. It is
//! serialised inside every saved fitted fuser (see [`crate::FittedFuser`]),
//! tagged by `method` with the same kebab-case names as the command line.
//!
//! The methods are listed once, in `fusers::for_each_method!`: one line per
//! method, naming its [`Method`] variant, its module and its parameter
//! struct, which implements [`MethodParams`] in the method's own file under
//! `fusers/`. The `methods!` macro here writes [`Method`], [`FuserSpec`] and
//! every per-method `match` from that list, each delegating to the trait, so
//! none has a wildcard arm to forget.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fuser::Fitted;
use crate::fusers::method::{FitContext, FittedState, MethodParams, NamedWeights, SpecOptions};
use crate::predictions::Task;

/// Writes [`Method`], [`FuserSpec`] and their per-method delegation from the
/// one list of methods (`fusers::for_each_method!`).
macro_rules! methods {
    ($($(#[doc = $doc:literal])* $variant:ident($module:ident::$name:ident),)*) => {
        methods!(@with $($(#[doc = $doc])* $variant(crate::fusers::$name),)*);
    };
    (@with $($(#[doc = $doc:literal])* $variant:ident($params:ty),)*) => {
        /// A fusion method, as named on the command line (`--method`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Method {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Method {
            /// Every method, in the order the help text lists them.
            pub const ALL: &'static [Method] = &[$(Method::$variant,)*];

            /// The command-line name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Method::$variant => <$params>::NAME,)*
                }
            }

            /// The options ([`SpecOptions`] fields, by command-line name)
            /// this method takes.
            pub fn options(self) -> &'static [&'static str] {
                match self {
                    $(Method::$variant => <$params>::OPTIONS,)*
                }
            }

            /// The method with its default settings.
            pub fn default_spec(self) -> FuserSpec {
                match self {
                    $(Method::$variant => FuserSpec::$variant(<$params>::default()),)*
                }
            }

            /// The method's settings from command-line options (not yet
            /// range-checked).
            fn spec_from(self, o: &SpecOptions) -> Result<FuserSpec> {
                match self {
                    $(Method::$variant => <$params>::from_options(o).map(FuserSpec::$variant),)*
                }
            }
        }

        /// A fusion method with its settings: what `fit` should build. Each
        /// variant holds the method's parameter struct (see
        /// [`MethodParams`]).
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "method", rename_all = "kebab-case")]
        pub enum FuserSpec {
            $($(#[doc = $doc])* $variant($params),)*
        }

        impl FuserSpec {
            /// The method this spec configures.
            pub fn method(&self) -> Method {
                match self {
                    $(FuserSpec::$variant(_) => Method::$variant,)*
                }
            }

            /// Checks settings that serde cannot (ranges).
            ///
            /// # Errors
            ///
            /// [`crate::ErrorKind::InvalidParameter`] naming the setting.
            pub fn check(&self) -> Result<()> {
                match self {
                    $(FuserSpec::$variant(p) => p.check(),)*
                }
            }

            /// Whether fitting needs labels.
            pub fn needs_targets(&self) -> bool {
                match self {
                    $(FuserSpec::$variant(p) => p.needs_targets(),)*
                }
            }

            /// A short human description, e.g. `stacking (logistic, logits)`.
            pub fn describe(&self, task: Task) -> String {
                match self {
                    $(FuserSpec::$variant(p) => p.describe(task),)*
                }
            }

            /// Per-model weights fixed by name, if the spec gives them.
            pub fn named_weights(&self) -> Option<&NamedWeights> {
                match self {
                    $(FuserSpec::$variant(p) => p.named_weights(),)*
                }
            }

            /// The parameters of the logistic meta-model the method would fit
            /// on `preds`, if it fits one (see [`MethodParams::logistic_parameters`]).
            pub fn logistic_parameters(&self, preds: &crate::Predictions) -> Option<usize> {
                match self {
                    $(FuserSpec::$variant(p) => p.logistic_parameters(preds),)*
                }
            }

            /// The spec with unset seeds of the method's random choices
            /// filled with `seed` (what a fit with that seed uses, and what
            /// its saved spec records).
            pub fn with_seed(&self, seed: u64) -> FuserSpec {
                let mut spec = self.clone();
                match &mut spec {
                    $(FuserSpec::$variant(p) => p.resolve_seed(seed),)*
                }
                spec
            }

            /// What the method learns (see [`MethodParams::fit`]).
            pub(crate) fn fit_state(&self, cx: &FitContext<'_>) -> Result<FittedState> {
                match self {
                    $(FuserSpec::$variant(p) => p.fit(cx),)*
                }
            }

            /// The fuser for a saved state (see [`MethodParams::build`]).
            pub(crate) fn build(&self, state: &FittedState, n_models: usize) -> Result<Box<dyn Fitted>> {
                match self {
                    $(FuserSpec::$variant(p) => p.build(state, n_models),)*
                }
            }
        }
    };
}

crate::fusers::for_each_method!(methods);

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Method> {
        Method::ALL
            .iter()
            .copied()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
                Error::param(format!(
                    "expected a method among [{}], found '{s}'",
                    names.join(", ")
                ))
            })
    }
}

impl FuserSpec {
    /// Builds a spec from command-line options, rejecting options the method
    /// does not take and filling in defaults.
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::InvalidParameter`] for an option the method does
    /// not take, `weighted` without weights, `score-weighted` without a
    /// metric, or an out-of-range setting.
    pub fn from_options(method: Method, o: SpecOptions) -> Result<FuserSpec> {
        let accepted = method.options();
        let extra: Vec<String> = o
            .given()
            .into_iter()
            .filter(|g| !accepted.contains(g))
            .map(|g| format!("--{g}"))
            .collect();
        if !extra.is_empty() {
            let takes = if accepted.is_empty() {
                "no options".to_string()
            } else {
                accepted
                    .iter()
                    .map(|a| format!("--{a}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(Error::param(format!(
                "{method} does not take {}; it takes {takes}",
                extra.join(", ")
            )));
        }
        let spec = method.spec_from(&o)?;
        spec.check()?;
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusers::{MetaModel, ScoreWeightedParams, SelectionParams, StackingParams};
    use crate::metrics::Metric;

    #[test]
    fn spec_round_trips_through_json_with_kebab_names() {
        let spec = FuserSpec::ScoreWeighted(ScoreWeightedParams {
            by: Metric::LogLoss,
            power: 2.0,
        });
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(
            json,
            r#"{"method":"score-weighted","by":"log_loss","power":2.0}"#
        );
        assert_eq!(serde_json::from_str::<FuserSpec>(&json).unwrap(), spec);
        assert!(serde_json::from_str::<FuserSpec>(r#"{"method":"vote","wieghts":{}}"#).is_err());
        assert!(serde_json::from_str::<FuserSpec>(r#"{"method":"mean","x":1}"#).is_err());
        let sel: FuserSpec = serde_json::from_str(r#"{"method":"selection"}"#).unwrap();
        assert_eq!(sel, FuserSpec::Selection(SelectionParams::default()));
        assert_eq!(
            serde_json::to_string(&sel.with_seed(0)).unwrap(),
            r#"{"method":"selection","rounds":50,"sorted_init":0,"replacement":true,"bags":0,"bag_fraction":0.5,"seed":0}"#
        );
    }

    #[test]
    fn every_method_is_named_alike_by_serde_and_the_command_line() {
        for &method in Method::ALL {
            let spec = method.default_spec();
            assert_eq!(spec.method(), method);
            let json = serde_json::to_value(&spec).unwrap();
            assert_eq!(json["method"], method.name(), "{method}");
            // Default settings pass their own range checks.
            spec.check().unwrap();
        }
    }

    #[test]
    fn method_names_parse_and_list_alternatives() {
        assert_eq!("soft-vote".parse::<Method>().unwrap(), Method::SoftVote);
        assert_eq!(
            "avg".parse::<Method>().unwrap_err().to_string(),
            "expected a method among [mean, geometric, weighted, score-weighted, vote, soft-vote, rank, median, optimized, stacking, blending, selection], found 'avg'"
        );
    }

    #[test]
    fn options_a_method_does_not_take_are_refused_by_name() {
        let o = SpecOptions {
            weights: Some(NamedWeights::new()),
            rounds: Some(3),
            ..Default::default()
        };
        assert_eq!(
            FuserSpec::from_options(Method::Mean, o)
                .unwrap_err()
                .to_string(),
            "mean does not take --weights, --rounds; it takes no options"
        );
        let o = SpecOptions {
            alpha: Some(2.0),
            meta: Some(MetaModel::Logistic { c: 1.0 }),
            ..Default::default()
        };
        assert_eq!(
            FuserSpec::from_options(Method::Stacking, o)
                .unwrap_err()
                .to_string(),
            "--alpha sets the ridge meta-model's alpha; the logistic meta-model takes no alpha"
        );
        let o = SpecOptions {
            c: Some(0.1),
            ..Default::default()
        };
        assert_eq!(
            FuserSpec::from_options(Method::Stacking, o).unwrap(),
            FuserSpec::Stacking(StackingParams {
                meta: Some(MetaModel::Logistic { c: 0.1 }),
                // Stacking's default, written into the spec.
                transform: Some(crate::fusers::Transform::Probabilities)
            })
        );
    }
}
