# Your own kernel under Keel, Keel under gdb, and the host tools they use
# (docs/image-tool.md, docs/debugging.md). Included by the Makefile.

# Keel's KEEL.CFG parser built for the host: tools/keel-image checks every
# KEEL.CFG with it before writing one.
$(BUILD)/tools/keel-cfgcheck: tools/cfgcheck.c lib/config.c lib/config.h lib/string.h lib/types.h stage2/stage2.h
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) -std=c11 -O2 -Wall -Wextra -Werror tools/cfgcheck.c lib/config.c -o $@

# --- your own kernel: make run GUEST=path (docs/image-tool.md) ---------------
# tools/keel-image recognises the file's kind and writes $(GUEST_IMG) with
# it as the only guest (timeout 0: no menu); tools/keel-run boots it and
# ends with the guest's result (0 when it exits with code 0; make itself
# then says "Error N" and exits 2 otherwise). The keys, all optional but
# GUEST: INITRD=, CMDLINE=, LOAD= and MODE= (a flat binary), CPUS=N
# (cpus=N on the guest line), TRACE=N (trace=N: the first N exits in the
# log), TIMEOUT=seconds (a time limit for scripts).
GUEST_IMG := $(BUILD)/run/guest.img
GUEST_KEEL := $(BUILD)/KEEL.BIN
GUEST_LOG := $(BUILD)/keel.log
# Each target and its emulator for tools/keel-run; one line per target.
GUEST_RUNS := run:qemu
GUEST_RUNS += run-uefi:uefi
GUEST_RUNS += run-kvm:kvm
GUEST_RUNS += run-bochs:bochs

.PHONY: guest-image gdb
# The variables reach the tools through the environment, which keeps
# quotes and spaces in CMDLINE= intact.
export GUEST INITRD CMDLINE LOAD MODE CPUS TRACE GUEST_SYMS
# The boot chain (MBR, stage 2, KEEL.BIN, any loader directory) comes
# from build/disk.img; GUEST_KEEL replaces its KEEL.BIN (debug-bochs).
guest-image: deps $(BUILD)/disk.img $(GUEST_KEEL) $(BUILD)/tools/keel-cfgcheck
	$(Q)test -n "$$GUEST" || { echo "GUEST=path: the file to boot" >&2; exit 2; }
	@mkdir -p $(dir $(GUEST_IMG))
	$(Q)KEEL_CFGCHECK=$(BUILD)/tools/keel-cfgcheck $(PYTHON) tools/keel-image create --force \
		--quiet $(GUEST_IMG) --from $(BUILD)/disk.img --keel $(GUEST_KEEL) --guest "$$GUEST" $${INITRD:+--initrd "$$INITRD"} \
		$${CMDLINE:+--cmdline "$$CMDLINE"} $${LOAD:+--load "$$LOAD"} $${MODE:+--mode "$$MODE"} \
		$${CPUS:+--cpus "$$CPUS"} $${TRACE:+--trace "$$TRACE"}

ifdef GUEST
$(foreach r,$(GUEST_RUNS),$(eval $(firstword $(subst :, ,$(r))): GUEST_EMULATOR := $(lastword $(subst :, ,$(r)))))
$(foreach r,$(GUEST_RUNS),$(firstword $(subst :, ,$(r)))): guest-image
	$(Q)$(PYTHON) tools/keel-run --emulator $(GUEST_EMULATOR) \
		$(if $(filter bochs,$(GUEST_EMULATOR)),--cpu $(CPU)) $(if $(CPUS),--smp $(CPUS)) \
		$(if $(TIMEOUT),--timeout $(TIMEOUT)) --log $(GUEST_LOG) $(GUEST_IMG)

# Bochs' debugger, stopped right before the guest's first instruction
# (docs/debugging.md), with a DEBUG_ENTRY=1 Keel.
debug-bochs: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/debug/KEEL.BIN BUILD=$(BUILD)/debug DEBUG_ENTRY=1
	$(Q)$(MAKE) --no-print-directory guest-image GUEST_IMG=$(BUILD)/debug/guest.img \
		GUEST_KEEL=$(BUILD)/debug/KEEL.BIN
	$(Q)tools/run-bochs.sh $(BUILD)/debug/guest.img $(CPU) debug
endif

# --- Keel under gdb (docs/debugging.md) ---------------------------------------
# QEMU stopped at the reset vector with its gdb stub, gdb with build/keel.elf
# and tools/keel.gdb (breakpoints at the first VM entry and at
# exit_dispatch). GUEST=path boots that file alone, as make run does;
# GUEST_SYMS=file adds a guest's symbols (GUEST's own when it is an ELF
# file); GDB_ARGS= go to gdb (-batch -x FILE runs a script).
gdb: deps $(BUILD)/keel.elf $(if $(GUEST),guest-image,$(BUILD)/disk.img)
	$(Q)$(PYTHON) tools/keel-gdb --elf $(BUILD)/keel.elf $(if $(CPUS),--smp $(CPUS)) \
		$${GUEST_SYMS:+--guest-syms "$$GUEST_SYMS"} $${GUEST:+--guest "$$GUEST"} \
		$(if $(GUEST),$(GUEST_IMG),$(BUILD)/disk.img) $(GDB_ARGS)
