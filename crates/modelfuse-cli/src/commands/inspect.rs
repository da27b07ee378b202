//! `modelfuse inspect`: per-model metrics and pairwise diversity.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use modelfuse::{diversity, metrics};
use serde_json::json;

use super::table_metrics;
use crate::cli::ReadArgs;
use crate::load;
use crate::output::{metrics_json, print_json};
use crate::table::{Table, num};

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Prediction files, or folders of them; the model name is the file stem.
    #[arg(required = true, value_name = "PREDS")]
    pub inputs: Vec<PathBuf>,
    /// The labels file (`id,label`, or `id,value` for regression).
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

pub fn run(args: InspectArgs) -> Result<()> {
    let (loaded, targets) =
        load::with_labels(&args.inputs, &args.labels, args.read.build_options())?;
    let preds = &loaded.preds;
    let per_model = metrics::evaluate_models(preds, &targets)?;
    let div = diversity::diversity(preds, &targets)?;

    if args.json {
        let models: Vec<_> = preds
            .models()
            .iter()
            .zip(&per_model)
            .enumerate()
            .map(|(m, (name, s))| {
                json!({ "name": name, "hard": preds.is_hard(m), "metrics": metrics_json(s) })
            })
            .collect();
        print_json(&json!({
            "task": preds.task(),
            "n_samples": preds.n_samples(),
            "classes": preds.classes(),
            "models": models,
            "diversity": serde_json::to_value(&div)?,
        }));
        return Ok(());
    }

    println!(
        "{} models, {} samples, {} task, {} classes",
        preds.n_models(),
        preds.n_samples(),
        preds.task().name(),
        preds.n_outputs()
    );
    println!();
    let shown: Vec<_> = per_model.iter().map(|s| table_metrics(s)).collect();
    let mut t = Table::new(
        std::iter::once("model".to_string())
            .chain(shown[0].iter().map(|(m, _)| m.name().to_string())),
    );
    for (m, s) in shown.iter().enumerate() {
        let mut name = preds.models()[m].clone();
        if preds.is_hard(m) {
            name.push_str(" (hard)");
        }
        t.row(
            std::iter::once(name)
                .chain(s.iter().map(|(_, v)| num(*v)))
                .collect(),
        );
    }
    print!("{}", t.render());

    if !div.pairs.is_empty() {
        println!();
        println!("pairwise diversity");
        let mut t = Table::new([
            "pair",
            "disagreement",
            "double_fault",
            "q_statistic",
            "error_correlation",
            "kappa",
        ]);
        for p in &div.pairs {
            t.row(vec![
                format!("{} / {}", p.a, p.b),
                num(p.disagreement),
                num(p.double_fault),
                num(p.q_statistic),
                num(p.error_correlation),
                num(p.kappa),
            ]);
        }
        print!("{}", t.render());
    }
    println!();
    println!("ensemble");
    let s = &div.summary;
    let mean = |name: &str, p: &diversity::PairMean| {
        let note = match p.undefined {
            0 => String::new(),
            n => format!(" ({n} pairs undefined)"),
        };
        vec![format!("mean {name}{note}"), num(p.mean)]
    };
    let mut t = Table::new(["measure", "value"]);
    t.row(mean("disagreement", &s.disagreement));
    t.row(mean("double_fault", &s.double_fault));
    t.row(mean("q_statistic", &s.q_statistic));
    t.row(mean("error_correlation", &s.error_correlation));
    t.row(mean("kappa", &s.kappa));
    for (name, v) in [
        ("kohavi_wolpert_variance", s.kohavi_wolpert_variance),
        ("entropy", s.entropy),
        ("interrater_agreement", s.interrater_agreement),
        ("oracle_accuracy", s.oracle_accuracy),
        ("ambiguity", s.ambiguity),
    ] {
        // Measures that do not apply to this task are NaN; leave them out.
        if v.is_finite() {
            t.row(vec![name.to_string(), num(v)]);
        }
    }
    print!("{}", t.render());
    Ok(())
}
