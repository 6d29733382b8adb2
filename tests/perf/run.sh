#!/usr/bin/env bash
# Runs every tests/perf/perf_*.sh: each runs aibench and a reference tool in
# the same invocation, alternating, and prints ratios (aibench / reference).
# usage: run.sh PATH/TO/aibench
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
status=0
for t in "$here"/perf_*.sh; do
    [ -e "$t" ] || continue
    echo "== $(basename "$t" .sh)"
    AIBENCH="$bin" bash "$t" || status=1
done
exit $status
