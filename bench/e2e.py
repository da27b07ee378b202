#!/usr/bin/env python3
"""modelfuse's CLI end to end against the NumPy script a user would write, on the same files.

Both sides are whole processes timed from start to exit: each reads the prediction files
itself, computes, and writes its result (or, for a fit, the fitted weights). Nothing is
shared between runs but the page cache, which both sides get warm: every command runs once
untimed first. Reported per task and input format: the median wall time of `--repeats` runs
(3 by default), the peak resident memory of the process (`ru_maxrss`), and the ratio NumPy
time / CLI time (above 1: the CLI is faster).

Tasks (ids are row numbers, models sorted by name on both sides):
* `mean`: the mean of the models' probabilities, written as `.npy` (NumPy: `np.save`; CLI:
  `modelfuse predict` with a fitted mean fuser, `-o fused.npy`);
* `vote`: the hard vote's share of votes per class (argmax per model, ties to the lowest
  class), written as `.npy`;
* `selection`: ensemble selection, 50 rounds with replacement on log-loss (NumPy: the
  true-class-column form of `bench/side_by_side.py`, the fastest NumPy form; CLI:
  `modelfuse fit --method selection`), the weights written out;
* `fit-mean`: `modelfuse fit --method mean --labels …`, the per-model summary table
  included, against NumPy's per-model accuracy and log-loss (what the table shows).
Input formats: `.npy` (NumPy: `np.load`), Parquet (pyarrow: `pq.read_table` then
`to_numpy`), CSV (pandas' C parser, `pd.read_csv`).

Usage: `bench/e2e.py --modelfuse target/release/modelfuse [--models 50 --samples 100000
--classes 10] [--formats npy,parquet,csv]`; the dataset is generated once with
`bench/side_by_side.py`'s generator in a temporary folder (or `--data DIR`, kept).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# The NumPy side of each task: one script, run as `python -c SCRIPT FORMAT DATA OUT`.
LOAD = r'''
import sys, numpy as np
from pathlib import Path
fmt, data, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
def load():
    if fmt == "npy":
        files = sorted((data / "val").glob("*.npy"))
        return np.stack([np.load(f) for f in files])
    if fmt == "parquet":
        import pyarrow.parquet as pq
        files = sorted((data / "val_parquet").glob("*.parquet"))
        blocks = []
        for f in files:
            t = pq.read_table(f)
            blocks.append(np.column_stack([t.column(c).to_numpy() for c in t.column_names[1:]]))
        return np.stack(blocks)
    import pandas as pd
    files = sorted((data / "val_csv").glob("*.csv"))
    return np.stack([pd.read_csv(f, index_col="id").to_numpy(np.float32) for f in files])
def labels():
    import pandas as pd
    t = pd.read_csv(data / "val.labels.csv")
    classes = (data / "val" / "classes.txt").read_text().split()
    index = {c: i for i, c in enumerate(classes)}
    return t["label"].map(index).to_numpy()
P = load()
'''

SCRIPTS = {
    "mean": LOAD + r'''
np.save(out, P.mean(axis=0, dtype=np.float64).astype(np.float32))
''',
    "vote": LOAD + r'''
M, N, K = P.shape
idx = P.argmax(axis=2) + (K * np.arange(N))[None, :]
np.save(out, (np.bincount(idx.ravel(), minlength=N * K).reshape(N, K) / M).astype(np.float32))
''',
    "selection": LOAD + r'''
y = labels()
M, N, K = P.shape
eps = np.finfo(np.float64).eps
T = P[:, np.arange(N), y]
running = np.zeros(N)
counts = np.zeros(M)
for r in range(50):
    Z = ((running[None, :] + T) / (r + 1)).astype(np.float32).astype(np.float64)
    best = int(np.argmin(-np.log(np.clip(Z, eps, 1 - eps)).mean(axis=1)))
    counts[best] += 1
    running += T[best]
np.save(out, counts / counts.sum())
''',
    "fit-mean": LOAD + r'''
y = labels()
M, N, K = P.shape
eps = np.finfo(np.float64).eps
rows = np.arange(N)
acc = (P.argmax(axis=2) == y[None, :]).mean(axis=1)
ll = -np.log(np.clip(P[:, rows, y].astype(np.float64), eps, 1 - eps)).mean(axis=1)
F = P.mean(axis=0)
json_out = {"accuracy": acc.tolist() + [float((F.argmax(1) == y).mean())],
            "log_loss": ll.tolist() + [float(-np.log(np.clip(F[rows, y], eps, 1 - eps)).mean())]}
import json; out.write_text(json.dumps(json_out))
''',
}

FOLDER = {"npy": "val", "parquet": "val_parquet", "csv": "val_csv"}
TIME = "/usr/bin/time"
if not Path(TIME).exists():
    raise SystemExit("bench/e2e.py needs GNU time at /usr/bin/time (Debian: apt install time)")


def run(cmd):
    """Wall seconds and peak RSS (MiB) of one whole process; stdout discarded.

    The process is started by GNU time (`/usr/bin/time -f %M`), a small process, because
    `ru_maxrss` counts a process's memory from before its `exec` too: forked from this
    Python (NumPy loaded), every child would report at least this process's size."""
    with tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.perf_counter()
        proc = subprocess.run([TIME, "-f", "%M", "-o", rss_file.name, *map(str, cmd)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
                             f"{proc.stderr.decode()}")
        rss_kib = int(rss_file.read().split()[-1])
    return wall, rss_kib / 1024


def measure(cmd, repeats):
    run(cmd)  # warm the page cache and the binary
    walls, peak = [], 0.0
    for _ in range(repeats):
        w, rss = run(cmd)
        walls.append(w)
        peak = max(peak, rss)
    return {"median_s": statistics.median(walls), "runs_s": walls, "peak_rss_mib": peak}


def cli_commands(mf, task, fmt, data, work):
    folder = data / FOLDER[fmt]
    labels = data / "val.labels.csv"
    if task in ("mean", "vote"):
        fuser = work / f"{task}_{fmt}.json"
        subprocess.run([mf, "fit", folder, "--method", task, "-o", fuser, "--force"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return [mf, "predict", "--fuser", fuser, folder, "-o", work / f"cli_{task}_{fmt}.npy",
                "--force"]
    if task == "selection":
        return [mf, "fit", folder, "--labels", labels, "--method", "selection",
                "-o", work / f"cli_sel_{fmt}.json", "--force"]
    return [mf, "fit", folder, "--labels", labels, "--method", "mean",
            "-o", work / f"cli_fitmean_{fmt}.json", "--force"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--modelfuse", type=Path, required=True)
    ap.add_argument("--data", type=Path, help="a dataset folder to use (or create) and keep")
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--seed", type=int, default=2004)
    ap.add_argument("--formats", default="npy,parquet,csv")
    ap.add_argument("--tasks", default="mean,vote,selection,fit-mean")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE / "out" / "e2e.json")
    args = ap.parse_args()
    formats = args.formats.split(",")
    tmp = tempfile.mkdtemp(prefix="modelfuse-e2e-")
    data = args.data or Path(tmp) / "data"
    if not (data / "val").is_dir():
        import side_by_side
        import suite
        side_by_side.generate(data, args.models, args.samples, args.classes, args.seed)
        if "parquet" in formats or "csv" in formats:
            suite.write_tables(data, "csv" in formats)
    work = Path(tmp) / "work"
    work.mkdir()
    mf = args.modelfuse.resolve()
    results = []
    try:
        for task in args.tasks.split(","):
            for fmt in formats:
                py = measure([sys.executable, "-c", SCRIPTS[task], fmt, data,
                              work / f"py_{task}_{fmt}.npy"], args.repeats)
                cli = measure(cli_commands(mf, task, fmt, data, work), args.repeats)
                results.append({"task": task, "format": fmt, "numpy": py, "cli": cli,
                                "numpy_over_cli": py["median_s"] / cli["median_s"]})
                print(f"{task:10} {fmt:8} numpy {py['median_s']:7.2f} s {py['peak_rss_mib']:7.0f} MiB"
                      f"   cli {cli['median_s']:7.2f} s {cli['peak_rss_mib']:7.0f} MiB"
                      f"   numpy/cli {results[-1]['numpy_over_cli']:5.2f}x", flush=True)
        check_agreement(work, args.tasks.split(","), formats)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"size": [args.models, args.samples, args.classes],
                                    "results": results}, indent=1))


def check_agreement(work, tasks, formats):
    """The two sides computed the same thing: fused blocks within 1e-6, equal weights."""
    import numpy as np
    for task in ("mean", "vote"):
        if task not in tasks:
            continue
        for fmt in formats:
            a = np.load(work / f"py_{task}_{fmt}.npy")
            b = np.load(work / f"cli_{task}_{fmt}.npy")
            diff = float(np.max(np.abs(a - b)))
            assert diff < 1e-6, f"{task} {fmt}: NumPy and the CLI differ by {diff}"
    if "selection" in tasks:
        for fmt in formats:
            w_py = np.load(work / f"py_selection_{fmt}.npy")
            spec = json.loads((work / f"cli_sel_{fmt}.json").read_text())
            w_cli = np.array(spec["state"]["weights"])
            diff = float(np.max(np.abs(w_py - w_cli)))
            assert diff < 1e-12, f"selection {fmt}: weights differ by {diff}"
    print("agreement: fused blocks within 1e-6, selection weights equal", flush=True)


if __name__ == "__main__":
    main()
