# `aibench run io`: every pattern verified with its metrics, nothing left
# behind (also after a data error or Ctrl-C), and every bad-input path.
. "$(dirname "$0")/lib.sh"
A=$AIBENCH
DB=$WORK/io.db
Q="--warmup 0.05 --min-time 0.1 --max-time 0.4 --min-reps 3 -q"
D=$WORK/io
mkdir -p "$D"
chmod 755 "$WORK"
if [ "$(id -u)" = 0 ]; then as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups); mount_ns=(unshare -m); else as_user=(); mount_ns=(unshare -rm); fi

empty() { [ -z "$(ls -A "$1")" ] || fail "left behind in $1: $(ls -A "$1")"; }
# metric NAME [PARAMS-LIKE]: value of a metric of the newest matching result
metric() {
    sqlite3 "$DB" "select m.value from result_metrics m join results r on r.id = m.result_id
                   where m.name = '$1' and m.valid = 1 and r.params like '%${2:-}%' order by r.id desc limit 1"
}
positive() { awk -v x="$1" 'BEGIN { exit !(x + 0 > 0) }' || fail "$2 is '$1', wanted > 0"; }
ordered() {
    awk 'BEGIN { for (i = 1; i < ARGC; i++) { if (ARGV[i] == "" || ARGV[i] + 0 <= 0 || (i > 1 && ARGV[i] + 0 < ARGV[i - 1] + 0)) exit 1 } }' "$@" \
        || fail "latency percentiles not ordered: $*"
}

# help
expect_rc 0 $A run --help
for w in "io on cpu" pattern seqread rwmix loader iodepth io_uring direct fsync file_min dir; do contains "$OUT" "$w"; done

# every fio pattern, psync and O_DIRECT (the defaults), data checked, gone afterwards
expect_rc 0 $A --db "$DB" run io -p dir="$D" -p size=4M -p pattern=seqread,seqwrite,randread,randwrite,rwmix $Q
empty "$D"
[ "$(sqlite3 "$DB" "select count(*) from results where workload = 'io' and status = 'ok'")" = 5 ] || fail "not 5 ok results"
for pat in seqread seqwrite randread randwrite rwmix; do
    positive "$(metric mb_s "pattern=$pat,")" "mb_s of $pat"
    positive "$(metric iops "pattern=$pat,")" "iops of $pat"
    positive "$(metric verified_ios "pattern=$pat,")" "verified_ios of $pat"
    ordered "$(metric lat_p50_us "pattern=$pat,")" "$(metric lat_p90_us "pattern=$pat,")" "$(metric lat_p99_us "pattern=$pat,")" \
        "$(metric lat_p999_us "pattern=$pat,")" "$(metric lat_max_us "pattern=$pat,")"
done
positive "$(metric read_iops pattern=rwmix,)" "read_iops of rwmix"
positive "$(metric write_lat_p99_us pattern=rwmix,)" "write_lat_p99_us of rwmix"
# the engine actually used is reported
sqlite3 "$DB" "select note from result_metrics where name = 'iodepth'" | grep -q "engine psync (pread/pwrite), O_DIRECT" \
    || fail "engine not reported"

# the buffers of IOs larger than a page are on 2 MiB pages where the kernel
# has transparent huge pages, and the note says which pages were used
expect_rc 0 $A --db "$DB" run io -p dir="$D" -p size=8M -p bs=1M,4k -p pattern=seqread $Q
empty "$D"
note_of() {
    sqlite3 "$DB" "select m.note from result_metrics m join results r on r.id = m.result_id
                   where m.name = 'iodepth' and r.params like '%$1%' order by r.id desc limit 1"
}
want="buffers on 2 MiB pages"
case $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null) in *"[never]"* | "") want="buffers on 4 KiB pages" ;; esac
note_of "bs=1048576," | grep -q "$want" || fail "bs=1M: wanted '$want' in '$(note_of bs=1048576,)'"
note_of "bs=4096," | grep -q "buffers on 4 KiB pages" || fail "bs=4k: wanted 4 KiB pages in '$(note_of bs=4096,)'"

# io_uring with a queue, several jobs, buffered and direct; fsync; the table shows GB/s
expect_rc 0 $A --db "$DB" run io -p dir="$D" -p size=8M -p engine=io_uring -p iodepth=8 -p jobs=2 \
    -p pattern=randread,rwmix -p direct=0,1 $Q
empty "$D"
contains "$OUT" "GB/s"
[ "$(sqlite3 "$DB" "select count(*) from results where params like '%engine=io_uring%' and status = 'ok'")" = 4 ] \
    || fail "io_uring entries failed"
sqlite3 "$DB" "select note from result_metrics where name = 'iodepth'" | grep -q "engine io_uring" || fail "io_uring not reported"
expect_rc 0 $A --db "$DB" run io -p dir="$D" -p size=4M -p pattern=randwrite -p fsync=4 $Q
positive "$(metric fsyncs fsync=4)" "fsyncs"
positive "$(metric fsync_lat_p99_us fsync=4)" "fsync_lat_p99_us"
empty "$D"

# the data-loader pattern: files/s, MB/s, per-file latency
expect_rc 0 $A --db "$DB" run io -p dir="$D" -p pattern=loader -p files=300 -p file_min=16k -p file_max=64k -p jobs=2 $Q
contains "$OUT" "op/s"
positive "$(metric files_s pattern=loader)" "files_s"
positive "$(metric mb_s pattern=loader)" "loader mb_s"
positive "$(metric verified_files pattern=loader)" "verified_files"
ordered "$(metric file_lat_p50_us pattern=loader)" "$(metric file_lat_p99_us pattern=loader)" "$(metric file_lat_max_us pattern=loader)"
empty "$D"

# the default directory: a fresh one in $TMPDIR, removed afterwards
mkdir -p "$WORK/tmp"
TMPDIR="$WORK/tmp" expect_rc 0 $A --db "$DB" run io -p size=2M $Q
empty "$WORK/tmp"

# bad input: one line, exit 2, no run stored, nothing created
bad() {
    local before; before=$(sqlite3 "$DB" 'select count(*) from runs')
    expect_rc 2 "$@"
    one_line "$ERR"
    contains "$ERR" "aibench:"
    [ "$(sqlite3 "$DB" 'select count(*) from runs')" = "$before" ] || fail "bad input wrote a run: $*"
    empty "$D"
}
bad $A --db "$DB" run io -p dir="$WORK/nope" $Q;                       contains "$ERR" "does not exist"
[ ! -e "$WORK/nope" ] || fail "created the missing directory"
echo keep > "$WORK/afile"
bad $A --db "$DB" run io -p dir="$WORK/afile" $Q;                      contains "$ERR" "existing file"
[ "$(cat "$WORK/afile")" = keep ] || fail "an existing file was changed"
mkdir -p "$WORK/ro"; chmod 555 "$WORK/ro"
bad "${as_user[@]}" $A --db "$WORK/ro-user.db" run io -p dir="$WORK/ro" $Q; contains "$ERR" "not writable"
empty "$WORK/ro"
if [ "$(id -u)" = 0 ]; then mknod "$WORK/blk" b 7 0; blk=$WORK/blk; else blk=$(find /dev -maxdepth 1 -type b | head -1); fi
bad $A --db "$DB" run io -p dir="$blk" $Q;                             contains "$ERR" "block device"
bad $A --db "$DB" run io -p dir="$D" -p bs=1000 -p direct=1 $Q;        contains "$ERR" "logical block size"
bad $A --db "$DB" run io -p dir="$D" -p bs=1000 -p direct=0 $Q;        contains "$ERR" "multiple of 512"
bad $A --db "$DB" run io -p dir="$D" -p iodepth=0 $Q;                  contains "$ERR" "out of range"
bad $A --db "$DB" run io -p dir="$D" -p iodepth=4 $Q;                  contains "$ERR" "engine=io_uring"
bad $A --db "$DB" run io -p dir="$D" -p size=1049088 $Q;               contains "$ERR" "not a multiple of bs"
bad $A --db "$DB" run io -p dir="$D" -p size=1M -p bs=1M -p jobs=2 $Q;  contains "$ERR" "too small"
bad $A --db "$DB" run io -p dir="$D" -p pattern=loader -p engine=io_uring $Q; contains "$ERR" "loader"
bad $A --db "$DB" run io -p dir="$D" -p pattern=loader -p file_min=5000 $Q;   contains "$ERR" "multiples of 4k"
bad $A --db "$DB" run io -p dir="$D" -p pattern=randread -p fsync=1 $Q;       contains "$ERR" "fsync"
bad $A --db "$DB" run io -p dir="$D" -p size=1T $Q;                    contains "$ERR" "is free"
# a small file system: size larger than its free space
mkdir -p "$WORK/small"
expect_rc 2 "${mount_ns[@]}" sh -c "mount -t tmpfs -o size=8M tmpfs '$WORK/small' && exec $A --db '$WORK/small.db' run io -p dir='$WORK/small' -p size=64M -p direct=0 $Q"
one_line "$ERR"; contains "$ERR" "only"; contains "$ERR" "is free"
[ ! -e "$WORK/small.db" ] || fail "bad input created a database"
# a file system that refuses O_DIRECT (ramfs)
expect_rc 2 "${mount_ns[@]}" sh -c "mount -t ramfs ramfs '$WORK/small' && exec $A --db '$WORK/ramfs.db' run io -p dir='$WORK/small' -p size=4M -p direct=1 $Q"
one_line "$ERR"; contains "$ERR" "O_DIRECT"
empty "$WORK/small"

# wrong data is caught: the entry fails with the reason, no speed, and the files are removed
$A --db "$WORK/bad.db" run io -p dir="$D" -p size=8M -p pattern=randread --min-time 20 --max-time 20 -q >"$WORK/bad.out" 2>&1 &
pid=$!
full=""
for _ in $(seq 200); do
    f=$(ls -d "$D"/aibench-io.*/data 2>/dev/null | head -1)
    if [ -n "$f" ] && [ "$(stat -c %s "$f" 2>/dev/null)" = 8388608 ]; then full=$f; break; fi
    sleep 0.05
done
[ -n "$full" ] || { kill $pid; fail "the data file never reached its size"; }
sleep 0.3
dd if=/dev/zero of="$full" bs=1M count=8 conv=notrunc,fsync status=none
for _ in $(seq 200); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
kill -0 $pid 2>/dev/null && { kill $pid; fail "a run on corrupted data did not stop"; }
wait $pid; rc=$?
[ "$rc" = 1 ] || fail "corrupted data: exit $rc, wanted 1: $(cat "$WORK/bad.out")"
st=$(sqlite3 "$WORK/bad.db" "select status || '|' || n || '|' || error from results")
contains "$st" "failed|0|"; contains "$st" "wrong data"; contains "$st" "all zero"
empty "$D"

# Ctrl-C while the file is being written (setup) and while measuring: interrupted, saved, removed
for when in setup measure; do
    $A --db "$WORK/int.db" run io -p dir="$D" -p size=256M -p direct=0 --min-time 30 --max-time 30 -q >"$WORK/int.out" 2>&1 &
    pid=$!
    seen=""
    for _ in $(seq 400); do
        f=$(ls -d "$D"/aibench-io.*/data 2>/dev/null | head -1)
        if [ -n "$f" ]; then
            sz=$(stat -c %s "$f" 2>/dev/null || echo 0)
            if [ $when = setup ] && [ "$sz" -gt 0 ] && [ "$sz" -lt 268435456 ]; then seen=1; break; fi
            if [ $when = measure ] && [ "$sz" = 268435456 ]; then seen=1; sleep 0.5; break; fi
        fi
        sleep 0.02
    done
    [ -n "$seen" ] || { kill $pid; fail "Ctrl-C test ($when): never saw the data file"; }
    kill -INT $pid
    for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
    kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "Ctrl-C ($when) did not stop the run"; }
    wait $pid; rc=$?
    [ "$rc" = 130 ] || fail "Ctrl-C ($when): exit $rc, wanted 130: $(cat "$WORK/int.out")"
    [ "$(sqlite3 "$WORK/int.db" 'select status from runs order by id desc limit 1')" = interrupted ] || fail "run not marked interrupted"
    empty "$D"
done
echo "all io checks passed"
