//! Real third-party data for modelfuse's tests, benches and walkthroughs.
//!
//! The repository commits only what the project made itself (predictions of models it
//! trained, splits and ids it derived, golden values it computed, synthetic fixtures).
//! Datasets copied from public repositories — gold annotations, other systems' outputs —
//! live outside it, in the layout of `../shared/data/<set>/`:
//!
//! 1. `$MODELFUSE_DATA/<set>/` when the environment variable [`ENV`] is set (and then only
//!    there, so a wrong path is an error rather than a silent fallback);
//! 2. otherwise `../shared/data/<set>/` beside the checkout (developer machines and CI);
//! 3. otherwise `examples/<set>/data/original/`, where `examples/get-data.sh` stages the
//!    files it downloaded from each dataset's public source.
//!
//! [`source`] finds a dataset's folder; [`prepared`] lays it out, once per process and
//! cached under `target/testdata/`, in the shape the tests and the README use (the
//! `modelfuse` dataset-folder layout, renamed system files, the slices the golden values
//! were computed on). [`layout`] is that step on its own; `examples/get-data.sh` runs it
//! through the `modelfuse-data` binary, so a user's `examples/<set>/data/` and the tests'
//! copy are made by the same code.
//!
//! A test that needs real data never passes silently without it: [`source`] and
//! [`prepared`] panic with the missing file and how to get it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The environment variable that points at a folder of datasets (`<dir>/<set>/…`).
pub const ENV: &str = "MODELFUSE_DATA";

/// Bumped whenever [`layout`] changes what it writes, so cached copies are remade.
const LAYOUT_VERSION: u32 = 1;

/// Fig-QA's validation/test split, derived here (pairs kept together; see
/// `examples/figqa/PROVENANCE.md`): `id,half` for each of the 1,094 items.
const FIGQA_SPLIT: &str = include_str!("../../../examples/figqa/split.csv");

/// The 600 SQuAD v1.1 dev question ids of the strided-window subset (a seeded sample, see
/// `examples/squad11/PROVENANCE.md`).
const SQUAD_SUBSET_IDS: &str = include_str!("../../../examples/squad11/windows/subset-ids.txt");

/// The four models of Fig-QA, in ExplainaBoard's file names.
const FIGQA_MODELS: [&str; 4] = ["bert", "roberta", "gpt2", "gptneo"];

/// WNUT-17 systems: the name used here and the file under `submissions/`.
const WNUT17_SYSTEMS: [(&str, &str); 7] = [
    ("arcada", "arcada"),
    ("drexel_cci", "drexel_cci"),
    ("flytxt", "flytxt"),
    ("mic-cis", "mic-cis.txt"),
    ("sjtu_adapt", "sjtu_adapt.txt"),
    ("spinningbytes", "spinningbytes.txt"),
    ("uh_ritual", "uh_ritual"),
];

/// SQuAD v1.1 leaderboard systems (file stems under `predictions_1.1/`).
const SQUAD_SYSTEMS: [&str; 5] = [
    "bert_ensemble_google",
    "logistic_regression_stanford",
    "match_lstm_ensemble_smu",
    "rnet_plus_ensemble_msra",
    "slqa_plus_ensemble_alibaba",
];

/// WMT22 directions and how many segments (from the start) the tests use: the golden
/// values were computed with sacrebleu on these slices.
const WMT22_SLICES: [(&str, usize); 4] = [
    ("en-de", 250),
    ("de-en", 250),
    ("zh-en", 250),
    ("en-zh", 100),
];

/// A dataset that [`layout`] knows how to lay out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Set {
    /// Fig-QA: four models' option choices and the gold options (ExplainaBoard).
    Figqa,
    /// WNUT-17 emerging entities: gold test tags and seven shared-task systems.
    Wnut17,
    /// SQuAD v1.1 dev: the dataset and five leaderboard systems' answers.
    Squad11,
    /// WMT22 general task: system outputs and references for four directions.
    Wmt22,
}

impl Set {
    /// Every set, in name order.
    pub const ALL: [Set; 4] = [Set::Figqa, Set::Squad11, Set::Wmt22, Set::Wnut17];

    /// The folder name (`../shared/data/<name>`, `examples/<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Set::Figqa => "figqa",
            Set::Wnut17 => "wnut17",
            Set::Squad11 => "squad11",
            Set::Wmt22 => "wmt22",
        }
    }

    /// The set of this name.
    pub fn from_name(name: &str) -> Option<Set> {
        Set::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Source files that must be present (relative to the set's folder). A set may have
    /// alternatives (SQuAD's dev file): each inner list needs one of its entries.
    fn required(self) -> Vec<Vec<String>> {
        let one = |p: &str| vec![p.to_string()];
        match self {
            Set::Figqa => std::iter::once("dataset")
                .chain(FIGQA_MODELS)
                .map(|m| one(&figqa_file(m)))
                .collect(),
            Set::Wnut17 => std::iter::once(one("emerging.test.annotated"))
                .chain(
                    WNUT17_SYSTEMS
                        .iter()
                        .map(|(_, f)| one(&format!("submissions/{f}"))),
                )
                .collect(),
            Set::Squad11 => std::iter::once(vec![
                "dev-1.1.rebuilt.json.gz".to_string(),
                "dev-v1.1.json".to_string(),
            ])
            .chain(
                SQUAD_SYSTEMS
                    .iter()
                    .map(|s| one(&format!("predictions_1.1/{s}.json"))),
            )
            .collect(),
            Set::Wmt22 => WMT22_SLICES
                .iter()
                .flat_map(|(pair, _)| {
                    let tgt = target_lang(pair);
                    ["A", "B"].map(|r| one(&format!("{pair}/generaltest2022.{pair}.ref.{r}.{tgt}")))
                })
                .collect(),
        }
    }
}

/// Where ExplainaBoard's Fig-QA files are: `fig_qa-dataset.json` and the models'
/// `fig_qa-<model>-output.json`.
fn figqa_file(name: &str) -> String {
    match name {
        "dataset" => "original/fig_qa-dataset.json".to_string(),
        model => format!("original/fig_qa-{model}-output.json"),
    }
}

fn target_lang(pair: &str) -> &str {
    pair.split_once('-').map_or(pair, |(_, t)| t)
}

/// What went wrong while laying out a dataset: the file and what was expected.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl Error {
    /// An error with this message.
    pub fn from_message(message: String) -> Error {
        Error(message)
    }
}

type Result<T> = std::result::Result<T, Error>;

fn io_err(path: &Path, what: &str, e: io::Error) -> Error {
    Error(format!("{what} {}: {e}", path.display()))
}

fn bad(path: &Path, what: impl fmt::Display) -> Error {
    Error(format!("{}: {what}", path.display()))
}

/// The repository root (where `examples/` is).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The folders that may hold `set`, in the order they are tried.
fn candidates(set: Set) -> Vec<PathBuf> {
    match std::env::var_os(ENV) {
        Some(dir) if !dir.is_empty() => vec![PathBuf::from(dir).join(set.name())],
        _ => vec![
            repo().join("../shared/data").join(set.name()),
            repo()
                .join("examples")
                .join(set.name())
                .join("data/original"),
        ],
    }
}

/// The first required file missing from `dir`, if any.
fn first_missing(set: Set, dir: &Path) -> Option<PathBuf> {
    set.required()
        .into_iter()
        .find(|alts| !alts.iter().any(|p| dir.join(p).is_file()))
        .map(|alts| dir.join(&alts[0]))
}

/// The folder holding `set`'s source files (the layout of `../shared/data/<set>/`).
///
/// # Panics
///
/// When no candidate folder holds every file the set needs: the message names the
/// missing file and how to get it, so a test needing real data fails rather than
/// silently passing.
pub fn source(set: Set) -> PathBuf {
    let tried = candidates(set);
    if let Some(dir) = tried.iter().find(|d| first_missing(set, d).is_none()) {
        return dir.clone();
    }
    let missing = first_missing(set, &tried[0]).expect("the first candidate lacks a file");
    panic!(
        "real data missing: {}\n\
         This test reads the {name} dataset, which is not committed (real third-party data \
         stays outside the repository; see examples/{name}/PROVENANCE.md). Looked in: {}.\n\
         Get it with `examples/get-data.sh {name}`, or set {ENV} to a folder holding {name}/.",
        missing.display(),
        tried
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        name = set.name(),
    );
}

/// `set` laid out as the tests and README use it (see [`layout`]), made once per process
/// and cached under `target/testdata/`.
///
/// # Panics
///
/// When the data is missing (see [`source`]) or cannot be laid out.
pub fn prepared(set: Set) -> PathBuf {
    static DONE: Mutex<BTreeMap<Set, PathBuf>> = Mutex::new(BTreeMap::new());
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(dir) = done.get(&set) {
        return dir.clone();
    }
    let from = source(set);
    let dir = prepare_cached(set, &from).unwrap_or_else(|e| {
        panic!(
            "laying out the {} dataset from {}: {e}",
            set.name(),
            from.display()
        )
    });
    done.insert(set, dir.clone());
    dir
}

/// Fig-QA as a `modelfuse` dataset folder: `val/<model>.csv`, `test/<model>.csv` (`id,label`),
/// `val.labels.csv`, `test.labels.csv`.
pub fn figqa() -> PathBuf {
    prepared(Set::Figqa)
}

/// WNUT-17: `gold.conll`, `systems/<system>.conll`, `test_merged_7systems.tsv`.
pub fn wnut17() -> PathBuf {
    prepared(Set::Wnut17)
}

/// SQuAD v1.1: `dev-v1.1.json`, `predictions/<system>.json`, `windows/dev-subset.json`.
pub fn squad11() -> PathBuf {
    prepared(Set::Squad11)
}

/// WMT22 slices: `<pair>/hyp/<system>.<lang>`, `<pair>/ref.{A,B}.<lang>`.
pub fn wmt22() -> PathBuf {
    prepared(Set::Wmt22)
}

/// Fig-QA as read from its source files: every item, in the dataset's order (the id of
/// an item is its position).
#[derive(Clone, Debug)]
pub struct FigQaItems {
    /// The right option (0 or 1) of each item.
    pub gold: Vec<u64>,
    /// Each model's chosen option per item: bert, roberta, gpt2, gptneo.
    pub models: Vec<(&'static str, Vec<u64>)>,
}

/// Fig-QA's gold options and the four models' choices, all 1,094 items.
///
/// # Panics
///
/// When the data is missing (see [`source`]) or malformed.
pub fn figqa_items() -> FigQaItems {
    let from = source(Set::Figqa);
    read_figqa(&from).unwrap_or_else(|e| panic!("reading Fig-QA from {}: {e}", from.display()))
}

fn read_figqa(from: &Path) -> Result<FigQaItems> {
    let gold = option_indices(&from.join(figqa_file("dataset")), "answers")?;
    let mut models = Vec::new();
    for m in FIGQA_MODELS {
        let path = from.join(figqa_file(m));
        let picks = option_indices(&path, "predicted_answers")?;
        if picks.len() != gold.len() {
            return Err(bad(
                &path,
                format!("{} items, the dataset has {}", picks.len(), gold.len()),
            ));
        }
        models.push((m, picks));
    }
    Ok(FigQaItems { gold, models })
}

/// Lays out into a fresh folder, then renames it into place, so a concurrent test process
/// never sees a half-made copy; a copy already in place is reused.
fn prepare_cached(set: Set, from: &Path) -> Result<PathBuf> {
    let base = repo().join("target/testdata");
    let key = fnv1a(format!("{LAYOUT_VERSION}\0{}", from.display()).as_bytes());
    let dir = base.join(format!("{}-{key:016x}", set.name()));
    if dir.join(".complete").is_file() {
        return Ok(dir);
    }
    fs::create_dir_all(&base).map_err(|e| io_err(&base, "creating", e))?;
    let tmp = base.join(format!(
        ".{}-{key:016x}.{}.tmp",
        set.name(),
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&tmp);
    layout(set, from, &tmp)?;
    write(&tmp.join(".complete"), b"")?;
    if fs::rename(&tmp, &dir).is_err() {
        // Another process got there first; its copy is complete (it renames last).
        let _ = fs::remove_dir_all(&tmp);
        if !dir.join(".complete").is_file() {
            return Err(Error(format!(
                "could not move {} into place",
                dir.display()
            )));
        }
    }
    Ok(dir)
}

/// 64-bit FNV-1a: a stable name for a cached copy (not a checksum of the data).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Lays out `set` from `from` (the layout of `../shared/data/<set>/`) into `to`, which
/// must not exist yet or be empty:
///
/// - **figqa**: the `modelfuse` dataset folder, split by `examples/figqa/split.csv`;
/// - **wnut17**: `gold.conll` (the annotated test file), `systems/<system>.conll` (the
///   submissions, bytes unchanged), `test_merged_7systems.tsv` (one row per token:
///   `sent_id tok_id token gold <systems…>`);
/// - **squad11**: `dev-v1.1.json`, `predictions/<system>.json` (bytes unchanged),
///   `windows/dev-subset.json` (the dev set restricted to the 600 questions of
///   `examples/squad11/windows/subset-ids.txt`);
/// - **wmt22**: the first 250 segments (100 for en-zh) of every system output and both
///   references, as `<pair>/hyp/<system>.<lang>` and `<pair>/ref.{A,B}.<lang>`.
///
/// # Errors
///
/// When a source file is missing or not in the expected format, naming it.
pub fn layout(set: Set, from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).map_err(|e| io_err(to, "creating", e))?;
    match set {
        Set::Figqa => layout_figqa(from, to),
        Set::Wnut17 => layout_wnut17(from, to),
        Set::Squad11 => layout_squad11(from, to),
        Set::Wmt22 => layout_wmt22(from, to),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| io_err(path, "reading", e))
}

fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read(path)?).map_err(|_| bad(path, "expected UTF-8 text"))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| io_err(dir, "creating", e))?;
    }
    fs::write(path, bytes).map_err(|e| io_err(path, "writing", e))
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    write(to, &read(from)?)
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    serde_json::from_slice(&read(path)?).map_err(|e| bad(path, format!("invalid JSON: {e}")))
}

/// `items[i].<outer>.option_index` for an ExplainaBoard Fig-QA file.
fn option_indices(path: &Path, outer: &str) -> Result<Vec<u64>> {
    let json = read_json(path)?;
    let items = json
        .as_array()
        .ok_or_else(|| bad(path, "expected a JSON array of items"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.get(outer)
                .and_then(|a| a.get("option_index"))
                .and_then(serde_json::Value::as_u64)
                .ok_or_else(|| bad(path, format!("item {i}: no {outer}.option_index")))
        })
        .collect()
}

fn layout_figqa(from: &Path, to: &Path) -> Result<()> {
    let FigQaItems { gold, models } = read_figqa(from)?;
    let mut halves: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for line in FIGQA_SPLIT.lines().skip(1) {
        let (id, half) = line.split_once(',').expect("split.csv rows are `id,half`");
        let id: usize = id.parse().expect("split.csv ids are numbers");
        halves.entry(half).or_default().push(id);
    }
    if halves.values().map(Vec::len).sum::<usize>() != gold.len() {
        return Err(Error(format!(
            "examples/figqa/split.csv splits {} items, the dataset has {}",
            halves.values().map(Vec::len).sum::<usize>(),
            gold.len()
        )));
    }
    let table = |ids: &[usize], values: &[u64]| {
        let mut s = String::from("id,label\n");
        for &i in ids {
            s.push_str(&format!("{i},{}\n", values[i]));
        }
        s
    };
    for (half, ids) in &halves {
        write(
            &to.join(format!("{half}.labels.csv")),
            table(ids, &gold).as_bytes(),
        )?;
        for (m, picks) in &models {
            write(
                &to.join(format!("{half}/{m}.csv")),
                table(ids, picks).as_bytes(),
            )?;
        }
    }
    Ok(())
}

/// A CoNLL file's sentences as (token, tag) rows; columns split on whitespace (the
/// submissions use spaces or tabs and CRLF), the tag is the last column.
fn conll_rows(path: &Path) -> Result<Vec<Vec<(String, String)>>> {
    let text = read_text(path)?;
    let mut sentences = vec![Vec::new()];
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !sentences.last().is_some_and(Vec::is_empty) {
                sentences.push(Vec::new());
            }
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(token), Some(tag)) = (fields.first(), fields.last()) else {
            return Err(bad(path, format!("line {}: expected `token tag`", n + 1)));
        };
        let row = ((*token).to_string(), (*tag).to_string());
        sentences.last_mut().expect("never empty").push(row);
    }
    if sentences.last().is_some_and(Vec::is_empty) {
        sentences.pop();
    }
    Ok(sentences)
}

fn layout_wnut17(from: &Path, to: &Path) -> Result<()> {
    let gold_path = from.join("emerging.test.annotated");
    copy(&gold_path, &to.join("gold.conll"))?;
    let gold = conll_rows(&gold_path)?;
    let mut header = String::from("sent_id\ttok_id\ttoken\tgold");
    let mut systems = Vec::new();
    for (name, file) in WNUT17_SYSTEMS {
        let path = from.join("submissions").join(file);
        copy(&path, &to.join(format!("systems/{name}.conll")))?;
        let rows = conll_rows(&path)?;
        let lengths = |s: &[Vec<(String, String)>]| s.iter().map(Vec::len).collect::<Vec<_>>();
        if lengths(&rows) != lengths(&gold) {
            return Err(bad(
                &path,
                "sentences or tokens do not align with the gold file",
            ));
        }
        header.push('\t');
        header.push_str(name);
        systems.push(rows);
    }
    let mut tsv = header + "\n";
    for (s, sentence) in gold.iter().enumerate() {
        for (t, (token, tag)) in sentence.iter().enumerate() {
            tsv.push_str(&format!("{s}\t{t}\t{token}\t{tag}"));
            for system in &systems {
                tsv.push('\t');
                tsv.push_str(&system[s][t].1);
            }
            tsv.push('\n');
        }
    }
    write(&to.join("test_merged_7systems.tsv"), tsv.as_bytes())
}

fn gunzip(path: &Path) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&read(path)?[..])
        .read_to_end(&mut out)
        .map_err(|e| bad(path, format!("not a gzip file: {e}")))?;
    Ok(out)
}

fn layout_squad11(from: &Path, to: &Path) -> Result<()> {
    let rebuilt = from.join("dev-1.1.rebuilt.json.gz");
    let (dev_path, dev) = if rebuilt.is_file() {
        let bytes = gunzip(&rebuilt)?;
        (rebuilt, bytes)
    } else {
        let official = from.join("dev-v1.1.json");
        let bytes = read(&official)?;
        (official, bytes)
    };
    write(&to.join("dev-v1.1.json"), &dev)?;
    for s in SQUAD_SYSTEMS {
        copy(
            &from.join(format!("predictions_1.1/{s}.json")),
            &to.join(format!("predictions/{s}.json")),
        )?;
    }
    let dataset: serde_json::Value =
        serde_json::from_slice(&dev).map_err(|e| bad(&dev_path, format!("invalid JSON: {e}")))?;
    let subset = squad_subset(&dataset, &SQUAD_SUBSET_IDS.lines().collect())
        .map_err(|what| bad(&dev_path, what))?;
    let text = serde_json::to_vec(&subset).expect("a JSON value serialises");
    write(&to.join("windows/dev-subset.json"), &text)
}

/// The dataset restricted to the questions in `ids`: articles and paragraphs without any
/// of them are dropped, the others keep their context and only those questions.
fn squad_subset(
    dataset: &serde_json::Value,
    ids: &BTreeSet<&str>,
) -> std::result::Result<serde_json::Value, String> {
    use serde_json::Value;
    let articles = dataset
        .get("data")
        .and_then(Value::as_array)
        .ok_or("expected a SQuAD dataset (`data`: [articles])")?;
    let mut kept_articles = Vec::new();
    let mut found = 0;
    for article in articles {
        let mut kept_paragraphs = Vec::new();
        let paragraphs = article.get("paragraphs").and_then(Value::as_array);
        for paragraph in paragraphs.into_iter().flatten() {
            let qas: Vec<Value> = paragraph
                .get("qas")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|q| {
                    q.get("id")
                        .and_then(Value::as_str)
                        .is_some_and(|id| ids.contains(id))
                })
                .cloned()
                .collect();
            if !qas.is_empty() {
                found += qas.len();
                let mut p = paragraph.clone();
                p["qas"] = Value::Array(qas);
                kept_paragraphs.push(p);
            }
        }
        if !kept_paragraphs.is_empty() {
            let mut a = article.clone();
            a["paragraphs"] = Value::Array(kept_paragraphs);
            kept_articles.push(a);
        }
    }
    if found != ids.len() {
        return Err(format!(
            "holds {found} of the {} questions of the window subset",
            ids.len()
        ));
    }
    let mut out = dataset.clone();
    out["data"] = Value::Array(kept_articles);
    Ok(out)
}

/// The first `n` lines of `text`, each with its line end (as `head -n`).
fn head(text: &[u8], n: usize) -> &[u8] {
    let end = text
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(n.saturating_sub(1))
        .map_or(text.len(), |(i, _)| i + 1);
    if n == 0 { &text[..0] } else { &text[..end] }
}

fn layout_wmt22(from: &Path, to: &Path) -> Result<()> {
    for (pair, n) in WMT22_SLICES {
        let tgt = target_lang(pair);
        let dir = from.join(pair);
        let prefix = format!("generaltest2022.{pair}.hyp.");
        let entries = fs::read_dir(&dir).map_err(|e| io_err(&dir, "listing", e))?;
        let mut systems = BTreeSet::new();
        for entry in entries {
            let name = entry.map_err(|e| io_err(&dir, "listing", e))?.file_name();
            let name = name.to_string_lossy();
            if let Some(sys) = name
                .strip_prefix(&prefix)
                .and_then(|s| s.strip_suffix(&format!(".{tgt}")))
            {
                systems.insert(sys.to_string());
            }
        }
        if systems.is_empty() {
            return Err(bad(
                &dir,
                format!("no system outputs `{prefix}<system>.{tgt}`"),
            ));
        }
        for sys in &systems {
            let text = read(&dir.join(format!("{prefix}{sys}.{tgt}")))?;
            write(&to.join(format!("{pair}/hyp/{sys}.{tgt}")), head(&text, n))?;
        }
        for r in ["A", "B"] {
            let text = read(&dir.join(format!("generaltest2022.{pair}.ref.{r}.{tgt}")))?;
            write(&to.join(format!("{pair}/ref.{r}.{tgt}")), head(&text, n))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_keeps_line_ends_like_head_n() {
        assert_eq!(head(b"a\nb\nc\n", 2), b"a\nb\n");
        assert_eq!(head(b"a\nb", 5), b"a\nb");
        assert_eq!(head(b"a\nb\n", 0), b"");
        assert_eq!(head(b"a\r\nb\r\n", 1), b"a\r\n");
    }

    #[test]
    fn conll_rows_split_sentences_on_blank_lines_and_read_crlf() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.conll");
        fs::write(&p, "a O\r\nb B-x\r\n\r\n\r\nc\tO\r\n").unwrap();
        let rows = conll_rows(&p).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][1], ("b".to_string(), "B-x".to_string()));
        assert_eq!(rows[1][0], ("c".to_string(), "O".to_string()));
    }

    #[test]
    fn squad_subset_keeps_only_the_asked_questions_and_says_when_some_are_missing() {
        let d: serde_json::Value = serde_json::from_str(
            r#"{"version":"1.1","data":[
                {"title":"a","paragraphs":[{"context":"x","qas":[{"id":"1"},{"id":"2"}]},
                                           {"context":"y","qas":[{"id":"3"}]}]},
                {"title":"b","paragraphs":[{"context":"z","qas":[{"id":"4"}]}]}]}"#,
        )
        .unwrap();
        let sub = squad_subset(&d, &["2", "4"].into_iter().collect()).unwrap();
        assert_eq!(sub["data"][0]["paragraphs"].as_array().unwrap().len(), 1);
        assert_eq!(sub["data"][0]["paragraphs"][0]["qas"][0]["id"], "2");
        assert_eq!(sub["data"][1]["title"], "b");
        let err = squad_subset(&d, &["2", "9"].into_iter().collect()).unwrap_err();
        assert!(err.contains("1 of the 2"), "{err}");
    }

    #[test]
    fn a_missing_dataset_fails_with_the_file_and_how_to_get_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = first_missing(Set::Figqa, dir.path()).unwrap();
        assert!(missing.ends_with("original/fig_qa-dataset.json"));
        let err = layout(Set::Wnut17, dir.path(), &dir.path().join("out")).unwrap_err();
        assert!(err.to_string().contains("emerging.test.annotated"), "{err}");
    }

    #[test]
    fn figqa_split_covers_every_item_once() {
        let ids: BTreeSet<usize> = FIGQA_SPLIT
            .lines()
            .skip(1)
            .map(|l| l.split_once(',').unwrap().0.parse().unwrap())
            .collect();
        assert_eq!(ids.len(), 1094);
        assert_eq!(ids.iter().next_back(), Some(&1093));
    }
}
