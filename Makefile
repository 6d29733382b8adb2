# aibench build. `make` builds build/aibench (and the CUDA plugin when nvcc
# is found); `make run` installs missing packages, builds and runs the quick
# suite; `make test` installs, builds and runs every test, then again under
# AddressSanitizer + UndefinedBehaviorSanitizer.

ifeq ($(origin CC),default)
CC := gcc
endif
NVCC    ?= $(shell command -v nvcc 2>/dev/null || { test -x /usr/local/cuda/bin/nvcc && echo /usr/local/cuda/bin/nvcc; })
PKGS    := hwloc sqlite3 yaml-0.1 OpenCL openblas liburing ncursesw
VERSION := $(shell cat VERSION)

CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror
OPT      ?= -O2 -g
CFLAGS_PKG := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS     := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl -lpthread -lm
CFLAGS   += $(CSTD) $(WARN) $(OPT) $(CFLAGS_PKG) -Ibuild/gen
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Every .c under these folders is part of the library; main.c is the thin entry.
SRC_DIRS := bench devices workloads workloads/* results profilers tui
LIB_SRC  := $(filter-out bench/main.c,$(wildcard $(addsuffix /*.c,$(SRC_DIRS))))
HDRS     := $(wildcard $(addsuffix /*.h,$(SRC_DIRS))) cuda/aib_cuda_plugin.h
TEST_SRC := $(wildcard tests/unit/test_*.c)
TESTS    := $(patsubst tests/unit/%.c,%,$(TEST_SRC))

B  := build
BA := build/asan

.PHONY: all deps run test unit cli-test asan-test clean plugin perf
all: $(B)/aibench plugin

deps:
	@bash scripts/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@$(B)/aibench run --suite quick

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit cli-test asan-test

# --- version stamp: rewritten only when the commit changes ---------------
$(B)/gen/version.h: FORCE
	@mkdir -p $(@D)
	@c=$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown); \
	 d=$$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo -dirty); \
	 printf '#define AIB_VERSION "%s"\n#define AIB_GIT_COMMIT "%s%s"\n#define AIB_CFLAGS "%s"\n' \
	   "$(VERSION)" "$$c" "$$d" "$(strip $(OPT))" > $@.tmp; \
	 cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

# --- main binary ----------------------------------------------------------
LIB_OBJ  := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC))
$(B)/obj/%.o: %.c $(HDRS) $(B)/gen/version.h
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@
$(B)/libaibench.a: $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^
$(B)/aibench: $(B)/obj/bench/main.o $(B)/libaibench.a
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# --- CUDA plugin: built with nvcc when present; the main binary links no CUDA
CUDA_SRC := $(wildcard cuda/*.cu)
ifneq ($(NVCC),)
plugin: $(B)/aibench-cuda.so
$(B)/aibench-cuda.so: $(CUDA_SRC) $(wildcard cuda/*.cuh) cuda/aib_cuda_plugin.h
	@mkdir -p $(@D)
	@echo "  NVCC    $@ (CUDA plugin)"
	@$(NVCC) -O2 -std=c++17 -shared -Xcompiler -fPIC,-Wall,-Wextra,-Werror -cudart static \
	  -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90 \
	  -o $@ $(CUDA_SRC) -ldl
else
plugin:
	@echo "nvcc not found: the CUDA plugin is not built (CUDA devices will show as unavailable)"
endif

# --- tests ----------------------------------------------------------------
$(B)/tests/%: tests/unit/%.c $(B)/libaibench.a $(HDRS) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS) -o $@ $< $(B)/libaibench.a $(LIBS) -lcmocka

unit: $(addprefix $(B)/tests/,$(TESTS))
	@bash tests/run-unit.sh $(B)/tests $(TESTS)

cli-test: $(B)/aibench plugin
	@bash tests/cli/run.sh $(B)/aibench

# The same unit and CLI tests with ASan + UBSan, in a separate build tree.
asan-test:
	@$(MAKE) --no-print-directory B=$(BA) OPT="-O1 -g $(SAN)" \
	  $(BA)/aibench $(addprefix $(BA)/tests/,$(TESTS))
	@cp -f $(B)/aibench-cuda.so $(BA)/ 2>/dev/null || true
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  bash tests/run-unit.sh $(BA)/tests $(TESTS)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  AIB_SANITIZED=1 bash tests/cli/run.sh $(BA)/aibench

# Speed against the reference tools, side by side (not part of `make test`).
perf: deps
	@$(MAKE) --no-print-directory all
	@bash tests/perf/run.sh $(B)/aibench

clean:
	rm -rf $(B)
