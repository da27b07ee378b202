//! [`FuserSpec`], the one place where a string names a fusion method, and
//! [`FittedFuser`], the versioned form in which a fitted fuser is saved.
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
//! Loading checks the format version; predicting checks that the models and
//! classes it is given are the ones it was fitted on, by name.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::fuser::{Fitted, Fuser};
use crate::fusers::{
    GeometricMean, MajorityVote, Mean, Median, RankAverage, ScoreWeighted, TieBreak, WeightedMean,
};
use crate::metrics::Metric;
use crate::predictions::{Predictions, Targets, Task};
use crate::weights::Weights;

/// The version of the saved-fuser format this build writes and reads. A file
/// with a higher version was written by a newer modelfuse and is refused
/// rather than misread.
pub const FORMAT_VERSION: u32 = 1;

/// A fusion method, as named on the command line (`--method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `mean`: arithmetic mean.
    Mean,
    /// `geometric`: renormalised geometric mean.
    Geometric,
    /// `weighted`: weighted mean with given weights.
    Weighted,
    /// `score-weighted`: weights proportional to a validation score.
    ScoreWeighted,
    /// `vote`: hard majority vote.
    Vote,
    /// `soft-vote`: mean of probabilities, optionally weighted.
    SoftVote,
    /// `rank`: rank averaging (Borda count).
    Rank,
    /// `median`: per-output median.
    Median,
}

impl Method {
    /// Every method, in the order the help text lists them.
    pub const ALL: &'static [Method] = &[
        Method::Mean,
        Method::Geometric,
        Method::Weighted,
        Method::ScoreWeighted,
        Method::Vote,
        Method::SoftVote,
        Method::Rank,
        Method::Median,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Mean => "mean",
            Method::Geometric => "geometric",
            Method::Weighted => "weighted",
            Method::ScoreWeighted => "score-weighted",
            Method::Vote => "vote",
            Method::SoftVote => "soft-vote",
            Method::Rank => "rank",
            Method::Median => "median",
        }
    }
}

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

/// Per-model weights keyed by model name, as a user gives them.
pub type NamedWeights = BTreeMap<String, f64>;

/// A fusion method with its settings: what `fit` should build.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum FuserSpec {
    /// Arithmetic mean.
    Mean,
    /// Renormalised geometric mean of probabilities.
    Geometric,
    /// Weighted mean with the given weights (normalised to sum to one).
    Weighted {
        /// One weight per model, by model name.
        weights: NamedWeights,
    },
    /// Weighted mean with weights proportional to a validation score.
    ScoreWeighted {
        /// The metric to weight by.
        by: Metric,
        /// Exponent applied to the scores (1 = proportional).
        #[serde(default = "one")]
        power: f64,
    },
    /// Hard majority vote, optionally weighted.
    Vote {
        /// Optional per-model vote weights.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weights: Option<NamedWeights>,
        /// What decides a tie (default: the lowest class, as scikit-learn).
        #[serde(default, skip_serializing_if = "TieBreak::is_default")]
        tie: TieBreak,
    },
    /// Soft vote: the (optionally weighted) mean of probabilities.
    SoftVote {
        /// Optional per-model weights.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weights: Option<NamedWeights>,
    },
    /// Rank averaging (Borda count), optionally weighted.
    Rank {
        /// Optional per-model weights.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weights: Option<NamedWeights>,
    },
    /// Per-output median.
    Median,
}

fn one() -> f64 {
    1.0
}

impl FuserSpec {
    /// Builds a spec from command-line pieces, rejecting options the method
    /// does not take.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidParameter`] for `weighted` without weights,
    /// `score-weighted` without a metric, or an option the method ignores.
    pub fn from_parts(
        method: Method,
        weights: Option<NamedWeights>,
        by: Option<Metric>,
        power: Option<f64>,
        tie: Option<TieBreak>,
    ) -> Result<FuserSpec> {
        let takes_weights = matches!(
            method,
            Method::Weighted | Method::Vote | Method::SoftVote | Method::Rank
        );
        if weights.is_some() && !takes_weights {
            return Err(Error::param(format!(
                "{method} takes no weights; use weighted, vote, soft-vote or rank"
            )));
        }
        if (by.is_some() || power.is_some()) && method != Method::ScoreWeighted {
            return Err(Error::param(format!(
                "{method} takes no metric or power; those belong to score-weighted"
            )));
        }
        if tie.is_some() && method != Method::Vote {
            return Err(Error::param(format!(
                "{method} takes no tie rule; that belongs to vote"
            )));
        }
        Ok(match method {
            Method::Mean => FuserSpec::Mean,
            Method::Geometric => FuserSpec::Geometric,
            Method::Median => FuserSpec::Median,
            Method::Weighted => FuserSpec::Weighted {
                weights: weights.ok_or_else(|| {
                    Error::param(
                        "weighted needs a weight per model (e.g. --weights bert=2,roberta=1)",
                    )
                })?,
            },
            Method::ScoreWeighted => FuserSpec::ScoreWeighted {
                by: by.ok_or_else(|| {
                    Error::param("score-weighted needs a metric to weight by (e.g. --by accuracy)")
                })?,
                power: power.unwrap_or(1.0),
            },
            Method::Vote => FuserSpec::Vote {
                weights,
                tie: tie.unwrap_or_default(),
            },
            Method::SoftVote => FuserSpec::SoftVote { weights },
            Method::Rank => FuserSpec::Rank { weights },
        })
    }

    /// The method this spec configures.
    pub fn method(&self) -> Method {
        match self {
            FuserSpec::Mean => Method::Mean,
            FuserSpec::Geometric => Method::Geometric,
            FuserSpec::Weighted { .. } => Method::Weighted,
            FuserSpec::ScoreWeighted { .. } => Method::ScoreWeighted,
            FuserSpec::Vote { .. } => Method::Vote,
            FuserSpec::SoftVote { .. } => Method::SoftVote,
            FuserSpec::Rank { .. } => Method::Rank,
            FuserSpec::Median => Method::Median,
        }
    }

    /// Whether fitting needs labels.
    pub fn needs_targets(&self) -> bool {
        matches!(
            self,
            FuserSpec::ScoreWeighted { .. }
                | FuserSpec::Vote {
                    tie: TieBreak::BestModel,
                    ..
                }
        )
    }

    /// Fits the fuser on `preds` and, for methods that learn, `targets`.
    ///
    /// # Errors
    ///
    /// Labels missing for a method that learns from them; weights naming
    /// models that are not there (or leaving some out); a method that does
    /// not apply to the task; or any error of the method's own fit.
    pub fn fit(&self, preds: &Predictions, targets: Option<&Targets>) -> Result<FittedFuser> {
        let targets = match (targets, self.needs_targets()) {
            (Some(t), _) => Some(t),
            (None, false) => None,
            (None, true) => {
                return Err(Error::param(format!(
                    "{} learns from labels; pass the validation labels",
                    self.method()
                )));
            }
        };
        let named = match self {
            FuserSpec::Weighted { weights } => Some(weights),
            FuserSpec::Vote { weights, .. }
            | FuserSpec::SoftVote { weights }
            | FuserSpec::Rank { weights } => weights.as_ref(),
            _ => None,
        };
        let mut state = FittedState {
            weights: named.map(|w| resolve(w, preds)).transpose()?,
            scores: None,
        };
        match (self, targets) {
            (FuserSpec::ScoreWeighted { by, power }, Some(t)) => {
                let fitted = ScoreWeighted::new(*by, *power)?.fit(preds, t)?;
                state.weights = fitted.weights().cloned();
                state.scores = fitted.scores().map(<[f64]>::to_vec);
            }
            (
                FuserSpec::Vote {
                    tie: TieBreak::BestModel,
                    ..
                },
                Some(t),
            ) => {
                let fitted = MajorityVote::new()
                    .with_tie(TieBreak::BestModel)
                    .fit(preds, t)?;
                state.scores = fitted.accuracies().map(<[f64]>::to_vec);
            }
            _ => {}
        }
        let fitted = FittedFuser {
            modelfuse: FORMAT_VERSION,
            spec: self.clone(),
            task: preds.task(),
            models: preds.models().to_vec(),
            classes: preds.classes().to_vec(),
            state,
        };
        // Fail at fit time, not at predict time, when the method does not apply.
        fitted
            .build()?
            .predict(&preds.select_models(&fitted.models)?)?;
        Ok(fitted)
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
        if self.classes.len() != self.task.n_outputs() {
            return Err(Error::new(
                ErrorKind::Format,
                format!(
                    "a {} task has {} outputs, but the fuser lists {} classes",
                    self.task.name(),
                    self.task.n_outputs(),
                    self.classes.len()
                ),
            ));
        }
        let n = self.models.len();
        let lens = [
            ("weight", self.state.weights.as_ref().map(Weights::len)),
            ("score", self.state.scores.as_ref().map(Vec::len)),
        ];
        for (what, len) in lens {
            if let Some(len) = len.filter(|&l| l != n) {
                return Err(Error::new(
                    ErrorKind::Format,
                    format!("expected one {what} per model ({n}), found {len}"),
                ));
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
            FuserSpec::Weighted { .. } | FuserSpec::ScoreWeighted { .. } => Box::new(
                WeightedMean::new(weights.ok_or_else(|| missing("weights"))?),
            ),
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

    /// The learned weights, if the method has them.
    pub fn learned_weights(&self) -> Option<&Weights> {
        self.state.weights.as_ref()
    }

    /// Checks that `preds` has the task, models and classes this fuser was
    /// fitted on (by name) and returns them in the fitted order.
    fn align<'a>(&self, preds: &'a Predictions) -> Result<std::borrow::Cow<'a, Predictions>> {
        let same_kind = std::mem::discriminant(&preds.task()) == std::mem::discriminant(&self.task);
        if !same_kind {
            return Err(Error::mismatch(format!(
                "this fuser was fitted for a {} task, found a {} task",
                self.task.name(),
                preds.task().name()
            )));
        }
        if preds.classes() != self.classes.as_slice() {
            return Err(Error::mismatch(format!(
                "this fuser was fitted on the classes [{}], found [{}]",
                self.classes.join(", "),
                preds.classes().join(", ")
            )));
        }
        if preds.models() == self.models.as_slice() {
            return Ok(std::borrow::Cow::Borrowed(preds));
        }
        preds
            .select_models(&self.models)
            .map(std::borrow::Cow::Owned)
            .map_err(|e| {
                Error::mismatch(format!(
                    "this fuser was fitted on other models: {}",
                    e.message()
                ))
            })
    }
}

impl Fitted for FittedFuser {
    fn predict(&self, preds: &Predictions) -> Result<Predictions> {
        let preds = self.align(preds)?;
        self.build()?.predict(&preds)
    }

    fn weights(&self) -> Option<&Weights> {
        self.learned_weights()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusers::test_support::probs;

    #[test]
    fn spec_round_trips_through_json_with_kebab_names() {
        let spec = FuserSpec::ScoreWeighted {
            by: Metric::LogLoss,
            power: 2.0,
        };
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(
            json,
            r#"{"method":"score-weighted","by":"log_loss","power":2.0}"#
        );
        assert_eq!(serde_json::from_str::<FuserSpec>(&json).unwrap(), spec);
        assert!(serde_json::from_str::<FuserSpec>(r#"{"method":"vote","wieghts":{}}"#).is_err());
    }

    #[test]
    fn method_names_parse_and_list_alternatives() {
        assert_eq!("soft-vote".parse::<Method>().unwrap(), Method::SoftVote);
        assert_eq!(
            "avg".parse::<Method>().unwrap_err().to_string(),
            "expected a method among [mean, geometric, weighted, score-weighted, vote, soft-vote, rank, median], found 'avg'"
        );
    }

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
