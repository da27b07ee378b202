"""Golden values for stacking with the logistic meta-model: scikit-learn's
LogisticRegression fitted on the same features modelfuse builds from the base
models' out-of-fold probabilities.

Writes crates/modelfuse/tests/golden/stacking.json, checked by
crates/modelfuse/tests/golden_stacking.rs. Run with the venv described in
scripts/golden/README.md:

    scripts/.venv/bin/python scripts/golden/stacking_golden.py

Features (see `fusers::stacking::features`): for K > 2 classes, each model's
log-probabilities log(max(p, 1e-15)) (transform "logits") or probabilities
(transform "probabilities"), M*K columns; for binary tasks the positive class
only: logit(p) = log(max(p, 1e-15)) - log(max(1 - p, 1e-15)) with 1 - p taken
in float32 as modelfuse does, or p itself. The reference solver is
scikit-learn's newton-cholesky run to tol 1e-14: the same objective as lbfgs
(C * sum of log-losses + ||W||^2 / 2, intercept unpenalised), solved to the
optimum rather than to where lbfgs happens to stop (see learn_golden.py).

Probabilities are integer counts over 2**20, so they are exact in float32 and
rows sum to exactly one: modelfuse's row renormalisation leaves them as is.
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/modelfuse/tests/golden/stacking.json"
SCALE = 2**20
FLOOR = 1e-15


def exact_rows(p):
    """Rows of counts summing to SCALE, as float32 probabilities."""
    counts = np.floor(p * SCALE).astype(np.int64)
    counts[:, 0] += SCALE - counts.sum(axis=1)
    return counts


def make_case(name, rng, m, n, k, transform, c):
    y = rng.integers(0, k, size=n)
    counts = []
    for j in range(m):
        skill = 0.5 + 1.5 * j / max(m - 1, 1)
        logits = rng.normal(size=(n, k)) + skill * np.eye(k)[y]
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        counts.append(exact_rows(p))
    P = [(cnt / SCALE).astype(np.float32) for cnt in counts]
    cols = []
    for p in P:
        if k == 2:
            p1 = p[:, 1]
            if transform == "logits":
                one_minus = (np.float32(1.0) - p1).astype(np.float32)
                cols.append((np.log(np.maximum(p1.astype(np.float64), FLOOR))
                             - np.log(np.maximum(one_minus.astype(np.float64), FLOOR)))[:, None])
            else:
                cols.append(p1.astype(np.float64)[:, None])
        else:
            if transform == "logits":
                cols.append(np.log(np.maximum(p.astype(np.float64), FLOOR)))
            else:
                cols.append(p.astype(np.float64))
    X = np.hstack(cols)
    lr = LogisticRegression(C=c, solver="newton-cholesky", tol=1e-14, max_iter=1000).fit(X, y)
    return {
        "name": name,
        "k": k,
        "transform": transform,
        "c": c,
        "labels": y.tolist(),
        "counts": [cnt.tolist() for cnt in counts],
        "proba": lr.predict_proba(X).tolist(),
    }


def main():
    rng = np.random.default_rng(20261123)
    cases = [
        make_case("multiclass_logits", rng, 4, 240, 3, "logits", 1.0),
        make_case("multiclass_probabilities", rng, 3, 200, 4, "probabilities", 0.5),
        make_case("binary_logits", rng, 5, 200, 2, "logits", 1.0),
    ]
    doc = {
        "generated_by": "scripts/golden/stacking_golden.py",
        "versions": {"numpy": np.__version__, "scikit-learn": sklearn.__version__},
        "scale": SCALE,
        "cases": cases,
    }
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
