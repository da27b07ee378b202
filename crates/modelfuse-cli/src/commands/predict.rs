//! `modelfuse predict`: apply a saved fuser to prediction files.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use modelfuse::{BuildOptions, Fitted};
use serde_json::json;

use crate::load;
use crate::output::{self, report_written};

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

pub fn run(args: PredictArgs) -> Result<()> {
    let fitted = load::fuser(&args.fuser)?;
    let opts = fitted.read_options(BuildOptions {
        logits: args.logits,
        renormalize: args.renormalize,
        ..BuildOptions::default()
    });
    // The fused predictions, and what was fused, for the summary.
    let (fused, models, rows) = if fitted.segments().is_some() {
        let loaded = load::segments(&args.inputs, &opts)?;
        let segs = &loaded.segs;
        let fused =
            fitted
                .predict_segments(segs)
                .map_err(|e| match e.location().model.is_some() {
                    true => load::explain(e, &loaded.paths),
                    false => anyhow::anyhow!("{}: {e}", args.fuser.display()),
                })?;
        let rows = format!(
            "{} of {} documents",
            load::segment_count(segs),
            fused.n_samples()
        );
        let models = segs.models().iter().map(|m| m.to_string()).collect();
        (fused, models, rows)
    } else {
        let files = load::expand(&args.inputs)?;
        let (fused, models) = if fitted.streams() && !files.is_empty() {
            // One model at a time: the same bits, a fraction of the memory.
            load::fuse_streaming(&files, &fitted, &args.fuser, &opts)?
        } else {
            let loaded = load::predictions_of(files, &opts)?;
            let fused = fitted
                .predict(&loaded.preds)
                .map_err(|e| anyhow::anyhow!("{}: {e}", args.fuser.display()))?;
            (fused, loaded.preds.models().to_vec())
        };
        let rows = format!("{} samples", fused.n_samples());
        (fused, models, rows)
    };
    output::predictions(&args.output, &fused, true)?;
    let facts = json!({
        "output": args.output,
        "method": fitted.spec().method().to_string(),
        "models": models,
        "samples": fused.n_samples(),
        "classes": fused.classes(),
    });
    let summary = format!(
        "fused {} models on {rows} with {} -> {}",
        models.len(),
        fitted.spec().method(),
        args.output.display()
    );
    report_written(args.json, summary, facts);
    Ok(())
}
