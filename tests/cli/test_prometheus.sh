# Prometheus: `aibench export --prometheus` on real runs, checked by
# promtool and against the database; `aibench top --prometheus` without a
# terminal (curl, promtool, figures that match /proc and move between
# scrapes, 404/405, a silent client, port in use and bad addresses, SIGTERM
# and SIGINT) and with one (tmux: the view and the endpoint at once, q
# quits with 0). Every wait is bounded.
. "$(dirname "$0")/lib.sh"
A=$AIBENCH
DB=$WORK/prom.db
Q="--warmup 0.05 --min-time 0.1 --max-time 0.3 --min-reps 3 -q"
command -v promtool >/dev/null || fail "promtool is not installed (Debian package prometheus: scripts/install-deps.sh)"
command -v curl >/dev/null || fail "curl is not installed (scripts/install-deps.sh)"
command -v tmux >/dev/null || fail "tmux is not installed (scripts/install-deps.sh)"
SOCK=aibench-prom-$$
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    T kill-server >/dev/null 2>&1; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
}
trap cleanup EXIT

# lint FILE: promtool's parser and linter have nothing to say.
lint() {
    local out
    out=$(promtool check metrics <"$1" 2>&1) || fail "promtool check metrics failed on $1: $out"
    [ -z "$out" ] || fail "promtool check metrics complained about $1: $out"
    # one family per name, no series twice
    [ -z "$(grep '^# TYPE' "$1" | awk '{print $3}' | sort | uniq -d)" ] || fail "a family twice in $1"
    [ -z "$(grep -v '^#' "$1" | sed 's/ [^ ]*$//' | sort | uniq -d)" ] || fail "a series twice in $1"
}
# value FILE SERIES-PREFIX: the value of the first line starting so.
value() { awk -v p="$2" 'index($0, p) == 1 { print $NF; exit }' "$1"; }
same() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= 1e-9 * (b < 0 ? -b : b)) }' || fail "$3: '$1' is not '$2'"; }

# --- help ----------------------------------------------------------------------
expect_rc 0 $A top --help
contains "$OUT" "--prometheus [ADDR:]PORT"; contains "$OUT" "127.0.0.1"
expect_rc 0 $A export --help
contains "$OUT" "--prometheus FILE"

# --- export: real runs as a node_exporter textfile -------------------------------
expect_rc 0 $A --db "$DB" run matmul -p n=64 -p precision=fp32,fp64 $Q
expect_rc 0 $A --db "$DB" run membw -p size=256k $Q
mkdir -p "$WORK/textfile"
F=$WORK/textfile/aibench.prom
expect_rc 0 $A --db "$DB" export 1 last --prometheus "$F"
contains "$OUT" "Prometheus textfile"
lint "$F"
[ "$(ls -A "$WORK/textfile")" = aibench.prom ] || fail "something besides the textfile: $(ls -A "$WORK/textfile")"
[ "$(stat -c %a "$F")" = 644 ] || fail "textfile mode $(stat -c %a "$F"), wanted 644"
grep -q ' [0-9]*$' "$F" || fail "no values"
grep -E '^[a-z0-9_]+(\{[^}]*\})? [^ ]+ [0-9]+$' "$F" && fail "a sample with a timestamp (node_exporter refuses them)"
for fam in aibench_run_info aibench_run_start_timestamp_seconds aibench_result_status \
    aibench_result_throughput aibench_result_median_seconds aibench_result_ci_lower_seconds \
    aibench_result_ci_upper_seconds aibench_result_samples aibench_metric_threads; do
    grep -q "^# TYPE $fam gauge$" "$F" || fail "no gauge $fam in the textfile"
done
# The figures are the stored ones.
for id in 1 2; do
    uuid=$(sqlite3 "$DB" "select uuid from runs where id = $id")
    rid=$(sqlite3 "$DB" "select min(id) from results where run_id = $id")
    params=$(sqlite3 "$DB" "select params from results where id = $rid")
    lab="{run=\"$uuid\",host=\"$(sqlite3 "$DB" "select host from runs where id = $id")\",workload=\"$(sqlite3 "$DB" "select workload from results where id = $rid")\",device=\"cpu\",params=\"$params\""
    same "$(value "$F" "aibench_result_throughput$lab,unit=")" "$(sqlite3 "$DB" "select throughput from results where id = $rid")" "throughput of run $id"
    same "$(value "$F" "aibench_result_median_seconds$lab}")" "$(sqlite3 "$DB" "select median from results where id = $rid")" "median of run $id"
    same "$(value "$F" "aibench_result_samples$lab}")" "$(sqlite3 "$DB" "select count(*) from samples where result_id = $rid")" "samples of run $id"
    same "$(value "$F" "aibench_run_start_timestamp_seconds{run=\"$uuid\"")" "$(sqlite3 "$DB" "select started from runs where id = $id")" "start of run $id"
done
# A percentage becomes a ratio; a missing metric is left out, never 0.
u=$(sqlite3 "$DB" "select value from result_metrics where name = 'system.cpu_util_mean' and valid = 1 limit 1")
[ -z "$u" ] || grep -q '^aibench_metric_system_cpu_util_mean_ratio{' "$F" || fail "cpu_util_mean not exported"
for m in $(sqlite3 "$DB" "select distinct name from result_metrics where valid = 0 and name not in (select name from result_metrics where valid = 1)"); do
    n=$(printf '%s' "$m" | tr 'A-Z' 'a-z' | sed 's#/iter#_per_iteration#; s#[^a-z0-9]\+#_#g')
    grep -q "^aibench_metric_$n" "$F" && fail "missing metric $m written"
done
# Replaced atomically: a new file renamed over the old one.
ino=$(stat -c %i "$F")
expect_rc 0 $A --db "$DB" export 2 --prometheus "$F"
[ "$(stat -c %i "$F")" != "$ino" ] || fail "the textfile was rewritten in place"
lint "$F"
grep -q "run=\"$(sqlite3 "$DB" 'select uuid from runs where id = 1')\"" "$F" && fail "run 1 still in the new file"
# Bad places: one line, exit 2, nothing written.
expect_rc 2 $A --db "$DB" export 1 --prometheus "$WORK/nodir/x.prom"
one_line "$ERR"; contains "$ERR" "nodir"
[ -e "$WORK/nodir" ] && fail "export created a directory"
expect_rc 2 $A --db "$DB" export 1 --prometheus "$WORK/textfile"
one_line "$ERR"; contains "$ERR" "directory"
[ "$(ls -A "$WORK/textfile")" = aibench.prom ] || fail "a failed export left files: $(ls -A "$WORK/textfile")"

# --- top --prometheus without a terminal -------------------------------------------
# start_top ARGS...: `aibench top` in the background (stdout a file: no
# terminal); sets TOP_PID and ADDR from its "serving" line.
start_top() {
    local err=$WORK/top.$RANDOM
    $A top "$@" >"$err.out" 2>"$err" &
    TOP_PID=$!; pids+=("$TOP_PID"); TOP_ERR=$err
    for _ in $(seq 200); do
        ADDR=$(sed -n 's#^aibench: serving Prometheus metrics at http://\(.*\)/metrics$#\1#p' "$err")
        [ -n "$ADDR" ] && return 0
        kill -0 $TOP_PID 2>/dev/null || fail "top exited: $(cat "$err")"
        sleep 0.05
    done
    fail "top --prometheus did not start: $(cat "$err")"
}
# stop_top SIGNAL WANT: the signal ends it promptly with status WANT.
stop_top() {
    kill -"$1" $TOP_PID
    for _ in $(seq 100); do kill -0 $TOP_PID 2>/dev/null || break; sleep 0.05; done
    kill -0 $TOP_PID 2>/dev/null && fail "top did not stop within 5 s of SIG$1"
    wait $TOP_PID; local rc=$?
    [ $rc = "$2" ] || fail "top ended by SIG$1 exited $rc, wanted $2"
}
scrape() { curl -sS --max-time 5 -D "$1.head" -o "$1" "http://$ADDR/metrics" || fail "curl http://$ADDR/metrics failed"; }

start_top --prometheus 0 --interval 0.2      # a port alone: loopback
case "$ADDR" in 127.0.0.1:*) ;; *) fail "not on loopback by default: $ADDR" ;; esac
scrape "$WORK/m1"
head -1 "$WORK/m1.head" | grep -q '^HTTP/1\.[01] 200' || fail "not 200: $(head -1 "$WORK/m1.head")"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$WORK/m1.head" || fail "content type: $(cat "$WORK/m1.head")"
lint "$WORK/m1"
ncpu=$(grep -c '^cpu[0-9]' /proc/stat)
[ "$(value "$WORK/m1" 'aibench_host_cpus ')" = "$ncpu" ] || fail "aibench_host_cpus is not $ncpu"
memkb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
same "$(value "$WORK/m1" 'aibench_host_memory_total_bytes ')" "$((memkb * 1024))" "MemTotal"
contains "$(cat "$WORK/m1")" 'aibench_device_info{device="cpu",kind="cpu",name="'
contains "$(cat "$WORK/m1")" 'aibench_backend_available{backend="cuda"}'
s1=$(value "$WORK/m1" 'aibench_telemetry_samples_total ')
sleep 0.6
scrape "$WORK/m2"
lint "$WORK/m2"
s2=$(value "$WORK/m2" 'aibench_telemetry_samples_total ')
awk -v a="$s1" -v b="$s2" 'BEGIN { exit !(b > a && a >= 1) }' || fail "samples_total did not grow: $s1 then $s2"
[ "$(grep -c '^aibench_host_cpu_utilization_ratio{cpu="' "$WORK/m2")" = "$ncpu" ] || fail "not one utilization per CPU"
awk '/^aibench_host_cpu_utilization_ratio/ { if ($2 < 0 || $2 > 1) bad = 1 } END { exit bad }' "$WORK/m2" || fail "utilization outside [0, 1]"
# Other paths and methods.
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$ADDR/")" = 404 ] || fail "/ is not 404"
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$ADDR/metrics/x")" = 404 ] || fail "/metrics/x is not 404"
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST "http://$ADDR/metrics")" = 405 ] || fail "POST is not 405"
# A silent client does not hold up the others.
exec 3<>"/dev/tcp/127.0.0.1/${ADDR##*:}" || fail "cannot connect to $ADDR"
scrape "$WORK/m3"
lint "$WORK/m3"
exec 3>&-
# The port in use, bad addresses: one line, exit 2.
expect_rc 2 $A top --prometheus "$ADDR"
one_line "$ERR"; contains "$ERR" "cannot listen on $ADDR"; contains "$ERR" "in use"
for bad in nonsense 127.0.0.1:99999 127.0.0.1: example.com:9100 ::1:9100; do
    expect_rc 2 $A top --prometheus "$bad"
    one_line "$ERR"; contains "$ERR" "bad address"
done
expect_rc 2 $A top --prometheus 192.0.2.1:9100   # TEST-NET-1: on no machine
one_line "$ERR"; contains "$ERR" "cannot listen on 192.0.2.1:9100"
expect_rc 2 $A top --prometheus
one_line "$ERR"; contains "$ERR" "needs a value"
stop_top TERM 143
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$ADDR/metrics")" = 000 ] || fail "still served after SIGTERM"
start_top --no-tui --prometheus 127.0.0.1:0 --interval 0.5
scrape "$WORK/m4"
lint "$WORK/m4"
stop_top INT 130

# --- with a terminal: the view and the endpoint together ----------------------------
T new-session -d -s t -x 100 -y 30 "PS1='$ ' bash --norc --noprofile" || fail "tmux did not start"
screen() { T capture-pane -p -t t; }
wait_for() {
    for _ in $(seq 100); do screen | grep -qE -- "$1" && return 0; sleep 0.1; done
    fail "timed out waiting for /$1/; the screen was:
$(screen)"
}
T send-keys -t t "clear; $A top --prometheus 127.0.0.1:0 --interval 0.2 2>$WORK/tui.err; echo \"r\"\"c=\$?\"" Enter
wait_for "aibench top +host"
ADDR=$(sed -n 's#^aibench: serving Prometheus metrics at http://\(.*\)/metrics$#\1#p' "$WORK/tui.err")
[ -n "$ADDR" ] || fail "no serving line with the view: $(cat "$WORK/tui.err")"
scrape "$WORK/m5"
lint "$WORK/m5"
[ "$(value "$WORK/m5" 'aibench_host_cpus ')" = "$ncpu" ] || fail "aibench_host_cpus is not $ncpu beside the view"
contains "$(screen)" "devices"
T send-keys -t t q
wait_for "^rc=[0-9]+"
[ "$(screen | grep -oE '^rc=[0-9]+' | tail -1)" = rc=0 ] || fail "q did not exit 0: $(screen)"
[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$ADDR/metrics")" = 000 ] || fail "still served after q"
echo "prometheus: all checks passed"
