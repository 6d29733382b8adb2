# `aibench export`, `aibench import` and the N-way `aibench compare`
# (--db-b, --host, --price) against the real binary and real databases made
# by short real runs.
. "$(dirname "$0")/lib.sh"
A=$AIBENCH
unset AIBENCH_DB
DA=$WORK/a.db  # "machine A"
DB=$WORK/b.db  # "machine B"
# a 10 ms sampler, so even the shortest timed region has a series
short="--min-time 0.05 --max-time 0.5 --sample-interval 10 -q"

valid_json() { printf '%s' "$1" | python3 -m json.tool >/dev/null || fail "not valid JSON: $1"; }
runs_in() { sqlite3 "$1" 'select count(*) from runs'; }
# Everything a run holds, without local ids, in a stable order.
dump() {
    sqlite3 "$1" "
      select r.uuid, r.status, r.suite, r.cmdline, r.host, quote(r.started), quote(r.ended),
             r.git_commit, r.git_branch, r.fingerprint from runs r order by r.uuid;
      select r.uuid, e.key, e.value from run_env e join runs r on r.id = e.run_id
        order by r.uuid, e.rowid;
      select r.uuid, x.workload, x.device, x.params, x.status, x.error, x.iters_per_sample, x.n,
             quote(x.min), quote(x.median), quote(x.ci_lo), quote(x.ci_hi), quote(x.mad),
             x.outliers, quote(x.flops), quote(x.bytes), quote(x.throughput), x.unit,
             quote(x.started), quote(x.ended)
        from results x join runs r on r.id = x.run_id order by r.uuid, x.id;
      select r.uuid, x.params, s.idx, quote(s.seconds) from samples s
        join results x on x.id = s.result_id join runs r on r.id = x.run_id
        order by r.uuid, x.id, s.idx;
      select r.uuid, x.params, m.name, quote(m.value), m.unit, m.valid, m.note
        from result_metrics m join results x on x.id = m.result_id
        join runs r on r.id = x.run_id order by r.uuid, x.id, m.rowid;
      select r.uuid, coalesce(x.params, '-'), z.source, z.name, z.unit, quote(z.t0), z.n,
             quote(z.mean), hex(z.t), hex(z.v)
        from series z join runs r on r.id = z.run_id left join results x on x.id = z.result_id
        order by r.uuid, x.id, z.id;"
}

# Two runs on A (the second with a result the first lacks), one on B.
expect_rc 0 $A --db "$DA" run matmul -p n=64 $short
expect_rc 0 $A --db "$DA" run matmul -p n=64,96 $short
expect_rc 0 $A --db "$DB" run matmul -p n=64 $short
expect_rc 0 $A --db "$DA" tag 1 base
H=$(sqlite3 "$DA" 'select host from runs where id = 1')
[ -n "$H" ] || fail "runs have no host"
U1=$(sqlite3 "$DA" 'select uuid from runs where id = 1')
U2=$(sqlite3 "$DA" 'select uuid from runs where id = 2')

# --- help ---------------------------------------------------------------------
expect_rc 0 $A --help
for w in export import compare; do contains "$OUT" "  $w "; done
expect_rc 0 $A export --help
for o in "RUN..." "-o FILE.json" --prometheus "docs/export-format.md" "--db PATH"; do
    contains "$OUT" "$o"
done
expect_rc 0 $A import --help
for o in "FILE.json" --json "one" "already"; do contains "$OUT" "$o"; done
expect_rc 0 $A compare --help
for o in RUN_A RUN_B "--db-b PATH" "--host NAME" "--price HOST=USD" --nway --json \
    "--tolerance PCT" "b:RUN" "@DEVICE" "perf per dollar"; do
    contains "$OUT" "$o"
done

# --- export ---------------------------------------------------------------------
expect_rc 0 $A --db "$DA" export base last last -o "$WORK/a.json"
contains "$OUT" "exported 2 runs (1, 2) to $WORK/a.json"
ls "$WORK"/a.json.tmp-* >/dev/null 2>&1 && fail "temporary file left behind"
python3 - "$WORK/a.json" "$U1" "$U2" <<'EOF' || fail "export document is not as documented"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "aibench-export" and d["version"] == 1, d.keys()
assert [r["uuid"] for r in d["runs"]] == sys.argv[2:4], [r["uuid"] for r in d["runs"]]
assert len(d["runs"][1]["results"]) == 2
assert d["runs"][0]["env"]["host"], "no environment"
for run in d["runs"]:
    for r in run["results"]:
        assert r["status"] == "ok" and len(r["samples"]) == r["stats"]["n"] > 0, r["stats"]
        assert r["metrics"] and all({"name", "value", "unit", "valid", "note"} <= m.keys()
                                    for m in r["metrics"])
        # a metric that could not be measured is null with its reason, never 0
        assert all(m["value"] is None and m["note"] for m in r["metrics"] if not m["valid"])
        for s in r["series"]:
            assert len(s["t"]) == len(s["v"]) > 0, s["name"]
assert any(r["series"] for run in d["runs"] for r in run["results"]), "no series exported"
EOF
expect_rc 0 $A --db "$DA" export 1 -o -
valid_json "$OUT"
contains "$OUT" "\"uuid\": \"$U1\""
contains "$ERR" "exported 1 run (1) to standard output"
expect_rc 0 $A --db "$DA" export 2 --prometheus "$WORK/a.prom"
[ -s "$WORK/a.prom" ] || fail "no Prometheus textfile written"
contains "$(cat "$WORK/a.prom")" "aibench_"

# --- import ---------------------------------------------------------------------
expect_rc 0 $A --db "$DB" import "$WORK/a.json"
contains "$OUT" "imported run $U1 as run 2"
contains "$OUT" "imported run $U2 as run 3"
contains "$OUT" "2 runs imported, 0 skipped"
[ "$(runs_in "$DB")" = 3 ] || fail "import did not add two runs"
# The imported runs hold exactly what they held on A.
sqlite3 "$DB" "attach '$DA' as a; select count(*) from runs where uuid not in (select uuid from a.runs)" \
    | grep -qx 1 || fail "B should have one run of its own"
cp "$DB" "$WORK/b-only.db"
sqlite3 "$WORK/b-only.db" "pragma foreign_keys = on; delete from runs where uuid not in ('$U1', '$U2')"
[ "$(dump "$DA" | md5sum)" = "$(dump "$WORK/b-only.db" | md5sum)" ] \
    || fail "imported runs differ from the exported ones: $(diff <(dump "$DA") <(dump "$WORK/b-only.db") | head -5)"
# Twice: nothing added.
expect_rc 0 $A --db "$DB" import "$WORK/a.json" --json
valid_json "$OUT"
contains "$OUT" '"skipped": true'
not_contains "$OUT" '"skipped": false'
expect_rc 0 $A --db "$DB" import "$WORK/a.json"
contains "$OUT" "run $U1 already present, skipped (local run 2)"
[ "$(runs_in "$DB")" = 3 ] || fail "a second import added runs"
# Into a fresh database through standard input.
expect_rc 0 sh -c "$A --db '$WORK/c.db' import - < '$WORK/a.json'"
[ "$(runs_in "$WORK/c.db")" = 2 ] || fail "import from standard input"

# --- compare: N-way, --db-b, --host, --price --------------------------------------
cp "$DB" "$WORK/b.orig"
expect_rc 0 $A --db "$DA" compare 1 2 b:1 --db-b "$DB"
for w in "#1: run 1" "#2: run 2" "#3: run b:1" "matmul (compute)" "#2/#1" "#3/#1" VERDICT \
    "speed vs #1" "perf/W" "summary #3 vs #1:" "database b: $DB"; do
    contains "$OUT" "$w"
done
# No RAPL on a VM: said so, never a made-up figure.
if ! printf '%s\n' "$OUT" | grep -q 'GFLOP/s/W'; then contains "$OUT" "no energy measured"; fi
printf '%s\n' "$OUT" | grep -qE '^cpu .* (same|faster|slower|inconclusive) .* (same|faster|slower|inconclusive)$' \
    || fail "no verdicts for both columns: $OUT"
expect_rc 0 $A --db "$DA" compare 1 2 b:1 --db-b "$DB" --json
valid_json "$OUT"
printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [c["label"] for c in d["columns"]] == ["#1", "#2", "#3"]
assert d["columns"][2]["database"] == "b"
row = [r for r in d["rows"] if r["in_all_runs"]][0]
assert row["cells"][0]["verdict"] == "baseline" and row["cells"][0]["speedup"] == 1
assert row["cells"][2]["verdict"] in ("same", "faster", "slower", "inconclusive")
s = d["scores"][0]
assert s["category"] == "compute" and s["results"] == 1 and s["speed"][0] == 1, s
' || fail "N-way JSON lacks columns, cells or scores"
expect_rc 0 $A --db "$DA" compare 1 b:1 --db-b "$DB" --price "$H=1000"
contains "$OUT" 'perf/$ vs #1'
contains "$OUT" "price 1000 USD"
expect_rc 0 $A --db "$DA" compare --host "$H" --host "b:$H" --db-b "$DB"
contains "$OUT" "#1: run 2 "  # the newest complete run of each
contains "$OUT" "#2: run b:3 "
# Two runs without N-way options: the classic view, unchanged.
expect_rc 0 $A --db "$DA" compare 1 2
contains "$OUT" "A: run 1"
contains "$OUT" "B/A"
cmp -s "$DB" "$WORK/b.orig" || fail "--db-b database was modified"

# Perf per watt where energy was measured: the same two runs as if RAPL had
# read 100 W and 50 W (a hand-made export, imported like any other).
python3 - "$WORK/a.json" "$WORK/watts.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for i, (run, watts) in enumerate(zip(d["runs"], (100.0, 50.0))):
    run["uuid"] = "00000000-0000-4000-8000-00000000000%d" % i
    for r in run["results"]:
        r["metrics"] = [m for m in r["metrics"] if m["name"] not in ("energy", "avg_power")]
        r["metrics"] += [{"name": "energy", "value": 2 * watts, "unit": "J", "valid": True},
                         {"name": "avg_power", "value": watts, "unit": "W", "valid": True}]
json.dump(d, open(sys.argv[2], "w"))
EOF
expect_rc 0 $A --db "$WORK/w.db" import "$WORK/watts.json"
expect_rc 0 $A --db "$WORK/w.db" compare 1 2 --nway
contains "$OUT" "GFLOP/s/W"
contains "$OUT" "perf/W vs #1"
not_contains "$OUT" "no energy measured"
w1=$(sqlite3 "$WORK/w.db" "select throughput / 100 from results where run_id = 1 order by id limit 1")
contains "$OUT" "$(printf '%.4g GFLOP/s/W' "$w1")"

# --- bad input: one line, exit 2, nothing written or imported -------------------------
expect_rc 2 $A --db "$DA" export 99 -o "$WORK/x.json"
one_line "$ERR"; contains "$ERR" "no run '99'"
[ ! -e "$WORK/x.json" ] || fail "export of an unknown run wrote a file"
expect_rc 2 $A --db "$DA" export 1
one_line "$ERR"; contains "$ERR" "-o FILE.json"
expect_rc 2 $A --db "$DA" export -o "$WORK/x.json"
one_line "$ERR"
expect_rc 2 $A --db "$DA" export 1 -o /nonexistent/dir/x.json
one_line "$ERR"; contains "$ERR" "/nonexistent/dir/x.json"

n_before=$(runs_in "$DB")
len=$(wc -c <"$WORK/a.json")
head -c $((len / 2)) "$WORK/a.json" >"$WORK/trunc.json"
expect_rc 2 $A --db "$DB" import "$WORK/trunc.json"
one_line "$ERR"; contains "$ERR" "trunc.json: line "; contains "$ERR" "truncated"
sed 's/"version": 1,/"version": 99,/' "$WORK/a.json" >"$WORK/v99.json"
expect_rc 2 $A --db "$DB" import "$WORK/v99.json"
one_line "$ERR"; contains "$ERR" "version 99 is newer"
# A hand edit deep in the second run (a run not yet in this database).
python3 - "$WORK/a.json" "$WORK/edit.json" <<'EOF'
import sys
t = open(sys.argv[1]).read()
i = t.rindex('"median":')
open(sys.argv[2], "w").write(t[:i] + '"median": "fast",' + t[t.index("\n", i):])
EOF
expect_rc 2 $A --db "$WORK/fresh.db" import "$WORK/edit.json"
one_line "$ERR"; contains "$ERR" 'runs[1].results[1].stats: "median" should be a number or null'
[ ! -e "$WORK/fresh.db" ] || fail "a refused import created the database"
printf 'not json' >"$WORK/junk.json"
expect_rc 2 $A --db "$DB" import "$WORK/junk.json"
one_line "$ERR"; contains "$ERR" "line 1, column 1"
expect_rc 2 $A --db "$DB" import "$WORK/missing.json"
one_line "$ERR"
expect_rc 2 $A --db "$DB" import
one_line "$ERR"
[ "$(runs_in "$DB")" = "$n_before" ] || fail "a refused import changed the database"

# Runs that share no result: a different workload on B.
expect_rc 0 $A --db "$WORK/m.db" run membw -p size=1M $short
expect_rc 2 $A --db "$DA" compare 1 b:1 --db-b "$WORK/m.db"
one_line "$ERR"; contains "$ERR" "no result in common"; contains "$ERR" "membw"
expect_rc 2 $A --db "$DA" compare 1 2 --price nosuchhost=10
one_line "$ERR"; contains "$ERR" "no compared run is from host 'nosuchhost'"
expect_rc 2 $A --db "$DA" compare 1 2 --price "$H=free"
one_line "$ERR"
expect_rc 2 $A --db "$DA" compare 1 b:1
one_line "$ERR"; contains "$ERR" "--db-b"
expect_rc 2 $A --db "$DA" compare 1 2 --db-b "$WORK/nope.db"
one_line "$ERR"
expect_rc 2 $A --db "$DA" compare --host nosuchhost --host "$H"
one_line "$ERR"; contains "$ERR" "no complete run of host 'nosuchhost'"
expect_rc 2 $A --db "$DA" compare 1
one_line "$ERR"
