//! The catalogue of bad inputs: every case is a small set of files and a
//! command; the test runs it and checks the exit code and the exact message.
//! The same table is the documentation: `docs/BAD_INPUT.md` must equal what
//! this test renders (run with `UPDATE_CATALOGUE=1` to rewrite it after
//! changing a message or adding a case).

use std::path::Path;

use assert_cmd::Command;

/// One bad (or surprising but accepted) input.
struct Case {
    /// What is wrong, as a reader of the docs would put it.
    input: &'static str,
    /// Files to create in an empty folder: (name, bytes).
    files: Vec<(&'static str, Vec<u8>)>,
    /// The command line after `modelfuse`.
    args: &'static [&'static str],
    /// The expected exit code (0: accepted).
    code: i32,
}

const LABELS: &str = "id,label\n1,a\n2,b\n";
const GOOD: &str = "id,a,b\n1,0.9,0.1\n2,0.2,0.8\n";

fn text(name: &'static str, s: &str) -> (&'static str, Vec<u8>) {
    (name, s.as_bytes().to_vec())
}

/// A `.npy` file: version 1.0 header for `descr` and `shape`, then `data`.
fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    npy_ordered(descr, false, shape, data)
}

/// [`npy`] with the `fortran_order` flag given (column-major data).
fn npy_ordered(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let order = if fortran { "True" } else { "False" };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// A Parquet file whose class column holds text instead of numbers.
fn parquet_with_text_scores() -> Vec<u8> {
    use std::sync::Arc;

    use arrow_array::RecordBatch;
    use arrow_array::{ArrayRef, StringArray};
    let ids: ArrayRef = Arc::new(StringArray::from(vec!["1", "2"]));
    let a: ArrayRef = Arc::new(StringArray::from(vec!["0.9", "0.2"]));
    let b: ArrayRef = Arc::new(StringArray::from(vec!["0.1", "0.8"]));
    let batch = RecordBatch::try_from_iter([("id", ids), ("a", a), ("b", b)]).unwrap();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

/// A SQuAD dataset of one question, `q1`.
const SQUAD_DEV: &str = r#"{"version": "1.1", "data": [{"title": "t", "paragraphs": [{"context": "Paris is big", "qas": [{"id": "q1", "question": "?", "answers": [{"text": "Paris", "answer_start": 0}]}]}]}]}"#;

/// `f32` values as bytes, little- or big-endian.
fn f32s(values: &[f32], big_endian: bool) -> Vec<u8> {
    values
        .iter()
        .flat_map(|v| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        })
        .collect()
}

/// A Parquet file of the given columns, one row group per slice of `groups`
/// rows (a 0 is an empty row group).
fn parquet_file(columns: Vec<(&str, arrow_array::ArrayRef)>, groups: &[usize]) -> Vec<u8> {
    use arrow_array::RecordBatch;
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
    let mut start = 0;
    for &n in groups {
        w.write(&batch.slice(start, n)).unwrap();
        w.flush().unwrap();
        start += n;
    }
    w.close().unwrap();
    out
}

fn parquet_ids() -> arrow_array::ArrayRef {
    std::sync::Arc::new(arrow_array::StringArray::from(vec!["1", "2"]))
}

fn parquet_scores(values: Vec<Option<f32>>) -> arrow_array::ArrayRef {
    std::sync::Arc::new(arrow_array::Float32Array::from(values))
}

/// A Parquet file whose class column `a` holds lists of numbers.
fn parquet_with_a_list_column() -> Vec<u8> {
    use arrow_array::ListArray;
    use arrow_array::types::Float32Type;
    let list = ListArray::from_iter_primitive::<Float32Type, _, _>(vec![
        Some(vec![Some(0.9f32), Some(0.1)]),
        Some(vec![Some(0.2), Some(0.8)]),
    ]);
    parquet_file(
        vec![
            ("id", parquet_ids()),
            ("a", std::sync::Arc::new(list)),
            ("b", parquet_scores(vec![Some(0.1), Some(0.8)])),
        ],
        &[2],
    )
}

/// The fitted fuser `weighted` over models m and n, with its saved state
/// weights replaced by `weights` (JSON).
fn weighted_fuser(weights: &str) -> String {
    format!(
        r#"{{"modelfuse": 1, "spec": {{"method": "weighted", "weights": {{"m": 1.0, "n": 3.0}}}}, "task": {{"kind": "binary"}}, "models": ["m", "n"], "classes": ["a", "b"], "state": {{"weights": {weights}}}}}"#
    )
}

/// A NER probability file `sys.jsonl` scored against a two-word gold.
fn ner_probs(input: &'static str, jsonl: &str) -> Case {
    Case {
        input,
        files: vec![
            text("gold.conll", "Paris B-location\nis O\n"),
            text("sys.jsonl", jsonl),
        ],
        args: &["ner", "evaluate", "sys.jsonl", "--gold", "gold.conll"],
        code: 2,
    }
}

fn cases() -> Vec<Case> {
    let eval: &[&str] = &["evaluate", "m.csv", "--labels", "labels.csv"];
    let long_cell = format!("id,a,b\n1,{},0.1\n2,0.2,0.8\n", "9".repeat(1 << 20));
    let fuser = |version: u32| {
        format!(
            r#"{{"modelfuse": {version}, "spec": {{"method": "mean"}}, "task": {{"kind": "binary"}}, "models": ["m"], "classes": ["a", "b"], "state": {{}}}}"#
        )
    };
    vec![
        Case {
            input: "empty file",
            files: vec![text("m.csv", ""), text("labels.csv", LABELS)],
            args: eval,
            code: 2,
        },
        Case {
            input: "header only (a model with zero rows)",
            files: vec![text("m.csv", "id,a,b\n"), text("labels.csv", LABELS)],
            args: eval,
            code: 2,
        },
        Case {
            input: "truncated last row",
            files: vec![
                text("m.csv", "id,a,b\n1,0.9,0.1\n2,0.2\n"),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "wrong delimiter (`;` in a .csv)",
            files: vec![
                text("m.csv", "id;a;b\n1;0.9;0.1\n2;0.2;0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "UTF-8 byte order mark (accepted)",
            files: vec![
                text("m.csv", &format!("\u{feff}{GOOD}")),
                text("labels.csv", LABELS),
            ],
            args: &["evaluate", "m.csv", "--labels", "labels.csv", "--json"],
            code: 0,
        },
        Case {
            input: "quoted header and cells (accepted)",
            files: vec![
                text(
                    "m.csv",
                    "\"id\",\"a\",\"b\"\n\"1\",\"0.9\",\"0.1\"\n2,0.2,0.8\n",
                ),
                text("labels.csv", LABELS),
            ],
            args: &["evaluate", "m.csv", "--labels", "labels.csv", "--json"],
            code: 0,
        },
        Case {
            input: "duplicate column",
            files: vec![
                text("m.csv", "id,a,a\n1,0.9,0.1\n2,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "duplicate id",
            files: vec![
                text("m.csv", "id,a,b\n1,0.9,0.1\n1,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "an id missing in one model",
            files: vec![
                text("m.csv", GOOD),
                text("n.csv", "id,a,b\n1,0.9,0.1\n"),
                text("labels.csv", LABELS),
            ],
            args: &["evaluate", "m.csv", "n.csv", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "labels for ids no model predicted (accepted: ignored)",
            files: vec![
                text("m.csv", GOOD),
                text("labels.csv", "id,label\n1,a\n2,b\n3,a\n"),
            ],
            args: eval,
            code: 0,
        },
        Case {
            input: "different class sets",
            files: vec![
                text("m.csv", GOOD),
                text("n.csv", "id,a,c\n1,0.9,0.1\n2,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: &["evaluate", "m.csv", "n.csv", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "same classes in another column order (accepted: aligned by name)",
            files: vec![
                text("m.csv", GOOD),
                text("n.csv", "id,b,a\n1,0.1,0.9\n2,0.8,0.2\n"),
                text("labels.csv", LABELS),
            ],
            args: &[
                "evaluate",
                "m.csv",
                "n.csv",
                "--labels",
                "labels.csv",
                "--json",
            ],
            code: 0,
        },
        Case {
            input: "bytes that are not UTF-8",
            files: vec![
                ("m.csv", b"id,a,b\n1,0.9,0.1\n2\xff,0.2,0.8\n".to_vec()),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "NaN",
            files: vec![
                text("m.csv", "id,a,b\n1,NaN,0.1\n2,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "infinity",
            files: vec![
                text("m.csv", "id,a,b\n1,inf,0.1\n2,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "huge value (overflows f32)",
            files: vec![
                text("m.csv", "id,a,b\n1,1e400,0.1\n2,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "negative probability",
            files: vec![
                text("m.csv", "id,a,b\n1,-0.1,1.1\n2,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "row not summing to one",
            files: vec![
                text("m.csv", "id,a,b\n1,0.5,0.1\n2,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "a cell that is not a number",
            files: vec![
                text("m.csv", "id,a,b\n1,abc,0.1\n2,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "a 1 MiB cell (very long line)",
            files: vec![text("m.csv", &long_cell), text("labels.csv", LABELS)],
            args: eval,
            code: 2,
        },
        Case {
            input: "labels file with an unknown label",
            files: vec![
                text("m.csv", GOOD),
                text("labels.csv", "id,label\n1,a\n2,zebra\n"),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "labels file with other columns",
            files: vec![
                text("m.csv", GOOD),
                text("labels.csv", "id,class\n1,a\n2,b\n"),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "unsupported file extension",
            files: vec![text("m.xlsx", GOOD), text("labels.csv", LABELS)],
            args: &["evaluate", "m.xlsx", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "a file that does not exist",
            files: vec![text("labels.csv", LABELS)],
            args: eval,
            code: 2,
        },
        Case {
            input: "Parquet with text where numbers belong",
            files: vec![
                ("m.parquet", parquet_with_text_scores()),
                text("labels.csv", LABELS),
            ],
            args: &["evaluate", "m.parquet", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "corrupt Parquet",
            files: vec![
                ("m.parquet", b"PAR1 not really".to_vec()),
                text("labels.csv", LABELS),
            ],
            args: &["evaluate", "m.parquet", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "NumPy array of the wrong dtype (complex)",
            files: vec![
                ("m.npy", npy("<c8", "(2, 2)", &[0u8; 32])),
                text("labels.csv", "id,label\n0,0\n1,1\n"),
            ],
            args: &["evaluate", "m.npy", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "NumPy array of the wrong rank (3-D)",
            files: vec![
                ("m.npy", npy("<f4", "(2, 1, 2)", &[0u8; 16])),
                text("labels.csv", "id,label\n0,0\n1,1\n"),
            ],
            args: &["evaluate", "m.npy", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "NumPy file cut short",
            files: vec![
                ("m.npy", npy("<f4", "(2, 2)", &[0u8; 8])),
                text("labels.csv", "id,label\n0,0\n1,1\n"),
            ],
            args: &["evaluate", "m.npy", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "fitted fuser from a newer format version",
            files: vec![text("m.csv", GOOD), text("f.json", &fuser(99))],
            args: &["predict", "--fuser", "f.json", "m.csv", "-o", "out.csv"],
            code: 2,
        },
        Case {
            input: "fitted fuser applied to other models",
            files: vec![text("x.csv", GOOD), text("f.json", &fuser(1))],
            args: &["predict", "--fuser", "f.json", "x.csv", "-o", "out.csv"],
            code: 2,
        },
        Case {
            input: "fitted fuser file that is not JSON",
            files: vec![text("m.csv", GOOD), text("f.json", "{\"modelfuse\": 1,")],
            args: &["predict", "--fuser", "f.json", "m.csv", "-o", "out.csv"],
            code: 2,
        },
        Case {
            input: "CoNLL system with a sentence of the wrong length",
            files: vec![
                text("gold.conll", "Paris B-location\nis O\n\nok O\n"),
                text("sys.conll", "Paris B-location\n\nok O\n"),
            ],
            args: &["ner", "evaluate", "sys.conll", "--gold", "gold.conll"],
            code: 2,
        },
        Case {
            input: "CoNLL tag that is not IOB",
            files: vec![
                text("gold.conll", "Paris B-location\nis O\n"),
                text("sys.conll", "Paris LOC\nis O\n"),
            ],
            args: &["ner", "evaluate", "sys.conll", "--gold", "gold.conll"],
            code: 2,
        },
        Case {
            input: "NER window file that leaves a word uncovered",
            files: vec![
                text("gold.conll", "Paris B-location\nis O\nbig O\n"),
                text(
                    "sys.jsonl",
                    r#"{"sentence": 0, "start": 0, "words": ["Paris", "is"], "offsets": [[0, 5], [6, 8]], "tags": ["O", "B-location"], "probs": [[0.1, 0.9], [1, 0]]}"#,
                ),
            ],
            args: &["ner", "evaluate", "sys.jsonl", "--gold", "gold.conll"],
            code: 2,
        },
        Case {
            input: "NER window whose words differ from the gold's",
            files: vec![
                text("gold.conll", "Paris B-location\nis O\n"),
                text(
                    "sys.jsonl",
                    r#"{"sentence": 0, "start": 0, "words": ["Pariss", "is"], "offsets": [[0, 6], [7, 9]], "tags": ["O", "B-location"], "probs": [[0.1, 0.9], [1, 0]]}"#,
                ),
            ],
            args: &["ner", "evaluate", "sys.jsonl", "--gold", "gold.conll"],
            code: 2,
        },
        Case {
            input: "QA window file giving one context span two texts",
            files: vec![text(
                "sys.jsonl",
                "{\"id\": \"q1\", \"offset\": 0, \"nbest\": [{\"text\": \"Paris\", \"start\": 3, \"end\": 8, \"score\": 1}]}\n{\"id\": \"q1\", \"offset\": 3, \"nbest\": [{\"text\": \"Pari\", \"start\": 0, \"end\": 5, \"score\": 2}]}\n",
            )],
            args: &["qa", "fuse", "sys.jsonl", "-o", "fused.json"],
            code: 2,
        },
        Case {
            input: "SQuAD predictions that are not valid JSON",
            files: vec![
                text("dev.json", SQUAD_DEV),
                text("p.json", "{\"q1\": \"a\",\n}"),
            ],
            args: &["qa", "evaluate", "p.json", "--dataset", "dev.json"],
            code: 2,
        },
        Case {
            input: "SQuAD prediction that is not a string",
            files: vec![text("dev.json", SQUAD_DEV), text("p.json", "{\"q1\": 7}")],
            args: &["qa", "evaluate", "p.json", "--dataset", "dev.json"],
            code: 2,
        },
        Case {
            input: "translations with different line counts",
            files: vec![
                text("a.txt", "one\ntwo\n"),
                text("b.txt", "one\n"),
                text("ref.txt", "one\ntwo\n"),
            ],
            args: &["generate", "evaluate", "a.txt", "b.txt", "--ref", "ref.txt"],
            code: 2,
        },
        Case {
            input: "cascade cost file with a missing model",
            files: vec![
                text("m.csv", GOOD),
                text("labels.csv", LABELS),
                text("costs.csv", "model,cost\nother,1\n"),
            ],
            args: &[
                "cascade",
                "fit",
                "m.csv",
                "--labels",
                "labels.csv",
                "--costs",
                "costs.csv",
                "-o",
                "c.json",
            ],
            code: 2,
        },
        Case {
            input: "segment-level file (a `doc` column) read as one row per sample",
            files: vec![
                text("m.csv", "id,doc,a,b\n1-0,1,0.9,0.1\n2-0,2,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "segment length that is not positive",
            files: vec![
                text(
                    "m.csv",
                    "id,doc,length,a,b\n1-0,1,0,0.9,0.1\n2-0,2,3,0.2,0.8\n",
                ),
                text("labels.csv", LABELS),
            ],
            args: &[
                "fit", "m.csv", "--method", "mean", "--pool", "length", "-o", "c.json",
            ],
            code: 2,
        },
        Case {
            input: "two segments of a document at the same position",
            files: vec![
                text(
                    "m.csv",
                    "id,doc,segment,a,b\n1-0,1,0,0.9,0.1\n1-1,1,0,0.6,0.4\n2-0,2,0,0.2,0.8\n",
                ),
                text("labels.csv", LABELS),
            ],
            args: &[
                "fit", "m.csv", "--method", "mean", "--pool", "mean", "-o", "c.json",
            ],
            code: 2,
        },
        Case {
            input: "models that segment differently, fused models first",
            files: vec![
                text(
                    "m.csv",
                    "id,doc,a,b\n1-0,1,0.9,0.1\n1-1,1,0.6,0.4\n2-0,2,0.2,0.8\n",
                ),
                text("n.csv", "id,doc,a,b\n1,1,0.9,0.1\n2,2,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: &[
                "fit",
                "m.csv",
                "n.csv",
                "--method",
                "mean",
                "--pool",
                "mean",
                "--order",
                "models-first",
                "-o",
                "c.json",
            ],
            code: 2,
        },
        // Issue 17, the second round.
        Case {
            input: "hard labels spelling `1` as `1.0` (accepted: one class, `1`)",
            files: vec![
                text("a.csv", "id,label\n1,1\n2,0\n"),
                text("b.csv", "id,label\n1,1.0\n2,0.0\n"),
                text("labels.csv", "id,label\n1,1\n2,0\n"),
            ],
            args: &[
                "evaluate",
                "a.csv",
                "b.csv",
                "--labels",
                "labels.csv",
                "--json",
            ],
            code: 0,
        },
        Case {
            input: "hard labels naming classes the labels file does not (`1/0` against `Yes/No`)",
            files: vec![
                text("a.csv", "id,label\n1,1\n2,0\n"),
                text("labels.csv", "id,label\n1,Yes\n2,No\n"),
            ],
            args: &["evaluate", "a.csv", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "a hard-label model sharing no class with the others (no labels file)",
            files: vec![
                text("a.csv", "id,label\n1,1\n2,0\n"),
                text("b.csv", "id,label\n1,x\n2,y\n"),
            ],
            args: &["fit", "a.csv", "b.csv", "--method", "vote", "-o", "c.json"],
            code: 2,
        },
        Case {
            input: "an output path that is an input",
            files: vec![text("m.csv", GOOD)],
            args: &["fit", "m.csv", "--method", "mean", "-o", "m.csv"],
            code: 2,
        },
        Case {
            input: "two outputs given the same path",
            files: vec![
                text("m.csv", GOOD),
                text("l.csv", LABELS),
                text("cascade.json", "{}"),
            ],
            args: &[
                "cascade",
                "predict",
                "m.csv",
                "--fuser",
                "cascade.json",
                "--labels",
                "l.csv",
                "-o",
                "f.csv",
                "--frontier",
                "f.csv",
            ],
            code: 2,
        },
        Case {
            input: "`generate fit --lines first-half` on one segment (nothing to fit on)",
            files: vec![
                text("a.txt", "one\n"),
                text("b.txt", "two\n"),
                text("ref.txt", "one\n"),
            ],
            args: &[
                "generate",
                "fit",
                "a.txt",
                "b.txt",
                "--ref",
                "ref.txt",
                "--lines",
                "first-half",
                "-o",
                "c.json",
            ],
            code: 2,
        },
        Case {
            input: "a hard-label model named `labels.csv` in a folder (accepted: skipped, and said)",
            files: vec![
                text("val/m.csv", GOOD),
                text("val/labels.csv", "id,label\n1,a\n2,b\n"),
                text("labels.csv", LABELS),
            ],
            args: &["evaluate", "val", "--labels", "labels.csv", "--json"],
            code: 0,
        },
        Case {
            input: "`--logits` on rows that are already probabilities (accepted, with a warning)",
            files: vec![text("m.csv", GOOD), text("labels.csv", LABELS)],
            args: &[
                "evaluate",
                "m.csv",
                "--labels",
                "labels.csv",
                "--logits",
                "--json",
            ],
            code: 0,
        },
        Case {
            input: "a `label` column among the class columns (accepted: ignored, with a warning)",
            files: vec![
                text("m.csv", "id,label,a,b\n1,b,0.9,0.1\n2,a,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: &["evaluate", "m.csv", "--labels", "labels.csv", "--json"],
            code: 0,
        },
        ner_probs(
            "NER probability row summing to 1.2",
            r#"{"offsets": [[0, 5], [6, 8]], "tags": ["O", "B-location"], "probs": [[0.1, 1.1], [1, 0]]}"#,
        ),
        ner_probs(
            "NER probability offsets past the sentence end",
            r#"{"offsets": [[0, 5], [6, 20]], "tags": ["O", "B-location"], "probs": [[0.1, 0.9], [1, 0]]}"#,
        ),
        ner_probs(
            "NER probability file naming a tag twice",
            r#"{"offsets": [[0, 5], [6, 8]], "tags": ["O", "O"], "probs": [[0.1, 0.9], [1, 0]]}"#,
        ),
        ner_probs(
            "NER probability file with an invalid tag on line 1",
            "{\"offsets\": [[0, 5], [6, 8]], \"tags\": [\"O\", \"LOC\"], \"probs\": [[0.1, 0.9], [1, 0]]}\n{\"offsets\": [[0, 5], [6, 8]], \"tags\": [\"O\", \"LOC\"], \"probs\": [[1, 0], [1, 0]]}\n",
        ),
        ner_probs(
            "NER probability file with no tags",
            r#"{"offsets": [[0, 5], [6, 8]], "tags": [], "probs": [[], []]}"#,
        ),
        Case {
            input: "`auto -o` naming a file, not a folder",
            files: vec![
                text("ds/val/m.csv", GOOD),
                text("ds/val.labels.csv", LABELS),
                text("out", ""),
            ],
            args: &["auto", "ds", "-o", "out"],
            code: 2,
        },
        Case {
            input: "a cascade file given to `predict`",
            files: vec![
                text("m.csv", GOOD),
                text(
                    "f.json",
                    r#"{"modelfuse": 1, "kind": "cascade", "classes": ["a", "b"], "chain": ["m"], "threshold": 0.5}"#,
                ),
            ],
            args: &["predict", "--fuser", "f.json", "m.csv", "-o", "out.csv"],
            code: 2,
        },
        Case {
            input: "a fitted fuser given to `cascade predict`",
            files: vec![text("m.csv", GOOD), text("f.json", &fuser(1))],
            args: &[
                "cascade", "predict", "--fuser", "f.json", "m.csv", "-o", "out.csv",
            ],
            code: 2,
        },
        Case {
            input: "an `auto` report given to `ner fuse`",
            files: vec![
                text("s.conll", "Paris B-location\n"),
                text("report.json", r#"{"report": {}, "outputs": {}}"#),
            ],
            args: &[
                "ner",
                "fuse",
                "s.conll",
                "--fuser",
                "report.json",
                "-o",
                "out.csv",
            ],
            code: 2,
        },
        // Issue 17, the second pass: inputs designed for it, read as an
        // attacker would.
        Case {
            input: "CRLF line endings in the model and the labels (accepted)",
            files: vec![
                text("m.csv", &GOOD.replace('\n', "\r\n")),
                text("labels.csv", &LABELS.replace('\n', "\r\n")),
            ],
            args: &["evaluate", "m.csv", "--labels", "labels.csv", "--json"],
            code: 0,
        },
        Case {
            input: "only an `id` column",
            files: vec![text("m.csv", "id\n1\n2\n"), text("labels.csv", LABELS)],
            args: eval,
            code: 2,
        },
        Case {
            input: "an empty id",
            files: vec![
                text("m.csv", "id,a,b\n,0.9,0.1\n2,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "a NUL byte in an id (a binary or UTF-16 file)",
            files: vec![
                text("m.csv", "id,a,b\n1\0,0.9,0.1\n2,0.2,0.8\n"),
                text("labels.csv", LABELS),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "a .tsv file separated by commas",
            files: vec![text("m.tsv", GOOD), text("labels.csv", LABELS)],
            args: &["evaluate", "m.tsv", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "a TSV file with a tab at the end of every line",
            files: vec![
                text("m.tsv", "id\ta\tb\t\r\n1\t0.9\t0.1\t\r\n2\t0.2\t0.8\t\r\n"),
                text("labels.csv", LABELS),
            ],
            args: &["evaluate", "m.tsv", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "a class named `doc` (read as the document column of segments)",
            files: vec![
                text("m.csv", "id,doc,other\n1,0.9,0.1\n2,0.2,0.8\n"),
                text("labels.csv", "id,label\n1,doc\n2,other\n"),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "NumPy array in Fortran order (accepted: read column by column)",
            files: vec![
                (
                    "m.npy",
                    npy_ordered("<f4", true, "(2, 2)", &f32s(&[0.9, 0.2, 0.1, 0.8], false)),
                ),
                text("labels.csv", "id,label\n0,0\n1,1\n"),
            ],
            args: &["evaluate", "m.npy", "--labels", "labels.csv", "--json"],
            code: 0,
        },
        Case {
            input: "NumPy array of big-endian floats (accepted)",
            files: vec![
                (
                    "m.npy",
                    npy(">f4", "(2, 2)", &f32s(&[0.9, 0.1, 0.2, 0.8], true)),
                ),
                text("labels.csv", "id,label\n0,0\n1,1\n"),
            ],
            args: &["evaluate", "m.npy", "--labels", "labels.csv", "--json"],
            code: 0,
        },
        Case {
            input: "NumPy array of Python objects (pickled)",
            files: vec![
                ("m.npy", npy("|O", "(2, 2)", b"\x80\x02]q\x00.")),
                text("labels.csv", "id,label\n0,0\n1,1\n"),
            ],
            args: &["evaluate", "m.npy", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "an `.ids.txt` sidecar with more ids than rows",
            files: vec![
                (
                    "m.npy",
                    npy("<f4", "(2, 2)", &f32s(&[0.9, 0.1, 0.2, 0.8], false)),
                ),
                text("m.ids.txt", "1\n2\n3\n"),
                text("labels.csv", LABELS),
            ],
            args: &["evaluate", "m.npy", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "a `.classes.txt` sidecar with fewer classes than columns",
            files: vec![
                (
                    "m.npy",
                    npy("<f4", "(2, 2)", &f32s(&[0.9, 0.1, 0.2, 0.8], false)),
                ),
                text("m.classes.txt", "a\n"),
                text("labels.csv", "id,label\n0,a\n1,a\n"),
            ],
            args: &["evaluate", "m.npy", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "Parquet with a list column where a class's scores belong",
            files: vec![
                ("m.parquet", parquet_with_a_list_column()),
                text("labels.csv", LABELS),
            ],
            args: &["evaluate", "m.parquet", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "Parquet with a null score",
            files: vec![
                (
                    "m.parquet",
                    parquet_file(
                        vec![
                            ("id", parquet_ids()),
                            ("a", parquet_scores(vec![Some(0.9), None])),
                            ("b", parquet_scores(vec![Some(0.1), Some(0.8)])),
                        ],
                        &[2],
                    ),
                ),
                text("labels.csv", LABELS),
            ],
            args: &["evaluate", "m.parquet", "--labels", "labels.csv"],
            code: 2,
        },
        Case {
            input: "Parquet with an empty row group between two others (accepted)",
            files: vec![
                (
                    "m.parquet",
                    parquet_file(
                        vec![
                            ("id", parquet_ids()),
                            ("a", parquet_scores(vec![Some(0.9), Some(0.2)])),
                            ("b", parquet_scores(vec![Some(0.1), Some(0.8)])),
                        ],
                        &[1, 0, 1],
                    ),
                ),
                text("labels.csv", LABELS),
            ],
            args: &["evaluate", "m.parquet", "--labels", "labels.csv", "--json"],
            code: 0,
        },
        Case {
            input: "an empty label",
            files: vec![
                text("m.csv", GOOD),
                text("labels.csv", "id,label\n1,a\n2,\n"),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "an id twice in the labels, with two labels",
            files: vec![
                text("m.csv", GOOD),
                text("labels.csv", "id,label\n1,a\n2,b\n2,a\n"),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "text labels for a regression model",
            files: vec![
                text("m.csv", "id,value\n1,0.5\n2,1.5\n"),
                text("labels.csv", "id,label\n1,high\n2,low\n"),
            ],
            args: eval,
            code: 2,
        },
        Case {
            input: "fitted fuser with more weights than models",
            files: vec![
                text("m.csv", GOOD),
                text("n.csv", GOOD),
                text("f.json", &weighted_fuser("[0.25, 0.5, 0.25]")),
            ],
            args: &[
                "predict", "--fuser", "f.json", "m.csv", "n.csv", "-o", "out.csv",
            ],
            code: 2,
        },
        Case {
            input: "fitted fuser with a negative weight",
            files: vec![
                text("m.csv", GOOD),
                text("n.csv", GOOD),
                text("f.json", &weighted_fuser("[-0.5, 1.5]")),
            ],
            args: &[
                "predict", "--fuser", "f.json", "m.csv", "n.csv", "-o", "out.csv",
            ],
            code: 2,
        },
        Case {
            input: "fitted fuser with the weight `\"NaN\"` (a string)",
            files: vec![
                text("m.csv", GOOD),
                text("n.csv", GOOD),
                text("f.json", &weighted_fuser("[\"NaN\", 1.0]")),
            ],
            args: &[
                "predict", "--fuser", "f.json", "m.csv", "n.csv", "-o", "out.csv",
            ],
            code: 2,
        },
        Case {
            input: "fitted fuser naming a model twice",
            files: vec![
                text("m.csv", GOOD),
                text(
                    "f.json",
                    r#"{"modelfuse": 1, "spec": {"method": "mean"}, "task": {"kind": "binary"}, "models": ["m", "m"], "classes": ["a", "b"], "state": {}}"#,
                ),
            ],
            args: &["predict", "--fuser", "f.json", "m.csv", "-o", "out.csv"],
            code: 2,
        },
        Case {
            input: "fitted fuser with other classes than the model's",
            files: vec![
                text("m.csv", GOOD),
                text(
                    "f.json",
                    r#"{"modelfuse": 1, "spec": {"method": "mean"}, "task": {"kind": "binary"}, "models": ["m"], "classes": ["a", "c"], "state": {}}"#,
                ),
            ],
            args: &["predict", "--fuser", "f.json", "m.csv", "-o", "out.csv"],
            code: 2,
        },
        Case {
            input: "cascade cost file with a negative cost",
            files: vec![
                text("m.csv", GOOD),
                text("labels.csv", LABELS),
                text("costs.csv", "model,cost\nm,-1\n"),
            ],
            args: &[
                "cascade",
                "fit",
                "m.csv",
                "--labels",
                "labels.csv",
                "--costs",
                "costs.csv",
                "-o",
                "c.json",
            ],
            code: 2,
        },
        Case {
            input: "cascade cost file with a NaN cost",
            files: vec![
                text("m.csv", GOOD),
                text("labels.csv", LABELS),
                text("costs.csv", "model,cost\nm,NaN\n"),
            ],
            args: &[
                "cascade",
                "fit",
                "m.csv",
                "--labels",
                "labels.csv",
                "--costs",
                "costs.csv",
                "-o",
                "c.json",
            ],
            code: 2,
        },
        Case {
            input: "CoNLL gold of blank lines only",
            files: vec![
                text("gold.conll", "\n\n\n"),
                text("sys.conll", "Paris B-location\n"),
            ],
            args: &["ner", "evaluate", "sys.conll", "--labels", "gold.conll"],
            code: 2,
        },
        Case {
            input: "CoNLL gold with `-DOCSTART-` lines, runs of blank lines and tabs (accepted: same sentences as the plain system)",
            files: vec![
                text(
                    "gold.conll",
                    "-DOCSTART- -X- O\n\nParis\tB-location\nis\tO\n\n\n\n-DOCSTART- -X- O\n\nok O\n",
                ),
                text("sys.conll", "Paris B-location\nis O\n\nok O\n"),
            ],
            args: &[
                "ner",
                "evaluate",
                "sys.conll",
                "--labels",
                "gold.conll",
                "--json",
            ],
            code: 0,
        },
        Case {
            input: "a NUL byte in a CoNLL file",
            files: vec![
                text("gold.conll", "Paris B-location\nis O\n"),
                text("sys.conll", "Par\0is B-location\nis O\n"),
            ],
            args: &["ner", "evaluate", "sys.conll", "--labels", "gold.conll"],
            code: 2,
        },
        Case {
            input: "SQuAD question without an id",
            files: vec![
                text(
                    "dev.json",
                    r#"{"version": "1.1", "data": [{"paragraphs": [{"context": "Paris", "qas": [{"question": "?", "answers": [{"text": "Paris", "answer_start": 0}]}]}]}]}"#,
                ),
                text("p.json", r#"{"q1": "Paris"}"#),
            ],
            args: &["qa", "evaluate", "p.json", "--labels", "dev.json"],
            code: 2,
        },
        Case {
            input: "SQuAD answers that are null",
            files: vec![
                text(
                    "dev.json",
                    r#"{"version": "1.1", "data": [{"paragraphs": [{"context": "Paris", "qas": [{"id": "q1", "question": "?", "answers": null}]}]}]}"#,
                ),
                text("p.json", r#"{"q1": "Paris"}"#),
            ],
            args: &["qa", "evaluate", "p.json", "--labels", "dev.json"],
            code: 2,
        },
        Case {
            input: "SQuAD dataset without questions",
            files: vec![
                text(
                    "dev.json",
                    r#"{"version": "1.1", "data": [{"paragraphs": [{"context": "Paris", "qas": []}]}]}"#,
                ),
                text("p.json", r#"{"q1": "Paris"}"#),
            ],
            args: &["qa", "evaluate", "p.json", "--labels", "dev.json"],
            code: 2,
        },
        Case {
            input: "generated text with old Mac line endings (`\\r` alone)",
            files: vec![
                text("a.txt", "the cat sat\ron the mat\r"),
                text("ref.txt", "the cat sat\non the mat\n"),
            ],
            args: &["generate", "evaluate", "a.txt", "--labels", "ref.txt"],
            code: 2,
        },
        Case {
            input: "generated text with CRLF line endings against an LF reference (accepted: the same lines)",
            files: vec![
                text(
                    "a.txt",
                    "the quick brown fox jumps\r\nover the lazy dog\r\n",
                ),
                text("ref.txt", "the quick brown fox jumps\nover the lazy dog"),
            ],
            args: &[
                "generate", "evaluate", "a.txt", "--labels", "ref.txt", "--json",
            ],
            code: 0,
        },
        Case {
            input: "generated text saved as UTF-16 (NUL bytes)",
            files: vec![
                ("a.txt", b"o\0n\0e\0\n\0".to_vec()),
                text("ref.txt", "one\n"),
            ],
            args: &["generate", "evaluate", "a.txt", "--labels", "ref.txt"],
            code: 2,
        },
        Case {
            input: "segment position that is not a whole number",
            files: vec![
                text(
                    "m.csv",
                    "id,doc,segment,a,b\n1-0,1,1.5,0.9,0.1\n2-0,2,0,0.2,0.8\n",
                ),
                text("labels.csv", LABELS),
            ],
            args: &[
                "fit", "m.csv", "--method", "mean", "--pool", "mean", "-o", "c.json",
            ],
            code: 2,
        },
        Case {
            input: "segment length that is text",
            files: vec![
                text(
                    "m.csv",
                    "id,doc,length,a,b\n1-0,1,long,0.9,0.1\n2-0,2,3,0.2,0.8\n",
                ),
                text("labels.csv", LABELS),
            ],
            args: &[
                "fit", "m.csv", "--method", "mean", "--pool", "length", "-o", "c.json",
            ],
            code: 2,
        },
        Case {
            input: "`--folds 1`",
            files: vec![text("m.csv", GOOD), text("labels.csv", LABELS)],
            args: &[
                "fit",
                "m.csv",
                "--method",
                "mean",
                "--prune",
                "--labels",
                "labels.csv",
                "--folds",
                "1",
                "-o",
                "c.json",
            ],
            code: 2,
        },
        Case {
            input: "a negative `--seed`",
            files: vec![text("m.csv", GOOD), text("labels.csv", LABELS)],
            args: &[
                "fit",
                "m.csv",
                "--method",
                "stacking",
                "--labels",
                "labels.csv",
                "--seed",
                "-1",
                "-o",
                "c.json",
            ],
            code: 2,
        },
        Case {
            input: "a metric of another task (`--by rmse` on classes)",
            files: vec![text("m.csv", GOOD), text("labels.csv", LABELS)],
            args: &[
                "fit",
                "m.csv",
                "--method",
                "score-weighted",
                "--by",
                "rmse",
                "--labels",
                "labels.csv",
                "-o",
                "c.json",
            ],
            code: 2,
        },
        Case {
            input: "an option of another method (`--meta` for `mean`)",
            files: vec![text("m.csv", GOOD)],
            args: &[
                "fit", "m.csv", "--method", "mean", "--meta", "logistic", "-o", "c.json",
            ],
            code: 2,
        },
        Case {
            input: "`-o` into a folder that does not exist",
            files: vec![text("m.csv", GOOD)],
            args: &["fit", "m.csv", "--method", "mean", "-o", "nodir/c.json"],
            code: 2,
        },
        Case {
            input: "`-o` naming a folder",
            files: vec![text("m.csv", GOOD), text("out/keep", "")],
            args: &["fit", "m.csv", "--method", "mean", "-o", "out"],
            code: 2,
        },
        Case {
            input: "`auto --resamples` beyond what fits in memory",
            files: vec![
                text("ds/val/m.csv", GOOD),
                text("ds/val.labels.csv", LABELS),
            ],
            args: &["auto", "ds", "--resamples", "1000000000000", "-o", "out"],
            code: 2,
        },
        Case {
            input: "`ner report --resamples` beyond what fits in memory",
            files: vec![
                text("gold.conll", "Paris B-location\n\nok O\n"),
                text("a.conll", "Paris B-location\n\nok O\n"),
                text("b.conll", "Paris O\n\nok O\n"),
            ],
            args: &[
                "ner",
                "report",
                "a.conll",
                "b.conll",
                "--labels",
                "gold.conll",
                "--resamples",
                "1000000000000",
            ],
            code: 2,
        },
    ]
}

/// Runs every case and renders the catalogue as a Markdown table.
fn render() -> String {
    let mut out = String::from(
        "# What modelfuse says about bad input\n\n\
         Generated by `crates/modelfuse-cli/tests/bad_input.rs`, which runs every row and checks\n\
         the exit code and the message (`UPDATE_CATALOGUE=1 cargo test -p modelfuse-cli --test\n\
         bad_input` rewrites this file). Exit code 2 is bad input, 1 a failure to write, 0\n\
         success; nothing is written when a command fails. Commands run in a folder holding\n\
         the files named.\n\n\
         | input | command | exit | what modelfuse says |\n|---|---|---|---|\n",
    );
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &case.files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        let output = Command::cargo_bin("modelfuse")
            .unwrap()
            .current_dir(dir.path())
            .args(case.args)
            .output()
            .unwrap();
        let code = output.status.code().unwrap_or(-1);
        assert_eq!(
            code,
            case.code,
            "{}: expected exit code {}, got {code}; stderr: {}",
            case.input,
            case.code,
            String::from_utf8_lossy(&output.stderr)
        );
        let said = if code == 0 {
            // Accepted, but perhaps with a word on stderr (a warning, a
            // skipped file): shown beside it.
            match String::from_utf8_lossy(&output.stderr).lines().next() {
                Some(first) if !first.trim().is_empty() => {
                    format!("(accepted) {}", first.trim().replace('|', "\\|"))
                }
                _ => "(accepted)".to_string(),
            }
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let first = stderr.lines().next().unwrap_or("").trim().to_string();
            // A message quoting a 1 MiB cell must itself stay short.
            assert!(
                first.len() < 400,
                "{}: message of {} bytes",
                case.input,
                first.len()
            );
            first.replace('|', "\\|")
        };
        if code != 0 {
            for out in ["out.csv", "c.json"] {
                assert!(
                    !dir.path().join(out).exists(),
                    "{}: wrote {out}",
                    case.input
                );
            }
        }
        // A message quoting a command in backticks needs a longer fence.
        let said = if said.contains('`') {
            format!("`` {said} ``")
        } else {
            format!("`{said}`")
        };
        out.push_str(&format!(
            "| {} | `modelfuse {}` | {code} | {said} |\n",
            case.input,
            case.args.join(" ")
        ));
    }
    out
}

#[test]
fn the_catalogue_of_bad_inputs_is_current() {
    let rendered = render();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/BAD_INPUT.md");
    if std::env::var_os("UPDATE_CATALOGUE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "docs/BAD_INPUT.md is out of date; rerun with UPDATE_CATALOGUE=1 and read the diff.\n\nrendered:\n{rendered}"
    );
}
