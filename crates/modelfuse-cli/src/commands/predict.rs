//! `modelfuse predict`: apply a saved fuser to prediction files.

use anyhow::{Context, Result};
use modelfuse::{BuildOptions, Fitted, Task, TaskHint};

use crate::WriteError;
use crate::args::PredictArgs;
use crate::load;

pub fn run(args: PredictArgs) -> Result<()> {
    let fitted = load::fuser(&args.fuser)?;
    // Read the files as the fuser expects them: its task and its classes, in
    // its order, so a file with reordered columns still lines up.
    let opts = BuildOptions {
        task: match fitted.task {
            Task::Multilabel { .. } => TaskHint::Multilabel,
            _ => TaskHint::Auto,
        },
        logits: args.logits,
        renormalize: args.renormalize,
        classes: match fitted.task {
            Task::Regression => None,
            _ => Some(fitted.classes.clone()),
        },
        extra_classes: Vec::new(),
    };
    let loaded = load::predictions(&args.inputs, &opts)?;
    let fused = fitted
        .predict(&loaded.preds)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.fuser.display()))?;
    modelfuse_io::write_predictions(&args.output, &fused)
        .with_context(|| format!("writing the fused predictions to {}", args.output.display()))
        .map_err(|e| anyhow::Error::new(WriteError(e)))?;
    eprintln!(
        "fused {} models on {} samples with {} -> {}",
        loaded.preds.n_models(),
        fused.n_samples(),
        fitted.spec.method(),
        args.output.display()
    );
    Ok(())
}
