#!/usr/bin/env bash
# modelfuse side by side with the Python reference implementations (BENCHMARKS.md).
#
# Builds the `modelfuse` binary and the `side_by_side` example in release mode, makes
# bench/.venv with the pinned packages of bench/requirements.txt (from PyPI, once), and runs
# bench/side_by_side.py, which generates the data, times both sides, checks that they agree
# and writes the tables to bench/out/side_by_side.md (every number: side_by_side.json).
#
#   bench/run.sh                                # 50 models × 100,000 samples × 10 classes
#   bench/run.sh --models 10 --samples 10000    # a quick run; see side_by_side.py --help
#   bench/run.sh --suite                        # everything, at the four sizes of issue 8:
#                                               # bench/suite.py, tables in bench/out/suite/
#   bench/run.sh --suite --sizes 5x2000x3,4x3000x2 --no-learned   # the same, tiny
#
# Respects CARGO_TARGET_DIR; PYTHON picks the interpreter for the venv (3.11 or newer).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

venv=bench/.venv
if [ ! -x "$venv/bin/python" ] || ! cmp -s bench/requirements.txt "$venv/requirements.txt"; then
  rm -rf "$venv"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
  cp bench/requirements.txt "$venv/requirements.txt"
fi

cargo build --release --locked -p modelfuse-cli --bin modelfuse --example side_by_side
target=$(cargo metadata --format-version 1 --no-deps |
  "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

script=bench/side_by_side.py
if [ "${1:-}" = "--suite" ]; then
  script=bench/suite.py
  shift
fi
"$venv/bin/python" "$script" \
  --modelfuse "$target/release/modelfuse" \
  --example "$target/release/examples/side_by_side" "$@"
echo "bench/run.sh took $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s"
