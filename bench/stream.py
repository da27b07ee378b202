#!/usr/bin/env python3
"""Streaming prediction at a size that does not fit in memory as one block.

Generates M models x N samples x K classes as one float32 `.npy` file per model (50 x 1M x
100 by default: 20 GB), fits a mean and a vote fuser on a 1,000-row sample of the same models
(they learn nothing, so the saved fuser is the same), then times `modelfuse predict` on the
whole folder as a user runs it, with its peak RSS (GNU time), writing the fused `.npy`.
Beside it, the NumPy script a user would write for data this size (load one file at a time,
add it to a float64 sum) is timed the same way. Both outputs are compared (within 1e-6).

Usage: `bench/stream.py --modelfuse target/release/modelfuse --data DIR [--models 50
--samples 1000000 --classes 100]`. The data folder is kept (delete it afterwards: 20 GB).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

NUMPY_MEAN = r'''
import sys, numpy as np
from pathlib import Path
data, out = Path(sys.argv[1]), Path(sys.argv[2])
files = sorted(data.glob("*.npy"))
acc = None
for f in files:
    x = np.load(f)
    acc = x.astype(np.float64) if acc is None else acc + x
np.save(out, (acc / len(files)).astype(np.float32))
'''


def run(cmd):
    with tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *map(str, cmd)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{proc.stderr.decode()}")
        return wall, int(rss.read().split()[-1]) / 1024


def generate(folder, sample, m, n, k, seed):
    folder.mkdir(parents=True, exist_ok=True)
    sample.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(m):
        path = folder / f"m{i:02d}.npy"
        if not path.exists():
            x = rng.random((n, k), dtype=np.float32) ** 3 + np.float32(1e-4)
            x /= x.sum(axis=1, keepdims=True)
            np.save(path, x)
        np.save(sample / path.name, np.load(path, mmap_mode="r")[:1000])
        print(f"\r{i + 1}/{m} files", end="", flush=True)
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modelfuse", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--models", type=int, default=50)
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--classes", type=int, default=100)
    ap.add_argument("--seed", type=int, default=2004)
    ap.add_argument("--methods", default="mean,vote")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "stream.json")
    args = ap.parse_args()
    data = args.data / "models"
    sample = args.data / "sample"
    generate(data, sample, args.models, args.samples, args.classes, args.seed)
    size_gb = sum(f.stat().st_size for f in data.glob("*.npy")) / 1e9
    results = {"models": args.models, "samples": args.samples, "classes": args.classes,
               "input_gb": size_gb, "runs": {}}
    for method in args.methods.split(","):
        fuser = args.data / f"{method}.json"
        subprocess.run([args.modelfuse, "fit", "--method", method, sample, "-o", fuser, "--force"],
                       check=True, stderr=subprocess.DEVNULL)
        out = args.data / f"fused_{method}.npy"
        wall, rss = run([args.modelfuse, "predict", "--fuser", fuser, data, "-o", out, "--force"])
        results["runs"][f"modelfuse {method}"] = {"wall_s": wall, "peak_rss_mib": rss}
        print(f"modelfuse predict {method}: {wall:.1f} s, peak RSS {rss:.0f} MiB ({size_gb:.1f} GB in)")
    if "mean" in args.methods.split(","):
        out = args.data / "numpy_mean.npy"
        wall, rss = run([sys.executable, "-c", NUMPY_MEAN, data, out])
        results["runs"]["numpy mean (one file at a time)"] = {"wall_s": wall, "peak_rss_mib": rss}
        print(f"numpy mean, one file at a time: {wall:.1f} s, peak RSS {rss:.0f} MiB")
        diff = float(np.abs(np.load(out) - np.load(args.data / "fused_mean.npy")).max())
        results["max_abs_difference_mean"] = diff
        print(f"largest difference between the two means: {diff:.2e}")
        assert diff < 1e-6, diff
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
