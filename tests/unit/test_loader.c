/* Unit tests for lib/loader.c, the part stage 2 and the EFI loader share:
 * the region's size and place, the KEEL.BIN check and the entry page
 * tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "loader.h"
#include "hvimage.h"

#define MIB (1ull << 20)

static const struct mem_range qemu_512[] = {
	{ 0x0, 0x9fc00, E820_RAM },
	{ 0x100000, 0x1fee0000, E820_RAM },
	{ 0x1ffe0000, 0x20000, E820_RESERVED },
};

static void test_region_at_top_of_ram(void **state)
{
	struct region_plan p = { .image_mem = 217088, .cpus = 1, .files = 4096 + 8192, .nfiles = 2 };
	char why[LOADER_WHY_MAX];

	(void)state;
	assert_int_equal(loader_place_region(&p, qemu_512, 3, why, sizeof(why)), 0);
	/* lib/region.c's budget, well under 2 MiB, rounded up to 2 MiB. */
	assert_int_equal(p.size, 2 * MIB);
	assert_int_equal(p.base, 0x1fe00000 - 2 * MIB);
	assert_int_equal(p.files_at, p.base + p.size - p.files);
}

static void test_region_too_big(void **state)
{
	struct region_plan p = { .image_mem = 217088, .cpus = 1, .files = 500 * MIB, .nfiles = 1 };
	char why[LOADER_WHY_MAX];

	(void)state;
	assert_int_equal(loader_place_region(&p, qemu_512, 3, why, sizeof(why)), -1);
	assert_string_equal(why, "not enough memory: Keel needs 502 MiB of RAM in one piece "
			    "between 16 MiB and 4 GiB for itself and the entry's files");
}

/* The files at the top of the region, the one whose last guest runs first
 * topmost (hv/guest.c gives them back from the top). */
static void test_files_at_the_top(void **state)
{
	static struct config cfg;
	struct cfg_error err;
	const char *text = "entry e\n"
			   "guest bios image=A.IMG\n"
			   "guest linux kernel=K initrd=I\n"
			   "guest flat file=A.IMG load=0x10000\n";
	const char *names[4];
	u64 sizes[] = { 4096, 10000, 1 }, addrs[3];
	int n;

	(void)state;
	assert_int_equal(cfg_parse(text, strlen(text), &cfg, &err), 0);
	n = cfg_entry_files(&cfg.entries[0], names, 4);
	assert_int_equal(n, 3);                    /* A.IMG, K, I */
	loader_place_files(&cfg.entries[0], names, sizes, n, 0x1000000, addrs);
	/* K and I (last used by guest 2) on top, A.IMG (guest 3) below. */
	assert_int_equal(addrs[1], 0x1000000 - 12288);
	assert_int_equal(addrs[2], 0x1000000 - 12288 - 4096);
	assert_int_equal(addrs[0], 0x1000000 - 12288 - 4096 - 4096);
}

static u32 *good_image(u32 words)
{
	u32 *w = calloc(words, 4), sum = 0;
	struct hv_image_header *h = (void *)w;

	h->magic0 = HV_IMAGE_MAGIC0;
	h->magic1 = HV_IMAGE_MAGIC1;
	h->file_size = words * 4;
	h->mem_size = words * 4 + 4096;
	h->entry_offset = 64;
	h->virt_base = HV_VIRT_BASE;
	for (u32 i = 0; i < words; i++)
		sum += w[i];
	h->checksum = 0 - sum;
	return w;
}

static void test_image_checks(void **state)
{
	char why[LOADER_WHY_MAX];
	u32 *w = good_image(256);

	(void)state;
	assert_int_equal(loader_check_image(w, 1024, why, sizeof(why)), 0);
	assert_int_equal(loader_check_image(w, 512, why, sizeof(why)), -1);
	assert_string_equal(why, "KEEL.BIN: corrupt header (file 512 bytes, header says 1024)");
	w[100] ^= 1;
	assert_int_equal(loader_check_image(w, 1024, why, sizeof(why)), -1);
	assert_string_equal(why, "KEEL.BIN: checksum mismatch: the file is corrupt");
	w[0] = 0;
	assert_int_equal(loader_check_image(w, 1024, why, sizeof(why)), -1);
	assert_string_equal(why, "KEEL.BIN: not a Keel hypervisor image (bad magic)");
	assert_int_equal(loader_check_image(w, 8, why, sizeof(why)), -1);
	free(w);
}

static void test_page_tables(void **state)
{
	u64 *pt = aligned_alloc(4096, LOADER_PT_PAGES * 4096);

	(void)state;
	memset(pt, 0xAA, LOADER_PT_PAGES * 4096);
	loader_page_tables(pt, 0x30000, 0x1e800000, 22 * MIB);
	assert_int_equal(pt[0], 0x31000 | 3);                      /* PML4[0] */
	assert_int_equal(pt[511], 0x36000 | 3);                    /* PML4[511] */
	assert_int_equal(pt[512 + 3], 0x35000 | 3);                /* PDPT: fourth GiB */
	assert_int_equal(pt[1024 + 2047], 0xffe00000 | 0x83);     /* the last 2 MiB below 4 GiB */
	assert_int_equal(pt[3072 + 510], 0x37000 | 3);             /* HV_VIRT_BASE's PD */
	assert_int_equal(pt[3584], 0x1e800000 | 0x83);
	assert_int_equal(pt[3584 + 10], 0x1e800000 + 20 * MIB + 0x83);
	assert_int_equal(pt[3584 + 11], 0);                        /* the region ends */
	free(pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_region_at_top_of_ram),
		cmocka_unit_test(test_region_too_big),
		cmocka_unit_test(test_files_at_the_top),
		cmocka_unit_test(test_image_checks),
		cmocka_unit_test(test_page_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
