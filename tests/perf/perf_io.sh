#!/usr/bin/env bash
# aibench io vs fio, same parameters, alternating in one invocation; prints
# per-round figures and the median ratios aibench/fio for MB/s (target
# >= 0.95) and p99 completion latency (target within 15%); exits 1 when a
# run fails or a ratio misses its target.
# usage: AIBENCH=build/aibench perf_io.sh   (env: ROUNDS=7 SECS=4 SIZE=1G DIR=/var/tmp,
#        CASES=regex to run only the matching cases, e.g. CASES='randread.*psync',
#        AIB_ARGS=extra aibench run options, e.g. AIB_ARGS='--profilers none',
#        CPUS=CPU list for both tools (taskset), FIO_LAYOUT=fio: see below,
#        AA=1: fio against itself, the noise floor)
set -u
A=${AIBENCH:?set AIBENCH to the aibench binary}
ROUNDS=${ROUNDS:-7}
SECS=${SECS:-4}
SIZE=${SIZE:-1G}
case ${FIO_LAYOUT:-direct} in direct | fio) ;; *) echo "perf_io: FIO_LAYOUT must be direct or fio"; exit 2 ;; esac
command -v fio >/dev/null || { echo "perf_io: fio not found (apt-get install fio)"; exit 1; }
work=$(mktemp -d "${DIR:-/var/tmp}/aibench-perf-io.XXXXXX") || exit 1

# aibench puts the buffers of IOs larger than a page on 2 MiB huge pages
# (workloads/io/io.h IO_HUGE): a 1 MiB read into 4 KiB pages went to this
# VM's disk in up to 256 pieces and ran at 1.6-3.4 GB/s by the luck of where
# the pages lay, against 6.1-7.1 GB/s on huge pages. fio gets the same
# (--mem=shmhuge), which needs a few pages reserved: as root the script
# reserves them and gives them back at exit; otherwise fio stays on 4 KiB
# pages and the large-IO ratios say so.
hp_file=/proc/sys/vm/nr_hugepages
hp_old=$(cat "$hp_file" 2>/dev/null || echo)
hp_ok=
if [ -n "$hp_old" ] && [ -w "$hp_file" ] && echo $((hp_old + 4)) >"$hp_file" 2>/dev/null &&
    [ "$(cat "$hp_file")" -ge $((hp_old + 4)) ]; then
    hp_ok=1
fi
trap 'rm -rf "$work"; [ -n "$hp_ok" ] && echo "$hp_old" >"$hp_file"' EXIT
fio_mem() {
    local b
    b=$(numfmt --from=iec "${1^^}")
    if [ "$b" -gt 4096 ] && [ -n "$hp_ok" ]; then echo shmhuge; else echo malloc; fi
}

# name pattern bs iodepth engine (fio rw and ioengine follow)
cases=(
    "seqread  seqread  1M 1  psync"
    "seqwrite seqwrite 1M 1  psync"
    "randread randread 4k 1  psync"
    "randread randread 4k 32 io_uring"
)
fio_rw() { case $1 in seqread) echo read ;; seqwrite) echo write ;; randread) echo randread ;; randwrite) echo randwrite ;; esac; }

# prints "MB/s p99_us slat_us cpu% mean_us iops" for one fio run. The
# latency is fio's from the moment the IO is handed to the kernel, as
# aibench stamps an IO just before that: for io_uring the total latency
# (slat + clat, --lat_percentiles), for psync the completion latency
# (clat: from just before pwrite/pread). fio's total latency for psync
# writes also holds the rewrite of its buffer that comes before (see
# scramble_buffers below): 1 MiB writes, lat mean 399 us, clat 356 us.
# fio's submission latency and CPU use show when fio itself is the limit.
run_fio() {
    local pat=$1 bs=$2 qd=$3 eng=$4
    # A fresh file each run, written before the job (as aibench pre-fills
    # its own) and removed after it (as aibench removes its own), and a
    # fresh random sequence: both tools see the same history.
    settle
    # The file is written first by an O_DIRECT fio job in 1 MiB writes
    # from huge pages, as aibench writes its prefill, and the job starts
    # right after it, as aibench's does. How a file was written decides how
    # it reads back on a VM's disk (docs/performance.md: seqread p99
    # 1.275 against fio's own layout, 0.924 against this one).
    # FIO_LAYOUT=fio leaves the layout to fio (through the page cache).
    if [ "${FIO_LAYOUT:-direct}" = direct ]; then
        fio --name=layout --directory="$work" --filename=fio.data --size="$SIZE" --bs=1M --rw=write \
            --ioengine=psync --direct=1 --mem="$(fio_mem 1M)" --output-format=terse >/dev/null 2>&1 || return 1
    fi
    # aibench refills every free slot and hands the new IOs to the kernel 4
    # per system call (IO_URING_BATCH, workloads/io/io.h), reaping every
    # completion it finds; fio is told to do the same. fio's default, one
    # call per IO (iodepth_batch_submit=1), made fio CPU-bound at qd=32 on
    # a 2-CPU VM (93% CPU, 413-443 MB/s alone; batched 637-714 MB/s).
    local batch=
    [ "$eng" = io_uring ] && batch="--iodepth_batch_submit=4 --iodepth_batch_complete_max=$qd"
    # fio keeps its default scramble_buffers (part of every 512 bytes
    # rewritten before each write), as aibench rewrites its headers: both
    # write new contents every time; without it fio rewrites one unchanged
    # buffer, less work than aibench's (docs/performance.md).
    # shellcheck disable=SC2086 # batch: options, word-split on purpose
    $pin fio --name=perf --directory="$work" --filename=fio.data --size="$SIZE" --bs="$bs" --rw="$(fio_rw "$pat")" \
        --ioengine="$eng" --iodepth="$qd" --direct=1 --overwrite=1 --randrepeat=0 --time_based --runtime="$SECS" \
        --lat_percentiles=1 --mem="$(fio_mem "$bs")" $batch \
        --output-format=json 2>/dev/null |
        python3 -c '
import json, sys
d = json.load(sys.stdin)["jobs"][0]
side = d["write"] if d["write"]["io_bytes"] > 0 else d["read"]
lat = side["clat_ns" if sys.argv[1] == "psync" else "lat_ns"]
print("%.3f %.3f %.2f %.1f %.3f %.1f" % (side["bw_bytes"] / 1e6, lat["percentile"]["99.000000"] / 1e3,
      side["slat_ns"]["mean"] / 1e3, d["usr_cpu"] + d["sys_cpu"], lat["mean"] / 1e3, side["iops"]))' "$eng"
    local rc=$?
    rm -f "$work/fio.data"
    return $rc
}

# Before each run: the other tool's writes and its file's removal (a discard
# on file systems mounted with it) are finished, so neither run pays for the
# other's.
settle() { sync; sleep 1; }

# prints "MB/s p99_us mean_us iops" for one aibench run; AA=1 runs fio in
# its place (an A/A test: the spread of fio against itself is the noise
# floor of every ratio this script prints on this machine)
run_aib() {
    local pat=$1 bs=$2 qd=$3 eng=$4
    if [ -n "${AA:-}" ]; then
        local f
        f=$(run_fio "$pat" "$bs" "$qd" "$eng") || return 1
        awk '{ print $1, $2, $5, $6 }' <<<"$f"
        return
    fi
    settle
    # shellcheck disable=SC2086 # AIB_ARGS: extra options, word-split on purpose
    $pin "$A" --db "$work/perf.db" run ${AIB_ARGS:-} io -p dir="$work" -p size="$SIZE" -p pattern="$pat" -p bs="$bs" \
        -p iodepth="$qd" -p engine="$eng" -p direct=1 --warmup 0.2 --min-time "$SECS" --max-time "$SECS" \
        --json -q 2>/dev/null |
        python3 -c '
import json, sys
r = json.load(sys.stdin)["results"][0]
if r["status"] != "ok":
    sys.exit("aibench: " + r["status"] + ": " + r["error"])
m = r["metrics"]
print("%.3f %.3f %.3f %.1f" % (m["mb_s"]["value"], m["lat_p99_us"]["value"], m["lat_mean_us"]["value"],
                              m["iops"]["value"]))'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# CPUS=list runs both tools on those CPUs only (taskset): where the disk
# has one completion interrupt, a thread on that interrupt's CPU is woken
# without a cross-CPU interrupt, and where the scheduler happens to put
# each tool's IO thread can move a qd=1 figure by 20% on its own.
pin=
if [ -n "${CPUS:-}" ]; then
    command -v taskset >/dev/null || { echo "perf_io: taskset not found (util-linux)"; exit 1; }
    pin="taskset -c $CPUS"
fi

status=0
echo "machine: $(nproc) CPUs, load average $(cut -d" " -f1-3 /proc/loadavg) (other work on the machine shows here)"
[ -n "${AA:-}" ] && echo "AA=1: the aibench column is a second fio run (fio against itself)"
[ -n "$hp_ok" ] || echo "note: no huge pages reserved (not root?): fio's buffers are on 4 KiB pages, aibench's on 2 MiB pages for IOs over 4 KiB; bs=1M ratios are not comparable"
echo "io vs fio: size $SIZE, direct=1, ${SECS}s per run, $ROUNDS rounds alternating (dir $work)${pin:+, both on CPUs $CPUS}, fio's file: ${FIO_LAYOUT:-direct} layout"
for c in "${cases[@]}"; do
    [[ $c =~ ${CASES:-.} ]] || continue
    read -r name pat bs qd eng <<<"$c"
    tput_r=(); p99_r=(); cpu_r=(); fp_r=(); ap_r=()
    for r in $(seq "$ROUNDS"); do
        # Who goes first alternates (fio, aibench, aibench, fio, ...): a
        # disk that is slower just after the other tool's file went away
        # then costs both the same.
        if [ $((r % 2)) = 1 ]; then
            f=$(run_fio "$pat" "$bs" "$qd" "$eng") || { echo "  fio failed"; status=1; continue; }
            a=$(run_aib "$pat" "$bs" "$qd" "$eng") || { echo "  aibench failed: $a"; status=1; continue; }
        else
            a=$(run_aib "$pat" "$bs" "$qd" "$eng") || { echo "  aibench failed: $a"; status=1; continue; }
            f=$(run_fio "$pat" "$bs" "$qd" "$eng") || { echo "  fio failed"; status=1; continue; }
        fi
        read -r fm fp fs fc fl fio_iops <<<"$f"
        read -r am ap al ai <<<"$a"
        tr=$(ratio "$am" "$fm")
        pr=$(ratio "$ap" "$fp")
        tput_r+=("$tr"); p99_r+=("$pr"); cpu_r+=("$fc"); fp_r+=("$fp"); ap_r+=("$ap")
        # IOs in flight on average (Little's law: mean latency x IOPS): near
        # qd when a tool keeps its queue full, so its latencies agree with
        # its own throughput even where the two tools' throughputs differ.
        inflight=$(awk -v fl="$fl" -v fi="$fio_iops" -v al="$al" -v ai="$ai" 'BEGIN { printf "in flight fio %.1f aibench %.1f", fl * fi / 1e6, al * ai / 1e6 }')
        printf "  %-9s bs=%-3s qd=%-2s %-8s round %d: fio %8.1f MB/s p99 %8.1f us (slat %5.2f us, cpu %5.1f%%) | aibench %8.1f MB/s p99 %8.1f us | ratio %s, p99 %s | %s\n" \
            "$name" "$bs" "$qd" "$eng" "$r" "$fm" "$fp" "$fs" "$fc" "$am" "$ap" "$tr" "$pr" "$inflight"
    done
    [ ${#tput_r[@]} -gt 0 ] || continue
    mt=$(printf '%s\n' "${tput_r[@]}" | median)
    mp=$(printf '%s\n' "${p99_r[@]}" | median)
    ok=$(awk -v t="$mt" -v p="$mp" 'BEGIN { print (t >= 0.95 && p >= 0.85 && p <= 1.15) ? "ok" : "MISS" }')
    [ "$ok" = ok ] || status=1
    mc=$(printf '%s\n' "${cpu_r[@]}" | median)
    mfp=$(printf '%s\n' "${fp_r[@]}" | median); map=$(printf '%s\n' "${ap_r[@]}" | median)
    echo "  median p99 over the rounds: fio $mfp us, aibench $map us (ratio $(ratio "$map" "$mfp"))"
    printf "RATIO io %-9s bs=%-3s qd=%-2s %-8s MB/s aibench/fio %s (>= 0.95)  p99 aibench/fio %s (0.85..1.15)  %s  (fio CPU %s%%)\n" \
        "$name" "$bs" "$qd" "$eng" "$mt" "$mp" "$ok" "$mc"
done
exit $status
