"""Golden values for the simple fusers, computed by scikit-learn (and numpy /
scipy where scikit-learn has no equivalent).

Writes crates/modelfuse/tests/golden/fusers.json. Run with the venv described
in scripts/golden/README.md:

    scripts/.venv/bin/python scripts/golden/fusers_golden.py

What is compared:
- soft vote / mean / weighted mean: sklearn VotingClassifier(voting="soft")
  over estimators that replay fixed probabilities, with and without weights;
- hard vote: VotingClassifier(voting="hard") labels, with and without
  weights (sklearn breaks ties to the lowest class index, as modelfuse does);
- regression mean / weighted mean: sklearn VotingRegressor; median: numpy;
- geometric mean: scipy.stats.gmean over models, renormalised;
- rank (Borda): scipy.stats.rankdata(method="average") - 1, averaged,
  renormalised; median of probabilities: numpy.median, renormalised.
"""
import json
import pathlib

import numpy as np
import scipy
import sklearn
from scipy.stats import gmean, rankdata
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.ensemble import VotingClassifier, VotingRegressor

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/modelfuse/tests/golden/fusers.json"


class ReplayProba(ClassifierMixin, BaseEstimator):
    """A 'model' whose predictions are fixed: row X[i, 0] of `proba`."""

    def __init__(self, proba=None):
        self.proba = proba

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.asarray(self.proba)[X[:, 0].astype(int)]

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class ReplayValue(RegressorMixin, BaseEstimator):
    def __init__(self, values=None):
        self.values = values

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.asarray(self.values)[X[:, 0].astype(int)]


def f32(a):
    """Round to float32, as modelfuse stores predictions."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def classification_case(name, rng, m, n, k, weights, hard=False):
    alpha = rng.uniform(0.3, 2.0, size=k)
    P = np.stack([rng.dirichlet(alpha, size=n) for _ in range(m)])
    if hard:
        P = np.eye(k)[rng.integers(0, k, size=(m, n))]
    P = f32(P)
    P = P / P.sum(axis=2, keepdims=True)
    P = f32(P)
    y = np.arange(n) % k  # every class present so sklearn sees all of them
    X = np.arange(n).reshape(-1, 1)
    ests = [(f"m{i}", ReplayProba(P[i])) for i in range(m)]
    out = {"name": name, "task": "classification", "k": k, "weights": weights,
           "inputs": P.tolist()}

    soft = VotingClassifier(ests, voting="soft").fit(X, y)
    out["mean"] = soft.predict_proba(X).tolist()
    softw = VotingClassifier(ests, voting="soft", weights=weights).fit(X, y)
    out["weighted"] = softw.predict_proba(X).tolist()
    hardv = VotingClassifier(ests, voting="hard").fit(X, y)
    out["vote_labels"] = hardv.predict(X).tolist()
    hardw = VotingClassifier(ests, voting="hard", weights=weights).fit(X, y)
    out["weighted_vote_labels"] = hardw.predict(X).tolist()

    g = gmean(np.maximum(P, 1e-15), axis=0)
    out["geometric"] = (g / g.sum(axis=1, keepdims=True)).tolist()
    points = np.stack([np.apply_along_axis(rankdata, 1, P[i]) - 1 for i in range(m)])
    r = points.mean(axis=0)
    out["rank"] = (r / r.sum(axis=1, keepdims=True)).tolist()
    med = np.median(P, axis=0)
    # modelfuse's documented rule: a row with no support at all is uniform.
    sums = med.sum(axis=1, keepdims=True)
    med = np.where(sums > 0, med / np.where(sums > 0, sums, 1), 1.0 / k)
    out["median"] = med.tolist()
    return out


def regression_case(name, rng, m, n, weights):
    V = f32(rng.normal(size=(m, n)) * 10 + rng.normal(size=(1, n)) * 3)
    y = rng.normal(size=n)
    X = np.arange(n).reshape(-1, 1)
    ests = [(f"m{i}", ReplayValue(V[i])) for i in range(m)]
    return {
        "name": name, "task": "regression", "weights": weights, "inputs": V.tolist(),
        "mean": VotingRegressor(ests).fit(X, y).predict(X).tolist(),
        "weighted": VotingRegressor(ests, weights=weights).fit(X, y).predict(X).tolist(),
        "median": np.median(V, axis=0).tolist(),
    }


def main():
    rng = np.random.default_rng(20261123)
    cases = [
        classification_case("multiclass_4x40x3", rng, 4, 40, 3, [1.0, 2.0, 3.0, 4.0]),
        classification_case("binary_5x50", rng, 5, 50, 2, [0.5, 1.0, 1.0, 2.0, 0.25]),
        classification_case("hard_6x30x4_ties", rng, 6, 30, 4, [1.0, 1.0, 2.0, 1.0, 1.0, 1.0], hard=True),
        regression_case("regression_3x25", rng, 3, 25, [1.0, 3.0, 0.5]),
    ]
    doc = {
        "generated_by": "scripts/golden/fusers_golden.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                     "scikit-learn": sklearn.__version__},
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
