#!/bin/sh
# Fetches Debian's cloud kernel for the Linux guest (docs/linux.md):
#   tools/fetch-kernel.sh OUTDIR [PACKAGE]
# downloads the package with `apt-get download` (never installs it),
# unpacks it with `dpkg-deb -x` into OUTDIR/pkg, keeps only its boot/
# (bzImage, config, System.map) and copies the bzImage to OUTDIR/vmlinuz.
# Does nothing when OUTDIR/vmlinuz exists.
#
# The package is chosen in this one place: PACKAGE, else $KERNEL_PACKAGE,
# else the versioned image the metapackage $KERNEL_META depends on now.
set -eu

KERNEL_META=${KERNEL_META:-linux-image-cloud-amd64}
KERNEL_PACKAGE=${KERNEL_PACKAGE:-}

usage() {
	echo "usage: $0 OUTDIR [PACKAGE]" >&2
	exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
out=$1
[ $# -eq 2 ] && KERNEL_PACKAGE=$2

if [ -s "$out/vmlinuz" ]; then
	echo "fetch-kernel: $out/vmlinuz exists"
	exit 0
fi

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo

# apt-cache knows nothing until the package lists exist; fetch them once
# when a look-up comes back empty, never otherwise.
updated=""
apt_update() {
	[ -n "$updated" ] && return 1
	updated=1
	echo "fetch-kernel: apt-get update (package lists missing or stale)"
	$SUDO apt-get update >&2
}

resolve() {
	apt-cache depends "$KERNEL_META" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1
}

if [ -z "$KERNEL_PACKAGE" ]; then
	KERNEL_PACKAGE=$(resolve)
	if [ -z "$KERNEL_PACKAGE" ] && apt_update; then
		KERNEL_PACKAGE=$(resolve)
	fi
	if [ -z "$KERNEL_PACKAGE" ]; then
		echo "fetch-kernel: cannot resolve $KERNEL_META to a kernel package" >&2
		exit 1
	fi
fi

mkdir -p "$out"
work=$(mktemp -d "$out/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "fetch-kernel: $KERNEL_PACKAGE"
# apt-get download writes into the current directory; as root it drops
# privileges to _apt, which must be able to write there.
chmod 0777 "$work"
if ! (cd "$work" && apt-get download "$KERNEL_PACKAGE" >&2); then
	apt_update || true
	(cd "$work" && apt-get download "$KERNEL_PACKAGE" >&2) || {
		echo "fetch-kernel: apt-get download $KERNEL_PACKAGE failed" >&2
		exit 1
	}
fi

deb=$(ls "$work"/*.deb)
rm -rf "$out/pkg"
dpkg-deb -x "$deb" "$out/pkg"
# The initramfs loads no modules; the standard kernel's take 300 MB.
rm -rf "$out/pkg/lib" "$out/pkg/usr"
set -- "$out"/pkg/boot/vmlinuz-*
if [ ! -f "$1" ]; then
	echo "fetch-kernel: $deb has no boot/vmlinuz-*" >&2
	exit 1
fi
cp "$1" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "$KERNEL_PACKAGE" > "$out/vmlinuz.package"
echo "fetch-kernel: $out/vmlinuz from $(basename "$deb") ($(stat -c %s "$out/vmlinuz") bytes)"
