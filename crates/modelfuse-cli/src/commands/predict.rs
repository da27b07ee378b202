//! `modelfuse predict`: apply a saved fuser to prediction files.

use anyhow::{Context, Result};
use std::path::Path;

use modelfuse::{BuildOptions, Fitted, Predictions};

use serde_json::json;

use super::report_written;
use crate::WriteError;
use crate::args::PredictArgs;
use crate::load;

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
        let loaded = load::predictions(&args.inputs, &opts)?;
        let fused = fitted
            .predict(&loaded.preds)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.fuser.display()))?;
        let rows = format!("{} samples", fused.n_samples());
        (fused, loaded.preds.models().to_vec(), rows)
    };
    write(&args.output, &fused)?;
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

fn write(output: &Path, fused: &Predictions) -> Result<()> {
    if load::is_stdio(output) {
        return load::write_out(output, "the fused predictions", |w| {
            modelfuse_io::write_predictions_csv(w, fused)
        });
    }
    modelfuse_io::write_predictions(output, fused)
        .with_context(|| format!("writing the fused predictions to {}", output.display()))
        .map_err(|e| anyhow::Error::new(WriteError(e)))
}
