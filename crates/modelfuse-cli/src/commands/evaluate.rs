//! `modelfuse evaluate`: score prediction files against labels.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use modelfuse::metrics;
use serde_json::{Map, Value};

use crate::cli::ReadArgs;
use crate::load;
use crate::output::{metrics_json, print_json};
use crate::table::{Table, num};

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Prediction files (for example fused.csv), or folders of them.
    #[arg(required = true, value_name = "PREDS")]
    pub inputs: Vec<PathBuf>,
    /// The labels file.
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

pub fn run(args: EvaluateArgs) -> Result<()> {
    let (loaded, targets) =
        load::with_labels(&args.inputs, &args.labels, args.read.build_options())?;
    let preds = &loaded.preds;
    let per_model = metrics::evaluate_models(preds, &targets)?;

    if args.json {
        // One file: a flat object of metrics. Several: keyed by model name.
        if per_model.len() == 1 {
            print_json(&metrics_json(&per_model[0]));
        } else {
            let map: Map<String, Value> = preds
                .models()
                .iter()
                .zip(&per_model)
                .map(|(name, s)| (name.clone(), metrics_json(s)))
                .collect();
            print_json(&Value::Object(map));
        }
        return Ok(());
    }
    let all = &per_model[0];
    let mut t =
        Table::new(std::iter::once("metric".to_string()).chain(preds.models().iter().cloned()));
    for (j, (metric, _)) in all.iter().enumerate() {
        t.row(
            std::iter::once(metric.name().to_string())
                .chain(per_model.iter().map(|s| num(s[j].1)))
                .collect(),
        );
    }
    print!("{}", t.render());
    Ok(())
}
