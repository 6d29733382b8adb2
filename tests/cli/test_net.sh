# `aibench run net` and `aibench serve`: loopback and across two network
# namespaces joined by a veth pair, a peer that goes away mid-run, and the
# one-line errors (port in use, refused, unreachable, malformed). Only
# addresses on this machine or inside the namespaces made here are used.
. "$(dirname "$0")/lib.sh"
A=$AIBENCH
DB=$WORK/net.db
Q="--warmup 0.05 --min-time 0.1 --max-time 0.4 --min-reps 3 -q"
pids=()
ns_a=aibt$$a
ns_b=aibt$$b
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    ip netns del $ns_a 2>/dev/null
    ip netns del $ns_b 2>/dev/null
}
trap cleanup EXIT

metric() {
    sqlite3 "$DB" "select m.value from result_metrics m join results r on r.id = m.result_id
                   where m.name = '$1' and m.valid = 1 and r.params like '%${2:-}%' order by r.id desc limit 1"
}
positive() { awk -v x="$1" 'BEGIN { exit !(x + 0 > 0) }' || fail "$2 is '$1', wanted > 0"; }

# serve [PREFIX...] -- ARGS: starts `aibench serve` in the background; sets
# SRV_PID and SRV_ADDR (read from its first line; bounded wait).
serve() {
    local pre=() out=$WORK/serve.$RANDOM
    while [ "$1" != -- ]; do pre+=("$1"); shift; done; shift
    "${pre[@]}" $A serve "$@" >"$out" 2>"$out.err" &
    SRV_PID=$!; pids+=("$SRV_PID"); SRV_LOG=$out.err
    for _ in $(seq 100); do
        SRV_ADDR=$(sed -n 's/^aibench serve: listening on \([^ ]*\) .*/\1/p' "$out")
        [ -n "$SRV_ADDR" ] && return 0
        kill -0 $SRV_PID 2>/dev/null || fail "serve exited: $(cat "$out.err")"
        sleep 0.05
    done
    fail "serve did not start"
}
stop() { kill -TERM "$1"; wait "$1"; }

# help
expect_rc 0 $A serve --help
for o in --bind --port --timeout 127.0.0.1 5301; do contains "$OUT" "$o"; done
expect_rc 0 $A --help
contains "$OUT" "serve"
expect_rc 0 $A run --help
for o in "net on cpu" peer pingpong udp streams msg rate timeout; do contains "$OUT" "$o"; done

# loopback with the in-process server: every mode, verified, figures stored
expect_rc 0 $A --db "$DB" run net -p mode=tcp,pingpong,udp -p timeout=2 $Q
contains "$OUT" "GB/s"; contains "$OUT" "op/s"
[ "$(sqlite3 "$DB" "select count(*) from results where workload = 'net' and status = 'ok'")" = 3 ] || fail "not 3 ok results"
positive "$(metric gbit_s mode=tcp)" "tcp gbit_s"
positive "$(metric verified_bytes mode=tcp)" "tcp verified_bytes"
positive "$(metric rtt_p50_us mode=pingpong)" "rtt_p50_us"
awk -v a="$(metric rtt_p50_us mode=pingpong)" -v b="$(metric rtt_p99_us mode=pingpong)" -v c="$(metric rtt_max_us mode=pingpong)" \
    'BEGIN { exit !(a <= b && b <= c) }' || fail "rtt percentiles not ordered"
[ -n "$(metric loss_pct mode=udp)" ] || fail "udp loss not measured"
positive "$(metric recv_gbit_s mode=udp)" "udp recv_gbit_s"
sqlite3 "$DB" "select note from result_metrics where name = 'streams'" | grep -q "in-process server" || fail "peer not reported"
expect_rc 0 $A --db "$DB" run net -p streams=2 -p timeout=2 $Q
[ "$(metric streams streams=2)" = 2.0 ] || [ "$(metric streams streams=2)" = 2 ] || fail "streams=2 not reported"

# against `aibench serve` on loopback (any free port), sessions logged
serve -- --port 0 --timeout 5
case "$SRV_ADDR" in 127.0.0.1:*) ;; *) fail "serve did not default to 127.0.0.1: $SRV_ADDR" ;; esac
expect_rc 0 $A --db "$DB" run net -p peer="$SRV_ADDR" -p mode=tcp,pingpong,udp -p timeout=2 $Q
# a second server on the same port: one line, exit 2
expect_rc 2 $A serve --port "${SRV_ADDR##*:}"
one_line "$ERR"; contains "$ERR" "already in use"
stop $SRV_PID
contains "$(cat "$SRV_LOG")" "received, in order, checked"
contains "$(cat "$SRV_LOG")" "echoed"
# now nothing listens there: refused, before anything is written
bad() {
    local before; before=$(sqlite3 "$DB" 'select count(*) from runs')
    expect_rc 2 "$@"
    one_line "$ERR"
    contains "$ERR" "aibench:"
    [ "$(sqlite3 "$DB" 'select count(*) from runs')" = "$before" ] || fail "bad input wrote a run: $*"
}
bad $A --db "$DB" run net -p peer="$SRV_ADDR" -p timeout=1 $Q;      contains "$ERR" "connection refused"
for p in nocolon 127.0.0.1: :5301 127.0.0.1:0 127.0.0.1:70000 ::1:5301 "[::1" 127.0.0.1:53x; do
    bad $A --db "$DB" run net -p peer="$p" $Q;                       contains "$ERR" "malformed"
done
bad $A --db "$DB" run net -p mode=udp -p msg=70000 $Q;              contains "$ERR" "UDP datagram"
bad $A --db "$DB" run net -p mode=tcp -p msg=16 $Q;                 contains "$ERR" "msg=16"
bad $A --db "$DB" run net -p timeout=0 $Q;                          contains "$ERR" "out of range"
expect_rc 2 $A serve --port 70000;      one_line "$ERR"; contains "$ERR" "--port"
expect_rc 2 $A serve --bind 192.0.2.1;  one_line "$ERR"; contains "$ERR" "no such address on this machine"
expect_rc 2 $A serve --frob;            one_line "$ERR"; contains "$ERR" "unknown option"

# during_run DB ACTION -- CMD...: runs CMD in the background, does ACTION
# once the run is under way (stored, then 1 s), and waits (bounded) for CMD;
# sets RC.
during_run() {
    local db=$1 action=$2; shift 3
    "$@" >"$WORK/during.out" 2>&1 &
    local pid=$!
    for _ in $(seq 200); do
        [ "$(sqlite3 "$db" 'select count(*) from runs where status = "running"' 2>/dev/null)" = 1 ] && break
        sleep 0.05
    done
    sleep 1
    eval "$action"
    for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
    kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "the run did not stop after: $action"; }
    wait $pid; RC=$?
}

# a peer that disappears mid-run: a clear error with what was measured
serve -- --port 0 --timeout 5
during_run "$WORK/gone.db" "kill -9 $SRV_PID" -- $A --db "$WORK/gone.db" run net -p peer="$SRV_ADDR" -p timeout=1 --min-time 20 --max-time 20 -q
wait $SRV_PID 2>/dev/null
[ "$RC" = 1 ] || fail "peer gone: exit $RC, wanted 1: $(cat "$WORK/during.out")"
err=$(sqlite3 "$WORK/gone.db" "select error from results")
contains "$err" "peer $SRV_ADDR"; contains "$err" "measured before that"; contains "$err" "Gbit/s"

# Ctrl-C during a net run: saved as interrupted, exit 130, no hang
$A --db "$WORK/int.db" run net -p mode=pingpong --min-time 30 --max-time 30 -q >"$WORK/int.out" 2>&1 &
pid=$!
# the run is stored once the signal handlers are in place (bounded wait)
for _ in $(seq 200); do
    [ "$(sqlite3 "$WORK/int.db" 'select count(*) from runs' 2>/dev/null)" = 1 ] && break
    sleep 0.05
done
sleep 0.5
kill -INT $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "Ctrl-C did not stop a net run"; }
wait $pid; rc=$?
[ "$rc" = 130 ] || fail "Ctrl-C: exit $rc: $(cat "$WORK/int.out")"
[ "$(sqlite3 "$WORK/int.db" "select status from results")" = interrupted ] || fail "not saved as interrupted"

# two network namespaces joined by a veth pair (needs root for ip netns)
if [ "$(id -u)" != 0 ]; then
    echo "note: the network namespace checks need root (ip netns); not run as uid $(id -u)"
    echo "all net checks passed"
    exit 0
fi
ip netns add $ns_a && ip netns add $ns_b || fail "cannot create network namespaces"
ip link add aibv$$a netns $ns_a type veth peer name aibv$$b netns $ns_b || fail "cannot create a veth pair"
ip -n $ns_a addr add 10.77.0.1/24 dev aibv$$a
ip -n $ns_b addr add 10.77.0.2/24 dev aibv$$b
for n in $ns_a $ns_b; do ip -n $n link set lo up; done
ip -n $ns_a link set aibv$$a up
ip -n $ns_b link set aibv$$b up
serve ip netns exec $ns_b -- --bind 10.77.0.2 --port 0 --timeout 5
case "$SRV_ADDR" in 10.77.0.2:*) ;; *) fail "serve in $ns_b: $SRV_ADDR" ;; esac
expect_rc 0 ip netns exec $ns_a $A --db "$DB" run net -p peer="$SRV_ADDR" -p mode=tcp,pingpong,udp -p streams=1,2 -p timeout=2 $Q
[ "$(sqlite3 "$DB" "select count(*) from results where params like 'peer=10.77.0.2%' and status = 'ok'")" = 6 ] \
    || fail "not 6 ok results across the veth pair"
positive "$(metric gbit_s peer=10.77.0.2)" "veth gbit_s"
# unreachable from the first namespace: a host that is not there, a network with no route
bad ip netns exec $ns_a $A --db "$DB" run net -p peer=10.77.0.9:5301 -p timeout=0.5 $Q
contains "$ERR" "cannot connect to 10.77.0.9:5301"
bad ip netns exec $ns_a $A --db "$DB" run net -p peer=10.78.0.2:5301 -p timeout=0.5 $Q
contains "$ERR" "network unreachable"
# the link goes down mid-run (no reset reaches the client): the timeout names it
during_run "$WORK/down.db" "ip -n $ns_b link set aibv$$b down" -- \
    ip netns exec $ns_a $A --db "$WORK/down.db" run net -p peer="$SRV_ADDR" -p timeout=1 --min-time 20 --max-time 20 -q
[ "$RC" = 1 ] || fail "link down: exit $RC, wanted 1: $(cat "$WORK/during.out")"
err=$(sqlite3 "$WORK/down.db" "select error from results")
contains "$err" "peer $SRV_ADDR"; contains "$err" "for 1 s"; contains "$err" "measured before that"
stop $SRV_PID
echo "all net checks passed"
