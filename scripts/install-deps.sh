#!/usr/bin/env bash
# Installs the Debian packages aibench needs to build, run and test, and
# only those that are missing (so it is quick and harmless to run again).
# Works as root or through sudo. The CUDA toolkit is not a Debian package we
# install: when nvcc is found (PATH or /usr/local/cuda) the CUDA plugin is
# built, otherwise the build says so and CUDA devices show as unavailable.
set -euo pipefail

packages=(
    build-essential pkg-config git ca-certificates
    libhwloc-dev hwloc            # CPU topology
    libsqlite3-dev sqlite3        # results store
    libyaml-dev                   # suites
    libncurses-dev                # live views
    ocl-icd-opencl-dev opencl-headers clinfo pocl-opencl-icd  # OpenCL loader + CPU device
    libopenblas-dev               # CPU BLAS reference
    liburing-dev                  # io_uring engine for the io workload
    iproute2                      # network namespaces in the net tests
    libcmocka-dev                 # unit tests
    tmux python3 libxml2-utils    # terminal, JSON and JUnit (xmllint) checks in the tests
    chromium fonts-dejavu-core    # renders the HTML report in its test (headless)
    prometheus curl               # promtool and a client for the Prometheus tests
    fio iperf3 sockperf hyperfine likwid clpeak  # reference tools for `make perf`
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
else
    echo "install-deps: installing ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "install-deps: not root and no sudo; run as root: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "install-deps: done"
fi

if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then
    echo "install-deps: nvcc found: the CUDA plugin will be built"
else
    echo "install-deps: nvcc not found: the CUDA plugin will not be built (install the CUDA toolkit to build it)"
fi
