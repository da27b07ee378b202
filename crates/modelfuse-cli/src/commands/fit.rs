//! `modelfuse fit`: fit a fuser and save it.

use anyhow::{Context, Result, bail};
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
    let fitted = spec
        .fit_with(preds, targets.as_ref(), &fit_options)
        .map_err(|e| load::explain(e, &loaded.paths))?;
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
        }));
        return Ok(());
    }
    println!(
        "fitted {} on {} models, {} samples ({} task)",
        spec.method(),
        preds.n_models(),
        preds.n_samples(),
        preds.task().name()
    );
    if let Some(rows) = &report {
        let key = rows[0].1.first().map(|(m, _)| *m);
        let mut header = vec!["model".to_string()];
        if weights.is_some() {
            header.push("weight".into());
        }
        if let Some(k) = key {
            header.push(k.name().into());
        }
        let mut t = Table::new(header);
        for (i, (name, s)) in rows.iter().enumerate() {
            let mut row = vec![name.clone()];
            if let Some(w) = &weights {
                row.push(w.get(i).map_or(String::new(), |x| num(*x)));
            }
            if let Some((_, v)) = s.first() {
                row.push(num(*v));
            }
            t.row(row);
        }
        println!();
        print!("{}", t.render());
        println!("(scored on the fitting data; run `modelfuse evaluate` on held-out predictions)");
    } else if let Some(w) = &weights {
        let mut t = Table::new(["model", "weight"]);
        for (name, x) in preds.models().iter().zip(w) {
            t.row(vec![name.clone(), num(*x)]);
        }
        println!();
        print!("{}", t.render());
    }
    println!("saved to {}", args.output.display());
    Ok(())
}
