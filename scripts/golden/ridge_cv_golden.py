#!/usr/bin/env python3
"""Golden values for `learn::linear::RidgeCv`, computed with scikit-learn.

Writes `crates/modelfuse/tests/golden/ridge_cv.json`, read by
`crates/modelfuse/tests/golden_ridge_cv.rs`: for each case the inputs (the
predictions of `d` correlated synthetic regressors of a target, rounded to
six significant digits so the JSON decimal parses to the same float64 in
Python and Rust) and what `RidgeCV(alphas=(0.1, 1.0, 10.0))` (scikit-learn's
`StackingRegressor` default `final_estimator`: `fit_intercept=True`,
efficient leave-one-out, `scoring=None`) learns: `alpha_`, `coef_`,
`intercept_`, `best_score_` (minus the mean squared leave-one-out error of
the chosen alpha). Sample sizes small (5, 8) and moderate (60, 400); the
noise levels are chosen so that each alpha wins at least once (the script
checks).

Inputs come from fixed NumPy seeds and BLAS runs on one thread, so reruns
are byte-identical.

Usage (see README.md in this folder):

    scripts/.venv/bin/python scripts/golden/ridge_cv_golden.py
"""

import os

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import json  # noqa: E402
import platform  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.linear_model import RidgeCV  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "modelfuse" / "tests" / "golden" / "ridge_cv.json"
ALPHAS = (0.1, 1.0, 10.0)

# (name, seed, n rows, d models, model noise, target noise, scale of x)
CASES = [
    ("tiny-n5", 1, 5, 2, 0.3, 0.5, 1.0),
    ("small-n8", 2, 8, 3, 0.5, 1.0, 1.0),
    ("small-n8-noiseless", 3, 8, 3, 0.0, 0.0, 1.0),
    ("moderate-n60", 4, 60, 4, 0.3, 0.2, 1.0),
    ("moderate-n60-noisy", 5, 60, 4, 1.0, 3.0, 0.3),
    ("moderate-n400", 6, 400, 5, 0.2, 0.1, 10.0),
    ("moderate-n400-weak", 7, 400, 5, 2.0, 5.0, 0.2),
]


def round6(a):
    return np.array([float(f"{v:.6g}") for v in np.ravel(a)]).reshape(np.shape(a))


def problem(seed, n, d, model_noise, target_noise, scale):
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=n) * scale
    shared = rng.normal(size=n) * model_noise
    x = truth[:, None] + 0.5 * shared[:, None] + model_noise * rng.normal(size=(n, d))
    x = x * rng.uniform(0.5, 1.5, size=d) + rng.normal(size=d)
    y = truth + target_noise * rng.normal(size=n)
    return round6(x), round6(y)


def main():
    cases = []
    for name, seed, n, d, mn, tn, scale in CASES:
        x, y = problem(seed, n, d, mn, tn, scale)
        m = RidgeCV(alphas=ALPHAS).fit(x, y)
        cases.append(
            {
                "name": name,
                "x": x.tolist(),
                "y": y.tolist(),
                "alpha": float(m.alpha_),
                "coef": [float(v) for v in m.coef_],
                "intercept": float(m.intercept_),
                "best_score": float(m.best_score_),
            }
        )
    won = {c["alpha"] for c in cases}
    assert won == set(ALPHAS), f"each alpha should win once, won: {sorted(won)}"
    doc = {
        "notes": [
            "sklearn RidgeCV(alphas=(0.1, 1.0, 10.0)) with its defaults: fit_intercept=True, "
            "efficient leave-one-out (_RidgeGCV), scoring=None; x is n x d, row-major lists",
            "best_score = sklearn best_score_ = -(mean squared leave-one-out error) of alpha_",
        ],
        "alphas": list(ALPHAS),
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "cases": cases,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    for c in cases:
        print(c["name"], c["alpha"], c["best_score"])


if __name__ == "__main__":
    main()
