//! End-to-end tests of windowed inputs (issue 7): NER tag probabilities per
//! sliding window of a sentence (`ner … --window-merge`) and QA n-best lists
//! per strided window of a context (`qa … --window-merge`), on the bundled
//! real outputs (`examples/wnut17/taggers`, `examples/squad11/windows`, scored
//! against the WNUT-17 and SQuAD gold read from `../shared/data`) and on bad input.

mod common;

use common::{bad_input, data, example, modelfuse, stdout_of, write};
use modelfuse_testdata::Set;

use serde_json::Value;

fn json(cmd: &mut assert_cmd::Command) -> Value {
    serde_json::from_str(&stdout_of(cmd)).unwrap()
}

fn ner_f1(args: &[&str]) -> Value {
    json(
        modelfuse()
            .args(["ner", "evaluate"])
            .args(args)
            .arg("--gold")
            .arg(data(Set::Wnut17, "gold.conll"))
            .arg("--json"),
    )
}

#[test]
fn ner_max_context_recovers_the_whole_sentence_taggers() {
    // The taggers look two words either side; windows of 8 every 4 words
    // give every word a window with two words of context on each side, so
    // max-context must give exactly the whole-sentence outputs.
    let whole = ner_f1(&[example("wnut17/taggers/whole").to_str().unwrap()]);
    let strided = example("wnut17/taggers/strided");
    let max = ner_f1(&[strided.to_str().unwrap(), "--window-merge", "max-context"]);
    assert_eq!(whole, max);
    assert!((whole["lr_wide"]["f1"].as_f64().unwrap() - 18.40).abs() < 0.005);
    // The plain mean lets edge words' poorer distributions in: lower F1.
    let mean = ner_f1(&[strided.to_str().unwrap(), "--window-merge", "mean"]);
    for (tagger, f1) in [
        ("lr_narrow", 12.70),
        ("lr_shape", 13.66),
        ("lr_wide", 17.19),
    ] {
        let got = mean[tagger]["f1"].as_f64().unwrap();
        assert!((got - f1).abs() < 0.005, "{tagger}: {got}");
    }
}

#[test]
fn ner_fuse_merged_windows_with_words_from_the_gold() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fused.conll");
    stdout_of(
        modelfuse()
            .args(["ner", "fuse"])
            .arg(example("wnut17/taggers/strided"))
            .arg("--words")
            .arg(data(Set::Wnut17, "gold.conll"))
            .args(["--method", "viterbi", "-o"])
            .arg(&out),
    );
    let f1 = ner_f1(&[out.to_str().unwrap()])["f1"].as_f64().unwrap();
    // Viterbi over the three merged taggers beats the best of them (18.40).
    assert!((f1 - 18.87).abs() < 0.005, "{f1}");
}

/// A two-sentence gold and one tagger's probabilities, as whole sentences
/// and as windows.
const GOLD: &str = "John B-PER\nlives O\nin O\nParis B-LOC\n\nAnn B-PER\nsings O\n\n";
const WHOLE: &str = r#"{"offsets": [[0, 4], [5, 10], [11, 13], [14, 19]], "tags": ["O", "B-PER", "B-LOC"], "probs": [[0.2, 0.7, 0.1], [0.9, 0.05, 0.05], [0.6, 0.3, 0.1], [0.3, 0.1, 0.6]]}
{"offsets": [[0, 3], [4, 9]], "tags": ["O", "B-PER", "B-LOC"], "probs": [[0.4, 0.5, 0.1], [0.8, 0.1, 0.1]]}
"#;

fn one_window_each() -> String {
    let mut out = String::new();
    for (i, (line, words)) in WHOLE
        .lines()
        .zip([r#"["John", "lives", "in", "Paris"]"#, r#"["Ann", "sings"]"#])
        .enumerate()
    {
        out.push_str(&line.replacen(
            '{',
            &format!("{{\"sentence\": {i}, \"start\": 0, \"words\": {words}, "),
            1,
        ));
        out.push('\n');
    }
    out
}

#[test]
fn ner_one_window_per_sentence_is_the_sentence_file() {
    let dir = tempfile::tempdir().unwrap();
    let gold = write(dir.path(), "gold.conll", GOLD);
    let whole = write(dir.path(), "whole.jsonl", WHOLE);
    let windows = write(dir.path(), "windows.jsonl", &one_window_each());
    let run = |file: &std::path::Path, rule: &str| {
        stdout_of(
            modelfuse()
                .args(["ner", "evaluate"])
                .arg(file)
                .arg("--gold")
                .arg(&gold)
                .args(["--json", "--window-merge", rule]),
        )
    };
    for rule in ["mean", "centre", "max-context", "first"] {
        assert_eq!(run(&windows, rule), run(&whole, rule), "{rule}");
    }
}

#[test]
fn ner_bad_windows_name_file_line_sentence_and_word() {
    let dir = tempfile::tempdir().unwrap();
    let gold = write(dir.path(), "gold.conll", GOLD);
    let good = one_window_each();
    let run = |text: &str| {
        let f = write(dir.path(), "w.jsonl", text);
        bad_input(
            modelfuse()
                .args(["ner", "evaluate"])
                .arg(&f)
                .arg("--gold")
                .arg(&gold),
        )
    };
    let f = dir.path().join("w.jsonl").display().to_string();
    // The second sentence's window covers only "Ann".
    let short = good
        .replace(r#"["Ann", "sings"]"#, r#"["Ann"]"#)
        .replace("[[0, 3], [4, 9]]", "[[0, 3]]")
        .replace("[[0.4, 0.5, 0.1], [0.8, 0.1, 0.1]]", "[[0.4, 0.5, 0.1]]");
    assert_eq!(
        run(&short),
        format!(
            "error: {f}: sentence 1: expected every word covered by a window, found word 1 ('sings') in none\n"
        )
    );
    let wrong = good.replace("\"Paris\"", "\"Rome\"");
    assert_eq!(
        run(&wrong),
        format!(
            "error: {f}:1: sentence 0: word 3: expected 'Paris' (as in the reference), found 'Rome'\n"
        )
    );
    let unnormalised = good.replace("[0.8, 0.1, 0.1]", "[0.8, 0.1, 0.5]");
    assert!(
        run(&unnormalised).contains(":2: subtoken 1: expected probabilities summing to 1"),
        "{unnormalised}"
    );
}

fn squad(part: &str) -> String {
    example("squad11/windows").join(part).display().to_string()
}

fn qa_scores(args: &[&str]) -> Value {
    json(
        modelfuse().args(["qa", "evaluate"]).args(args).args([
            "--dataset",
            &data(Set::Squad11, "windows/dev-subset.json")
                .display()
                .to_string(),
            "--json",
        ]),
    )
}

#[test]
fn qa_best_span_across_windows_beats_the_first_window() {
    let system = squad("strided/lex_typed.jsonl.gz");
    let max = qa_scores(&[&system, "--window-merge", "max"]);
    let whole = qa_scores(&[&squad("whole/lex_typed.json.gz")]);
    // The baseline looks at most 10 words from a span; windows of 40 words
    // every 20 show every span with that much context, so the best span
    // across windows is the whole-context answer.
    assert_eq!(max, whole);
    assert!((max["exact_match"].as_f64().unwrap() - 12.0).abs() < 1e-9);
    let first = qa_scores(&[&system, "--window-merge", "first"]);
    assert!((first["exact_match"].as_f64().unwrap() - 5.5).abs() < 1e-9);
    assert!((first["f1"].as_f64().unwrap() - 9.11).abs() < 0.005);
}

#[test]
fn qa_fuse_merged_windows_by_consensus() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fused.json");
    stdout_of(
        modelfuse()
            .args([
                "qa",
                "fuse",
                &squad("strided"),
                "--method",
                "consensus",
                "-o",
            ])
            .arg(&out),
    );
    let s = qa_scores(&[out.to_str().unwrap()]);
    assert!((s["f1"].as_f64().unwrap() - 22.03).abs() < 0.005, "{s}");
}

#[test]
fn qa_bad_windows_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let a = r#"{"id": "q", "offset": 0, "nbest": [{"text": "Denver", "start": 4, "end": 10, "score": 1.0}]}"#;
    let b = r#"{"id": "q", "offset": 2, "nbest": [{"text": "Denver!", "start": 2, "end": 8, "score": 2.0}]}"#;
    let f = write(dir.path(), "sys.jsonl", &format!("{a}\n{b}\n"));
    let out = dir.path().join("fused.json");
    let err = bad_input(modelfuse().args(["qa", "fuse"]).arg(&f).arg("-o").arg(&out));
    assert_eq!(
        err,
        format!(
            "error: {}:2: q: expected the span 4..10 to have the same text in every window, found 'Denver' (line 1) and 'Denver!'\n",
            f.display()
        )
    );
    assert!(!out.exists(), "nothing is written on bad input");
}
