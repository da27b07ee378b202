//! The command line: the top-level [`Cli`], its [`Command`]s, and what
//! several commands share ([`ReadArgs`]). Each command's own arguments live
//! in its file under `commands/`.

use clap::{Args, Parser, Subcommand};
use modelfuse::{BuildOptions, TaskHint};

use crate::commands;

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
    Inspect(commands::inspect::InspectArgs),
    /// Fit a fuser on validation predictions and save it as JSON.
    Fit(Box<commands::fit::FitArgs>),
    /// Fuse predictions with a saved fuser and write the fused predictions.
    Predict(commands::predict::PredictArgs),
    /// Score prediction files (yours or fused ones) against labels.
    Evaluate(commands::evaluate::EvaluateArgs),
    /// Search fusers and model subsets by nested cross-validation on a dataset
    /// folder, say honestly whether fusion helps, and fuse the test set.
    Auto(commands::auto::AutoArgs),
    /// Cost-aware cascades: run cheap models first and expensive ones only
    /// when the fused prediction so far is not confident enough.
    Cascade {
        #[command(subcommand)]
        command: commands::cascade::CascadeCommand,
    },
    /// Named entity recognition: score taggers as seqeval does, fit and fuse
    /// them (CoNLL files, or one column per system).
    Ner {
        #[command(subcommand)]
        command: commands::ner::NerCommand,
    },
    /// Extractive question answering: score answers as the official SQuAD
    /// scripts do, fit and fuse systems' answers.
    Qa {
        #[command(subcommand)]
        command: commands::qa::QaCommand,
    },
    /// Generated text (translations, summaries, answers): score as sacrebleu
    /// does, and fuse systems' outputs by consensus (MBR, majority vote).
    Generate {
        #[command(subcommand)]
        command: commands::generate::GenerateCommand,
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

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
