#!/usr/bin/env bash
# Brings the public datasets of modelfuse's walkthroughs into examples/<set>/data/.
#
#   examples/get-data.sh                 # every set
#   examples/get-data.sh figqa wnut17    # some sets
#   examples/get-data.sh --check         # verify ../shared/data (or $MODELFUSE_DATA) only
#
# Real third-party data is never committed to this repository. Each set's files come from
# $MODELFUSE_DATA/<set>/ or ../shared/data/<set>/ when that folder exists (developer
# machines and CI have it beside the checkout), otherwise from the public URL in
# examples/<set>/SOURCES (the dataset's original repository, named in its PROVENANCE.md).
# Every file is checked against the checksum in SOURCES before it is used; a file that does
# not match is refused and nothing of it is kept. Files are staged in
# examples/<set>/data/original/ (the layout of ../shared/data/<set>/) and, for the sets the
# README uses as folders (figqa, wnut17, squad11, wmt22), laid out in examples/<set>/data/
# by `modelfuse-data layout` (crates/modelfuse-testdata: the same code the tests use).
#
# Needs: bash, curl (only when downloading), sha256sum or shasum, md5sum or md5, cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL=(banking77 figqa wnut17 squad11 wmt22 cifar_2models robust04 m3)
LAID_OUT=" figqa wnut17 squad11 wmt22 "
shared=${MODELFUSE_DATA:-../shared/data}

check=0
sets=()
for a in "$@"; do
  case $a in
    --check) check=1 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "get-data.sh: unknown option $a (see --help)" >&2; exit 2 ;;
    *)
      if [ ! -f "examples/$a/SOURCES" ]; then
        echo "get-data.sh: no dataset '$a'; the sets are: ${ALL[*]}" >&2
        exit 2
      fi
      sets+=("$a")
      ;;
  esac
done
[ ${#sets[@]} -gt 0 ] || sets=("${ALL[@]}")

# digest ALGO FILE: the hex digest of FILE.
digest() {
  case $1 in
    sha256) if command -v sha256sum >/dev/null; then sha256sum "$2"; else shasum -a 256 "$2"; fi ;;
    md5) if command -v md5sum >/dev/null; then md5sum "$2"; else md5 -r "$2"; fi ;;
    *) echo "get-data.sh: unknown checksum kind '$1'" >&2; return 2 ;;
  esac | cut -d' ' -f1
}

# verify FILE ALGO:HEX: succeeds when FILE has that checksum, else says what it found.
verify() {
  local got
  got=$(digest "${2%%:*}" "$1")
  if [ "$got" != "${2#*:}" ]; then
    echo "  $1: checksum ${2%%:*} $got, expected ${2#*:}" >&2
    return 1
  fi
}

# The manifest's data lines: path, checksum, url, flags.
entries() { grep -v '^#' "examples/$1/SOURCES" | grep -v '^[[:space:]]*$'; }

failed=0
for set in "${sets[@]}"; do
  src="$shared/$set"
  if [ "$check" = 1 ]; then
    n=0
    bad=0
    while IFS=$'\t' read -r path sum url flags; do
      [ "${flags:-}" = download-only ] && continue
      if [ ! -f "$src/$path" ]; then
        echo "  missing: $src/$path" >&2
        bad=1
      elif ! verify "$src/$path" "$sum"; then
        bad=1
      fi
      n=$((n + 1))
    done < <(entries "$set")
    if [ "$bad" = 0 ]; then
      echo "ok      $set: $n files in $src match examples/$set/SOURCES"
    else
      echo "FAILED  $set: $src does not hold the files of examples/$set/SOURCES" >&2
      failed=1
    fi
    continue
  fi

  case $LAID_OUT in *" $set "*) stage="examples/$set/data/original" ;; *) stage="examples/$set/data" ;; esac
  mkdir -p "$stage"
  if [ -d "$src" ]; then from="$src"; else from=""; fi
  echo "$set: from ${from:-the public URLs in examples/$set/SOURCES}"
  missing=0
  nocopy=0
  while IFS=$'\t' read -r path sum url flags; do
    dest="$stage/$path"
    tmp="$dest.part"
    mkdir -p "$(dirname "$dest")"
    if [ -n "$from" ]; then
      [ "${flags:-}" = download-only ] && continue
      if [ ! -f "$from/$path" ]; then
        echo "  missing: $from/$path" >&2
        missing=1
        continue
      fi
      cp "$from/$path" "$tmp"
    else
      if [ "$url" = - ]; then
        nocopy=$((nocopy + 1))
        missing=1
        continue
      fi
      if [ -f "$dest" ] && verify "$dest" "$sum" 2>/dev/null; then
        continue
      fi
      if ! curl -fsSL --retry 2 -o "$tmp" "$url"; then
        echo "  $path: download failed: $url" >&2
        rm -f "$tmp"
        missing=1
        continue
      fi
    fi
    if verify "$tmp" "$sum"; then
      mv "$tmp" "$dest"
    else
      rm -f "$tmp"
      missing=1
    fi
  done < <(entries "$set")
  if [ "$nocopy" -gt 0 ]; then
    echo "  $nocopy file(s) of $set have no byte-identical public copy (derived or recompressed;" \
      "see examples/$set/PROVENANCE.md): set MODELFUSE_DATA to a folder holding $set/" >&2
  fi
  if [ "$missing" = 1 ]; then
    echo "  $set is incomplete in $stage" >&2
    failed=1
    continue
  fi
  case $LAID_OUT in
    *" $set "*)
      cargo run --quiet --locked -p modelfuse-testdata --bin modelfuse-data -- \
        layout "$set" "$stage" "examples/$set/data"
      echo "  laid out in examples/$set/data/"
      ;;
    *) echo "  in examples/$set/data/" ;;
  esac
done
exit "$failed"
