# Keel: one non-recursive Makefile. disk.img.mk alone knows the disk layout.
#   make            build/disk.img
#   make run        boot it under QEMU (AMD SVM emulation), serial on the terminal
#   make test       unit tests and emulator integration tests
#   make deps       install the Debian packages everything needs

BUILD := build
Q := @

# A cross compiler when the user has one, the host's otherwise.
CROSS ?= $(if $(shell command -v x86_64-elf-gcc 2>/dev/null),x86_64-elf-,)
CC := $(CROSS)gcc
LD := $(CROSS)ld
OBJCOPY := $(CROSS)objcopy
NASM := nasm
HOSTCC := gcc
PYTHON := /usr/bin/python3

# The MBR loads this many sectors of stage 2 to 0:1000 (all of 1000h-FFFFh).
STAGE2_SECTORS := 120
STAGE2_MAGIC := 0x3253454B
HV_IMAGE_MAX_MIB := 4

CFLAGS_COMMON := -std=c11 -ffreestanding -nostdlib -fno-pic -fno-pie \
	-fno-stack-protector -mgeneral-regs-only -fno-asynchronous-unwind-tables \
	-fno-builtin -Wall -Wextra -Werror -MD -MP
# -mstringop-strategy=loop and -O1: gcc -m16 emits MOVS/STOS with 16-bit SI/DI,
# which breaks the flat (unreal-mode) pointers stage 2 uses; the link checks it.
# EBP stays the frame pointer: as a data pointer it would address through SS,
# whose limit stays 64 KiB (Bochs enforces it; QEMU does not).
CFLAGS_S2 := $(CFLAGS_COMMON) -m16 -mregparm=3 -march=i686 -O1 -mstringop-strategy=loop \
	-fno-omit-frame-pointer
CFLAGS_HV := $(CFLAGS_COMMON) -m64 -mcmodel=kernel -mno-red-zone -O2 -g
# DEBUG_ENTRY=1 puts a Bochs magic breakpoint (xchg bx,bx) right before
# each VM entry instruction (docs/debugging.md); make debug-bochs builds it
# in its own build directory so the normal build never carries it.
NASMFLAGS_HV := -I hv/
ifdef DEBUG_ENTRY
NASMFLAGS_HV += -DDEBUG_ENTRY=1
endif

LIB_SRCS := lib/string.c lib/format.c lib/console.c lib/config.c lib/memmap.c lib/multiboot.c \
	lib/loader.c lib/menu.c lib/acpi.c lib/region.c
S2_SRCS := stage2/main.c stage2/bios.c stage2/menu.c stage2/load.c stage2/fat.c $(LIB_SRCS)
S2_ASM := stage2/entry.asm stage2/longmode.asm
HV_SRCS := $(wildcard hv/*.c svm/*.c vmx/*.c npt/*.c ept/*.c iommu/*.c guest/*.c) \
	$(filter-out lib/loader.c lib/menu.c,$(LIB_SRCS))
HV_ASM := $(wildcard hv/*.asm svm/*.asm vmx/*.asm)
# The BIOS shim (guest/bios_shim.asm, a 16-bit flat binary) is embedded by
# guest/shim_blob.asm; guest/keelnext.asm is a DOS program, not linked.
HV_ASM += guest/shim_blob.asm

S2_OBJS := $(S2_ASM:%.asm=$(BUILD)/s2/%.o) $(S2_SRCS:%.c=$(BUILD)/s2/%.o)
HV_OBJS := $(HV_ASM:%.asm=$(BUILD)/hv/%.o) $(HV_SRCS:%.c=$(BUILD)/hv/%.o)

.PHONY: all deps run run-uefi run-kvm run-bochs debug-bochs usb bench fuzz fuzz-long fuzz-guest test test-full unit integration integration-full clean sizes
all: $(BUILD)/disk.img

# --- MBR ---------------------------------------------------------------
$(BUILD)/boot/mbr.bin: boot/mbr.asm Makefile disk.img.mk
	@mkdir -p $(@D)
	$(Q)$(NASM) -f bin -DPART1_LBA=$(PART1_LBA) -DPART1_SECTORS=$(PART1_SECTORS) \
		-DPART1_TYPE=$(PART1_TYPE) -DSTAGE2_SECTORS=$(STAGE2_SECTORS) \
		-DSTAGE2_MAGIC=$(STAGE2_MAGIC) $< -o $@
	$(Q)$(NASM) -f bin -DCODE_ONLY -DPART1_LBA=0 -DPART1_SECTORS=0 -DPART1_TYPE=0 \
		-DSTAGE2_SECTORS=$(STAGE2_SECTORS) -DSTAGE2_MAGIC=$(STAGE2_MAGIC) $< -o $(BUILD)/boot/mbr-code.bin
	$(Q)test $$(stat -c %s $@) -eq 512 || { echo "MBR: not 512 bytes" >&2; exit 1; }
	$(Q)test "$$(od -An -tx1 -j510 -N2 $@ | tr -d ' ')" = 55aa || \
		{ echo "MBR: no 0x55AA signature at byte 510" >&2; exit 1; }

# --- stage 2 (C compiled with -m16) --------------------------------------
$(BUILD)/s2/%.o: %.c Makefile
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_S2) -c $< -o $@

$(BUILD)/s2/%.o: %.asm
	@mkdir -p $(@D)
	$(Q)$(NASM) -f elf32 $< -o $@

$(BUILD)/stage2.elf: $(S2_OBJS) stage2/stage2.ld
	$(Q)$(LD) -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments --defsym=STAGE2_SECTORS=$(STAGE2_SECTORS) \
		-T stage2/stage2.ld $(S2_OBJS) -o $@
	$(Q)if objdump -d -Mi8086 $(filter-out %.asm.o,$(S2_SRCS:%.c=$(BUILD)/s2/%.o)) | \
		grep -qE '\s(rep |repz |repnz )?(movs|stos|lods|scas|cmps)[bwlq]?\s'; then \
		echo "stage 2: gcc emitted a string instruction (16-bit SI/DI in real mode)" >&2; \
		rm -f $@; exit 1; fi

$(BUILD)/stage2.bin: $(BUILD)/stage2.elf
	$(Q)$(OBJCOPY) -O binary -j .head -j .text -j .rodata -j .data $< $@
	$(Q)test $$(stat -c %s $@) -le $$(($(STAGE2_SECTORS) * 512)) || \
		{ echo "stage 2: larger than its $(STAGE2_SECTORS) sectors" >&2; exit 1; }

# --- the hypervisor -----------------------------------------------------
$(BUILD)/hv/%.o: %.c Makefile
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_HV) -c $< -o $@

$(BUILD)/hv/%.o: %.asm
	@mkdir -p $(@D)
	$(Q)$(NASM) -f elf64 $(NASMFLAGS_HV) $< -o $@

# The BIOS shim, copied into BIOS guests' conventional memory (docs/bios-shim.md).
SHIM_MAX_BYTES := 4096
$(BUILD)/guest/bios_shim.bin: guest/bios_shim.asm
	@mkdir -p $(@D)
	$(Q)$(NASM) -f bin $< -o $@
	$(Q)test $$(stat -c %s $@) -le $(SHIM_MAX_BYTES) || \
		{ echo "BIOS shim: larger than $(SHIM_MAX_BYTES) bytes" >&2; rm -f $@; exit 1; }

$(BUILD)/hv/guest/shim_blob.o: guest/shim_blob.asm $(BUILD)/guest/bios_shim.bin
	@mkdir -p $(@D)
	$(Q)$(NASM) -f elf64 $(NASMFLAGS_HV) -I $(BUILD)/guest/ $< -o $@

$(BUILD)/keel.elf: $(HV_OBJS) hv/hv.ld
	$(Q)$(LD) -m elf_x86_64 -nostdlib -z noexecstack --no-warn-rwx-segments -z max-page-size=4096 -T hv/hv.ld $(HV_OBJS) -o $@

$(BUILD)/KEEL.BIN: $(BUILD)/keel.elf tools/hvsum.py
	$(Q)$(OBJCOPY) -O binary -R .bss $< $@
	$(Q)$(PYTHON) tools/hvsum.py $@

# --- the EFI loader (efi/, docs/handoff.md) ----------------------------------
# A PE32+ application built from gnu-efi's headers and start-up code (Debian's
# gnu-efi): a position-independent ELF shared object that crt0 relocates
# itself (_relocate from libgnuefi.a), turned into PE32+ by objcopy's EFI
# target. EFI calls use the Microsoft ABI (GNU_EFI_USE_MS_ABI); our own
# code keeps the System V one.
GNUEFI_INC := /usr/include/efi
GNUEFI_LIB := /usr/lib
EFI_SRCS := $(wildcard efi/*.c) $(filter-out lib/console.c,$(LIB_SRCS)) lib/console.c
EFI_ASM := efi/enter.asm
CFLAGS_EFI := $(filter-out -fno-pic -fno-pie,$(CFLAGS_COMMON)) -m64 -fpic -fshort-wchar \
	-mno-red-zone -O2 -DGNU_EFI_USE_MS_ABI -I$(GNUEFI_INC) -I$(GNUEFI_INC)/x86_64
EFI_OBJS := $(EFI_ASM:%.asm=$(BUILD)/efi/%.o) $(EFI_SRCS:%.c=$(BUILD)/efi/%.o)

$(BUILD)/efi/%.o: %.c Makefile
	@mkdir -p $(@D)
	$(Q)test -f $(GNUEFI_INC)/efi.h || \
		{ echo "EFI loader: gnu-efi is missing (make deps, or apt-get install gnu-efi)" >&2; exit 1; }
	$(Q)$(CC) $(CFLAGS_EFI) -c $< -o $@

$(BUILD)/efi/%.o: %.asm
	@mkdir -p $(@D)
	$(Q)$(NASM) -f elf64 $< -o $@

$(BUILD)/efi/bootx64.so: $(EFI_OBJS)
	$(Q)$(LD) -m elf_x86_64 -nostdlib -znocombreloc -z noexecstack -shared -Bsymbolic --no-undefined \
		-T $(GNUEFI_LIB)/elf_x86_64_efi.lds $(GNUEFI_LIB)/crt0-efi-x86_64.o $(EFI_OBJS) \
		$(GNUEFI_LIB)/libgnuefi.a -o $@

$(BUILD)/BOOTX64.EFI: $(BUILD)/efi/bootx64.so
	$(Q)$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

include disk.img.mk
include run.mk

sizes: $(BUILD)/disk.img
	@echo "MBR code bytes:   $$(stat -c %s $(BUILD)/boot/mbr-code.bin) of 440"
	@echo "stage 2 bytes:    $$(stat -c %s $(BUILD)/stage2.bin) of $$(($(STAGE2_SECTORS) * 512))"
	@echo "hypervisor bytes: $$(stat -c %s $(BUILD)/KEEL.BIN) (file), $$(($(HV_IMAGE_MAX_MIB) * 1048576)) max"
	@echo "EFI loader bytes: $$(stat -c %s $(BUILD)/BOOTX64.EFI) (\\EFI\\BOOT\\BOOTX64.EFI on partition 1)"

# --- set-up ---------------------------------------------------------------
DEPS_PACKAGES := nasm gcc binutils make qemu-system-x86 bochs bochsbios vgabios \
	bochs-term mtools dosfstools syslinux syslinux-common busybox-static cpio gzip \
	python3 python3-pytest python3-pytest-xdist python3-pexpect libcmocka-dev clang-14 libclang-rt-14-dev \
	gdb gnu-efi ovmf
deps:
	$(Q)tools/deps.sh $(DEPS_PACKAGES)

# --- the Linux guest (docs/linux.md) ----------------------------------------
# Debian's cloud kernel (apt-get download, never installed) and a busybox
# initramfs; LINUX_BZIMAGE= and LINUX_INITRD= (disk.img.mk) take your own.
.PHONY: linux
$(BUILD)/linux/vmlinuz:
	$(Q)tools/fetch-kernel.sh $(@D)

$(BUILD)/linux/initrd.gz: tools/mkinitramfs.sh
	$(Q)tools/mkinitramfs.sh $@

linux: $(LINUX_BZIMAGE) $(LINUX_INITRD)

# Debian's standard kernel (linux-image-amd64, what users install) beside
# the cloud one, with the same initramfs: make bench counts its exits
# (docs/performance.md), the CPU-model matrix (docs/cpus.md) and any test
# that needs the kernel real machines run.
.PHONY: linux-std
$(BUILD)/linux-std/vmlinuz:
	$(Q)KERNEL_META=linux-image-amd64 tools/fetch-kernel.sh $(@D)

linux-std: $(BUILD)/linux-std/vmlinuz $(LINUX_INITRD)

# Debian's memtest86+ (a bzImage one paragraph short of its syssize): the
# loader's unit and integration tests boot it (tests/test_bzimage.py).
.PHONY: memtest
$(BUILD)/memtest/memtest86+x64.bin:
	$(Q)tools/fetch-memtest.sh $(@D)
memtest: $(BUILD)/memtest/memtest86+x64.bin

# --- running it -------------------------------------------------------------
QEMU_RUN := qemu-system-x86_64 -cpu max -m 1024 -no-reboot \
	-drive file=$(BUILD)/disk.img,format=raw,if=ide \
	-debugcon file:$(BUILD)/keel.log -device isa-debug-exit,iobase=0xf4,iosize=4
CPU ?= corei7_skylake_x

# With GUEST=path these targets boot that file alone instead (run.mk).
ifndef GUEST
# QEMU's emulated AMD CPU with SVM and nested paging; Keel's log goes to
# build/keel.log and (until a guest owns it) COM1, which is this terminal.
# QEMU ends when Keel powers off; its status is then code*2+1: 1, Keel's
# poweroff code=0, is success for make as Ctrl-A X's 0 is.
run: deps
	$(Q)$(MAKE) --no-print-directory linux
	$(Q)$(MAKE) --no-print-directory all
	@echo "make run: QEMU (SVM emulation); Keel's log also in $(BUILD)/keel.log; Ctrl-A X quits"
	$(Q)$(QEMU_RUN) -display none -serial mon:stdio || [ $$? -eq 1 ]

# The same image on UEFI firmware: QEMU with Debian's OVMF, which boots
# \EFI\BOOT\BOOTX64.EFI from partition 1; a fresh copy of OVMF's variable
# store each run. BIOS guests need a legacy BIOS: under UEFI choose an
# entry without one (Linux: type 3 at the menu).
OVMF_CODE ?= $(firstword $(wildcard /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_CODE.fd))
OVMF_VARS ?= $(subst CODE,VARS,$(OVMF_CODE))

run-uefi: deps
	$(Q)$(MAKE) --no-print-directory linux
	$(Q)$(MAKE) --no-print-directory all
	$(Q)test -n "$(OVMF_CODE)" || { echo "make run-uefi: OVMF is missing (apt-get install ovmf)" >&2; exit 1; }
	$(Q)cp $(OVMF_VARS) $(BUILD)/ovmf_vars.fd
	@echo "make run-uefi: QEMU with OVMF (UEFI, SVM emulation); Keel's log also in $(BUILD)/keel.log; Ctrl-A X quits"
	@echo "make run-uefi: BIOS guests (FreeDOS) need a legacy BIOS: type 3 at the menu for Linux"
	$(Q)$(QEMU_RUN) -drive if=pflash,format=raw,readonly=on,file=$(OVMF_CODE) \
		-drive if=pflash,format=raw,file=$(BUILD)/ovmf_vars.fd -display none -serial mon:stdio \
		|| [ $$? -eq 1 ]

run-bochs: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/run-bochs.sh $(BUILD)/disk.img $(CPU)

debug-bochs: deps
	$(Q)$(MAKE) --no-print-directory all BUILD=$(BUILD)/debug DEBUG_ENTRY=1
	$(Q)tools/run-bochs.sh $(BUILD)/debug/disk.img $(CPU) debug

# QEMU with KVM and -cpu host (nested virtualization): tools/run-kvm.sh
# checks /dev/kvm, the vendor and the nested parameter first (docs/kvm.md).
# CHECK=1 boots the self-check guest alone (build/selfcheck.img): one
# screen of PASS/FAIL/SKIP lines about the CPU Keel shows its guests.
RUN_KVM_IMG := $(if $(CHECK),$(BUILD)/selfcheck.img,$(BUILD)/disk.img)
run-kvm: deps
	$(Q)tools/run-kvm.sh --check
	$(Q)$(MAKE) --no-print-directory all $(RUN_KVM_IMG)
	@echo "make run-kvm: QEMU with KVM (-cpu host); Keel's log also in $(BUILD)/keel.log; Ctrl-A X quits"
	-$(Q)tools/run-kvm.sh $(RUN_KVM_IMG)
endif

# The self-check image: build/disk.img with one entry that runs
# tests/guests/selfcheck.asm, a Multiboot kernel, at once.
SELFCHECK_CFG := timeout 0\nentry "Keel self-check (make run-kvm CHECK=1)"\n  guest multiboot file=SELFCHK.ELF\n  after poweroff\n
$(BUILD)/selfcheck.img: $(BUILD)/disk.img $(BUILD)/guests/selfcheck.bin
	$(Q)cp --sparse=always $(BUILD)/disk.img $@
	$(Q)printf '$(SELFCHECK_CFG)' | MTOOLS_SKIP_CHECK=1 mcopy -o -i $@@@$$(($(PART1_LBA) * 512)) - ::KEEL.CFG
	$(Q)MTOOLS_SKIP_CHECK=1 mcopy -o -i $@@@$$(($(PART1_LBA) * 512)) $(BUILD)/guests/selfcheck.bin ::SELFCHK.ELF
	@echo "built $@ (the self-check guest alone)"

# Write the image to a removable disk (docs/hardware.md); DEV stays quoted
# so that an empty DEV is refused rather than shifting the arguments.
usb: all
	$(Q)tools/usb-write.sh "$(DEV)" $(BUILD)/disk.img

# What Keel costs beside bare metal (docs/performance.md): a table on the
# terminal, $(BUILD)/bench/results.json and $(BUILD)/bench/chart.svg.
# BENCH_ARGS=--quick: one run of each (about 10-20 s).
bench: deps
	$(Q)$(MAKE) --no-print-directory linux linux-std
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(PYTHON) tools/bench.py $(BENCH_ARGS)

# --- tests ------------------------------------------------------------------
UNIT_TESTS := $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_CFLAGS := -std=c11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wall -Wextra -Werror -Ilib -Istage2
UNIT_SRCS_config := lib/config.c
UNIT_SRCS_fat := stage2/fat.c
UNIT_SRCS_format := lib/format.c
UNIT_SRCS_memmap := lib/memmap.c
UNIT_SRCS_acpi := lib/acpi.c
UNIT_SRCS_region := lib/region.c lib/memmap.c
UNIT_SRCS_iocount := hv/iocount.c lib/format.c
UNIT_SRCS_multiboot := lib/multiboot.c lib/memmap.c
UNIT_SRCS_cpuid := hv/cpuid.c hv/vmexit.c
UNIT_SRCS_msr := hv/msr_policy.c
UNIT_SRCS_vmcb_check := svm/vmcb_check.c
UNIT_SRCS_svm_exit := svm/exit.c hv/vmexit.c
UNIT_SRCS_ptbuild := hv/ptbuild.c npt/npt.c ept/ept.c
UNIT_SRCS_gpmap := hv/gpmap.c lib/memmap.c
UNIT_SRCS_insn := hv/insn.c
UNIT_SRCS_gva := hv/gva.c
UNIT_SRCS_mtrr := hv/mtrr.c hv/hostmap.c hv/ptbuild.c
UNIT_SRCS_ipi := hv/ipi.c
UNIT_SRCS_mbload := guest/mbload.c lib/multiboot.c lib/memmap.c lib/format.c
UNIT_SRCS_bzimage := guest/bzimage.c lib/memmap.c lib/format.c
UNIT_SRCS_vmx_controls := vmx/controls.c
UNIT_SRCS_vmx_errors := vmx/vminsn_error.c
UNIT_SRCS_vmx_guest_check := vmx/guest_check.c vmx/controls.c
UNIT_SRCS_acpi_iommu := iommu/acpi_iommu.c
UNIT_SRCS_iommu_tables := iommu/vtd_tables.c iommu/amdvi_tables.c iommu/dmamap.c hv/ptbuild.c \
	hv/gpmap.c lib/memmap.c
UNIT_SRCS_efimap := efi/efimap.c lib/memmap.c
UNIT_SRCS_loader := lib/loader.c lib/region.c lib/acpi.c lib/multiboot.c lib/memmap.c lib/format.c \
	lib/config.c
UNIT_SRCS_menu := lib/menu.c lib/format.c lib/config.c

$(BUILD)/unit/test_%: tests/unit/test_%.c $(wildcard lib/*.[ch] stage2/*.[ch] efi/efimap.[ch] hv/*.[ch] svm/*.[ch] vmx/*.[ch] npt/*.[ch] ept/*.[ch] iommu/*.[ch] guest/*.[ch]) Makefile
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(UNIT_CFLAGS) $< $(UNIT_SRCS_$*) -lcmocka -o $@

unit: $(UNIT_TESTS:%=$(BUILD)/unit/test_%)
	$(Q)fail=0; for t in $^; do echo "== $$t"; $$t || fail=1; done; exit $$fail

# Two pytest workers (pytest-xdist) for the two cores CI has; JOBS=1 runs
# them one at a time. `make test` leaves out the tests marked `full` (long
# matrices it samples); `make test-full` runs every one.
JOBS ?= 2
PYTEST_JOBS = $(if $(filter 1,$(JOBS)),,-n $(JOBS))
integration: $(BUILD)/disk.img
	$(Q)cd tests && $(PYTHON) -m pytest -v --tb=short $(PYTEST_JOBS) -m "not full" $(PYTEST_ARGS)

integration-full: $(BUILD)/disk.img
	$(Q)cd tests && $(PYTHON) -m pytest -v --tb=short $(PYTEST_JOBS) $(PYTEST_ARGS)

# Host fuzzing with libFuzzer (tests/fuzz/, docs/security.md): a short run
# in make test, long runs by hand; the fuzz guest hammers Keel from inside.
fuzz:
	$(Q)tools/fuzz.sh short
fuzz-long:
	$(Q)tools/fuzz.sh long $(or $(FUZZ_SECONDS),300)
fuzz-guest: $(BUILD)/disk.img
	$(Q)tools/fuzz.sh guest $(or $(N),10000) $(SEED)

test: deps
	$(Q)$(MAKE) --no-print-directory linux linux-std memtest
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory fuzz
	$(Q)$(MAKE) --no-print-directory integration

# Everything make test runs, and the full sweeps it samples.
test-full: deps
	$(Q)$(MAKE) --no-print-directory linux linux-std
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory fuzz
	$(Q)$(MAKE) --no-print-directory integration-full

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
