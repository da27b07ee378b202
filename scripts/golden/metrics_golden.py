#!/usr/bin/env python3
"""Golden values for `crates/modelfuse/src/metrics.rs`, computed with scikit-learn.

Writes `crates/modelfuse/tests/golden/metrics.json`: for every case, the inputs
(probabilities as float32 values, targets) and the value of every metric that
applies to the task, plus the versions of Python, NumPy, SciPy and
scikit-learn that produced them. The Rust test `tests/golden_metrics.rs` reads
the file and checks `modelfuse::metrics` against it.

Inputs are generated deterministically (each case has its own NumPy seed).
Probabilities are made in float64, rounded to float32 (what `Predictions`
stores), and widened back to float64 before scikit-learn sees them, so both
sides score exactly the same numbers and only summation order can differ.

Usage (see README.md in this folder):

    scripts/.venv/bin/python scripts/golden/metrics_golden.py [--figqa PATH]
"""

import argparse
import json
import platform
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn import metrics as skm

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "modelfuse" / "tests" / "golden" / "metrics.json"
FIGQA = Path(__file__).resolve().parents[3] / "shared/data/figqa/merged_4models.jsonl"

# The ECE bins: bin i holds confidences in (i/15, (i+1)/15].
ECE_BINS = 15
# A multilabel label is predicted when its probability is at least this.
THRESHOLD = 0.5

NOTES = [
    "single-label predicted class = argmax, ties to the lowest class index (np.argmax)",
    "precision/recall/f1: labels=range(k), zero_division=0; classes absent from both "
    "y_true and y_pred count as 0 in macro averages",
    "balanced_accuracy and mcc take no labels argument: classes absent from y_true "
    "are left out of balanced accuracy (scikit-learn warns)",
    "log_loss clips probabilities to [eps, 1-eps], eps = float64 machine epsilon",
    "brier: binary = brier_score_loss(y, p[:, 1]) (mean (p1 - y)^2); multiclass = "
    "brier_score_loss(y, P, labels) with scale_by_half='auto', i.e. the unhalved "
    "mean over samples of the sum over classes of (p - onehot)^2",
    "ece: top-label, 15 equal-width bins (i/15, (i+1)/15], sum |acc - conf| n_bin / n "
    "(NumPy; scikit-learn has no ECE)",
    "roc_auc: binary roc_auc_score(y, p[:, 1]); multiclass multi_class='ovr', "
    "average='macro', labels=range(k); multilabel average='macro'. null = scikit-learn "
    "returns nan (a class or label without positive or negative samples)",
    "multilabel: predicted label = p >= 0.5; accuracy = subset accuracy; log_loss = mean "
    "binary cross-entropy over samples and labels (NumPy, same clipping); brier = mean "
    "squared error over all cells (NumPy)",
    "r2: r2_score with force_finite=True (constant y: 1.0 if perfect else 0.0; fewer "
    "than two samples: nan -> null)",
]


def f32_list(a):
    """Float32 values as the exact float64 decimals that round-trip to them."""
    a = np.asarray(a, dtype=np.float32)
    return np.asarray(a, dtype=np.float64).tolist()


def num(x):
    """A metric value for JSON: NaN becomes null."""
    x = float(x)
    return None if np.isnan(x) else x


def softmax_rows(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def model_proba(rng, y, k, signal=1.5, noise=1.0):
    """Class probabilities of a decent but imperfect model, as float32."""
    logits = rng.normal(scale=noise, size=(len(y), k))
    logits[np.arange(len(y)), y] += signal
    return softmax_rows(logits).astype(np.float32)


def ece(y, proba):
    """Top-label expected calibration error with explicit bin edges."""
    conf = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y).astype(np.float64)
    total = 0.0
    for i in range(ECE_BINS):
        lo, hi = i / ECE_BINS, (i + 1) / ECE_BINS
        in_bin = (conf > lo) & (conf <= hi)
        n_bin = int(in_bin.sum())
        if n_bin:
            gap = abs(correct[in_bin].mean() - conf[in_bin].mean())
            total += gap * n_bin / len(y)
    return total


def single_label_expected(y, proba32):
    """Every classification metric for class indices `y` and float32 rows."""
    y = np.asarray(y)
    proba = proba32.astype(np.float64)
    n, k = proba.shape
    labels = list(range(k))
    yhat = proba.argmax(axis=1)
    out = {
        "accuracy": skm.accuracy_score(y, yhat),
        "balanced_accuracy": skm.balanced_accuracy_score(y, yhat),
    }
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = skm.precision_recall_fscore_support(
            y, yhat, labels=labels, average=avg, zero_division=0
        )
        out[f"precision_{avg}"] = p
        out[f"recall_{avg}"] = r
        out[f"f1_{avg}"] = f
    out["log_loss"] = skm.log_loss(y, proba, labels=labels)
    if k == 2:
        out["brier"] = skm.brier_score_loss(y, proba[:, 1], pos_label=1)
        out["roc_auc"] = skm.roc_auc_score(y, proba[:, 1])
    else:
        out["brier"] = skm.brier_score_loss(y, proba, labels=labels)
        out["roc_auc"] = skm.roc_auc_score(
            y, proba, multi_class="ovr", average="macro", labels=labels
        )
    out["ece"] = ece(y, proba)
    out["mcc"] = skm.matthews_corrcoef(y, yhat)
    return {name: num(v) for name, v in out.items()}


def multilabel_expected(Y, proba32):
    Y = np.asarray(Y, dtype=np.int64)
    proba = proba32.astype(np.float64)
    Yhat = (proba >= THRESHOLD).astype(np.int64)
    out = {"accuracy": skm.accuracy_score(Y, Yhat)}
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = skm.precision_recall_fscore_support(
            Y, Yhat, average=avg, zero_division=0
        )
        out[f"precision_{avg}"] = p
        out[f"recall_{avg}"] = r
        out[f"f1_{avg}"] = f
    eps = np.finfo(np.float64).eps
    pc = np.clip(proba, eps, 1 - eps)
    out["log_loss"] = -np.mean(Y * np.log(pc) + (1 - Y) * np.log(1 - pc))
    out["brier"] = np.mean((proba - Y) ** 2)
    out["roc_auc"] = skm.roc_auc_score(Y, proba, average="macro")
    return {name: num(v) for name, v in out.items()}


def regression_expected(y, yhat32):
    y = np.asarray(y, dtype=np.float64)
    yhat = np.asarray(yhat32, dtype=np.float32).astype(np.float64)
    return {
        "rmse": num(np.sqrt(skm.mean_squared_error(y, yhat))),
        "mae": num(skm.mean_absolute_error(y, yhat)),
        "r2": num(skm.r2_score(y, yhat)),
    }


def single_label_case(name, y, proba32, about):
    y = np.asarray(y)
    k = proba32.shape[1]
    return {
        "name": name,
        "about": about,
        "task": "binary" if k == 2 else "multiclass",
        "n_classes": k,
        "y_true": y.tolist(),
        "proba": [f32_list(row) for row in proba32],
        "expected": single_label_expected(y, proba32),
    }


def cases():
    out = []

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=200)
    out.append(single_label_case("binary", y, model_proba(rng, y, 2), "random binary"))

    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, size=150)
    out.append(single_label_case("multiclass3", y, model_proba(rng, y, 3), "random 3-class"))

    # Class 4 occurs neither in y_true nor among the predictions: it still
    # counts (as 0) in macro averages, and one-vs-rest ROC-AUC is undefined.
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, size=120)
    logits = rng.normal(size=(120, 5))
    logits[np.arange(120), y] += 1.5
    logits[:, 4] -= 10.0
    p = softmax_rows(logits).astype(np.float32)
    assert 4 not in set(p.astype(np.float64).argmax(axis=1))
    out.append(
        single_label_case(
            "multiclass5_absent_class", y, p, "class 4 absent from y_true and y_pred"
        )
    )

    # Class 3 is predicted but never true: balanced accuracy leaves it out.
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, size=100)
    logits = rng.normal(size=(100, 4))
    logits[np.arange(100), y] += 1.0
    logits[:, 3] += 0.5
    p = softmax_rows(logits).astype(np.float32)
    assert 3 in set(p.astype(np.float64).argmax(axis=1))
    out.append(
        single_label_case(
            "multiclass4_predicted_not_true", y, p, "class 3 predicted but never true"
        )
    )

    # Scores on a grid of eighths: many tied scores, exact 0, 0.5 and 1 (a 0.5
    # row is an argmax tie, broken towards class 0).
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, size=120)
    p1 = np.clip(rng.integers(0, 9, size=120) + 2 * y - 1, 0, 8) / 8.0
    p = np.stack([1.0 - p1, p1], axis=1).astype(np.float32)
    out.append(single_label_case("binary_ties", y, p, "scores on a grid of eighths"))

    # Exact 0 and 1 probabilities (log-loss clipping), and argmax ties.
    rng = np.random.default_rng(6)
    table = np.array(
        [
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
            [0.5, 0.5, 0],
            [0, 0.5, 0.5],
            [0.5, 0, 0.5],
            [0.25, 0.5, 0.25],
        ]
    )
    rows = np.concatenate(
        [
            table[rng.integers(0, len(table), size=40)],
            model_proba(rng, rng.integers(0, 3, size=20), 3),
        ]
    )
    y = rng.integers(0, 3, size=len(rows))
    out.append(
        single_label_case(
            "multiclass3_extremes",
            y,
            rows.astype(np.float32),
            "exact 0/1 probabilities and ties",
        )
    )

    # Only one class in y_true: ROC-AUC is undefined (scikit-learn: nan).
    rng = np.random.default_rng(7)
    y = np.ones(20, dtype=np.int64)
    out.append(
        single_label_case("binary_one_class", y, model_proba(rng, y, 2), "y_true all 1")
    )

    # Multilabel, 4 labels of different prevalence, with exact 0, 0.5 and 1.
    rng = np.random.default_rng(8)
    n, L = 150, 4
    Y = (rng.random((n, L)) < np.array([0.5, 0.3, 0.15, 0.7])).astype(np.int64)
    logits = rng.normal(size=(n, L)) + 1.5 * (2 * Y - 1)
    P = 1.0 / (1.0 + np.exp(-logits))
    for v in (0.0, 0.5, 1.0):
        idx = rng.integers(0, n, size=6)
        P[idx, rng.integers(0, L, size=6)] = v
    out.append(multilabel_case("multilabel4", Y, P.astype(np.float32), "4 labels"))

    # A label that is never positive: macro ROC-AUC is undefined; a label that
    # is never predicted counts as 0 in macro precision.
    rng = np.random.default_rng(9)
    n, L = 50, 3
    Y = (rng.random((n, L)) < np.array([0.5, 0.4, 0.0])).astype(np.int64)
    logits = rng.normal(size=(n, L)) + 1.5 * (2 * Y - 1)
    P = 1.0 / (1.0 + np.exp(-logits))
    P[:, 1] = np.minimum(P[:, 1], 0.45)
    out.append(
        multilabel_case(
            "multilabel3_label_never_positive",
            Y,
            P.astype(np.float32),
            "label 2 never true, label 1 never predicted",
        )
    )

    rng = np.random.default_rng(10)
    y = rng.normal(loc=3.0, scale=2.0, size=100)
    yhat = y + rng.normal(scale=0.7, size=100)
    out.append(regression_case("regression", y, yhat, "noisy predictions"))
    yhat = 2.5 + rng.normal(scale=0.1, size=20)
    out.append(
        regression_case(
            "regression_constant_y", np.full(20, 2.5), yhat, "constant y, imperfect"
        )
    )
    out.append(
        regression_case(
            "regression_constant_y_perfect",
            np.full(10, -1.25),
            np.full(10, -1.25),
            "constant y, perfect",
        )
    )
    out.append(
        regression_case("regression_one_sample", [0.75], [0.5], "one sample: r2 undefined")
    )
    return out


def multilabel_case(name, Y, P32, about):
    return {
        "name": name,
        "about": about,
        "task": "multilabel",
        "n_labels": int(Y.shape[1]),
        "y_true": Y.tolist(),
        "proba": [f32_list(row) for row in P32],
        "expected": multilabel_expected(Y, P32),
    }


def regression_case(name, y, yhat, about):
    yhat32 = np.asarray(yhat, dtype=np.float32)
    return {
        "name": name,
        "about": about,
        "task": "regression",
        "y_true": np.asarray(y, dtype=np.float64).tolist(),
        "y_pred": f32_list(yhat32),
        "expected": regression_expected(y, yhat32),
    }


def figqa_case(path):
    """Real hard predictions of four models on Fig-QA (binary choice)."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    gold = np.array([r["gold"] for r in rows])
    models = ["bert", "gpt2", "gptneo", "roberta"]
    preds = {m: [r["predictions"][m] for r in rows] for m in models}
    expected = {}
    for m in models:
        onehot = np.eye(2)[np.array(preds[m])].astype(np.float32)
        expected[m] = single_label_expected(gold, onehot)
    return {
        "name": "figqa_hard_predictions",
        "about": "Fig-QA (Liu et al. 2022, MIT) gold answers and the hard predictions of "
        "four models from ExplainaBoard (MIT), read from ../shared/data/figqa (not committed); predictions are "
        "one-hot probabilities",
        # The data stays outside the repository; the test reads it through
        # modelfuse-testdata (ids = item positions, as here).
        "source": {"set": "figqa"},
        "expected": expected,
    }


def dump(doc):
    """JSON with one line per case: small, and diffs show which case changed."""
    compact = dict(separators=(",", ":"))
    lines = ["{"]
    items = list(doc.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i + 1 < len(items) else ""
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{json.dumps(key)}:[")
            for j, v in enumerate(value):
                sep = "," if j + 1 < len(value) else ""
                lines.append(json.dumps(v, **compact) + sep)
            lines.append("]" + comma)
        else:
            lines.append(f"{json.dumps(key)}:{json.dumps(value, **compact)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figqa", type=Path, default=FIGQA, help="merged_4models.jsonl")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with warnings.catch_warnings():
        # Undefined metrics (nan ROC-AUC, R² of one sample), zero divisions and
        # float32 rows that do not sum to one within 1.5e-8 all warn; the
        # values are what we record.
        warnings.simplefilter("ignore")
        doc = {
            "generator": "scripts/golden/metrics_golden.py",
            "versions": {
                "python": platform.python_version(),
                "numpy": np.__version__,
                "scipy": scipy.__version__,
                "scikit-learn": sklearn.__version__,
            },
            "notes": NOTES,
            "cases": cases(),
            "real": [figqa_case(args.figqa)],
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dump(doc))
    text = args.out.read_text()
    print(f"wrote {args.out} ({len(text) / 1024:.1f} KiB)")


if __name__ == "__main__":
    main()
