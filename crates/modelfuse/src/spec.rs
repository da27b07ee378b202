//! [`FuserSpec`], the one place where a string names a fusion method.
//!
//! A spec is a method with its settings: what [`FuserSpec::fit`] builds. It is
//! serialised inside every saved fitted fuser (see [`crate::FittedFuser`]),
//! tagged by `method` with the same kebab-case names as the command line.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fusers::{MetaModel, TieBreak, Transform};
use crate::metrics::Metric;
use crate::predictions::Task;

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
    /// `optimized`: weights on the simplex that minimise a loss (or, with
    /// `--by`, optimise any metric).
    Optimized,
    /// `stacking`: a meta-model on the models' predictions.
    Stacking,
    /// `blending`: a meta-model fitted on a held-out split.
    Blending,
    /// `selection`: greedy ensemble selection (Caruana et al. 2004).
    Selection,
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
        Method::Optimized,
        Method::Stacking,
        Method::Blending,
        Method::Selection,
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
            Method::Optimized => "optimized",
            Method::Stacking => "stacking",
            Method::Blending => "blending",
            Method::Selection => "selection",
        }
    }

    /// The options ([`SpecOptions`] fields, by command-line name) this
    /// method takes.
    pub fn options(self) -> &'static [&'static str] {
        match self {
            Method::Mean | Method::Geometric | Method::Median => &[],
            Method::Weighted | Method::SoftVote | Method::Rank => &["weights"],
            Method::ScoreWeighted => &["by", "power"],
            Method::Vote => &["weights", "tie"],
            Method::Optimized => &["by", "geometric"],
            Method::Stacking => &["meta", "c", "alpha", "transform"],
            Method::Blending => &["meta", "c", "alpha", "transform", "holdout", "seed"],
            Method::Selection => &[
                "by",
                "rounds",
                "sorted-init",
                "no-replacement",
                "bags",
                "bag-fraction",
                "seed",
            ],
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
    /// Weights on the simplex minimising the log-loss of the (weighted
    /// arithmetic, or with `geometric` the weighted geometric) mean, or the
    /// squared error for regression; with `by`, then refined by a
    /// derivative-free search for that metric.
    Optimized {
        /// A metric to optimise instead of the loss.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Metric>,
        /// Optimise the weights of a weighted geometric mean.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        geometric: bool,
    },
    /// A meta-model fitted on the models' predictions.
    Stacking {
        /// The meta-model (default: logistic for classification, ridge for
        /// regression).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        meta: Option<MetaModel>,
        /// What the meta-model sees (default: logits for logistic,
        /// probabilities otherwise).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transform: Option<Transform>,
    },
    /// A meta-model fitted on a seeded, stratified held-out part of the
    /// fitting rows.
    Blending {
        /// The meta-model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        meta: Option<MetaModel>,
        /// What the meta-model sees.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transform: Option<Transform>,
        /// The fraction of rows the meta-model is fitted on.
        #[serde(default = "half")]
        holdout: f64,
        /// Seed of the split.
        #[serde(default)]
        seed: u64,
    },
    /// Greedy forward ensemble selection (Caruana et al. 2004).
    Selection {
        /// The metric the selection optimises (default: log-loss, or RMSE for
        /// regression).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Metric>,
        /// Selection rounds (the ensemble size).
        #[serde(default = "fifty")]
        rounds: usize,
        /// Start from the best `sorted_init` models (0: from nothing).
        #[serde(default)]
        sorted_init: usize,
        /// Whether a model may be picked more than once.
        #[serde(default = "yes")]
        replacement: bool,
        /// Number of bags (0: no bagging).
        #[serde(default)]
        bags: usize,
        /// The fraction of models in each bag.
        #[serde(default = "half")]
        bag_fraction: f64,
        /// Seed of the bags.
        #[serde(default)]
        seed: u64,
    },
}

fn one() -> f64 {
    1.0
}
fn half() -> f64 {
    0.5
}
fn fifty() -> usize {
    50
}
fn yes() -> bool {
    true
}

/// Settings given on the command line, before they become a [`FuserSpec`].
/// Every field is optional; [`FuserSpec::from_options`] rejects those the
/// method does not take.
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
    /// `--seed <n>`
    pub seed: Option<u64>,
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
    fn given(&self) -> Vec<&'static str> {
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
        add(self.seed.is_some(), "seed");
        add(self.rounds.is_some(), "rounds");
        add(self.sorted_init.is_some(), "sorted-init");
        add(self.no_replacement, "no-replacement");
        add(self.bags.is_some(), "bags");
        add(self.bag_fraction.is_some(), "bag-fraction");
        v
    }

    /// The meta-model with `--c` / `--alpha` applied.
    fn meta_model(&self) -> Result<Option<MetaModel>> {
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
        let spec = match method {
            Method::Mean => FuserSpec::Mean,
            Method::Geometric => FuserSpec::Geometric,
            Method::Median => FuserSpec::Median,
            Method::Weighted => FuserSpec::Weighted {
                weights: o.weights.ok_or_else(|| {
                    Error::param(
                        "weighted needs a weight per model (e.g. --weights bert=2,roberta=1)",
                    )
                })?,
            },
            Method::ScoreWeighted => FuserSpec::ScoreWeighted {
                by: o.by.ok_or_else(|| {
                    Error::param("score-weighted needs a metric to weight by (e.g. --by accuracy)")
                })?,
                power: o.power.unwrap_or(1.0),
            },
            Method::Vote => FuserSpec::Vote {
                weights: o.weights,
                tie: o.tie.unwrap_or_default(),
            },
            Method::SoftVote => FuserSpec::SoftVote { weights: o.weights },
            Method::Rank => FuserSpec::Rank { weights: o.weights },
            Method::Optimized => FuserSpec::Optimized {
                by: o.by,
                geometric: o.geometric,
            },
            Method::Stacking => FuserSpec::Stacking {
                meta: o.meta_model()?,
                transform: o.transform,
            },
            Method::Blending => FuserSpec::Blending {
                meta: o.meta_model()?,
                transform: o.transform,
                holdout: o.holdout.unwrap_or(0.5),
                seed: o.seed.unwrap_or(0),
            },
            Method::Selection => FuserSpec::Selection {
                by: o.by,
                rounds: o.rounds.unwrap_or(50),
                sorted_init: o.sorted_init.unwrap_or(0),
                replacement: !o.no_replacement,
                bags: o.bags.unwrap_or(0),
                bag_fraction: o.bag_fraction.unwrap_or(0.5),
                seed: o.seed.unwrap_or(0),
            },
        };
        spec.check()?;
        Ok(spec)
    }

    /// Checks settings that serde cannot (ranges).
    ///
    /// # Errors
    ///
    /// [`crate::ErrorKind::InvalidParameter`] naming the setting.
    pub fn check(&self) -> Result<()> {
        match self {
            FuserSpec::ScoreWeighted { power, .. } if !(power.is_finite() && *power > 0.0) => Err(
                Error::param(format!("expected a finite positive power, found {power}")),
            ),
            FuserSpec::Blending { holdout, .. } if !(*holdout > 0.0 && *holdout < 1.0) => {
                Err(Error::param(format!(
                    "expected a holdout fraction between 0 and 1, found {holdout}"
                )))
            }
            FuserSpec::Selection { rounds: 0, .. } => Err(Error::param(
                "expected at least one selection round, found 0",
            )),
            FuserSpec::Selection { bag_fraction, .. }
                if !(*bag_fraction > 0.0 && *bag_fraction <= 1.0) =>
            {
                Err(Error::param(format!(
                    "expected a bag fraction in (0, 1], found {bag_fraction}"
                )))
            }
            _ => Ok(()),
        }
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
            FuserSpec::Optimized { .. } => Method::Optimized,
            FuserSpec::Stacking { .. } => Method::Stacking,
            FuserSpec::Blending { .. } => Method::Blending,
            FuserSpec::Selection { .. } => Method::Selection,
        }
    }

    /// Whether fitting needs labels.
    pub fn needs_targets(&self) -> bool {
        match self {
            FuserSpec::Mean
            | FuserSpec::Geometric
            | FuserSpec::Median
            | FuserSpec::Weighted { .. }
            | FuserSpec::SoftVote { .. }
            | FuserSpec::Rank { .. } => false,
            FuserSpec::Vote { tie, .. } => *tie == TieBreak::BestModel,
            _ => true,
        }
    }

    /// Whether fitting learns from labels (and so needs cross-validation to
    /// be scored honestly).
    pub fn learns(&self) -> bool {
        self.needs_targets()
    }

    /// A short human description, e.g. `stacking (logistic, logits)`.
    pub fn describe(&self, task: Task) -> String {
        match self {
            FuserSpec::ScoreWeighted { by, power } if *power == 1.0 => {
                format!("score-weighted (by {by})")
            }
            FuserSpec::ScoreWeighted { by, power } => {
                format!("score-weighted (by {by}, power {power})")
            }
            FuserSpec::Vote { tie, weights } => {
                let w = if weights.is_some() { "weighted, " } else { "" };
                format!("vote ({w}ties: {tie})")
            }
            FuserSpec::Optimized { by, geometric } => {
                let what = if *geometric { "geometric, " } else { "" };
                match by {
                    Some(m) => format!("optimized ({what}{m})"),
                    None if task == Task::Regression => format!("optimized ({what}squared error)"),
                    None => format!("optimized ({what}log_loss)"),
                }
            }
            FuserSpec::Stacking { meta, transform }
            | FuserSpec::Blending {
                meta, transform, ..
            } => {
                let meta = meta.unwrap_or_else(|| MetaModel::default_for(task));
                let transform = transform.unwrap_or_else(|| meta.default_transform());
                format!("{} ({meta}, {})", self.method(), transform.name())
            }
            FuserSpec::Selection {
                by, rounds, bags, ..
            } => {
                let by = by.map_or_else(
                    || {
                        if task == Task::Regression {
                            "rmse".to_string()
                        } else {
                            "log_loss".to_string()
                        }
                    },
                    |m| m.to_string(),
                );
                if *bags > 0 {
                    format!("selection ({by}, {rounds} rounds, {bags} bags)")
                } else {
                    format!("selection ({by}, {rounds} rounds)")
                }
            }
            other => other.method().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let sel: FuserSpec = serde_json::from_str(r#"{"method":"selection"}"#).unwrap();
        assert_eq!(
            sel,
            FuserSpec::Selection {
                by: None,
                rounds: 50,
                sorted_init: 0,
                replacement: true,
                bags: 0,
                bag_fraction: 0.5,
                seed: 0
            }
        );
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
            FuserSpec::Stacking {
                meta: Some(MetaModel::Logistic { c: 0.1 }),
                transform: None
            }
        );
    }
}
