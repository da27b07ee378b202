//! One file per subcommand; each turns typed arguments into library calls.

mod auto;
pub mod cascade;
mod evaluate;
mod fit;
pub mod generate;
mod inspect;
pub mod ner;
mod predict;
pub mod qa;

use anyhow::Result;
use modelfuse::metrics::{self, Metric};
use modelfuse::{ErrorKind, Predictions, Targets};

use crate::args::{Cli, Command};

pub fn run(cli: Cli) -> Result<()> {
    crate::guard::check_command(&cli)?;
    match cli.command {
        Command::Inspect(a) => inspect::run(a),
        Command::Fit(a) => fit::run(*a),
        Command::Predict(a) => predict::run(a),
        Command::Evaluate(a) => evaluate::run(a),
        Command::Auto(a) => auto::run(a),
        Command::Cascade { command } => cascade::run(command),
        Command::Ner { command } => ner::run(command),
        Command::Qa { command } => qa::run(command),
        Command::Generate { command } => generate::run(command),
        Command::Completions { shell } => {
            completions(shell);
            Ok(())
        }
    }
}

/// Writes the completion script of `shell` to stdout (clap_complete,
/// generated from the same definition that parses the arguments).
fn completions(shell: crate::args::Shell) {
    use clap::CommandFactory;
    use clap_complete::Shell as S;
    let shell = match shell {
        crate::args::Shell::Bash => S::Bash,
        crate::args::Shell::Zsh => S::Zsh,
        crate::args::Shell::Fish => S::Fish,
    };
    let mut cmd = Cli::command();
    // Into memory first: clap_complete panics on a failed write (a closed
    // pipe), and `print!` ends quietly on one (see main.rs).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "modelfuse", &mut script);
    print!("{}", String::from_utf8_lossy(&script));
}

/// The error for a half (`--sentences`, `--questions`, `--lines`) that
/// holds nothing to fit on: a learner given no rows would save a fuser
/// fitted on nothing.
pub fn nothing_to_fit(
    flag: &str,
    half: impl clap::ValueEnum,
    what: &str,
    n: usize,
) -> anyhow::Error {
    let half = half
        .to_possible_value()
        .map_or(String::new(), |v| v.get_name().to_string());
    let plural = if n == 1 { "" } else { "s" };
    anyhow::anyhow!(
        "{flag} {half}: expected at least one {what} to fit on, found none (there {} {n} {what}{plural} in all; each half needs at least 2)",
        if n == 1 { "is" } else { "are" }
    )
}

/// Every reported metric of model `m`; a metric that is undefined on these
/// samples (ROC-AUC with a single class present, say) is NaN, shown as n/a
/// in tables and null in JSON, rather than failing the whole report.
pub fn scores(preds: &Predictions, m: usize, targets: &Targets) -> Result<Vec<(Metric, f64)>> {
    let mut out = Vec::new();
    for &metric in Metric::report_set(preds.task()) {
        match metrics::score(metric, preds, m, targets) {
            Ok(v) => out.push((metric, v)),
            Err(e) if e.kind() == ErrorKind::InvalidValue => out.push((metric, f64::NAN)),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// The metrics shown in text tables (JSON has them all): enough to compare
/// models at a glance without a table wider than a terminal.
pub fn table_metrics(all: &[(Metric, f64)]) -> Vec<(Metric, f64)> {
    const SHOWN: &[Metric] = &[
        Metric::Accuracy,
        Metric::BalancedAccuracy,
        Metric::F1Macro,
        Metric::LogLoss,
        Metric::Brier,
        Metric::Ece,
        Metric::RocAuc,
        Metric::Mcc,
        Metric::Rmse,
        Metric::Mae,
        Metric::R2,
    ];
    all.iter()
        .filter(|(m, _)| SHOWN.contains(m))
        .copied()
        .collect()
}

/// A JSON object of metric name → value (NaN becomes null).
pub fn metrics_json(all: &[(Metric, f64)]) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = all
        .iter()
        .map(|(m, v)| (m.name().to_string(), json_number(*v)))
        .collect();
    serde_json::Value::Object(map)
}

pub fn json_number(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// What a command that wrote a file says: its summary line on stderr (where
/// every "saved …" message goes, so stdout stays for results), and with
/// `--json` the same facts as JSON on stdout.
pub fn report_written(json: bool, summary: String, facts: serde_json::Value) {
    eprintln!("{summary}");
    if json {
        print_json(&facts);
    }
}

/// A bootstrap p-value as text: `p = 0.034`, or `p < 0.002` when no
/// resample went the other way (the smallest nonzero value of a two-sided
/// p over `resamples` is `2 / resamples`; "0.000" would claim more).
pub fn p_text(p: f64, resamples: usize) -> String {
    if p == 0.0 && resamples > 0 {
        format!("p < {:.3}", 2.0 / resamples as f64)
    } else {
        format!("p = {p:.3}")
    }
}

/// Prints JSON to stdout, pretty and newline-terminated.
pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("JSON values always serialise")
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_zero_bootstrap_p_value_is_shown_as_a_bound() {
        assert_eq!(super::p_text(0.0, 1000), "p < 0.002");
        assert_eq!(super::p_text(0.0, 200), "p < 0.010");
        assert_eq!(super::p_text(0.034, 1000), "p = 0.034");
    }
}
