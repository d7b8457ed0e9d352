# AFI: reference server, conformance runner, their tests and the two README commands.
#
#   make            build build/reference-server and build/conformance
#   make demo       build, run the whole suite against the reference server, write reports/latest/
#   make check      everything tested: unit tests (plain and ASan+UBSan, the store's also on
#                   a throwaway PostgreSQL), each fuzz target a few seconds, harness, suite,
#                   a short conformance model run
#   make asan       sanitizer builds under build/asan/
#   make fuzz       every libFuzzer target (reference/fuzz, conformance/fuzz) FUZZ_SECONDS each
#   make bench      benchmarks (reports/bench.md, bench-store.md, bench-model.md); never part of check
#   make matrix     reports/examples/matrix.html: reference and FastAPI port side by side
#   make cluster    two reference instances and the FastAPI port (two workers) on a throwaway
#                   PostgreSQL, the suite with all instances as targets, reports/cluster/
#   make install    PREFIX=/usr/local (and DESTDIR): both programs, the fixtures, protocol.md
#   make fresh-check  make check as on a new machine: packages removed, a clean clone
#
# Each program's main() lives in its main.c; every other .c of the directory is a
# module that the Criterion tests in <dir>/tests/ link against.

CC      ?= cc
PKGS    := libmicrohttpd libcjson libjwt libcurl
VERSION := $(shell cat VERSION)
CSTD    := -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DAFI_TOOL_VERSION='"$(VERSION)"'
WARN    := -Wall -Wextra -Werror
OPT     ?= -O2 -g
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) -MMD -MP
PYTHON  := /usr/bin/python3
BUILDROOT ?= build
BUILD   := $(BUILDROOT)

ifeq ($(SANITIZE),1)
BUILD   := $(BUILDROOT)/asan
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN   := -fsanitize=address,undefined
endif

# pkg-config is asked only when building, so `make deps` works before the -dev packages exist.
pc_cflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pc_libs   = $(shell pkg-config --libs $(1) 2>/dev/null)

# The server verifies every signature with OpenSSL; its tests mint tokens with
# libjwt, an implementation independent of the one under test.
REF_CFLAGS  = $(call pc_cflags,libmicrohttpd libcjson libpq libcrypto libcurl)
REF_LIBS    = $(call pc_libs,libmicrohttpd libcjson libpq libcrypto libcurl) -lpthread -lm
REF_TEST_CFLAGS = $(REF_CFLAGS) $(call pc_cflags,libjwt)
REF_TEST_LIBS   = $(REF_LIBS) $(call pc_libs,libjwt)
CONF_CFLAGS = $(call pc_cflags,libcurl libcjson libjwt libcrypto)
CONF_LIBS   = $(call pc_libs,libcurl libcjson libjwt libcrypto) -lpthread -lm
TEST_LIBS   = $(call pc_libs,criterion)

REF_SRC     := $(wildcard reference/*.c)
REF_MODS    := $(filter-out reference/main.c,$(REF_SRC))
REF_TESTS   := $(wildcard reference/tests/*.c)
CONF_SRC    := $(wildcard conformance/*.c)
CONF_MODS   := $(filter-out conformance/main.c,$(CONF_SRC))
CONF_TESTS  := $(wildcard conformance/tests/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

.PHONY: all deps deps-bench demo check unit unit-asan unit-pg harness suite model-check cluster asan bench matrix \
        clean help install uninstall fresh-check fuzz fuzz-check fuzz-build
all: $(BUILD)/reference-server $(BUILD)/conformance

help:
	@sed -n '3,15p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@scripts/deps.sh build test

deps-bench:
	@scripts/deps.sh build test bench

$(BUILD)/obj/reference/%.o: reference/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(REF_CFLAGS) -Ireference -c $< -o $@

$(BUILD)/obj/reference/tests/%.o: reference/tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(REF_TEST_CFLAGS) -Ireference -c $< -o $@

$(BUILD)/obj/conformance/%.o: conformance/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(CONF_CFLAGS) -Iconformance -c $< -o $@

$(BUILD)/reference-server: $(call obj,$(REF_SRC))
	$(CC) $(LDSAN) $^ -o $@ $(REF_LIBS)

$(BUILD)/conformance: $(call obj,$(CONF_SRC))
	$(CC) $(LDSAN) $^ -o $@ $(CONF_LIBS)

$(BUILD)/reference-tests: $(call obj,$(REF_MODS) $(REF_TESTS))
	$(CC) $(LDSAN) $^ -o $@ $(REF_TEST_LIBS) $(TEST_LIBS)

$(BUILD)/conformance-tests: $(call obj,$(CONF_MODS) $(CONF_TESTS))
	$(CC) $(LDSAN) $^ -o $@ $(CONF_LIBS) $(TEST_LIBS)

# libFuzzer targets, built with clang under ASan+UBSan and linked with their
# program's modules: reference/fuzz/*.c and conformance/fuzz/*.c. Seeds are
# in <dir>/fuzz/corpus/<target>/; what a run finds goes to $(FUZZ)/corpus/.
# make check runs each FUZZ_CHECK_SECONDS (fuzz-check), make fuzz FUZZ_SECONDS.
FUZZ_CC     ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 3
FUZZ        := $(BUILDROOT)/fuzz
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  = $(CSTD) $(WARN) -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP
REF_FUZZ    := $(patsubst reference/fuzz/%.c,$(FUZZ)/%,$(wildcard reference/fuzz/*.c))
CONF_FUZZ   := $(patsubst conformance/fuzz/%.c,$(FUZZ)/%,$(wildcard conformance/fuzz/*.c))
fuzzobj      = $(patsubst %.c,$(FUZZ)/obj/%.o,$(1))

$(FUZZ)/obj/reference/%.o: reference/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(REF_TEST_CFLAGS) -Ireference -Ireference/tests -c $< -o $@

$(FUZZ)/obj/conformance/%.o: conformance/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(CONF_CFLAGS) -Iconformance -c $< -o $@

$(REF_FUZZ): $(FUZZ)/%: $(FUZZ)/obj/reference/fuzz/%.o $(call fuzzobj,$(REF_MODS) reference/tests/token.c)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ -o $@ $(REF_TEST_LIBS)

$(CONF_FUZZ): $(FUZZ)/%: $(FUZZ)/obj/conformance/fuzz/%.o $(call fuzzobj,$(CONF_MODS))
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ -o $@ $(CONF_LIBS)

fuzz-build: $(REF_FUZZ) $(CONF_FUZZ)

fuzz: deps fuzz-build
	scripts/fuzz.sh $(FUZZ) $(FUZZ_SECONDS) $(notdir $(REF_FUZZ) $(CONF_FUZZ))

fuzz-check: fuzz-build
	scripts/fuzz.sh $(FUZZ) $(FUZZ_CHECK_SECONDS) $(notdir $(REF_FUZZ) $(CONF_FUZZ))

asan:
	$(MAKE) SANITIZE=1 all $(BUILDROOT)/asan/reference-tests $(BUILDROOT)/asan/conformance-tests

# Unit tests, plain build: Criterion prints its own synthesis line.
unit: $(BUILD)/reference-tests $(BUILD)/conformance-tests
	$(BUILD)/reference-tests --jobs 2
	$(BUILD)/conformance-tests --jobs 2

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
unit-asan:
	$(MAKE) SANITIZE=1 $(BUILDROOT)/asan/reference-tests $(BUILDROOT)/asan/conformance-tests
	ASAN_OPTIONS=detect_leaks=1 $(BUILDROOT)/asan/reference-tests --jobs 2
	ASAN_OPTIONS=detect_leaks=1 $(BUILDROOT)/asan/conformance-tests --jobs 2

# The store's contract tests against PostgreSQL, plain and under ASan+UBSan, on
# one throwaway cluster (scripts/pg-cluster.sh) stopped and removed whatever the
# result. `make unit` needs no database and skips them.
unit-pg: $(BUILD)/reference-tests
	$(MAKE) SANITIZE=1 $(BUILDROOT)/asan/reference-tests
	scripts/pg-cluster.sh with sh -c '$(BUILD)/reference-tests --jobs 2 --filter "store_pg*/*" && \
	  ASAN_OPTIONS=detect_leaks=1 $(BUILDROOT)/asan/reference-tests --jobs 2 --filter "store_pg*/*"'

# The whole suite against the reference server (reports under reports/latest/).
suite: all
	AFI_BUILD=$(BUILD) scripts/run-suite.sh

# A short `conformance model` run (a fixed seed, a few seconds) against the reference server.
model-check: all
	AFI_BUILD=$(BUILD) scripts/model-check.sh

# A deployment of several instances (issue 12): a throwaway PostgreSQL, two reference
# instances and the FastAPI port with two workers on it, the suite with every instance
# as a target, reports under reports/cluster/, everything stopped on exit. make check
# runs the same cases through harness/test_cluster.py and needs nothing started first.
cluster: all
	AFI_BUILD=$(BUILD) scripts/cluster.sh

# The pytest harness: black-box tests, the suite's self-test (mutation score in
# reports/mutation.md), the FastAPI port against the suite.
harness: all
	AFI_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest harness -q

demo: deps
	$(MAKE) all
	$(MAKE) suite

check: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) unit-asan
	$(MAKE) fuzz-check
	$(MAKE) unit-pg
	$(MAKE) suite
	$(MAKE) model-check
	$(MAKE) harness

# reports/examples/matrix.html: the reference server and the FastAPI port side by side.
matrix: all
	AFI_BUILD=$(abspath $(BUILD)) $(PYTHON) harness/mutants/matrix.py

bench: deps-bench all
	AFI_BUILD=$(BUILD) scripts/bench.sh
	AFI_BUILD=$(BUILD) scripts/bench-store.sh
	AFI_BUILD=$(BUILD) scripts/bench-model.sh

# The installed runner finds <prefix>/share/afi/fixtures beside its own
# executable, so an installed suite runs from any directory (and any DESTDIR).
PREFIX  ?= /usr/local
DATADIR := $(PREFIX)/share/afi
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR)/fixtures $(DESTDIR)$(DATADIR)/docs
	install -m 755 $(BUILD)/conformance $(BUILD)/reference-server $(DESTDIR)$(PREFIX)/bin/
	install -m 644 fixtures/*.json $(DESTDIR)$(DATADIR)/fixtures/
	install -m 644 docs/protocol.md $(DESTDIR)$(DATADIR)/docs/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/conformance $(DESTDIR)$(PREFIX)/bin/reference-server
	rm -rf $(DESTDIR)$(DATADIR)

# make check in a clean clone after removing every package scripts/deps.sh
# lists; the packages are back afterwards.
fresh-check:
	scripts/fresh-check.sh

clean:
	rm -rf $(BUILDROOT)

# The version is compiled in (AFI_TOOL_VERSION): a new VERSION rebuilds.
$(call obj,$(REF_SRC) $(CONF_SRC) $(REF_TESTS) $(CONF_TESTS)): VERSION

-include $(shell find $(BUILDROOT) -name '*.d' 2>/dev/null)
