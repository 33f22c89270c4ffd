#!/bin/sh
# Keel's fuzzing (tests/fuzz/README.md, docs/security.md).
#   tools/fuzz.sh build            build the libFuzzer harnesses (tests/fuzz/fuzz_*.c)
#   tools/fuzz.sh short            each harness for RUNS runs (default 20000; seconds each)
#   tools/fuzz.sh long [SECONDS]   each harness for SECONDS (default 300)
#   tools/fuzz.sh run NAME [ARGS]  one harness, with libFuzzer's own arguments
#   tools/fuzz.sh guest N [SEED]   the fuzz guest (tests/guests/fuzz_guest.asm): N
#                                  sequences per CPU mode under QEMU (AMD-V) and,
#                                  with BOCHS=1, under Bochs (VT-x); needs build/disk.img
# Harnesses are built with clang-14 -fsanitize=fuzzer,address,undefined into
# build/fuzz/; seeds in tests/fuzz/corpus/NAME/ are copied to a working corpus
# in build/fuzz/corpus/NAME/ (the tree is never written to); crashes land in
# build/fuzz/crashes/ and make this script fail.
set -e
cd "$(dirname "$0")/.."
OUT=build/fuzz
CC=${FUZZ_CC:-clang-14}
RUNS=${RUNS:-20000}
CFLAGS="-g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
-fno-omit-frame-pointer -Wall -Wextra -Werror -Ilib -Istage2"

# Each harness and the Keel sources it links.
sources() {
	case $1 in
	config) echo lib/config.c ;;
	fat) echo stage2/fat.c ;;
	multiboot) echo lib/multiboot.c lib/memmap.c ;;
	mbload) echo guest/mbload.c lib/multiboot.c lib/memmap.c lib/format.c ;;
	memmap) echo lib/memmap.c hv/gpmap.c ;;
	bzimage) echo guest/bzimage.c lib/memmap.c lib/format.c ;;
	apic) echo hv/insn.c hv/gva.c hv/ipi.c ;;
	acpi_iommu) echo iommu/acpi_iommu.c iommu/dmamap.c hv/gpmap.c lib/memmap.c ;;
	*) echo "fuzz.sh: no source list for harness '$1'" >&2; exit 2 ;;
	esac
}

harnesses() {
	for f in tests/fuzz/fuzz_*.c; do
		n=${f#tests/fuzz/fuzz_}
		echo "${n%.c}"
	done
}

need_clang() {
	if ! command -v "$CC" >/dev/null 2>&1 ||
	   ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
		tools/deps.sh clang-14 libclang-rt-14-dev
	fi
}

build() {
	need_clang
	mkdir -p "$OUT"
	for h in $(harnesses); do
		src=tests/fuzz/fuzz_$h.c
		bin=$OUT/fuzz_$h
		deps="$src tests/fuzz/fuzz_util.h $(sources "$h")"
		stale=0
		[ -x "$bin" ] || stale=1
		for d in $deps lib/*.h stage2/*.h hv/*.h iommu/*.h guest/*.h; do
			[ "$d" -nt "$bin" ] && stale=1
		done
		if [ $stale = 1 ]; then
			echo "fuzz: building $bin"
			# shellcheck disable=SC2086
			$CC $CFLAGS "$src" $(sources "$h") -o "$bin"
		fi
	done
}

corpus() {
	mkdir -p "$OUT/corpus/$1" "$OUT/crashes"
	if [ -d "tests/fuzz/corpus/$1" ]; then
		cp -n tests/fuzz/corpus/"$1"/* "$OUT/corpus/$1/" 2>/dev/null || true
	fi
	echo "$OUT/corpus/$1"
}

# run NAME libFuzzer-args...: prints one summary line per harness.
run() {
	n=$1
	shift
	dir=$(corpus "$n")
	log=$OUT/fuzz_$n.log
	if "$OUT/fuzz_$n" "$dir" -artifact_prefix="$OUT/crashes/$n-" -print_final_stats=1 \
		"$@" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
		echo "fuzz: $n: ok, ${runs:-?} runs, $cov, corpus $(ls "$dir" | wc -l) inputs"
	else
		echo "fuzz: $n: FAILED (log $log; input in $OUT/crashes/)" >&2
		grep -E 'ERROR|property failed|SUMMARY|runtime error' "$log" | head -5 >&2
		return 1
	fi
}

all() {
	fail=0
	for a in $(harnesses); do
		run "$a" "$@" || fail=1
	done
	return $fail
}

guest() {
	count=${1:?usage: tools/fuzz.sh guest N [SEED]}
	seed=${2:-$(date +%s)}
	[ -f build/disk.img ] || make --no-print-directory all
	k="fuzz_guest_qemu_svm"
	[ "${BOCHS:-0}" = 1 ] && k="$k or fuzz_guest_bochs_vmx"
	echo "fuzz: guest: $count sequences per mode, seed $seed"
	cd tests
	KEEL_FUZZ_COUNT=$count KEEL_FUZZ_SEED=$seed /usr/bin/python3 -m pytest -q -rA \
		test_security.py -k "$k"
}

case ${1:-short} in
build) build ;;
short) build && all -runs="$RUNS" ;;
long) build && all -max_total_time="${2:-300}" ;;
run) name=${2:?usage: tools/fuzz.sh run NAME [ARGS]}; shift 2; build && run "$name" "$@" ;;
guest) shift; guest "$@" ;;
*) sed -n '2,13p' "$0"; exit 2 ;;
esac
