# dpdk-capture/build.mk: tapdns-dpdk, its unit test and `make bench-dpdk` (included by the
# main Makefile after BUILD, CFLAGS, LIB_A and LDLIBS are set). DPDK's flags apply to these
# objects only; its headers come in with -isystem so that our warnings (and -Werror) stay
# on for our code. Without libdpdk (pkg-config) nothing here is built.
DPDK_OK := $(shell pkg-config --exists libdpdk 2>/dev/null && echo yes)
ifeq ($(DPDK_OK),yes)
DPDK_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags libdpdk))
DPDK_LIBS   := $(shell pkg-config --libs libdpdk)

DPDK_CORE_OBJ := $(BUILD)/obj/dpdk-capture/port.o $(BUILD)/obj/dpdk-capture/worker.o \
                 $(BUILD)/obj/dpdk-capture/plan.o
DPDK_OBJ := $(BUILD)/obj/dpdk-capture/main.o $(DPDK_CORE_OBJ)
$(DPDK_OBJ) $(BUILD)/obj/bench/dpdk_bench.o: CFLAGS += -Idpdk-capture $(DPDK_CFLAGS)
$(BUILD)/obj/dpdk-capture/test_dpdk_plan.o: CFLAGS += -Idpdk-capture -Itests/unit

PROGRAMS  += $(BUILD)/bin/tapdns-dpdk
EXTRA_ALL += $(BUILD)/tests/test_dpdk_plan $(BUILD)/bench/dpdk_bench

$(BUILD)/bin/tapdns-dpdk: $(DPDK_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(DPDK_LIBS)

$(BUILD)/tests/test_dpdk_plan: $(BUILD)/obj/dpdk-capture/test_dpdk_plan.o $(BUILD)/obj/dpdk-capture/plan.o \
                               $(TEST_HELPER_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/dpdk_bench: $(BUILD)/obj/bench/dpdk_bench.o $(DPDK_CORE_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(DPDK_LIBS)

# frames/s per lcore through the capture core vs an rx-and-free baseline (bench/dpdk_bench.sh)
.PHONY: bench-dpdk
bench-dpdk: $(BUILD)/bench/dpdk_bench
	BUILD=$(BUILD) bench/dpdk_bench.sh
else
.PHONY: bench-dpdk
bench-dpdk:
	@echo "bench-dpdk: libdpdk not found (make deps)"; exit 1
endif
