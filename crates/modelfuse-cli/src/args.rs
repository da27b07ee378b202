//! Command-line arguments (clap derive). Parsing into library types happens
//! here, once; commands receive typed values.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use modelfuse::fusers::TieBreak;
use modelfuse::metrics::Metric;
use modelfuse::{BuildOptions, Method, NamedWeights, TaskHint};

/// Fuse the predictions of several models into one better predictor.
#[derive(Debug, Parser)]
#[command(name = "modelfuse", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Score each model against the labels and measure how differently they err.
    Inspect(InspectArgs),
    /// Fit a fuser on validation predictions and save it as JSON.
    Fit(FitArgs),
    /// Fuse predictions with a saved fuser and write the fused predictions.
    Predict(PredictArgs),
    /// Score prediction files (yours or fused ones) against labels.
    Evaluate(EvaluateArgs),
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
    /// The labels file; required by methods that learn (score-weighted).
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// The fusion method: mean, geometric, weighted, score-weighted, vote,
    /// soft-vote, rank, median.
    #[arg(long, value_parser = parse_method)]
    pub method: Method,
    /// Per-model weights, `name=weight,…` (weighted, vote, soft-vote, rank).
    #[arg(long, value_parser = parse_weights, value_name = "NAME=W,…")]
    pub weights: Option<NamedWeights>,
    /// The metric that score-weighted weights by (e.g. accuracy, log_loss).
    #[arg(long, value_parser = parse_metric, value_name = "METRIC")]
    pub by: Option<Metric>,
    /// Exponent on the scores for score-weighted (default 1).
    #[arg(long)]
    pub power: Option<f64>,
    /// How vote breaks ties: lowest (the first class, as scikit-learn), soft
    /// (highest mean probability), best-model (the class of the most accurate
    /// model on --labels).
    #[arg(long, value_parser = parse_tie, value_name = "RULE")]
    pub tie: Option<TieBreak>,
    /// Where to save the fitted fuser (JSON).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print the summary as JSON.
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
    /// Where to write the fused predictions (.csv, .tsv or .parquet).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Scores are logits: apply a softmax (a sigmoid for multilabel fusers).
    #[arg(long)]
    pub logits: bool,
    /// Rescale probability rows that do not sum to one instead of rejecting them.
    #[arg(long)]
    pub renormalize: bool,
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

fn parse_method(s: &str) -> Result<Method, String> {
    s.parse().map_err(|e: modelfuse::Error| e.to_string())
}

fn parse_tie(s: &str) -> Result<TieBreak, String> {
    s.parse().map_err(|e: modelfuse::Error| e.to_string())
}

fn parse_metric(s: &str) -> Result<Metric, String> {
    s.parse().map_err(|e: modelfuse::Error| e.to_string())
}

/// Parses `name=weight,name=weight`.
fn parse_weights(s: &str) -> Result<NamedWeights, String> {
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
