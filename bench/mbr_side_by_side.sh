#!/usr/bin/env bash
# MBR (chrF utility) in modelfuse side by side with sacrebleu's sentence_chrf (BENCHMARKS.md).
#
# Builds the `modelfuse` binary in release mode, makes bench/.venv with the pinned packages of
# bench/requirements.txt (from PyPI, once; or set PYTHON_WITH_SACREBLEU to an interpreter that
# already has sacrebleu==2.6.0) and runs bench/mbr_side_by_side.py.
#
#   bench/mbr_side_by_side.sh               # 12 systems × 2,000 segments
#   bench/mbr_side_by_side.sh --repeat 1    # 12 × 250, quick
set -euo pipefail
cd "$(dirname "$0")/.."
# The WMT22 outputs are not committed; bring them once.
[ -d examples/wmt22/data/zh-en/hyp ] || examples/get-data.sh wmt22

py=${PYTHON_WITH_SACREBLEU:-}
if [ -z "$py" ]; then
  venv=bench/.venv
  if [ ! -x "$venv/bin/python" ] || ! cmp -s bench/requirements.txt "$venv/requirements.txt"; then
    rm -rf "$venv"
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
    cp bench/requirements.txt "$venv/requirements.txt"
  fi
  py=$venv/bin/python
fi

# MODELFUSE=path/to/modelfuse uses that binary instead of building one.
bin=${MODELFUSE:-}
if [ -z "$bin" ]; then
  cargo build --release -p modelfuse-cli --bin modelfuse
  bin=$(cargo metadata --format-version 1 --no-deps |
    "$py" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release/modelfuse
fi
"$py" bench/mbr_side_by_side.py --modelfuse "$bin" "$@"
