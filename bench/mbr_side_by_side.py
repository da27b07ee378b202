#!/usr/bin/env python3
"""MBR with the chrF utility: modelfuse side by side with sacrebleu.

The same pairwise MBR on the same data, in Rust (`modelfuse generate fuse`) and
in Python with sacrebleu's `sentence_chrf`: for every segment, every candidate
is scored against every candidate (itself included), weights uniform, and the
candidate with the highest expected chrF wins (ties to the earlier system in
name order). The data: the 12 zh-en systems of examples/wmt22/data (250 real WMT22
segments) repeated to 2,000 segments (--repeat 8). Both sides must pick the
same text for every segment; the script fails otherwise.

Run it through bench/mbr_side_by_side.sh, which builds modelfuse in release
mode and provides a Python with the pinned sacrebleu (bench/requirements.txt).
Writes bench/out/mbr_side_by_side.json and prints a Markdown table.
"""

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import sacrebleu

ROOT = Path(__file__).resolve().parents[1]
# Laid out by `examples/get-data.sh wmt22` (the WMT22 files are not committed).
HYP = ROOT / "examples" / "wmt22" / "data" / "zh-en" / "hyp"


def read_lines(path):
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def python_mbr(systems, n_segments):
    names = sorted(systems)
    w = 1.0 / len(names)
    out = []
    for seg in range(n_segments):
        cands = [systems[s][seg] for s in names]
        best, best_score = 0, float("-inf")
        for i, c in enumerate(cands):
            score = 0.0
            for r in cands:
                score += w * sacrebleu.sentence_chrf(c, [r]).score
            if score > best_score:
                best, best_score = i, score
        out.append(cands[best])
    return out


def rust_mbr(binary, folder, out, threads):
    env = dict(os.environ)
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    start = time.perf_counter()
    subprocess.run([binary, "generate", "fuse", str(folder), "-o", str(out)], check=True, env=env,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, read_lines(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--modelfuse", required=True, help="the release modelfuse binary")
    ap.add_argument("--repeat", type=int, default=8, help="repetitions of the 250 segments (8: 2,000)")
    ap.add_argument("--rust-runs", type=int, default=5, help="Rust timings to take the best of")
    args = ap.parse_args()

    files = sorted(HYP.iterdir())
    systems = {f.stem: read_lines(f) * args.repeat for f in files}
    n = len(next(iter(systems.values())))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "hyp"
        folder.mkdir()
        for name, lines in systems.items():
            (folder / f"{name}.en").write_text("\n".join(lines) + "\n", encoding="utf-8")
        rust = {}
        for threads in (1, None):
            best, picks = None, None
            for _ in range(args.rust_runs):
                t, picks = rust_mbr(args.modelfuse, folder, Path(tmp) / "fused.en", threads)
                best = t if best is None else min(best, t)
            rust["1 thread" if threads else f"all cores ({os.cpu_count()})"] = (best, picks)

    start = time.perf_counter()
    py_picks = python_mbr(systems, n)
    py_time = time.perf_counter() - start

    for label, (_, picks) in rust.items():
        diff = [i for i, (a, b) in enumerate(zip(picks, py_picks)) if a != b]
        if len(picks) != len(py_picks) or diff:
            raise SystemExit(f"modelfuse ({label}) and sacrebleu disagree on segments {diff[:10]}")

    result = {
        "systems": len(systems), "segments": n,
        "python": platform.python_version(), "sacrebleu": sacrebleu.__version__,
        "cpu_count": os.cpu_count(),
        "sacrebleu_seconds": py_time,
        "modelfuse_seconds": {k: v[0] for k, v in rust.items()},
        "same_picks": True,
    }
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "mbr_side_by_side.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"MBR (chrF utility), {len(systems)} systems × {n} segments; identical picks on every segment\n")
    print("| implementation | seconds | segments/s | speed-up vs sacrebleu |")
    print("|---|---:|---:|---:|")
    print(f"| sacrebleu {sacrebleu.__version__} `sentence_chrf` (Python {platform.python_version()}, 1 core) "
          f"| {py_time:.2f} | {n / py_time:,.0f} | 1× |")
    for label, (t, _) in rust.items():
        print(f"| modelfuse `generate fuse`, {label} (whole command, incl. reading and writing) "
              f"| {t:.3f} | {n / t:,.0f} | {py_time / t:,.0f}× |")


if __name__ == "__main__":
    main()
