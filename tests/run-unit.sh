#!/usr/bin/env bash
# Runs each cmocka unit-test binary; prints the plain closing line.
# usage: run-unit.sh DIR TEST...
set -u
dir=$1; shift
pass=0; fail=0; failed=()
for t in "$@"; do
    if "$dir/$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("$t"); fi
done
echo "unit test programs ($dir): $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
