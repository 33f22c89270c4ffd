/* Unit tests for lib/region.c: the region's budget (image, hand-off,
 * tables, per-CPU state, margin, files) and where it goes; that it grows
 * per CPU and with the machine's memory, stays within 4 MiB of the files
 * on a small machine, and refuses a machine where it does not fit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "region.h"

#define RAM E820_RAM
#define RES E820_RESERVED
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* QEMU -m 1024 (SeaBIOS). */
static const struct mem_range qemu_1g[] = {
	{ 0x0, 0x9fc00, RAM },
	{ 0x9fc00, 0x400, RES },
	{ 0xf0000, 0x10000, RES },
	{ 0x100000, 0x3fee0000, RAM },
	{ 0x3ffe0000, 0x20000, RES },
	{ 0xfeffc000, 0x4000, RES },
	{ 0xfffc0000, 0x40000, RES },
};

/* A 16 GiB machine: RAM to 3 GiB, the PCI hole, then 13 GiB above 4 GiB. */
static const struct mem_range big_16g[] = {
	{ 0x0, 0x9f000, RAM },
	{ 0x100000, 0xbff00000, RAM },
	{ 0xc0000000, 0x40000000, RES },
	{ 0x100000000ull, 0x340000000ull, RAM },
};

static void test_budget_and_place(void **state)
{
	struct region_plan p = { .image_mem = 217088, .cpus = 1, .files = MiB(15) + KiB(20),
				 .nfiles = 2, .phys_bits = 40, .nested_1g = true };

	(void)state;
	assert_int_equal(region_place(&p, qemu_1g, N(qemu_1g)), 0);
	assert_int_equal(p.image, 217088);
	assert_int_equal(p.bootinfo, HV_BOOTINFO_SIZE);
	assert_int_equal(p.percpu, HV_PERCPU_SIZE);
	assert_int_equal(p.margin, HV_REGION_MARGIN);
	/* Keel's identity map of 4 GiB and its image's tables (8 pages), the
	 * guests' tables (6 pages and 2 x 7 ranges + 3 + 2 files), and the
	 * device space to 1 TiB in 1 GiB leaves (2 PDPTs). */
	assert_int_equal(p.tables, KiB(4) * (8 + 6 + 14 + 3 + 2 + 2));
	assert_int_equal(p.size % HV_REGION_ALIGN, 0);
	assert_true(p.size >= p.image + p.bootinfo + p.tables + p.percpu + p.margin + p.files);
	assert_true(p.size - p.files <= MiB(4));
	/* The top of RAM below 4 GiB, rounded down to 2 MiB. */
	assert_int_equal(p.base + p.size, 0x3fe00000);
	assert_int_equal(p.files_at, p.base + p.size - p.files);
}

static void test_per_cpu(void **state)
{
	struct region_plan one = { .image_mem = 200000, .cpus = 1 };
	struct region_plan many = { .image_mem = 200000, .cpus = 64 };
	struct region_plan none = { .image_mem = 200000, .cpus = 0 };
	struct region_plan huge = { .image_mem = 200000, .cpus = 100000 };

	(void)state;
	assert_int_equal(region_place(&one, qemu_1g, N(qemu_1g)), 0);
	assert_int_equal(region_place(&many, qemu_1g, N(qemu_1g)), 0);
	assert_int_equal(region_place(&none, qemu_1g, N(qemu_1g)), 0);
	assert_int_equal(region_place(&huge, big_16g, N(big_16g)), 0);
	assert_int_equal(many.percpu, 64 * HV_PERCPU_SIZE);
	assert_true(many.size >= one.size + 63 * HV_PERCPU_SIZE - HV_REGION_ALIGN);
	assert_int_equal(none.percpu, HV_PERCPU_SIZE);       /* no MADT: one CPU */
	assert_int_equal(huge.percpu, HV_CPUS_MAX * HV_PERCPU_SIZE);
}

static void test_tables_grow_with_memory(void **state)
{
	u64 small = region_tables_bytes(qemu_1g, N(qemu_1g), 0);
	u64 big = region_tables_bytes(big_16g, N(big_16g), 0);

	(void)state;
	/* 17 GiB of address space: a page directory per GiB, in both maps. */
	assert_int_equal(big - small, 2 * KiB(4) * (17 - 4) - 2 * KiB(4) * (N(qemu_1g) - N(big_16g)));
	assert_int_equal(region_tables_bytes(qemu_1g, N(qemu_1g), 3) - small, 3 * KiB(4));
}

/* The nested map's top and its tables above RAM (hv/guest.c maps device
 * space up to the CPU's physical-address width). */
static void test_device_space_tables(void **state)
{
	(void)state;
	assert_int_equal(region_guest_map_top(0, false), GiB(64));     /* 36 bits */
	assert_int_equal(region_guest_map_top(39, false), GiB(512));
	assert_int_equal(region_guest_map_top(46, false), REGION_MAP_TOP_2M_ONLY);
	assert_int_equal(region_guest_map_top(46, true), (u64)1 << 46);
	assert_int_equal(region_guest_map_top(52, true), (u64)1 << 48);
	/* 36 bits, 2 MiB leaves: 60 page directories beyond RAM's 4 GiB and
	 * the PDPT the rule counts for the join. */
	assert_int_equal(region_mmio_tables_bytes(qemu_1g, N(qemu_1g), 36, false), KiB(4) * 61);
	/* 1 TiB in page directories: about 4 MiB, which the region must hold. */
	assert_int_equal(region_mmio_tables_bytes(qemu_1g, N(qemu_1g), 46, false),
			 KiB(4) * (1 + 2 + 1024 - (1 + 1 + 4) + 1));
	/* 1 GiB leaves: a PDPT per 512 GiB, 512 of them for 256 TiB. */
	assert_int_equal(region_mmio_tables_bytes(qemu_1g, N(qemu_1g), 48, true), KiB(4) * 512);
	assert_int_equal(region_mmio_tables_bytes(qemu_1g, N(qemu_1g), 40, true), KiB(4) * 2);
	/* A machine whose RAM reaches its address width: nothing beyond it. */
	assert_int_equal(region_mmio_tables_bytes(big_16g, N(big_16g), 34, false), 0);
}

static void test_does_not_fit(void **state)
{
	/* QEMU -m 18: RAM ends at 18 MiB - 128 KiB; the region may not start
	 * below 16 MiB. */
	static const struct mem_range m18[] = {
		{ 0x0, 0x9fc00, RAM },
		{ 0x100000, 0x10e0000, RAM },
		{ 0x11e0000, 0x20000, RES },
	};
	struct region_plan p = { .image_mem = 217088, .cpus = 1 };
	struct region_plan q = { .image_mem = 217088, .cpus = 1, .files = MiB(8) };

	(void)state;
	assert_int_equal(region_place(&p, m18, N(m18)), -1);
	assert_int_equal(p.size, MiB(2));       /* what it would have needed */
	assert_int_equal(region_place(&q, qemu_1g, N(qemu_1g)), 0);
	assert_int_equal(q.size, MiB(10));
}

static void test_iommu(void **state)
{
	struct region_plan none = { .image_mem = 217088, .cpus = 1 };
	struct region_plan vtd = { .image_mem = 217088, .cpus = 1, .iommu = REGION_IOMMU_VTD };
	struct region_plan vtd4k = { .image_mem = 217088, .cpus = 1, .iommu = REGION_IOMMU_VTD_4K };
	struct region_plan amd = { .image_mem = 217088, .cpus = 1, .iommu = REGION_IOMMU_AMDVI };

	(void)state;
	assert_int_equal(region_place(&none, qemu_1g, N(qemu_1g)), 0);
	assert_int_equal(region_place(&vtd, qemu_1g, N(qemu_1g)), 0);
	assert_int_equal(region_place(&vtd4k, qemu_1g, N(qemu_1g)), 0);
	assert_int_equal(region_place(&amd, qemu_1g, N(qemu_1g)), 0);
	assert_int_equal(none.iommu_tables, 0);
	/* The guests' shape again, and a few pages of buffers. */
	assert_int_equal(vtd.iommu_tables, KiB(4) * (6 + 14 + 3 + 8));
	/* A 4 KiB table per 2 MiB of the 4 GiB the tables map. */
	assert_int_equal(vtd4k.iommu_tables - vtd.iommu_tables, KiB(4) * 2048);
	assert_int_equal(amd.iommu_tables - vtd.iommu_tables, REGION_AMDVI_DEVTAB);
	assert_true(amd.size >= none.size + REGION_AMDVI_DEVTAB);
	assert_true(vtd4k.size >= none.size + MiB(8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_and_place),
		cmocka_unit_test(test_per_cpu),
		cmocka_unit_test(test_tables_grow_with_memory),
		cmocka_unit_test(test_device_space_tables),
		cmocka_unit_test(test_does_not_fit),
		cmocka_unit_test(test_iommu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
