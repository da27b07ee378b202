//! `modelfuse generate …`: score, fit and fuse generated text (translations
//! and the like) by consensus. Every file is read here; the library does the
//! rest (`modelfuse_nlp::generate`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use modelfuse_nlp::generate::{
    self, Bleu, Candidates, Chrf, FittedMbr, Mbr, ReportSettings, SegmentMetric, SystemOutput,
    Tokenizer, Utility, UtilityMatrices, WeightSearch,
};

use crate::output::{self, json_number, print_json};
use crate::parse::parse_nlp;
use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// Score hypothesis files against a reference: corpus chrF, chrF++ and
    /// BLEU, equal to sacrebleu 2.6.0's defaults.
    Evaluate(EvaluateArgs),
    /// Fuse systems' outputs segment by segment (MBR or majority vote) and
    /// write one line per segment.
    Fuse(FuseArgs),
    /// Learn per-system MBR weights on a development set (maximising corpus
    /// chrF of the selection) and save them as JSON.
    Fit(FitArgs),
    /// Every method's chrF and BLEU beside each system, the best system and
    /// the oracle, with learned weights scored on held-out halves.
    Report(ReportArgs),
}

/// System outputs: plain text (one segment per line) or n-best JSONL.
#[derive(Debug, Args)]
pub struct Inputs {
    /// System output files, or folders of them. A system's name is its file
    /// name without the last extension (and without `.gz`); `.jsonl` files
    /// are n-best lists (`{"candidates": [{"text": …, "score": …}, …]}` per
    /// line).
    #[arg(required = true, value_name = "HYP")]
    pub inputs: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub hyps: Inputs,
    /// The reference, line-aligned with the hypotheses; repeat `--ref` for
    /// several references (scored as sacrebleu scores multiple references).
    #[arg(
        long = "labels",
        visible_alias = "ref",
        value_name = "REF",
        required = true
    )]
    pub reference: Vec<PathBuf>,
    /// BLEU's tokeniser: 13a (default) or zh (Chinese targets).
    #[arg(long, default_value = "13a", value_parser = parse_nlp::<Tokenizer>)]
    pub tokenize: Tokenizer,
    /// Print JSON: `{"chrf": …, "chrf++": …, "bleu": …}` for one hypothesis,
    /// an object of those by system name for several.
    #[arg(long)]
    pub json: bool,
}

/// How candidates are compared.
#[derive(Debug, Args)]
pub struct UtilityArgs {
    /// The MBR utility: chrf (default), bleu, or a pairwise score file (JSONL,
    /// `{"scores": [[…], …]}` per segment; see README).
    #[arg(long, value_name = "chrf|bleu|FILE")]
    pub utility: Option<String>,
    /// BLEU's tokeniser (for `--utility bleu`): 13a or zh.
    #[arg(long, default_value = "13a", value_parser = parse_nlp::<Tokenizer>)]
    pub tokenize: Tokenizer,
    /// Do not count a candidate as its own pseudo-reference.
    #[arg(long)]
    pub no_self: bool,
}

impl UtilityArgs {
    /// The pairwise score file `--utility` names, if it names one.
    pub fn file(&self) -> Option<&Path> {
        self.utility
            .as_deref()
            .filter(|u| u.parse::<Utility>().is_err())
            .map(Path::new)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FuseMethod {
    /// Minimum Bayes risk selection.
    Mbr,
    /// Exact-match majority vote after whitespace normalisation.
    Vote,
}

#[derive(Debug, Args)]
pub struct FuseArgs {
    #[command(flatten)]
    pub hyps: Inputs,
    /// mbr (default) or vote.
    #[arg(long, value_enum, default_value = "mbr")]
    pub method: FuseMethod,
    #[command(flatten)]
    pub utility: UtilityArgs,
    /// A fitted fuser (`generate fit`): its weights and MBR settings.
    #[arg(long, value_name = "FILE")]
    pub fuser: Option<PathBuf>,
    /// Where to write the fused text.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Lines {
    /// Segments 1..=N/2.
    FirstHalf,
    /// Segments N/2+1..=N.
    SecondHalf,
    /// Every segment.
    All,
}

#[derive(Debug, Args)]
pub struct FitArgs {
    #[command(flatten)]
    pub hyps: Inputs,
    /// The reference of the development segments (repeat for several).
    #[arg(
        long = "labels",
        visible_alias = "ref",
        value_name = "REF",
        required = true
    )]
    pub reference: Vec<PathBuf>,
    /// Which segments to fit on.
    #[arg(
        long = "half",
        value_name = "HALF",
        visible_alias = "lines",
        value_enum,
        default_value = "all"
    )]
    pub lines: Lines,
    #[command(flatten)]
    pub utility: UtilityArgs,
    /// Where to save the fitted fuser (JSON).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub hyps: Inputs,
    /// The reference, line-aligned with the hypotheses; repeat `--ref` for
    /// several references (scored as sacrebleu scores multiple references).
    #[arg(
        long = "labels",
        visible_alias = "ref",
        value_name = "REF",
        required = true
    )]
    pub reference: Vec<PathBuf>,
    /// BLEU's tokeniser: 13a (default) or zh (Chinese targets).
    #[arg(long, default_value = "13a", value_parser = parse_nlp::<Tokenizer>)]
    pub tokenize: Tokenizer,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: GenerateCommand) -> Result<()> {
    match command {
        GenerateCommand::Evaluate(a) => evaluate(a),
        GenerateCommand::Fuse(a) => fuse(a),
        GenerateCommand::Fit(a) => fit(a),
        GenerateCommand::Report(a) => report(a),
    }
}

/// A loaded system file: its name, its path and its parsed output.
struct Loaded {
    path: PathBuf,
    output: SystemOutput,
}

/// Files as given, folders expanded to their (non-hidden) files by name.
fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    crate::load::expand_systems(inputs, |_| true, "system files")
}

/// The names with the dot-separated parts every name shares at its start or end
/// removed, as WMT names its files (`generaltest2022.en-de.hyp.<system>.de` →
/// `<system>`). Only whole parts go, so `Online-A` and `Online-B` stay as they are,
/// and each name keeps at least one part; a single name is left whole.
fn shorten_names(names: &[String]) -> Vec<String> {
    if names.len() < 2 {
        return names.to_vec();
    }
    let parts: Vec<Vec<&str>> = names.iter().map(|n| n.split('.').collect()).collect();
    let shortest = parts.iter().map(Vec::len).min().unwrap_or(0);
    let lead = (0..shortest)
        .take_while(|&i| parts.iter().all(|p| p[i] == parts[0][i]))
        .count();
    let trail = (0..shortest)
        .take_while(|&i| {
            let first = parts[0][parts[0].len() - 1 - i];
            parts.iter().all(|p| p[p.len() - 1 - i] == first)
        })
        .count();
    // Keep one part at least: what is shared at both ends cannot all go.
    let lead = lead.min(shortest.saturating_sub(1));
    let trail = trail.min(shortest.saturating_sub(1 + lead));
    parts
        .iter()
        .map(|p| p[lead..p.len() - trail].join("."))
        .collect()
}

fn load_systems(inputs: &[PathBuf]) -> Result<Vec<Loaded>> {
    let mut loaded: Vec<Loaded> = Vec::new();
    let paths = expand(inputs)?;
    let named: Vec<(String, bool)> = paths
        .iter()
        .map(|p| {
            let (name, ext) = modelfuse_io::system_name(p);
            (name, ext == "jsonl")
        })
        .collect();
    let stems: Vec<String> = named.iter().map(|(n, _)| n.clone()).collect();
    let short = shorten_names(&stems);
    for ((path, (_, nbest)), name) in paths.into_iter().zip(named).zip(short) {
        if let Some(other) = loaded.iter().find(|l| l.output.name == name) {
            bail!(
                "{} and {} both name a system {name:?}; rename one",
                other.path.display(),
                path.display()
            );
        }
        let text = modelfuse_io::read_text(&path)?;
        let output = if nbest {
            SystemOutput::from_nbest_jsonl(&name, &text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        } else {
            no_lone_carriage_return(&path, &text)?;
            SystemOutput::from_lines(&name, &text)
        };
        loaded.push(Loaded { path, output });
    }
    Ok(loaded)
}

/// Refuses a carriage return that does not end a line with a line feed (old
/// Mac line endings): read as part of a line, it would merge segments that
/// sacrebleu (Python's universal newlines) reads apart.
fn no_lone_carriage_return(path: &Path, text: &str) -> Result<()> {
    let bytes = text.as_bytes();
    if let Some(at) =
        (0..bytes.len()).find(|&i| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
    {
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        bail!(
            "{}: line {line}: expected lines ending in \\n or \\r\\n, found a carriage return (\\r) alone (old Mac line endings? convert the file to \\n)",
            path.display()
        );
    }
    Ok(())
}

/// Aligns the systems; a misalignment names the files and their line counts.
fn candidates(loaded: Vec<Loaded>) -> Result<Candidates> {
    if let Some(first) = loaded.first() {
        let n = first.output.segments.len();
        if let Some(bad) = loaded.iter().find(|l| l.output.segments.len() != n) {
            bail!(
                "{} has {} lines but {} has {n}; system outputs must be line-aligned (one segment per line)",
                bad.path.display(),
                bad.output.segments.len(),
                first.path.display()
            );
        }
    }
    Ok(Candidates::new(
        loaded.into_iter().map(|l| l.output).collect(),
    )?)
}

/// Reads every reference file; each must have one line per segment.
fn read_references(paths: &[PathBuf], n: usize) -> Result<Vec<Vec<String>>> {
    paths
        .iter()
        .map(|path| {
            let text = crate::load::text(path)?;
            no_lone_carriage_return(path, &text)?;
            let lines: Vec<String> = text.lines().map(str::to_string).collect();
            if lines.len() != n {
                bail!(
                    "{} has {} lines but the hypotheses have {n}; the reference must be line-aligned with them",
                    path.display(),
                    lines.len()
                );
            }
            Ok(lines)
        })
        .collect()
}

/// Reference streams as `refs[stream][segment]` string slices.
fn streams(refs: &[Vec<String>]) -> Vec<Vec<&str>> {
    refs.iter().map(|r| as_strs(r)).collect()
}

fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn evaluate(args: EvaluateArgs) -> Result<()> {
    let loaded = load_systems(&args.hyps.inputs)?;
    let n = loaded[0].output.segments.len();
    let candidates = candidates(loaded)?;
    let refs = read_references(&args.reference, n)?;
    let refs = streams(&refs);
    let refs: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
    let bleu = Bleu::corpus_default(args.tokenize);
    let scores: Vec<(String, [f64; 3])> = candidates
        .systems()
        .iter()
        .zip(candidates.one_best())
        .map(|(name, hyps)| {
            let s = [
                Chrf::CHRF.corpus_multi(&hyps, &refs),
                Chrf::CHRF_PP.corpus_multi(&hyps, &refs),
                bleu.corpus_multi(&hyps, &refs),
            ];
            (name.clone(), s)
        })
        .collect();
    let obj = |s: &[f64; 3]| serde_json::json!({"chrf": json_number(s[0]), "chrf++": json_number(s[1]), "bleu": json_number(s[2])});
    if args.json {
        if let [(_, s)] = scores.as_slice() {
            print_json(&obj(s));
        } else {
            let map: serde_json::Map<String, serde_json::Value> =
                scores.iter().map(|(n, s)| (n.clone(), obj(s))).collect();
            print_json(&serde_json::Value::Object(map));
        }
        return Ok(());
    }
    let mut t = Table::new(["system", "chrF", "chrF++", "BLEU"]);
    for (name, s) in &scores {
        t.row(vec![
            name.clone(),
            format!("{:.2}", s[0]),
            format!("{:.2}", s[1]),
            format!("{:.2}", s[2]),
        ]);
    }
    println!(
        "{n} segments; sacrebleu 2.6.0 signatures: chrF2 nrefs:{}|nc:6|nw:0|space:no, chrF++ nw:2, BLEU tok:{}|smooth:exp\n",
        refs.len(),
        args.tokenize
    );
    print!("{}", t.render());
    Ok(())
}

/// The MBR settings and utility matrices the arguments ask for.
fn matrices(
    u: &UtilityArgs,
    fitted: Option<&Mbr>,
    candidates: &Candidates,
) -> Result<(Mbr, UtilityMatrices)> {
    let (utility, file) = match (fitted.map(|m| m.utility), u.utility.as_deref()) {
        (Some(Utility::Pairwise), Some(f)) | (None, Some(f)) if f.parse::<Utility>().is_err() => {
            (Utility::Pairwise, Some(PathBuf::from(f)))
        }
        (Some(Utility::Pairwise), _) => {
            bail!("the fuser was fitted with pairwise scores: give the score file with --utility")
        }
        (Some(fitted), _) => (fitted, None),
        (None, Some(name)) => match name.parse::<Utility>()? {
            Utility::Bleu { .. } => (
                Utility::Bleu {
                    tokenizer: u.tokenize,
                },
                None,
            ),
            other => (other, None),
        },
        (None, None) => (Utility::Chrf, None),
    };
    let mbr = match fitted {
        Some(m) => Mbr { utility, ..*m },
        None => Mbr {
            utility,
            include_self: !u.no_self,
        },
    };
    let m = match file {
        Some(path) => {
            let text = modelfuse_io::read_text(&path)?;
            UtilityMatrices::from_pairwise_jsonl(&text, &path.display().to_string(), candidates)?
        }
        None => {
            let _step = crate::progress::Step::start("computing the utility matrices");
            UtilityMatrices::compute(utility, candidates)?
        }
    };
    Ok((mbr, m))
}

fn fuse(args: FuseArgs) -> Result<()> {
    let candidates = candidates(load_systems(&args.hyps.inputs)?)?;
    let fitted = match &args.fuser {
        Some(p) => {
            let text = modelfuse_io::read_text(p)?;
            crate::load::expect_kind(&text, p, modelfuse_io::FittedKind::Generate)?;
            Some(
                FittedMbr::from_json(&text)
                    .with_context(|| format!("reading the fuser {}", p.display()))?,
            )
        }
        None => None,
    };
    let s = candidates.systems().len();
    let weights = match &fitted {
        Some(f) => f.weights_for(candidates.systems())?,
        None => vec![1.0 / s as f64; s],
    };
    let fused: Vec<String> = match args.method {
        FuseMethod::Vote => {
            // Ties (nearly every segment of a translation) go to MBR with the chosen utility.
            let (mbr, m) = matrices(&args.utility, fitted.as_ref().map(|f| &f.mbr), &candidates)?;
            generate::vote(&candidates, &weights, &mbr, &m)
        }
        FuseMethod::Mbr => {
            let (mbr, m) = matrices(&args.utility, fitted.as_ref().map(|f| &f.mbr), &candidates)?;
            mbr.predict(&m, &candidates, &weights)
                .into_iter()
                .map(str::to_string)
                .collect()
        }
    };
    write_lines(&args.output, &fused)?;
    output::report_written(
        args.json,
        format!(
            "fused {s} systems on {} segments -> {}",
            candidates.n_segments(),
            args.output.display()
        ),
        serde_json::json!({
            "output": args.output,
            "method": format!("{:?}", args.method).to_lowercase(),
            "systems": candidates.systems(),
            "segments": candidates.n_segments(),
        }),
    );
    Ok(())
}

fn write_lines(path: &Path, lines: &[String]) -> Result<()> {
    output::write(path, "the fused text", |w| {
        for l in lines {
            // A newline inside a candidate (possible in n-best JSON) would
            // break the one-line-per-segment contract; it becomes a space.
            writeln!(w, "{}", l.replace(['\n', '\r'], " "))?;
        }
        Ok(())
    })
}

fn fit(args: FitArgs) -> Result<()> {
    let all = candidates(load_systems(&args.hyps.inputs)?)?;
    let n = all.n_segments();
    let refs = read_references(&args.reference, n)?;
    let [first, second] = generate::halves(n);
    let range = match args.lines {
        Lines::FirstHalf => first,
        Lines::SecondHalf => second,
        Lines::All => 0..n,
    };
    if range.is_empty() {
        return Err(super::nothing_to_fit("--half", args.lines, "segment", n));
    }
    let (mbr, m) = matrices(&args.utility, None, &all)?;
    let dev = all.slice(range.clone());
    let refs: Vec<Vec<&str>> = refs.iter().map(|r| as_strs(&r[range.clone()])).collect();
    let refs: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
    let reference = generate::ReferenceStats::compute(&dev, &refs)?;
    let fitted = WeightSearch::default().fit(&mbr, &m.slice(range.clone()), &dev, &reference)?;
    output::save_text(
        &args.output,
        "writing the fitted weights",
        &(fitted.to_json() + "\n"),
    )?;
    if args.json {
        print_json(&serde_json::to_value(&fitted)?);
    } else {
        println!(
            "fitted MBR ({}, self {}) weights on segments {}..={} ({} segments, in-sample):",
            mbr.utility,
            if mbr.include_self {
                "included"
            } else {
                "excluded"
            },
            range.start + 1,
            range.end,
            range.len()
        );
        let mut t = Table::new(["system", "weight"]);
        for (name, w) in fitted.systems.iter().zip(&fitted.weights) {
            t.row(vec![name.clone(), format!("{w:.4}")]);
        }
        print!("{}", t.render());
        println!(
            "corpus chrF of the selection: {:.2} with uniform weights, {:.2} fitted ({} moves)",
            fitted.fitted_on.chrf_uniform, fitted.fitted_on.chrf_fitted, fitted.fitted_on.rounds
        );
    }
    output::saved(&args.output);
    Ok(())
}

fn report(args: ReportArgs) -> Result<()> {
    let candidates = candidates(load_systems(&args.hyps.inputs)?)?;
    let refs = read_references(&args.reference, candidates.n_segments())?;
    let refs = streams(&refs);
    let refs: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
    let settings = ReportSettings {
        tokenizer: args.tokenize,
        search: WeightSearch::default(),
    };
    let step = crate::progress::Step::start("scoring every method on both halves");
    let r = generate::report(&candidates, &refs, &settings)?;
    step.finish();
    if args.json {
        print_json(&serde_json::to_value(&r)?);
        return Ok(());
    }
    println!(
        "{} systems, {} segments; corpus scores against the reference (BLEU tok:{})\n",
        r.systems.len(),
        r.segments,
        args.tokenize
    );
    let mut t = Table::new(["output", "chrF", "chrF++", "BLEU"]);
    let fmt_row = |row: &generate::Row, label: String| {
        vec![
            label,
            format!("{:.2}", row.chrf),
            format!("{:.2}", row.chrf_pp),
            format!("{:.2}", row.bleu),
        ]
    };
    for row in &r.rows {
        let label = match row.kind {
            generate::RowKind::System if row.name == r.best_single => {
                format!("{} (best system)", row.name)
            }
            generate::RowKind::System => row.name.clone(),
            generate::RowKind::Fusion => format!("[{}]", row.name),
            generate::RowKind::Oracle => "[oracle: best candidate per segment]".to_string(),
        };
        t.row(fmt_row(row, label));
    }
    print!("{}", t.render());
    println!("\nlearned weights, scored on the half they were not fitted on:");
    let mut t = Table::new([
        "fitted on → scored on",
        "learned chrF",
        "uniform chrF",
        "best system chrF",
        "learned BLEU",
        "uniform BLEU",
        "best system BLEU",
    ]);
    for h in &r.held_out {
        let other = if h.fitted_on == "first-half" {
            "second-half"
        } else {
            "first-half"
        };
        t.row(vec![
            format!(
                "{} → {other} ({} segments; best system {})",
                h.fitted_on, h.scored_segments, h.best_single.name
            ),
            format!("{:.2}", h.learned.chrf),
            format!("{:.2}", h.uniform.chrf),
            format!("{:.2}", h.best_single.chrf),
            format!("{:.2}", h.learned.bleu),
            format!("{:.2}", h.uniform.bleu),
            format!("{:.2}", h.best_single.bleu),
        ]);
    }
    print!("{}", t.render());
    println!(
        "\n[mbr-chrf-learned] fuses each half with the weights fitted on the other half (2-fold cross-fitting)."
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::shorten_names;

    fn short(names: &[&str]) -> Vec<String> {
        shorten_names(&names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn wmt_file_names_become_system_names() {
        assert_eq!(
            short(&[
                "generaltest2022.en-de.hyp.JDExploreAcademy",
                "generaltest2022.en-de.hyp.Online-A",
                "generaltest2022.en-de.hyp.Online-B",
            ]),
            ["JDExploreAcademy", "Online-A", "Online-B"]
        );
        // Shared trailing parts go too.
        assert_eq!(short(&["a.out", "b.out"]), ["a", "b"]);
    }

    #[test]
    fn only_whole_parts_go_and_every_name_keeps_one() {
        assert_eq!(short(&["Online-A", "Online-B"]), ["Online-A", "Online-B"]);
        assert_eq!(short(&["x.sys", "x.sys.v2"]), ["sys", "sys.v2"]);
        assert_eq!(short(&["same.a", "same.a.b"]), ["a", "a.b"]);
        assert_eq!(short(&["only.one"]), ["only.one"]);
        assert_eq!(short(&["a", "b"]), ["a", "b"]);
    }
}
