//! Command-line arguments (clap derive). Parsing into library types happens
//! here, once; commands receive typed values.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use modelfuse::fusers::{MetaModel, TieBreak, Transform};
use modelfuse::metrics::Metric;
use modelfuse::prune::PruneOptions;
use modelfuse::segments::{Order, Pooling, SegmentSettings};
use modelfuse::{BuildOptions, Calibrate, FitOptions, Method, NamedWeights, SpecOptions, TaskHint};

/// Fuse the predictions of several models into one better predictor.
#[derive(Debug, Parser)]
#[command(name = "modelfuse", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Write outputs even over a file that is also an input (otherwise
    /// refused).
    #[arg(long, global = true)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Score each model against the labels and measure how differently they err.
    Inspect(InspectArgs),
    /// Fit a fuser on validation predictions and save it as JSON.
    Fit(Box<FitArgs>),
    /// Fuse predictions with a saved fuser and write the fused predictions.
    Predict(PredictArgs),
    /// Score prediction files (yours or fused ones) against labels.
    Evaluate(EvaluateArgs),
    /// Search fusers and model subsets by nested cross-validation on a dataset
    /// folder, say honestly whether fusion helps, and fuse the test set.
    Auto(AutoArgs),
    /// Cost-aware cascades: run cheap models first and expensive ones only
    /// when the fused prediction so far is not confident enough.
    Cascade {
        #[command(subcommand)]
        command: crate::commands::cascade::CascadeCommand,
    },
    /// Named entity recognition: score taggers as seqeval does, fit and fuse
    /// them (CoNLL files, or one column per system).
    Ner {
        #[command(subcommand)]
        command: crate::commands::ner::NerCommand,
    },
    /// Extractive question answering: score answers as the official SQuAD
    /// scripts do, fit and fuse systems' answers.
    Qa {
        #[command(subcommand)]
        command: crate::commands::qa::QaCommand,
    },
    /// Generated text (translations, summaries, answers): score as sacrebleu
    /// does, and fuse systems' outputs by consensus (MBR, majority vote).
    Generate {
        #[command(subcommand)]
        command: crate::commands::generate::GenerateCommand,
    },
    /// Print a shell completion script: `modelfuse completions bash >
    /// ~/.local/share/bash-completion/completions/modelfuse` (zsh: a file
    /// `_modelfuse` on your fpath; fish: `~/.config/fish/completions/`).
    Completions {
        /// bash, zsh or fish.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// The shells `modelfuse completions` writes scripts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// How prediction files are read; shared by every command.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Scores are logits: apply a softmax (a sigmoid with --multilabel).
    #[arg(long)]
    pub logits: bool,
    /// Rescale probability rows that do not sum to one instead of rejecting them.
    #[arg(long)]
    pub renormalize: bool,
    /// Labels are independent (multilabel): scores are per-label probabilities
    /// and labels are `|`-separated sets.
    #[arg(long)]
    pub multilabel: bool,
}

impl ReadArgs {
    pub fn build_options(&self) -> BuildOptions {
        BuildOptions {
            task: if self.multilabel {
                TaskHint::Multilabel
            } else {
                TaskHint::Auto
            },
            logits: self.logits,
            renormalize: self.renormalize,
            classes: None,
            extra_classes: Vec::new(),
            closed_classes: false,
        }
    }
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Prediction files, or folders of them; the model name is the file stem.
    #[arg(required = true, value_name = "PREDS")]
    pub inputs: Vec<PathBuf>,
    /// The labels file (`id,label`, or `id,value` for regression).
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct FitArgs {
    /// Prediction files, or folders of them; the model name is the file stem.
    #[arg(required = true, value_name = "PREDS")]
    pub inputs: Vec<PathBuf>,
    /// The labels file; required by methods that learn.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// The fusion method: mean, geometric, weighted, score-weighted, vote,
    /// soft-vote, rank, median, optimized, stacking, blending, selection.
    #[arg(long, value_parser = parse::<Method>)]
    pub method: Method,
    #[command(flatten)]
    pub settings: MethodArgs,
    #[command(flatten)]
    pub around: AroundArgs,
    #[command(flatten)]
    pub segments: SegmentArgs,
    /// Where to save the fitted fuser (JSON).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// A method's own settings; each method takes some (see README).
#[derive(Debug, Args)]
pub struct MethodArgs {
    /// Per-model weights, `name=weight,…` (weighted, vote, soft-vote, rank).
    #[arg(long, value_parser = parse_weights, value_name = "NAME=W,…")]
    pub weights: Option<NamedWeights>,
    /// The metric to weight by (score-weighted), optimise (optimized) or
    /// select by (selection), e.g. accuracy, log_loss, f1_macro.
    #[arg(long, value_parser = parse::<Metric>, value_name = "METRIC")]
    pub by: Option<Metric>,
    /// Exponent on the scores for score-weighted (default 1).
    #[arg(long)]
    pub power: Option<f64>,
    /// How vote breaks ties: lowest (the first class, as scikit-learn), soft
    /// (highest mean probability), best-model (the class of the most accurate
    /// model on --labels).
    #[arg(long, value_parser = parse::<TieBreak>, value_name = "RULE")]
    pub tie: Option<TieBreak>,
    /// Optimise the weights of a weighted geometric mean (optimized).
    #[arg(long)]
    pub geometric: bool,
    /// The meta-model of stacking and blending: logistic, ridge, nnls, linear.
    #[arg(long, value_parser = parse::<MetaModel>, value_name = "MODEL")]
    pub meta: Option<MetaModel>,
    /// Inverse regularisation C of the logistic meta-model (default 1).
    #[arg(long)]
    pub c: Option<f64>,
    /// Regularisation alpha of the ridge meta-model (default 1).
    #[arg(long)]
    pub alpha: Option<f64>,
    /// What the meta-model sees: probabilities or logits (stacking's default:
    /// probabilities; blending's: logits for the logistic meta-model).
    #[arg(long, value_parser = parse::<Transform>, value_name = "T")]
    pub transform: Option<Transform>,
    /// The fraction of rows blending fits its meta-model on (default 0.5).
    #[arg(long)]
    pub holdout: Option<f64>,
    /// Rounds of ensemble selection, i.e. the ensemble size (default 50).
    #[arg(long)]
    pub rounds: Option<usize>,
    /// Start ensemble selection from the best N models (default 0).
    #[arg(long, value_name = "N")]
    pub sorted_init: Option<usize>,
    /// Ensemble selection picks each model at most once.
    #[arg(long)]
    pub no_replacement: bool,
    /// Bagged ensemble selection: the number of bags (default 0: none).
    #[arg(long)]
    pub bags: Option<usize>,
    /// The fraction of models in each bag (default 0.5).
    #[arg(long)]
    pub bag_fraction: Option<f64>,
}

impl MethodArgs {
    pub fn spec_options(&self) -> SpecOptions {
        SpecOptions {
            weights: self.weights.clone(),
            by: self.by,
            power: self.power,
            tie: self.tie,
            geometric: self.geometric,
            meta: self.meta,
            c: self.c,
            alpha: self.alpha,
            transform: self.transform,
            holdout: self.holdout,
            rounds: self.rounds,
            sorted_init: self.sorted_init,
            no_replacement: self.no_replacement,
            bags: self.bags,
            bag_fraction: self.bag_fraction,
        }
    }
}

/// Serial fusion: rows that are segments of documents.
#[derive(Debug, Args)]
pub struct SegmentArgs {
    /// The rows are segments of documents (files with a `doc` column): pool
    /// each document's segments by mean, max, length (length-weighted mean),
    /// majority or learned (a meta-model over pooled statistics, fitted out
    /// of fold). --labels then gives one label per document.
    #[arg(long, value_parser = parse::<Pooling>, value_name = "POOLING")]
    pub pool: Option<Pooling>,
    /// With --pool: segments-first (pool each model, then fuse the models;
    /// the default) or models-first (fuse the models segment by segment,
    /// then pool; every model must predict the same segments).
    #[arg(long, value_parser = parse::<Order>, value_name = "ORDER", requires = "pool")]
    pub order: Option<Order>,
}

impl SegmentArgs {
    pub fn settings(&self) -> Option<SegmentSettings> {
        self.pool.map(|pooling| SegmentSettings {
            pooling,
            order: self.order.unwrap_or_default(),
        })
    }
}

/// What happens around the method: calibration, pruning, folds and seed.
#[derive(Debug, Args)]
pub struct AroundArgs {
    /// Temperature scaling: none, models (each model before fusing), output
    /// (the fused output), both.
    #[arg(long, value_parser = parse::<Calibrate>, value_name = "WHAT", default_value = "none")]
    pub calibrate: Calibrate,
    /// Drop models that do not help (near-duplicates, and models whose
    /// removal improves the out-of-fold score), and say why.
    #[arg(long)]
    pub prune: bool,
    /// Cross-validation folds for pruning and output calibration (default 5).
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Seed of every random choice (folds, splits, bags).
    #[arg(long)]
    pub seed: Option<u64>,
}

impl AroundArgs {
    pub fn fit_options(&self, metric: Option<Metric>) -> FitOptions {
        let seed = self.seed.unwrap_or(0);
        FitOptions {
            calibrate: self.calibrate,
            prune: self.prune.then(|| PruneOptions {
                metric,
                ..Default::default()
            }),
            folds: self.folds,
            seed,
        }
    }
}

#[derive(Debug, Args)]
pub struct AutoArgs {
    /// A dataset folder: val/<model>.csv, val.labels.csv, test/<model>.csv and
    /// optionally test.labels.csv [default: examples/banking77, the bundled
    /// real example].
    #[arg(value_name = "DATASET")]
    pub dataset: Option<PathBuf>,
    /// The metric to rank by (default: log_loss, accuracy when every model
    /// gives hard labels, rmse for regression).
    #[arg(long, value_parser = parse::<Metric>, value_name = "METRIC")]
    pub metric: Option<Metric>,
    /// Outer cross-validation folds (default 5).
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Seed of folds, bootstrap resamples and splits.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Bootstrap resamples for intervals and paired tests.
    #[arg(long, default_value_t = 1000)]
    pub resamples: usize,
    /// Where to write fuser.json, fused.csv and report.json.
    #[arg(short, long, value_name = "DIR", default_value = "modelfuse-out")]
    pub output: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The fitted fuser written by `modelfuse fit`.
    #[arg(long, value_name = "FILE")]
    pub fuser: PathBuf,
    /// Prediction files of the same models, or folders of them.
    #[arg(required = true, value_name = "PREDS")]
    pub inputs: Vec<PathBuf>,
    /// Where to write the fused predictions (.csv, .tsv, .parquet, .npz, or .npy with .ids.txt and .classes.txt sidecars).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Scores are logits: apply a softmax (a sigmoid for multilabel fusers).
    #[arg(long)]
    pub logits: bool,
    /// Rescale probability rows that do not sum to one instead of rejecting them.
    #[arg(long)]
    pub renormalize: bool,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Prediction files (for example fused.csv), or folders of them.
    #[arg(required = true, value_name = "PREDS")]
    pub inputs: Vec<PathBuf>,
    /// The labels file.
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// Parses any library type named on the command line (methods, metrics,
/// tie rules, meta-models, transforms, calibrations): the library owns the
/// names and the message listing the valid ones.
pub(crate) fn parse<T: std::str::FromStr<Err = modelfuse::Error>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e: modelfuse::Error| e.to_string())
}

/// [`parse`] for the settings of `modelfuse-nlp` (QA and NER methods, SQuAD
/// versions).
pub(crate) fn parse_nlp<T: std::str::FromStr<Err = modelfuse_nlp::Error>>(
    s: &str,
) -> Result<T, String> {
    s.parse().map_err(|e: modelfuse_nlp::Error| e.to_string())
}

/// Parses `name=weight,name=weight`.
pub(crate) fn parse_weights(s: &str) -> Result<NamedWeights, String> {
    let mut map = BTreeMap::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, w) = part
            .split_once('=')
            .ok_or_else(|| format!("expected name=weight, found '{part}'"))?;
        let w: f64 = w
            .trim()
            .parse()
            .map_err(|_| format!("expected a number as the weight of '{name}', found '{w}'"))?;
        if map.insert(name.trim().to_string(), w).is_some() {
            return Err(format!("the model '{name}' has two weights"));
        }
    }
    if map.is_empty() {
        return Err("expected at least one name=weight, found none".into());
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_and_report_bad_parts() {
        let w = parse_weights("bert=2, roberta=1").unwrap();
        assert_eq!(w["bert"], 2.0);
        assert_eq!(
            parse_weights("bert").unwrap_err(),
            "expected name=weight, found 'bert'"
        );
        assert_eq!(
            parse_weights("bert=x").unwrap_err(),
            "expected a number as the weight of 'bert', found 'x'"
        );
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
