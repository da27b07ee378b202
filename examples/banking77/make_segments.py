"""Segment-level predictions for serial fusion (`modelfuse fit --pool`), from
real BANKING77 text and real classifiers.

    python3 examples/banking77/make_segments.py

BANKING77 has no labelled long documents, so this makes the situation long
documents create: each test query is predicted through a model whose
context is shorter than the query. Three classical models of the zoo
(make_predictions.py: `tfidf_word_logreg`, `tfidf_char_svm`,
`word_counts_nb`, same settings) are trained on the full training queries
(data/train.csv), then each test query is cut into windows of WINDOW words
with a stride of STRIDE words (a query of at most WINDOW words is one
segment), and every window is predicted on its own. Each model's output is
then one row per window:

    segments/<split>/<model>.parquet
        id       '<query row>-<k>' (the segment)
        doc      the query's row in data/test.csv (the ids of ../val, ../test)
        segment  k, the window's position (0, 1, …)
        length   the window's number of words
        one float32 column per intent (categories.json order), stored as the
        zoo stores them (see compact() in make_predictions.py)

split into the same validation and test halves as the zoo (../val.labels.csv,
../test.labels.csv: one label per document). Deterministic: the models are
seeded as in the zoo. Runs in the zoo's virtual environment (made by
make_predictions.py, or pass --no-venv inside one with the same pins).
"""
import json
import pathlib
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_predictions as zoo  # noqa: E402

WINDOW = 4
STRIDE = 2
MODELS = ("tfidf_word_logreg", "tfidf_char_svm", "word_counts_nb")


def windows(text):
    """The word windows of a query: (position, text, number of words)."""
    words = text.split()
    if len(words) <= WINDOW:
        return [(0, " ".join(words), len(words))]
    out = []
    start = 0
    while True:
        part = words[start:start + WINDOW]
        out.append((len(out), " ".join(part), len(part)))
        if start + WINDOW >= len(words):
            return out
        start += STRIDE


def write_segments(path, rows, probs, classes):
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {
        "id": pa.array([f"{d}-{k}" for d, k, _ in rows], type=pa.string()),
        "doc": pa.array([d for d, _, _ in rows], type=pa.int64()),
        "segment": pa.array([k for _, k, _ in rows], type=pa.int64()),
        "length": pa.array([n for _, _, n in rows], type=pa.int64()),
    }
    for j, c in enumerate(classes):
        columns[c] = pa.array(probs[:, j], type=pa.float32())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(pa.table(columns), tmp, compression="zstd", compression_level=19,
                   use_dictionary=["id"], use_byte_stream_split=list(classes),
                   write_statistics=False, store_schema=False)
    tmp.replace(path)


def main_in_venv():
    import numpy as np
    import pandas as pd
    from sklearn.metrics import accuracy_score

    t0 = time.time()
    classes = json.loads((zoo.SOURCE / "categories.json").read_text())
    index = {c: i for i, c in enumerate(classes)}
    train = pd.read_csv(zoo.SOURCE / "train.csv", keep_default_na=False)
    test = pd.read_csv(zoo.SOURCE / "test.csv", keep_default_na=False)
    y_train = train["category"].map(index).to_numpy()
    y_test = test["category"].map(index).to_numpy()

    seg_rows = []  # (doc, k, words)
    seg_texts = []
    for doc, text in enumerate(test["text"].tolist()):
        for k, part, n in windows(text):
            seg_rows.append((doc, k, n))
            seg_texts.append(part)
    seg_doc = np.array([d for d, _, _ in seg_rows])
    counts = np.bincount(seg_doc, minlength=len(test))
    zoo.log(f"{len(test)} queries -> {len(seg_rows)} windows of <= {WINDOW} words "
            f"(stride {STRIDE}); {np.mean(counts):.2f} per query, max {counts.max()}, "
            f"{np.sum(counts == 1)} queries in one window")

    features = zoo.text_features(train["text"].tolist(), seg_texts)
    splits = {}
    for split in ("val", "test"):
        labels = pd.read_csv(HERE / f"{split}.labels.csv", keep_default_na=False)
        splits[split] = set(labels["id"].tolist())
    summary = {"window_words": WINDOW, "stride_words": STRIDE, "segments": len(seg_rows),
               "models": []}
    for name, description, feat, fraction, seed, make in zoo.zoo():
        if name not in MODELS:
            continue
        tm = time.time()
        x_train, x_seg = features[feat]
        rows = zoo.subset(y_train, fraction, seed)
        model = make()
        model.fit(x_train[rows], y_train[rows])
        stored = zoo.compact(zoo.normalise(model.predict_proba(x_seg)))
        row = {"model": name, "description": description}
        for split, docs in splits.items():
            keep = np.array([d in docs for d in seg_doc])
            picked = [r for r, k in zip(seg_rows, keep) if k]
            write_segments(HERE / "segments" / split / f"{name}.parquet", picked,
                           stored[keep], classes)
            # Mean pooling, for the log only: modelfuse's numbers are in README.md.
            q = stored[keep].astype(np.float64)
            d = seg_doc[keep]
            pooled = np.zeros((len(test), len(classes)))
            np.add.at(pooled, d, q)
            ids = np.array(sorted(docs))
            acc = accuracy_score(y_test[ids], pooled[ids].argmax(1))
            seg_acc = accuracy_score(y_test[d], q.argmax(1))
            row[f"{split}_segment_accuracy"] = round(float(seg_acc), 4)
            row[f"{split}_mean_pooled_accuracy"] = round(float(acc), 4)
        summary["models"].append(row)
        zoo.log(f"{name:20s} per-window acc (val) {row['val_segment_accuracy']:.4f}, "
                f"mean-pooled (val) {row['val_mean_pooled_accuracy']:.4f} "
                f"({time.time() - tm:.1f} s)")
    (HERE / "segments" / "segments.json").write_text(json.dumps(summary, indent=2) + "\n")
    zoo.log(f"done in {time.time() - t0:.0f} s")


def main():
    args = sys.argv[1:]
    if [a for a in args if a != "--no-venv"]:
        sys.exit(f"unknown arguments {args}; see the docstring of {__file__}")
    in_venv = pathlib.Path(sys.prefix).resolve() == zoo.VENV.resolve()
    if "--no-venv" not in args and not in_venv:
        python = zoo.ensure_venv()
        sys.exit(subprocess.run([str(python), __file__, *args]).returncode)
    main_in_venv()


if __name__ == "__main__":
    main()
