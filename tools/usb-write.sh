#!/bin/sh
# Writes a Keel disk image to a USB stick and reads it back to check it
# (docs/hardware.md).
#   tools/usb-write.sh DEV [IMAGE]       (make usb DEV=/dev/sdX)
# DEV is the stick's whole disk (/dev/sdb, or a /dev/disk/by-id/usb-...
# link to it); IMAGE is build/disk.img by default.
#
# It refuses, with one line "usb-write: refused: ..." on stderr, status 2
# and nothing written: a DEV that is not a block device, a partition
# rather than a whole disk, the disk / or /boot lives on, a disk with a
# mounted partition or active swap, a disk the kernel does not call
# removable, a disk smaller than the image or without a medium, a DEV this
# user cannot write, and anything not confirmed (CONFIRM=yes, or "yes"
# typed on a terminal). It shows the disk's model and size before asking.
# It writes with dd (bs=4M, conv=fsync), syncs and compares the disk's
# first bytes with the image (cmp over the image's length). Status 1 with
# one line "usb-write: ..." when the write or the check fails; 0 when the
# stick holds the image.
#
# Environment, for tests (tests/test_where.py): SYS_ROOT (/sys),
# MOUNTS_FILE (/proc/mounts), SWAPS_FILE (/proc/swaps), DEV_ROOT (/dev,
# where mount sources /dev/NAME are looked up), DD (dd), CONFIRM,
# USB_WRITE_ALLOW_FILE=1 (accept a regular file as DEV; its name is looked
# up under SYS_ROOT like a disk's).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
sys=${SYS_ROOT:-/sys}
mounts=${MOUNTS_FILE:-/proc/mounts}
swaps=${SWAPS_FILE:-/proc/swaps}
devroot=${DEV_ROOT:-/dev}
dd=${DD:-dd}

refuse() {
	echo "usb-write: refused: $*; nothing was written" >&2
	exit 2
}

failed() {
	echo "usb-write: $*" >&2
	exit 1
}

# The kernel name (sdb, nvme0n1p2, dm-0) of a /dev path, or nothing.
kname() {
	case $1 in
	/dev/*) p=$devroot/${1#/dev/} ;;
	*) return 0 ;;
	esac
	p=$(readlink -f -- "$p" 2>/dev/null || echo "$p")
	basename -- "$p"
}

# The whole disks under a kernel name, one a line: a partition's disk, the
# disks under a device-mapper or md device (LVM, LUKS, RAID), or the name
# itself.
disks_of() {
	[ -n "$1" ] && [ -e "$sys/class/block/$1" ] || return 0
	if [ -d "$sys/class/block/$1/slaves" ] && [ -n "$(ls -A "$sys/class/block/$1/slaves")" ]; then
		for s in "$sys/class/block/$1/slaves"/*; do
			disks_of "$(basename -- "$s")"
		done
	elif [ -e "$sys/class/block/$1/partition" ]; then
		basename -- "$(dirname -- "$(readlink -f -- "$sys/class/block/$1")")"
	else
		echo "$1"
	fi
}

# The disks the running system lives on: those under / and /boot (and an
# EFI partition), found from the mount table and from the device number
# of / and /boot themselves (for sources such as /dev/root).
system_disks() {
	while read -r src mnt rest; do
		case $mnt in
		/ | /boot | /boot/efi | /efi) disks_of "$(kname "$src")" ;;
		esac
	done <"$mounts"
	for mnt in / /boot; do
		majmin=$(mountpoint -d "$mnt" 2>/dev/null) || continue
		[ -e "$sys/dev/block/$majmin" ] &&
			disks_of "$(basename -- "$(readlink -f -- "$sys/dev/block/$majmin")")"
	done
}

[ -n "${1:-}" ] ||
	refuse "no device given: make usb DEV=/dev/sdX (or tools/usb-write.sh DEV [IMAGE]) with the stick's whole disk; lsblk lists the disks"
dev=$1
img=${2:-$root/build/disk.img}
[ -f "$img" ] || refuse "$img is missing: run make first"

[ -e "$dev" ] || refuse "$dev does not exist (lsblk lists the disks)"
target=$(readlink -f -- "$dev")
if [ -b "$target" ]; then
	:
elif [ -f "$target" ] && [ "${USB_WRITE_ALLOW_FILE:-}" = 1 ]; then
	:
else
	refuse "$dev is not a block device: name the stick's whole disk, such as /dev/sdb"
fi
name=$(basename -- "$target")
blk=$sys/class/block/$name
[ -e "$blk" ] || refuse "$dev: the kernel lists no block device $name ($blk is missing)"

if [ -e "$blk/partition" ]; then
	disk=$(basename -- "$(dirname -- "$(readlink -f -- "$blk")")")
	refuse "$dev is partition $(cat "$blk/partition") of /dev/$disk, not a whole disk: use DEV=/dev/$disk (Keel's image holds its own partition table)"
fi

for d in $(system_disks); do
	[ "$d" = "$name" ] &&
		refuse "$dev holds the running system (/ or /boot is on it)"
done

while read -r src mnt rest; do
	for d in $(disks_of "$(kname "$src")"); do
		[ "$d" = "$name" ] &&
			refuse "$dev is in use: $src is mounted on $mnt; unmount it first (umount $src)"
	done
done <"$mounts"
if [ -r "$swaps" ]; then
	while read -r src rest; do
		for d in $(disks_of "$(kname "$src")"); do
			[ "$d" = "$name" ] && refuse "$dev is in use: $src is active swap (swapoff $src)"
		done
	done <"$swaps"
fi

removable=$(cat "$sys/block/$name/removable" 2>/dev/null || echo missing)
[ "$removable" = 1 ] ||
	refuse "$dev is not removable ($sys/block/$name/removable = $removable): it is not a USB stick or memory card; write such a disk by hand if you really mean it"

sectors=$(cat "$sys/block/$name/size" 2>/dev/null || echo 0)
bytes=$((sectors * 512))
[ "$bytes" -gt 0 ] || refuse "$dev has no medium (size 0)"
img_bytes=$(stat -L -c %s "$img")
[ "$img_bytes" -le "$bytes" ] ||
	refuse "$dev holds $bytes bytes, less than the image's $img_bytes"
[ -w "$target" ] ||
	refuse "$(id -un) cannot write $dev: run it as root (sudo tools/usb-write.sh $dev $img)"

model=$(cat "$sys/block/$name/device/vendor" "$sys/block/$name/device/model" 2>/dev/null | tr -s ' \n' '  ')
model=$(echo "$model" | sed 's/^ *//; s/ *$//')
size=$(awk -v b="$bytes" 'BEGIN { printf "%.1f GB, %.1f GiB", b / 1e9, b / 1073741824 }')
echo "usb-write: $dev is ${model:-a disk of unknown model}, $size ($bytes bytes), removable, nothing mounted"
echo "usb-write: writing $img ($img_bytes bytes) to it destroys everything on $dev"

if [ "${CONFIRM:-}" = yes ]; then
	:
elif [ -t 0 ]; then
	printf 'usb-write: type yes to write %s: ' "$dev"
	read -r answer || answer=
	[ "$answer" = yes ] || refuse "not confirmed (the answer was '$answer', not 'yes')"
else
	refuse "not confirmed: type yes on a terminal, or set CONFIRM=yes"
fi

progress=
[ -t 2 ] && progress=status=progress
# shellcheck disable=SC2086 # $progress is one word or none
"$dd" if="$img" of="$target" bs=4M conv=fsync,notrunc $progress ||
	failed "dd failed writing $dev (status $?): the stick holds part of the image and will not boot"
sync
# Read back from the disk, not from the page cache.
if [ -b "$target" ]; then
	blockdev --flushbufs "$target" 2>/dev/null || true
fi
if ! diff=$(cmp -n "$img_bytes" -- "$img" "$target" 2>&1); then
	failed "verify failed: $dev does not hold the image ($diff); write it again or use another stick"
fi
echo "usb-write: wrote and verified $img_bytes bytes on $dev; eject it (sudo eject $dev) and boot the machine from it (docs/hardware.md)"
