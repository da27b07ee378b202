//! `modelfuse fit`: fit a fuser and save it.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use modelfuse::fusers::{MetaModel, TieBreak, Transform};
use modelfuse::metrics::{self, Metric};
use modelfuse::prune::PruneOptions;
use modelfuse::segments::{Order, Pooling, SegmentSettings};
use modelfuse::{
    BuildOptions, Calibrate, FitOptions, Fitted, FittedFuser, FuserSpec, Method, NamedWeights,
    Predictions, SpecOptions, Targets,
};
use serde_json::json;

use crate::cli::ReadArgs;
use crate::load;
use crate::output::{self, json_number, metrics_json, print_json};
use crate::parse::{parse, parse_weights, whole};
use crate::table::{Table, num};

#[derive(Debug, Args)]
pub struct FitArgs {
    /// Prediction files, or folders of them; the model name is the file stem.
    #[arg(required = true, value_name = "PREDS")]
    pub inputs: Vec<PathBuf>,
    /// The labels file; required by methods that learn.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    // The help lists the library's methods (`method_help`).
    #[arg(long, value_parser = parse::<Method>, help = method_help())]
    pub method: Method,
    #[command(flatten)]
    pub settings: MethodArgs,
    #[command(flatten)]
    pub around: AroundArgs,
    #[command(flatten)]
    pub segments: SegmentArgs,
    /// Where to save the fitted fuser (JSON).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// `--method`'s help: every method of the library, in its order, so that a
/// new method needs no edit here.
fn method_help() -> String {
    let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
    format!("The fusion method: {}", names.join(", "))
}

/// A method's own settings; each method takes some (see README).
#[derive(Debug, Args)]
pub struct MethodArgs {
    /// Per-model weights, `name=weight,…` (weighted, vote, soft-vote, rank).
    #[arg(long, value_parser = parse_weights, value_name = "NAME=W,…")]
    pub weights: Option<NamedWeights>,
    /// The metric to weight by (score-weighted), optimise (optimized) or
    /// select by (selection), e.g. accuracy, log_loss, f1_macro.
    #[arg(long, value_parser = parse::<Metric>, value_name = "METRIC")]
    pub by: Option<Metric>,
    /// Exponent on the scores for score-weighted (default 1).
    #[arg(long)]
    pub power: Option<f64>,
    /// How vote breaks ties: lowest (the first class, as scikit-learn), soft
    /// (highest mean probability), best-model (the class of the most accurate
    /// model on --labels).
    #[arg(long, value_parser = parse::<TieBreak>, value_name = "RULE")]
    pub tie: Option<TieBreak>,
    /// Optimise the weights of a weighted geometric mean (optimized).
    #[arg(long)]
    pub geometric: bool,
    /// The meta-model of stacking and blending: logistic, ridge, ridge-cv, nnls, linear.
    #[arg(long, value_parser = parse::<MetaModel>, value_name = "MODEL")]
    pub meta: Option<MetaModel>,
    /// Inverse regularisation C of the logistic meta-model (default 1).
    #[arg(long)]
    pub c: Option<f64>,
    /// Regularisation alpha of the ridge meta-model (default 1).
    #[arg(long)]
    pub alpha: Option<f64>,
    /// What the meta-model sees: probabilities or logits (stacking's default:
    /// probabilities; blending's: logits for the logistic meta-model).
    #[arg(long, value_parser = parse::<Transform>, value_name = "T")]
    pub transform: Option<Transform>,
    /// The fraction of rows blending fits its meta-model on (default 0.5).
    #[arg(long)]
    pub holdout: Option<f64>,
    /// Rounds of ensemble selection, i.e. the ensemble size (default 50).
    #[arg(long)]
    pub rounds: Option<usize>,
    /// Start ensemble selection from the best N models (default 0).
    #[arg(long, value_name = "N")]
    pub sorted_init: Option<usize>,
    /// Ensemble selection picks each model at most once.
    #[arg(long)]
    pub no_replacement: bool,
    /// Bagged ensemble selection: the number of bags (default 0: none).
    #[arg(long)]
    pub bags: Option<usize>,
    /// The fraction of models in each bag (default 0.5).
    #[arg(long)]
    pub bag_fraction: Option<f64>,
}

impl MethodArgs {
    pub fn spec_options(&self) -> SpecOptions {
        SpecOptions {
            weights: self.weights.clone(),
            by: self.by,
            power: self.power,
            tie: self.tie,
            geometric: self.geometric,
            meta: self.meta,
            c: self.c,
            alpha: self.alpha,
            transform: self.transform,
            holdout: self.holdout,
            rounds: self.rounds,
            sorted_init: self.sorted_init,
            no_replacement: self.no_replacement,
            bags: self.bags,
            bag_fraction: self.bag_fraction,
        }
    }
}

/// Serial fusion: rows that are segments of documents.
#[derive(Debug, Args)]
pub struct SegmentArgs {
    /// The rows are segments of documents (files with a `doc` column): pool
    /// each document's segments by mean, max, length (length-weighted mean),
    /// majority or learned (a meta-model over pooled statistics, fitted out
    /// of fold). --labels then gives one label per document.
    #[arg(long, value_parser = parse::<Pooling>, value_name = "POOLING")]
    pub pool: Option<Pooling>,
    /// With --pool: segments-first (pool each model, then fuse the models;
    /// the default) or models-first (fuse the models segment by segment,
    /// then pool; every model must predict the same segments).
    #[arg(long, value_parser = parse::<Order>, value_name = "ORDER", requires = "pool")]
    pub order: Option<Order>,
}

impl SegmentArgs {
    pub fn settings(&self) -> Option<SegmentSettings> {
        self.pool.map(|pooling| SegmentSettings {
            pooling,
            order: self.order.unwrap_or_default(),
        })
    }
}

/// What happens around the method: calibration, pruning, folds and seed.
#[derive(Debug, Args)]
pub struct AroundArgs {
    /// Temperature scaling: none, models (each model before fusing), output
    /// (the fused output), both.
    #[arg(long, value_parser = parse::<Calibrate>, value_name = "WHAT", default_value = "none")]
    pub calibrate: Calibrate,
    /// Drop models that do not help (near-duplicates, and models whose
    /// removal improves the out-of-fold score), and say why.
    #[arg(long)]
    pub prune: bool,
    /// Cross-validation folds for pruning and output calibration (default 5).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>, default_value_t = 5)]
    pub folds: usize,
    /// Seed of every random choice (folds, splits, bags).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>)]
    pub seed: Option<u64>,
}

impl AroundArgs {
    pub fn fit_options(&self, metric: Option<Metric>) -> FitOptions {
        let seed = self.seed.unwrap_or(0);
        FitOptions {
            calibrate: self.calibrate,
            prune: self.prune.then(|| PruneOptions {
                metric,
                ..Default::default()
            }),
            folds: self.folds,
            seed,
        }
    }
}

pub fn run(args: FitArgs) -> Result<()> {
    if args.around.folds < 2 {
        bail!(
            "--folds {}: expected at least 2 folds (each is fitted on the others)",
            args.around.folds
        );
    }
    // `--seed` is the fit's: it seeds the folds of pruning and calibration,
    // and the method's random choices (blending, selection).
    let spec = FuserSpec::from_options(args.method, args.settings.spec_options())?;
    let fit_options = args.around.fit_options(args.settings.by);
    let opts = args.read.build_options();
    if let Some(settings) = args.segments.settings() {
        return run_segments(&args, spec, &fit_options, settings, opts);
    }
    let (loaded, targets) = match (&args.labels, fit_options.needs_labels(&spec)) {
        (Some(path), _) => {
            let (l, t) = load::with_labels(&args.inputs, path, opts)?;
            (l, Some(t))
        }
        (None, Some(what)) => {
            bail!("{what} learns from labels; pass them with --labels <file>")
        }
        (None, None) => (load::predictions(&args.inputs, &opts)?, None),
    };
    let preds = &loaded.preds;
    let spinner = spinner(format!("fitting {}", spec.describe(preds.task())));
    let fitted = spec.fit_with(preds, targets.as_ref(), &fit_options);
    spinner.finish();
    let fitted = fitted.map_err(|e| load::explain(e, &loaded.paths))?;
    save(&args, &fitted)?;

    // How the fusion does on the data it was fitted on, beside each model.
    // In-sample, so optimistic for methods that learn; `evaluate` on held-out
    // predictions gives the honest number.
    let report = match &targets {
        Some(t) => {
            let fused = fitted.predict(preds)?;
            Some(report_rows(&args, preds, &fused, t)?)
        }
        None => None,
    };
    let calibration = match &targets {
        Some(t) => fitted.calibration_report(preds, t)?,
        None => Vec::new(),
    };
    let summary = format!(
        "fitted {} on {} models, {} samples ({} task)",
        fitted.spec().describe(preds.task()),
        fitted.models().len(),
        preds.n_samples(),
        preds.task().name()
    );
    print_report(
        &args,
        &fitted,
        preds.models(),
        report,
        calibration,
        summary,
        json!(null),
    )
}

/// Progress while fitting: learned methods with pruning or calibration can
/// take a while.
fn spinner(message: String) -> crate::progress::Step {
    crate::progress::Step::start(message)
}

fn save(args: &FitArgs, fitted: &FittedFuser) -> Result<()> {
    output::save_text(&args.output, "saving the fitted fuser", &fitted.to_json())
}

type Report = Vec<(String, Vec<(Metric, f64)>)>;

/// Each model's scores, then the fusion's.
/// The table shows two metrics, so only `--json` pays for the others (a
/// ROC-AUC of every class of every model costs more than most fusions).
fn report_rows(
    args: &FitArgs,
    preds: &Predictions,
    fused: &Predictions,
    t: &Targets,
) -> Result<Report> {
    let set = match args.json {
        true => Metric::report_set(preds.task()),
        false => Metric::glance_set(preds.task()),
    };
    let mut rows: Report = preds
        .models()
        .iter()
        .cloned()
        .zip(metrics::evaluate_models(preds, t, set)?)
        .collect();
    rows.push((
        "fused".to_string(),
        metrics::evaluate_set(fused, 0, t, set)?,
    ));
    Ok(rows)
}

/// `fit --pool`: the rows are segments of documents.
fn run_segments(
    args: &FitArgs,
    spec: FuserSpec,
    fit_options: &FitOptions,
    settings: SegmentSettings,
    mut opts: BuildOptions,
) -> Result<()> {
    let table = match (&args.labels, settings.needs_labels(&spec, fit_options)) {
        (Some(path), _) => {
            let table = load::labels(path)?;
            opts.extra_classes = load::label_values(&table);
            opts.closed_classes = true;
            Some(table)
        }
        (None, Some(what)) => {
            bail!("{what} learns from labels; pass the documents' labels with --labels <file>")
        }
        (None, None) => None,
    };
    let loaded = load::segments(&args.inputs, &opts)?;
    let segs = &loaded.segs;
    let explain = |e: modelfuse::Error| load::explain(e, &loaded.paths);
    // Each model pooled alone (by the mean when the pooling is learned: its
    // aggregators are fitted per model only when pooling comes first); also
    // where the labels are checked, so their errors name the labels file.
    let shown = match settings.pooling {
        Pooling::Learned => Pooling::Mean,
        p => p,
    };
    let pooled = segs.pool(shown).map_err(explain)?;
    let targets = match (&table, &args.labels) {
        (Some(table), Some(path)) => Some(load::targets(&pooled, table, path)?),
        _ => None,
    };
    let spinner = spinner(format!(
        "fitting {} on segments ({} pooling, {})",
        spec.describe(segs.task()),
        settings.pooling,
        settings.order
    ));
    let fitted = spec.fit_segments(segs, table.as_deref(), fit_options, settings);
    spinner.finish();
    let fitted = fitted.map_err(explain)?;
    save(args, &fitted)?;

    let report = match &targets {
        Some(t) => {
            let fused = fitted.predict_segments(segs).map_err(explain)?;
            Some(report_rows(args, &pooled, &fused, t)?)
        }
        None => None,
    };
    let summary = format!(
        "fitted {} on {} models, {} of {} documents ({} task); segments pooled by {}, {}{}",
        fitted.spec().describe(segs.task()),
        fitted.models().len(),
        load::segment_count(segs),
        segs.docs().len(),
        segs.task().name(),
        settings.pooling,
        settings.order,
        if settings.pooling == Pooling::Learned {
            " (models below pooled by the mean)"
        } else {
            ""
        }
    );
    let seg_json = json!({
        "pooling": settings.pooling.name(),
        "order": settings.order.name(),
        "documents": segs.docs().len(),
        "segments_per_model": (0..segs.models().len()).map(|m| segs.n_segments(m)).collect::<Vec<_>>(),
    });
    // Calibration is reported where it acts on whole documents.
    let calibration = match (&targets, settings.order, settings.pooling) {
        (Some(t), Order::SegmentsFirst, p) if p != Pooling::Learned => {
            fitted.calibration_report(&pooled, t)?
        }
        _ => Vec::new(),
    };
    let models: Vec<String> = segs.models().iter().map(|s| s.to_string()).collect();
    print_report(
        args,
        &fitted,
        &models,
        report,
        calibration,
        summary,
        seg_json,
    )
}

/// Prints what was fitted: weights, scores on the fitting data, dropped
/// models and calibration (text or JSON).
fn print_report(
    args: &FitArgs,
    fitted: &FittedFuser,
    model_names: &[String],
    report: Option<Report>,
    calibration: Vec<modelfuse::calibrate::CalibrationReport>,
    summary: String,
    segments: serde_json::Value,
) -> Result<()> {
    let weights = fitted.learned_weights().map(|w| w.as_slice().to_vec());

    if args.json {
        let metrics = report.as_ref().map(|rows| {
            rows.iter()
                .map(|(name, s)| (name.clone(), metrics_json(s)))
                .collect::<serde_json::Map<_, _>>()
        });
        print_json(&json!({
            "fuser": args.output,
            "spec": fitted.spec(),
            "models": fitted.models(),
            "weights": weights.as_ref().map(|w| w.iter().map(|x| json_number(*x)).collect::<Vec<_>>()),
            "metrics_on_fit_data": metrics,
            "dropped": fitted.dropped(),
            "calibration": calibration,
            "segments": segments,
        }));
        return Ok(());
    }
    println!("{summary}");
    // The weight of a model by name: pruned models are not in the fuser.
    let weight_of = |name: &str| -> String {
        match fitted.models().iter().position(|m| m == name) {
            Some(i) => weights.as_ref().map_or(String::new(), |w| num(w[i])),
            None => "dropped".into(),
        }
    };
    let mut header = vec!["model".to_string()];
    if weights.is_some() || !fitted.dropped().is_empty() {
        header.push("weight".into());
    }
    // Two metrics are enough to read a fit at a glance: the first reported
    // one and, for classification, the log-loss.
    let shown: Vec<Metric> = match report.as_ref().and_then(|r| r.first()) {
        Some((_, s)) => {
            let mut v: Vec<Metric> = s.first().map(|(m, _)| *m).into_iter().collect();
            if s.iter().any(|(m, _)| *m == Metric::LogLoss) && v != [Metric::LogLoss] {
                v.push(Metric::LogLoss);
            }
            v
        }
        None => Vec::new(),
    };
    header.extend(shown.iter().map(|m| m.name().to_string()));
    let mut t = Table::new(header.clone());
    let value = |s: &[(Metric, f64)], m: Metric| {
        s.iter()
            .find(|(x, _)| *x == m)
            .map_or(String::new(), |(_, v)| num(*v))
    };
    for (name, s) in report.iter().flatten() {
        let mut row = vec![name.clone()];
        if header.len() > 1 + shown.len() {
            row.push(if name == "fused" {
                String::new()
            } else {
                weight_of(name)
            });
        }
        row.extend(shown.iter().map(|&m| value(s, m)));
        t.row(row);
    }
    if report.is_none() {
        for name in model_names {
            let mut row = vec![name.clone()];
            if header.len() > 1 {
                row.push(weight_of(name));
            }
            t.row(row);
        }
    }
    if header.len() > 1 {
        println!();
        print!("{}", t.render());
    }
    if report.is_some() {
        println!(
            "(scored on the fitting data: optimistic for methods that learn; `modelfuse evaluate` held-out predictions, or use `modelfuse auto`)"
        );
    }
    for d in fitted.dropped() {
        println!("dropped {}: {}", d.model, d.reason);
    }
    if !calibration.is_empty() {
        println!();
        let mut t = Table::new([
            "calibrated",
            "temperature",
            "ece before",
            "ece after",
            "log_loss before",
            "log_loss after",
        ]);
        for c in &calibration {
            t.row(vec![
                c.model.clone(),
                num(c.temperature),
                num(c.ece_before),
                num(c.ece_after),
                num(c.log_loss_before),
                num(c.log_loss_after),
            ]);
        }
        print!("{}", t.render());
    }
    output::saved(&args.output);
    Ok(())
}
