//! `modelfuse auto`: search fusers on a dataset folder and report honestly.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use modelfuse::Fitted;
use modelfuse::auto::{self, AutoOptions, EntryKind, Recommendation};
use serde_json::json;

use super::{metrics_json, print_json};
use crate::WriteError;
use crate::args::AutoArgs;
use crate::load;
use crate::table::{Table, num};

/// The labels file of a split: `<split>.labels.{csv,tsv,parquet}`.
fn labels_file(dataset: &Path, split: &str) -> Option<PathBuf> {
    ["csv", "tsv", "parquet"]
        .iter()
        .map(|ext| dataset.join(format!("{split}.labels.{ext}")))
        .find(|p| p.is_file())
}

/// The bundled example `auto` runs on when no folder is given.
const DEFAULT_DATASET: &str = "examples/banking77";

pub fn run(args: AutoArgs) -> Result<()> {
    let dataset = &args
        .dataset
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATASET));
    if args.dataset.is_none() && !dataset.is_dir() {
        bail!(
            "no dataset folder given, and the bundled example {DEFAULT_DATASET} is not here; run from the repository root or pass a folder"
        );
    }
    let val_dir = dataset.join("val");
    if !val_dir.is_dir() {
        bail!(
            "{}: expected a dataset folder with val/<model>.csv, val.labels.csv and test/<model>.csv, found no val/ folder",
            dataset.display()
        );
    }
    let Some(val_labels) = labels_file(dataset, "val") else {
        bail!(
            "{}: expected val.labels.csv (or .tsv, .parquet) beside val/, found none",
            dataset.display()
        );
    };
    let (loaded, targets) = load::with_labels(&[val_dir], &val_labels, args.read.build_options())?;
    let preds = &loaded.preds;
    let opts = AutoOptions {
        metric: args.metric,
        folds: args.folds,
        seed: args.seed,
        resamples: args.resamples,
        candidates: None,
    };

    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed}] {bar:30} {pos}/{len} {msg}")
            .expect("a valid template"),
    );
    let report = auto::search(preds, &targets, &opts, |done, total, what| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.set_message(what.to_string());
    })?;
    bar.finish_and_clear();
    let fitted = report
        .fitted
        .clone()
        .expect("search always fits the recommendation");

    // The test split: fuse it, and score it when its labels exist.
    let test_dir = dataset.join("test");
    let mut test_result = None;
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))
        .map_err(|e| anyhow::Error::new(WriteError(e)))?;
    let fuser_path = args.output.join("fuser.json");
    modelfuse_io::write_atomic(&fuser_path, |w| w.write_all(fitted.to_json().as_bytes()))
        .with_context(|| format!("saving {}", fuser_path.display()))
        .map_err(|e| anyhow::Error::new(WriteError(e)))?;
    if test_dir.is_dir() {
        let test_opts = fitted.read_options(args.read.build_options());
        let test = load::predictions(std::slice::from_ref(&test_dir), &test_opts)?;
        let fused = fitted
            .predict(&test.preds)
            .map_err(|e| load::explain(e, &test.paths))?;
        let fused_path = args.output.join("fused.csv");
        modelfuse_io::write_predictions(&fused_path, &fused)
            .with_context(|| format!("writing {}", fused_path.display()))
            .map_err(|e| anyhow::Error::new(WriteError(e)))?;
        if let Some(test_labels) = labels_file(dataset, "test") {
            let table = load::labels(&test_labels)?;
            let t = load::targets(&test.preds, &table, &test_labels)?;
            let score = auto::score_test(
                report.metric,
                &test.preds,
                &fused,
                &report.best_model,
                &t,
                &opts,
            )?;
            test_result = Some((test.preds.n_samples(), score));
        }
    }
    let report_json = json!({
        "report": report,
        "test": test_result.as_ref().map(|(n, s)| json!({
            "n_samples": n,
            "fused": s.fused,
            "best_model": s.best_model,
            "gain": s.gain,
            "metrics": metrics_json(&s.all),
        })),
        "outputs": {
            "fuser": fuser_path,
            "fused": test_dir.is_dir().then(|| args.output.join("fused.csv")),
        }
    });
    let report_path = args.output.join("report.json");
    let text = serde_json::to_string_pretty(&report_json)? + "\n";
    modelfuse_io::write_atomic(&report_path, |w| w.write_all(text.as_bytes()))
        .with_context(|| format!("writing {}", report_path.display()))
        .map_err(|e| anyhow::Error::new(WriteError(e)))?;
    if args.json {
        print_json(&report_json);
        return Ok(());
    }

    let metric = report.metric;
    println!(
        "{} models, {} validation samples, {} task; ranked by out-of-fold {metric} ({} folds, 95% bootstrap intervals)",
        preds.n_models(),
        report.n_samples,
        preds.task().name(),
        report.folds
    );
    println!();
    let mut t = Table::new([
        "",
        "model / fuser",
        metric.name(),
        "95% CI",
        "gain vs best model",
        "95% CI",
        "p",
    ]);
    for (i, e) in report.leaderboard.iter().enumerate() {
        let ci = format!("[{}, {}]", num(e.score.low), num(e.score.high));
        let (gain, gain_ci, p) = match &e.gain {
            Some(g) => (
                format!("{:+.4}", g.gain),
                format!("[{:+.4}, {:+.4}]", g.low, g.high),
                format!("{:.3}", g.p_value),
            ),
            None => Default::default(),
        };
        let name = match e.kind {
            EntryKind::Model if e.name == report.best_model => format!("{} (best model)", e.name),
            EntryKind::Model => format!("{} (model)", e.name),
            EntryKind::Fuser => e.name.clone(),
        };
        t.row(vec![
            format!("{}", i + 1),
            name,
            num(e.score.estimate),
            ci,
            gain,
            gain_ci,
            p,
        ]);
    }
    print!("{}", t.render());
    for s in &report.skipped {
        println!("skipped {}: {}", s.name, s.reason);
    }
    println!();
    println!("{}", report.verdict);
    match &report.recommendation {
        Recommendation::Fuser { .. } => {}
        Recommendation::Model { name } => {
            println!("(the saved fuser puts all its weight on {name})")
        }
    }
    if let Some((n, s)) = &test_result {
        println!();
        println!(
            "test ({n} samples): fused {metric} {} [{}, {}] vs {} {} [{}, {}]; gain {:+.4} [{:+.4}, {:+.4}]",
            num(s.fused.estimate),
            num(s.fused.low),
            num(s.fused.high),
            report.best_model,
            num(s.best_model.estimate),
            num(s.best_model.low),
            num(s.best_model.high),
            s.gain.gain,
            s.gain.low,
            s.gain.high
        );
    }
    println!();
    println!("saved {}", fuser_path.display());
    if test_dir.is_dir() {
        println!("wrote {}", args.output.join("fused.csv").display());
    }
    println!("wrote {}", report_path.display());
    Ok(())
}
