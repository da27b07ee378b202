//! `modelfuse qa …`: evaluate, fit and fuse extractive QA systems on SQuAD
//! files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::{Args, Subcommand};
use modelfuse::verdict::BootstrapOptions;
use modelfuse_nlp::qa::{
    Abstain, CrossFit, Dataset, FittedQa, Objective, QaFuser, QaMethod, QaScores, QaWindowMerge,
    ScriptVersion, SystemAnswers, WindowedAnswers, cross_fit, evaluate, halves,
};
use serde_json::{Value, json};

use crate::output::{self, json_number, print_json};
use crate::parse::{parse_nlp, parse_weights, whole};
use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum QaCommand {
    /// Score prediction files (`{question id: answer}`) against a SQuAD
    /// dataset, exactly as the official v1.1 / v2.0 script does.
    Evaluate(EvaluateArgs),
    /// Fit a QA fuser (weights, no-answer threshold) on labelled questions and
    /// save it as JSON.
    Fit(FitArgs),
    /// Fuse systems' answers into one prediction file.
    Fuse(FuseArgs),
    /// Compare every fusion method with the best single system, fitting on
    /// one half of the questions and scoring on the other.
    Report(ReportArgs),
}

/// The systems' prediction files.
#[derive(Debug, Args)]
pub struct SystemsArgs {
    /// Prediction files (`.json` or `.json.gz`: `{id: answer}` or n-best
    /// lists; `.jsonl` or `.jsonl.gz`: n-best lists per window of a long
    /// context), or folders of them; the system is named after the file.
    #[arg(required = true, value_name = "PREDICTIONS")]
    pub inputs: Vec<PathBuf>,
    /// How a .jsonl window file's spans are merged across windows: max (the
    /// best score over windows), sum (per-window probabilities added) or
    /// first (the first window only; a baseline).
    #[arg(long, value_parser = parse_nlp::<QaWindowMerge>, default_value = "max", value_name = "RULE")]
    pub window_merge: QaWindowMerge,
}

#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// The SQuAD dataset file with the gold answers (`.json` or `.json.gz`).
    #[arg(long = "labels", visible_alias = "dataset", value_name = "FILE")]
    pub dataset: PathBuf,
    /// Which official script's rules to follow; default: the dataset's
    /// `version` field (2.x → 2.0, otherwise 1.1).
    #[arg(long = "squad-version", value_parser = parse_nlp::<ScriptVersion>, value_name = "1.1|2.0")]
    pub version: Option<ScriptVersion>,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub systems: SystemsArgs,
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// Print JSON: `{"exact_match": …, "f1": …}` for one file (percentages),
    /// keyed by system for several.
    #[arg(long)]
    pub json: bool,
}

/// A fuser's settings, shared by `fit` and `fuse`.
#[derive(Debug, Args)]
pub struct MethodArgs {
    /// How answers are combined: `vote` (weighted votes on normalised
    /// answers) or `consensus` (highest expected F1 against the others).
    #[arg(long, value_parser = parse_nlp::<QaMethod>, default_value = "vote")]
    pub method: QaMethod,
    /// Fixed weights, `name=weight,…` (others get 1).
    #[arg(long, value_parser = parse_weights, value_name = "NAME=W,…")]
    pub weights: Option<BTreeMap<String, f64>>,
    /// Answer "" (no answer, SQuAD 2.0) when the winner's share of the
    /// support is below this, in [0, 1]; `learn` fits it (`fit` only).
    #[arg(long, value_name = "SHARE|learn")]
    pub abstain: Option<String>,
    /// Vote with each system's best answer only, not its whole n-best list.
    #[arg(long)]
    pub top_only: bool,
}

impl MethodArgs {
    fn fuser(&self, learn_weights: bool, objective: Objective) -> Result<QaFuser> {
        let abstain = match self.abstain.as_deref() {
            None => Abstain::Never,
            Some("learn") => Abstain::Learn,
            Some(s) => {
                let t: f64 = s.parse().map_err(|_| {
                    anyhow!("--abstain: expected a share in [0, 1] or `learn`, found '{s}'")
                })?;
                Abstain::Below(t)
            }
        };
        Ok(QaFuser {
            method: self.method,
            weights: self.weights.clone().unwrap_or_default(),
            learn_weights,
            abstain,
            nbest: !self.top_only,
            objective,
        })
    }
}

/// Which questions to fit on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Questions {
    All,
    FirstHalf,
    SecondHalf,
}

#[derive(Debug, Args)]
pub struct FitArgs {
    #[command(flatten)]
    pub systems: SystemsArgs,
    #[command(flatten)]
    pub dataset: DatasetArgs,
    #[command(flatten)]
    pub method: MethodArgs,
    /// Learn the systems' weights (coordinate ascent over a grid).
    #[arg(long)]
    pub learn_weights: bool,
    /// What learning maximises.
    #[arg(long, value_parser = parse_nlp::<Objective>, default_value = "f1")]
    pub objective: Objective,
    /// Fit on all questions or on one seeded half (the other half stays
    /// unseen, for `evaluate`).
    #[arg(
        long = "half",
        value_name = "HALF",
        visible_alias = "questions",
        value_enum,
        default_value = "all"
    )]
    pub questions: Questions,
    /// The seed of the halves.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>, default_value_t = 0)]
    pub seed: u64,
    /// Where to save the fitted fuser (JSON).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FuseArgs {
    #[command(flatten)]
    pub systems: SystemsArgs,
    /// A fitted fuser from `modelfuse qa fit`; without it, the method and
    /// weights given here.
    #[arg(long, value_name = "FILE")]
    pub fuser: Option<PathBuf>,
    #[command(flatten)]
    pub method: MethodArgs,
    /// Where to write the fused predictions (`{id: answer}`, the official
    /// format).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub systems: SystemsArgs,
    #[command(flatten)]
    pub dataset: DatasetArgs,
    /// The seed of the halves and of the bootstrap.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>, default_value_t = 0)]
    pub seed: u64,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: QaCommand) -> Result<()> {
    match command {
        QaCommand::Evaluate(a) => run_evaluate(a),
        QaCommand::Fit(a) => run_fit(a),
        QaCommand::Fuse(a) => run_fuse(a),
        QaCommand::Report(a) => run_report(a),
    }
}

/// Files as given, folders expanded to their `.json` / `.jsonl` (optionally
/// `.gz`) files by name.
fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let accept = |n: &str| {
        let n = n.strip_suffix(".gz").unwrap_or(n);
        n.ends_with(".json") || n.ends_with(".jsonl")
    };
    crate::load::expand_systems(
        inputs,
        accept,
        "QA prediction files (.json, .jsonl, or .gz of those)",
    )
}

struct Loaded {
    names: Vec<String>,
    answers: Vec<SystemAnswers>,
}

impl Loaded {
    fn pairs(&self) -> Vec<(&str, &SystemAnswers)> {
        self.names
            .iter()
            .map(String::as_str)
            .zip(&self.answers)
            .collect()
    }
}

fn load_systems(args: &SystemsArgs) -> Result<Loaded> {
    let files = expand(&args.inputs)?;
    let mut names: Vec<String> = Vec::new();
    let mut answers = Vec::new();
    for file in &files {
        let (name, _) = modelfuse_io::system_name(file);
        if let Some(i) = names.iter().position(|n| *n == name) {
            bail!(
                "{} and {} would both be system '{name}'; rename one",
                files[i].display(),
                file.display()
            );
        }
        let text = modelfuse_io::read_text(file)?;
        let source = file.display().to_string();
        let parsed = if modelfuse_nlp::qa::windows::is_window_file(&text) {
            WindowedAnswers::parse(&text, &source)?.merge(args.window_merge)?
        } else {
            SystemAnswers::parse(&text, &source)?
        };
        names.push(name);
        answers.push(parsed);
    }
    Ok(Loaded { names, answers })
}

fn load_dataset(args: &DatasetArgs) -> Result<(Dataset, ScriptVersion)> {
    let text = crate::load::text(&args.dataset)?;
    let dataset = Dataset::parse(&text, &args.dataset.display().to_string())?;
    if dataset.questions().is_empty() {
        bail!(
            "{}: expected at least one question (data → paragraphs → qas), found none",
            args.dataset.display()
        );
    }
    let version = args
        .version
        .unwrap_or_else(|| ScriptVersion::for_dataset(&dataset));
    Ok((dataset, version))
}

fn scores_json(s: &QaScores) -> Value {
    let mut v = json!({
        "exact_match": json_number(s.exact_match),
        "f1": json_number(s.f1),
    });
    // SQuAD 2.0's script also reports its total and the answerable and
    // unanswerable parts; v1.1's prints exactly the two numbers above.
    if s.version == ScriptVersion::V2_0 {
        let obj = v.as_object_mut().expect("an object");
        obj.insert("total".into(), json!(s.total));
        for (prefix, part) in [("HasAns", &s.has_ans), ("NoAns", &s.no_ans)] {
            if let Some(p) = part {
                obj.insert(format!("{prefix}_exact"), json_number(p.exact_match));
                obj.insert(format!("{prefix}_f1"), json_number(p.f1));
                obj.insert(format!("{prefix}_total"), json!(p.total));
            }
        }
    }
    v
}

fn run_evaluate(args: EvaluateArgs) -> Result<()> {
    let (dataset, version) = load_dataset(&args.dataset)?;
    let systems = load_systems(&args.systems)?;
    let mut all = Vec::new();
    for (name, answers) in systems.pairs() {
        let s = evaluate(&dataset, |id| answers.answer(id), answers.ids(), version)
            .map_err(|e| anyhow!("{name}: {e}"))?;
        if s.missing > 0 && version == ScriptVersion::V1_1 {
            eprintln!(
                "{name}: {} of {} questions have no prediction and score 0",
                s.missing, s.total
            );
        }
        if s.unknown > 0 {
            eprintln!(
                "{name}: ignored {} predictions for ids not in the dataset",
                s.unknown
            );
        }
        all.push((name, s));
    }
    if args.json {
        if all.len() == 1 {
            print_json(&scores_json(&all[0].1));
        } else {
            let map: serde_json::Map<String, Value> = all
                .iter()
                .map(|(n, s)| (n.to_string(), scores_json(s)))
                .collect();
            print_json(&Value::Object(map));
        }
        return Ok(());
    }
    let mut t = Table::new(["system", "exact_match", "f1", "questions", "missing"]);
    for (name, s) in &all {
        t.row(vec![
            name.to_string(),
            format!("{:.2}", s.exact_match),
            format!("{:.2}", s.f1),
            s.total.to_string(),
            s.missing.to_string(),
        ]);
    }
    println!(
        "SQuAD v{} rules, {} questions",
        version.name(),
        dataset.questions().len()
    );
    print!("{}", t.render());
    Ok(())
}

fn run_fit(args: FitArgs) -> Result<()> {
    let (dataset, version) = load_dataset(&args.dataset)?;
    let systems = load_systems(&args.systems)?;
    let n = dataset.questions().len();
    let subset = match args.questions {
        Questions::All => dataset.clone(),
        Questions::FirstHalf => dataset.subset(&halves(n, args.seed)),
        Questions::SecondHalf => {
            let keep: Vec<bool> = halves(n, args.seed).into_iter().map(|f| !f).collect();
            dataset.subset(&keep)
        }
    };
    if subset.questions().is_empty() {
        return Err(super::nothing_to_fit(
            "--half",
            args.questions,
            "question",
            n,
        ));
    }
    let fuser = args.method.fuser(args.learn_weights, args.objective)?;
    let step = crate::progress::Step::start("fitting the QA fuser");
    let fitted = fuser.fit(&systems.pairs(), &subset, version)?;
    step.finish();
    output::save_text(&args.output, "writing the fuser", &fitted.to_json())?;
    output::saved(&args.output);
    let fit = fitted.fit.as_ref().expect("fit records a summary");
    if args.json {
        print_json(&json!({
            "method": fitted.method.name(),
            "systems": fitted.systems,
            "weights": fitted.weights,
            "no_answer_threshold": fitted.no_answer_threshold,
            "questions": fit.questions,
            "exact_match": json_number(fit.exact_match),
            "f1": json_number(fit.f1),
            "output": args.output.display().to_string(),
        }));
        return Ok(());
    }
    let mut t = Table::new(["system", "weight"]);
    for (s, w) in fitted.systems.iter().zip(&fitted.weights) {
        t.row(vec![s.clone(), format!("{w}")]);
    }
    print!("{}", t.render());
    if let Some(th) = fitted.no_answer_threshold {
        println!("no-answer threshold: {th}");
    }
    println!(
        "{} on {} questions (SQuAD v{} rules): exact match {:.2}, F1 {:.2}",
        fitted.method.name(),
        fit.questions,
        version.name(),
        fit.exact_match,
        fit.f1,
    );
    Ok(())
}

fn run_fuse(args: FuseArgs) -> Result<()> {
    let systems = load_systems(&args.systems)?;
    let fitted = match &args.fuser {
        Some(path) => {
            let text = modelfuse_io::read_text(path)?;
            crate::load::expect_kind(&text, path, modelfuse_io::FittedKind::Qa)?;
            FittedQa::from_json(&text, &path.display().to_string())?
        }
        None => {
            let names: Vec<&str> = systems.names.iter().map(String::as_str).collect();
            args.method.fuser(false, Objective::F1)?.fixed(&names)?
        }
    };
    let fused = fitted.predict(&systems.pairs())?;
    let answers: BTreeMap<&str, &str> = fused
        .iter()
        .map(|(id, a)| (id.as_str(), a.text.as_str()))
        .collect();
    let mut bytes = serde_json::to_vec_pretty(&answers)?;
    bytes.push(b'\n');
    output::write(&args.output, "the fused answers", |out| {
        out.write_all(&bytes)
    })?;
    let abstained = fused.values().filter(|a| a.text.is_empty()).count();
    output::report_written(
        args.json,
        format!(
            "fused {} systems on {} questions with {} ({} without an answer) -> {}",
            systems.names.len(),
            fused.len(),
            fitted.method.name(),
            abstained,
            args.output.display()
        ),
        json!({
            "output": args.output,
            "method": fitted.method.name(),
            "systems": systems.names,
            "questions": fused.len(),
            "without_answer": abstained,
        }),
    );
    Ok(())
}

fn run_report(args: ReportArgs) -> Result<()> {
    let (dataset, version) = load_dataset(&args.dataset)?;
    let systems = load_systems(&args.systems)?;
    let bootstrap = BootstrapOptions {
        seed: args.seed,
        ..BootstrapOptions::default()
    };
    let step = crate::progress::Step::start("fitting every method on each half");
    let report = cross_fit(&dataset, &systems.pairs(), version, args.seed, &bootstrap)?;
    step.finish();
    if args.json {
        print_json(&serde_json::to_value(&report)?);
        return Ok(());
    }
    print_report(&report, bootstrap.n_resamples);
    Ok(())
}

fn print_report(r: &CrossFit, resamples: usize) {
    println!(
        "SQuAD v{} rules; questions split in two halves (seed {}): {} and {}; learned methods \
         are fitted on one half and scored on the other",
        r.version.name(),
        r.seed,
        r.half_sizes.0,
        r.half_sizes.1
    );
    let mut t = Table::new([
        "",
        "EM",
        "F1",
        "EM 1st half",
        "F1 1st half",
        "EM 2nd half",
        "F1 2nd half",
    ]);
    for row in &r.rows {
        let mark = if row.name == r.best_system || row.name == r.best_fused {
            " *"
        } else {
            ""
        };
        let label = if row.kind == "oracle" {
            row.name.clone()
        } else {
            format!("{} ({})", row.name, row.kind)
        };
        t.row(vec![
            format!("{label}{mark}"),
            format!("{:.2}", row.exact_match),
            format!("{:.2}", row.f1),
            format!("{:.2}", row.first_half.0),
            format!("{:.2}", row.first_half.1),
            format!("{:.2}", row.second_half.0),
            format!("{:.2}", row.second_half.1),
        ]);
    }
    print!("{}", t.render());
    for g in &r.gains {
        let c = &g.comparison;
        println!(
            "{} − {} ({}): {:+.2} points, 95% CI {:+.2} .. {:+.2}, {}",
            g.method,
            g.baseline,
            g.metric,
            c.gain,
            c.low,
            c.high,
            super::p_text(c.p_value, resamples)
        );
    }
    let f1 = &r.gains[0].comparison;
    if f1.low > 0.0 {
        println!(
            "verdict: fusion ({}) beats {} on F1.",
            r.best_fused, r.best_system
        );
    } else if f1.high < 0.0 {
        println!(
            "verdict: no fusion beats {}; use it alone (the best fusion, {}, is worse).",
            r.best_system, r.best_fused
        );
    } else {
        println!(
            "verdict: no fusion beats {} with confidence; use it alone unless the gain above matters to you.",
            r.best_system
        );
    }
    for row in r.rows.iter().filter(|row| row.weights.is_some()) {
        if row.name == r.best_fused {
            let [a, b] = row.weights.as_ref().expect("filtered");
            let show = |w: &[(String, f64)]| {
                w.iter()
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            println!(
                "weights of {} fitted on the 1st half: {}",
                row.name,
                show(a)
            );
            println!(
                "weights of {} fitted on the 2nd half: {}",
                row.name,
                show(b)
            );
        }
    }
}
