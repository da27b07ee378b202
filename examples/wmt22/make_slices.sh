#!/bin/sh
# Regenerates the slices in this folder from the WMT22 general-task files
# (wmt-conference/wmt22-news-systems, txt/; see PROVENANCE.md). Usage:
#   examples/wmt22/make_slices.sh /work/shared/data/wmt22
set -eu
src=${1:?path to the wmt22 folder (en-de/, de-en/, zh-en/, en-zh/)}
here=$(dirname "$0")
slice() { # pair, number of segments
    pair=$1; n=$2; tgt=${pair#*-}
    mkdir -p "$here/$pair/hyp"
    for f in "$src/$pair"/generaltest2022.$pair.hyp.*."$tgt"; do
        sys=${f##*.hyp.}; sys=${sys%."$tgt"}
        head -n "$n" "$f" > "$here/$pair/hyp/$sys.$tgt"
    done
    for r in A B; do
        head -n "$n" "$src/$pair/generaltest2022.$pair.ref.$r.$tgt" > "$here/$pair/ref.$r.$tgt"
    done
}
slice en-de 250
slice de-en 250
slice zh-en 250
slice en-zh 100
