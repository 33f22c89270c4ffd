#!/bin/sh
# Fetches Debian's memtest86+ for the bzImage loader's tests (docs/linux.md):
#   tools/fetch-memtest.sh OUTDIR
# downloads the package with `apt-get download` (never installs it) and
# takes its 64-bit bzImage, boot/memtest86+x64.bin, out of the package with
# dpkg-deb into OUTDIR/memtest86+x64.bin. Only that file is unpacked: the
# package's etc/grub.d directory would look like a dependency file to the
# Makefile's `find build -name '*.d'`. Does nothing when the file exists.
set -eu

PACKAGE=${MEMTEST_PACKAGE:-memtest86+}
FILE=memtest86+x64.bin

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1

if [ -s "$out/$FILE" ]; then
	echo "fetch-memtest: $out/$FILE exists"
	exit 0
fi

mkdir -p "$out"
work=$(mktemp -d "$out/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
# apt-get download writes into the current directory; as root it drops
# privileges to _apt, which must be able to write there.
chmod 0777 "$work"
if ! (cd "$work" && apt-get download "$PACKAGE" >&2); then
	echo "fetch-memtest: apt-get download $PACKAGE failed (apt-get update first?)" >&2
	exit 1
fi
deb=$(ls "$work"/*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" "./boot/$FILE" || {
	echo "fetch-memtest: $deb has no boot/$FILE" >&2
	exit 1
}
mv "$work/boot/$FILE" "$out/$FILE"
echo "fetch-memtest: $out/$FILE from $(basename "$deb") ($(stat -c %s "$out/$FILE") bytes)"
