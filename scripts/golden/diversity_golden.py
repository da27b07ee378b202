#!/usr/bin/env python3
"""Golden values for modelfuse's diversity measures (crates/modelfuse/src/diversity.rs).

Run with the venv described in scripts/golden/README.md:

    python scripts/golden/diversity_golden.py [--figqa PATH]

--figqa defaults to ../shared/data/figqa/merged_4models.jsonl (not committed); the file's
sha256 is recorded in the output, so a different copy shows up in the diff.

It writes crates/modelfuse/tests/golden/diversity.json, which the Rust test
crates/modelfuse/tests/golden_diversity.rs reads. The expected values are
computed here from the textbook definitions (Kuncheva & Whitaker 2003,
"Measures of diversity in classifier ensembles") with numpy, independently of
the Rust code; Cohen's kappa comes from scikit-learn's cohen_kappa_score, and
the correlations are cross-checked against numpy's corrcoef and scipy's
pearsonr. A measure that is not defined (zero denominator) is written as null,
which the Rust side reads as NaN.

Cases:
  figqa_4models     REAL predictions of four models on Fig-QA (1,094 items,
                    MIT; see PROVENANCE.md next to the data file).
  synthetic_5class  seeded, 4 models with shared "hard" samples.
  undefined         binary, with models always right, always wrong and
                    constant, so Q, rho and kappa are undefined for some pairs.
  single_model      one model: no pairs.
  multilabel        seeded, scores on a 1/8 grid (exact 0.5 included) so the
                    p >= 0.5 threshold is exercised.
  regression        seeded, residual correlations and ambiguity.
"""

import argparse
import hashlib
import json
import math
import platform
import warnings
from pathlib import Path

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.metrics import cohen_kappa_score

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/modelfuse/tests/golden/diversity.json"
FIGQA = Path(__file__).resolve().parents[3] / "shared/data/figqa/merged_4models.jsonl"
SEED = 20261123
PAIR_MEASURES = ["disagreement", "double_fault", "q_statistic", "error_correlation", "kappa"]


def num(x):
    """A float for JSON, or None (null) when the measure is not defined."""
    x = float(x)
    return None if math.isnan(x) else x


def oracle_pair(ca, cb):
    """The four oracle-output measures of two boolean correctness vectors."""
    n11 = int(np.sum(ca & cb))
    n10 = int(np.sum(ca & ~cb))
    n01 = int(np.sum(~ca & cb))
    n00 = int(np.sum(~ca & ~cb))
    n = n11 + n10 + n01 + n00
    q_den = n11 * n00 + n01 * n10
    rho_den = (n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00)
    q = (n11 * n00 - n01 * n10) / q_den if q_den else math.nan
    rho = (n11 * n00 - n01 * n10) / math.sqrt(rho_den) if rho_den else math.nan
    if rho_den:
        check = np.corrcoef(ca.astype(float), cb.astype(float))[0, 1]
        assert abs(check - rho) < 1e-12, (check, rho)
    return {
        "disagreement": (n01 + n10) / n,
        "double_fault": n00 / n,
        "q_statistic": q,
        "error_correlation": rho,
    }


def kappa(la, lb):
    with warnings.catch_warnings():
        # sklearn warns on the undefined case and returns replace_undefined_by.
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(la, lb, replace_undefined_by=np.nan))


def pearson(x, y):
    if np.std(x) == 0 or np.std(y) == 0:
        return math.nan
    r = float(np.corrcoef(x, y)[0, 1])
    assert abs(r - scipy.stats.pearsonr(x, y).statistic) < 1e-12
    return r


def ensemble(correct):
    """Non-pairwise measures of an L x N boolean correctness matrix."""
    big_l, n = correct.shape
    l = correct.sum(axis=0).astype(np.int64)
    spread = float(np.sum(l * (big_l - l)))
    pbar = l.sum() / (n * big_l)
    entropy = (
        float(np.sum(np.minimum(l, big_l - l))) / (n * (big_l - math.ceil(big_l / 2)))
        if big_l > 1
        else math.nan
    )
    interrater = (
        1.0 - (spread / big_l) / (n * (big_l - 1) * pbar * (1 - pbar))
        if big_l > 1 and 0 < pbar < 1
        else math.nan
    )
    return {
        "kohavi_wolpert_variance": spread / (n * big_l * big_l),
        "entropy": entropy,
        "interrater_agreement": interrater,
        "oracle_accuracy": float(np.mean(l > 0)),
    }


def pair_means(pairs):
    out = {}
    for m in PAIR_MEASURES:
        vals = np.array([math.nan if p[m] is None else p[m] for p in pairs], dtype=float)
        undefined = int(np.isnan(vals).sum())
        defined = vals[~np.isnan(vals)]
        out[m] = {"mean": num(defined.mean()) if defined.size else None, "undefined": undefined}
    return out


def classification_expected(names, labels, truth):
    """names: model names; labels: dict name -> int array of decisions; truth: int array."""
    names = sorted(names)  # modelfuse orders models by name
    correct = np.array([labels[m] == truth for m in names])
    pairs = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            p = oracle_pair(correct[i], correct[j])
            p["kappa"] = kappa(labels[names[i]], labels[names[j]])
            pairs.append({"a": names[i], "b": names[j], **{k: num(v) for k, v in p.items()}})
    summary = pair_means(pairs)
    summary.update({k: num(v) for k, v in ensemble(correct).items()})
    summary["ambiguity"] = None
    return {"models": names, "pairs": pairs, "summary": summary}


def regression_expected(values, y):
    names = sorted(values)
    resid = {m: y - values[m] for m in names}
    pairs = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = names[i], names[j]
            pair = {m: None for m in PAIR_MEASURES}
            pair["error_correlation"] = num(pearson(resid[a], resid[b]))
            pairs.append({"a": a, "b": b, **pair})
    f = np.array([values[m] for m in names])
    summary = pair_means(pairs)
    summary.update(
        {
            "kohavi_wolpert_variance": None,
            "entropy": None,
            "interrater_agreement": None,
            "oracle_accuracy": None,
            "ambiguity": float(np.mean((f - f.mean(axis=0)) ** 2)),
        }
    )
    return {"models": names, "pairs": pairs, "summary": summary}


def figqa_cases(path):
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert [r["idx"] for r in rows] == list(range(len(rows)))
    gold = np.array([r["gold"] for r in rows])
    names = sorted(rows[0]["predictions"])
    labels = {m: np.array([r["predictions"][m] for r in rows]) for m in names}
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    full = {
        "name": "figqa_4models",
        "description": "Fig-QA (Liu et al. 2022) via ExplainaBoard, MIT: real option-index "
        f"predictions of 4 models on 1,094 items; read from ../shared/data/figqa (not committed); merged_4models.jsonl sha256 {sha}",
        "task": "classification",
        "classes": ["0", "1"],
        # The data stays outside the repository; the test reads it through
        # modelfuse-testdata (the same items in the same order).
        "source": {"set": "figqa"},
        "expected": classification_expected(names, labels, gold),
    }
    n = 60
    single = {
        "name": "single_model",
        "description": f"the first {n} Fig-QA items, roberta alone: no pairs",
        "task": "classification",
        "classes": ["0", "1"],
        "source": {"set": "figqa", "first": n, "models": ["roberta"]},
        "expected": classification_expected(["roberta"], {"roberta": labels["roberta"][:n]}, gold[:n]),
    }
    return full, single


def synthetic_5class(rng):
    n, k = 400, 5
    y = rng.integers(0, k, n)
    # A shared difficulty per sample makes the models' errors correlated, as
    # real models' are.
    hardness = rng.random(n)
    labels = {}
    for name, acc in [("alpha", 0.85), ("beta", 0.75), ("gamma", 0.6), ("delta", 0.45)]:
        p_right = np.clip(acc + 0.5 * (0.5 - hardness), 0, 1)
        right = rng.random(n) < p_right
        wrong = (y + rng.integers(1, k, n)) % k
        labels[name] = np.where(right, y, wrong)
    return {
        "name": "synthetic_5class",
        "description": f"seeded (numpy default_rng({SEED})) 5 classes, 4 models, 400 samples",
        "task": "classification",
        "classes": ["a", "b", "c", "d", "e"],
        "models": {m: v.tolist() for m, v in labels.items()},
        "targets": y.tolist(),
        "expected": classification_expected(list(labels), labels, y),
    }


def undefined_case(rng):
    n = 40
    y = rng.integers(0, 2, n)
    flip = rng.random(n) < 0.3
    labels = {
        "perfect": y.copy(),
        "always_wrong": 1 - y,
        "always_neg": np.zeros(n, dtype=np.int64),
        "always_neg_too": np.zeros(n, dtype=np.int64),
        "noisy": np.where(flip, 1 - y, y),
    }
    return {
        "name": "undefined",
        "description": "binary; a model always right (Q, rho undefined against it), one always "
        "wrong, two predicting one class (kappa undefined between them)",
        "task": "classification",
        "classes": ["neg", "pos"],
        "models": {m: v.tolist() for m, v in labels.items()},
        "targets": y.tolist(),
        "expected": classification_expected(list(labels), labels, y),
    }


def multilabel_case(rng):
    n, k = 60, 3
    truth = rng.random((n, k)) < 0.4
    scores = {}
    for name, signal, noise in [("m1", 0.6, 0.25), ("m2", 0.4, 0.3), ("m3", 0.2, 0.35)]:
        raw = truth * signal + rng.normal(0.2, noise, (n, k))
        # A grid of eighths: exact in f32 and in JSON, and it hits 0.5 often.
        scores[name] = np.clip(np.round(raw * 8) / 8, 0, 1)
    labels = {m: (s >= 0.5).astype(np.int64).ravel() for m, s in scores.items()}
    assert sum(int(np.sum(s == 0.5)) for s in scores.values()) > 5
    return {
        "name": "multilabel",
        "description": "seeded 3 labels, 3 models, 60 samples; every (sample, label) cell is a "
        "decision at p >= 0.5",
        "task": "multilabel",
        "classes": ["x", "y", "z"],
        "models": {m: s.ravel().tolist() for m, s in scores.items()},
        "targets": truth.astype(int).tolist(),
        "expected": classification_expected(list(labels), labels, truth.astype(np.int64).ravel()),
    }


def regression_case(rng):
    n = 150
    y = np.round(rng.normal(10.0, 3.0, n), 6)
    shared = rng.normal(0.0, 1.0, n)
    values = {}
    for name, share, noise in [("ridge", 0.8, 0.5), ("forest", 0.5, 1.0), ("knn", -0.3, 1.5)]:
        pred = y + share * shared + rng.normal(0.0, noise, n)
        # modelfuse stores predictions as f32: compute with exactly those values.
        values[name] = pred.astype(np.float32).astype(np.float64)
    return {
        "name": "regression",
        "description": "seeded 3 models, 150 samples; predictions are f32 values",
        "task": "regression",
        "models": {m: v.tolist() for m, v in values.items()},
        "targets": y.tolist(),
        "expected": regression_expected(values, y),
    }


def write(doc, path):
    """JSON with one line per case field, so diffs stay readable and the
    long arrays stay compact."""
    def compact(value):
        return json.dumps(value, separators=(",", ":"), allow_nan=False)

    lines = ["{"]
    for key in ["about", "generator", "versions", "tolerance"]:
        lines.append(f' "{key}": {compact(doc[key])},')
    lines.append(' "cases": [')
    for ci, case in enumerate(doc["cases"]):
        fields = [f'  "{k}": {compact(v)}' for k, v in case.items()]
        end = "," if ci + 1 < len(doc["cases"]) else ""
        lines.append(" {\n" + ",\n".join(fields) + "\n }" + end)
    lines.append(" ]\n}\n")
    path.write_text("\n".join(lines))
    json.loads(path.read_text())  # it must parse back


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figqa", type=Path, default=FIGQA, help="merged_4models.jsonl")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    rng = np.random.default_rng(SEED)
    figqa, single = figqa_cases(args.figqa)
    cases = [
        figqa,
        synthetic_5class(rng),
        undefined_case(rng),
        single,
        multilabel_case(rng),
        regression_case(rng),
    ]
    doc = {
        "about": "expected diversity measures; null = not defined (NaN in Rust)",
        "generator": "scripts/golden/diversity_golden.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "tolerance": {"rel": 1e-9},
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write(doc, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
