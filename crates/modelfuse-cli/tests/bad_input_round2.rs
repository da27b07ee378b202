//! Issue 17, the second bad-input round: inputs that used to give a silent
//! wrong answer, clobber an input, leave partial output or panic. Each test
//! failed before its fix. Cases whose message belongs in the catalogue are
//! also in `bad_input.rs`; these check what a catalogue row cannot (files
//! left untouched, pipes, links, folders, several commands in a row).

mod common;

use std::path::Path;
use std::process::Output;

use common::{modelfuse, write};

const A: &str = "id,label\n1,1\n2,0\n3,1\n4,0\n";
const B: &str = "id,label\n1,1.0\n2,0.0\n3,1.0\n4,1.0\n";
const LABELS: &str = "id,label\n1,1\n2,0\n3,1\n4,0\n";

/// Runs `modelfuse` in `d` with a command line split at spaces.
fn run(d: &Path, line: &str) -> Output {
    modelfuse()
        .current_dir(d)
        .args(line.split(' '))
        .output()
        .unwrap()
}

/// Runs a command that must succeed; returns its stdout and stderr.
fn ok(d: &Path, line: &str) -> (String, String) {
    let out = run(d, line);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{line}: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

/// Runs a command that must be refused as bad input; returns its stderr.
fn refused(d: &Path, line: &str) -> String {
    let out = run(d, line);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{line}: {stderr}");
    stderr
}

/// Asserts `text` contains `part`.
fn says(text: &str, part: &str) {
    assert!(text.contains(part), "expected {part:?} in: {text}");
}

// 1. Class spellings.

#[test]
fn numerically_equal_class_spellings_are_one_class() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.csv", A);
    write(d, "b.csv", B);
    write(d, "labels.csv", LABELS);
    let (out, _) = ok(d, "inspect a.csv b.csv --labels labels.csv --json");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["classes"], serde_json::json!(["0", "1"]));
    assert_eq!(v["models"][1]["name"], "b");
    assert_eq!(v["models"][1]["metrics"]["accuracy"], 0.75);
    ok(d, "fit a.csv b.csv --method vote -o f.json");
    let f: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("f.json")).unwrap()).unwrap();
    assert_eq!(f["classes"], serde_json::json!(["0", "1"]));
}

#[test]
fn classes_no_label_names_or_no_other_model_shares_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.csv", A);
    write(d, "yn.csv", "id,label\n1,Yes\n2,No\n3,Yes\n4,No\n");
    write(d, "c.csv", "id,label\n1,x\n2,y\n3,x\n4,y\n");
    let err = refused(d, "evaluate a.csv --labels yn.csv");
    let want = "a.csv: expected predicted classes among the labels' classes";
    says(&err, want);
    let err = refused(d, "fit a.csv c.csv --method vote -o f.json");
    says(&err, "a.csv: expected labels sharing classes");
    assert!(!d.join("f.json").exists());
}

// 2. Outputs over inputs.

/// Runs a command that must refuse to write over `victim`, and checks that
/// `victim` still holds what it held.
fn refuses_to_clobber(d: &Path, line: &str, victim: &str) {
    let before = std::fs::read(d.join(victim)).unwrap();
    let err = refused(d, line);
    says(&err, "refusing to overwrite the input");
    says(&err, "--force");
    assert_eq!(std::fs::read(d.join(victim)).unwrap(), before, "{line}");
}

fn scores_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "m.csv",
        "id,a,b\n1,0.9,0.1\n2,0.2,0.8\n3,0.6,0.4\n4,0.3,0.7\n",
    );
    write(
        d,
        "n.csv",
        "id,a,b\n1,0.8,0.2\n2,0.4,0.6\n3,0.3,0.7\n4,0.1,0.9\n",
    );
    write(d, "labels.csv", "id,label\n1,a\n2,b\n3,a\n4,b\n");
    write(d, "costs.csv", "model,cost\nm,1\nn,2\n");
    dir
}

const CASCADE: &str = "cascade fit m.csv n.csv --labels labels.csv --costs costs.csv -o c.json";

#[test]
fn predict_fit_and_cascade_refuse_to_overwrite_an_input() {
    let dir = scores_dir();
    let d = dir.path();
    ok(d, "fit m.csv n.csv --method mean -o f.json");
    refuses_to_clobber(d, "predict --fuser f.json m.csv n.csv -o m.csv", "m.csv");
    refuses_to_clobber(d, "predict --fuser f.json m.csv n.csv -o f.json", "f.json");
    refuses_to_clobber(
        d,
        "fit m.csv n.csv --method mean --labels labels.csv -o labels.csv",
        "labels.csv",
    );
    // Another spelling of the path, and a file inside a folder input.
    refuses_to_clobber(d, "predict --fuser f.json . -o ./n.csv", "n.csv");
    refuses_to_clobber(d, &format!("{CASCADE} --frontier labels.csv"), "labels.csv");
    assert!(!d.join("c.json").exists());
    // --force writes it on purpose.
    ok(d, "predict --fuser f.json m.csv n.csv -o m.csv --force");
    says(&std::fs::read_to_string(d.join("m.csv")).unwrap(), "0.85");
}

#[cfg(unix)]
#[test]
fn outputs_that_resolve_to_an_input_through_links_are_refused() {
    let dir = scores_dir();
    let d = dir.path();
    ok(d, "fit m.csv n.csv --method mean -o f.json");
    std::os::unix::fs::symlink("m.csv", d.join("soft.csv")).unwrap();
    std::fs::hard_link(d.join("n.csv"), d.join("hard.csv")).unwrap();
    refuses_to_clobber(d, "predict --fuser f.json m.csv n.csv -o soft.csv", "m.csv");
    refuses_to_clobber(d, "predict --fuser f.json m.csv n.csv -o hard.csv", "n.csv");
}

#[test]
fn nlp_fuse_commands_refuse_to_overwrite_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "gold.conll", "Paris B-location\nis O\n\nok O\n");
    write(d, "s1.conll", "Paris B-location\nis O\n\nok O\n");
    write(d, "s2.conll", "Paris O\nis O\n\nok O\n");
    refuses_to_clobber(
        d,
        "ner fuse s1.conll s2.conll --method token-vote --words gold.conll -o gold.conll",
        "gold.conll",
    );
    write(d, "input.json", r#"{"q1": "Paris"}"#);
    write(d, "other.json", r#"{"q1": "Lyon"}"#);
    refuses_to_clobber(
        d,
        "qa fuse input.json other.json -o input.json",
        "input.json",
    );
    write(d, "s1.txt", "one\ntwo\n");
    write(d, "s2.txt", "one\nthree\n");
    refuses_to_clobber(d, "generate fuse s1.txt s2.txt -o s1.txt", "s1.txt");
}

// 4. A closed stdout.

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let dir = scores_dir();
    let d = dir.path();
    for line in [
        "inspect m.csv n.csv --labels labels.csv",
        "evaluate m.csv --labels labels.csv --json",
    ] {
        // The read end is closed before the command starts, so its first
        // print meets a broken pipe whatever the timing.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("modelfuse"))
            .current_dir(d)
            .args(line.split(' '))
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{line}: {stderr}");
        assert!(stderr.is_empty(), "{line}: {stderr}");
    }
}

// 3 and 5. `auto`: inputs checked first, outputs all or nothing, numbers
// that mean what they say.

/// A synthetic dataset folder: `n` samples of two classes, `val/` with the
/// models `models`, `test/` with `test_models`; scores from a fixed
/// generator (models right about three times in four).
fn dataset(n: usize, models: &[&str], test_models: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    for (split, names) in [("val", models), ("test", test_models)] {
        std::fs::create_dir(dir.path().join(split)).unwrap();
        let labels: Vec<&str> = (0..n)
            .map(|_| if next() < 0.5 { "a" } else { "b" })
            .collect();
        let mut table = String::from("id,label\n");
        for (i, l) in labels.iter().enumerate() {
            table.push_str(&format!("{i},{l}\n"));
        }
        write(dir.path(), &format!("{split}.labels.csv"), &table);
        for m in names {
            let mut text = String::from("id,a,b\n");
            for (i, l) in labels.iter().enumerate() {
                let p = if next() < 0.75 {
                    0.55 + 0.4 * next()
                } else {
                    0.45 * next()
                };
                let pa = if *l == "a" { p } else { 1.0 - p };
                text.push_str(&format!("{i},{pa:.4},{:.4}\n", 1.0 - pa));
            }
            write(&dir.path().join(split), &format!("{m}.csv"), &text);
        }
    }
    dir
}

#[test]
fn auto_checks_every_input_before_the_search_and_writes_nothing_on_failure() {
    let dir = dataset(40, &["m1", "m2", "m3"], &["m1", "m2"]);
    let d = dir.path();
    let err = refused(d, "auto . --resamples 200 -o out");
    says(
        &err,
        "test: expected a prediction file for every model of ./val (m1, m2, m3), found none for m3",
    );
    let err = refused(d, "auto . --resamples 200 -o val/out");
    says(&err, "expected an output folder outside");
    assert!(!d.join("out").exists() && !d.join("val/out").exists());
}

#[test]
fn auto_writes_its_three_outputs_and_records_its_settings() {
    let dir = dataset(40, &["m1", "m2"], &["m1", "m2"]);
    let d = dir.path();
    let (_, stderr) = ok(d, "auto . --resamples 200 --seed 3 -o out");
    says(&stderr, "saved out/report.json");
    let mut names: Vec<String> = std::fs::read_dir(d.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["fused.csv", "fuser.json", "report.json"]);
    let text = std::fs::read_to_string(d.join("out/report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["dataset"], ".");
    let settings = &report["settings"];
    assert_eq!(
        (
            &settings["seed"],
            &settings["folds"],
            &settings["resamples"]
        ),
        (
            &serde_json::json!(3),
            &serde_json::json!(5),
            &serde_json::json!(200)
        )
    );
}

#[test]
fn auto_refuses_numbers_that_cannot_mean_what_they_say() {
    let dir = dataset(40, &["m1", "m2"], &["m1", "m2"]);
    let d = dir.path();
    says(
        &refused(d, "auto . --resamples 1 -o out"),
        "--resamples 1: expected at least 200",
    );
    let small = dataset(6, &["m1", "m2"], &["m1", "m2"]);
    let s = small.path();
    says(
        &refused(s, "auto . -o out"),
        "expected at least 30 validation samples",
    );
    says(
        &refused(s, "auto . --folds 7 -o out"),
        "--folds 7: expected at most one fold per validation sample, found 6",
    );
    assert!(!s.join("out").exists() && !d.join("out").exists());
}

// 6. Fits on nothing.

/// With one row, one of the two halves is empty: fitting on it is refused
/// (and writes nothing), fitting on the other works.
fn one_half_is_refused(d: &Path, line: &str, message: &str) {
    let mut refusals = 0;
    for half in ["first-half", "second-half"] {
        let _ = std::fs::remove_file(d.join("f.json"));
        let out = run(d, &format!("{line} {half}"));
        if out.status.code() == Some(2) {
            says(&String::from_utf8_lossy(&out.stderr), message);
            assert!(!d.join("f.json").exists());
            refusals += 1;
        } else {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    assert_eq!(refusals, 1, "{line}");
}

#[test]
fn every_learner_refuses_to_fit_on_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, text) in [("a.txt", "one\n"), ("b.txt", "two\n"), ("ref.txt", "one\n")] {
        write(d, name, text);
    }
    one_half_is_refused(
        d,
        "generate fit a.txt b.txt --ref ref.txt -o f.json --lines",
        "expected at least one segment to fit on",
    );
    write(d, "gold.conll", "Paris B-location\n");
    write(d, "s1.conll", "Paris B-location\n");
    one_half_is_refused(
        d,
        "ner fit s1.conll --gold gold.conll --method token-vote -o f.json --sentences",
        "expected at least one sentence to fit on",
    );
    write(
        d,
        "dev.json",
        r#"{"version": "1.1", "data": [{"title": "t", "paragraphs": [{"context": "Paris", "qas": [{"id": "q1", "question": "?", "answers": [{"text": "Paris", "answer_start": 0}]}]}]}]}"#,
    );
    write(d, "p.json", r#"{"q1": "Paris"}"#);
    one_half_is_refused(
        d,
        "qa fit p.json --dataset dev.json -o f.json --questions",
        "expected at least one question to fit on",
    );
}

// 7. Vanishing models.

#[cfg(unix)]
#[test]
fn skipped_folder_entries_are_named_with_the_reason() {
    let dir = scores_dir();
    let d = dir.path();
    let val = d.join("val");
    std::fs::create_dir(&val).unwrap();
    std::fs::copy(d.join("m.csv"), val.join("m.csv")).unwrap();
    write(&val, "labels.csv", LABELS);
    for (link, target) in [("dangling.csv", "gone.csv"), ("loop.csv", "loop.csv")] {
        std::os::unix::fs::symlink(target, val.join(link)).unwrap();
    }
    let mkfifo = std::process::Command::new("mkfifo")
        .arg(val.join("pipe.csv"))
        .status();
    let (_, stderr) = ok(d, "evaluate val --labels labels.csv --json");
    says(
        &stderr,
        "skipped val/dangling.csv: a symbolic link to nothing",
    );
    says(
        &stderr,
        "skipped val/loop.csv: a symbolic link that cannot be followed",
    );
    says(&stderr, "skipped val/labels.csv: named as a labels file");
    if mkfifo.is_ok_and(|s| s.success()) {
        says(&stderr, "skipped val/pipe.csv: a FIFO");
    }
}

/// The NER, QA and generation folders say what they skipped too.
#[cfg(unix)]
#[test]
fn nlp_system_folders_name_what_they_skip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hyp = d.join("hyp");
    std::fs::create_dir(&hyp).unwrap();
    write(&hyp, "a.txt", "the cat\n");
    write(&hyp, "b.txt", "a cat\n");
    std::os::unix::fs::symlink("gone.txt", hyp.join("c.txt")).unwrap();
    std::fs::create_dir(hyp.join("old")).unwrap();
    let (_, stderr) = ok(d, "generate fuse hyp -o fused.txt");
    says(&stderr, "skipped hyp/c.txt: a symbolic link to nothing");
    says(&stderr, "skipped hyp/old: a folder, not a file");
    let qa = d.join("qa");
    std::fs::create_dir(&qa).unwrap();
    write(&qa, "s1.json", r#"{"q1": "x"}"#);
    std::os::unix::fs::symlink("s2.json", qa.join("s2.json")).unwrap();
    write(
        d,
        "dev.json",
        r#"{"version": "1.1", "data": [{"title": "t", "paragraphs": [{"context": "x y", "qas": [{"id": "q1", "question": "?", "answers": [{"text": "x", "answer_start": 0}]}]}]}]}"#,
    );
    let (_, stderr) = ok(d, "qa evaluate qa --labels dev.json");
    says(
        &stderr,
        "skipped qa/s2.json: a symbolic link that cannot be followed",
    );
}

// 9. Hints.

#[test]
fn logits_on_probabilities_and_a_label_column_among_classes_are_warned_about() {
    let dir = scores_dir();
    let d = dir.path();
    let (_, stderr) = ok(d, "evaluate m.csv --labels labels.csv --logits --json");
    says(
        &stderr,
        "warning: m.csv: every row is already a probability distribution",
    );
    let rows = "1,0.9,0.1\n2,0.2,0.8\n3,0.6,0.4\n4,0.3,0.7\n";
    let first: String = rows
        .lines()
        .map(|r| format!("{},a,{}\n", &r[..1], &r[2..]))
        .collect();
    write(d, "l.csv", &format!("id,label,a,b\n{first}"));
    let (_, stderr) = ok(d, "evaluate l.csv --labels labels.csv --json");
    says(&stderr, "warning: l.csv: the 'label' column is ignored");
    // A fused output (label last, as modelfuse writes it) reads without one.
    ok(d, "fit m.csv n.csv --method mean -o f.json");
    ok(d, "predict --fuser f.json m.csv n.csv -o fused.csv");
    let (_, stderr) = ok(d, "evaluate fused.csv --labels labels.csv --json");
    assert!(stderr.is_empty(), "{stderr}");
}

// The fitted-file readers: a file of another kind is named.

#[test]
fn a_fitted_file_of_another_kind_is_named_with_the_command_that_reads_it() {
    let dir = scores_dir();
    let d = dir.path();
    ok(d, CASCADE);
    let err = refused(d, "predict --fuser c.json m.csv n.csv -o out.csv");
    says(
        &err,
        "c.json: expected a fitted fuser file (from `modelfuse fit`), found a cascade file (from `modelfuse cascade fit`); use `modelfuse cascade predict --fuser`",
    );
}

// What a tool people rely on is expected to have.

#[test]
fn commands_that_write_say_so_on_stderr_and_print_json_on_request() {
    let dir = scores_dir();
    let d = dir.path();
    let (stdout, stderr) = ok(d, "fit m.csv n.csv --method mean -o f.json");
    says(&stderr, "saved f.json");
    assert!(!stdout.contains("saved"), "{stdout}");
    let (stdout, stderr) = ok(d, "predict --fuser f.json m.csv n.csv -o fused.csv --json");
    says(&stderr, "-> fused.csv");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (v["output"].as_str(), v["samples"].as_u64()),
        (Some("fused.csv"), Some(4))
    );
    write(d, "gold.conll", "Paris B-location\nis O\n\nok O\n");
    write(d, "s1.conll", "Paris B-location\nis O\n\nok O\n");
    write(d, "p1.json", r#"{"q1": "Paris"}"#);
    write(d, "a.txt", "one\n");
    for line in [
        "ner fuse s1.conll gold.conll --method token-vote -o fused.conll --json",
        "ner fit s1.conll --labels gold.conll --method token-vote -o ner.json --json",
        "qa fuse p1.json -o qa.json --json",
        "generate fuse a.txt -o g.txt --json",
    ] {
        let (stdout, _) = ok(d, line);
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert!(v["output"].is_string(), "{line}: {stdout}");
    }
}

#[test]
fn the_reference_file_is_labels_everywhere_and_old_names_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, text) in [
        ("gold.conll", "Paris B-location\n"),
        ("a.txt", "one two three four\n"),
        ("p.json", r#"{"q1": "Paris"}"#),
    ] {
        write(d, name, text);
    }
    write(
        d,
        "dev.json",
        r#"{"version": "1.1", "data": [{"title": "t", "paragraphs": [{"context": "Paris", "qas": [{"id": "q1", "question": "?", "answers": [{"text": "Paris", "answer_start": 0}]}]}]}]}"#,
    );
    for (new, old) in [
        (
            "ner evaluate gold.conll --labels gold.conll --json",
            "--gold",
        ),
        ("qa evaluate p.json --labels dev.json --json", "--dataset"),
        ("generate evaluate a.txt --labels a.txt --json", "--ref"),
    ] {
        let (by_new, _) = ok(d, new);
        let (by_old, _) = ok(d, &new.replace("--labels", old));
        assert_eq!(by_new, by_old, "{new}");
    }
}

#[test]
fn completions_are_printed_for_bash_zsh_and_fish() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let (script, _) = ok(dir.path(), &format!("completions {shell}"));
        says(&script, "modelfuse");
        says(&script, "cascade");
    }
}

#[test]
fn a_dash_is_standard_output_or_input_for_single_files() {
    let dir = scores_dir();
    let d = dir.path();
    ok(d, "fit m.csv n.csv --method mean -o f.json");
    let (csv, _) = ok(d, "predict --fuser f.json m.csv n.csv -o -");
    assert!(csv.starts_with("id,a,b,label\n1,0.85,0.15,a\n"), "{csv}");
    assert!(!d.join("-").exists());
    write(d, "gold.conll", "Paris B-location\nis O\n");
    let scored = common::stdout_of(
        modelfuse()
            .current_dir(d)
            .args(["ner", "evaluate", "gold.conll", "--labels", "-", "--json"])
            .write_stdin("Paris B-location\nis O\n"),
    );
    says(&scored, "\"f1\": 100.0");
}

// The second pass of designed inputs (the catalogue has their messages;
// these check what a row cannot: equal results, stdin, files left alone).

/// Line endings and byte orders that are only another spelling of the same
/// data give the same numbers, not merely a success.
#[test]
fn other_spellings_of_the_same_data_give_the_same_scores() {
    let dir = scores_dir();
    let d = dir.path();
    let crlf = |name: &str| {
        std::fs::read_to_string(d.join(name))
            .unwrap()
            .replace('\n', "\r\n")
    };
    write(d, "crlf.csv", &crlf("m.csv"));
    write(d, "crlf.labels.csv", &crlf("labels.csv"));
    let (lf, _) = ok(d, "evaluate m.csv --labels labels.csv --json");
    let (cr, _) = ok(d, "evaluate crlf.csv --labels crlf.labels.csv --json");
    assert_eq!(lf, cr);

    // A C-order, a Fortran-order and a big-endian array of the same scores.
    fn npy(descr: &str, fortran: bool, data: Vec<u8>) -> Vec<u8> {
        let order = if fortran { "True" } else { "False" };
        let mut h = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': (3, 2), }}");
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        out.extend_from_slice(h.as_bytes());
        out.extend(data);
        out
    }
    let rows = [0.9f32, 0.1, 0.2, 0.8, 0.7, 0.3];
    let cols = [0.9f32, 0.2, 0.7, 0.1, 0.8, 0.3];
    let le = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let be = |v: &[f32]| v.iter().flat_map(|x| x.to_be_bytes()).collect::<Vec<u8>>();
    std::fs::write(d.join("c.npy"), npy("<f4", false, le(&rows))).unwrap();
    std::fs::write(d.join("f.npy"), npy("<f4", true, le(&cols))).unwrap();
    std::fs::write(d.join("b.npy"), npy(">f4", false, be(&rows))).unwrap();
    write(d, "n.labels.csv", "id,label\n0,0\n1,1\n2,1\n");
    let (c, _) = ok(d, "evaluate c.npy --labels n.labels.csv --json");
    for other in ["f.npy", "b.npy"] {
        let (o, _) = ok(d, &format!("evaluate {other} --labels n.labels.csv --json"));
        assert_eq!(c, o, "{other}");
    }

    // Generated text: CRLF and a missing final newline are the same lines.
    write(
        d,
        "h.txt",
        "the quick brown fox jumps over the dog\na b c d e f g\n",
    );
    write(
        d,
        "h.crlf.txt",
        "the quick brown fox jumps over the dog\r\na b c d e f g",
    );
    write(
        d,
        "r.txt",
        "the quick brown fox jumps over the lazy dog\na b c d e f g\n",
    );
    let (h, _) = ok(d, "generate evaluate h.txt --labels r.txt --json");
    let (hc, _) = ok(d, "generate evaluate h.crlf.txt --labels r.txt --json");
    assert_eq!(h, hc);
    says(&h, "\"bleu\": 86.94");
}

/// Runs `line` in `d` with `stdin` as standard input; returns the exit code
/// and stderr.
fn with_stdin(d: &Path, line: &str, stdin: &[u8]) -> (Option<i32>, String) {
    let out = modelfuse()
        .current_dir(d)
        .args(line.split(' '))
        .write_stdin(stdin.to_vec())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_empty_or_binary_standard_input_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "sys.conll", "Paris B-location\nis O\n");
    write(d, "p.json", r#"{"q1": "Paris"}"#);
    write(d, "a.txt", "one\ntwo\n");
    for (line, said) in [
        (
            "ner evaluate sys.conll --labels -",
            "error: -: expected tagged tokens, found none",
        ),
        (
            "qa evaluate p.json --labels -",
            "error: -:1: invalid SQuAD JSON: EOF while parsing a value",
        ),
        (
            "generate evaluate a.txt --labels -",
            "error: - has 0 lines but the hypotheses have 2",
        ),
    ] {
        let (code, err) = with_stdin(d, line, b"");
        assert_eq!(code, Some(2), "{line}: {err}");
        says(&err, said);
    }
    // Standard input is checked as files are: no NUL bytes, no lone CR,
    // and a byte order mark is dropped.
    let (code, err) = with_stdin(
        d,
        "ner evaluate sys.conll --labels -",
        b"Par\0is B-location\n",
    );
    assert_eq!(code, Some(2), "{err}");
    says(
        &err,
        "-: line 1: expected text, found a NUL byte at byte offset 3",
    );
    let (code, err) = with_stdin(d, "generate evaluate a.txt --labels -", b"one\rtwo\r");
    assert_eq!(code, Some(2), "{err}");
    says(&err, "-: line 1: expected lines ending in \\n or \\r\\n");
    let (code, err) = with_stdin(
        d,
        "ner evaluate sys.conll --labels - --json",
        "\u{feff}Paris B-location\nis O\n".as_bytes(),
    );
    assert_eq!(code, Some(0), "{err}");
}

/// An output that could never be written is refused before anything is
/// read or fitted, and nothing is created: not the missing folder, not a
/// temporary file, not a file inside the folder named.
#[test]
fn an_output_in_a_missing_folder_or_naming_a_folder_is_refused_first() {
    let dir = scores_dir();
    let d = dir.path();
    std::fs::create_dir(d.join("adir")).unwrap();
    ok(d, "fit m.csv n.csv --method mean -o f.json");
    for (line, said) in [
        (
            "fit m.csv n.csv --method mean -o nodir/sub/f.json",
            "nodir/sub/f.json: expected an existing folder to write into, found no folder nodir/sub",
        ),
        (
            "fit m.csv n.csv --method mean -o adir",
            "adir: expected a file to write, found a folder",
        ),
        (
            "fit m.csv n.csv --method mean -o .",
            ".: expected a file to write, found a folder",
        ),
        (
            "predict --fuser f.json m.csv n.csv -o adir/",
            "adir/: expected a file to write, found a folder",
        ),
        (
            "cascade fit m.csv n.csv --labels labels.csv --costs costs.csv -o c.json --frontier nodir/f.json",
            "nodir/f.json: expected an existing folder to write into",
        ),
        (
            "generate fuse m.csv -o adir",
            "adir: expected a file to write, found a folder",
        ),
        // Refused before the (missing) input is read.
        (
            "fit missing.csv --method mean -o nodir/f.json",
            "nodir/f.json: expected an existing folder",
        ),
    ] {
        says(&refused(d, line), said);
    }
    assert!(!d.join("nodir").exists() && !d.join("c.json").exists());
    assert_eq!(std::fs::read_dir(d.join("adir")).unwrap().count(), 0);
}

#[test]
fn counts_and_seeds_out_of_range_are_named_as_values() {
    let dir = dataset(40, &["m1", "m2"], &["m1", "m2"]);
    let d = dir.path();
    for (line, said) in [
        (
            "auto . --seed -5 -o out",
            "invalid value '-5' for '--seed <SEED>': expected a whole number, 0 or more, found '-5'",
        ),
        (
            "auto . --folds -2 -o out",
            "invalid value '-2' for '--folds <FOLDS>'",
        ),
        (
            "auto . --resamples 100001 -o out",
            "--resamples 100001: expected at most 100000",
        ),
        (
            "fit val --method mean --folds 0 -o f.json",
            "--folds 0: expected at least 2 folds",
        ),
    ] {
        let err = refused(d, line);
        says(&err, said);
        assert!(!err.contains("tip: to pass"), "{err}");
    }
    assert!(!d.join("out").exists() && !d.join("f.json").exists());
}

/// `auto` on a dataset of one model: it runs, and says to use the model.
#[test]
fn auto_on_one_model_says_fusion_cannot_help() {
    let dir = dataset(40, &["m1"], &["m1"]);
    let d = dir.path();
    let (stdout, _) = ok(d, "auto . --resamples 200 -o out --json");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["report"]["best_model"], "m1");
    says(v["report"]["verdict"].as_str().unwrap(), "use m1 alone");
}
