//! Loading prediction and label files into library types, with errors that
//! name the file a bad value came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use modelfuse::segments::SegmentedPredictions;
use modelfuse::stream::{First, Prepared};
use modelfuse::{BuildOptions, Content, FittedFuser, ModelOutput, Predictions, Targets, TaskHint};
use rayon::prelude::*;

/// The prediction files under `inputs`; says on stderr which folder entries
/// were skipped and why, so a model never vanishes without a word.
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let (files, skipped) = modelfuse_io::expand_inputs_noting(inputs)?;
    for s in skipped {
        eprintln!("skipped {}: {}", s.path.display(), s.reason);
    }
    Ok(files)
}

/// The system files of NER, QA and generation commands under `inputs` (folders
/// expanded to the non-hidden files `accept` takes); says on stderr which folder
/// entries were skipped and why.
pub fn expand_systems(
    inputs: &[PathBuf],
    accept: impl Fn(&str) -> bool,
    what: &str,
) -> Result<Vec<PathBuf>> {
    let (files, skipped) = modelfuse_io::expand_files(inputs, accept, what)?;
    for s in skipped {
        eprintln!("skipped {}: {}", s.path.display(), s.reason);
    }
    Ok(files)
}

/// Predictions with the file each model came from.
pub struct Loaded {
    pub preds: Predictions,
    pub paths: BTreeMap<String, PathBuf>,
}

/// Reads every prediction file under `inputs` and aligns them.
pub fn predictions(inputs: &[PathBuf], opts: &BuildOptions) -> Result<Loaded> {
    predictions_of(expand(inputs)?, opts)
}

/// Reads the prediction files `files` and aligns them.
pub fn predictions_of(files: Vec<PathBuf>, opts: &BuildOptions) -> Result<Loaded> {
    let outputs = modelfuse_io::read_predictions_all(&files)?;
    for (out, file) in outputs.iter().zip(&files) {
        hint(out, file, opts);
    }
    let paths = outputs
        .iter()
        .zip(files)
        .map(|(out, file)| (out.name.clone(), file))
        .collect();
    let preds = Predictions::from_outputs(outputs, opts).map_err(|e| explain(e, &paths))?;
    Ok(Loaded { preds, paths })
}

/// Fuses the prediction files `files` with `fitted` one model at a time
/// ([`modelfuse::stream`]), for fusers that [stream](FittedFuser::streams):
/// as many files as there are threads are read and checked at once, then
/// added in model order, so memory holds the output and those few models
/// rather than all of them. Returns the fusion and every model read (in name
/// order). `fuser` is the saved fuser's path, for its errors.
pub fn fuse_streaming(
    files: &[PathBuf],
    fitted: &FittedFuser,
    fuser: &Path,
    opts: &BuildOptions,
) -> Result<(Predictions, Vec<String>)> {
    let mut named = files
        .iter()
        .map(|f| Ok((modelfuse_io::model_name(f)?, f)))
        .collect::<Result<Vec<_>>>()?;
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<String> = named.iter().map(|(n, _)| n.clone()).collect();
    let paths: BTreeMap<String, PathBuf> = named
        .iter()
        .map(|(n, f)| (n.clone(), f.to_path_buf()))
        .collect();
    let read = |file: &Path| -> Result<ModelOutput> {
        let out = modelfuse_io::read_predictions(file)?;
        hint(&out, file, opts);
        Ok(out)
    };
    let threads = rayon::current_num_threads().max(1);
    // The first files are read together; the first of them (in name order)
    // sets the layout the others are checked against.
    let head = &named[..threads.min(named.len())];
    let mut outs = head
        .par_iter()
        .map(|(_, file)| read(file))
        .collect::<Vec<Result<ModelOutput>>>()
        .into_iter();
    let Some(first) = outs.next() else {
        return Err(anyhow!("expected at least one model, found none"));
    };
    let first = First::new(&names, first?, opts).map_err(|e| explain(e, &paths))?;
    let mut stream = fitted
        .stream(first)
        .map_err(|e| anyhow!("{}: {e}", fuser.display()))?;
    let outs: Vec<ModelOutput> = outs.collect::<Result<_>>()?;
    let prepared: Vec<_> = outs
        .into_par_iter()
        .map(|out| stream.prepare(out))
        .collect();
    for p in prepared {
        stream
            .add(p.map_err(|e| explain(e, &paths))?)
            .map_err(|e| explain(e, &paths))?;
    }
    for chunk in named[head.len()..].chunks(threads) {
        let prepared: Vec<Result<Prepared>> = chunk
            .par_iter()
            .map(|(_, file)| {
                let out = read(file)?;
                stream.prepare(out).map_err(|e| explain(e, &paths))
            })
            .collect();
        for p in prepared {
            stream.add(p?).map_err(|e| explain(e, &paths))?;
        }
    }
    let fused = stream
        .finish()
        .map_err(|e| anyhow!("{}: {e}", fuser.display()))?;
    Ok((fused, names))
}

/// Warns (on stderr) about files that parse but are probably not what their
/// author meant: probabilities given to `--logits` (a softmax of
/// probabilities flattens them), and a `label` column placed among class
/// columns (it is ignored there; modelfuse writes it last, after the
/// classes, and only the scores are read).
fn hint(out: &ModelOutput, file: &Path, opts: &BuildOptions) {
    let Content::Scores { columns, values } = &out.content else {
        return;
    };
    if opts.logits && opts.task != TaskHint::Multilabel && !columns.is_empty() {
        let all_probabilities = values.chunks(columns.len()).all(|row| {
            let sum: f64 = row.iter().map(|&x| x as f64).sum();
            row.iter().all(|x| (0.0..=1.0).contains(x)) && (sum - 1.0).abs() <= 1e-3
        });
        if all_probabilities {
            eprintln!(
                "warning: {}: every row is already a probability distribution (in [0, 1], summing to 1), but --logits applies a softmax to it, which flattens it; leave out --logits for probabilities",
                file.display()
            );
        }
    }
    if let Some(header) = text_header(file) {
        let names: Vec<&str> = header.iter().map(String::as_str).collect();
        if let Some(at) = names.iter().position(|n| *n == "label")
            && at + 1 != names.len()
        {
            eprintln!(
                "warning: {}: the 'label' column is ignored beside the class columns [{}]: the scores are read, not the labels (a hard-label file has only 'id' and 'label')",
                file.display(),
                columns.join(", ")
            );
        }
    }
}

/// The header of a CSV or TSV file, for hints (`None` for other formats or
/// when it cannot be read; the reader has already judged the file).
fn text_header(file: &Path) -> Option<Vec<String>> {
    use std::io::{BufRead, Read};
    let name = file.file_name()?.to_str()?.to_ascii_lowercase();
    let sep = if name.ends_with(".csv") {
        ','
    } else if name.ends_with(".tsv") {
        '\t'
    } else {
        return None;
    };
    let mut line = String::new();
    std::io::BufReader::new(std::fs::File::open(file).ok()?)
        .take(1 << 16)
        .read_line(&mut line)
        .ok()?;
    Some(
        line.trim_start_matches('\u{feff}')
            .trim_end()
            .split(sep)
            .map(|c| c.trim().trim_matches('"').to_string())
            .collect(),
    )
}

/// Segment-level predictions with the file each model came from.
pub struct LoadedSegments {
    pub segs: SegmentedPredictions,
    pub paths: BTreeMap<String, PathBuf>,
}

/// Reads every segment-level prediction file under `inputs` and groups the
/// rows by document.
pub fn segments(inputs: &[PathBuf], opts: &BuildOptions) -> Result<LoadedSegments> {
    let files = expand(inputs)?;
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
    opts.closed_classes = true;
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
    expect_kind(&text, path, modelfuse_io::FittedKind::Fuser)?;
    modelfuse::FittedFuser::from_json(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Refuses a saved file of another kind than the command reads, in words.
pub fn expect_kind(text: &str, path: &Path, kind: modelfuse_io::FittedKind) -> Result<()> {
    modelfuse_io::FittedKind::expect(text, kind).map_err(|m| anyhow!("{}: {m}", path.display()))
}

/// Whether a path argument is `-` (standard input or output).
pub fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads a text file, or standard input for `-`.
pub fn text(path: &Path) -> Result<String> {
    if is_stdio(path) {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .context("reading standard input")?;
        return Ok(modelfuse_io::decode_text(bytes).map_err(|e| e.or_path(path))?);
    }
    Ok(modelfuse_io::read_text(path)?)
}
