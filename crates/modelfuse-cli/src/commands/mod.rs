//! One file per subcommand; each turns typed arguments into library calls.

pub mod auto;
pub mod cascade;
pub mod evaluate;
pub mod fit;
pub mod generate;
pub mod inspect;
pub mod ner;
pub mod predict;
pub mod qa;

use anyhow::Result;
use modelfuse::metrics::Metric;

use crate::cli::{Cli, Command};

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
        Command::Completions { shell } => completions(shell),
    }
}

/// Writes the completion script of `shell` to stdout (clap_complete,
/// generated from the same definition that parses the arguments).
fn completions(shell: crate::cli::Shell) -> Result<()> {
    use clap::CommandFactory;
    use clap_complete::Shell as S;
    let shell = match shell {
        crate::cli::Shell::Bash => S::Bash,
        crate::cli::Shell::Zsh => S::Zsh,
        crate::cli::Shell::Fish => S::Fish,
    };
    let mut cmd = Cli::command();
    // Into memory first: clap_complete panics on a failed write (a closed
    // pipe), and `output::write` to `-` ends quietly on one.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "modelfuse", &mut script);
    crate::output::write(std::path::Path::new("-"), "the completion script", |w| {
        w.write_all(&script)
    })
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

/// The most bootstrap resamples `--resamples` accepts: far more than a 95%
/// interval or a p-value needs, and few enough that the resampled scores of
/// every candidate fit in memory (a larger number used to abort the process
/// on a failed allocation).
pub const MAX_RESAMPLES: usize = 100_000;

/// Refuses a `--resamples` above [`MAX_RESAMPLES`].
pub fn check_max_resamples(resamples: usize) -> anyhow::Result<()> {
    if resamples > MAX_RESAMPLES {
        anyhow::bail!(
            "--resamples {resamples}: expected at most {MAX_RESAMPLES}; intervals and p-values stop changing long before, and more would not fit in memory"
        );
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_zero_bootstrap_p_value_is_shown_as_a_bound() {
        assert_eq!(super::p_text(0.0, 1000), "p < 0.002");
        assert_eq!(super::p_text(0.0, 200), "p < 0.010");
        assert_eq!(super::p_text(0.034, 1000), "p = 0.034");
    }
}
