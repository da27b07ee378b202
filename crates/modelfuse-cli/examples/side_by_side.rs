//! The modelfuse side of `bench/side_by_side.py`: loads a dataset folder with
//! `modelfuse_io`, runs one learned fusion through the library and prints
//! JSON with its timings (loading apart) and its result, for the script to
//! compare with the Python references. `bench/run.sh` builds and runs it.
//!
//! ```text
//! side_by_side <dataset> --task selection|optimized|stacking --out <dir> [--tol 1e-4]
//! ```
//!
//! Timing rule, shared with the script: a run is timed once, and if it took
//! under ten seconds twice more; every time is printed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use modelfuse::fusers::{
    EnsembleSelection, FittedMeta, MetaModel, Stacking, StackingFit, Transform,
};
use modelfuse::learn::logistic::{FittedLogistic, LogisticRegression};
use modelfuse::learn::simplex::{Objective, SimplexOptions, optimize_weights};
use modelfuse::{BuildOptions, Fitted, Fuser, Predictions, Targets};
use serde_json::{Value, json};

/// Runs shorter than this are repeated (best of three).
const REPEAT_BELOW: f64 = 10.0;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut data = None;
    let (mut task, mut out, mut tol) = (None, None, 1e-4);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--task" => task = args.next(),
            "--out" => out = args.next().map(PathBuf::from),
            "--tol" => tol = args.next().context("--tol needs a value")?.parse()?,
            _ if data.is_none() => data = Some(PathBuf::from(a)),
            _ => bail!("unexpected argument '{a}'"),
        }
    }
    let (Some(data), Some(task), Some(out)) = (data, task, out) else {
        bail!("usage: side_by_side <dataset> --task <selection|optimized|stacking> --out <dir>");
    };

    let start = Instant::now();
    let (preds, targets) = load(&data)?;
    let load_seconds = start.elapsed().as_secs_f64();
    let mut result = match task.as_str() {
        "selection" => selection(&preds, &targets)?,
        "optimized" => optimized(&preds, &targets)?,
        "stacking" => stacking(&preds, &targets, tol, &out)?,
        other => bail!("unknown task '{other}'"),
    };
    result["load_seconds"] = json!(load_seconds);
    result["threads"] = json!(std::thread::available_parallelism().map_or(1, |t| t.get()));
    println!("{result}");
    Ok(())
}

/// The validation predictions and labels of a dataset folder, as the CLI
/// reads them.
fn load(data: &Path) -> Result<(Predictions, Targets)> {
    let files = modelfuse_io::expand_inputs(&[data.join("val")])?;
    let outputs = files
        .iter()
        .map(|f| modelfuse_io::read_predictions(f))
        .collect::<Result<Vec<_>, _>>()?;
    let preds = Predictions::from_outputs(outputs, &BuildOptions::default())?;
    let table = modelfuse_io::read_labels(&data.join("val.labels.csv"))?;
    let targets = Targets::align(&preds, &table)?;
    Ok((preds, targets))
}

/// `f()` timed by the shared rule: the last result and every time.
fn timed<T>(mut f: impl FnMut() -> Result<T>) -> Result<(T, Vec<f64>)> {
    let mut times = Vec::new();
    loop {
        let start = Instant::now();
        let out = f()?;
        times.push(start.elapsed().as_secs_f64());
        if times[0] >= REPEAT_BELOW || times.len() == 3 {
            return Ok((out, times));
        }
    }
}

fn selection(preds: &Predictions, targets: &Targets) -> Result<Value> {
    // auto-sklearn's defaults: 50 rounds with replacement, log-loss.
    let (s, times) = timed(|| Ok(EnsembleSelection::new().select(preds, targets)?))?;
    Ok(json!({
        "seconds": times,
        "picks": s.trajectory.iter().map(|(m, _)| m).collect::<Vec<_>>(),
        "scores": s.trajectory.iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "counts": s.counts,
        "weights": s.weights.as_slice(),
    }))
}

fn optimized(preds: &Predictions, targets: &Targets) -> Result<Value> {
    // What `modelfuse fit --method optimized` runs: the default options
    // (tolerance 1e-12 on the duality gap).
    let (fit, times) = timed(|| {
        Ok(optimize_weights(
            preds,
            targets,
            Objective::LogLoss,
            &SimplexOptions::default(),
        )?)
    })?;
    let (w, report) = fit;
    Ok(json!({
        "seconds": times,
        "weights": w.as_slice(),
        "iterations": report.iterations,
        "objective": report.objective,
        "converged": report.converged,
    }))
}

/// Two fits of the logistic meta-model on the same features: at `tol`
/// (matched to scikit-learn's number; see `learn::logistic` for how the two
/// tolerances differ) through `LogisticRegression`, and through the public
/// `Stacking` fuser at its default tolerance, 1e-8, as the CLI runs it. Both
/// timings include building the features and predicting the fitting rows.
fn stacking(preds: &Predictions, targets: &Targets, tol: f64, out: &Path) -> Result<Value> {
    let Targets::Classes(y) = targets else {
        bail!("expected class labels");
    };
    let k = preds.n_outputs();
    let ((matched, proba), times) = timed(|| {
        let (x, d) = features(preds);
        let fit = LogisticRegression::new()
            .c(1.0)
            .tol(tol)
            .fit(&x, d, y, k, None)?;
        let proba = fit.predict_proba(&x, d)?;
        Ok((fit, proba))
    })?;
    write_f64(&out.join("lib_stacking_matched.f64"), &proba)?;

    let stacker = Stacking::new(MetaModel::Logistic { c: 1.0 }, Transform::Logits);
    let (fitted, default_times) = timed(|| {
        let fitted = stacker.fit(preds, targets)?;
        fitted.predict(preds)?;
        Ok(fitted)
    })?;
    let StackingFit::Meta(meta) = &fitted else {
        bail!("expected a logistic meta-model");
    };
    let FittedMeta::Logistic { models, .. } = meta.meta() else {
        bail!("expected a logistic meta-model");
    };
    // `predict` gives f32 probabilities; the comparison wants the model's own
    // f64 ones.
    let (x, d) = features(preds);
    write_f64(
        &out.join("lib_stacking_default.f64"),
        &models[0].predict_proba(&x, d)?,
    )?;
    Ok(json!({
        "matched": logistic_json(&matched, times, tol),
        "default": logistic_json(&models[0], default_times, LogisticRegression::new().tol),
    }))
}

/// Stacking's features: `ln max(p, 1e-15)` of every model and class, model by
/// model, as `Stacking` builds them for a multiclass task.
fn features(preds: &Predictions) -> (Vec<f64>, usize) {
    let (m, n, k) = (preds.n_models(), preds.n_samples(), preds.n_outputs());
    let d = m * k;
    let mut x = vec![0.0; n * d];
    for mi in 0..m {
        for (i, row) in preds.model(mi).chunks_exact(k).enumerate() {
            for (c, &p) in row.iter().enumerate() {
                x[i * d + mi * k + c] = f64::from(p).max(1e-15).ln();
            }
        }
    }
    (x, d)
}

fn logistic_json(fit: &FittedLogistic, times: Vec<f64>, tol: f64) -> Value {
    json!({
        "seconds": times,
        "tol": tol,
        "iterations": fit.iterations(),
        "converged": fit.converged(),
        "coef": fit.coef(),
        "intercept": fit.intercept(),
    })
}

fn write_f64(path: &Path, values: &[f64]) -> Result<()> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
