# The disk image layout, and nothing else (docs/disk.md):
#   LBA 0          MBR (boot/mbr.asm) with a partition table of one entry
#   LBA 1-2047     stage 2 (the MBR loads STAGE2_SECTORS of it)
#   LBA 2048-...   partition 1, FAT16, type 0x0E: KEEL.CFG, KEEL.BIN, guest files,
#                  and \EFI\BOOT\BOOTX64.EFI, the way in on UEFI firmware
# Users may add partitions of their own after partition 1.

DISK_MIB := 128
PART1_LBA := 2048
PART1_SECTORS := $(shell echo $$(( ($(DISK_MIB) << 11) - $(PART1_LBA) )))
PART1_TYPE := 0x0E

# The FreeDOS floppy image beside the project, or the user's own.
FREEDOS_IMG ?= $(firstword $(wildcard ../shared/guests/freedos/freedos-1.44M.img))

# Files that go onto partition 1 besides KEEL.BIN and KEEL.CFG: pairs of
# source path and 8.3 name. Guest issues add to this list.
PART1_FILES :=
ifneq ($(FREEDOS_IMG),)
PART1_FILES += $(BUILD)/FDOS.IMG:FDOS.IMG
endif

# KEELNEXT.COM (guest/keelnext.asm): the DOS program that ends a BIOS guest
# and starts the next one (hypercall 3). It goes onto partition 1 for users
# and into the FreeDOS image the default entry boots.
$(BUILD)/guest/KEELNEXT.COM: guest/keelnext.asm
	@mkdir -p $(@D)
	$(Q)$(NASM) -f bin $< -o $@

PART1_FILES += $(BUILD)/guest/KEELNEXT.COM:KEELNEXT.COM

# The FreeDOS image with KEELNEXT.COM added; the original is never changed.
$(BUILD)/FDOS.IMG: $(FREEDOS_IMG) $(BUILD)/guest/KEELNEXT.COM
	@mkdir -p $(@D)
	$(Q)cp $(FREEDOS_IMG) $@
	$(Q)chmod u+w $@
	$(Q)MTOOLS_SKIP_CHECK=1 mcopy -o -i $@ $(BUILD)/guest/KEELNEXT.COM ::KEELNEXT.COM
# The Linux guest's kernel and initramfs (docs/linux.md), when present:
# `make linux` fetches and builds them; LINUX_BZIMAGE= and LINUX_INITRD=
# name your own. `make run` and `make test` run `make linux` first.
LINUX_BZIMAGE ?= $(BUILD)/linux/vmlinuz
LINUX_INITRD ?= $(BUILD)/linux/initrd.gz
ifneq ($(wildcard $(LINUX_BZIMAGE)),)
PART1_FILES += $(LINUX_BZIMAGE):BZIMAGE
endif
ifneq ($(wildcard $(LINUX_INITRD)),)
PART1_FILES += $(LINUX_INITRD):INITRD
endif
PART1_FILES += $(EXTRA_PART1_FILES)

# Test guests (tests/guests/*.asm, flat binaries) for the default entry and
# the integration tests.
$(BUILD)/guests/%.bin: tests/guests/%.asm tests/guests/hypercall.inc $(wildcard tests/guests/*.inc)
	@mkdir -p $(@D)
	$(Q)$(NASM) -f bin -I tests/guests/ $< -o $@

PART1_FILES += $(BUILD)/guests/hello_real.bin:HELLO.BIN

$(BUILD)/KEEL.CFG: tools/mkcfg.sh disk.img.mk $(wildcard $(LINUX_BZIMAGE) $(LINUX_INITRD))
	@mkdir -p $(@D)
	$(Q)FREEDOS="$(FREEDOS_IMG)" LINUX="$(if $(wildcard $(LINUX_BZIMAGE)),$(wildcard $(LINUX_INITRD)))" \
		tools/mkcfg.sh > $@

# tools/keel-image lays the image out (docs/image-tool.md): the MBR and
# stage 2 before partition 1, which it formats (FAT16, label KEEL) where
# the MBR's partition table says, then KEEL.BIN, KEEL.CFG (checked by
# Keel's own parser first) and PART1_FILES. The EFI loader goes into
# \EFI\BOOT on partition 1 before the image takes its name.
PART1_MTOOLS = MTOOLS_SKIP_CHECK=1
$(BUILD)/disk.img: $(BUILD)/boot/mbr.bin $(BUILD)/stage2.bin $(BUILD)/KEEL.BIN $(BUILD)/KEEL.CFG \
		$(BUILD)/BOOTX64.EFI $(foreach f,$(PART1_FILES),$(firstword $(subst :, ,$(f)))) \
		$(BUILD)/tools/keel-cfgcheck tools/keel-image disk.img.mk
	$(Q)KEEL_CFGCHECK=$(BUILD)/tools/keel-cfgcheck $(PYTHON) tools/keel-image create --force \
		--quiet $@.new --mbr $(BUILD)/boot/mbr.bin --stage2 $(BUILD)/stage2.bin \
		--keel $(BUILD)/KEEL.BIN $(BUILD)/KEEL.CFG:KEEL.CFG $(PART1_FILES)
	$(Q)$(PART1_MTOOLS) mmd -i $@.new@@$$(($(PART1_LBA) * 512)) ::EFI ::EFI/BOOT
	$(Q)$(PART1_MTOOLS) mcopy -i $@.new@@$$(($(PART1_LBA) * 512)) $(BUILD)/BOOTX64.EFI \
		::EFI/BOOT/BOOTX64.EFI
	$(Q)test $$(stat -c %s $@.new) -eq $$(($(DISK_MIB) << 20)) || \
		{ echo "$@: not $(DISK_MIB) MiB" >&2; rm -f $@.new; exit 1; }
	$(Q)mv $@.new $@
	@echo "built $@ ($(DISK_MIB) MiB; partition 1 at LBA $(PART1_LBA), FAT16)"
