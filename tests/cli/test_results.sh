# `aibench results` and `aibench compare` against the real binary and a real database.
. "$(dirname "$0")/lib.sh"
A=$AIBENCH
DB=$WORK/r.db
unset AIBENCH_DB

valid_json() { printf '%s' "$1" | python3 -m json.tool >/dev/null || fail "not valid JSON: $1"; }

# two runs of the same thing
for i in 1 2; do
    expect_rc 0 $A --db "$DB" run matmul -p n=64 -p precision=fp32 --max-time 0.5 -q
done

# help: every option, exit 0
for sub in "" list show delete; do
    expect_rc 0 $A results $sub --help
    for o in list show delete RUN --json --help "--db PATH"; do contains "$OUT" "$o"; done
done
expect_rc 0 $A results -h
expect_rc 0 $A compare --help
for o in RUN_A RUN_B --json "--tolerance PCT" --help "--db PATH"; do contains "$OUT" "$o"; done

# list
expect_rc 0 $A --db "$DB" results list
for h in ID UUID STARTED STATUS SUITE RESULTS HOST "database: $DB"; do contains "$OUT" "$h"; done
[ "$(printf '%s\n' "$OUT" | grep -cE '^ *[12]  [0-9a-f]{8}  ')" -eq 2 ] || fail "list lacks two runs: $OUT"
expect_rc 0 $A --db "$DB" results list --json
valid_json "$OUT"

# show, by id, "last", and UUID prefix
expect_rc 0 $A --db "$DB" results show 1
for w in "run 1" matmul cpu "n=64" "precision=fp32" GFLOP/s MEDIAN environment: "database:  $DB"; do
    contains "$OUT" "$w"
done
expect_rc 0 $A --db "$DB" results show last --json
valid_json "$OUT"
printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["run"]["id"] == 2, d["run"]
r = d["results"][0]
assert r["workload"] == "matmul" and len(r["samples"]) == r["stats"]["n"] > 0, r
assert d["run"]["env"], "no environment"
' || fail "show --json lacks the run, its env or the samples"
uuid=$(sqlite3 "$DB" "select uuid from runs where id = 1")
expect_rc 0 $A --db "$DB" results show "${uuid:0:8}"
contains "$OUT" "run 1  $uuid"

# compare
expect_rc 0 $A --db "$DB" compare 1 2
printf '%s\n' "$OUT" | grep -qE ' (faster|slower|same|inconclusive)$' || fail "no verdict in: $OUT"
for w in "A: run 1" "B: run 2" B/A VERDICT "summary:" "tolerance: 2%"; do contains "$OUT" "$w"; done
expect_rc 0 $A --db "$DB" compare 1 last --json --tolerance 10
valid_json "$OUT"
contains "$OUT" '"verdict"'
expect_rc 2 $A --db "$DB" compare 1 2 --tolerance lots
one_line "$ERR"
expect_rc 2 $A --db "$DB" compare 1
one_line "$ERR"

# delete cascades; the run is gone
expect_rc 0 $A --db "$DB" results delete 1
expect_rc 2 $A --db "$DB" results show 1
one_line "$ERR"
[ "$(sqlite3 "$DB" 'select count(*) from samples where result_id not in (select id from results)')" = 0 ] \
    || fail "samples of the deleted run remain"
[ "$(sqlite3 "$DB" 'select count(*) from results where run_id = 1')" = 0 ] || fail "results remain"
expect_rc 2 $A --db "$DB" compare 1 2
one_line "$ERR"
expect_rc 2 $A --db "$DB" results show 99
one_line "$ERR"
contains "$ERR" "no run '99'"
expect_rc 2 $A --db "$DB" results frobnicate
one_line "$ERR"

# databases that cannot be used: one line, exit 2, nothing touched
expect_rc 2 $A --db /nonexistent/dir/x.db results show 1
one_line "$ERR"
expect_rc 2 $A --db /nonexistent/dir/x.db results list
one_line "$ERR"
head -c 4096 /dev/urandom >"$WORK/junk.db"
cp "$WORK/junk.db" "$WORK/junk.orig"
expect_rc 2 $A --db "$WORK/junk.db" results list
one_line "$ERR"
contains "$ERR" "not an aibench results database"
cmp -s "$WORK/junk.db" "$WORK/junk.orig" || fail "random-bytes file was modified"
[ ! -e "$WORK/junk.db-wal" ] && [ ! -e "$WORK/junk.db-journal" ] || fail "side files created"
sqlite3 "$WORK/other.db" "create table notes(body text); insert into notes values ('mine')"
cp "$WORK/other.db" "$WORK/other.orig"
expect_rc 2 $A --db "$WORK/other.db" results list
one_line "$ERR"
expect_rc 2 $A --db "$WORK/other.db" run matmul -p n=32 --max-time 0.5 -q
one_line "$ERR"
contains "$ERR" "not an aibench results database"
cmp -s "$WORK/other.db" "$WORK/other.orig" || fail "another application's database was modified"

# no default database yet: list says so and creates nothing; show is an error
expect_rc 0 $A results list
contains "$OUT" "no runs yet (database"
contains "$OUT" "does not exist"
[ ! -e "$XDG_DATA_HOME/aibench" ] || fail "results list created the default database"
expect_rc 2 $A results show last
one_line "$ERR"
