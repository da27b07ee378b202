//! End-to-end tests of `modelfuse ner`: the evaluate JSON shape on the
//! bundled WNUT-17 systems, fit → fuse → evaluate round trips, the report,
//! probability files, and bad input (exit code 2, messages naming file and
//! line).

mod common;

use common::{bad_input, data, modelfuse, stdout_of, write};

use std::path::{Path, PathBuf};

fn wnut(part: &str) -> PathBuf {
    data(modelfuse_testdata::Set::Wnut17, part)
}

/// A small corpus: gold and three systems that each miss a different entity.
fn small(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let gold =
        "John B-PER\nSmith I-PER\nvisits O\nParis B-LOC\n\nAcme B-ORG\nhires O\nAnn B-PER\n\n";
    let a = "John B-PER\nSmith I-PER\nvisits O\nParis O\n\nAcme B-ORG\nhires O\nAnn B-PER\n";
    let b = "John B-PER\nSmith O\nvisits O\nParis B-LOC\n\nAcme B-ORG\nhires O\nAnn B-PER\n";
    let c = "John B-PER\nSmith I-PER\nvisits O\nParis B-LOC\n\nAcme O\nhires O\nAnn I-PER\n";
    let g = write(dir, "gold.conll", gold);
    let systems = vec![
        write(dir, "a.conll", a),
        write(dir, "b.conll", b),
        write(dir, "c.conll", &c.replace('\n', "\r\n")),
    ];
    (g, systems)
}

#[test]
fn ner_evaluate_json_for_one_system_has_exactly_three_keys() {
    let out = stdout_of(
        modelfuse()
            .args(["ner", "evaluate"])
            .arg(wnut("systems/uh_ritual.conll"))
            .arg("--gold")
            .arg(wnut("gold.conll"))
            .arg("--json"),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let obj = v.as_object().unwrap();
    assert_eq!(
        obj.keys().map(String::as_str).collect::<Vec<_>>(),
        ["f1", "precision", "recall"]
    );
    // The official WNUT-17 result of uh_ritual: 41.86 entity F1.
    assert!((v["f1"].as_f64().unwrap() - 41.86).abs() < 0.005, "{v}");
    assert!((v["precision"].as_f64().unwrap() - 57.54).abs() < 0.005);
}

#[test]
fn ner_evaluate_several_systems_and_modes() {
    let out = stdout_of(
        modelfuse()
            .args(["ner", "evaluate"])
            .arg(wnut("systems"))
            .arg("--gold")
            .arg(wnut("gold.conll"))
            .args(["--json", "--mode", "strict"]),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 7);
    // Strict IOB2 drops spinningbytes' orphan I- tags: 41.31 rather than 40.78.
    assert!((v["spinningbytes"]["f1"].as_f64().unwrap() - 41.31).abs() < 0.005);
    let table = stdout_of(
        modelfuse()
            .args(["ner", "evaluate"])
            .arg(wnut("systems/arcada.conll"))
            .arg("--gold")
            .arg(wnut("gold.conll")),
    );
    let micro = table
        .lines()
        .find(|l| l.starts_with("arcada (micro)"))
        .unwrap();
    let cells: Vec<&str> = micro.split_whitespace().collect();
    assert_eq!(
        cells[2..],
        ["47.40", "34.57", "39.98", "373", "787", "1079"],
        "{table}"
    );
    assert!(table.contains("  person"), "{table}");
}

#[test]
fn ner_misaligned_system_names_file_line_and_sentence() {
    let tmp = tempfile::tempdir().unwrap();
    let (gold, _) = small(tmp.path());
    // The second sentence lacks its last token.
    let short = write(
        tmp.path(),
        "short.conll",
        "John B-PER\nSmith I-PER\nvisits O\nParis B-LOC\n\nAcme B-ORG\nhires O\n",
    );
    let err = bad_input(
        modelfuse()
            .args(["ner", "evaluate"])
            .arg(&short)
            .arg("--gold")
            .arg(&gold),
    );
    assert!(
        err.contains("short.conll:8: sentence 1: expected 3 tokens (as in ")
            && err.contains("gold.conll from line 6), found 2"),
        "{err}"
    );
    let bad_tag = write(tmp.path(), "bad.conll", "John B-PER\nSmith PER\n");
    let err = bad_input(
        modelfuse()
            .args(["ner", "evaluate"])
            .arg(&bad_tag)
            .arg("--gold")
            .arg(&gold),
    );
    assert!(
        err.contains("bad.conll:2: expected a tag O, B-x, I-x, E-x or S-x, found 'PER'"),
        "{err}"
    );
}

#[test]
fn ner_fit_fuse_evaluate_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let (gold, systems) = small(tmp.path());
    let fitted = tmp.path().join("fitted.json");
    let fused = tmp.path().join("fused.conll");
    modelfuse()
        .args(["ner", "fit"])
        .args(&systems)
        .arg("--gold")
        .arg(&gold)
        .args(["--method", "span-vote", "--learn-weights", "-o"])
        .arg(&fitted)
        .assert()
        .success();
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fitted).unwrap()).unwrap();
    assert_eq!(saved["modelfuse"], 1);
    assert_eq!(saved["task"], "ner");
    assert_eq!(saved["spec"]["method"], "span-vote");
    assert_eq!(saved["systems"], serde_json::json!(["a", "b", "c"]));
    modelfuse()
        .args(["ner", "fuse"])
        .args(&systems)
        .arg("--fuser")
        .arg(&fitted)
        .arg("-o")
        .arg(&fused)
        .assert()
        .success();
    let first = std::fs::read(&fused).unwrap();
    assert!(String::from_utf8_lossy(&first).starts_with("John\tB-PER\nSmith\tI-PER\n"));
    let out = stdout_of(
        modelfuse()
            .args(["ner", "evaluate"])
            .arg(&fused)
            .arg("--gold")
            .arg(&gold)
            .arg("--json"),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["f1"].as_f64().unwrap(), 100.0);
    // Same inputs, same bytes; and a method works without a fitted file.
    modelfuse()
        .args(["ner", "fuse"])
        .args(&systems)
        .arg("--fuser")
        .arg(&fitted)
        .arg("-o")
        .arg(&fused)
        .assert()
        .success();
    assert_eq!(first, std::fs::read(&fused).unwrap());
    modelfuse()
        .args(["ner", "fuse"])
        .args(&systems)
        .args(["--method", "viterbi", "-o"])
        .arg(tmp.path().join("v.conll"))
        .assert()
        .success();
    // Given weights: "a" alone outweighs the others, so its miss of Paris wins.
    let weighted = tmp.path().join("w.conll");
    modelfuse()
        .args(["ner", "fuse"])
        .args(&systems)
        .args(["--method", "token-vote", "--weights", "a=3", "-o"])
        .arg(&weighted)
        .assert()
        .success();
    let text = std::fs::read_to_string(&weighted).unwrap();
    assert!(text.contains("Paris\tO\n"), "{text}");
    // A fitted fuser refuses other systems, and writes nothing.
    let out = tmp.path().join("none.conll");
    let err = bad_input(
        modelfuse()
            .args(["ner", "fuse"])
            .args(&systems[..2])
            .arg("--fuser")
            .arg(&fitted)
            .arg("-o")
            .arg(&out),
    );
    assert!(err.contains("missing [c], unexpected []"), "{err}");
    assert!(!out.exists());
}

#[test]
fn ner_report_json_compares_both_directions() {
    let tmp = tempfile::tempdir().unwrap();
    let (gold, systems) = small(tmp.path());
    let out = stdout_of(
        modelfuse()
            .args(["ner", "report"])
            .args(&systems)
            .arg("--gold")
            .arg(&gold)
            .args(["--json", "--resamples", "50", "--seed", "3"]),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let dirs = v["directions"].as_array().unwrap();
    assert_eq!(dirs.len(), 2);
    assert_eq!(dirs[0]["fit_half"], "A");
    assert_eq!(dirs[1]["fit_half"], "B");
    // 7 fusers and 3 systems per direction.
    assert_eq!(dirs[0]["rows"].as_array().unwrap().len(), 10);
    assert!(dirs[0]["gain"]["p_value"].as_f64().is_some());
}

#[test]
fn ner_column_file_and_probability_files() {
    // The column file gives the gold and the 7 systems at once.
    let out = stdout_of(
        modelfuse()
            .args(["ner", "evaluate"])
            .arg(wnut("test_merged_7systems.tsv"))
            .arg("--json"),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!((v["uh_ritual"]["f1"].as_f64().unwrap() - 41.86).abs() < 0.005);

    // A subword model's probabilities, fused with a CoNLL system.
    let tmp = tempfile::tempdir().unwrap();
    let (gold, systems) = small(tmp.path());
    let tags = r#""tags": ["O", "B-PER", "I-PER", "B-LOC", "B-ORG"]"#;
    let probs = format!(
        "{{\"offsets\": [[0, 0], [0, 2], [2, 4], [5, 10], [11, 17], [18, 23]], {tags}, \"probs\": [[1,0,0,0,0], [0,1,0,0,0], [0,0.5,0.5,0,0], [0,0,1,0,0], [1,0,0,0,0], [0,0,0,1,0]]}}\n\
         {{\"offsets\": [[0, 4], [5, 10], [11, 14]], {tags}, \"probs\": [[0,0,0,0,1], [1,0,0,0,0], [0,1,0,0,0]]}}\n"
    );
    let p = write(tmp.path(), "subword.jsonl", &probs);
    let out = stdout_of(
        modelfuse()
            .args(["ner", "evaluate"])
            .arg(&p)
            .arg("--gold")
            .arg(&gold)
            .arg("--json"),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["f1"].as_f64().unwrap(), 100.0, "{v}");
    modelfuse()
        .args(["ner", "fuse"])
        .arg(&p)
        .args(&systems)
        .args(["--method", "viterbi", "-o"])
        .arg(tmp.path().join("fused.conll"))
        .assert()
        .success();
    let fused = std::fs::read_to_string(tmp.path().join("fused.conll")).unwrap();
    assert!(fused.starts_with("John\tB-PER\nSmith\tI-PER\n"), "{fused}");
}
