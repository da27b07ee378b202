#!/usr/bin/env python3
"""Golden values for `crates/modelfuse/src/learn/`, computed with scikit-learn and SciPy.

Writes `crates/modelfuse/tests/golden/learn.json`: small datasets, and for
each case the settings and the reference solution, plus the versions that
produced them. The Rust test `tests/golden_learn.rs` fits the same data and
compares.

* logistic: `LogisticRegression(C, l1_ratio=0)` (the L2 penalty;
  `penalty="l2"` is deprecated since 1.8), on stacking-like features: the
  log-probabilities of three synthetic models whose errors are correlated.
  Cases: 4 classes (C = 1 and 0.1, with and without sample weights, some of
  them zero), binary, and 4 classes of which one never occurs in y
  (scikit-learn then fits 3; the expected probability of the absent class is
  0, the modelfuse convention).

  The reference is the exact optimum, computed by scikit-learn's
  `solver="newton-cholesky"` with `tol=1e-14`: the same objective as
  `solver="lbfgs"`, but Newton's method gets to a gradient of ~1e-16 in ten
  iterations. `solver="lbfgs"` with `tol=1e-10, max_iter=100000` does not:
  on these ill-conditioned features SciPy's L-BFGS-B stops on its relative
  decrease test (`ftol = 64 eps`, not settable through scikit-learn) with a
  gradient of ~1e-7, and probabilities up to 5e-6 from the optimum. Its
  answer is recorded under `lbfgs` (with that distance) so the test can also
  show agreement with it at the looser tolerance it allows.
* linear: `Ridge(alpha)` for alpha 1 and 10 with and without sample weights,
  `scipy.optimize.nnls`, and `LinearRegression(positive=True)` with and
  without sample weights, on the predictions of five correlated regressors.

Every input is rounded to six significant digits, so its JSON decimal is
short and parses to the same float64 in Python and in Rust. For each
logistic case the script also records the largest gradient component of
scikit-learn's own (scaled) objective at its solution, as evidence that the
reference is at the optimum.

Inputs come from fixed NumPy seeds and BLAS runs on one thread, so reruns
are byte-identical.

Usage (see README.md in this folder):

    scripts/.venv/bin/python scripts/golden/learn_golden.py
"""

import os

# Before NumPy loads: one BLAS thread, so sums happen in the same order on
# every run and the output is byte-identical.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import sklearn  # noqa: E402
from scipy.optimize import nnls  # noqa: E402
from scipy.special import logsumexp, softmax  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402

# Expected probabilities are stored for the first rows of each dataset only,
# to keep the file small; coefficients pin down the whole model anyway.
PROBA_ROWS = 100

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "modelfuse" / "tests" / "golden" / "learn.json"

NOTES = [
    "matrices are row-major lists of rows; x is n x d, y holds class indices 0..n_classes-1",
    "logistic: sklearn LogisticRegression(C, l1_ratio=0, solver='newton-cholesky', "
    "tol=1e-14, max_iter=100000), the optimum of the lbfgs objective; coef rows follow "
    "the classes present in y (one row when two are present); proba (first 100 rows, "
    "12 significant digits) has n_classes columns with 0 for a class absent from y",
    "logistic: max_grad = max |gradient| of sklearn's scaled objective (weighted mean "
    "loss + |W|^2 / (2 C sum(s))) at the solution; lbfgs = the same fit with "
    "solver='lbfgs', tol=1e-10, max_iter=100000, and its max |proba - optimum| (all rows)",
    "ridge: sklearn Ridge(alpha, fit_intercept=True); nnls: scipy.optimize.nnls(a, b) "
    "-> x, rnorm; positive: sklearn LinearRegression(positive=True)",
    "inputs are rounded to 6 significant digits so that their decimals parse exactly",
]


def r6(a):
    """Rounds to six significant digits (short, exactly parsed decimals)."""
    return np.array([float(f"{v:.6g}") for v in np.ravel(a)]).reshape(np.shape(a))


def r12(a):
    """Rounds expected probabilities to twelve significant digits: far below
    every tolerance, and a third shorter in JSON."""
    return np.array([float(f"{v:.12g}") for v in np.ravel(a)]).reshape(np.shape(a))


def rows(a):
    return np.asarray(a, dtype=np.float64).tolist()


def stacking_features(rng, n, k, classes, quality=(1.6, 1.1, 0.7)):
    """Log-probabilities of three models on n samples with labels drawn from `classes`.

    Each model's logits are a class signal of its own strength, plus noise
    shared by all models (they err together, as fine-tuned models do), plus
    noise of its own, scaled by a model-specific temperature.
    """
    y = rng.choice(np.asarray(classes), size=n)
    shared = rng.normal(size=(n, k))
    feats = []
    for m, q in enumerate(quality):
        own = rng.normal(size=(n, k))
        logits = 0.8 * shared + 0.8 * own
        logits[np.arange(n), y] += 2.0 * q
        logits *= (1.3, 0.9, 1.1)[m]
        feats.append(logits - logsumexp(logits, axis=1, keepdims=True))
    return r6(np.hstack(feats)), y


def fit_logistic(x, y, c, weights, solver, tol):
    model = LogisticRegression(C=c, l1_ratio=0.0, solver=solver, tol=tol, max_iter=100000)
    return model.fit(x, y, sample_weight=weights)


def full_proba(model, x, k):
    """predict_proba with a zero column for each class absent from y."""
    proba = np.zeros((x.shape[0], k))
    proba[:, model.classes_] = model.predict_proba(x)
    return proba


def logistic_case(name, data, c, weights=None):
    x, y, k = data["x"], data["y"], data["n_classes"]
    ref = fit_logistic(x, y, c, weights, "newton-cholesky", 1e-14)
    lbfgs = fit_logistic(x, y, c, weights, "lbfgs", 1e-10)
    proba, proba_lbfgs = full_proba(ref, x, k), full_proba(lbfgs, x, k)
    return {
        "name": name,
        "data": data["name"],
        "c": c,
        "sample_weight": None if weights is None else weights.tolist(),
        "classes": ref.classes_.tolist(),
        "coef": rows(ref.coef_),
        "intercept": rows(ref.intercept_),
        "proba": rows(r12(proba[:PROBA_ROWS])),
        "max_grad": sklearn_gradient(ref, x, y, c, weights),
        "lbfgs": {
            "n_iter": int(lbfgs.n_iter_[0]),
            "max_grad": sklearn_gradient(lbfgs, x, y, c, weights),
            "max_proba_diff": float(np.abs(proba_lbfgs - proba).max()),
            "coef": rows(lbfgs.coef_),
            "intercept": rows(lbfgs.intercept_),
            "proba": rows(r12(proba_lbfgs[:PROBA_ROWS])),
        },
    }


def sklearn_gradient(model, x, y, c, weights):
    """Max |gradient| of sklearn's scaled objective at the fitted model."""
    s = np.ones(len(y)) if weights is None else weights
    classes = model.classes_
    if len(classes) == 2:
        p = model.predict_proba(x)[:, 1]
        resid = (p - (y == classes[1])) * s
        resid = resid[:, None]
    else:
        p = softmax(x @ model.coef_.T + model.intercept_, axis=1)
        onehot = (y[:, None] == classes[None, :]).astype(float)
        resid = (p - onehot) * s[:, None]
    total = s.sum()
    g_w = resid.T @ x / total + model.coef_ / (c * total)
    g_b = resid.sum(axis=0) / total
    return float(max(np.abs(g_w).max(), np.abs(g_b).max()))


def logistic_cases():
    rng = np.random.default_rng(20240611)
    x4, y4 = stacking_features(rng, 300, 4, [0, 1, 2, 3])
    x2, y2 = stacking_features(rng, 200, 2, [0, 1])
    xg, yg = stacking_features(rng, 150, 4, [0, 1, 3])
    datasets = [
        {"name": "stack4", "n_classes": 4, "x": x4, "y": y4},
        {"name": "stack2", "n_classes": 2, "x": x2, "y": y2},
        {"name": "stack4_gap", "n_classes": 4, "x": xg, "y": yg},
    ]
    w4 = np.round(rng.uniform(0.2, 3.0, size=300), 3)
    w4[rng.choice(300, size=10, replace=False)] = 0.0
    w2 = np.round(rng.uniform(0.5, 2.0, size=200), 3)
    by = {d["name"]: d for d in datasets}
    cases = [
        logistic_case("multinomial", by["stack4"], 1.0),
        logistic_case("multinomial_c0.1", by["stack4"], 0.1),
        logistic_case("multinomial_weighted", by["stack4"], 1.0, w4),
        logistic_case("binary", by["stack2"], 1.0),
        logistic_case("binary_weighted_c10", by["stack2"], 10.0, w2),
        logistic_case("absent_class", by["stack4_gap"], 1.0),
    ]
    out = [
        {"name": d["name"], "n_classes": d["n_classes"], "x": rows(d["x"]), "y": d["y"].tolist()}
        for d in datasets
    ]
    return out, cases


def regression_data():
    """Predictions of five regressors of one target, with correlated errors."""
    rng = np.random.default_rng(7)
    n = 120
    y = rng.normal(size=n) * 2.0 + 1.0
    shared = rng.normal(size=n)
    x = np.column_stack(
        [y * a + b + 0.6 * shared + s * rng.normal(size=n)
         for a, b, s in [(1.0, 0.0, 0.5), (0.8, 0.3, 0.7), (1.2, -0.2, 1.0), (0.5, 0.0, 0.4),
                         (-0.3, 0.5, 0.8)]]
    )
    # A target the last column hurts: its unconstrained weight is negative,
    # so the non-negative fits have an active constraint.
    return r6(x), r6(y)


def linear_cases():
    x, y = regression_data()
    rng = np.random.default_rng(11)
    w = np.round(rng.uniform(0.0, 2.0, size=len(y)), 3)
    cases = []
    for alpha in (1.0, 10.0):
        for weights in (None, w):
            model = Ridge(alpha=alpha, fit_intercept=True).fit(x, y, sample_weight=weights)
            cases.append({
                "name": f"ridge_alpha{alpha:g}" + ("_weighted" if weights is not None else ""),
                "kind": "ridge",
                "alpha": alpha,
                "sample_weight": None if weights is None else weights.tolist(),
                "coef": model.coef_.tolist(),
                "intercept": float(model.intercept_),
            })
    coef, rnorm = nnls(x, y)
    cases.append({"name": "nnls", "kind": "nnls", "sample_weight": None,
                  "coef": coef.tolist(), "rnorm": float(rnorm)})
    for weights in (None, w):
        model = LinearRegression(positive=True).fit(x, y, sample_weight=weights)
        cases.append({
            "name": "positive" + ("_weighted" if weights is not None else ""),
            "kind": "positive",
            "sample_weight": None if weights is None else weights.tolist(),
            "coef": model.coef_.tolist(),
            "intercept": float(model.intercept_),
        })
    data = {"x": rows(x), "y": y.tolist()}
    return data, cases


def dump(doc):
    """JSON with one line per case or dataset: diffs show which one changed."""
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
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with warnings.catch_warnings():
        # A convergence warning would mean the reference is not at the
        # optimum: fail rather than record it.
        warnings.simplefilter("error")
        datasets, logistic = logistic_cases()
        regression, linear = linear_cases()
    worst = max(c["max_grad"] for c in logistic)
    assert worst < 1e-13, f"the reference stopped short of the optimum: gradient {worst:g}"
    worst = max(c["lbfgs"]["max_proba_diff"] for c in logistic)
    assert worst < 1e-4, f"lbfgs and newton-cholesky disagree by {worst:g}"
    doc = {
        "generator": "scripts/golden/learn_golden.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "notes": NOTES,
        "datasets": datasets,
        "logistic": logistic,
        "regression": regression,
        "linear": linear,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dump(doc))
    print(f"wrote {args.out} ({len(args.out.read_text()) / 1024:.1f} KiB)")
    for c in logistic:
        print(f"  {c['name']}: newton-cholesky max grad {c['max_grad']:.1e}; lbfgs n_iter "
              f"{c['lbfgs']['n_iter']}, max grad {c['lbfgs']['max_grad']:.1e}, proba "
              f"{c['lbfgs']['max_proba_diff']:.1e} from the optimum")


if __name__ == "__main__":
    main()
