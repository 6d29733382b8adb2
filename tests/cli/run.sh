#!/usr/bin/env bash
# Runs every tests/cli/test_*.sh against the real binary.
# usage: run.sh PATH/TO/aibench
# Each test script gets AIBENCH (absolute path) and a fresh TMPDIR-like
# directory in WORK; it exits non-zero on the first failed assertion.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
pass=0; fail=0; failed=()
for t in "$here"/test_*.sh; do
    name=$(basename "$t" .sh)
    work=$(mktemp -d)
    if AIBENCH="$bin" WORK="$work" XDG_DATA_HOME="$work/xdg" HOME="$work/home" \
        bash "$t" >"$work/log" 2>&1; then
        pass=$((pass + 1)); echo "ok   $name"
    else
        fail=$((fail + 1)); failed+=("$name"); echo "FAIL $name"; sed 's/^/    /' "$work/log" | tail -40
    fi
    rm -rf "$work"
done
echo "cli tests ($bin): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
