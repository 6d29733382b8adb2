# `aibench roofline` and `aibench report` on real runs in a real database:
# the terminal chart and its verdicts, the JSON checked against the model's
# own arithmetic, SVG and HTML validated by xmllint, the page rendered by
# headless Chromium, Markdown with chart files, and every bad input (one
# line, exit 2, nothing written).
. "$(dirname "$0")/lib.sh"
A=$AIBENCH
DB=$WORK/r.db
unset AIBENCH_DB
Q="--warmup 0 --min-time 0.05 --max-time 0.4 --min-reps 3 -q"

# run 1: a matmul sweep over n; run 2: membw in cache and beyond; run 3: a
# low-intensity conv (depthwise); run 4: membw only (nothing to place);
# run 5: the FMA peak, checked against its closed form
expect_rc 0 $A --db "$DB" run matmul -p n=64,128 -p precision=fp32,fp64 $Q
expect_rc 0 $A --db "$DB" run membw -p size=32k,32m $Q
expect_rc 0 $A --db "$DB" run conv -p layer=mobilenetv2-dw-112-c32,resnet50-res3a-branch2b $Q
expect_rc 0 $A --db "$DB" run membw -p size=64k $Q
expect_rc 0 $A --db "$DB" run peak -p precision=fp32 $Q
contains "$OUT" "GFLOP/s"
[ "$(sqlite3 "$DB" "select status from results where workload = 'peak'")" = ok ] || fail "peak failed"

# help
expect_rc 0 $A --help
contains "$OUT" "roofline"; contains "$OUT" "report"; contains "$OUT" "FMA chains"
expect_rc 0 $A run --help
contains "$OUT" "peak on cpu"
expect_rc 0 $A roofline --help
for s in "RUN" "--svg FILE" "--json" "--run-only" "compute-bound" "memory-bound" "neither" \
         "50%" "declared peak" "--db PATH"; do contains "$OUT" "$s"; done
expect_rc 0 $A report --help
for s in "RUN..." "-o, --output FILE" ".html" ".md" "--tolerance PCT" "no script" \
         "no network fetch" "--db PATH"; do contains "$OUT" "$s"; done

# --- roofline: the chart, the ceilings, the verdicts ---------------------------
expect_rc 0 $A --db "$DB" roofline 1
for s in "roofline of run 1" "== cpu ==" "GFLOP/s" "flop/B" "ceilings:" "fp32" "fp64" \
         "(run 1): matmul" "memory" "(run 2): membw" "#  WORKLOAD" "intensity: "; do
    contains "$OUT" "$s"
done
printf '%s\n' "$OUT" | grep -qE '^[1-4] +matmul .*(compute-bound|memory-bound|neither)$' \
    || fail "no point with a bound in: $OUT"
# the chart (from "GFLOP/s" to the x axis labels) fits 80 columns
printf '%s\n' "$OUT" | awk '/^GFLOP\/s$/{on=1} on{ if (length($0) > 80) bad=1 } /flop\/B$/{on=0} END{exit bad}' \
    || fail "chart wider than 80 columns"
# both compute ceilings are drawn, and the memory slope
printf '%s\n' "$OUT" | grep -q -- '-----' || fail "no fp32 ceiling line"
printf '%s\n' "$OUT" | grep -q '=====' || fail "no fp64 ceiling line"
printf '%s\n' "$OUT" | grep -q '/' || fail "no memory slope"

# the conv run: placed against ceilings from the other runs of this host
expect_rc 0 $A --db "$DB" roofline 3
contains "$OUT" "ceilings from this run and 4 other runs of this host"
contains "$OUT" "mobilenetv2-dw-112-c32"

# JSON: every placed point's roof, fraction and bound follow from the ceilings
expect_rc 0 $A --db "$DB" roofline 3 --json
printf '%s' "$OUT" | python3 -c '
import json, sqlite3, sys
d = json.load(sys.stdin)
assert d["bound_fraction"] == 0.5
ceil = d["ceilings"]
assert any(c["kind"] == "memory" and c["run_id"] == 2 for c in ceil), ceil
# the fp32 ceiling is the fastest fp32 matmul or peak of the host, wherever it is
db = sqlite3.connect(sys.argv[1])
best, rid = db.execute("select throughput, id from results where device = ? and status = ?"
                       " and workload in (?, ?) and params like ? order by throughput desc limit 1",
                       ("cpu", "ok", "matmul", "peak", "%precision=fp32%")).fetchone()
c32 = [c for c in ceil if c["kind"] == "compute" and c["precision"] == "fp32"]
assert len(c32) == 1 and c32[0]["result_id"] == rid and abs(c32[0]["value"] - best) < 1e-9 * best, (c32, best, rid)
assert not c32[0]["declared"]
assert len(d["points"]) == 2, d["points"]
for p in d["points"]:
    P = max(c["value"] for c in ceil if c["kind"] == "compute" and c["device"] == p["device"] and c["precision"] == p["precision"])
    B = max(c["value"] for c in ceil if c["kind"] == "memory" and c["device"] == p["device"])
    I = p["intensity"]
    roof = min(P, I * B)
    assert abs(p["roof"] - roof) < 1e-9 * roof, (p, roof)
    f = p["gflops"] / roof
    assert abs(p["fraction"] - f) < 1e-9, (p, f)
    want = "neither" if f < 0.5 else ("compute-bound" if P <= I * B else "memory-bound")
    assert p["bound"] == want, (p, want)
    assert "compulsory" in p["intensity_source"] or "declared" in p["intensity_source"] or "counters" in p["intensity_source"], p
# the depthwise layer sits left of the ridge, the 3x3 layer right of it
dw = [p for p in d["points"] if "mobilenetv2" in p["params"]][0]
r3 = [p for p in d["points"] if "resnet50" in p["params"]][0]
assert dw["intensity"] < r3["intensity"], (dw, r3)
' "$DB" || fail "roofline JSON does not follow from its ceilings: $OUT"

# --run-only: run 3 alone has no matmul and no membw: declared peak, no memory roof
expect_rc 0 $A --db "$DB" roofline 3 --run-only
contains "$OUT" "ceilings from this run only"
contains "$OUT" "declared peak"
contains "$OUT" "no memory ceiling"

# --svg: a standalone SVG that is valid XML, with a point per compute result
expect_rc 0 $A --db "$DB" roofline 1 --svg "$WORK/roof.svg"
contains "$OUT" "svg: $WORK/roof.svg"
xmllint --noout "$WORK/roof.svg" || fail "roofline SVG is not well-formed XML"
head -c 200 "$WORK/roof.svg" | grep -q 'xmlns="http://www.w3.org/2000/svg"' || fail "SVG lacks its namespace"
[ "$(grep -c '<circle' "$WORK/roof.svg")" -eq 4 ] || fail "expected 4 points in the SVG"
ls "$WORK" | grep -q '\.tmp' && fail "temporary file left beside the SVG"

# --- report: HTML --------------------------------------------------------------
expect_rc 0 $A --db "$DB" report 1 2 3 -o "$WORK/rep.html"
contains "$OUT" "report: $WORK/rep.html (3 runs)"
H=$WORK/rep.html
# valid HTML for libxml2's HTML parser: exit 0, and its only complaints are the
# HTML5 and SVG element names it does not know
xmllint --html --noout "$H" 2>"$WORK/lint" || fail "xmllint --html failed: $(head -5 "$WORK/lint")"
bad=$(grep 'error :' "$WORK/lint" | grep -viE 'Tag (svg|title|line|polyline|text|rect|circle|g|clippath|figure|details|summary|footer) invalid' || true)
[ -z "$bad" ] || fail "xmllint --html: $bad"
# and well-formed XML as a whole (the markup is polyglot)
xmllint --noout "$H" || fail "report is not well-formed"
# self-contained: no URL at all, no script, no external resource
grep -qiE 'https?://' "$H" && fail "report holds a http(s) URL"
grep -qiE '<script|<link |<img |src=' "$H" && fail "report loads something"
for s in '<h2 id="runs">' '<h2 id="environment">' '<h2 id="results">' '<h2 id="comparison">' \
         '<h2 id="roofline">' '<h2 id="scaling">' '<h2 id="telemetry">' "device.cpu.name" \
         "Run 2 (B) against run 1 (A)" "Roofline of cpu, run 1" "throughput against n" \
         "throughput against size" "system.cpu.util" "compute-bound"; do
    grep -qF "$s" "$H" || fail "report lacks $s"
done
[ "$(grep -c '<svg' "$H")" -ge 5 ] || fail "too few charts in the report"

# rendered by headless Chromium: a PNG, the page loads without console errors,
# and the rendered DOM has the sections
command -v chromium >/dev/null || fail "chromium is missing (scripts/install-deps.sh installs it)"
CH="timeout 120 chromium --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0"
$CH --screenshot="$WORK/rep.png" --window-size=1280,2000 "file://$H" >"$WORK/shot.out" 2>"$WORK/shot.err" \
    || fail "chromium screenshot failed: $(tail -3 "$WORK/shot.err")"
[ -s "$WORK/rep.png" ] || fail "empty screenshot"
[ "$(head -c 8 "$WORK/rep.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "screenshot is not a PNG"
[ "$(stat -c %s "$WORK/rep.png")" -gt 20000 ] || fail "screenshot suspiciously small (blank page?)"
$CH --dump-dom "file://$H" >"$WORK/dom.html" 2>"$WORK/dom.err" || fail "chromium --dump-dom failed"
grep -q ':CONSOLE' "$WORK/shot.err" "$WORK/dom.err" && fail "console messages: $(grep ':CONSOLE' "$WORK/dom.err" | head -3)"
for s in ">Runs</h2>" ">Environment</h2>" ">Results</h2>" ">Roofline</h2>" ">Scaling</h2>" \
         ">Telemetry</h2>" "<svg" "</html>"; do
    grep -qF "$s" "$WORK/dom.html" || fail "rendered DOM lacks $s"
done

# --- report: Markdown with its charts as files -----------------------------------
mkdir "$WORK/md"
expect_rc 0 $A --db "$DB" report 1 2 -o "$WORK/md/rep.md"
contains "$OUT" "chart files beside it"
n=$(ls "$WORK/md"/rep-*.svg | wc -l)
[ "$n" -ge 3 ] || fail "expected chart files, got $n"
for f in "$WORK/md"/rep-*.svg; do
    xmllint --noout "$f" || fail "$f is not well-formed"
    grep -qF "($(basename "$f"))" "$WORK/md/rep.md" || fail "rep.md does not reference $(basename "$f")"
done
grep -q '^## Roofline' "$WORK/md/rep.md" || fail "no roofline section in Markdown"
grep -q '^| # | workload | device | params |' "$WORK/md/rep.md" || fail "no results table in Markdown"

# --- bad input: one line, exit 2, nothing written ---------------------------------
expect_rc 2 $A --db "$DB" roofline 99
one_line "$ERR"; contains "$ERR" "99"
expect_rc 2 $A --db "$DB" roofline 4 --svg "$WORK/none.svg"
one_line "$ERR"; contains "$ERR" "no compute results"
[ -e "$WORK/none.svg" ] && fail "SVG written for a run without compute results"
expect_rc 2 $A --db "$DB" roofline 1 --svg "$WORK/no/such/dir/r.svg"
one_line "$ERR"; contains "$ERR" "cannot write"
[ -z "$OUT" ] || fail "roofline printed a chart although its SVG could not be written"
expect_rc 2 $A --db "$DB" roofline 1 --svg
one_line "$ERR"
expect_rc 2 $A --db "$DB" roofline
one_line "$ERR"
expect_rc 2 $A --db "$DB" roofline 1 --bogus
one_line "$ERR"
expect_rc 2 $A --db "$DB" report 1 99 -o "$WORK/bad.html"
one_line "$ERR"; contains "$ERR" "99"
[ -e "$WORK/bad.html" ] && fail "report written for an unknown run"
expect_rc 2 $A --db "$DB" report 1 -o "$WORK/no/such/dir/r.html"
one_line "$ERR"; contains "$ERR" "cannot write"
mkdir "$WORK/dir.html"
expect_rc 2 $A --db "$DB" report 1 -o "$WORK/dir.html"
one_line "$ERR"; contains "$ERR" "directory"
expect_rc 2 $A --db "$DB" report 1 -o "$WORK/r.pdf"
one_line "$ERR"; contains "$ERR" ".html"
[ -e "$WORK/r.pdf" ] && fail "report written with an unknown extension"
expect_rc 2 $A --db "$DB" report 1 -o "$WORK/no/such/r.md"
one_line "$ERR"
expect_rc 2 $A --db "$DB" report 1
one_line "$ERR"; contains "$ERR" "-o"
expect_rc 2 $A --db "$DB" report -o "$WORK/x.html"
one_line "$ERR"
expect_rc 2 $A --db "$DB" report 1 -o "$WORK/x.html" --tolerance lots
one_line "$ERR"
expect_rc 2 $A --db "$WORK/missing.db" report 1 -o "$WORK/x.html"
one_line "$ERR"
ls "$WORK" | grep -qE '\.tmp|^x\.html$|^bad\.html$' && fail "a bad report left a file behind: $(ls "$WORK")"
exit 0
