//! `fit --pool` / `predict` on segment-level predictions (rows that are
//! segments of documents), end to end: the real BANKING77 windows, the
//! identity on one-segment documents, and bad input.

mod common;

use common::{bad_input, example, modelfuse, stdout_of, write};

/// The accuracy of a prediction file, from `evaluate --json`.
fn accuracy(file: &std::path::Path, labels: &std::path::Path) -> f64 {
    let out = stdout_of(
        modelfuse()
            .arg("evaluate")
            .arg(file)
            .arg("--labels")
            .arg(labels)
            .arg("--json"),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["accuracy"].as_f64().unwrap()
}

/// Fitted on the validation half's windows, measured on the test half's:
/// pooling and fusing three models beats each model pooled alone, and both
/// orders give documents (one row per query) in the labels' id space.
#[test]
fn banking77_windows_fuse_into_queries() {
    let dir = tempfile::tempdir().unwrap();
    let seg = example("banking77/segments");
    let (val_labels, test_labels) = (
        example("banking77/val.labels.csv"),
        example("banking77/test.labels.csv"),
    );
    let fit = |extra: &[&str], name: &str| {
        let fuser = dir.path().join(format!("{name}.json"));
        stdout_of(
            modelfuse()
                .arg("fit")
                .arg(seg.join("val"))
                .arg("--labels")
                .arg(&val_labels)
                .args(extra)
                .arg("-o")
                .arg(&fuser),
        );
        let out = dir.path().join(format!("{name}.csv"));
        let assert = modelfuse()
            .arg("predict")
            .arg("--fuser")
            .arg(&fuser)
            .arg(seg.join("test"))
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains("of 1540 documents"), "{stderr}");
        accuracy(&out, &test_labels)
    };
    let fused = fit(&["--method", "mean", "--pool", "mean"], "mean");
    let models_first = fit(
        &[
            "--method",
            "mean",
            "--pool",
            "mean",
            "--order",
            "models-first",
        ],
        "models-first",
    );
    // Means commute: the orders agree up to rounding, so do their accuracies.
    assert!(
        (fused - models_first).abs() < 2e-3,
        "{fused} vs {models_first}"
    );
    for model in ["tfidf_char_svm", "tfidf_word_logreg", "word_counts_nb"] {
        let alone = dir.path().join(format!("{model}.csv"));
        let fuser = dir.path().join(format!("{model}.json"));
        let file = seg.join("val").join(format!("{model}.parquet"));
        stdout_of(
            modelfuse()
                .arg("fit")
                .arg(&file)
                .args(["--method", "mean", "--pool", "mean", "-o"])
                .arg(&fuser),
        );
        modelfuse()
            .arg("predict")
            .arg("--fuser")
            .arg(&fuser)
            .arg(seg.join("test").join(format!("{model}.parquet")))
            .arg("-o")
            .arg(&alone)
            .assert()
            .success();
        let single = accuracy(&alone, &test_labels);
        assert!(fused > single + 0.02, "{model}: {single} vs fused {fused}");
    }
}

/// Documents of one segment each: `fit --pool` and `predict` write the same
/// bytes as fitting and predicting the rows as samples, for every pooling.
#[test]
fn one_segment_documents_give_the_plain_fusion() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    let segs = dir.path().join("segs");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::create_dir_all(&segs).unwrap();
    let rows = [
        ("a", [0.7, 0.2, 0.1], [0.5, 0.3, 0.2]),
        ("b", [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]),
        ("c", [0.3, 0.3, 0.4], [0.4, 0.35, 0.25]),
    ];
    for (m, pick) in [("bert", 0), ("roberta", 1)] {
        let mut p = String::from("id,neg,neu,pos\n");
        let mut s = String::from("doc,id,segment,length,neg,neu,pos\n");
        for (id, a, b) in rows {
            let v = if pick == 0 { a } else { b };
            p.push_str(&format!("{id},{},{},{}\n", v[0], v[1], v[2]));
            s.push_str(&format!("{id},{id}-0,0,7,{},{},{}\n", v[0], v[1], v[2]));
        }
        write(&plain, &format!("{m}.csv"), &p);
        write(&segs, &format!("{m}.csv"), &s);
    }
    let run = |inputs: &std::path::Path, extra: &[&str], name: &str| -> Vec<u8> {
        let fuser = dir.path().join(format!("{name}.json"));
        let out = dir.path().join(format!("{name}.csv"));
        stdout_of(
            modelfuse()
                .arg("fit")
                .arg(inputs)
                .args(["--method", "weighted", "--weights", "bert=1,roberta=3"])
                .args(extra)
                .arg("-o")
                .arg(&fuser),
        );
        modelfuse()
            .arg("predict")
            .arg("--fuser")
            .arg(&fuser)
            .arg(inputs)
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        std::fs::read(&out).unwrap()
    };
    let want = run(&plain, &[], "plain");
    for pool in ["mean", "max", "length", "majority"] {
        for order in ["segments-first", "models-first"] {
            let got = run(
                &segs,
                &["--pool", pool, "--order", order],
                &format!("{pool}-{order}"),
            );
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
                "{pool} {order}"
            );
        }
    }
}

#[test]
fn segment_input_errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "bert.csv", "id,neg,pos\na,0.9,0.1\nb,0.2,0.8\n");
    let seg_dir = dir.path().join("segs");
    std::fs::create_dir_all(&seg_dir).unwrap();
    let seg = write(
        &seg_dir,
        "bert.csv",
        "id,doc,neg,pos\na0,a,0.9,0.1\na1,a,0.6,0.4\nb0,b,0.2,0.8\n",
    );
    write(
        &seg_dir,
        "roberta.csv",
        "id,doc,neg,pos\nx,a,0.9,0.1\ny,b,0.2,0.8\n",
    );
    let labels = write(dir.path(), "labels.csv", "id,label\na,neg\n");
    let fuser = dir.path().join("f.json");
    let strip = |s: String| s.replace(&dir.path().display().to_string(), "DIR");

    let e = bad_input(
        modelfuse()
            .arg("fit")
            .arg(&plain)
            .args(["--method", "mean", "--pool", "mean", "-o"])
            .arg(&fuser),
    );
    insta::assert_snapshot!(strip(e), @"error: DIR/bert.csv: expected a 'doc' column naming each segment's document, found [id, neg, pos]");
    let e = bad_input(
        modelfuse()
            .arg("inspect")
            .arg(&seg)
            .arg("--labels")
            .arg(&labels),
    );
    insta::assert_snapshot!(strip(e), @"error: DIR/segs/bert.csv: found a 'doc' column: rows are segments of documents; fuse them with fit --pool (or a fuser fitted on segments), or drop the column");
    let e = bad_input(
        modelfuse()
            .arg("fit")
            .arg(&seg_dir)
            .args(["--method", "mean", "--pool", "learned", "-o"])
            .arg(&fuser),
    );
    insta::assert_snapshot!(strip(e), @"error: learned pooling learns from labels; pass the documents' labels with --labels <file>");
    let e = bad_input(
        modelfuse()
            .arg("fit")
            .arg(&seg_dir)
            .args([
                "--method",
                "mean",
                "--pool",
                "mean",
                "--order",
                "models-first",
                "-o",
            ])
            .arg(&fuser),
    );
    insta::assert_snapshot!(strip(e), @"error: DIR/segs/roberta.csv: fusing models first needs every model to predict the same segments: expected the 3 segment ids of model 'bert', found 2; missing 'a0', 'a1', 'b0'; unexpected 'x', 'y' (pool segments first instead: order segments-first)");
    let e = bad_input(
        modelfuse()
            .arg("fit")
            .arg(&seg_dir)
            .arg("--labels")
            .arg(&labels)
            .args([
                "--method",
                "score-weighted",
                "--by",
                "accuracy",
                "--pool",
                "mean",
                "-o",
            ])
            .arg(&fuser),
    );
    insta::assert_snapshot!(strip(e), @"error: DIR/labels.csv: expected a label for each of the 2 predicted ids, found none for 1: 'b'");
    assert!(!fuser.exists(), "no fuser is written on failure");

    // A plain fuser on segments, and a segment fuser on plain rows.
    stdout_of(
        modelfuse()
            .arg("fit")
            .arg(&plain)
            .args(["--method", "mean", "-o"])
            .arg(&fuser),
    );
    let out = dir.path().join("out.csv");
    let e = bad_input(
        modelfuse()
            .arg("predict")
            .arg("--fuser")
            .arg(&fuser)
            .arg(&seg)
            .arg("-o")
            .arg(&out),
    );
    insta::assert_snapshot!(strip(e), @"error: DIR/segs/bert.csv: found a 'doc' column: rows are segments of documents; fuse them with fit --pool (or a fuser fitted on segments), or drop the column");
    stdout_of(
        modelfuse()
            .arg("fit")
            .arg(&seg)
            .args(["--method", "mean", "--pool", "max", "-o"])
            .arg(&fuser),
    );
    let e = bad_input(
        modelfuse()
            .arg("predict")
            .arg("--fuser")
            .arg(&fuser)
            .arg(&plain)
            .arg("-o")
            .arg(&out),
    );
    insta::assert_snapshot!(strip(e), @"error: DIR/bert.csv: expected a 'doc' column naming each segment's document, found [id, neg, pos]");
    assert!(!out.exists());
}
