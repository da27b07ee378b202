#!/usr/bin/env bash
# Runs every fuzz target for a bounded time on a scratch copy of its committed
# seed corpus (so runs never change the repository), and prints the number of
# executions of each. Exits non-zero on the first crash, leak of time or
# memory (libFuzzer's limits below), leaving the crashing input in
# fuzz/artifacts/<target>/.
#
#   fuzz/run.sh            # 60 s per target, a random seed
#   SECONDS_PER_TARGET=10 fuzz/run.sh
#   FUZZ_SEED=1 RUNS_PER_TARGET=20000 fuzz/run.sh   # what CI runs: reproducible
#
# With FUZZ_SEED and RUNS_PER_TARGET the run is deterministic (libFuzzer's
# mutations are seeded and every target is a pure function of its input), so
# CI fails only on code that fails the same run here; a time limit that cuts
# it short runs a prefix of it. Exploratory fuzzing uses random seeds and
# long runs, by hand.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). Runs on the stable
# toolchain: `--sanitizer none` keeps libFuzzer's coverage instrumentation but
# needs no nightly-only sanitizer flags. Panics abort, and an abort is a crash.
set -euo pipefail
cd "$(dirname "$0")"
per=${SECONDS_PER_TARGET:-60}
extra=()
if [ -n "${FUZZ_SEED:-}" ]; then extra+=("-seed=$FUZZ_SEED"); fi
if [ -n "${RUNS_PER_TARGET:-}" ]; then extra+=("-runs=$RUNS_PER_TARGET"); fi
targets=${FUZZ_TARGETS:-table parquet npy fitted_json conll ner_jsonl squad}
cargo fuzz build --sanitizer none
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
total=0
for target in $targets; do
  mkdir -p "$scratch/$target"
  cp -r "corpus/$target/." "$scratch/$target/"
  log="$scratch/$target.log"
  if ! cargo fuzz run --sanitizer none "$target" "$scratch/$target" -- \
      -max_total_time="$per" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
      -max_len=65536 -print_final_stats=1 "${extra[@]}" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  total=$((total + runs))
  echo "$target: $runs executions (at most ${per} s)"
done
echo "all targets: $total executions, no crash"
