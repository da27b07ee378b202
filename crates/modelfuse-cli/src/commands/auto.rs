//! `modelfuse auto`: search fusers on a dataset folder and report honestly.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use modelfuse::auto::{self, AutoOptions, EntryKind, Recommendation};
use modelfuse::metrics::Metric;
use modelfuse::{BuildOptions, Fitted, Task, TaskHint};
use serde_json::json;

use crate::cli::ReadArgs;
use crate::load;
use crate::output::{self, Staged, metrics_json, print_json};
use crate::parse::{parse, whole};
use crate::table::{Table, num};

#[derive(Debug, Args)]
pub struct AutoArgs {
    /// A dataset folder: val/<model>.csv, val.labels.csv, test/<model>.csv and
    /// optionally test.labels.csv [default: examples/banking77, the bundled
    /// real example].
    #[arg(value_name = "DATASET")]
    pub dataset: Option<PathBuf>,
    /// The metric to rank by (default: log_loss, accuracy when every model
    /// gives hard labels, rmse for regression).
    #[arg(long, value_parser = parse::<Metric>, value_name = "METRIC")]
    pub metric: Option<Metric>,
    /// Outer cross-validation folds (default 5).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>, default_value_t = 5)]
    pub folds: usize,
    /// Seed of folds, bootstrap resamples and splits.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>, default_value_t = 0)]
    pub seed: u64,
    /// Bootstrap resamples for intervals and paired tests.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>, default_value_t = 1000)]
    pub resamples: usize,
    /// Seconds the search may take: candidates not started by then are not
    /// evaluated, and the verdict is the best found so far, saying so (a
    /// candidate that has started finishes). Default: no limit, and the
    /// result depends only on the inputs and the seed.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::parse::seconds, value_name = "SECONDS")]
    pub budget: Option<std::time::Duration>,
    /// Where to write fuser.json, fused.csv and report.json.
    #[arg(short, long, value_name = "DIR", default_value = "modelfuse-out")]
    pub output: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// The labels file of a split: `<split>.labels.{csv,tsv,parquet}`.
fn labels_file(dataset: &Path, split: &str) -> Option<PathBuf> {
    ["csv", "tsv", "parquet"]
        .iter()
        .map(|ext| dataset.join(format!("{split}.labels.{ext}")))
        .find(|p| p.is_file())
}

/// The bundled example `auto` runs on when no folder is given.
const DEFAULT_DATASET: &str = "examples/banking77";

/// The same folder in the checkout this binary was built from, so `auto` with no
/// folder works from any directory (`cargo run` from a subfolder, the installed
/// binary of a checkout).
const BUILT_IN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/banking77");

/// `examples/banking77` under the current directory, else in the checkout.
fn default_dataset() -> Option<PathBuf> {
    let here = PathBuf::from(DEFAULT_DATASET);
    if here.join("val").is_dir() {
        return Some(here);
    }
    let built = PathBuf::from(BUILT_IN);
    // Without the `crates/modelfuse-cli/../..` detour in what is printed and recorded.
    built
        .join("val")
        .is_dir()
        .then(|| std::fs::canonicalize(&built).unwrap_or(built))
}

pub fn run(args: AutoArgs) -> Result<()> {
    let dataset = &match &args.dataset {
        Some(d) => d.clone(),
        None => {
            let d = default_dataset().with_context(|| {
                format!(
                    "no dataset folder given, and the bundled example {DEFAULT_DATASET} is neither \
                     here nor in the checkout this binary was built from ({BUILT_IN}); pass a folder"
                )
            })?;
            // Say what is being run on: the output alone would not tell.
            eprintln!(
                "no folder given: running on the bundled BANKING77 zoo, {} (pass a dataset folder to use your own)",
                d.display()
            );
            d
        }
    };
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
    let test_dir = dataset.join("test");
    // The outputs are written into the output folder; inside val/ or test/
    // they would be read as models by the next run.
    for input in [&val_dir, &test_dir] {
        if !crate::guard::forced() && crate::guard::is_within(&args.output, input) {
            bail!(
                "{}: expected an output folder outside the dataset's {}, which the next run would read as models; choose another -o (or pass --force)",
                args.output.display(),
                input.display()
            );
        }
    }
    if args.output.exists() && !args.output.is_dir() {
        bail!(
            "{}: expected an output folder (fuser.json, fused.csv and report.json go in it), found a file",
            args.output.display()
        );
    }
    if args.resamples < MIN_RESAMPLES {
        bail!(
            "--resamples {}: expected at least {MIN_RESAMPLES}; with fewer, a 95% interval rests on a handful of resamples in each tail and a p-value cannot be smaller than 1/resamples, so neither means what it says",
            args.resamples
        );
    }
    super::check_max_resamples(args.resamples)?;
    if args.folds < 2 {
        bail!("--folds {}: expected at least 2 outer folds", args.folds);
    }

    // Every input is read and checked before the search: a missing model in
    // test/ or a bad test labels file must not cost the whole search, nor
    // leave a fuser.json behind.
    let (loaded, targets) = load::with_labels(
        std::slice::from_ref(&val_dir),
        &val_labels,
        args.read.build_options(),
    )?;
    let preds = &loaded.preds;
    check_sample_counts(preds, &targets, args.folds, &val_labels)?;
    let test = if test_dir.is_dir() {
        let test_opts = BuildOptions {
            task: match preds.task() {
                Task::Multilabel { .. } => TaskHint::Multilabel,
                _ => TaskHint::Auto,
            },
            classes: (preds.task() != Task::Regression).then(|| preds.classes().to_vec()),
            ..args.read.build_options()
        };
        let test = load::predictions(std::slice::from_ref(&test_dir), &test_opts)
            .with_context(|| format!("{} (the test split)", test_dir.display()))?;
        let missing: Vec<&str> = preds
            .models()
            .iter()
            .filter(|m| test.preds.model_index(m).is_none())
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            bail!(
                "{}: expected a prediction file for every model of {} ({}), found none for {}",
                test_dir.display(),
                val_dir.display(),
                preds.models().join(", "),
                missing.join(", ")
            );
        }
        let test_targets = match labels_file(dataset, "test") {
            Some(path) => {
                let table = load::labels(&path)?;
                Some(load::targets(&test.preds, &table, &path)?)
            }
            None => None,
        };
        Some((test, test_targets))
    } else {
        None
    };
    let opts = AutoOptions {
        metric: args.metric,
        folds: args.folds,
        seed: args.seed,
        resamples: args.resamples,
        candidates: None,
        budget: args.budget,
    };

    let step = crate::progress::Step::start("searching fusers");
    // Each candidate's folds cost about the same: after its first, the time
    // it has left is estimated from them.
    let mut candidate = crate::progress::Eta::start();
    let report = auto::search(preds, &targets, &opts, |p| match p.fold {
        None => {
            candidate = crate::progress::Eta::start();
            step.set(p.done, p.total, p.what);
        }
        Some((f, n)) => step.set_until(
            p.done,
            p.total,
            &format!("{}: fold {} of {n}", p.what, f + 1),
            candidate.ends(f, n),
        ),
    })?;
    step.finish();
    let fitted = report
        .fitted
        .clone()
        .expect("search always fits the recommendation");

    // The test split: fuse it, and score it when its labels exist.
    let mut test_result = None;
    let mut fused_test = None;
    if let Some((test, test_targets)) = &test {
        let fused = fitted
            .predict(&test.preds)
            .map_err(|e| load::explain(e, &test.paths))?;
        if let Some(t) = test_targets {
            let score = auto::score_test(
                report.metric,
                &test.preds,
                &fused,
                &report.best_model,
                t,
                &opts,
            )?;
            test_result = Some((test.preds.n_samples(), score));
        }
        fused_test = Some(fused);
    }
    let fuser_path = args.output.join("fuser.json");
    let fused_path = args.output.join("fused.csv");
    let report_path = args.output.join("report.json");
    let report_json = json!({
        "dataset": dataset,
        "settings": {
            "seed": args.seed,
            "folds": args.folds,
            "resamples": args.resamples,
            "metric": report.metric.name(),
            "budget_seconds": args.budget.map(|b| b.as_secs_f64()),
        },
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
            "fused": fused_test.is_some().then(|| fused_path.clone()),
        }
    });
    let text = output::pretty(&report_json) + "\n";
    let fuser_json = fitted.to_json();
    let mut outputs = vec![Staged::Text {
        name: "fuser.json",
        text: &fuser_json,
        saving: true,
    }];
    if let Some(preds) = &fused_test {
        outputs.push(Staged::Predictions {
            name: "fused.csv",
            preds,
        });
    }
    outputs.push(Staged::Text {
        name: "report.json",
        text: &text,
        saving: false,
    });
    output::all_or_nothing(&args.output, &outputs)?;
    output::saved(&fuser_path);
    if fused_test.is_some() {
        output::saved(&fused_path);
    }
    output::saved(&report_path);
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
                super::p_text(g.p_value, args.resamples)
                    .replace("p = ", "")
                    .replace("p ", ""),
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
    // The library writes p = 0.000 when no resample disagreed; say what it
    // means with this many resamples.
    let zero = format!("p = {:.3}", 0.0);
    println!(
        "{}",
        report
            .verdict
            .replace(&zero, &super::p_text(0.0, args.resamples))
    );
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
    Ok(())
}

/// Below this, a bootstrap interval or p-value is not worth printing.
const MIN_RESAMPLES: usize = 200;
/// Below this many validation samples, bootstrap intervals are too narrow
/// and p-values too small to trust (the resamples barely differ).
const MIN_SAMPLES: usize = 30;

/// Refuses folds and sample counts the numbers cannot survive, and warns
/// when a class is too rare for every fold to hold it.
fn check_sample_counts(
    preds: &modelfuse::Predictions,
    targets: &modelfuse::Targets,
    folds: usize,
    labels: &Path,
) -> Result<()> {
    let n = preds.n_samples();
    if folds > n {
        bail!(
            "--folds {folds}: expected at most one fold per validation sample, found {n} samples in {}",
            labels.display()
        );
    }
    if n < MIN_SAMPLES {
        bail!(
            "{}: expected at least {MIN_SAMPLES} validation samples for the out-of-fold scores, bootstrap intervals and p-values of `auto` to mean what they say, found {n}",
            labels.display()
        );
    }
    if let Some(classes) = targets.classes() {
        let mut counts = vec![0usize; preds.n_outputs()];
        for &c in classes {
            counts[c] += 1;
        }
        let rare: Vec<String> = counts
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c > 0 && c < folds)
            .map(|(j, c)| format!("'{}' ({c})", preds.classes()[j]))
            .collect();
        if !rare.is_empty() {
            eprintln!(
                "warning: {}: {} of the classes have fewer samples than the {folds} folds, so some folds hold none of them: {}",
                labels.display(),
                rare.len(),
                rare.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    Ok(())
}
