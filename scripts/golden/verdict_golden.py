#!/usr/bin/env python3
"""Golden values for the bootstrap of `crates/modelfuse/src/verdict.rs`.

Writes `crates/modelfuse/tests/golden/verdict.json`, checked by
`crates/modelfuse/tests/golden_verdict.rs` to 1e-12.

`synthetic.Rng` re-implements modelfuse's `learn::rng::Rng` bit for bit, so
this script draws the same resamples as the Rust code: resample `r` is `n`
successive `Rng(seed).fork(r).below(n)`. Each resample is scored with
scikit-learn (on the float32 predictions widened to float64, as modelfuse
scores them); a resample where scikit-learn returns NaN (ROC-AUC when a class
is missing) is skipped and counted. Then, with alpha = (1 - confidence) / 2:

* interval: the metric on all samples, and `numpy.quantile` (default
  'linear' method) of the resampled values at alpha and 1 - alpha;
* paired comparison of a against b on the same resamples: the gain
  `a - b` (`b - a` for losses), its quantiles, and the p-value
  `min(1, 2 * min(#{gain <= 0}, #{gain >= 0}) / B)` over the B resamples
  where both are defined; the verdict is "better" when the lower bound is
  above 0, "worse" when the upper bound is below 0, else
  "not_distinguishable".

The predictions are the seeded synthetic ones of `synthetic.py`, rebuilt by
the Rust test, so the JSON stores their recipe and a checksum only.

Usage: /work/venv/bin/python scripts/golden/verdict_golden.py
"""

import json
import math
import platform
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn import metrics as skm

from synthetic import Rng, checksum, classification, float_bits, regression

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "modelfuse" / "tests" / "golden" / "verdict.json"

DATASETS = {
    "probs_2x300x3": {"kind": "classification", "seed": 8, "n": 300, "k": 3,
                      "skills": [45, 75], "copies": []},
    "probs_2x300x3_close": {"kind": "classification", "seed": 9, "n": 300, "k": 3,
                            "skills": [60, 61], "copies": []},
    "probs_2x30x5": {"kind": "classification", "seed": 10, "n": 30, "k": 5,
                     "skills": [50, 70], "copies": []},
    "values_2x200": {"kind": "regression", "seed": 11, "n": 200,
                     "noise": [30, 20], "bias": [4, -2]},
}

# `a` and `b` are model indices; confidence is in percent.
CASES = [
    {"name": "accuracy", "data": "probs_2x300x3", "metric": "accuracy",
     "a": 1, "b": 0, "n_resamples": 1000, "confidence_percent": 95, "seed": 1},
    {"name": "log_loss", "data": "probs_2x300x3", "metric": "log_loss",
     "a": 1, "b": 0, "n_resamples": 1000, "confidence_percent": 95, "seed": 2},
    {"name": "f1_macro_close", "data": "probs_2x300x3_close", "metric": "f1_macro",
     "a": 1, "b": 0, "n_resamples": 1000, "confidence_percent": 95, "seed": 3},
    {"name": "roc_auc_undefined_resamples", "data": "probs_2x30x5", "metric": "roc_auc",
     "a": 1, "b": 0, "n_resamples": 500, "confidence_percent": 90, "seed": 4},
    {"name": "rmse_worse", "data": "values_2x200", "metric": "rmse",
     "a": 0, "b": 1, "n_resamples": 1000, "confidence_percent": 99, "seed": 5},
]

GREATER_IS_BETTER = {"accuracy": True, "f1_macro": True, "roc_auc": True,
                     "log_loss": False, "rmse": False}


def metric_fn(name, k):
    """The metric of (y, block) by scikit-learn, NaN where undefined."""
    labels = list(range(k)) if k else None
    if name == "accuracy":
        return lambda y, B: skm.accuracy_score(y, B.argmax(axis=1))
    if name == "f1_macro":
        return lambda y, B: skm.f1_score(y, B.argmax(axis=1), labels=labels,
                                         average="macro", zero_division=0)
    if name == "log_loss":
        return lambda y, B: skm.log_loss(y, B, labels=labels)
    if name == "roc_auc":
        if k == 2:
            return lambda y, B: skm.roc_auc_score(y, B[:, 1])
        return lambda y, B: skm.roc_auc_score(y, B, multi_class="ovr", average="macro",
                                              labels=labels)
    if name == "rmse":
        return lambda y, B: skm.root_mean_squared_error(y, B[:, 0])
    raise ValueError(name)


def resample(n, seed, r):
    g = Rng(seed).fork(r)
    return np.array([g.below(n) for _ in range(n)])


def bounds(values, confidence):
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(np.array(values), [alpha, 1.0 - alpha])
    return float(low), float(high)


def run_case(case, P, y, k):
    score = metric_fn(case["metric"], k)
    greater = GREATER_IS_BETTER[case["metric"]]
    A, B = P[case["a"]], P[case["b"]]
    confidence = case["confidence_percent"] / 100
    n = len(y)
    va, vb, gains = [], [], []
    for r in range(case["n_resamples"]):
        idx = resample(n, case["seed"], r)
        sa, sb = score(y[idx], A[idx]), score(y[idx], B[idx])
        if not math.isnan(sa):
            va.append(sa)
        if not math.isnan(sb):
            vb.append(sb)
        if not (math.isnan(sa) or math.isnan(sb)):
            gains.append(sa - sb if greater else sb - sa)

    def interval(block, values):
        low, high = bounds(values, confidence)
        return {"estimate": score(y, block), "low": low, "high": high,
                "resamples_undefined": case["n_resamples"] - len(values)}

    ea, eb = score(y, A), score(y, B)
    low, high = bounds(gains, confidence)
    at_most = sum(1 for g in gains if g <= 0.0)
    at_least = sum(1 for g in gains if g >= 0.0)
    p_value = min(1.0, 2.0 * min(at_most, at_least) / len(gains))
    verdict = "better" if low > 0 else "worse" if high < 0 else "not_distinguishable"
    return {
        **case,
        "interval_a": interval(A, va),
        "interval_b": interval(B, vb),
        "comparison": {
            "gain": ea - eb if greater else eb - ea,
            "low": low, "high": high, "p_value": p_value,
            "resamples_undefined": case["n_resamples"] - len(gains),
            "verdict": verdict,
        },
    }


def rng_check():
    """Raw draws, so a generator mismatch is reported as such."""
    g = Rng(12345)
    u64 = [g.next_u64() for _ in range(4)]
    f = g.fork(3)
    forked = [f.next_u64() for _ in range(3)]
    below = [f.below(7) for _ in range(10)]
    items = list(range(10))
    Rng(5).shuffle(items)
    return {"seed": 12345, "next_u64": u64, "fork_3_next_u64": forked,
            "then_below_7": below, "shuffle_seed_5_range_10": items}


def main():
    warnings.simplefilter("ignore")  # undefined ROC-AUC on resamples
    data = {}
    for name, d in DATASETS.items():
        if d["kind"] == "classification":
            P, y = classification(d["seed"], d["n"], d["k"], d["skills"], d["copies"])
            data[name] = (P, y, d["k"])
        else:
            P, y = regression(d["seed"], d["n"], d["noise"], d["bias"])
            data[name] = (P, y, None)
        d["checksum"] = checksum(P)
        d["checksum_bits"] = float_bits(d["checksum"])
    cases = [run_case(c, *data[c["data"]]) for c in CASES]
    verdicts = {c["comparison"]["verdict"] for c in cases}
    assert verdicts == {"better", "worse", "not_distinguishable"}, verdicts
    assert any(c["comparison"]["resamples_undefined"] > 0 for c in cases)
    doc = {
        "generated_by": "scripts/golden/verdict_golden.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "rng": rng_check(),
        "datasets": DATASETS,
        "cases": cases,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    for c in cases:
        print(f"{c['name']:28} a {c['interval_a']} \n{'':28} cmp {c['comparison']}")


if __name__ == "__main__":
    main()
