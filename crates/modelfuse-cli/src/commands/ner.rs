//! `modelfuse ner …`: evaluate, fit and fuse named entity taggers, and
//! report honestly whether fusing them helps.
//!
//! Inputs are files or folders of them (folders: every non-hidden file,
//! sorted by name); a system is named after its file stem. `.tsv` files are
//! column files (`sent_id tok_id token gold <systems…>`; their `gold` column
//! is the gold unless `--gold` is given), `.jsonl` files hold per-subtoken
//! probabilities aligned back to the reference words (per sentence, or per
//! window of a sentence, merged per word by `--window-merge`), anything else
//! is a CoNLL file. A trailing `.gz` is decompressed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use modelfuse_nlp::ner::{
    self, Alignment, Counts, FittedNer, Mode, NerFuser, NerMethod, NerReport, SystemInput, Systems,
    Tag, Tagged, WindowMerge,
};
use serde_json::{Map, Value, json};

use crate::output::{self, json_number, print_json};
use crate::parse::{parse_nlp, parse_weights, whole};
use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum NerCommand {
    /// Score taggers' outputs against the gold: entity precision, recall and
    /// F1 per type and overall (micro), as seqeval computes them.
    Evaluate(EvaluateArgs),
    /// Fit a fuser (optionally learning weights and thresholds on the gold)
    /// and save it as JSON.
    Fit(FitArgs),
    /// Fuse taggers' outputs with a saved fuser or a method, and write the
    /// fused tags as a CoNLL file.
    Fuse(FuseArgs),
    /// The honest comparison: every method fitted on one seeded half of the
    /// sentences and scored on the other (both ways), beside each single
    /// system, with a paired bootstrap of the gain over the best one.
    Report(ReportArgs),
}

/// What to read and how.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// System outputs: CoNLL files, a column file (.tsv), probability files
    /// (.jsonl), or folders of them.
    #[arg(required = true, value_name = "SYSTEMS")]
    pub inputs: Vec<PathBuf>,
    /// How .jsonl probabilities reach the words: first (the first subtoken
    /// of each word) or mean (the mean over its subtokens).
    #[arg(long, value_enum, default_value_t = Align::First)]
    pub align: Align,
    /// How .jsonl window files (one line per window of a sentence) merge the
    /// windows covering a word: mean, centre (mean weighted by the word's
    /// distance from a cut window edge), max-context (the window where the
    /// word is most central) or first (the earliest window; a baseline).
    #[arg(long, value_parser = parse_nlp::<WindowMerge>, default_value = "max-context", value_name = "RULE")]
    pub window_merge: WindowMerge,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Align {
    First,
    Mean,
}

/// seqeval's two ways of reading entities.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ModeArg {
    /// seqeval's default (conlleval-style, lenient).
    Conlleval,
    /// seqeval's mode='strict', scheme=IOB2.
    Strict,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Conlleval => Mode::Conlleval,
            ModeArg::Strict => Mode::Strict,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SentencesArg {
    /// Half A of the seeded split (see `ner report`).
    FirstHalf,
    /// Half B of the seeded split.
    SecondHalf,
    /// Every sentence.
    All,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The gold CoNLL file (optional with a column file).
    #[arg(long = "labels", visible_alias = "gold", value_name = "FILE")]
    pub gold: Option<PathBuf>,
    /// How entities are read from tags.
    #[arg(long, value_enum, default_value_t = ModeArg::Conlleval)]
    pub mode: ModeArg,
    /// Print JSON: {"precision", "recall", "f1"} in percent for one system,
    /// an object of those keyed by system for several.
    #[arg(long)]
    pub json: bool,
}

/// A fuser's settings on the command line.
#[derive(Debug, Args)]
pub struct MethodArgs {
    /// Learn per-system weights (and span-vote's threshold) on the gold.
    #[arg(long)]
    pub learn_weights: bool,
    /// span-vote: a weight per system and entity type.
    #[arg(long)]
    pub per_type: bool,
    /// span-vote: the support a span needs, in (0, 1] (default 0.5).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// viterbi: added to each probability before the log (default 0.001).
    #[arg(long)]
    pub smoothing: Option<f64>,
    /// Per-system weights, `name=weight,…` (others weigh 1); the start of
    /// learning with --learn-weights.
    #[arg(long, value_parser = parse_weights, value_name = "NAME=W,…")]
    pub weights: Option<BTreeMap<String, f64>>,
}

impl MethodArgs {
    fn fuser(&self, method: NerMethod, mode: Mode) -> NerFuser {
        let mut f = NerFuser::new(method);
        f.learn = self.learn_weights;
        f.per_type = self.per_type;
        f.mode = mode;
        if let Some(t) = self.threshold {
            f.threshold = t;
        }
        if let Some(s) = self.smoothing {
            f.smoothing = s;
        }
        f.weights.clone_from(&self.weights);
        f
    }
}

#[derive(Debug, Args)]
pub struct FitArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The gold CoNLL file (optional with a column file).
    #[arg(long = "labels", visible_alias = "gold", value_name = "FILE")]
    pub gold: Option<PathBuf>,
    /// token-vote, viterbi or span-vote.
    #[arg(long, value_parser = parse_nlp::<NerMethod>)]
    pub method: NerMethod,
    #[command(flatten)]
    pub settings: MethodArgs,
    /// The sentences to fit on.
    #[arg(long = "half", value_name = "HALF", visible_alias = "sentences", value_enum, default_value_t = SentencesArg::All)]
    pub sentences: SentencesArg,
    /// The seed of the split into halves.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>, default_value_t = 0)]
    pub seed: u64,
    /// The F1 that learning maximises.
    #[arg(long, value_enum, default_value_t = ModeArg::Conlleval)]
    pub mode: ModeArg,
    /// Where to save the fitted fuser (JSON).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print what was fitted as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FuseArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// A fitted fuser saved by `ner fit`.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "method",
        required_unless_present = "method"
    )]
    pub fuser: Option<PathBuf>,
    /// Fuse with a method's default (unlearned) settings instead.
    #[arg(long, value_parser = parse_nlp::<NerMethod>)]
    pub method: Option<NerMethod>,
    #[command(flatten)]
    pub settings: MethodArgs,
    /// A CoNLL file whose tokens are the reference words (its tags are not
    /// used; the gold will do): needed when every system is a .jsonl file.
    #[arg(long, value_name = "FILE")]
    pub words: Option<PathBuf>,
    /// Where to write the fused CoNLL file (token TAB tag).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The gold CoNLL file (optional with a column file).
    #[arg(long = "labels", visible_alias = "gold", value_name = "FILE")]
    pub gold: Option<PathBuf>,
    /// The seed of the halves and of the bootstrap.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u64>, default_value_t = 0)]
    pub seed: u64,
    /// Bootstrap resamples.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>, default_value_t = 1000)]
    pub resamples: usize,
    /// How entities are read from tags (and the F1 learning maximises).
    #[arg(long, value_enum, default_value_t = ModeArg::Conlleval)]
    pub mode: ModeArg,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: NerCommand) -> Result<()> {
    match command {
        NerCommand::Evaluate(a) => evaluate(a),
        NerCommand::Fit(a) => fit(a),
        NerCommand::Fuse(a) => fuse(a),
        NerCommand::Report(a) => report(a),
    }
}

/// A probability file: one line per sentence, or one per window.
enum ProbFile {
    Sentences(Vec<ner::SubwordSentence>),
    Windows(Vec<ner::Window>),
}

/// The loaded inputs: the gold (if any), the systems, and the reference
/// tokens (the gold's, else the first CoNLL system's).
struct Loaded {
    gold: Option<Tagged>,
    systems: Systems,
    tokens: Vec<Vec<String>>,
}

impl Loaded {
    fn gold(&self) -> Result<Vec<Vec<Tag>>> {
        self.gold.as_ref().map(Tagged::tags).ok_or_else(|| {
            anyhow!("expected gold tags (--gold, or a column file's gold column), found none")
        })
    }
}

/// Files as given, folders expanded to their non-hidden files by name.
fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    crate::load::expand_systems(inputs, |_| true, "system files")
}

fn nlp(e: modelfuse_nlp::Error) -> anyhow::Error {
    anyhow!("{e}")
}

fn load(args: &InputArgs, gold_path: Option<&Path>) -> Result<Loaded> {
    let mut gold = match gold_path {
        Some(p) => {
            Some(ner::parse_conll(&crate::load::text(p)?, &p.display().to_string()).map_err(nlp)?)
        }
        None => None,
    };
    let mut tagged: Vec<(String, Tagged)> = Vec::new();
    let mut probs: Vec<(String, String, ProbFile)> = Vec::new();
    for file in expand(&args.inputs)? {
        let (stem, ext) = modelfuse_io::system_name(&file);
        let text = modelfuse_io::read_text(&file)?;
        let source = file.display().to_string();
        match ext.as_str() {
            "tsv" => {
                let (g, systems) = ner::parse_columns(&text, &source).map_err(nlp)?;
                if gold.is_none() {
                    gold = Some(g);
                }
                for s in systems {
                    let name = s
                        .source
                        .strip_prefix(&format!("{source}:"))
                        .unwrap_or(&s.source)
                        .to_string();
                    tagged.push((name, s));
                }
            }
            "jsonl" => {
                let parsed = if ner::is_window_file(&text, &source).map_err(nlp)? {
                    ProbFile::Windows(ner::parse_windows_jsonl(&text, &source).map_err(nlp)?)
                } else {
                    ProbFile::Sentences(ner::parse_probs_jsonl(&text, &source).map_err(nlp)?)
                };
                probs.push((stem, source.clone(), parsed));
            }
            _ => tagged.push((stem, ner::parse_conll(&text, &source).map_err(nlp)?)),
        }
    }
    let mut seen = BTreeMap::new();
    for (name, t) in &tagged {
        if let Some(before) = seen.insert(name.clone(), t.source.clone()) {
            bail!(
                "expected one input per system name, found two for '{name}': {before} and {}",
                t.source
            );
        }
    }
    for (name, source, _) in &probs {
        if let Some(before) = seen.insert(name.clone(), source.clone()) {
            bail!(
                "expected one input per system name, found two for '{name}': {before} and {source}"
            );
        }
    }
    let reference = gold.as_ref().or(tagged.first().map(|(_, t)| t)).ok_or_else(|| {
        anyhow!("expected a gold file (--gold, or --words for `ner fuse`) or a CoNLL system to give the words for the probability files, found neither")
    })?;
    for (_, t) in &tagged {
        ner::check_aligned(reference, t).map_err(nlp)?;
    }
    let tokens: Vec<Vec<String>> = reference
        .sentences
        .iter()
        .map(|s| s.tokens.clone())
        .collect();
    let how = match args.align {
        Align::First => Alignment::FirstSubtoken,
        Align::Mean => Alignment::Mean,
    };
    let mut inputs: Vec<(String, SystemInput)> = tagged
        .into_iter()
        .map(|(n, t)| (n, SystemInput::Tags(t.tags())))
        .collect();
    for (name, source, file) in probs {
        let input = match file {
            ProbFile::Sentences(sents) => ner::align_corpus(&sents, &tokens, how, &source),
            ProbFile::Windows(windows) => {
                ner::merge_windows(&windows, &tokens, how, args.window_merge, &source)
            }
        };
        inputs.push((name, input.map_err(nlp)?));
    }
    let extra: Vec<String> = gold
        .iter()
        .flat_map(|g| g.sentences.iter().flat_map(|s| s.tags.iter()))
        .filter(|t| !t.is_outside())
        .map(|t| t.kind().to_string())
        .collect();
    let systems = Systems::new(inputs, extra).map_err(nlp)?;
    Ok(Loaded {
        gold,
        systems,
        tokens,
    })
}

fn pct(x: f64) -> String {
    format!("{:.2}", 100.0 * x)
}

fn prf_json(s: &ner::Scores) -> Value {
    json!({
        "precision": json_number(100.0 * s.precision),
        "recall": json_number(100.0 * s.recall),
        "f1": json_number(100.0 * s.f1),
    })
}

fn evaluate(args: EvaluateArgs) -> Result<()> {
    let loaded = load(&args.input, args.gold.as_deref())?;
    let gold = loaded.gold()?;
    let mode = Mode::from(args.mode);
    let names = loaded.systems.names().to_vec();
    let evals = ner::system_tags(&loaded.systems)
        .iter()
        .zip(&names)
        .map(|(t, n)| ner::evaluate(&gold, t, mode).map_err(|e| anyhow!("{n}: {e}")))
        .collect::<Result<Vec<_>>>()?;
    if args.json {
        if evals.len() == 1 {
            print_json(&prf_json(&evals[0].overall));
        } else {
            let map: Map<String, Value> = names
                .iter()
                .cloned()
                .zip(evals.iter().map(|e| prf_json(&e.overall)))
                .collect();
            print_json(&Value::Object(map));
        }
        return Ok(());
    }
    let mut t = Table::new([
        "system / type",
        "precision",
        "recall",
        "f1",
        "correct",
        "predicted",
        "gold",
    ]);
    for (name, e) in names.iter().zip(&evals) {
        let row = |label: &str, s: &ner::Scores, c: &Counts, first: bool| {
            vec![
                if first {
                    label.to_string()
                } else {
                    format!("  {label}")
                },
                pct(s.precision),
                pct(s.recall),
                pct(s.f1),
                c.tp.to_string(),
                c.predicted.to_string(),
                c.gold.to_string(),
            ]
        };
        t.row(row(&format!("{name} (micro)"), &e.overall, &e.counts, true));
        for (k, s, c) in &e.per_type {
            t.row(row(k, s, c, false));
        }
    }
    let what = match mode {
        Mode::Conlleval => "seqeval default (conlleval) mode",
        Mode::Strict => "seqeval strict IOB2 mode",
    };
    let systems = match names.len() {
        1 => "1 system".to_string(),
        k => format!("{k} systems"),
    };
    println!(
        "{systems}, {} sentences; entity-level scores in percent, {what}\n",
        gold.len()
    );
    print!("{}", t.render());
    Ok(())
}

fn select_sentences(n: usize, which: SentencesArg, seed: u64) -> Vec<usize> {
    let (a, b) = ner::halves(n, seed);
    match which {
        SentencesArg::FirstHalf => a,
        SentencesArg::SecondHalf => b,
        SentencesArg::All => (0..n).collect(),
    }
}

fn fit(args: FitArgs) -> Result<()> {
    let loaded = load(&args.input, args.gold.as_deref())?;
    let gold = loaded.gold()?;
    let mode = Mode::from(args.mode);
    let fuser = args.settings.fuser(args.method, mode);
    let sentences = select_sentences(loaded.systems.n_sentences(), args.sentences, args.seed);
    if sentences.is_empty() {
        let n = loaded.systems.n_sentences();
        return Err(super::nothing_to_fit(
            "--half",
            args.sentences,
            "sentence",
            n,
        ));
    }
    let step = crate::progress::Step::start(format!("fitting {}", fuser.describe()));
    let fitted = fuser.fit(&loaded.systems, Some(&gold), &sentences);
    step.finish();
    let fitted = fitted.map_err(nlp)?;
    output::write_text(&args.output, "the fitted fuser", &fitted.to_json())?;
    let weights: Vec<String> = match &fitted.state.type_weights {
        Some(per) => per
            .iter()
            .map(|(n, m)| {
                let ws: Vec<String> = m.iter().map(|(k, w)| format!("{k}:{w}")).collect();
                format!("{n}=[{}]", ws.join(" "))
            })
            .collect(),
        None => fitted
            .state
            .weights
            .iter()
            .map(|(n, w)| format!("{n}={w}"))
            .collect(),
    };
    let summary = format!(
        "fitted {} on {} sentences: weights {}{}; F1 on those sentences {} -> {}",
        fuser.describe(),
        sentences.len(),
        weights.join(","),
        if args.method == NerMethod::SpanVote {
            format!(", threshold {}", fitted.state.threshold)
        } else {
            String::new()
        },
        fitted.fit.map_or("n/a".into(), |f| pct(f.f1)),
        args.output.display()
    );
    let facts = json!({
        "output": args.output,
        "method": fuser.describe(),
        "sentences": sentences.len(),
        "weights": fitted.state.weights,
        "type_weights": fitted.state.type_weights,
        "threshold": json_number(fitted.state.threshold),
        "f1_on_fit_sentences": fitted.fit.map(|f| json_number(100.0 * f.f1)),
    });
    output::report_written(args.json, summary, facts);
    Ok(())
}

fn fuse(args: FuseArgs) -> Result<()> {
    // `load` reads the words file as it reads a gold file; `fuse` never
    // looks at its tags.
    let loaded = load(&args.input, args.words.as_deref())?;
    let fitted = match (&args.fuser, args.method) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the fitted fuser {}", path.display()))?;
            crate::load::expect_kind(&text, path, modelfuse_io::FittedKind::Ner)?;
            FittedNer::from_json(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?
        }
        (None, Some(method)) => {
            if args.settings.learn_weights {
                bail!(
                    "expected no --learn-weights with `ner fuse` (it has no gold); learn with `ner fit`"
                );
            }
            args.settings
                .fuser(method, Mode::Conlleval)
                .fit(&loaded.systems, None, &[])
                .map_err(nlp)?
        }
        (None, None) => bail!("expected --fuser or --method, found neither"),
    };
    let tags = fitted
        .predict(&loaded.systems)
        .map_err(|e| match &args.fuser {
            Some(p) => anyhow!("{}: {e}", p.display()),
            None => nlp(e),
        })?;
    output::write_text(
        &args.output,
        "the fused tags",
        &ner::write_conll(&loaded.tokens, &tags),
    )?;
    let summary = format!(
        "fused {} systems on {} sentences with {} -> {}",
        loaded.systems.names().len(),
        tags.len(),
        fitted.spec.describe(),
        args.output.display()
    );
    let facts = json!({
        "output": args.output,
        "method": fitted.spec.describe(),
        "systems": loaded.systems.names(),
        "sentences": tags.len(),
    });
    output::report_written(args.json, summary, facts);
    Ok(())
}

fn report(args: ReportArgs) -> Result<()> {
    super::check_max_resamples(args.resamples)?;
    let loaded = load(&args.input, args.gold.as_deref())?;
    let gold = loaded.gold()?;
    let mode = Mode::from(args.mode);
    let step = crate::progress::Step::start("fitting every method on each half");
    let report = ner::report(&loaded.systems, &gold, mode, args.seed, args.resamples);
    step.finish();
    let report = report.map_err(nlp)?;
    let mode_name = match mode {
        Mode::Conlleval => "conlleval",
        Mode::Strict => "strict IOB2",
    };
    if args.json {
        print_json(&report_json(&report, mode_name));
    } else {
        print!("{}", report_text(&report, mode_name));
    }
    Ok(())
}

/// The report as JSON: F1 in percent.
fn report_json(report: &NerReport, mode_name: &str) -> Value {
    let directions: Vec<Value> = report
        .directions
        .iter()
        .map(|d| {
            json!({
                "fit_half": d.fit_half,
                "score_half": d.score_half,
                "fit_sentences": d.fit_sentences,
                "score_sentences": d.score_sentences,
                "rows": d.rows.iter().map(|r| json!({
                    "name": r.name,
                    "fused": r.fused,
                    "fit_f1": json_number(100.0 * r.fit_f1),
                    "held_out_f1": json_number(100.0 * r.held_out_f1),
                })).collect::<Vec<_>>(),
                "best_fuser": d.rows[d.best_fuser].name,
                "best_system": d.rows[d.best_system].name,
                "verdict": d.verdict(),
                "gain": {
                    "f1_points": json_number(100.0 * d.gain.gain),
                    "low": json_number(100.0 * d.gain.low),
                    "high": json_number(100.0 * d.gain.high),
                    "p_value": json_number(d.gain.p_value),
                    "resamples": report.resamples,
                },
            })
        })
        .collect();
    json!({
        "systems": report.systems,
        "sentences": report.sentences,
        "mode": mode_name,
        "seed": report.seed,
        "directions": directions,
    })
}

/// The report as text: a table per direction, rows by held-out F1.
fn report_text(report: &NerReport, mode_name: &str) -> String {
    let mut text = format!(
        "{} systems, {} sentences; entity F1 in percent (seqeval {mode_name} mode); halves drawn with seed {}\n",
        report.systems.len(),
        report.sentences,
        report.seed
    );
    for d in &report.directions {
        let (fit_name, score_name) = (d.fit_half, d.score_half);
        text.push_str(&format!(
            "\nfit on half {fit_name} ({} sentences), scored on half {score_name} ({} sentences)\n\n",
            d.fit_sentences, d.score_sentences
        ));
        let mut t = Table::new([
            "fuser / system".to_string(),
            format!("F1 on {fit_name} (fit)"),
            format!("F1 on {score_name} (held out)"),
        ]);
        let rows = &d.rows;
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|&a, &b| {
            rows[b]
                .held_out_f1
                .total_cmp(&rows[a].held_out_f1)
                .then(a.cmp(&b))
        });
        for &i in &order {
            let r = &rows[i];
            let mark = if i == d.best_fuser {
                " [best fuser on fit half]"
            } else if i == d.best_system {
                " [best system on fit half]"
            } else {
                ""
            };
            let label = if r.fused {
                r.name.clone()
            } else {
                format!("{} (system)", r.name)
            };
            t.row(vec![
                format!("{label}{mark}"),
                pct(r.fit_f1),
                pct(r.held_out_f1),
            ]);
        }
        text.push_str(&t.render());
        text.push_str(&format!(
            "\n{}: gain of {} over {} on half {score_name}: {:+.2} F1 points (95% CI {:+.2} to {:+.2}, {}, {} paired bootstrap resamples of sentences)\n",
            d.verdict(),
            rows[d.best_fuser].name,
            rows[d.best_system].name,
            100.0 * d.gain.gain,
            100.0 * d.gain.low,
            100.0 * d.gain.high,
            super::p_text(d.gain.p_value, report.resamples),
            report.resamples
        ));
    }
    text
}
