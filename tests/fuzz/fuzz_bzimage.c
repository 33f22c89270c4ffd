/* libFuzzer harness for guest/bzimage.c (the Linux boot protocol's pure
 * part): the input is a bzImage file. bzimage_parse() must refuse it with
 * a reason or describe it consistently; for one it accepts, bzimage_place()
 * and bzimage_place_initrd() on a guest map like QEMU's with 512 MiB (Keel's
 * region already carved out) must put the kernel and a 1 MiB initrd in RAM,
 * at or above 1 MiB and below 4 GiB, apart from each other and from the
 * zero page and command line; bzimage_build_zero_page() writes only its
 * 4096 bytes (a heap block of exactly that size) and a complete e820 table. */
#include <string.h>

#include "../guest/bzimage.h"
#include "fuzz_util.h"

static const struct mem_range map[] = {
	{ 0x0, 0x9fc00, E820_RAM },
	{ 0x9fc00, 0x400, E820_RESERVED },
	{ 0xf0000, 0x10000, E820_RESERVED },
	{ 0x100000, 0x1e700000, E820_RAM },		/* up to Keel's region */
	{ 0x1fe00000, 0x1e0000, E820_RAM },		/* after it */
	{ 0x1ffe0000, 0x20000, E820_RESERVED },
	{ 0xfffc0000, 0x40000, E820_RESERVED },
};
#define NMAP ((int)(sizeof(map) / sizeof(map[0])))
#define GIB4 0x100000000ull

static bool in_ram(u64 a, u64 len)
{
	for (int i = 0; i < NMAP; i++)
		if (map[i].type == E820_RAM && a >= map[i].base && len <= map[i].len &&
		    a - map[i].base <= map[i].len - len)
			return true;
	return false;
}

static bool apart(u64 a, u64 alen, u64 b, u64 blen)
{
	return a + alen <= b || b + blen <= a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *file = malloc(size ? size : 1), *zp;
	struct bzimage_info bi;
	struct mem_range busy[2] = { { 0x20000, 0x1000, E820_RAM }, { 0x21000, 0x1000, E820_RAM } };
	char err[128];
	u64 load, initrd, initrd_size = 0x100000;

	memcpy(file, data, size);
	memset(err, 'x', sizeof(err));
	if (bzimage_parse(file, size, &bi, err, sizeof(err))) {
		FUZZ_CHECK(memchr(err, 0, sizeof(err)) && err[0], "reason not a string");
		free(file);
		return 0;
	}
	FUZZ_CHECK(bi.version >= BZ_MIN_VERSION, "version 0x%x accepted", bi.version);
	FUZZ_CHECK(bi.kernel_offset + bi.kernel_size <= size, "kernel 0x%llx+0x%llx past %zu",
		   (unsigned long long)bi.kernel_offset, (unsigned long long)bi.kernel_size, size);
	FUZZ_CHECK(bi.header_end > 0x202 && bi.header_end <= ZP_SETUP_HEADER_END, "header end 0x%x",
		   bi.header_end);
	FUZZ_CHECK(bi.kernel_alignment >= 4096 && !(bi.kernel_alignment & (bi.kernel_alignment - 1)),
		   "alignment 0x%x", bi.kernel_alignment);
	if (!bzimage_place(&bi, map, NMAP, &load, err, sizeof(err))) {
		FUZZ_CHECK(load >= 0x100000 && load < GIB4 && in_ram(load, bi.init_size),
			   "kernel at 0x%llx+0x%llx", (unsigned long long)load,
			   (unsigned long long)bi.init_size);
		if (!bzimage_place_initrd(&bi, map, NMAP, load, busy, 2, initrd_size, GIB4, &initrd,
					  err, sizeof(err))) {
			FUZZ_CHECK(in_ram(initrd, initrd_size) && initrd >= 0x100000 &&
					   initrd + initrd_size <= (u64)bi.initrd_addr_max + 1 &&
					   apart(initrd, initrd_size, load, bi.init_size) &&
					   apart(initrd, initrd_size, busy[0].base, busy[0].len) &&
					   apart(initrd, initrd_size, busy[1].base, busy[1].len),
				   "initrd at 0x%llx (kernel 0x%llx+0x%llx)", (unsigned long long)initrd,
				   (unsigned long long)load, (unsigned long long)bi.init_size);
		} else {
			initrd = 0;
			initrd_size = 0;
		}
		zp = malloc(ZP_SIZE);
		bzimage_build_zero_page(zp, file, &bi, load, busy[1].base, initrd, initrd_size, map, NMAP);
		FUZZ_CHECK(zp[ZP_E820_ENTRIES] == NMAP, "%u e820 entries", zp[ZP_E820_ENTRIES]);
		FUZZ_CHECK(zp[BZ_TYPE_OF_LOADER] == BZ_LOADER_UNDEFINED, "type_of_loader");
		FUZZ_CHECK(!(zp[BZ_LOADFLAGS] & BZ_KEEP_SEGMENTS), "KEEP_SEGMENTS left set");
		free(zp);
	} else {
		FUZZ_CHECK(memchr(err, 0, sizeof(err)) && err[0], "place: reason not a string");
	}
	free(file);
	return 0;
}
