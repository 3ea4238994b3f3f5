# xdp/build.mk: tapdns-xdp (XDP program + AF_XDP capture), included by the main Makefile.
# BPF object -> libbpf skeleton in $(BUILD)/xdp; user-space objects of this directory get
# -I$(BUILD)/xdp and link with libxdp/libbpf (target-specific, nothing else changes).
XDP_BPF_OBJ  := $(BUILD)/xdp/tapdns_xdp.bpf.o
XDP_SKEL     := $(BUILD)/xdp/tapdns_xdp.skel.h
XDP_LIB_SRC  := $(filter-out xdp/main.c xdp/bench_xdp.c xdp/%.bpf.c,$(wildcard xdp/*.c))
XDP_LIB_OBJ  := $(XDP_LIB_SRC:%.c=$(BUILD)/obj/%.o)
XDP_ALL_OBJ  := $(XDP_LIB_OBJ) $(BUILD)/obj/xdp/main.o $(BUILD)/obj/xdp/bench_xdp.o \
                $(BUILD)/obj/xdp/tests/test_xdp_prog.o
XDP_LDLIBS   := -lxdp -lbpf -lelf -lz
XDP_BPF_INC  := -Ilib -Ixdp -I/usr/include/$(shell $(CC) -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)

PROGRAMS  += $(if $(wildcard xdp/main.c),$(BUILD)/bin/tapdns-xdp)
EXTRA_ALL += $(BUILD)/tests/test_xdp_prog $(if $(wildcard xdp/bench_xdp.c),$(BUILD)/xdp/bench_xdp)

$(XDP_BPF_OBJ): xdp/tapdns_xdp.bpf.c xdp/xdp_shared.h lib/frame.h
	@mkdir -p $(dir $@)
	$(CLANG) -O2 -g -target bpf -Wall -Werror $(XDP_BPF_INC) -c -o $@ $<

$(XDP_SKEL): $(XDP_BPF_OBJ)
	bpftool gen skeleton $< name tapdns_xdp > $@.tmp && mv $@.tmp $@

$(XDP_ALL_OBJ): CFLAGS += -I$(BUILD)/xdp -Ixdp -Itests/unit -Ibench
$(XDP_ALL_OBJ): $(XDP_SKEL)

$(BUILD)/bin/tapdns-xdp: $(BUILD)/obj/xdp/main.o $(XDP_LIB_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(XDP_LDLIBS)

$(BUILD)/tests/test_xdp_prog: $(BUILD)/obj/xdp/tests/test_xdp_prog.o $(XDP_LIB_OBJ) $(TEST_HELPER_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(XDP_LDLIBS)

$(BUILD)/xdp/bench_xdp: $(BUILD)/obj/xdp/bench_xdp.o $(XDP_LIB_OBJ) $(TEST_HELPER_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(XDP_LDLIBS)

# BPF_PROG_RUN ns/frame (DNS, non-DNS, XDP_DROP baseline), then the veth pair: frames offered
# by tcpreplay vs frames reaching the spool, every loss counted. Root.
.PHONY: bench-xdp
bench-xdp: $(BUILD)/xdp/bench_xdp $(BUILD)/bin/tapdns-xdp $(BUILD)/bin/tapdns-spool
	BUILD=$(BUILD) bench/xdp_bench.sh
