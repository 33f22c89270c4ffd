#!/bin/sh
# Builds the Linux guest's initramfs (docs/linux.md):
#   tools/mkinitramfs.sh OUT
# a gzip'd newc cpio with a static busybox (package busybox-static) and an
# /init script. Needs neither root nor mounts: the tree is built in a
# temporary directory, archived with `cpio -o -H newc -R 0:0`, and the one
# device node the kernel needs before /init runs (/dev/console) is added
# as a second, hand-written cpio archive (the kernel unpacks archives one
# after another; Documentation/driver-api/early-userspace/buffer-format.rst).
#
# /init mounts /proc, /sys and devtmpfs, prints KEEL-LINUX-MARKER on the
# console and then, with keeltest=1 (or keeltest=reboot) on the kernel
# command line, prints what tests/test_linux.py checks (and, with
# keeldisk=DEV, a checksum of DEV's first MiB), runs /keel-hook if a
# test added one (tests/linux_hook.py), and powers off (or reboots);
# keeltest=smp adds the CPU count and two busy shells at once
# (tests/test_smp.py); without it, it hands over to busybox init
# (/etc/inittab), which keeps a shell on the console and carries out
# `poweroff` and `reboot` (a shell as PID 1 would ignore the signals
# those send).
set -eu

BUSYBOX=${BUSYBOX:-/bin/busybox}

[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
out=$1

if [ ! -x "$BUSYBOX" ] || ! "$BUSYBOX" --list >/dev/null 2>&1; then
	echo "mkinitramfs: $BUSYBOX missing (apt-get install busybox-static)" >&2
	exit 1
fi
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	echo "mkinitramfs: $BUSYBOX is dynamically linked; the static one is in busybox-static" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
	"$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/root" "$root/etc"
cp "$BUSYBOX" "$root/bin/busybox"
# Every applet, as a relative symlink where busybox would install it.
"$BUSYBOX" --list-full | while read -r app; do
	[ "$app" = bin/busybox ] && continue
	case "$app" in
	bin/*) up=busybox ;;
	*/*/*) up=../../bin/busybox ;;
	*) up=../bin/busybox ;;
	esac
	ln -sf "$up" "$root/$app"
done

cat > "$root/init" <<'INIT'
#!/bin/sh
# Keel's test initramfs (tools/mkinitramfs.sh, docs/linux.md).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "KEEL-LINUX-MARKER"
echo "KEEL-UPTIME: $(cut -d' ' -f1 /proc/uptime)"

keeltest=
keelwork=
keeldisk=
keelbusy=200000
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	keeltest=*) keeltest=${arg#keeltest=} ;;
	keelwork=*) keelwork=${arg#keelwork=} ;;
	keeldisk=*) keeldisk=${arg#keeldisk=} ;;
	keelbusy=*) keelbusy=${arg#keelbusy=} ;;
	esac
done

# keelwork=N or NxR: a CPU- and memory-bound job for `make bench` (the
# guest's own speed, docs/performance.md): N MiB of text in tmpfs (busybox
# in base64, over and over: gzip's 32 KiB window never sees the repeats),
# compressed and hashed, R times (default 1); the host times each BEGIN to
# END on the console.
if [ -n "$keelwork" ]; then
	reps=1
	case "$keelwork" in
	*x*) reps=${keelwork#*x}; keelwork=${keelwork%x*} ;;
	esac
	mkdir -p /work
	mount -t tmpfs -o size=$((keelwork * 3))m tmpfs /work
	base64 /bin/busybox > /work/piece
	while [ "$(stat -c %s /work/data 2>/dev/null || echo 0)" -lt $((keelwork << 20)) ]; do
		cat /work/piece >> /work/data
	done
	truncate -s $((keelwork << 20)) /work/data
	i=1
	while [ "$i" -le "$reps" ]; do
		echo "KEEL-WORK-BEGIN $i/$reps $keelwork MiB"
		t0=$(cut -d' ' -f1 /proc/uptime)
		gzip -c /work/data > /work/data.gz
		sum=$(cat /work/data /work/data.gz | sha256sum)
		t1=$(cut -d' ' -f1 /proc/uptime)
		echo "KEEL-WORK-END $i/$reps ${sum%% *}"
		echo "KEEL-WORK-SECONDS: $t0 $t1"
		rm -f /work/data.gz
		i=$((i + 1))
	done
	rm -f /work/data /work/piece
fi

# keeltest=smp: how many CPUs Linux brought up, and two CPU-bound shells
# at once (keelbusy=N rounds each, 200000 unless given): the user time of
# all CPUs and of each against the wall time (about 2 with two CPUs running
# them side by side; /proc/stat counts USER_HZ ticks, hundredths of a second).
busy() {
	i=0
	while [ "$i" -lt "$1" ]; do i=$((i + 1)); done
}
user_ticks() {
	awk '/^cpu/ { print $1, $2 + $3 }' /proc/stat
}
if [ "$keeltest" = smp ]; then
	echo "KEEL-CPUS: $(grep -c '^processor' /proc/cpuinfo)"
	user_ticks > /tmp/u0; w0=$(cut -d' ' -f1 /proc/uptime | tr -d .)
	busy "$keelbusy" & busy "$keelbusy" & wait
	user_ticks > /tmp/u1; w1=$(cut -d' ' -f1 /proc/uptime | tr -d .)
	echo "KEEL-BUSY: wall=$((w1 - w0))$(awk 'NR == FNR { t[$1] = $2; next }
		{ printf " %s=%d", $1 == "cpu" ? "user" : $1, $2 - t[$1] }' /tmp/u0 /tmp/u1)"
fi

if [ -n "$keeltest" ]; then
	echo "KEEL-CPU-FLAGS: $(sed -n 's/^flags[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)"
	echo "KEEL-IOMEM-BEGIN"
	cat /proc/iomem
	echo "KEEL-IOMEM-END"
	echo "KEEL-E820-BEGIN"
	dmesg | grep -i 'e820'
	echo "KEEL-E820-END"
	echo "KEEL-ACPI-TABLES: $(ls /sys/firmware/acpi/tables | tr '\n' ' ')"
	# keeldisk=DEV: the MD5 of DEV's first MiB, read with the disk
	# driver's own DMA (tests/test_iommu.py); the driver probes it
	# in the background, so wait for its node.
	if [ -n "$keeldisk" ]; then
		i=0
		while [ ! -b "/dev/$keeldisk" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		echo "KEEL-DISK: $keeldisk $(dd if="/dev/$keeldisk" bs=64k count=16 2>/dev/null | md5sum | cut -d' ' -f1)"
	fi
	# A test may append an archive holding /keel-hook (the kernel
	# unpacks concatenated archives in turn): it runs here.
	if [ -x /keel-hook ]; then
		/keel-hook
	fi
	# The console drains what was written here through the UART's
	# interrupts, while the kernel's own shutdown lines go out at once:
	# let it drain, or they land in the middle of these lines.
	sleep 1
	if [ "$keeltest" = reboot ]; then
		echo "KEEL-REBOOT"
		reboot -f
	fi
	echo "KEEL-POWEROFF"
	poweroff -f
	sleep 5
fi

echo "Keel test initramfs: busybox shell on the console; 'poweroff' to stop."
exec /sbin/init
INIT
chmod 0755 "$root/init"

# busybox init: a shell on the console (cttyhack makes the serial line its
# controlling terminal, for job control and Ctrl-C), started again when it
# exits; `poweroff`, `reboot` and Ctrl-Alt-Del end the system cleanly.
cat > "$root/etc/inittab" <<'INITTAB'
::respawn:/bin/cttyhack /bin/sh
::ctrlaltdel:/sbin/reboot
INITTAB

# One newc header (buffer-format.rst): magic, then 13 fields of 8 hex
# digits, then the name and its NUL padded to a multiple of 4 bytes.
newc() { # name mode rdevmajor rdevminor
	namesize=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 "$2" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0
	printf '%s\000' "$1"
	pad=$(((4 - (110 + namesize) % 4) % 4))
	while [ "$pad" -gt 0 ]; do printf '\000'; pad=$((pad - 1)); done
}

(
	cd "$root"
	find . -mindepth 1 | LC_ALL=C sort | sed 's|^\./||' |
		cpio -o -H newc -R 0:0 --reproducible --quiet
	newc dev/console $((0020600)) 5 1
	newc TRAILER!!! 0 0 0
) | gzip -9 -n > "$tmp/initrd.gz"

mkdir -p "$(dirname "$out")"
mv "$tmp/initrd.gz" "$out"
echo "mkinitramfs: $out ($(stat -c %s "$out") bytes)"
