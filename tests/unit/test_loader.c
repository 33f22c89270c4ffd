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
	u64 sizes[] = { 113, 4097 }, base, size;
	char why[LOADER_WHY_MAX];

	(void)state;
	assert_int_equal(loader_place_region(qemu_512, 3, sizes, 2, &base, &size, why,
					     sizeof(why)), 0);
	/* 4 MiB image + 64 KiB hand-off + two pages + 12 KiB + 16 MiB heap. */
	assert_int_equal(size, 22 * MIB);
	assert_int_equal(base, 0x1fe00000 - 22 * MIB);
}

static void test_region_too_big(void **state)
{
	u64 sizes[] = { 500 * MIB }, base, size;
	char why[LOADER_WHY_MAX];

	(void)state;
	assert_int_equal(loader_place_region(qemu_512, 3, sizes, 1, &base, &size, why,
					     sizeof(why)), -1);
	assert_string_equal(why, "not enough memory: Keel needs 522 MiB of RAM in one piece "
			    "between 16 MiB and 4 GiB for itself and the entry's files");
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
		cmocka_unit_test(test_image_checks),
		cmocka_unit_test(test_page_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
