"""Golden values for learned simplex weights and temperature scaling,
computed by scipy.

Writes crates/modelfuse/tests/golden/simplex.json, checked by
crates/modelfuse/tests/golden_simplex.rs. Run with the venv described in
scripts/golden/README.md:

    scripts/.venv/bin/python scripts/golden/simplex_golden.py

What is compared:
- optimised weights: scipy.optimize.minimize(method="SLSQP") with the sum-to-one
  equality constraint, bounds [0, 1] and the analytic gradient, from uniform
  weights; once with scipy's default options and once tightened
  (ftol=1e-15), for the objectives LogLoss, GeometricLogLoss and SquaredError
  defined exactly as in crates/modelfuse/src/learn/simplex.rs. modelfuse must
  reach an objective no higher than either. Whether the optimum is unique is
  decided from the Hessian reduced to the face of the simplex the tight
  optimum lies on (strictly positive definite -> unique).
- temperature scaling: the T minimising the mean NLL of softmax(log p / T)
  (sigmoid(logit p / T) per cell for multilabel), p floored at 1e-15, over
  T in [0.01, 100]: scipy.optimize.minimize_scalar(method="bounded") on log T
  with xatol=1e-12, confirmed by brentq on the derivative in 1/T (the value
  recorded; the two must agree to 1e-7).
- projections onto the simplex: the threshold theta with
  sum(max(v - theta, 0)) = 1 found by bisection; the optimality conditions
  are checked, and the result must be no farther from v than SLSQP's.

Inputs: seeded synthetic predictions with different quality and calibration
(over- and under-confident models, correlated errors). Probabilities are
stored as integer counts over 2**20 (exactly representable in float32, rows
summing to exactly one), regression values as counts over 2**10, so the JSON is
small and both sides compute on identical numbers.
"""
import json
import pathlib

import numpy as np
import scipy
import sklearn
from scipy.optimize import brentq, minimize, minimize_scalar
from scipy.special import expit, logsumexp, softmax

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/modelfuse/tests/golden/simplex.json"

DEN = 2**20  # probability denominator
VDEN = 2**10  # regression value denominator
EPS = np.finfo(np.float64).eps  # the clipping of modelfuse's log-loss
FLOOR = 1e-15  # the probability floor of the geometric mean and calibration
T_BOUNDS = (0.01, 100.0)


# ---------------------------------------------------------------------------
# Synthetic predictions
# ---------------------------------------------------------------------------

def counts_of_rows(P):
    """Integer counts over DEN, each >= 1, each row summing to DEN exactly."""
    c = np.maximum(np.floor(P * DEN).astype(np.int64), 1)
    top = c.argmax(axis=-1)[..., None]
    fix = DEN - c.sum(axis=-1, keepdims=True)
    np.put_along_axis(c, top, np.take_along_axis(c, top, -1) + fix, -1)
    assert (c >= 1).all() and (c.sum(axis=-1) == DEN).all()
    return c


def classification(rng, m, n, k, signal, sharpness):
    """Models of different quality (signal) and calibration (sharpness > 1:
    over-confident, < 1: under-confident), with a shared error component."""
    y = rng.integers(0, k, size=n)
    onehot = np.eye(k)[y]
    shared = rng.normal(size=(n, k))
    P = np.stack([
        softmax(sharpness[i] * (signal[i] * onehot + 0.7 * shared
                                + 0.8 * rng.normal(size=(n, k))), axis=1)
        for i in range(m)
    ])
    return counts_of_rows(P), y


def multilabel(rng, m, n, labels, signal, sharpness):
    Y = rng.random(size=(n, labels)) < np.array([0.3, 0.5, 0.6])[:labels]
    sign = np.where(Y, 1.0, -1.0)
    shared = rng.normal(size=(n, labels))
    C = []
    for i in range(m):
        z = sharpness[i] * (signal[i] * sign + 0.6 * shared + 0.8 * rng.normal(size=(n, labels)))
        C.append(np.clip(np.round(expit(z) * DEN), 1, DEN - 1).astype(np.int64))
    return np.stack(C), Y


def regression(rng, m, n):
    y = rng.normal(size=n) * 2.0
    shared = rng.normal(size=n)
    bias = [0.0, 0.3, -0.5, 0.1, 0.0]
    noise = [0.5, 0.8, 1.0, 1.5, 3.0]
    V = np.stack([y + bias[i] + 0.4 * shared + noise[i] * rng.normal(size=n) for i in range(m)])
    return np.round(V * VDEN).astype(np.int64), np.round(y * VDEN).astype(np.int64)


# ---------------------------------------------------------------------------
# Objectives (as in learn/simplex.rs): value, gradient, Hessian
# ---------------------------------------------------------------------------

def log_loss_objective(A):
    """-mean(log(max(A^T w, eps))), A: models x cells of P(what happened)."""
    J = A.shape[1]

    def f(w):
        return float(-np.mean(np.log(np.maximum(w @ A, EPS))))

    def g(w):
        q = w @ A
        return A @ (np.where(q > EPS, -1.0 / np.maximum(q, EPS), 0.0) / J)

    def h(w):
        q = np.maximum(w @ A, EPS)
        return (A / q**2) @ A.T / J

    return f, g, h


def softmax_objective(L, y):
    """mean(logsumexp(z) - z_y), z = sum_m w_m L_m, L: models x n x k."""
    n = L.shape[1]
    onehot = np.eye(L.shape[2])[y]

    def f(w):
        z = np.tensordot(w, L, axes=1)
        return float(np.mean(logsumexp(z, axis=1) - z[np.arange(n), y]))

    def g(w):
        z = np.tensordot(w, L, axes=1)
        return np.einsum("mnk,nk->m", L, (softmax(z, axis=1) - onehot) / n)

    def h(w):
        s = softmax(np.tensordot(w, L, axes=1), axis=1)
        mean = np.einsum("mnk,nk->mn", L, s)
        second = np.einsum("ank,bnk,nk->ab", L, L, s)
        return (second - mean @ mean.T) / n

    return f, g, h


def sigmoid_objective(G, Y):
    """mean(softplus(-z) if y else softplus(z)), z = sum_m w_m G_m per cell."""
    y = Y.reshape(-1).astype(np.float64)
    G = G.reshape(G.shape[0], -1)
    J = G.shape[1]

    def f(w):
        z = w @ G
        return float(np.mean(np.where(y > 0, np.logaddexp(0, -z), np.logaddexp(0, z))))

    def g(w):
        return G @ ((expit(w @ G) - y) / J)

    def h(w):
        s = expit(w @ G)
        return (G * (s * (1 - s))) @ G.T / J

    return f, g, h


def squared_objective(V, y):
    N = V.shape[1]

    def f(w):
        return float(np.mean((w @ V - y) ** 2))

    def g(w):
        return V @ (2.0 * (w @ V - y) / N)

    def h(w):
        return 2.0 * V @ V.T / N

    return f, g, h


def slsqp(f, g, M, options):
    cons = [{"type": "eq", "fun": lambda w: np.sum(w) - 1.0, "jac": lambda w: np.ones(M)}]
    res = minimize(f, np.full(M, 1.0 / M), jac=g, method="SLSQP",
                   bounds=[(0.0, 1.0)] * M, constraints=cons, options=options)
    # The objective at the feasible point nearest to scipy's answer: SLSQP
    # meets the constraints only to its tolerance, and a sum slightly above
    # one would lower a log-loss for free.
    w = np.clip(res.x, 0.0, None)
    w = w / w.sum()
    return {"weights": w.tolist(), "objective": f(w), "scipy_fun": float(res.fun),
            "iterations": int(res.nit), "success": bool(res.success)}


def optimise(f, g, h, M):
    default = slsqp(f, g, M, {})
    tight = slsqp(f, g, M, {"ftol": 1e-15, "maxiter": 2000})
    w = np.array(tight["weights"])
    free = np.flatnonzero(w > 1e-6)
    # A basis of {d : sum d = 0, d_i = 0 off the face}; the optimum is unique
    # when the Hessian is positive definite on it.
    Z = np.zeros((M, max(len(free) - 1, 0)))
    for j in range(len(free) - 1):
        Z[free[j], j], Z[free[-1], j] = 1.0, -1.0
    H = h(w)
    curv = float(np.linalg.eigvalsh(Z.T @ H @ Z).min()) if Z.shape[1] else float("inf")
    unique = curv > 1e-8 * max(1.0, float(np.abs(H).max()))
    return {"slsqp_default": default, "slsqp_tight": tight, "unique": bool(unique),
            "uniform_objective": f(np.full(M, 1.0 / M))}


# ---------------------------------------------------------------------------
# Temperature scaling
# ---------------------------------------------------------------------------

def temperature(logits, y):
    """logits: rows x width (multilabel cells as [0, logit p]), y: true column."""
    rows = np.arange(len(y))

    def nll(beta):
        z = beta * logits
        return float(np.mean(logsumexp(z, axis=1) - z[rows, y]))

    def slope(beta):  # d nll / d beta = mean(E_q[l] - l_y)
        q = softmax(beta * logits, axis=1)
        return float(np.mean((q * logits).sum(axis=1) - logits[rows, y]))

    bounded = minimize_scalar(lambda s: nll(np.exp(-s)), bounds=np.log(T_BOUNDS),
                              method="bounded", options={"xatol": 1e-12})
    lo, hi = 1.0 / T_BOUNDS[1], 1.0 / T_BOUNDS[0]
    if slope(lo) >= 0:
        beta = lo
    elif slope(hi) <= 0:
        beta = hi
    else:
        beta = brentq(slope, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    t = 1.0 / beta
    assert abs(t - np.exp(bounded.x)) < 1e-7, (t, np.exp(bounded.x))
    return {"temperature": t, "temperature_bounded": float(np.exp(bounded.x)),
            "nll_before": nll(1.0), "nll_after": nll(beta)}


def single_label_logits(P):
    return np.log(np.maximum(P, FLOOR))


def multilabel_logits(P):
    z = np.log(np.maximum(P, FLOOR)) - np.log(np.maximum(1.0 - P, FLOOR))
    return np.stack([np.zeros_like(z), z], axis=-1)


# ---------------------------------------------------------------------------
# Projections
# ---------------------------------------------------------------------------

def project(v):
    """Bisection on theta for sum(max(v - theta, 0)) = 1."""
    v = np.asarray(v, dtype=np.float64)
    lo, hi = v.min() - 1.0, v.max()
    for _ in range(2000):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if np.maximum(v - mid, 0).sum() > 1.0:
            lo = mid
        else:
            hi = mid
    theta = lo if abs(np.maximum(v - lo, 0).sum() - 1) <= abs(np.maximum(v - hi, 0).sum() - 1) else hi
    w = np.maximum(v - theta, 0.0)
    # The optimality conditions of the projection: on the simplex, v - w
    # equals theta where w > 0 and v <= theta where w = 0; and no worse than
    # SLSQP solving the same quadratic programme.
    scale = max(1.0, np.abs(v).max())
    assert abs(w.sum() - 1.0) < 1e-12 and (w >= 0).all()
    assert np.allclose((v - w)[w > 0], theta, atol=1e-12 * scale)
    assert (v[w == 0] <= theta + 1e-12 * scale).all()
    check = np.array(slsqp(lambda x: float(np.sum((x - v) ** 2)), lambda x: 2 * (x - v), len(v),
                           {"ftol": 1e-15, "maxiter": 1000})["weights"])
    assert np.sum((w - v) ** 2) <= np.sum((check - v) ** 2) + 1e-9 * scale**2
    return w.tolist()


# ---------------------------------------------------------------------------

def classification_case(name, C, y):
    M = C.shape[0]
    P = C / DEN
    A = P[:, np.arange(len(y)), y]
    objectives = {
        "log_loss": optimise(*log_loss_objective(A), M),
        "geometric_log_loss": optimise(*softmax_objective(single_label_logits(P), y), M),
    }
    return {
        "name": name, "task": "binary" if C.shape[2] == 2 else "multiclass",
        "counts": C.tolist(), "targets": y.tolist(), "objectives": objectives,
        "temperatures": [temperature(single_label_logits(P[i]), y) for i in range(M)],
    }


def multilabel_case(name, C, Y):
    M = C.shape[0]
    P = C / DEN
    A = np.where(Y[None], P, 1.0 - P).reshape(M, -1)
    G = np.log(np.maximum(P, FLOOR)) - np.log(np.maximum(1.0 - P, FLOOR))
    objectives = {
        "log_loss": optimise(*log_loss_objective(A), M),
        "geometric_log_loss": optimise(*sigmoid_objective(G, Y), M),
    }
    cells = Y.reshape(-1).astype(np.int64)
    return {
        "name": name, "task": "multilabel", "counts": C.tolist(),
        "targets": Y.astype(int).tolist(), "objectives": objectives,
        "temperatures": [temperature(multilabel_logits(P[i]).reshape(-1, 2), cells)
                         for i in range(M)],
    }


def regression_case(name, C, yc):
    V, y = C / VDEN, yc / VDEN
    return {
        "name": name, "task": "regression", "counts": C.tolist(), "targets": yc.tolist(),
        "objectives": {"squared_error": optimise(*squared_objective(V, y), C.shape[0])},
    }


def main():
    rng = np.random.default_rng(20261124)
    multi, y_multi = classification(rng, 5, 400, 4, signal=[2.2, 1.6, 1.2, 0.8, 0.4],
                                    sharpness=[3.0, 0.5, 1.0, 2.0, 0.6])
    binary, y_binary = classification(rng, 5, 300, 2, signal=[1.8, 1.4, 1.0, 0.6, 0.3],
                                      sharpness=[0.4, 2.5, 1.0, 3.0, 1.5])
    ml, y_ml = multilabel(rng, 4, 200, 3, signal=[1.3, 1.2, 1.0, 0.5],
                          sharpness=[1.0, 1.6, 0.6, 1.5])
    reg, y_reg = regression(rng, 5, 300)
    # Model 1 twice: the optimum's split between the copies is not unique.
    dup = multi[[0, 1, 1, 3]]
    cases = [
        classification_case("multiclass_5x400x4", multi, y_multi),
        classification_case("binary_5x300", binary, y_binary),
        multilabel_case("multilabel_4x200x3", ml, y_ml),
        regression_case("regression_5x300", reg, y_reg),
        classification_case("duplicated_model_4x400x4", dup, y_multi),
    ]
    vectors = [
        [0.5, 0.5, 1.0], [2.0, 1.0], [0.3, 0.2], [0.2, 0.2, 0.2, 0.2, 0.2],
        [0.0, 0.0, 0.0], [-5.0, -5.0, -5.0, -4.0], [-1.0, 0.5, 3.0, 0.2, 0.21],
        [1e6, 1e6 + 1.0, -1e6], [7.0],
        np.round(rng.normal(size=7) * 3, 6).tolist(),
        np.round(rng.uniform(-1, 1, size=12) * 0.3, 6).tolist(),
    ]
    doc = {
        "generated_by": "scripts/golden/simplex_golden.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                     "scikit-learn": sklearn.__version__},
        "denominator": DEN, "value_denominator": VDEN,
        "temperature_bounds": list(T_BOUNDS),
        "cases": cases,
        "projections": [{"v": v, "projection": project(v)} for v in vectors],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    for c in cases:
        for k, o in c["objectives"].items():
            d, t = o["slsqp_default"], o["slsqp_tight"]
            print(f"{c['name']:28} {k:20} default {d['objective']:.15f} ({d['iterations']} it) "
                  f"tight {t['objective']:.15f} ({t['iterations']} it, {t['success']}) unique {o['unique']}")


if __name__ == "__main__":
    main()
