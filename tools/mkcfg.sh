#!/bin/sh
# Writes Keel's default KEEL.CFG to standard output (docs/config.md): the
# menu DESIGN.md gives `make run` -- FreeDOS, then Linux; FreeDOS alone;
# Linux alone -- with the entries whose files the build found, then a test
# guest.
# FREEDOS: path of the FreeDOS floppy image, empty when there is none.
# LINUX: non-empty when BZIMAGE and INITRD are on partition 1 (docs/linux.md).
cat <<'CFG'
# Keel's default configuration, written by the build (tools/mkcfg.sh).
# Grammar: docs/config.md. In FreeDOS, type KEELNEXT (or press
# Ctrl-Alt-Del) to go on to the next guest.
timeout 5
default 1

CFG
freedos_guest='  guest bios image=FDOS.IMG drive=0x00 console=serial'
linux_guest='  guest linux kernel=BZIMAGE initrd=INITRD cmdline="console=ttyS0"'
if [ -n "$FREEDOS" ] && [ -n "$LINUX" ]; then
	printf 'entry "FreeDOS, then Linux"\n%s\n%s\n  after poweroff\n\n' \
		"$freedos_guest" "$linux_guest"
fi
if [ -n "$FREEDOS" ]; then
	printf 'entry "FreeDOS"\n%s\n  after poweroff\n\n' "$freedos_guest"
else
	printf '# No FreeDOS image was found (FREEDOS_IMG=...): no FreeDOS entry.\n\n'
fi
if [ -n "$LINUX" ]; then
	printf 'entry "Linux"\n%s\n  after poweroff\n\n' "$linux_guest"
else
	printf '# No Linux kernel and initramfs (make linux): no Linux entry.\n\n'
fi
cat <<'CFG'
entry "Test guest: real-mode hello"
  guest flat file=HELLO.BIN load=0x10000 mode=real
  after poweroff
CFG
