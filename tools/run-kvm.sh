#!/bin/sh
# Boot a Keel disk image under QEMU with KVM, nested virtualization on
# (docs/kvm.md).
#   tools/run-kvm.sh [IMAGE]     QEMU -enable-kvm -cpu host on IMAGE
#                                (build/disk.img by default)
#   tools/run-kvm.sh --check     only the checks below
# Before QEMU starts it checks, in this order, that /dev/kvm exists, that
# this user can open it, that the host CPU is GenuineIntel or AuthenticAMD
# and shows vmx or svm, that kvm_intel or kvm_amd is loaded, and that its
# nested parameter is Y or 1. The first piece missing prints one line
# "run-kvm: ..." saying how to get it, and the status is 2. Otherwise the
# status is QEMU's (1 when Keel powers off with code 0, as in make run).
# The devices are those of make run: Keel's log goes to keel.log beside
# the image (QEMU's debug console, port 0xE9), COM1 and the monitor to this
# terminal (Ctrl-A X quits).
# Environment, for tests (tests/test_where.py): KVM_DEV (/dev/kvm),
# SYSFS_ROOT (/sys), CPUINFO (/proc/cpuinfo), QEMU_BIN
# (qemu-system-x86_64), KEEL_LOG (IMAGE's directory/keel.log).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
kvm=${KVM_DEV:-/dev/kvm}
sysfs=${SYSFS_ROOT:-/sys}
cpuinfo=${CPUINFO:-/proc/cpuinfo}
qemu=${QEMU_BIN:-qemu-system-x86_64}

fail() {
	echo "run-kvm: $*" >&2
	exit 2
}

check_only=no
if [ "${1:-}" = --check ]; then
	check_only=yes
	shift
fi
img=${1:-$root/build/disk.img}

# The vendor first, so that every message can name the right module.
vendor=$(sed -n 's/^vendor_id[[:space:]]*:[[:space:]]*//p' "$cpuinfo" 2>/dev/null | head -n 1)
case $vendor in
GenuineIntel) mod=kvm_intel ext="VT-x" flag=vmx ;;
AuthenticAMD) mod=kvm_amd ext="AMD-V (SVM)" flag=svm ;;
*) mod='' ext='' flag='' ;;
esac
if [ -n "$mod" ]; then
	howto="enable $ext in the firmware setup, then: sudo modprobe $mod"
else
	howto="enable VT-x or AMD-V in the firmware setup, then: sudo modprobe kvm_intel (Intel) or sudo modprobe kvm_amd (AMD)"
fi

[ -e "$kvm" ] || fail "$kvm is missing: KVM is off; $howto"

# Open it the way QEMU will (read-write); root passes whatever the mode.
if ! (exec 3<>"$kvm") 2>/dev/null; then
	user=$(id -un 2>/dev/null || echo "${USER:-?}")
	mode=$(stat -L -c '%A %U:%G' "$kvm" 2>/dev/null)
	case $mode in
	*:kvm) fail "$kvm is not usable by $user ($mode): add yourself to group kvm (sudo usermod -aG kvm $user), then log in again" ;;
	*) fail "$kvm is not usable by $user ($mode): give it group kvm and mode 660 (sudo chgrp kvm $kvm; sudo chmod 660 $kvm; udev's rule for it comes with the qemu-system packages) and add yourself to group kvm (sudo usermod -aG kvm $user), then log in again" ;;
	esac
fi

[ -n "$mod" ] || fail "host CPU vendor '${vendor:-unknown}' (from $cpuinfo) is neither GenuineIntel nor AuthenticAMD: Keel needs VT-x or AMD-V"

# A host that is itself a VM shows the flag only if its own hypervisor
# passes VT-x/AMD-V through; /dev/kvm may then come from another module.
grep -qw "$flag" "$cpuinfo" ||
	fail "the host CPU shows no $flag flag in $cpuinfo: $ext is off in the firmware setup, or this host is a VM without nested virtualization (its /dev/kvm cannot run Keel)"

param=$sysfs/module/$mod/parameters/nested
[ -d "$sysfs/module/$mod" ] || fail "$mod is not loaded ($sysfs/module/$mod is missing): sudo modprobe $mod"
[ -r "$param" ] || fail "$param is missing: this $mod has no nested virtualization; a newer kernel is needed"
nested=$(cat "$param")
case $nested in
Y | y | 1) ;;
*) fail "nested virtualization is off ($param = $nested): as root, echo \"options $mod nested=1\" > /etc/modprobe.d/kvm-nested.conf, stop every VM, then modprobe -r $mod && modprobe $mod" ;;
esac

[ "$check_only" = yes ] && exit 0

[ -f "$img" ] || fail "$img is missing: run make first"
command -v "$qemu" >/dev/null 2>&1 || fail "$qemu not found: sudo apt-get install qemu-system-x86"

log=${KEEL_LOG:-$(dirname "$img")/keel.log}
exec "$qemu" -enable-kvm -cpu host -m 1024 -no-reboot \
	-drive "file=$img,format=raw,if=ide" \
	-debugcon "file:$log" -device isa-debug-exit,iobase=0xf4,iosize=4 \
	-display none -serial mon:stdio
