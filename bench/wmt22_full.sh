#!/usr/bin/env bash
# The full-size generation-fusion results in BENCHMARKS.md: `modelfuse generate report` on the
# complete WMT22 en-de, de-en and zh-en (and en-zh, with the zh tokeniser) test sets against
# reference A. The files are not in the repository (see examples/wmt22/PROVENANCE.md); give the
# folder holding `<pair>/generaltest2022.<pair>.{hyp.<system>,ref.A}.<lang>`:
#
#   bench/wmt22_full.sh ../shared/data/wmt22
#   bench/wmt22_full.sh examples/wmt22/data/original    # after examples/get-data.sh wmt22
#
# Each system file is linked as `<system>.<lang>` in a temporary folder so the report names
# systems as WMT does. Writes bench/out/wmt22_<pair>.txt (the report) and .json.
set -euo pipefail
src=${1:?path to the wmt22 folder}
cd "$(dirname "$0")/.."
# MODELFUSE=path/to/modelfuse uses that binary instead of building one.
bin=${MODELFUSE:-}
if [ -z "$bin" ]; then
  cargo build --release -p modelfuse-cli --bin modelfuse
  bin=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release/modelfuse
fi
mkdir -p bench/out
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for pair in en-de de-en zh-en en-zh; do
  tgt=${pair#*-}; tok=13a; [ "$tgt" = zh ] && tok=zh
  mkdir -p "$tmp/$pair"
  for f in "$src/$pair"/generaltest2022.$pair.hyp.*."$tgt"; do
    sys=${f##*.hyp.}; ln -s "$(realpath "$f")" "$tmp/$pair/$sys"
  done
  ref=$src/$pair/generaltest2022.$pair.ref.A.$tgt
  start=$SECONDS
  "$bin" generate report "$tmp/$pair" --ref "$ref" --tokenize $tok | tee "bench/out/wmt22_$pair.txt"
  "$bin" generate report "$tmp/$pair" --ref "$ref" --tokenize $tok --json > "bench/out/wmt22_$pair.json"
  echo "$pair: $((SECONDS - start)) s for both reports"
done
