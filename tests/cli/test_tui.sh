# The live views driven through tmux (a private server, killed at the end):
# the run dashboard (workload and throughput shown, s skips, p pauses, q
# quits and the run is stored as interrupted, Ctrl-C and SIGTERM), the layout
# at 80x24 and 100x30 and after resizing, colours and NO_COLOR, `aibench top`
# and `aibench browse`, and a sane terminal (icanon, echo) after each exit.
# Every wait is bounded.
. "$(dirname "$0")/lib.sh"
A=$AIBENCH
DB=$WORK/tui.db
command -v tmux >/dev/null || fail "tmux is not installed (scripts/install-deps.sh)"
SOCK=aibench-test-$$
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
# kill-server leaves the socket file behind: remove it too.
trap 'T kill-server >/dev/null 2>&1; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"' EXIT

screen() { T capture-pane -p -t t; }
send() { T send-keys -t t "$@"; }
# wait_for REGEX [SECONDS]: polls the pane until a line matches.
wait_for() {
    local pat=$1 tenths=$(( ${2:-30} * 10 ))
    for ((i = 0; i < tenths; i++)); do
        screen | grep -qE -- "$pat" && return 0
        sleep 0.1
    done
    fail "timed out waiting for /$pat/; the screen was:
$(screen)"
}
# in_pane CMD: runs CMD in the pane's shell; its status shows as "rcK=N",
# K counting the commands (the typed line never contains that text).
K=0
in_pane() { K=$((K + 1)); send "clear; $*; echo \"r\"\"c$K=\$?\"" Enter; }
pane_rc() { wait_for "^rc$K=[0-9]+" "${1:-60}"; screen | grep -oE "^rc$K=[0-9]+" | tail -1 | cut -d= -f2; }
# The terminal is back in cooked mode with echo.
sane() {
    in_pane "stty -a"
    [ "$(pane_rc)" = 0 ] || fail "stty -a failed"
    local s; s=$(screen)
    contains "$s" " icanon"; contains "$s" " echo "
    not_contains "$s" "-icanon"; not_contains "$s" " -echo "
}
# layout VIEW ROWS COLS: the screen is exactly ROWS lines of at most COLS
# cells; the title line and the key line are in place, and every body line
# is framed by box borders in the first and the last column (no wrapped or
# torn line). VIEW: dash (2 header lines) or top/browse (1).
layout() {
    screen | python3 -c '
import sys
view, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = sys.stdin.read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
def die(msg):
    print("layout broken: %s\n%s" % (msg, "\n".join(lines))); sys.exit(1)
if len(lines) != rows: die("%d lines, wanted %d" % (len(lines), rows))
for i, l in enumerate(lines):
    if len(l) > cols: die("line %d is %d cells wide" % (i, len(l)))
if not lines[0].startswith(" aibench " + ("run" if view == "dash" else view)): die("no title line")
if "q quit" not in lines[-1]: die("no key line")
left, right = set("┌│└lxm"), set("┐│┘kxj")
for i in range(2 if view == "dash" else 1, rows - 1):
    l = lines[i].ljust(cols)
    if l[0] not in left or l[cols - 1] not in right:
        die("line %d is not framed: %r" % (i, l))
' "$@" || fail "layout check failed ($*)"
}

T new-session -d -s t -x 80 -y 24 "PS1='$ ' bash --norc --noprofile" || fail "tmux did not start"
wait_for '^\$' 10

# --- the dashboard: name, throughput, layout, skip, quit ---------------------
LONG="--warmup 0 --min-time 60 --max-time 60"
in_pane "$A --db $DB run matmul -p n=48,64,80 -p threads=1 $LONG"
wait_for 'matmul on cpu'
wait_for 'throughput [0-9.]+ GFLOP/s'
wait_for 'samples [0-9]+ +CI'
s=$(screen)
contains "$s" "entry 1/3"; contains "$s" "telemetry: cpu"; contains "$s" "finished entries 0/3"
contains "$s" "n=48"; contains "$s" "q quit"
layout dash 24 80
T resize-window -t t -x 100 -y 30
wait_for 'finished entries' 10
sleep 0.5 # one redraw period
layout dash 30 100
T resize-window -t t -x 80 -y 24
sleep 0.5
layout dash 24 80
# s: the first entry ends as skipped (with its samples) and the second starts.
send s
wait_for 'entry 2/3' 20
wait_for ' skipped ' 10
wait_for 'n=64' 10
# q: saved and marked interrupted.
send q
[ "$(pane_rc)" = 130 ] || fail "q did not exit 130: $(screen)"
contains "$(screen)" "interrupted by q"
[ "$(sqlite3 "$DB" 'select status from runs order by id desc limit 1')" = interrupted ] \
    || fail "run not marked interrupted after q"
st=$(sqlite3 "$DB" 'select group_concat(status) from (select status from results where run_id = (select max(id) from runs) order by id)')
[ "$st" = "skipped,interrupted" ] || fail "statuses after s then q: $st"
[ "$(sqlite3 "$DB" "select count(*) from samples s join results r on r.id = s.result_id where r.status = 'skipped'")" -gt 0 ] \
    || fail "the skipped entry lost its samples"
sane

# --- p holds the run between entries; p again goes on ------------------------
in_pane "$A --db $DB run matmul -p n=32,40,48 -p threads=1 --warmup 0 --min-time 0.6 --max-time 0.6"
wait_for 'matmul on cpu'
send p
wait_for 'PAUSED' 20
wait_for 'paused before this entry' 5
n_before=$(sqlite3 "$DB" 'select count(*) from results where run_id = (select max(id) from runs)')
sleep 1.5
[ "$(sqlite3 "$DB" 'select count(*) from results where run_id = (select max(id) from runs)')" = "$n_before" ] \
    || fail "an entry ran while paused"
contains "$(screen)" "PAUSED"
send p
[ "$(pane_rc)" = 0 ] || fail "paused run did not finish: $(screen)"
[ "$(sqlite3 "$DB" 'select r.status || count(*) from runs r join results x on x.run_id = r.id where r.id = (select max(id) from runs)')" = ok3 ] \
    || fail "run after pause/resume is not ok with 3 results"
# After the dashboard, the plain table is on the terminal.
contains "$(screen)" "GFLOP/s"
sane

# --- Ctrl-C and SIGTERM during a run ------------------------------------------
in_pane "$A --db $DB run matmul -p n=48 -p threads=1 $LONG"
wait_for 'throughput [0-9.]+ GFLOP/s'
send C-c
[ "$(pane_rc)" = 130 ] || fail "Ctrl-C did not exit 130"
[ "$(sqlite3 "$DB" 'select status from runs order by id desc limit 1')" = interrupted ] \
    || fail "run not interrupted after Ctrl-C"
sane
in_pane "$A --db $DB run matmul -p n=48 -p threads=1 $LONG"
wait_for 'throughput [0-9.]+ GFLOP/s'
pid=$(pgrep -P "$(T display -p -t t '#{pane_pid}')" | head -1)
[ -n "$pid" ] || fail "no aibench process under the pane"
kill -TERM "$pid"
[ "$(pane_rc)" = 143 ] || fail "SIGTERM did not exit 143"
[ "$(sqlite3 "$DB" 'select status from runs order by id desc limit 1')" = interrupted ] \
    || fail "run not interrupted after SIGTERM"
sane

# --- --no-tui on a terminal: plain lines ------------------------------------------
in_pane "$A --db $DB run matmul -p n=32 --no-tui --warmup 0 --min-time 0.05 --max-time 0.2"
[ "$(pane_rc)" = 0 ] || fail "--no-tui run failed"
s=$(screen)
contains "$s" "[1/1] matmul on cpu"; contains "$s" "GFLOP/s"; not_contains "$s" "finished entries"

# --- aibench top: the CPU, layout, resize, colours, SIGTERM ----------------------
in_pane "$A top --interval 0.5"
wait_for 'utilization: cpu'
wait_for 'all +\[[| ]+\] +[0-9.]+%' 10
s=$(screen)
contains "$s" "devices"; contains "$s" "opencl"; contains "$s" "no telemetry"
layout top 24 80
T capture-pane -p -e -t t | grep -qE $'\e\\[(3[0-7]|4[0-7])m' || fail "top draws no colours"
T resize-window -t t -x 100 -y 30
sleep 0.8
layout top 30 100
T resize-window -t t -x 80 -y 24
sleep 0.8
layout top 24 80
send Down
wait_for 'properties' 5
pid=$(pgrep -P "$(T display -p -t t '#{pane_pid}')" | head -1)
[ -n "$pid" ] || fail "no aibench top process under the pane"
kill -TERM "$pid"
[ "$(pane_rc)" = 143 ] || fail "top did not exit 143 on SIGTERM"
sane
in_pane "NO_COLOR=1 $A top"
wait_for 'utilization: cpu'
sleep 0.3
T capture-pane -p -e -t t | grep -qE $'\e\\[(3[0-7]|4[0-7]|38;5;[0-9]+|48;5;[0-9]+)m' \
    && fail "NO_COLOR still draws colours"
send q
[ "$(pane_rc)" = 0 ] || fail "top did not exit 0 on q"
sane

# --- aibench browse: list, detail, compare, filter ---------------------------------
in_pane "$A --db $DB browse"
wait_for 'runs [0-9]+ of [0-9]+'
layout browse 24 80
send Enter
wait_for 'results of run'
wait_for 'samples of #1'
send Escape
wait_for 'runs [0-9]+ of'
send Space Down Space c
wait_for 'B vs A: '
contains "$(screen)" "verdict"
send Escape / i n t e r r Enter
wait_for 'filter: interr'
s=$(screen)
contains "$s" "interrupted"; not_contains "$s" " ok "
send q
[ "$(pane_rc)" = 0 ] || fail "browse did not exit 0 on q"
sane

# --- outside a terminal ---------------------------------------------------------
expect_rc 0 $A top --interval 0.2
contains "$OUT" "cpu"; contains "$OUT" "util:"; contains "$OUT" "no telemetry"
expect_rc 2 $A --db "$DB" browse
one_line "$ERR"; contains "$ERR" "needs a terminal"
expect_rc 2 $A top --interval 0
one_line "$ERR"; contains "$ERR" "--interval"
expect_rc 2 $A browse --frob
one_line "$ERR"; contains "$ERR" "unknown option '--frob'"
expect_rc 0 $A top --help
contains "$OUT" "--interval"; contains "$OUT" "no telemetry"
expect_rc 0 $A browse --help
contains "$OUT" "--tolerance"
expect_rc 0 $A run --help
contains "$OUT" "--no-tui"
echo "tui ok"
