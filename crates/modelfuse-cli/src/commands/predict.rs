//! `modelfuse predict`: apply a saved fuser to prediction files.

use anyhow::{Context, Result};
use std::path::Path;

use modelfuse::{BuildOptions, Fitted, Predictions};

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
    if fitted.segments().is_some() {
        let loaded = load::segments(&args.inputs, &opts)?;
        let segs = &loaded.segs;
        let fused =
            fitted
                .predict_segments(segs)
                .map_err(|e| match e.location().model.is_some() {
                    true => load::explain(e, &loaded.paths),
                    false => anyhow::anyhow!("{}: {e}", args.fuser.display()),
                })?;
        write(&args.output, &fused)?;
        eprintln!(
            "fused {} models on {} of {} documents with {} -> {}",
            segs.models().len(),
            load::segment_count(segs),
            fused.n_samples(),
            fitted.spec().method(),
            args.output.display()
        );
        return Ok(());
    }
    let loaded = load::predictions(&args.inputs, &opts)?;
    let fused = fitted
        .predict(&loaded.preds)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.fuser.display()))?;
    write(&args.output, &fused)?;
    eprintln!(
        "fused {} models on {} samples with {} -> {}",
        loaded.preds.n_models(),
        fused.n_samples(),
        fitted.spec().method(),
        args.output.display()
    );
    Ok(())
}

fn write(output: &Path, fused: &Predictions) -> Result<()> {
    modelfuse_io::write_predictions(output, fused)
        .with_context(|| format!("writing the fused predictions to {}", output.display()))
        .map_err(|e| anyhow::Error::new(WriteError(e)))
}
