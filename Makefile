# tapdns: one non-recursive Makefile.
#   make                 build every program into $(BUILD)/bin
#   make test            build and run every test (unit, fuzz corpus replay, system)
#   make SANITIZER=address|undefined   instrumented build (use BUILD=build-asan etc.)
#   make fuzz            libFuzzer binaries (clang) into $(BUILD)/fuzz/libfuzzer
#   make deps            install the Debian packages the project needs
#   make demo            the pipeline on the embedded sample, tapdns-queryd left on 127.0.0.1 (demo-stop)
#   make demo-live       the same on the live netns world with tapdns-xdp (root; demo-live-stop)
#   make install         PREFIX=/usr/local SYSCONFDIR=... DESTDIR=...: programs, units, man pages, config
#   make bench-capture   capture-path benchmark; bench-batch, bench-query, bench-xdp, bench-dpdk likewise
#   make bench-index     index build/read benchmark (N=10000000 RRsets by default)
BUILD     ?= build
CC        ?= cc
CXX       ?= c++
CLANG     ?= clang
SANITIZER ?=

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wvla -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -D_GNU_SOURCE -Ilib -Ispool -Ibatch -Iindexer -Iquery -MMD -MP
# indexer/sstable.cc, the programs' one C++ file (LevelDB's table API has no C face); tests/unit/sst_ref.cc
# is the other, for test_sstable alone
CXXFLAGS ?= -O2 -g
CXXFLAGS += -std=c++17 -Wall -Wextra -Werror -Wshadow -D_GNU_SOURCE -Ilib -Iindexer -MMD -MP
LDLIBS  := -lknot -lzstd -lpcap -linih -lxxhash -lhs -lleveldb -lsnappy -levent -lnettle -ljansson -lpthread -lstdc++
ifneq ($(SANITIZER),)
CFLAGS  += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
CXXFLAGS += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZER)
endif

# Library: everything in lib/, spool/, batch/, indexer/ and query/ except program mains
# (tool_*.c, query/main_*.c). xdp/ and dpdk-capture/ have their own fragments (below).
LIB_SRC   := $(wildcard lib/*.c) $(filter-out spool/tool_%.c,$(wildcard spool/*.c)) \
             $(filter-out batch/tool_%.c,$(wildcard batch/*.c)) \
             $(filter-out indexer/tool_%.c,$(wildcard indexer/*.c)) \
             $(filter-out query/main_%.c,$(wildcard query/*.c))
LIB_CXX   := $(wildcard indexer/*.cc)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(LIB_CXX:%.cc=$(BUILD)/obj/%.o)
LIB_A     := $(BUILD)/libtapdns.a

SPOOL_SRC := $(wildcard spool/tool_*.c)
SPOOL_OBJ := $(SPOOL_SRC:%.c=$(BUILD)/obj/%.o)
BATCH_SRC := $(wildcard batch/tool_*.c)
BATCH_OBJ := $(BATCH_SRC:%.c=$(BUILD)/obj/%.o)
INDEX_SRC := $(wildcard indexer/tool_*.c)
INDEX_OBJ := $(INDEX_SRC:%.c=$(BUILD)/obj/%.o)
QUERYD_SRC := $(wildcard query/main_queryd.c)
QUERY_SRC := $(wildcard query/main_query.c)
PROGRAMS  := $(BUILD)/bin/tapdns-spool $(if $(BATCH_SRC),$(BUILD)/bin/tapdns-batch) \
             $(if $(INDEX_SRC),$(BUILD)/bin/tapdns-index) \
             $(if $(QUERYD_SRC),$(BUILD)/bin/tapdns-queryd) $(if $(QUERY_SRC),$(BUILD)/bin/tapdns-query) \
             $(BUILD)/bin/tapdns-config $(BUILD)/bin/tapdns-status

TEST_SRC  := $(wildcard tests/unit/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_HELPER_OBJ := $(BUILD)/obj/tests/unit/tt.o $(BUILD)/obj/tests/unit/pcapgen.o $(BUILD)/obj/tests/unit/index_fixture.o

FUZZ_SRC  := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN  := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
LIBFUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/libfuzzer/%)

BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

BPF_CHECK := $(BUILD)/bpf/frame_check.bpf.o

# Parts with build rules of their own (BPF skeleton, DPDK, ship). Each fragment adds its programs to
# PROGRAMS, anything else `all` must build to EXTRA_ALL, and defines its bench-* target.
# Their test binaries go to $(BUILD)/tests/test_* so that tests/run.sh runs them.
EXTRA_ALL := $(BUILD)/bin/tapdns-jobs
# (the fragments define rules: without this, plain `make` would build only their first target)
.DEFAULT_GOAL := all
-include xdp/build.mk dpdk-capture/build.mk ship/build.mk

.PHONY: all test check fuzz deps bench bench-capture bench-batch bench-index bench-query clean
# keep object files that pattern chains would treat as intermediate
.SECONDARY:
all: $(PROGRAMS) $(TEST_BIN) $(FUZZ_BIN) $(BENCH_BIN) $(BPF_CHECK) $(EXTRA_ALL)

$(BUILD)/obj/bench/%.o: CFLAGS += -Itests/unit
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/tapdns-spool: $(SPOOL_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/tapdns-batch: $(BATCH_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/tapdns-index: $(INDEX_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# shell programs, next to the others so that TAPDNS_BIN=$(BUILD)/bin finds every tool
$(BUILD)/bin/tapdns-jobs: appliance/tapdns-jobs
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(BUILD)/bin/tapdns-config: $(BUILD)/obj/appliance/tool_config.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/tapdns-status: $(BUILD)/obj/appliance/tool_status.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/tapdns-queryd: $(BUILD)/obj/query/main_queryd.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/tapdns-query: $(BUILD)/obj/query/main_query.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# test_sstable holds the table writer to LevelDB's own TableBuilder (tests/unit/sst_ref.cc)
$(BUILD)/tests/test_sstable: $(BUILD)/obj/tests/unit/sst_ref.o
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_HELPER_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Fuzz targets: with gcc they link a main that replays the corpus (a regression test);
# `make fuzz` builds the same targets against libFuzzer with clang.
$(BUILD)/fuzz/%: $(BUILD)/obj/fuzz/%.o $(BUILD)/obj/fuzz/replay_main.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

fuzz: $(LIBFUZZ_BIN)
LIBFUZZ_CXX_OBJ := $(LIB_CXX:indexer/%.cc=$(BUILD)/fuzz/libfuzzer/obj/%.o)
$(BUILD)/fuzz/libfuzzer/obj/%.o: indexer/%.cc
	@mkdir -p $(dir $@)
	$(CLANG)++ -std=c++17 -O1 -g -D_GNU_SOURCE -Ilib -Iindexer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr -c -o $@ $<
$(BUILD)/fuzz/libfuzzer/%: fuzz/%.c $(LIB_SRC) $(LIBFUZZ_CXX_OBJ)
	@mkdir -p $(dir $@)
	$(CLANG) -std=gnu11 -O1 -g -D_GNU_SOURCE -Ilib -Ispool -Ibatch -Iindexer -Iquery -fsanitize=fuzzer,address,undefined \
	  -o $@ $< $(LIB_SRC) $(LIBFUZZ_CXX_OBJ) $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(TEST_HELPER_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Proof that the frame decoder header compiles for the BPF target (the XDP program reuses it).
$(BUILD)/bpf/%.bpf.o: tests/bpf/%.bpf.c lib/frame.h
	@mkdir -p $(dir $@)
	$(CLANG) -O2 -g -target bpf -Wall -Werror -Ilib -c -o $@ $<

test check: all
	BUILD=$(BUILD) tests/run.sh

bench: bench-capture bench-batch
bench-capture: $(BUILD)/bench/bench_capture $(PROGRAMS)
	BUILD=$(BUILD) bench/capture.sh
bench-batch: $(BUILD)/bench/bench_batch
	$(BUILD)/bench/bench_batch $${RESPONSES:-200000} $${RUNS:-3}
# N RRsets (default 10 M; e.g. make bench-index N=1000000), temporary files under BENCH_DIR (/tmp)
bench-index: $(BUILD)/bench/bench_index $(BUILD)/bin/tapdns-index
	BIN=$(BUILD)/bin BENCH_DIR=$${BENCH_DIR:-/tmp} $(BUILD)/bench/bench_index $(or $(N),10000000) $${RUNS:-3}

# Query service over HTTP (wrk) on an index of N RRsets; figures and baselines in bench/query.sh.
bench-query: $(PROGRAMS) $(BENCH_BIN)
	BUILD=$(BUILD) N=$(or $(N),10000000) bench/query.sh

deps:
	appliance/debian-deps.sh

# make install [PREFIX=/usr/local] [SYSCONFDIR=/etc] [DESTDIR=]: programs, tapdns-jobs, systemd units and
# timers (paths substituted), sysusers/tmpfiles entries, man pages (help2man from --help), the default
# config (never over an existing one) and the docs with the config examples.
PREFIX     ?= /usr/local
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
VERSION    ?= 0.1
BINDIR     := $(PREFIX)/bin
UNITDIR    := $(PREFIX)/lib/systemd/system
DOCDIR     := $(PREFIX)/share/doc/tapdns
MANDIR     := $(PREFIX)/share/man/man1
UNITS      := $(wildcard appliance/systemd/*.service appliance/systemd/*.timer)
.PHONY: install man
man: $(PROGRAMS)
	@mkdir -p $(BUILD)/man
	for p in $(PROGRAMS); do n=$$(basename $$p); \
	    help2man -N --version-string=$(VERSION) -n "$$n (tapdns passive DNS)" -o $(BUILD)/man/$$n.1 $$p || exit 1; \
	done
install: $(PROGRAMS) man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(SYSCONFDIR)/tapdns $(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d
	install -m 0755 $(PROGRAMS) appliance/tapdns-jobs $(DESTDIR)$(BINDIR)/
	for u in $(UNITS); do \
	    sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' $$u \
	        >$(DESTDIR)$(UNITDIR)/$$(basename $$u) || exit 1; \
	done
	install -m 0644 appliance/systemd/tapdns.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/tapdns.conf
	install -m 0644 appliance/systemd/tapdns.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/tapdns.conf
	install -m 0644 $(BUILD)/man/*.1 $(DESTDIR)$(MANDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/tapdns/tapdns.conf ] || \
	    install -m 0644 appliance/tapdns.conf $(DESTDIR)$(SYSCONFDIR)/tapdns/tapdns.conf
	install -m 0644 README.md spool/FORMAT.md batch/OBS_FORMAT.md indexer/KEYS.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 appliance/tapdns.conf appliance/examples/*.conf $(DESTDIR)$(DOCDIR)/examples/

clean:
	rm -rf $(BUILD) build-*

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# The main job on the embedded sample (README's first command): import, hourly job (batch,
# index, export), tapdns-queryd left answering on 127.0.0.1:$(DEMO_PORT) with a demo key, example
# queries. `make demo-stop` stops the query service.
DEMO_PORT ?= 8080
.PHONY: demo demo-stop
demo: $(PROGRAMS) $(BUILD)/bin/tapdns-jobs
	BUILD=$(BUILD) DEMO_PORT=$(DEMO_PORT) appliance/demo.sh
demo-stop:
	BUILD=$(BUILD) appliance/demo.sh stop
# The live variant (root): the netns DNS world with tapdns-xdp capturing, ship, the hourly job,
# tapdns-queryd on 127.0.0.1:$(DEMO_PORT) with a demo key (appliance/demo-live.sh).
.PHONY: demo-live demo-live-stop
demo-live: $(PROGRAMS)
	BUILD=$(BUILD) DEMO_PORT=$(DEMO_PORT) appliance/demo-live.sh start
demo-live-stop:
	BUILD=$(BUILD) appliance/demo-live.sh stop
