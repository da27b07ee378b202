//! Same inputs and seed, same bytes out — also with a different number of
//! threads. Each command that uses rayon (selection's candidates, bootstrap
//! resamples, cascade chains, the NLP reports) runs with one and with two
//! threads, and its output files and JSON must be byte-identical.

mod common;

use common::repo;
use modelfuse_testdata::Set;

use std::path::Path;

use assert_cmd::Command;

fn example(part: &str) -> String {
    repo().join("examples").join(part).display().to_string()
}

/// A file of a real third-party dataset (read from `../shared/data`).
fn data(set: modelfuse_testdata::Set, part: &str) -> String {
    common::data(set, part).display().to_string()
}

/// Runs `args` with `threads` rayon threads in `dir`; returns stdout and the
/// bytes of every output file the command wrote (`outputs`, relative to
/// `dir`).
fn run(dir: &Path, threads: &str, args: &[String], outputs: &[&str]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let out = Command::cargo_bin("modelfuse")
        .unwrap()
        .current_dir(dir)
        .env("RAYON_NUM_THREADS", threads)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = outputs
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    (out.stdout, files)
}

fn same_with_one_and_two_threads(args: &[&str], outputs: &[&str]) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let a = run(one.path(), "1", &args, outputs);
    let b = run(two.path(), "2", &args, outputs);
    assert!(
        a.0 == b.0,
        "{args:?}: stdout differs between 1 and 2 threads"
    );
    for (f, (x, y)) in outputs.iter().zip(a.1.iter().zip(&b.1)) {
        assert!(x == y, "{args:?}: {f} differs between 1 and 2 threads");
    }
}

#[test]
fn selection_and_verdicts_do_not_depend_on_threads() {
    let val = data(Set::Figqa, "val");
    let labels = data(Set::Figqa, "val.labels.csv");
    same_with_one_and_two_threads(
        &[
            "fit",
            &val,
            "--labels",
            &labels,
            "--method",
            "selection",
            "--bags",
            "5",
            "-o",
            "sel.json",
            "--json",
        ],
        &["sel.json"],
    );
}

#[test]
fn cascades_do_not_depend_on_threads() {
    let models = [
        "tfidf_word_logreg",
        "tfidf_char_svm",
        "word_counts_nb",
        "minilm_logreg",
    ];
    let mut args: Vec<String> = vec!["cascade".into(), "fit".into()];
    args.extend(
        models
            .iter()
            .map(|m| example(&format!("banking77/val/{m}.parquet"))),
    );
    args.extend([
        "--labels".into(),
        example("banking77/val.labels.csv"),
        "--costs".into(),
        example("banking77/costs.json"),
        "-o".into(),
        "cascade.json".into(),
        "--json".into(),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    same_with_one_and_two_threads(&refs, &["cascade.json"]);
}

#[test]
fn nlp_reports_do_not_depend_on_threads() {
    let systems = data(Set::Wnut17, "systems");
    let gold = data(Set::Wnut17, "gold.conll");
    same_with_one_and_two_threads(&["ner", "report", &systems, "--gold", &gold, "--json"], &[]);
    // QA on a slice of SQuAD would need the files split; the whole report
    // runs in seconds in release builds but longer in debug, so here: fuse.
    let preds = data(Set::Squad11, "predictions");
    same_with_one_and_two_threads(
        &[
            "qa",
            "fuse",
            &preds,
            "--method",
            "consensus",
            "-o",
            "fused.json",
        ],
        &["fused.json"],
    );
}
