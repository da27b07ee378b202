//! The modelfuse side of `bench/side_by_side.py`: loads a dataset folder with
//! `modelfuse_io`, runs one learned fusion through the library and prints
//! JSON with its timings (loading apart) and its result, for the script to
//! compare with the Python references. `bench/run.sh` builds and runs it.
//!
//! ```text
//! side_by_side <dataset> --task selection|optimized|stacking --out <dir> [--tol 1e-4]
//! side_by_side <dataset> --task mean|weighted|vote|soft-vote|metrics|diversity --out <dir> --repeats 5
//! side_by_side <dataset> --task load-csv|load-parquet --out <dir> --repeats 5
//! side_by_side <dataset> --task bandwidth --out <dir> --repeats 5
//! ```
//!
//! Timing rule of the learned tasks, shared with `bench/side_by_side.py`: a
//! run is timed once, and if it took under ten seconds twice more. The other
//! tasks (`bench/suite.py`) run exactly `--repeats` times; every time is
//! printed and the script reports the median.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use modelfuse::diversity::diversity;
use modelfuse::fusers::{
    EnsembleSelection, FittedMeta, MetaModel, Stacking, StackingFit, Transform,
};
use modelfuse::learn::logistic::{FittedLogistic, LogisticRegression};
use modelfuse::learn::simplex::{Objective, SimplexOptions, optimize_weights};
use modelfuse::metrics::{self, Metric};
use modelfuse::{BuildOptions, Fitted, Fuser, FuserSpec, Predictions, Targets};
use serde_json::{Value, json};

/// Runs shorter than this are repeated (best of three).
const REPEAT_BELOW: f64 = 10.0;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut data = None;
    let (mut task, mut out, mut tol, mut repeats) = (None, None, 1e-4, 5);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--task" => task = args.next(),
            "--repeats" => {
                repeats = args.next().context("--repeats needs a value")?.parse()?;
                if repeats == 0 {
                    bail!("--repeats must be at least 1");
                }
            }
            "--out" => out = args.next().map(PathBuf::from),
            "--tol" => tol = args.next().context("--tol needs a value")?.parse()?,
            _ if data.is_none() => data = Some(PathBuf::from(a)),
            _ => bail!("unexpected argument '{a}'"),
        }
    }
    let (Some(data), Some(task), Some(out)) = (data, task, out) else {
        bail!("usage: side_by_side <dataset> --task <selection|optimized|stacking> --out <dir>");
    };

    // Loading is the task itself here, timed apart from the `.npy` folder
    // the other tasks read.
    match task.as_str() {
        "load-csv" => return print(loading(&data, "csv", repeats)?),
        "load-parquet" => return print(loading(&data, "parquet", repeats)?),
        _ => {}
    }
    let start = Instant::now();
    let (preds, targets) = load(&data)?;
    let load_seconds = start.elapsed().as_secs_f64();
    let mut result = match task.as_str() {
        "selection" => selection(&preds, &targets)?,
        "optimized" => optimized(&preds, &targets)?,
        "stacking" => stacking(&preds, &targets, tol, &out)?,
        "mean" | "weighted" | "vote" | "soft-vote" => fuse(&preds, &task, repeats, &out)?,
        "metrics" => scores(&preds, &targets, repeats)?,
        "diversity" => pairs(&preds, &targets, repeats)?,
        "bandwidth" => bandwidth(
            preds.n_models() * preds.n_samples() * preds.n_outputs(),
            repeats,
        ),
        other => bail!("unknown task '{other}'"),
    };
    result["load_seconds"] = json!(load_seconds);
    print(result)
}

fn print(mut result: Value) -> Result<()> {
    result["threads"] = json!(rayon::current_num_threads());
    println!("{result}");
    Ok(())
}

/// The validation predictions and labels of a dataset folder, as the CLI
/// reads them.
fn load(data: &Path) -> Result<(Predictions, Targets)> {
    let preds = read_folder(&data.join("val"))?;
    let table = modelfuse_io::read_labels(&data.join("val.labels.csv"))?;
    let targets = Targets::align(&preds, &table)?;
    Ok((preds, targets))
}

/// Every prediction file of `folder`, read and aligned as the CLI does.
fn read_folder(folder: &Path) -> Result<Predictions> {
    let files = modelfuse_io::expand_inputs(&[folder.to_path_buf()])?;
    let outputs = modelfuse_io::read_predictions_all(&files)?;
    Ok(Predictions::from_outputs(
        outputs,
        &BuildOptions::default(),
    )?)
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

/// `f()` run exactly `repeats` times: the last result and every time.
fn repeated<T>(repeats: usize, mut f: impl FnMut() -> Result<T>) -> Result<(T, Vec<f64>)> {
    let mut times = Vec::with_capacity(repeats);
    let mut last = None;
    for _ in 0..repeats {
        let start = Instant::now();
        last = Some(f()?);
        times.push(start.elapsed().as_secs_f64());
    }
    Ok((last.expect("at least one repeat"), times))
}

/// One of the fusers that learn nothing, as `modelfuse predict` runs it: the
/// spec is fitted once (it only resolves weights), then `predict` is timed.
/// The weighted mean's weights are 1, 2, …, M in model order, the ones
/// `bench/suite.py` gives NumPy. The fused block goes to `lib_<task>.f32`.
fn fuse(preds: &Predictions, task: &str, repeats: usize, out: &Path) -> Result<Value> {
    let weights: serde_json::Map<String, Value> = preds
        .models()
        .iter()
        .enumerate()
        .map(|(m, name)| (name.clone(), json!(m + 1)))
        .collect();
    let spec: FuserSpec = serde_json::from_value(match task {
        "weighted" => json!({"method": "weighted", "weights": weights}),
        other => json!({ "method": other }),
    })?;
    let fitted = spec.fit(preds, None)?;
    let (fused, times) = repeated(repeats, || Ok(fitted.predict(preds)?))?;
    let bytes: Vec<u8> = fused
        .model(0)
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let path = out.join(format!("lib_{task}.f32"));
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(json!({ "seconds": times }))
}

/// The metrics of the side by side, for every model: log-loss, ROC-AUC
/// (binary: of the second class; multiclass: one-vs-rest, macro) and macro F1.
const METRICS: [Metric; 3] = [Metric::LogLoss, Metric::RocAuc, Metric::F1Macro];

fn scores(preds: &Predictions, targets: &Targets, repeats: usize) -> Result<Value> {
    let (values, times) = repeated(repeats, || {
        let mut out = vec![Vec::new(); METRICS.len()];
        for m in 0..preds.n_models() {
            for (j, &metric) in METRICS.iter().enumerate() {
                out[j].push(metrics::score(metric, preds, m, targets)?);
            }
        }
        Ok(out)
    })?;
    let mut result = json!({ "seconds": times });
    for (metric, v) in METRICS.iter().zip(values) {
        result[metric.name()] = json!(v);
    }
    Ok(result)
}

/// The pairwise diversity matrix (every pair's five measures) and the
/// ensemble summary, as `modelfuse inspect` computes them.
fn pairs(preds: &Predictions, targets: &Targets, repeats: usize) -> Result<Value> {
    let (report, times) = repeated(repeats, || Ok(diversity(preds, targets)?))?;
    let column = |f: fn(&modelfuse::diversity::PairDiversity) -> f64| -> Vec<f64> {
        report.pairs.iter().map(f).collect()
    };
    Ok(json!({
        "seconds": times,
        "disagreement": column(|p| p.disagreement),
        "double_fault": column(|p| p.double_fault),
        "q_statistic": column(|p| p.q_statistic),
        "error_correlation": column(|p| p.error_correlation),
        "kappa": column(|p| p.kappa),
    }))
}

/// Reading `<data>/val_<format>/` (one file per model) into `Predictions`:
/// `modelfuse_io` and `Predictions::from_outputs`, what every command does
/// first. The result is checked against the `.npy` folder of the same data
/// (the script checks pandas/pyarrow against it too).
fn loading(data: &Path, format: &str, repeats: usize) -> Result<Value> {
    let folder = data.join(format!("val_{format}"));
    let (preds, times) = repeated(repeats, || read_folder(&folder))?;
    let npy = read_folder(&data.join("val"))?;
    if preds.models() != npy.models() || preds.ids() != npy.ids() {
        bail!("{format}: models or ids differ from the .npy folder's");
    }
    let max_abs_diff = (0..npy.n_models())
        .flat_map(|m| preds.model(m).iter().zip(npy.model(m)))
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    let bytes: u64 = std::fs::read_dir(&folder)?
        .map(|e| Ok(e?.metadata()?.len()))
        .sum::<Result<u64>>()?;
    Ok(json!({ "seconds": times, "max_abs_diff_vs_npy": max_abs_diff, "file_bytes": bytes }))
}

/// The machine's memory bandwidth on the bytes the bandwidth-bound fusers
/// read: `len` f32 values (the models × samples × classes block), far larger
/// than the caches. Three plain loops, each split into one contiguous part
/// per rayon thread as the fusers split their samples: a read (sum into 32
/// independent f32 lanes, eight SSE registers, so that the adds' latency
/// never limits the loop: with four lanes, one register, it did, and the
/// probe reported about two thirds of the bandwidth), a copy
/// (`copy_from_slice`, i.e. memcpy: read + write) and, for the single-core
/// ceiling, the same read on one thread. GB/s = bytes touched / median time.
fn bandwidth(len: usize, repeats: usize) -> Value {
    use rayon::prelude::*;

    let src: Vec<f32> = (0..len).map(|i| (i % 1024) as f32 * 1e-3).collect();
    let mut dst = vec![0f32; len];
    let threads = rayon::current_num_threads();
    let part = len.div_ceil(threads).max(1);
    let bytes = (len * 4) as f64;
    let sum = |xs: &[f32]| -> f32 {
        let mut acc = [0f32; 32];
        for q in xs.chunks_exact(32) {
            (0..32).for_each(|j| acc[j] += q[j]);
        }
        acc.iter().sum::<f32>() + xs.chunks_exact(32).remainder().iter().sum::<f32>()
    };
    let mut checksum = 0f32;
    let time = |f: &mut dyn FnMut()| -> Vec<f64> {
        (0..repeats)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed().as_secs_f64()
            })
            .collect()
    };
    let read = time(&mut || {
        checksum += src.par_chunks(part).map(sum).sum::<f32>();
    });
    let read_one = time(&mut || checksum += sum(&src));
    let copy = time(&mut || {
        dst.par_chunks_mut(part)
            .zip(src.par_chunks(part))
            .for_each(|(d, s)| d.copy_from_slice(s));
    });
    // Keeps the loops from being optimised away, and checks the copy.
    assert!(checksum.is_finite() && dst == src);
    json!({
        "bytes": bytes,
        "read_seconds": read,
        "read_one_thread_seconds": read_one,
        "copy_seconds": copy,
        "read_gbs": bytes / median(&read) / 1e9,
        "read_one_thread_gbs": bytes / median(&read_one) / 1e9,
        "copy_gbs": 2.0 * bytes / median(&copy) / 1e9,
    })
}

fn median(times: &[f64]) -> f64 {
    let mut t = times.to_vec();
    t.sort_by(f64::total_cmp);
    let n = t.len();
    if n % 2 == 1 {
        t[n / 2]
    } else {
        (t[n / 2 - 1] + t[n / 2]) / 2.0
    }
}
