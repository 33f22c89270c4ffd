/* Unit tests for the IOMMU's tables: the VT-d second-level and AMD-Vi
 * I/O page-table formats driving hv/ptbuild.c (iommu/vtd_tables.c,
 * iommu/amdvi_tables.c), VT-d root and context entries, AMD-Vi device
 * table entries and commands, the fault decoders, and the DMA map
 * (iommu/dmamap.c). Tables come from a pool of host pages that pretends
 * to sit at physical POOL_PHYS; every check walks what was built. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "string.h"
#include "memmap.h"
#include "../../hv/ptbuild.h"
#include "../../iommu/vtd.h"
#include "../../iommu/amdvi.h"
#include "../../iommu/dmamap.h"

int strcmp(const char *a, const char *b);

#define POOL_PAGES	2200u	/* 4 GiB in 4 KiB pages needs about 2,060 */
#define REGION		0x1e800000ull
#define REGION_SIZE	MiB(22)
#define MAP_MAX		64

#include "page_pool.h"

static int setup(void **state)
{
	(void)state;
	pool_mem = malloc(POOL_PAGES * PG);
	pool_used = 0;
	return pool_mem ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(pool_mem);
	return 0;
}

/* QEMU q35 -m 512 (SeaBIOS), as Keel logs it. */
static const struct mem_range q35_512[] = {
	{ 0x0, 0x9fc00, E820_RAM },
	{ 0x9fc00, 0x400, E820_RESERVED },
	{ 0xf0000, 0x10000, E820_RESERVED },
	{ 0x100000, 0x1fedf000, E820_RAM },
	{ 0x1ffdf000, 0x21000, E820_RESERVED },
	{ 0xb0000000, 0x10000000, E820_RESERVED },
	{ 0xfed1c000, 0x4000, E820_RESERVED },
	{ 0xfffc0000, 0x40000, E820_RESERVED },
	{ 0xfd00000000ull, 0x300000000ull, E820_RESERVED },
};

static struct iommu_acpi acpi_one_unit(u64 base, u64 size)
{
	struct iommu_acpi a;

	memset(&a, 0, sizeof(a));
	a.nunits = 1;
	a.unit[0].base = base;
	a.unit[0].size = size;
	return a;
}

static bool mapped(const struct pt_builder *b, u64 a)
{
	return pt_walk(b, a, NULL, NULL, NULL) == 0;
}

/* Identity, with the expected leaf size at the start of each range. */
static void expect_identity(const struct pt_builder *b, const struct pt_range *r, int n)
{
	for (int i = 0; i < n; i++) {
		u64 probe[] = { r[i].base, r[i].base + r[i].len / 2, r[i].base + r[i].len - 1 };

		for (unsigned k = 0; k < 3; k++) {
			hpa_t pa;

			if (pt_walk(b, probe[k], &pa, NULL, NULL))
				fail_msg("%#llx (range %d) not mapped", (unsigned long long)probe[k], i);
			assert_int_equal(pa, probe[k]);
		}
	}
}

static int build(struct pt_builder *b, const struct pt_format *f, struct pt_range *r, int *n)
{
	struct iommu_acpi a = acpi_one_unit(0xfed90000, PG);
	int refused;

	*n = dmamap_build(q35_512, 9, REGION, REGION_SIZE, GiB(512), &a, r, MAP_MAX, &refused);
	assert_true(*n > 0);
	assert_int_equal(pt_init(b, f, pool_alloc, pool_ptr, NULL), 0);
	return pt_map_ranges(b, r, *n);
}

/* Second-level entries (VT-d spec 9.8): R and W in every entry that maps
 * something, PS in large leaves only, nothing else beside the address. */
static void check_vtd_entries(const struct pt_builder *b, const u64 *t, int level)
{
	for (int i = 0; i < 512; i++) {
		u64 e = t[i];

		if (!e)
			continue;
		assert_int_equal(e & (VTD_SL_R | VTD_SL_W), VTD_SL_R | VTD_SL_W);
		assert_int_equal(e & ~(VTD_ADDR_MASK | VTD_SL_R | VTD_SL_W | VTD_SL_PS), 0);
		if (level == 4 || (level > 1 && !(e & VTD_SL_PS)))
			check_vtd_entries(b, pool_ptr(e & VTD_ADDR_MASK, NULL), level - 1);
		else if (level > 1)
			assert_int_equal(e & ((PG << (9 * (level - 1))) - 1) & VTD_ADDR_MASK, 0);
	}
}

static void test_vtd_tables(void **state)
{
	struct pt_range r[MAP_MAX];
	struct pt_format narrow = vtd_sl_format;
	struct pt_builder b;
	int n, level;

	(void)state;
	assert_int_equal(build(&b, &vtd_sl_format, r, &n), 0);
	expect_identity(&b, r, n);
	check_vtd_entries(&b, pool_ptr(b.root, NULL), 4);
	assert_false(mapped(&b, REGION));
	assert_false(mapped(&b, REGION + REGION_SIZE - 1));
	assert_true(mapped(&b, REGION - 1));
	assert_true(mapped(&b, REGION + REGION_SIZE));
	assert_false(mapped(&b, 0xfed90000));
	assert_true(mapped(&b, 0xfed8f000));
	assert_false(mapped(&b, GiB(4)));
	/* A 1 GiB leaf for the second gigabyte (a hole below the PCI
	 * window, all of it mapped), 2 MiB ones beside the registers. */
	assert_int_equal(pt_walk(&b, GiB(1), NULL, &level, NULL), 0);
	assert_int_equal(level, 3);
	assert_int_equal(pt_walk(&b, 0xfe000000, NULL, &level, NULL), 0);
	assert_int_equal(level, 2);
	print_message("vt-d, 2 MiB and 1 GiB pages: %d ranges, %u tables\n", n, b.tables);

	/* A unit without large pages (CAP.SLLPS clear): 4 KiB leaves only. */
	pool_used = 0;
	narrow.large_2m = narrow.large_1g = false;
	assert_int_equal(build(&b, &narrow, r, &n), 0);
	expect_identity(&b, r, n);
	check_vtd_entries(&b, pool_ptr(b.root, NULL), 4);
	assert_int_equal(pt_walk(&b, GiB(1), NULL, &level, NULL), 0);
	assert_int_equal(level, 1);
	assert_int_equal(pt_walk(&b, MiB(64), NULL, &level, NULL), 0);
	assert_int_equal(level, 1);
	print_message("vt-d, 4 KiB pages only: %u tables\n", b.tables);
}

/* AMD-Vi entries (2.2.3): PR, IR, IW everywhere; a directory entry names
 * the level of the table it points at; a leaf has next level 0 and FC. */
static void check_amdvi_entries(const u64 *t, int level)
{
	for (int i = 0; i < 512; i++) {
		u64 e = t[i];

		if (!e)
			continue;
		assert_int_equal(e & (AMDVI_PTE_PR | AMDVI_PTE_IR | AMDVI_PTE_IW),
				 AMDVI_PTE_PR | AMDVI_PTE_IR | AMDVI_PTE_IW);
		if (AMDVI_PTE_NEXT_LEVEL(e)) {
			assert_int_equal(AMDVI_PTE_NEXT_LEVEL(e), level - 1);
			assert_false(e & AMDVI_PTE_FC);
			check_amdvi_entries(pool_ptr(e & AMDVI_ADDR_MASK, NULL), level - 1);
		} else {
			assert_true(level <= 2);
			assert_true(e & AMDVI_PTE_FC);
		}
		assert_int_equal(e & ~(AMDVI_ADDR_MASK | AMDVI_PTE_PR | AMDVI_PTE_IR | AMDVI_PTE_IW |
				       AMDVI_PTE_FC | (7ull << 9)), 0);
	}
}

static void test_amdvi_tables(void **state)
{
	struct pt_range r[MAP_MAX];
	struct pt_builder b;
	int n, level;
	u64 e;

	(void)state;
	assert_int_equal(build(&b, &amdvi_pt_format, r, &n), 0);
	expect_identity(&b, r, n);
	check_amdvi_entries(pool_ptr(b.root, NULL), 4);
	assert_false(mapped(&b, REGION + MiB(2)));
	assert_int_equal(pt_walk(&b, MiB(64), NULL, &level, &e), 0);
	assert_int_equal(level, 2);
	/* A denying entry is present, names a table, and allows nothing. */
	e = amdvi_deny_entry(0x5000);
	assert_true(amdvi_pt_format.present(e));
	assert_false(amdvi_pt_format.is_leaf(e, 2));
	assert_false(e & (AMDVI_PTE_IR | AMDVI_PTE_IW));
	assert_int_equal(e & AMDVI_ADDR_MASK, 0x5000);
	print_message("amd-vi, 2 MiB pages: %d ranges, %u tables\n", n, b.tables);
}

static void test_vtd_root_and_context(void **state)
{
	static u64 root[512], ctx[512];

	(void)state;
	vtd_fill_root(root, 0x7000);
	vtd_fill_context(ctx, 0x8000, VTD_AW_3LEVEL);
	for (int i = 0; i < 256; i++) {
		assert_int_equal(root[2 * i], 0x7000 | VTD_ENTRY_P);
		assert_int_equal(root[2 * i + 1], 0);
		/* P, FPD clear, TT 00b, the table; AW and domain 1 above. */
		assert_int_equal(ctx[2 * i], 0x8000 | VTD_ENTRY_P);
		assert_int_equal(ctx[2 * i + 1], VTD_AW_3LEVEL | (u64)VTD_DOMAIN << 8);
	}
}

static void test_amdvi_dte_and_commands(void **state)
{
	u64 dte[4], cmd[2];

	(void)state;
	amdvi_fill_dte(dte, 0x123456000ull, 4);
	/* V, TV, mode 4, the root, IR, IW; domain 1; IV clear. */
	assert_int_equal(dte[0], 0x3ull | 4ull << 9 | 0x123456000ull | 3ull << 61);
	assert_int_equal(dte[1], AMDVI_DOMAIN);
	assert_int_equal(dte[2], 0);
	assert_int_equal(dte[3], 0);
	amdvi_cmd_completion_wait(cmd, 0x1ec2f008, 1);
	assert_int_equal(cmd[0] >> 60, AMDVI_CMD_COMPLETION_WAIT);
	assert_int_equal(cmd[0] & 7, 1);		/* S, not I or F */
	assert_int_equal(cmd[0] & 0x000FFFFFFFFFFFF8ull, 0x1ec2f008);
	assert_int_equal(cmd[1], 1);
	amdvi_cmd_inv_all(cmd);
	assert_int_equal(cmd[0], 8ull << 60);
	assert_int_equal(cmd[1], 0);
	amdvi_cmd_inv_devtab_entry(cmd, 0x1234);
	assert_int_equal(cmd[0], 2ull << 60 | 0x1234);
	amdvi_cmd_inv_all_pages(cmd, 7);
	assert_int_equal(cmd[0], 3ull << 60 | 7ull << 32);
	assert_int_equal(cmd[1], 0x7FFFFFFFFFFFF000ull | 3);
}

static void test_fault_decoders(void **state)
{
	struct iommu_fault f;
	u64 ev[2];

	(void)state;
	/* VT-d: read (T set), reason 6, source 00:03.0, the page only. */
	vtd_decode_fault(0x1ec11abcull, VTD_FRCD_F | VTD_FRCD_T | 6ull << 32 | 0x0018, &f);
	assert_int_equal(f.bdf, 0x0018);
	assert_int_equal(f.addr, 0x1ec11000);
	assert_false(f.write);
	assert_null(f.what);
	assert_false(f.anonymous);
	vtd_decode_fault(0x1ec11000ull, VTD_FRCD_F | 5ull << 32 | 0x0210, &f);
	assert_true(f.write);
	assert_null(f.what);
	vtd_decode_fault(0, VTD_FRCD_F | 4ull << 32, &f);
	assert_null(f.what);
	vtd_decode_fault(0, VTD_FRCD_F | 2ull << 32, &f);
	assert_int_equal(strcmp(f.what, "vt-d: context entry not present"), 0);
	vtd_decode_fault(0, VTD_FRCD_F | 0x30ull << 32, &f);
	assert_int_equal(strcmp(f.what, "vt-d: fault"), 0);
	/* AMD-Vi IO_PAGE_FAULT: device 00:03.0, a write, the address. */
	ev[0] = 2ull << 60 | AMDVI_EVENT_RW | 0x0018;
	ev[1] = 0x1ec110d2;
	amdvi_decode_event(ev, &f);
	assert_int_equal(f.bdf, 0x0018);
	assert_int_equal(f.addr, 0x1ec110d2);
	assert_true(f.write);
	assert_null(f.what);
	ev[0] = 2ull << 60 | AMDVI_EVENT_I | 0x00a0;
	amdvi_decode_event(ev, &f);
	assert_false(f.write);
	assert_int_equal(strcmp(f.what, "amd-vi: blocked interrupt request"), 0);
	ev[0] = 1ull << 60;
	amdvi_decode_event(ev, &f);
	assert_int_equal(strcmp(f.what, "amd-vi: illegal device table entry"), 0);
	ev[0] = 0xFull << 60;
	amdvi_decode_event(ev, &f);
	assert_int_equal(strcmp(f.what, "amd-vi: event"), 0);
}

static bool covered(const struct pt_range *r, int n, u64 a)
{
	for (int i = 0; i < n; i++)
		if (a >= r[i].base && a - r[i].base < r[i].len)
			return true;
	return false;
}

/* The DMA map: guest memory up to max(4 GiB, end of RAM) and below the
 * units' limit, reserved ranges added (never over Keel's region), the
 * units' registers out. */
static void test_dmamap(void **state)
{
	struct pt_range r[MAP_MAX];
	struct iommu_acpi a = acpi_one_unit(0xfed80000, KiB(16));
	int n, refused;

	(void)state;
	a.nunity = 5;
	a.unity[0] = (struct iommu_range){ 0x7000, 0x8000 };		/* inside RAM */
	a.unity[1] = (struct iommu_range){ REGION - MiB(1), REGION + MiB(1) };	/* into Keel */
	a.unity[2] = (struct iommu_range){ 0x140000000ull, 0x140100000ull };	/* above RAM */
	a.unity[3] = (struct iommu_range){ GiB(600), GiB(600) + PG };	/* above the limit */
	a.unity[4] = (struct iommu_range){ 0xfed7f000, 0xfed81000 };	/* over the registers */
	n = dmamap_build(q35_512, 9, REGION, REGION_SIZE, GiB(512), &a, r, MAP_MAX, &refused);
	assert_true(n > 0);
	assert_int_equal(refused, 1);
	for (int i = 0; i < n; i++) {
		assert_true(r[i].len && !(r[i].base % PG) && !(r[i].len % PG));
		assert_true(i == 0 || r[i - 1].base + r[i - 1].len <= r[i].base);
		assert_true(r[i].base + r[i].len <= REGION || r[i].base >= REGION + REGION_SIZE);
	}
	assert_true(covered(r, n, 0) && covered(r, n, 0x9ffff) && covered(r, n, 0xfffff));
	assert_true(covered(r, n, REGION - 1) && covered(r, n, REGION + REGION_SIZE));
	assert_false(covered(r, n, REGION));
	assert_true(covered(r, n, 0x140000000ull) && covered(r, n, 0x1400fffffull));
	assert_false(covered(r, n, 0x140100000ull));
	assert_false(covered(r, n, GiB(4)));
	assert_false(covered(r, n, GiB(600)));
	assert_true(covered(r, n, 0xfed7f000));
	assert_false(covered(r, n, 0xfed80000) || covered(r, n, 0xfed83fff));
	assert_true(covered(r, n, 0xfed84000));
	assert_true(covered(r, n, 0xfffff000));
	/* The limit cuts what lies above it, RAM included. */
	n = dmamap_build(q35_512, 9, REGION, REGION_SIZE, MiB(256) + 0x123, &a, r, MAP_MAX,
			 &refused);
	assert_true(n > 0);
	assert_true(covered(r, n, MiB(256) - 1));
	assert_false(covered(r, n, MiB(256)));
	assert_false(covered(r, n, 0x140000000ull));
	/* Too small an array, an unsorted map: -1. */
	assert_int_equal(dmamap_build(q35_512, 9, REGION, REGION_SIZE, GiB(512), &a, r, 3,
				      &refused), -1);
	assert_int_equal(dmamap_build(q35_512 + 1, 2, 0, 0, GiB(512), &a, r, MAP_MAX, &refused)
			 > 0, true);
	{
		struct mem_range bad[2] = { q35_512[3], q35_512[0] };

		assert_int_equal(dmamap_build(bad, 2, 0, 0, GiB(512), &a, r, MAP_MAX, &refused),
				 -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vtd_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amdvi_tables, setup, teardown),
		cmocka_unit_test(test_vtd_root_and_context),
		cmocka_unit_test(test_amdvi_dte_and_commands),
		cmocka_unit_test(test_fault_decoders),
		cmocka_unit_test(test_dmamap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
