#!/usr/bin/env bash
# What the live views cost. 1) The same matmul with the dashboard (drawn in
# a private tmux server) and with --no-tui, alternating, ROUNDS pairs;
# prints each pair and the median ratio dashboard / no-tui (target: within
# 1%). 2) The CPU time of the dashboard's own threads (aib-view and its
# telemetry sampler, by thread name) during a 15 s entry, against the whole
# process. 3) The CPU time `aibench top` uses at its default interval over
# TOP_S seconds, as a share of one core (target: under 2%).
# usage: AIBENCH=build/aibench bash tests/perf/perf_tui.sh
set -u
A=${AIBENCH:?set AIBENCH to the aibench binary}
ROUNDS=${ROUNDS:-5}
TOP_S=${TOP_S:-20}
N=${N:-512}
SECS=${SECS:-2}
W=$(mktemp -d)
DB=$W/perf.db
SOCK=aibench-perf-$$
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'T kill-server >/dev/null 2>&1; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"; rm -rf "$W"' EXIT
T new-session -d -s p -x 100 -y 30 "PS1='$ ' bash --norc --noprofile" || { echo "tmux did not start"; exit 1; }
sleep 0.5

RUN="matmul -p n=$N -p precision=fp32 --warmup 0.3 --min-time $SECS --max-time $SECS --target-ci 0.01%"
last_tput() { sqlite3 "$DB" 'select throughput from results order by id desc limit 1'; }
K=0
in_pane() { # runs a command in the pane and waits (at most 120 s) for it to end
    K=$((K + 1))
    T send-keys -t p "clear; $*; echo \"r\"\"c$K=\$?\"" Enter
    for ((i = 0; i < 1200; i++)); do
        T capture-pane -p -t p | grep -q "^rc$K=" && return 0
        sleep 0.1
    done
    echo "timed out: $*"; exit 1
}
with_tui() { in_pane "$A --db $DB run $RUN"; last_tput; }
no_tui() { "$A" --db "$DB" run $RUN --no-tui -q >/dev/null 2>&1 || exit 1; last_tput; }

echo "matmul n=$N fp32, $SECS s of samples per run: dashboard in tmux vs --no-tui (GFLOP/s)"
ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2)); then a=$(with_tui); b=$(no_tui); else b=$(no_tui); a=$(with_tui); fi
    ratio=$(python3 -c "print('%.4f' % ($a / $b))")
    ratios+=("$ratio")
    printf '  round %d: dashboard %.2f  no-tui %.2f  ratio %s\n' "$r" "$a" "$b" "$ratio"
done
printf '%s\n' "${ratios[@]}" | python3 -c '
import statistics, sys
r = [float(x) for x in sys.stdin.read().split()]
m = statistics.median(r)
print("dashboard/no-tui throughput: median %.4f (%+.2f%%), min %.4f, max %.4f; target within 1%%"
      % (m, (m - 1) * 100, min(r), max(r)))'

echo "the dashboard's threads during a 15 s matmul entry (8 s measured):"
K=$((K + 1))
T send-keys -t p "clear; $A --db $DB run matmul -p n=$N --warmup 0 --min-time 15 --max-time 15; echo \"r\"\"c$K=\$?\"" Enter
sleep 3
pid=$(pgrep -P "$(T display -p -t p '#{pane_pid}')" | head -1)
[ -n "$pid" ] || { echo "aibench run did not start"; exit 1; }
# ticks_of NAME-REGEX: CPU ticks of the live threads whose name matches (the
# view threads live as long as the run); ticks_all: the whole process, with
# the threads that have ended.
ticks_of() { for f in /proc/$pid/task/*/stat; do cat "$f" 2>/dev/null; done |
             awk -v re="$1" '{ n = $2; gsub(/[()]/, "", n); if (n ~ re) s += $14 + $15 } END { print s + 0 }'; }
ticks_all() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
v0=$(ticks_of '^aib-view'); p0=$(ticks_all); s0=$(date +%s.%N)
sleep 8
v1=$(ticks_of '^aib-view'); p1=$(ticks_all); s1=$(date +%s.%N)
[ -e "/proc/$pid" ] || { echo "the run ended before the measurement did"; exit 1; }
python3 -c "
hz = $(getconf CLK_TCK)
wall = $s1 - $s0
v = ($v1 - $v0) / hz
p = ($p1 - $p0) / hz
print('view threads: %.3f s of CPU in %.1f s (%.2f%% of one core), %.2f%% of the process\'s %.1f s'
      % (v, wall, 100 * v / wall, 100 * v / p if p else 0, p))"
for ((i = 0; i < 300; i++)); do T capture-pane -p -t p | grep -q "^rc$K=" && break; sleep 0.1; done

echo "aibench top at the default interval, ${TOP_S} s:"
K=$((K + 1))
T send-keys -t p "clear; $A top; echo \"r\"\"c$K=\$?\"" Enter
sleep 2
pid=$(pgrep -P "$(T display -p -t p '#{pane_pid}')" | head -1)
[ -n "$pid" ] || { echo "aibench top did not start"; exit 1; }
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
t0=$(ticks); s0=$(date +%s.%N)
sleep "$TOP_S"
t1=$(ticks); s1=$(date +%s.%N)
T send-keys -t p q
python3 -c "
hz = $(getconf CLK_TCK)
cpu = ($t1 - $t0) / hz
wall = $s1 - $s0
print('top: %.2f s of CPU in %.1f s: %.2f%% of one core; target under 2%%' % (cpu, wall, 100 * cpu / wall))"
