#!/bin/sh
# Boot a Keel disk image under Bochs (docs/debugging.md).
#   tools/run-bochs.sh IMAGE CPU_MODEL [debug|batch]
# CPU_MODEL: a Bochs model with VMX + EPT + unrestricted guest
# (corei7_skylake_x, the default) or with SVM + NPT (zambezi).
# The screen shows in this terminal (display_library: term); COM1 goes to
# build/bochs-com1.log. With "debug", Bochs stops at its debugger prompt
# and at the magic breakpoint (xchg bx,bx) a DEBUG_ENTRY=1 build places
# right before the first VM entry. With "batch" there is no screen (rfb,
# headless): tools/keel-run reads port 0xE9 from standard output.
set -e
img=$1
model=${2:-corei7_skylake_x}
mode=${3:-run}
dir=$(dirname "$img")
rc="$dir/bochsrc.txt"
display=term
[ "$mode" = batch ] && display='rfb, options="timeout=0"'
cat > "$rc" <<RC
megs: 512
cpu: model=$model, ips=100000000
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
ata0-master: type=disk, path="$img", mode=flat
boot: disk
port_e9_hack: enabled=1
com1: enabled=1, mode=file, dev=$dir/bochs-com1.log
display_library: $display
magic_break: enabled=1
log: $dir/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
RC
rm -f "$img.lock"
if [ "$mode" = debug ]; then
	exec bochs -q -f "$rc"
fi
printf 'c\n' > "$dir/bochs-continue.rc"
exec bochs -q -f "$rc" -rc "$dir/bochs-continue.rc"
