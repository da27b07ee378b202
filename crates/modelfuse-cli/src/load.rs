//! Loading prediction and label files into library types, with errors that
//! name the file a bad value came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use modelfuse::segments::SegmentedPredictions;
use modelfuse::{BuildOptions, Predictions, Targets};

/// Predictions with the file each model came from.
pub struct Loaded {
    pub preds: Predictions,
    pub paths: BTreeMap<String, PathBuf>,
}

/// Reads every prediction file under `inputs` and aligns them.
pub fn predictions(inputs: &[PathBuf], opts: &BuildOptions) -> Result<Loaded> {
    let files = modelfuse_io::expand_inputs(inputs)?;
    let outputs = modelfuse_io::read_predictions_all(&files)?;
    let paths = outputs
        .iter()
        .zip(files)
        .map(|(out, file)| (out.name.clone(), file))
        .collect();
    let preds = Predictions::from_outputs(outputs, opts).map_err(|e| explain(e, &paths))?;
    Ok(Loaded { preds, paths })
}

/// Segment-level predictions with the file each model came from.
pub struct LoadedSegments {
    pub segs: SegmentedPredictions,
    pub paths: BTreeMap<String, PathBuf>,
}

/// Reads every segment-level prediction file under `inputs` and groups the
/// rows by document.
pub fn segments(inputs: &[PathBuf], opts: &BuildOptions) -> Result<LoadedSegments> {
    let files = modelfuse_io::expand_inputs(inputs)?;
    let mut outputs = Vec::with_capacity(files.len());
    let mut paths = BTreeMap::new();
    for file in files {
        let out = modelfuse_io::read_segments(&file)?;
        paths.insert(out.output.name.clone(), file);
        outputs.push(out);
    }
    let segs = SegmentedPredictions::from_outputs(outputs, opts).map_err(|e| explain(e, &paths))?;
    Ok(LoadedSegments { segs, paths })
}

/// "7265 segments" (per model), or "7265–8012 segments per model" when
/// models segment differently.
pub fn segment_count(segs: &SegmentedPredictions) -> String {
    let counts: Vec<usize> = (0..segs.models().len())
        .map(|m| segs.n_segments(m))
        .collect();
    let (lo, hi) = (counts.iter().min(), counts.iter().max());
    match (lo, hi) {
        (Some(lo), Some(hi)) if lo != hi => format!("{lo}–{hi} segments per model"),
        (Some(n), _) => format!("{n} segments"),
        _ => "no segments".into(),
    }
}

/// Reads a labels file as `(id, label)` pairs.
pub fn labels(path: &Path) -> Result<Vec<(String, String)>> {
    Ok(modelfuse_io::read_labels(path)?)
}

/// The distinct labels of a labels table, so classes that no model predicted
/// are still known when every model gave hard labels.
pub fn label_values(table: &[(String, String)]) -> Vec<String> {
    let mut v: Vec<String> = table.iter().map(|(_, l)| l.clone()).collect();
    v.sort();
    v.dedup();
    v
}

/// Aligns a labels table with the predictions' samples.
pub fn targets(preds: &Predictions, table: &[(String, String)], path: &Path) -> Result<Targets> {
    Targets::align(preds, table).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Loads predictions and labels together; the labels' classes join the class
/// set when every model gave hard labels.
pub fn with_labels(
    inputs: &[PathBuf],
    labels_path: &Path,
    mut opts: BuildOptions,
) -> Result<(Loaded, Targets)> {
    let table = labels(labels_path)?;
    opts.extra_classes = label_values(&table);
    let loaded = predictions(inputs, &opts)?;
    let targets = targets(&loaded.preds, &table, labels_path)?;
    Ok((loaded, targets))
}

/// Rewrites a library error so it starts with the file of the model it
/// concerns, rather than the model's name.
pub fn explain(err: modelfuse::Error, paths: &BTreeMap<String, PathBuf>) -> anyhow::Error {
    let loc = err.location();
    let Some(path) = loc.model.as_ref().and_then(|m| paths.get(m)) else {
        return anyhow!(err);
    };
    let mut parts = vec![path.display().to_string()];
    if let Some(id) = &loc.id {
        parts.push(format!("id '{id}'"));
    }
    if let Some(class) = &loc.class {
        parts.push(format!("class '{class}'"));
    }
    anyhow!("{}: {}", parts.join(", "), err.message())
}

/// Reads a saved fitted fuser.
pub fn fuser(path: &Path) -> Result<modelfuse::FittedFuser> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the fitted fuser {}", path.display()))?;
    modelfuse::FittedFuser::from_json(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}
