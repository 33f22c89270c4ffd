#!/bin/sh
# Writes Keel's default KEEL.CFG to standard output (docs/config.md).
# FREEDOS: path of the FreeDOS floppy image, empty when there is none.
cat <<'CFG'
# Keel's default configuration, written by the build (tools/mkcfg.sh).
# Grammar: docs/config.md.
timeout 5
default 1

CFG
if [ -n "$FREEDOS" ]; then
	cat <<'CFG'
entry "FreeDOS"
  guest bios image=FDOS.IMG drive=0x00
  after poweroff

CFG
else
	echo "# No FreeDOS image was found (FREEDOS_IMG=...): no FreeDOS entry."
	echo
fi
cat <<'CFG'
entry "Test guest: real-mode hello"
  guest flat file=HELLO.BIN load=0x10000 mode=real
  after poweroff
CFG
