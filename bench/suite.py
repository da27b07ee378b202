#!/usr/bin/env python3
"""The whole side by side of issue 8 in one run: every task at the sizes where it fits.

Run it through `bench/run.sh --suite`, which builds modelfuse in release mode, makes the
pinned virtual environment and calls this script. For each size (models x samples x classes)
it generates the data once (`bench/side_by_side.py`'s generator: `.npy` files, plus the same
predictions as Parquet and, where listed, CSV), then runs, each in its own process so peak
memory is per task, the Python reference, the modelfuse library (the `side_by_side` example)
and the `modelfuse` command on the same files, checks that the answers agree and writes
`bench/out/suite/suite.md` (every number: `suite.json`).

Tasks and where they run (SIZES and PLAN below):

* mean, weighted mean, hard vote, soft vote (NumPy), the metrics log-loss, ROC-AUC and macro
  F1 of every model (scikit-learn), the pairwise diversity matrix (NumPy, vectorised as
  matrix products) and Parquet loading (pyarrow) at every size;
* CSV loading (pandas) where the CSV files stay a few hundred MB;
* ensemble selection, optimised weights and stacking (auto-sklearn's loop in NumPy, scipy
  SLSQP, scikit-learn LogisticRegression) through `bench/side_by_side.py` unchanged, at the
  two 10-class sizes, its tables included verbatim;
* the memory bandwidth of the machine on the same bytes (a read and a copy in Rust, a copy
  in NumPy), against which the bandwidth-bound fusers are judged.

Timing rule: each fast task runs `repeats` times inside its process (loading excluded, timed
apart) and the median is reported; the command-line runs are whole processes, repeated the
same number of times. The learned tasks keep `side_by_side.py`'s rule (its note says which).
"""

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import side_by_side as sbs  # noqa: E402  (the generator, loader and process runner)

ROOT = Path(__file__).resolve().parents[1]
EPS = np.finfo(np.float64).eps

# (models, samples, classes): the issue's four sizes.
SIZES = [(10, 10_000, 10), (50, 100_000, 10), (200, 100_000, 2), (20, 1_000_000, 2)]
FUSERS = ("mean", "weighted", "vote", "soft-vote")
# What runs where. CSV only where the files stay small enough to write and read a few
# times in the time budget (at the three large sizes they would be 0.5-0.6 GB each);
# the learned tasks (selection, optimised weights, stacking) where side_by_side.py's
# numbers of record were taken, the 10-class sizes.
PLAN = {
    (10, 10_000, 10): {"csv": True, "learned": True, "repeats": 7},
    (50, 100_000, 10): {"csv": True, "learned": True, "repeats": 5},
    (200, 100_000, 2): {"csv": False, "learned": False, "repeats": 5},
    (20, 1_000_000, 2): {"csv": False, "learned": False, "repeats": 5},
}
# The slower tasks run fewer times at the large sizes: a Python metrics pass over 200
# models takes tens of seconds.
SLOW = {"metrics": 3, "diversity": 3, "load-csv": 3, "load-parquet": 3}


def size_name(size):
    m, n, k = size
    return f"{m} × {n:,} × {k}"


def size_tag(size):
    m, n, k = size
    return f"{m}x{n}x{k}"


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def write_tables(folder, csv):
    """The `.npy` predictions again as Parquet (`id` int64, one float32 column per class,
    pyarrow's defaults: snappy, one row group per 1Mi rows) and, with `csv`, as CSV
    (pyarrow's writer: shortest round-trip decimal floats)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    val = folder / "val"
    classes = (val / "classes.txt").read_text().split()
    (folder / "val_parquet").mkdir()
    if csv:
        (folder / "val_csv").mkdir()
    for path in sorted(val.glob("*.npy")):
        p = np.load(path)
        table = pa.table({"id": np.arange(len(p), dtype=np.int64),
                          **{c: p[:, j] for j, c in enumerate(classes)}})
        pq.write_table(table, folder / "val_parquet" / f"{path.stem}.parquet")
        if csv:
            pacsv.write_csv(table, folder / "val_csv" / f"{path.stem}.csv",
                            pacsv.WriteOptions(quoting_style="none"))


# ---------------------------------------------------------------------------
# The Python references, one per process (`suite.py task <name> …`)
# ---------------------------------------------------------------------------


def model_weights(M):
    """The weighted mean's weights, 1..M in model order, normalised (the library gets
    the same integers and normalises them itself)."""
    w = np.arange(1, M + 1, dtype=np.float64)
    return w / w.sum()


def py_mean(P):
    f = P.mean(axis=0)
    return f / f.sum(axis=1, keepdims=True)


def py_weighted(P):
    # float32 weights so that NumPy hands the (M, N·K) block to BLAS sgemv as it is;
    # float64 weights would first copy the whole block to float64.
    M = P.shape[0]
    f = np.tensordot(model_weights(M).astype(np.float32), P, axes=1)
    return f / f.sum(axis=1, keepdims=True)


def py_vote(P):
    """Hard vote, each class's share of the votes: argmax per model (ties to the lowest
    class, as modelfuse and scikit-learn), then one bincount over sample*K + class (the
    vectorised form of scikit-learn's per-row `bincount`)."""
    M, N, K = P.shape
    idx = P.argmax(axis=2)
    idx += (K * np.arange(N))[None, :]
    counts = np.bincount(idx.ravel(), minlength=N * K).reshape(N, K)
    return counts / M


def py_soft_vote(P):
    """scikit-learn's `VotingClassifier(voting="soft").predict_proba`:
    `np.average` of the models' probabilities, unweighted."""
    return np.average(P, axis=0)


def py_metrics(P, y):
    from sklearn.metrics import f1_score, log_loss, roc_auc_score

    M, N, K = P.shape
    labels = list(range(K))
    out = {"log_loss": [], "roc_auc": [], "f1_macro": []}
    for m in range(M):
        p = P[m]
        out["log_loss"].append(float(log_loss(y, p, labels=labels)))
        if K == 2:
            out["roc_auc"].append(float(roc_auc_score(y, p[:, 1])))
        else:
            out["roc_auc"].append(float(roc_auc_score(y, p, multi_class="ovr",
                                                      average="macro", labels=labels)))
        out["f1_macro"].append(float(f1_score(y, p.argmax(axis=1), average="macro",
                                              labels=labels)))
    return out


def py_diversity(P, y):
    """Every pair's disagreement, double fault, Yule's Q, correlation of correctness and
    Cohen's kappa, in pair order (0, 1), (0, 2), …, from three matrix products: the
    both-right counts (correctness C Cᵀ), the label agreements (one-hot L Lᵀ) and the chance
    agreements (class counts H Hᵀ). Counts are exact in float64 (below 2^53)."""
    M, N, K = P.shape
    A = P.argmax(axis=2)
    C = (A == y[None, :]).astype(np.float64)
    n11 = C @ C.T
    right = C.sum(axis=1)
    n10 = right[:, None] - n11
    n01 = right[None, :] - n11
    n00 = N - n11 - n10 - n01
    L = np.zeros((M, N * K), dtype=np.float32)
    L[np.arange(M)[:, None], A + (K * np.arange(N))[None, :]] = 1.0
    # float32 products of 0/1 are exact while the counts stay below 2^24 (N ≤ 16.7M).
    agree = (L @ L.T).astype(np.float64)
    H = np.stack([np.bincount(A[m], minlength=K) for m in range(M)]).astype(np.float64)
    chance = H @ H.T
    iu = np.triu_indices(M, 1)
    n11, n10, n01, n00, agree, chance = (x[iu] for x in (n11, n10, n01, n00, agree, chance))
    with np.errstate(divide="ignore", invalid="ignore"):
        same, crossed = n11 * n00, n01 * n10
        q = np.where(same + crossed == 0, np.nan, (same - crossed) / (same + crossed))
        a = (n11 + n10) * (n01 + n00)
        b = (n11 + n01) * (n10 + n00)
        rho = np.where((a == 0) | (b == 0), np.nan,
                       np.clip((same - crossed) / np.sqrt(a * b), -1.0, 1.0))
        kappa = np.where(N * N == chance, np.nan, 1.0 - N * (N - agree) / (N * N - chance))
    return {"disagreement": (n10 + n01) / N, "double_fault": n00 / N, "q_statistic": q,
            "error_correlation": rho, "kappa": kappa}


def py_load_csv(folder):
    """pandas' C parser, then the same array modelfuse holds: models sorted by name, rows
    by id, each row renormalised (`side_by_side.load`'s rule)."""
    import pandas as pd

    blocks = []
    for path in sorted(folder.glob("*.csv")):
        df = pd.read_csv(path)
        blocks.append(df.sort_values("id").drop(columns="id").to_numpy(np.float32))
    return renormalise(np.stack(blocks))


def py_load_parquet(folder):
    """pyarrow's reader (its default threads), then the same as `py_load_csv`."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    blocks = []
    for path in sorted(folder.glob("*.parquet")):
        t = pq.read_table(path)
        t = t.take(pc.sort_indices(t["id"]))
        blocks.append(np.column_stack([t[c].to_numpy() for c in t.column_names[1:]]))
    return renormalise(np.stack(blocks))


def renormalise(P):
    s = P.sum(axis=2, dtype=np.float64, keepdims=True)
    return np.clip(P / s, 0.0, 1.0).astype(np.float32)


# A task's repeats stop early once they have taken this long (at least one run): a Python
# metrics pass over 50 models of 100,000 samples takes ~40 s, and the whole suite has to
# finish well within 30 minutes on two cores.
REPEAT_BUDGET = 15.0


def repeated(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
        if sum(times) > REPEAT_BUDGET:
            break
    return out, times


def run_task(name, data, out, repeats):
    """One Python reference in this process: prints its JSON (times, and what the
    comparison needs); fused blocks go to `py_<name>.npy`."""
    if name in ("load-csv", "load-parquet"):
        fmt = name.split("-")[1]
        P, times = repeated(lambda: (py_load_csv if fmt == "csv" else py_load_parquet)(
            data / f"val_{fmt}"), repeats)
        Q, _, _ = sbs.load(data)
        print(json.dumps({"seconds": times,
                          "max_abs_diff_vs_npy": float(np.max(np.abs(P - Q)))}))
        return
    start = time.perf_counter()
    P, y, _ = sbs.load(data)
    res = {"load_seconds": time.perf_counter() - start}
    if name == "copy":
        # NumPy's own ceiling: a plain copy of the same bytes (read + write).
        dst = np.empty_like(P)
        _, times = repeated(lambda: np.copyto(dst, P), repeats)
        res["gbs"] = 2 * P.nbytes / statistics.median(times) / 1e9
    elif name in FUSERS:
        fn = {"mean": py_mean, "weighted": py_weighted, "vote": py_vote,
              "soft-vote": py_soft_vote}[name]
        fused, times = repeated(lambda: fn(P), repeats)
        np.save(out / f"py_{name}.npy", fused)
    elif name == "metrics":
        import warnings

        # scikit-learn warns that float32 rows do not sum to exactly one.
        warnings.simplefilter("ignore", UserWarning)
        values, times = repeated(lambda: py_metrics(P, y), repeats)
        res.update(values)
    elif name == "diversity":
        values, times = repeated(lambda: py_diversity(P, y), repeats)
        res.update({k: [None if math.isnan(x) else float(x) for x in v]
                    for k, v in values.items()})
    else:
        sys.exit(f"unknown task {name}")
    res["seconds"] = times
    print(json.dumps(res))


# ---------------------------------------------------------------------------
# Running one size
# ---------------------------------------------------------------------------


def median(times):
    return statistics.median(times)


def fmt_t(t):
    """Seconds with three significant digits, in the unit that suits them."""
    if t >= 10:
        return f"{t:.1f} s"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} µs"


def run_size(args, size, plan, work, out):
    """Everything at one size: returns its results (times, peaks, checks)."""
    M, N, K = size
    data = work / size_tag(size)
    print(f"\n== {size_name(size)}: generating in {data}", flush=True)
    t0 = time.perf_counter()
    sbs.generate(data, M, N, K, args.seed)
    write_tables(data, plan["csv"])
    res = {"size": list(size), "generate_seconds": time.perf_counter() - t0,
           "python": {}, "library": {}, "cli": {}, "checks": {}}
    me = [sys.executable, str(Path(__file__).resolve())]
    tasks = list(FUSERS) + ["metrics", "diversity", "load-parquet"]
    if plan["csv"]:
        tasks.append("load-csv")

    def reps(task):
        return min(plan["repeats"], SLOW.get(task, plan["repeats"])) if M * N > 10**6 \
            else plan["repeats"]

    for task in tasks + ["copy"]:
        print(f"python  {task} …", flush=True)
        path = out / f"py_{task}.json"
        proc = sbs.run_process(me + ["task", task, "--data", str(data), "--out", str(out),
                                     "--repeats", str(reps(task))], path)
        r = json.loads(path.read_text())
        r.update(proc)
        res["python"][task] = r
        print(f"        {fmt_t(median(r['seconds']))}", flush=True)
    for task in tasks + ["bandwidth"]:
        print(f"library {task} …", flush=True)
        path = out / f"lib_{task}.json"
        proc = sbs.run_process([str(args.example), str(data), "--task", task, "--out",
                                str(out), "--repeats", str(reps(task))], path)
        r = json.loads(path.read_text())
        r.update(proc)
        res["library"][task] = r
        secs = r.get("seconds") or r["read_seconds"]
        print(f"        {fmt_t(median(secs))}", flush=True)
    run_cli(args, data, out, res, reps)
    res["checks"] = compare(data, out, res)
    shutil.rmtree(data)
    return res


def run_cli(args, data, out, res, reps):
    """The same fusions, metrics and diversity through the `modelfuse` command, whole
    processes (reading the `.npy` folder, computing, writing or printing). The fusers'
    fitted files are made once beforehand (`fit` only resolves their weights)."""
    mf = str(args.modelfuse)
    val, labels = str(data / "val"), str(data / "val.labels.csv")
    M = res["size"][0]
    names = sorted(p.stem for p in (data / "val").glob("*.npy"))
    weights = ",".join(f"{n}={i + 1}" for i, n in enumerate(names))
    cmds = {}
    for task in FUSERS:
        fuser = out / f"cli_{task}.fuser.json"
        fit = [mf, "fit", val, "--method", task, "-o", str(fuser)]
        if task == "weighted":
            fit += ["--weights", weights]
        subprocess.run(fit, check=True, stdout=subprocess.DEVNULL)
        cmds[task] = [mf, "predict", "--fuser", str(fuser), val,
                      "-o", str(out / f"cli_{task}.parquet")]
    cmds["metrics"] = [mf, "evaluate", val, "--labels", labels, "--json"]
    cmds["diversity"] = [mf, "inspect", val, "--labels", labels, "--json"]
    assert len(names) == M
    for task, cmd in cmds.items():
        print(f"cli     {task} …", flush=True)
        runs = []
        while len(runs) < reps(task):
            runs.append(sbs.run_process(cmd, out / f"cli_{task}.txt"))
            if sum(r["process_seconds"] for r in runs) > REPEAT_BUDGET:
                break
        res["cli"][task] = {"seconds": [r["process_seconds"] for r in runs],
                            "cpu_seconds": median([r["cpu_seconds"] for r in runs]),
                            "peak_mib": max(r["peak_mib"] for r in runs)}
        print(f"        {fmt_t(median(res['cli'][task]['seconds']))}", flush=True)


# ---------------------------------------------------------------------------
# Agreement
# ---------------------------------------------------------------------------


def compare(data, out, res):
    """What each pair of answers agrees to. The fused blocks: max |Δ| and how many fused
    labels (argmax, ties to the lowest class) differ; metrics and diversity: max |Δ| over
    models or pairs (NaN where both are NaN counts as equal)."""
    import pyarrow.parquet as pq

    M, N, K = res["size"]
    checks = {}
    for task in FUSERS:
        py = np.load(out / f"py_{task}.npy")
        lib = np.fromfile(out / f"lib_{task}.f32", dtype="<f4").reshape(N, K)
        t = pq.read_table(out / f"cli_{task}.parquet")
        cli = np.column_stack([t[c].to_numpy() for c in t.column_names
                               if c not in ("id", "label")])
        checks[task] = {
            "max_abs_diff": float(np.max(np.abs(lib - py))),
            "labels_differ": int(np.sum(lib.argmax(1) != py.argmax(1))),
            "cli_max_abs_diff": float(np.max(np.abs(cli - lib))),
        }
    lib, py = res["library"]["metrics"], res["python"]["metrics"]
    cli = json.loads((out / "cli_metrics.txt").read_text())
    cli_rows = cli if isinstance(cli, dict) else {}
    checks["metrics"] = {}
    for metric in ("log_loss", "roc_auc", "f1_macro"):
        d = np.abs(np.array(lib[metric]) - np.array(py[metric]))
        c = [abs(cli_rows[name][metric] - lib[metric][m])
             for m, name in enumerate(sorted(cli_rows))] if cli_rows else [math.nan]
        checks["metrics"][metric] = {"max_abs_diff": float(np.max(d)),
                                     "cli_max_abs_diff": float(np.max(c))}
    lib, py = res["library"]["diversity"], res["python"]["diversity"]
    cli_pairs = json.loads((out / "cli_diversity.txt").read_text())["diversity"]["pairs"]
    checks["diversity"] = {}
    for measure in ("disagreement", "double_fault", "q_statistic", "error_correlation",
                    "kappa"):
        a = np.array(lib[measure], dtype=float)
        b = np.array([math.nan if x is None else x for x in py[measure]])
        c = np.array([math.nan if p[measure] is None else p[measure] for p in cli_pairs])
        checks["diversity"][measure] = {
            "max_abs_diff": nan_diff(a, b), "cli_max_abs_diff": nan_diff(a, c),
            "pairs": len(a)}
    for task in ("load-parquet", "load-csv"):
        if task in res["library"]:
            checks[task] = {"library_vs_npy": res["library"][task]["max_abs_diff_vs_npy"],
                            "python_vs_npy": res["python"][task]["max_abs_diff_vs_npy"]}
    return checks


def nan_diff(a, b):
    """max |a − b|, NaN in both counting as equal, NaN in one as infinitely apart."""
    if a.shape != b.shape:
        return math.inf
    both = np.isnan(a) & np.isnan(b)
    if np.any(np.isnan(a) ^ np.isnan(b)):
        return math.inf
    return float(np.max(np.abs(a[~both] - b[~both]), initial=0.0))


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

REFERENCE = {
    "mean": "NumPy `P.mean(axis=0)`, rows renormalised",
    "weighted": "NumPy `tensordot(w, P, 1)` (float32 BLAS sgemv), rows renormalised",
    "vote": "NumPy `argmax` per model + one `bincount` (hard vote shares)",
    "soft-vote": "scikit-learn's soft-vote formula, `np.average(P, axis=0)`",
    "metrics": "scikit-learn `log_loss`, `roc_auc_score` (ovr macro / binary), "
               "`f1_score(average=\"macro\")`, every model",
    "diversity": "NumPy: 3 matrix products (correctness, one-hot labels, class counts) "
                 "→ disagreement, double fault, Q, ρ, κ of every pair",
    "load-parquet": "pyarrow `read_table` + sort by id + stack + renormalise",
    "load-csv": "pandas `read_csv` (C parser) + sort by id + stack + renormalise",
}
TARGETS = {"mean": 5.0, "vote": 5.0, "load-parquet": 1.0}


def agreement(task, ck):
    if task in FUSERS:
        c = ck[task]
        return (f"max \\|Δp\\| {c['max_abs_diff']:.0e}, {c['labels_differ']} labels differ; "
                f"CLI vs library {c['cli_max_abs_diff']:.0e}")
    if task == "metrics":
        c = ck["metrics"]
        return "; ".join(f"{m} {c[m]['max_abs_diff']:.0e} (CLI {c[m]['cli_max_abs_diff']:.0e})"
                         for m in c)
    if task == "diversity":
        c = ck["diversity"]
        worst = max(v["max_abs_diff"] for v in c.values())
        worst_cli = max(v["cli_max_abs_diff"] for v in c.values())
        return (f"{next(iter(c.values()))['pairs']} pairs × 5 measures within {worst:.0e} "
                f"(CLI {worst_cli:.0e})")
    c = ck[task]
    return f"both equal the `.npy` data to {max(c['library_vs_npy'], c['python_vs_npy']):.0e}"


def render_size(r):
    py, lib, cli, ck = r["python"], r["library"], r["cli"], r["checks"]
    M, N, K = r["size"]
    lines = [
        f"**{size_name(r['size'])}** (load average {r['load_before'][0]:.2f} before, "
        f"{r['load_after'][0]:.2f} after; medians of the runs counted in brackets: Python / "
        "library / CLI)",
        "",
        "| task | Python reference | Python | library | Python / library | CLI | "
        "Python (+ load) / CLI | peak MiB Python / library / CLI | agreement |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for task in list(FUSERS) + ["metrics", "diversity", "load-parquet", "load-csv"]:
        if task not in lib:
            continue
        t_py, t_lib = median(py[task]["seconds"]), median(lib[task]["seconds"])
        rt = t_py / t_lib
        target = TARGETS.get(task)
        rs = f"**{rt:.1f}×**" if target else f"{rt:.1f}×"
        if task in cli:
            t_cli = median(cli[task]["seconds"])
            c = f"{fmt_t(t_cli)}"
            cr = f"{(t_py + py[task]['load_seconds']) / t_cli:.1f}×"
            cp = f"{cli[task]['peak_mib']:.0f}"
        else:
            c, cr, cp = "—", "—", "—"
        runs = "/".join(str(len(g[task]["seconds"])) for g in (py, lib, cli) if task in g)
        lines.append(
            f"| {task} [{runs}] | {REFERENCE[task]} | {fmt_t(t_py)} | {fmt_t(t_lib)} | {rs} | "
            f"{c} | {cr} | {py[task]['peak_mib']:.0f} / {lib[task]['peak_mib']:.0f} / {cp} | "
            f"{agreement(task, ck)} |")
    bw = lib["bandwidth"]
    gb = M * N * K * 4 / 1e9
    lines += [
        "",
        f"Memory bandwidth on the same {gb * 1e3:.0f} MB (medians): read "
        f"{bw['read_gbs']:.1f} GB/s on {lib['bandwidth']['threads']} threads, "
        f"{bw['read_one_thread_gbs']:.1f} GB/s on one; copy {bw['copy_gbs']:.1f} GB/s "
        f"(read + write); NumPy `copyto` {py['copy']['gbs']:.1f} GB/s. Fusers (bytes read "
        "and written once: the block and the fused rows):",
        "",
        "| fuser | library GB/s | % of measured read bandwidth | NumPy GB/s |",
        "|---|---|---|---|",
    ]
    moved = (M * N * K + N * K) * 4 / 1e9
    for task in FUSERS:
        g_lib = moved / median(lib[task]["seconds"])
        g_py = moved / median(py[task]["seconds"])
        lines.append(f"| {task} | {g_lib:.1f} | {100 * g_lib / bw['read_gbs']:.0f}% | "
                     f"{g_py:.1f} |")
    return "\n".join(lines)


# What each task's cost grows with (the documented complexity), for the scaling fit.
WORK = {
    "mean": ("M·N·K", lambda M, N, K: M * N * K),
    "weighted": ("M·N·K", lambda M, N, K: M * N * K),
    "vote": ("M·N·K", lambda M, N, K: M * N * K),
    "soft-vote": ("M·N·K", lambda M, N, K: M * N * K),
    "metrics": ("M·K·N·log N", lambda M, N, K: M * K * N * math.log2(N)),
    "diversity": ("M²·N", lambda M, N, K: M * M * N),
    "load-parquet": ("M·N·K", lambda M, N, K: M * N * K),
}


def render_scaling(sizes):
    """Per task: the library's median time at each size, per unit of the documented work,
    and the slope of log(time) against log(work) over the sizes (1 = grows as documented)."""
    head = " | ".join(size_name(r["size"]) for r in sizes)
    lines = [f"| task | work | {head} | slope |",
             "|---|---|" + "---|" * len(sizes) + "---|"]
    for task, (label, work) in WORK.items():
        xs, ys, cells = [], [], []
        for r in sizes:
            t = median(r["library"][task]["seconds"])
            w = work(*r["size"])
            xs.append(math.log(w))
            ys.append(math.log(t))
            cells.append(f"{fmt_t(t)} ({t / w * 1e9:.2f} ns)")
        slope = f"{np.polyfit(xs, ys, 1)[0]:.2f}" if len(set(xs)) > 1 else "—"
        lines.append(f"| {task} | {label} | {' | '.join(cells)} | {slope} |")
    return "\n".join(lines)


def render(results):
    mach = results["machine"]
    parts = [
        f"Command: `bench/run.sh --suite` ({results['total_seconds'] / 60:.1f} min). Machine: "
        f"{mach['cpus']} CPUs ({mach['cpu']}); Python {mach['python']}, NumPy "
        f"{mach['numpy']}, SciPy {mach['scipy']}, scikit-learn {mach['scikit-learn']}, "
        f"pandas {results['versions']['pandas']}, pyarrow {results['versions']['pyarrow']}; "
        f"{mach['rustc']}. Load average {results['load_before'][0]:.2f} before the run, "
        f"{results['load_after'][0]:.2f} after (1-minute). Times are medians; Python and "
        "library times exclude loading (loading rows are the loading itself); CLI times are "
        "whole `modelfuse predict` / `evaluate` / `inspect` processes on the `.npy` folder "
        "(reading, computing, writing the fused Parquet file or printing JSON; `evaluate` "
        "computes every metric and `inspect` every metric and the diversity), compared "
        "with the Python load + computation.",
        "",
    ]
    for r in results["sizes"]:
        parts += [render_size(r), ""]
    parts += ["**Scaling** (library, median seconds and nanoseconds per unit of work):", "",
              render_scaling(results["sizes"]), ""]
    for tag, table in results.get("learned", {}).items():
        parts += [f"**Learned tasks at {tag}** (`bench/side_by_side.py`, same run):", "",
                  table, ""]
    return "\n".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd")
    t = sub.add_parser("task", help="run one Python reference (used by the main run)")
    t.add_argument("name")
    t.add_argument("--data", type=Path, required=True)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--modelfuse", type=Path, help="the release `modelfuse` binary")
    ap.add_argument("--example", type=Path, help="the release `side_by_side` example")
    ap.add_argument("--sizes", help="comma-separated MxNxK sizes instead of the issue's "
                    "four (for trying the harness small), e.g. 5x2000x3,4x5000x2")
    ap.add_argument("--no-learned", action="store_true",
                    help="skip the learned tasks (side_by_side.py)")
    ap.add_argument("--seed", type=int, default=2004)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "suite")
    args = ap.parse_args()
    if args.cmd == "task":
        run_task(args.name, args.data, args.out, args.repeats)
        return
    if not (args.modelfuse and args.example):
        ap.error("--modelfuse and --example are required (bench/run.sh passes them)")

    import pandas
    import pyarrow

    started = time.perf_counter()
    out = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    sizes = SIZES
    plans = dict(PLAN)
    if args.sizes:
        sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes.split(",")]
        plans = {s: {"csv": True, "learned": s[2] > 2, "repeats": 3} for s in sizes}
    results = {"machine": sbs.machine(), "load_before": os.getloadavg(), "sizes": [],
               "versions": {"pandas": pandas.__version__, "pyarrow": pyarrow.__version__},
               "learned": {}}
    work = Path(tempfile.mkdtemp(prefix="modelfuse-suite-"))
    ok = True
    try:
        for size in sizes:
            sub_out = out / size_tag(size)
            sub_out.mkdir()
            load_before = os.getloadavg()
            r = run_size(args, size, plans[size], work, sub_out)
            r["load_before"], r["load_after"] = load_before, os.getloadavg()
            results["sizes"].append(r)
            ok &= all(c["labels_differ"] == 0 and c["max_abs_diff"] < 1e-5
                      for c in (r["checks"][t] for t in FUSERS))
            if plans[size]["learned"] and not args.no_learned:
                # side_by_side.py unchanged, so its run of record stays comparable.
                M, N, K = size
                learned = out / f"learned-{size_tag(size)}"
                print(f"\n== learned tasks at {size_name(size)} (side_by_side.py)", flush=True)
                proc = subprocess.run(
                    [sys.executable, str(Path(sbs.__file__)), "--modelfuse",
                     str(args.modelfuse), "--example", str(args.example), "--models", str(M),
                     "--samples", str(N), "--classes", str(K), "--seed", str(args.seed),
                     "--out", str(learned)])
                ok &= proc.returncode == 0
                if (learned / "side_by_side.md").exists():
                    results["learned"][size_name(size)] = (
                        learned / "side_by_side.md").read_text()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["load_after"] = os.getloadavg()
    results["total_seconds"] = time.perf_counter() - started
    (out / "suite.json").write_text(json.dumps(results, indent=1) + "\n")
    table = render(results)
    (out / "suite.md").write_text(table)
    print()
    print(table)
    if not ok:
        sys.exit("some answers disagree; see the tables")


if __name__ == "__main__":
    main()
