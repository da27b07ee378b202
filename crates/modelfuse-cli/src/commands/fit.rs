//! `modelfuse fit`: fit a fuser and save it.

use anyhow::{Context, Result, bail};
use modelfuse::metrics::Metric;
use modelfuse::{Calibrate, Fitted, FuserSpec};
use serde_json::json;

use super::{json_number, metrics_json, print_json, scores};
use crate::WriteError;
use crate::args::FitArgs;
use crate::load;
use crate::table::{Table, num};

pub fn run(args: FitArgs) -> Result<()> {
    // `--seed` seeds the folds of pruning and calibration, and the method
    // itself when it has random choices (blending, selection).
    let method_seed = args
        .around
        .seed
        .filter(|_| args.method.options().contains(&"seed"));
    let spec = FuserSpec::from_options(args.method, args.settings.spec_options(method_seed))?;
    let fit_options = args.around.fit_options(args.settings.by);
    let opts = args.read.build_options();
    let (loaded, targets) = match &args.labels {
        Some(path) => {
            let (l, t) = load::with_labels(&args.inputs, path, opts)?;
            (l, Some(t))
        }
        None if spec.needs_targets()
            || args.around.prune
            || args.around.calibrate != Calibrate::None =>
        {
            bail!(
                "{} learns from labels; pass them with --labels <file>",
                spec.method()
            )
        }
        None => (load::predictions(&args.inputs, &opts)?, None),
    };
    let preds = &loaded.preds;
    // Learned methods with pruning or calibration can take a while; a spinner
    // (drawn only on a terminal) shows it is working.
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!("fitting {}", spec.describe(preds.task())));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let fitted = spec.fit_with(preds, targets.as_ref(), &fit_options);
    spinner.finish_and_clear();
    let fitted = fitted.map_err(|e| load::explain(e, &loaded.paths))?;
    modelfuse_io::write_atomic(&args.output, |w| w.write_all(fitted.to_json().as_bytes()))
        .with_context(|| format!("saving the fitted fuser to {}", args.output.display()))
        .map_err(|e| anyhow::Error::new(WriteError(e)))?;

    // How the fusion does on the data it was fitted on, beside each model.
    // In-sample, so optimistic for methods that learn; `evaluate` on held-out
    // predictions gives the honest number.
    let report = match &targets {
        Some(t) => {
            let fused = fitted.predict(preds)?;
            let mut rows = Vec::new();
            for m in 0..preds.n_models() {
                rows.push((preds.models()[m].clone(), scores(preds, m, t)?));
            }
            rows.push(("fused".to_string(), scores(&fused, 0, t)?));
            Some(rows)
        }
        None => None,
    };
    let weights = fitted.learned_weights().map(|w| w.as_slice().to_vec());
    let calibration = match &targets {
        Some(t) => fitted.calibration_report(preds, t)?,
        None => Vec::new(),
    };

    if args.json {
        let metrics = report.as_ref().map(|rows| {
            rows.iter()
                .map(|(name, s)| (name.clone(), metrics_json(s)))
                .collect::<serde_json::Map<_, _>>()
        });
        print_json(&json!({
            "fuser": args.output,
            "spec": fitted.spec,
            "models": fitted.models,
            "weights": weights.as_ref().map(|w| w.iter().map(|x| json_number(*x)).collect::<Vec<_>>()),
            "metrics_on_fit_data": metrics,
            "dropped": fitted.dropped,
            "calibration": calibration,
        }));
        return Ok(());
    }
    println!(
        "fitted {} on {} models, {} samples ({} task)",
        fitted.spec.describe(preds.task()),
        fitted.models.len(),
        preds.n_samples(),
        preds.task().name()
    );
    // The weight of a model by name: pruned models are not in the fuser.
    let weight_of = |name: &str| -> String {
        match fitted.models.iter().position(|m| m == name) {
            Some(i) => weights.as_ref().map_or(String::new(), |w| num(w[i])),
            None => "dropped".into(),
        }
    };
    let mut header = vec!["model".to_string()];
    if weights.is_some() || !fitted.dropped.is_empty() {
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
        for name in preds.models() {
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
    for d in &fitted.dropped {
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
    println!("saved to {}", args.output.display());
    Ok(())
}
