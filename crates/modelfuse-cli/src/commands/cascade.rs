//! `modelfuse cascade …`: fit a cost-aware cascade on validation
//! predictions, and run it on new ones.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand};
use modelfuse::cascade::{CascadeSettings, Confidence, FittedCascade, FrontierPoint, Goal};
use modelfuse::metrics::{self, Metric};
use modelfuse::{BuildOptions, Targets};
use serde_json::{Value, json};

use crate::load;
use crate::output::{self, json_number, print_json};
use crate::parse::parse;
use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum CascadeCommand {
    /// Search chains of models (cheapest first) and stopping thresholds on
    /// labelled validation predictions; save the chosen cascade and print
    /// the accuracy–cost frontier.
    Fit(FitArgs),
    /// Run a fitted cascade on prediction files: write the fused
    /// predictions and report the cost actually spent.
    Predict(PredictArgs),
}

#[derive(Debug, Args)]
pub struct FitArgs {
    /// Validation prediction files, or folders of them.
    #[arg(required = true, value_name = "PREDS")]
    pub inputs: Vec<PathBuf>,
    /// The labels file.
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// The cost file: JSON `{"unit": …, "models": {name: cost}, "components":
    /// {name: cost}, "needs": {model: [component, …]}}`, or CSV `model,cost`.
    #[arg(long, value_name = "FILE")]
    pub costs: PathBuf,
    /// When to stop: `max-prob`, `margin` or `agreement`.
    #[arg(long, value_parser = parse::<Confidence>, default_value = "max-prob")]
    pub confidence: Confidence,
    /// The cheapest cascade with at least this accuracy (0–1).
    #[arg(long, value_name = "ACC", conflicts_with = "budget")]
    pub target_accuracy: Option<f64>,
    /// The most accurate cascade costing at most this per sample.
    #[arg(long, value_name = "COST")]
    pub budget: Option<f64>,
    /// With neither: the cheapest cascade within this accuracy of the full
    /// fusion (the mean of every model), default 0.
    #[arg(long, default_value_t = 0.0, value_name = "ACC")]
    pub tolerance: f64,
    /// Do not fit a temperature per model before thresholding.
    #[arg(long)]
    pub no_calibrate: bool,
    /// Also write the whole frontier as JSON.
    #[arg(long, value_name = "FILE")]
    pub frontier: Option<PathBuf>,
    /// Where to save the fitted cascade (JSON).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Prediction files, or folders of them (models outside the chain are
    /// ignored: the cascade would not run them).
    #[arg(required = true, value_name = "PREDS")]
    pub inputs: Vec<PathBuf>,
    /// The fitted cascade.
    #[arg(long, value_name = "FILE")]
    pub fuser: PathBuf,
    /// Where to write the fused predictions (CSV, TSV or Parquet).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// A labels file: also report the accuracy reached.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// With --labels: measure every point of the fitted frontier on these
    /// predictions and write them as JSON (and print them as a table).
    #[arg(long, value_name = "FILE", requires = "labels")]
    pub frontier: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: CascadeCommand) -> Result<()> {
    match command {
        CascadeCommand::Fit(a) => run_fit(a),
        CascadeCommand::Predict(a) => run_predict(a),
    }
}

fn point_json(p: &FrontierPoint) -> Value {
    json!({
        "chain": p.chain,
        "threshold": json_number(p.threshold),
        "accuracy": json_number(p.accuracy),
        "cost": json_number(p.cost),
        "stopped": p.stopped,
    })
}

fn run_fit(args: FitArgs) -> Result<()> {
    let (loaded, targets) = load::with_labels(&args.inputs, &args.labels, BuildOptions::default())?;
    let costs = modelfuse_io::read_costs(&args.costs)?;
    let goal = match (args.target_accuracy, args.budget) {
        (Some(a), _) => Goal::TargetAccuracy(a),
        (_, Some(b)) => Goal::Budget(b),
        _ => Goal::MatchFull {
            tolerance: args.tolerance,
        },
    };
    let settings = CascadeSettings {
        confidence: args.confidence,
        calibrate: !args.no_calibrate,
        goal,
    };
    let step = crate::progress::Step::start("searching chains and thresholds");
    let fitted = settings.fit(&loaded.preds, &targets, &costs);
    step.finish();
    let fitted = fitted
        .map_err(|e| load::explain(e, &loaded.paths))
        .with_context(|| {
            format!(
                "fitting the cascade with costs from {}",
                args.costs.display()
            )
        })?;
    output::save_text(&args.output, "writing the cascade", &fitted.to_json())?;
    if let Some(path) = &args.frontier {
        let points = fitted.frontier.iter().map(point_json).collect();
        output::save_json(path, "writing the frontier", &Value::Array(points))?;
    }
    // The best single model, with what running it alone costs.
    let mut best: Option<(String, f64, f64)> = None;
    for (m, name) in loaded.preds.models().iter().enumerate() {
        let acc = metrics::score(Metric::Accuracy, &loaded.preds, m, &targets)?;
        let cost = costs.cost_of([name.as_str()])?;
        if best.as_ref().is_none_or(|b| acc > b.1) {
            best = Some((name.clone(), acc, cost));
        }
    }
    let best = best.expect("at least one model");
    output::saved(&args.output);
    if let Some(path) = &args.frontier {
        output::saved(path);
    }
    if args.json {
        print_json(&json!({
            "chosen": point_json(&fitted.fitted),
            "full": point_json(&fitted.full),
            "best_model": {"model": best.0, "accuracy": json_number(best.1), "cost": json_number(best.2)},
            "frontier": fitted.frontier.iter().map(point_json).collect::<Vec<_>>(),
            "unit": costs.unit,
            "output": args.output.display().to_string(),
        }));
        return Ok(());
    }
    print_fit(&fitted, &best, &costs.unit);
    Ok(())
}

fn print_fit(f: &FittedCascade, best: &(String, f64, f64), unit: &str) {
    println!(
        "{} points on the accuracy–cost frontier (validation; cost per sample{})",
        f.frontier.len(),
        if unit.is_empty() {
            String::new()
        } else {
            format!(", {unit}")
        }
    );
    let mut t = Table::new(["chain (cheapest first)", "threshold", "accuracy", "cost"]);
    // A long frontier is thinned for the table (the JSON has all of it).
    let step = (f.frontier.len() / 20).max(1);
    for (i, p) in f.frontier.iter().enumerate() {
        if i % step == 0 || i + 1 == f.frontier.len() || *p == f.fitted {
            let mark = if *p == f.fitted { " *" } else { "" };
            t.row(vec![
                format!("{}{mark}", p.chain.join(" > ")),
                if p.threshold > 1.0 {
                    "never".into()
                } else {
                    format!("{:.4}", p.threshold)
                },
                format!("{:.4}", p.accuracy),
                format!("{:.4}", p.cost),
            ]);
        }
    }
    print!("{}", t.render());
    println!(
        "full fusion (mean of all {} models): accuracy {:.4}, cost {:.4}",
        f.full.chain.len(),
        f.full.accuracy,
        f.full.cost
    );
    println!(
        "best single model ({}): accuracy {:.4}, cost {:.4}",
        best.0, best.1, best.2
    );
    let saved = if f.full.cost > 0.0 {
        100.0 * (1.0 - f.fitted.cost / f.full.cost)
    } else {
        0.0
    };
    println!(
        "chosen (*): {} with {} at {}: accuracy {:.4}, cost {:.4} ({saved:.1}% less than the full fusion); stops after each stage: {}",
        f.chain.join(" > "),
        f.confidence.name(),
        if f.threshold > 1.0 {
            "never".into()
        } else {
            format!("{:.4}", f.threshold)
        },
        f.fitted.accuracy,
        f.fitted.cost,
        f.fitted
            .stopped
            .iter()
            .map(|s| format!("{:.1}%", 100.0 * s))
            .collect::<Vec<_>>()
            .join(" / ")
    );
}

/// Every point of the fitted frontier, measured on labelled predictions.
fn measure_frontier(
    fitted: &FittedCascade,
    preds: &modelfuse::Predictions,
    targets: &Targets,
    path: &Path,
    print: bool,
) -> Result<()> {
    let mut rows = Vec::new();
    let mut t = Table::new([
        "chain (cheapest first)",
        "threshold",
        "fit accuracy",
        "fit cost",
        "accuracy",
        "cost",
    ]);
    for p in &fitted.frontier {
        let out = fitted.at_point(p)?.predict(preds)?;
        let acc = metrics::score(Metric::Accuracy, &out.fused, 0, targets)?;
        let mark = if *p == fitted.fitted { " *" } else { "" };
        t.row(vec![
            format!("{}{mark}", p.chain.join(" > ")),
            if p.threshold > 1.0 {
                "never".into()
            } else {
                format!("{:.4}", p.threshold)
            },
            format!("{:.4}", p.accuracy),
            format!("{:.4}", p.cost),
            format!("{acc:.4}"),
            format!("{:.4}", out.mean_cost()),
        ]);
        rows.push(json!({
            "chain": p.chain,
            "threshold": json_number(p.threshold),
            "fit_accuracy": json_number(p.accuracy),
            "fit_cost": json_number(p.cost),
            "accuracy": json_number(acc),
            "cost": json_number(out.mean_cost()),
        }));
    }
    output::save_json(path, "writing the measured frontier", &Value::Array(rows))?;
    if print {
        println!("the fitted frontier measured on these samples:");
        print!("{}", t.render());
    }
    Ok(())
}

fn run_predict(args: PredictArgs) -> Result<()> {
    let text = modelfuse_io::read_text(&args.fuser)?;
    crate::load::expect_kind(&text, &args.fuser, modelfuse_io::FittedKind::Cascade)?;
    let fitted =
        FittedCascade::from_json(&text).map_err(|e| anyhow!("{}: {e}", args.fuser.display()))?;
    let opts = BuildOptions {
        classes: Some(fitted.classes.clone()),
        ..BuildOptions::default()
    };
    let loaded = load::predictions(&args.inputs, &opts)?;
    let out = fitted
        .predict(&loaded.preds)
        .map_err(|e| anyhow!("{}: {e}", args.fuser.display()))?;
    output::predictions(&args.output, &out.fused, false)?;
    let n = out.stages.len();
    let stopped: Vec<f64> = (1..=fitted.chain.len())
        .map(|s| out.stages.iter().filter(|&&x| x == s).count() as f64 / n as f64)
        .collect();
    // With labels: the cascade's accuracy, and beside it the full fusion's
    // and each model's on the same samples (when all models are given).
    let mut accuracy = None;
    let mut full = None;
    let mut best: Option<(String, f64, f64)> = None;
    if let Some(path) = &args.labels {
        let table = load::labels(path)?;
        let targets: Targets = load::targets(&out.fused, &table, path)?;
        accuracy = Some(metrics::score(Metric::Accuracy, &out.fused, 0, &targets)?);
        if let Ok(f) = fitted.full_fusion().predict(&loaded.preds) {
            full = Some((
                metrics::score(Metric::Accuracy, &f.fused, 0, &targets)?,
                f.mean_cost(),
            ));
        }
        for (m, name) in loaded.preds.models().iter().enumerate() {
            let acc = metrics::score(Metric::Accuracy, &loaded.preds, m, &targets)?;
            if best.as_ref().is_none_or(|b| acc > b.1) {
                let cost = fitted.costs.cost_of([name.as_str()]).unwrap_or(f64::NAN);
                best = Some((name.clone(), acc, cost));
            }
        }
        if let Some(frontier_path) = &args.frontier {
            measure_frontier(&fitted, &loaded.preds, &targets, frontier_path, !args.json)?;
        }
    }
    if args.json {
        print_json(&json!({
            "samples": n,
            "mean_cost": json_number(out.mean_cost()),
            "full_cost": json_number(fitted.full.cost),
            "stopped": stopped,
            "accuracy": accuracy.map(json_number),
            "full": full.map(|(a, c)| json!({"accuracy": json_number(a), "cost": json_number(c)})),
            "best_model": best.as_ref().map(|b| json!({"model": b.0, "accuracy": json_number(b.1), "cost": json_number(b.2)})),
            "output": args.output.display().to_string(),
        }));
        return Ok(());
    }
    println!(
        "ran {} on {n} samples: mean cost {:.4} per sample (all {} models: {:.4}); stops after each stage: {}",
        fitted.chain.join(" > "),
        out.mean_cost(),
        fitted.full.chain.len(),
        fitted.full.cost,
        stopped
            .iter()
            .map(|s| format!("{:.1}%", 100.0 * s))
            .collect::<Vec<_>>()
            .join(" / ")
    );
    if let Some(a) = accuracy {
        println!("cascade: accuracy {a:.4}, cost {:.4}", out.mean_cost());
    }
    if let Some((a, c)) = full {
        println!(
            "full fusion (mean of all {} models): accuracy {a:.4}, cost {c:.4}",
            fitted.full.chain.len()
        );
        if let Some(acc) = accuracy
            && acc >= a
        {
            println!(
                "the cascade matches or beats the full fusion at {:.1}% of its cost",
                100.0 * out.mean_cost() / c
            );
        }
    }
    if let Some((name, a, c)) = &best {
        println!("best single model ({name}): accuracy {a:.4}, cost {c:.4}");
    }
    output::saved(&args.output);
    Ok(())
}
