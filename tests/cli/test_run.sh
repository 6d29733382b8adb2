# `aibench run`, help, version and every bad-input path, against the real binary.
. "$(dirname "$0")/lib.sh"
A=$AIBENCH
DB=$WORK/r.db
Q="--warmup 0 --min-time 0.05 --max-time 0.3 --min-reps 3"

# help and version
expect_rc 0 $A --help
contains "$OUT" "devices"; contains "$OUT" "compare"; contains "$OUT" "matmul"; contains "$OUT" "--db"
expect_rc 0 $A --version
contains "$OUT" "aibench "; contains "$OUT" "commit"
expect_rc 0 $A run --help
for o in --device --param --suite --warmup --min-time --max-time --min-reps --target-ci --json --quiet precision; do
    contains "$OUT" "$o"
done
expect_rc 0 $A help run
contains "$OUT" "--target-ci"

# a real run: verified matmul, table, database path
expect_rc 0 $A --db "$DB" run matmul -p n=96 -p precision=fp64 $Q
contains "$OUT" "GFLOP/s"; contains "$OUT" "n=96"; contains "$OUT" "precision=fp64"
contains "$OUT" "database: $DB"
[ "$(stat -c %a "$DB")" = 600 ] || fail "database mode is $(stat -c %a "$DB"), wanted 600"

# a sweep gives one result per value; shorthand and --db after the command
expect_rc 0 $A run matmul -p n=32,48 --db "$DB" -q $Q
[ "$(sqlite3 "$DB" 'select count(*) from results where params like "n=32,%" or params like "n=48,%"')" = 2 ] \
    || fail "sweep did not store two results"
[ "$(sqlite3 "$DB" 'select count(*) from samples')" -gt 6 ] || fail "samples not stored"

# per-result metrics (threads actually used) are stored and shown
[ "$(sqlite3 "$DB" "select cast(value as int) from result_metrics m join results r on r.id = m.result_id where r.params like 'n=96,%' and m.name = 'threads'")" = "$(nproc)" ] \
    || fail "threads metric not stored"
expect_rc 0 $A --db "$DB" results show 1
contains "$OUT" "metrics of matmul"

# --json: stdout is one JSON document
expect_rc 0 $A --db "$DB" run matmul -p n=32 --json -q $Q
printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d)' >/dev/null \
    || fail "run --json is not JSON: $OUT"

# the environment is recorded
env_keys=$(sqlite3 "$DB" "select key from run_env where run_id = 1")
for k in host kernel compiler cflags aibench.version aibench.commit lib.sqlite lib.hwloc device.cpu.name; do
    contains "$env_keys" "$k"
done

# bad input: one line on stderr, exit 2, nothing written
bad() {
    local before; before=$(sqlite3 "$DB" 'select count(*) from runs')
    expect_rc 2 $A --db "$DB" "$@"
    one_line "$ERR"
    contains "$ERR" "aibench:"
    [ "$(sqlite3 "$DB" 'select count(*) from runs')" = "$before" ] || fail "bad input wrote a run: $*"
}
bad frobnicate;                              contains "$ERR" "unknown command 'frobnicate'"
bad --frob;                                  contains "$ERR" "unknown option"
bad run nosuch;                              contains "$ERR" "unknown workload 'nosuch'"
bad run matmul --device tpu:0;               contains "$ERR" "unknown device 'tpu:0'"
bad run matmul --device cpu:9;               contains "$ERR" "cpu:9"
bad run matmul -p nn=3;                      contains "$ERR" "unknown parameter 'nn'"
bad run matmul -p n=0;                       contains "$ERR" "out of range"
bad run matmul -p n=-5;                      contains "$ERR" "out of range"
bad run matmul -p n=abc;                     contains "$ERR" "bad value 'abc'"
bad run matmul -p precision=fp7;             contains "$ERR" "fp32|fp64"
bad run matmul -p n=65536;                   contains "$ERR" "GiB"
bad run matmul -p n;                         contains "$ERR" "KEY=VALUE"
bad run matmul --max-time -1;                contains "$ERR" "--max-time"
bad run matmul --target-ci 0%;               contains "$ERR" "--target-ci"
bad run matmul --min-reps 0;                 contains "$ERR" "--min-reps"
bad run matmul extra;                        contains "$ERR" "unexpected argument 'extra'"
bad run;                                     contains "$ERR" "needs a workload"
bad run matmul --device cuda:0;              contains "$ERR" "cuda"

# database paths
expect_rc 2 $A --db "$WORK/missing/dir/x.db" run matmul -p n=32 $Q
one_line "$ERR"; contains "$ERR" "$WORK/missing/dir"
[ ! -e "$WORK/missing" ] || fail "created a missing directory"
touch "$WORK/afile"
expect_rc 2 $A --db "$WORK/afile/x.db" run matmul -p n=32 $Q
one_line "$ERR"
# an unwritable directory: as root (CI) drop to nobody, since root writes anywhere
mkdir -p "$WORK/ro"; chmod 555 "$WORK/ro"; chmod 755 "$WORK"
if [ "$(id -u)" = 0 ]; then as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups); else as_user=(); fi
expect_rc 2 "${as_user[@]}" $A --db "$WORK/ro/x.db" run matmul -p n=32 $Q
one_line "$ERR"; contains "$ERR" "not writable"
[ -z "$(ls -A "$WORK/ro")" ] || fail "wrote into an unwritable directory"
head -c 8192 /dev/urandom > "$WORK/junk.db"; cp "$WORK/junk.db" "$WORK/junk.orig"
expect_rc 2 $A --db "$WORK/junk.db" run matmul -p n=32 $Q
one_line "$ERR"; contains "$ERR" "junk.db"
cmp -s "$WORK/junk.db" "$WORK/junk.orig" || fail "corrupt file was modified"
sqlite3 "$WORK/other.db" 'create table t(x); insert into t values (1);'
cp "$WORK/other.db" "$WORK/other.orig"
expect_rc 2 $A --db "$WORK/other.db" run matmul -p n=32 $Q
one_line "$ERR"; contains "$ERR" "not an aibench"
cmp -s "$WORK/other.db" "$WORK/other.orig" || fail "foreign database was modified"
cp "$DB" "$WORK/newer.db"
sqlite3 "$WORK/newer.db" 'pragma user_version = 999'
expect_rc 2 $A --db "$WORK/newer.db" results list
one_line "$ERR"; contains "$ERR" "newer"

# AIBENCH_DB and the XDG default
AIBENCH_DB="$WORK/env.db" expect_rc 0 $A run matmul -p n=32 -q $Q
[ -f "$WORK/env.db" ] || fail "AIBENCH_DB not used"
expect_rc 0 $A run matmul -p n=32 -q $Q
[ -f "$XDG_DATA_HOME/aibench/results.db" ] || fail "XDG default not used"
contains "$OUT" "$XDG_DATA_HOME/aibench/results.db"

# Ctrl-C and SIGTERM: saved, marked interrupted, 130 / 143
for sig in INT TERM; do
    $A --db "$WORK/sig.db" run matmul -p n=128 --warmup 0 --min-time 30 --max-time 30 -q >"$WORK/sig.out" 2>&1 &
    pid=$!
    for _ in $(seq 50); do
        [ "$(sqlite3 "$WORK/sig.db" 'select count(*) from runs' 2>/dev/null)" = "$([ $sig = INT ] && echo 1 || echo 2)" ] && break
        sleep 0.1
    done
    sleep 0.5
    kill -$sig $pid
    wait $pid; rc=$?
    want=$([ $sig = INT ] && echo 130 || echo 143)
    [ "$rc" = "$want" ] || fail "SIG$sig: exit $rc, wanted $want; $(cat "$WORK/sig.out")"
    st=$(sqlite3 "$WORK/sig.db" 'select r.status, s.status, s.n from runs r join results s on s.run_id = r.id order by r.id desc limit 1')
    contains "$st" "interrupted|interrupted|"
    n=${st##*|}; [ "$n" -gt 0 ] || fail "no samples saved on SIG$sig"
done

# two processes writing one database at once lose nothing (both create it:
# one of them wins the race to put it in place); what a failed one said is
# kept for the message
C="$WORK/conc.db"
$A --db "$C" run matmul -p n=32,40,48,56 -q $Q >/dev/null 2>"$WORK/conc1.err" & p1=$!
$A --db "$C" run matmul -p n=32,40,48,56 -q $Q >/dev/null 2>"$WORK/conc2.err" & p2=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
[ $rc1 = 0 ] || fail "first concurrent run failed: exit $rc1: $(cat "$WORK/conc1.err")"
[ $rc2 = 0 ] || fail "second concurrent run failed: exit $rc2: $(cat "$WORK/conc2.err")"
[ "$(sqlite3 "$C" 'select count(*) from runs where status = "ok"')" = 2 ] || fail "a concurrent run is missing"
[ "$(sqlite3 "$C" 'select count(*) from results')" = 8 ] || fail "concurrent results lost"
echo "all run checks passed"
