# Assertion helpers for CLI tests (sourced). Each failure prints one line and exits 1.
set -u
fail() { echo "ASSERTION FAILED: $*"; exit 1; }
# expect_rc WANT CMD... : runs CMD, captures stdout in $OUT and stderr in $ERR.
expect_rc() {
    local want=$1; shift
    OUT=$("$@" 2>"$WORK/.stderr"); local rc=$?
    ERR=$(cat "$WORK/.stderr")
    [ "$rc" -eq "$want" ] || fail "'$*' exited $rc, wanted $want; stderr: $ERR"
}
contains() { case "$1" in *"$2"*) ;; *) fail "expected to find '$2' in: $1" ;; esac; }
not_contains() { case "$1" in *"$2"*) fail "did not expect '$2' in: $1" ;; *) ;; esac; }
one_line() { [ "$(printf '%s\n' "$1" | grep -c .)" -eq 1 ] || fail "expected one line, got: $1"; }
