# ship/build.mk: tapdns-ship (ships closed spool files from sensors to the processing box).
# Included by the main Makefile; objects through its $(BUILD)/obj/%.o rule, the codec
# (lib/ship_proto.c) is in the library.
SHIP_SRC := $(wildcard ship/*.c)
SHIP_OBJ := $(SHIP_SRC:%.c=$(BUILD)/obj/%.o)
PROGRAMS += $(BUILD)/bin/tapdns-ship

$(BUILD)/bin/tapdns-ship: $(SHIP_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
