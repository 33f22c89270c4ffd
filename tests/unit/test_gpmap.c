/* Unit tests for hv/gpmap.c: the guest-physical ranges EPT/NPT map, from
 * real BIOS maps (QEMU, Bochs, RAM above 4 GiB), Keel's region in various
 * places, holes in the first MiB, rounding of unaligned entries, and a
 * too-small output array. Every result is also checked page by page
 * against the rules in hv/gpmap.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "string.h"
#include "memmap.h"
#include "../../hv/gpmap.h"

#define RAM E820_RAM
#define RES E820_RESERVED
#define ACPI E820_ACPI
#define NVS E820_NVS
#define WB PT_MEM_WB
#define UC PT_MEM_UC
#define PG 0x1000ull
#define REGION_SIZE MiB(22)
#define OUT_MAX 32

static struct pt_range out[OUT_MAX + 1];

/* QEMU -m 512 (SeaBIOS). */
static const struct mem_range qemu_512[] = {
	{ 0x0, 0x9fc00, RAM },
	{ 0x9fc00, 0x400, RES },
	{ 0xf0000, 0x10000, RES },
	{ 0x100000, 0x1fee0000, RAM },
	{ 0x1ffe0000, 0x20000, RES },
	{ 0xfffc0000, 0x40000, RES },
};

/* QEMU -m 6G: low RAM stops at 3 GiB, the rest sits above 4 GiB; plus
 * the reserved HyperTransport range AMD machines report near 1 TiB. */
static const struct mem_range qemu_6g[] = {
	{ 0x0, 0x9fc00, RAM },
	{ 0x9fc00, 0x400, RES },
	{ 0xf0000, 0x10000, RES },
	{ 0x100000, 0xbfee0000, RAM },
	{ 0xbffe0000, 0x20000, RES },
	{ 0xfeffc000, 0x4000, RES },
	{ 0xfffc0000, 0x40000, RES },
	{ 0x100000000, 0xc0000000, RAM },
	{ 0xfd00000000, 0x300000000, RES },
};

static const char *tname(enum pt_mem_type t)
{
	return t == WB ? "WB" : "UC";
}

static void print_ranges(const char *what, const struct pt_range *r, int n)
{
	int i;

	print_error("%s (%d ranges):\n", what, n);
	for (i = 0; i < n; i++)
		print_error("  %#014llx - %#014llx %s\n",
			    (unsigned long long)r[i].base,
			    (unsigned long long)(r[i].base + r[i].len),
			    tname(r[i].type));
}

static void expect_ranges(const struct pt_range *want, int wn, int got)
{
	if (got == wn && !memcmp(want, out, (size_t)wn * sizeof(*want)))
		return;
	print_ranges("expected", want, wn);
	if (got < 0)
		print_error("got -1\n");
	else
		print_ranges("got", out, got);
	fail();
}

/* The whole byte range [p, p+PG) lies in RAM entries. */
static bool page_is_ram(const struct mem_range *m, int n, u64 p)
{
	u64 covered = 0;
	int i;

	for (i = 0; i < n; i++) {
		u64 lo = m[i].base > p ? m[i].base : p;
		u64 end = m[i].base + m[i].len, hi = end < p + PG ? end : p + PG;

		if (m[i].type == RAM && lo < hi)
			covered += hi - lo;
	}
	return covered == PG;
}

/* Checks out[0..n) against the rules in hv/gpmap.h page by page, from 0
 * to a little past top. */
static void check_rules(const struct mem_range *m, int mn, u64 region,
			u64 rsize, int n, u64 top)
{
	u64 p, rlo = region & ~(PG - 1), rhi = (region + rsize + PG - 1) & ~(PG - 1);
	int i, k = 0;

	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(out[i].base & (PG - 1), 0);
		assert_int_equal(out[i].len & (PG - 1), 0);
		assert_true(out[i].len > 0);
		if (i && out[i].base < out[i - 1].base + out[i - 1].len)
			fail_msg("range %d overlaps or precedes range %d", i, i - 1);
		if (i && out[i].base == out[i - 1].base + out[i - 1].len &&
		    out[i].type == out[i - 1].type)
			fail_msg("ranges %d and %d touch with one type: not merged",
				 i - 1, i);
	}
	assert_int_equal(out[n - 1].base + out[n - 1].len, top);
	for (p = 0; p < top + MiB(2); p += PG) {
		bool in_region = rsize && p >= rlo && p < rhi;

		while (k < n && out[k].base + out[k].len <= p)
			k++;
		if (k < n && p >= out[k].base) {
			enum pt_mem_type want = page_is_ram(m, mn, p) ? WB : UC;

			if (in_region || p >= top)
				fail_msg("page %#llx mapped but it is %s",
					 (unsigned long long)p,
					 in_region ? "Keel's region" : "above the top");
			if (out[k].type != want)
				fail_msg("page %#llx mapped %s, expected %s",
					 (unsigned long long)p, tname(out[k].type),
					 tname(want));
		} else if (!in_region && p < top) {
			fail_msg("page %#llx below the top %#llx is not mapped",
				 (unsigned long long)p, (unsigned long long)top);
		}
	}
}

static void test_qemu_512(void **state)
{
	static const struct pt_range want[] = {
		{ 0x0, 0x9f000, WB },
		{ 0x9f000, 0x61000, UC },
		{ 0x100000, 0x1e700000, WB },
		{ 0x1fe00000, 0x1e0000, WB },
		{ 0x1ffe0000, 0xe0020000, UC },
	};
	u64 region;
	int n;

	(void)state;
	/* Where stage 2 puts the region: the 22 MiB below the top of RAM
	 * under 4 GiB, 2 MiB aligned. */
	assert_int_equal(memmap_find_top(qemu_512, 6, REGION_SIZE, MiB(2), MiB(1),
					 GiB(4), &region), 0);
	assert_int_equal(region, 0x1e800000);
	n = gpmap_build(qemu_512, 6, region, REGION_SIZE, 0, out, OUT_MAX);
	expect_ranges(want, 5, n);
	check_rules(qemu_512, 6, region, REGION_SIZE, n, GiB(4));
}

static void test_ram_above_4g(void **state)
{
	static const struct pt_range want[] = {
		{ 0x0, 0x9f000, WB },
		{ 0x9f000, 0x61000, UC },
		{ 0x100000, 0xbe700000, WB },
		{ 0xbfe00000, 0x1e0000, WB },
		{ 0xbffe0000, 0x40020000, UC },
		{ 0x100000000, 0xc0000000, WB },
	};
	u64 region;
	int n;

	(void)state;
	assert_int_equal(memmap_find_top(qemu_6g, 9, REGION_SIZE, MiB(2), MiB(1),
					 GiB(4), &region), 0);
	assert_int_equal(region, 0xbe800000);
	n = gpmap_build(qemu_6g, 9, region, REGION_SIZE, 0, out, OUT_MAX);
	/* Nothing past the end of RAM: the reserved range at 1 TiB is
	 * beyond the top. */
	expect_ranges(want, 6, n);
	check_rules(qemu_6g, 9, region, REGION_SIZE, n, 0x1c0000000);
}

/* Device memory above RAM (64-bit BARs, high MMIO windows): up to the
 * top the caller asks for (the CPU's physical-address width), UC; a top
 * below RAM's end changes nothing; a top past 2^48 stops there. */
static void test_device_space_above_ram(void **state)
{
	static const struct pt_range want[] = {
		{ 0x0, 0x9f000, WB },
		{ 0x9f000, 0x61000, UC },
		{ 0x100000, 0xbe700000, WB },
		{ 0xbfe00000, 0x1e0000, WB },
		{ 0xbffe0000, 0x40020000, UC },
		{ 0x100000000, 0xc0000000, WB },
		{ 0x1c0000000, GiB(16) - 0x1c0000000, UC },
	};
	struct pt_range w[7];
	const u64 region = 0xbe800000;
	int n;

	(void)state;
	n = gpmap_build(qemu_6g, 9, region, REGION_SIZE, GiB(16), out, OUT_MAX);
	expect_ranges(want, 7, n);
	check_rules(qemu_6g, 9, region, REGION_SIZE, n, GiB(16));
	/* phys-bits 40 (QEMU's): one UC range to 1 TiB, over the reserved
	 * HyperTransport range. */
	memcpy(w, want, sizeof(w));
	w[6].len = (1ull << 40) - 0x1c0000000;
	n = gpmap_build(qemu_6g, 9, region, REGION_SIZE, 1ull << 40, out, OUT_MAX);
	expect_ranges(w, 7, n);
	/* 52 bits: the tables stop at 48. */
	w[6].len = PT_ADDR_LIMIT - 0x1c0000000;
	n = gpmap_build(qemu_6g, 9, region, REGION_SIZE, 1ull << 52, out, OUT_MAX);
	expect_ranges(w, 7, n);
	/* Below the end of RAM: RAM still mapped, nothing above it. */
	n = gpmap_build(qemu_6g, 9, region, REGION_SIZE, GiB(2), out, OUT_MAX);
	expect_ranges(want, 6, n);
	/* 512 MiB of RAM, 64 GiB asked: the PCI hole and what is above 4 GiB
	 * are one UC range. */
	n = gpmap_build(qemu_512, 6, 0x1e800000, REGION_SIZE, GiB(64), out, OUT_MAX);
	assert_int_equal(n, 5);
	assert_int_equal(out[4].base, 0x1ffe0000);
	assert_int_equal(out[4].base + out[4].len, GiB(64));
	assert_int_equal(out[4].type, UC);
}

/* The region ends exactly where low RAM does (Bochs 512 MiB, ACPI tables
 * after RAM): no UC range may reach back into it. */
static void test_region_at_top_of_ram(void **state)
{
	static const struct mem_range m[] = {
		{ 0x0, 0x9f000, RAM },
		{ 0x9f000, 0x1000, RES },
		{ 0xe8000, 0x18000, RES },
		{ 0x100000, 0x1fe00000, RAM },
		{ 0x1ff00000, 0x8000, ACPI },
		{ 0x1ff08000, 0x8000, NVS },
		{ 0xfffc0000, 0x40000, RES },
	};
	static const struct pt_range want[] = {
		{ 0x0, 0x9f000, WB },
		{ 0x9f000, 0x61000, UC },
		{ 0x100000, 0x1e700000, WB },
		{ 0x1ff00000, 0xe0100000, UC },
	};
	int n;

	(void)state;
	n = gpmap_build(m, 7, 0x1e800000, 0x1700000, 0, out, OUT_MAX);
	expect_ranges(want, 4, n);
	check_rules(m, 7, 0x1e800000, 0x1700000, n, GiB(4));
}

static void test_region_in_middle_of_ram(void **state)
{
	static const struct mem_range m[] = {
		{ 0x0, 0xa0000, RAM },
		{ 0x100000, 0x3ff00000, RAM },
	};
	static const struct pt_range want[] = {
		{ 0x0, 0xa0000, WB },
		{ 0xa0000, 0x60000, UC },
		{ 0x100000, 0xff00000, WB },
		{ 0x10400000, 0x2fc00000, WB },
		{ 0x40000000, 0xc0000000, UC },
	};
	static const struct pt_range want_straddle[] = {
		{ 0x0, 0xa0000, WB },
		{ 0xa0000, 0x60000, UC },
		{ 0x100000, 0x3fe00000, WB },
		{ 0x40200000, 0xbfe00000, UC },
	};
	int n;

	(void)state;
	n = gpmap_build(m, 2, 0x10000000, MiB(4), 0, out, OUT_MAX);
	expect_ranges(want, 5, n);
	check_rules(m, 2, 0x10000000, MiB(4), n, GiB(4));
	/* Half in RAM, half in the hole above it. */
	n = gpmap_build(m, 2, 0x3ff00000, MiB(3), 0, out, OUT_MAX);
	expect_ranges(want_straddle, 4, n);
	check_rules(m, 2, 0x3ff00000, MiB(3), n, GiB(4));
}

/* The first MiB is mapped whole whatever the map leaves out of it: the
 * BIOS guest needs the IVT, BDA, EBDA, VGA memory and ROMs. */
static void test_first_mib_holes(void **state)
{
	static const struct mem_range no_low[] = {
		{ 0x100000, 0x7f00000, RAM },
	};
	static const struct mem_range gaps[] = {
		{ 0x1000, 0x9e000, RAM },
		{ 0x100000, 0x7f00000, RAM },
	};
	static const struct pt_range want_no_low[] = {
		{ 0x0, 0x100000, UC },
		{ 0x100000, 0x7f00000, WB },
		{ 0x8000000, 0xf8000000, UC },
	};
	static const struct pt_range want_gaps[] = {
		{ 0x0, 0x1000, UC },
		{ 0x1000, 0x9e000, WB },
		{ 0x9f000, 0x61000, UC },
		{ 0x100000, 0x7f00000, WB },
		{ 0x8000000, 0xf8000000, UC },
	};
	static const struct pt_range want_empty[] = {
		{ 0x0, 0x100000000, UC },
	};
	int n;

	(void)state;
	n = gpmap_build(no_low, 1, 0x4000000, MiB(32), 0, out, OUT_MAX);
	assert_int_equal(n, 4);
	assert_int_equal(out[0].base, 0);
	assert_int_equal(out[0].len, 0x100000);
	assert_int_equal(out[0].type, UC);
	check_rules(no_low, 1, 0x4000000, MiB(32), n, GiB(4));
	n = gpmap_build(no_low, 1, 0, 0, 0, out, OUT_MAX);
	expect_ranges(want_no_low, 3, n);
	n = gpmap_build(gaps, 2, 0, 0, 0, out, OUT_MAX);
	expect_ranges(want_gaps, 5, n);
	check_rules(gaps, 2, 0, 0, n, GiB(4));
	n = gpmap_build(gaps, 0, 0, 0, 0, out, OUT_MAX);
	expect_ranges(want_empty, 1, n);
}

/* RAM rounds inward, everything else outward; touching RAM entries are
 * one run; every non-RAM type is one UC. */
static void test_rounding(void **state)
{
	static const struct mem_range m[] = {
		{ 0x800, 0x9f000, RAM },		/* 0x800 - 0x9f800 */
		{ 0x9f800, 0x800, RES },
		{ 0x100000, 0x800, RAM },		/* touches the next */
		{ 0x100800, 0x6ff000, RAM },		/* ends 0x7ff800 */
		{ 0x7ff800, 0x1000, RES },		/* 0x7ff800 - 0x800800 */
		{ 0x800800, 0x7ff800, RAM },		/* ends 0x1000000 */
		{ 0x1000000, 0x1000, ACPI },
		{ 0x1001800, 0x800, RAM },		/* no whole page */
		{ 0x1002000, 0x1000, NVS },
		{ 0x100000000, 0x10000800, RAM },	/* top not aligned */
	};
	static const struct pt_range want[] = {
		{ 0x0, 0x1000, UC },
		{ 0x1000, 0x9e000, WB },
		{ 0x9f000, 0x61000, UC },
		{ 0x100000, 0x6ff000, WB },
		{ 0x7ff000, 0x2000, UC },
		{ 0x801000, 0x7ff000, WB },
		{ 0x1000000, 0x8000000, UC },		/* to the region */
		{ 0x9002000, 0xf6ffe000, UC },
		{ 0x100000000, 0x10000000, WB },
		{ 0x110000000, 0x1000, UC },
	};
	int n;

	(void)state;
	/* An unaligned region: its partial pages are not mapped either. */
	n = gpmap_build(m, 10, 0x9000800, 0x1000, 0, out, OUT_MAX);
	expect_ranges(want, 10, n);
	check_rules(m, 10, 0x9000800, 0x1000, n, 0x110001000);
}

/* An empty entry between two touching RAM entries splits the run in the
 * sweep; the output must still come out as one WB range. */
static void test_merge_across_empty_entry(void **state)
{
	static const struct mem_range m[] = {
		{ 0x0, 0x9f000, RAM },
		{ 0x100000, 0x100000, RAM },
		{ 0x200000, 0, RES },
		{ 0x200000, 0x200000, RAM },
		{ 0x400000, 0, RAM },
	};
	static const struct pt_range want[] = {
		{ 0x0, 0x9f000, WB },
		{ 0x9f000, 0x61000, UC },
		{ 0x100000, 0x300000, WB },
		{ 0x400000, 0xffc00000, UC },
	};
	int n;

	(void)state;
	n = gpmap_build(m, 5, 0, 0, 0, out, OUT_MAX);
	expect_ranges(want, 4, n);
	check_rules(m, 5, 0, 0, n, GiB(4));
}

/* A raw, unsorted, overlapping BIOS map goes through memmap_sanitize()
 * first, as the hypervisor does. */
static void test_sanitized_input(void **state)
{
	struct mem_range m[MEMMAP_MAX] = {
		{ 0xfffc0000, 0x40000, RES },
		{ 0x100000, 0x3ff00000, RAM },
		{ 0x0, 0x9fc00, RAM },
		{ 0x3fff0000, 0x10000, ACPI },		/* overlaps RAM's end */
		{ 0xf0000, 0x10000, RES },
		{ 0x9fc00, 0x400, RES },
	};
	u64 region;
	int mn, n;

	(void)state;
	/* Unsorted or overlapping input is refused, not guessed at. */
	assert_int_equal(gpmap_build(m, 6, 0, 0, 0, out, OUT_MAX), -1);
	mn = memmap_sanitize(m, 6, MEMMAP_MAX);
	assert_int_equal(mn, 6);
	assert_int_equal(memmap_find_top(m, mn, REGION_SIZE, MiB(2), MiB(1),
					 GiB(4), &region), 0);
	assert_int_equal(region, 0x3e800000);
	n = gpmap_build(m, mn, region, REGION_SIZE, 0, out, OUT_MAX);
	assert_int_equal(n, 5);
	check_rules(m, mn, region, REGION_SIZE, n, GiB(4));
	assert_int_equal(out[3].base, 0x3fe00000);
	assert_int_equal(out[3].len, 0x1f0000);
	assert_int_equal(out[4].base, 0x3fff0000);
	assert_int_equal(out[4].type, UC);
}

/* Entries beyond 2^48, or ending at 2^64, are clipped to what 4-level
 * tables translate. */
static void test_huge_addresses(void **state)
{
	static const struct mem_range m[] = {
		{ 0x0, 0xa0000, RAM },
		{ 0x100000000, 0, RAM },		/* empty: ignored */
		{ 0x100000000, ~0ull - 0xffffffffull, RAM },	/* to 2^64 */
	};
	static const struct pt_range want[] = {
		{ 0x0, 0xa0000, WB },
		{ 0xa0000, 0xfff60000, UC },
		{ 0x100000000, ((u64)1 << 48) - 0x100000000, WB },
	};
	int n;

	(void)state;
	n = gpmap_build(m, 3, 0, 0, 0, out, OUT_MAX);
	expect_ranges(want, 3, n);
}

static void test_max_too_small(void **state)
{
	int n, i;

	(void)state;
	for (i = 0; i <= OUT_MAX; i++)
		out[i].len = 0xdead;
	assert_int_equal(gpmap_build(qemu_512, 6, 0x1e800000, REGION_SIZE, 0, out, 0), -1);
	assert_int_equal(gpmap_build(qemu_512, 6, 0x1e800000, REGION_SIZE, 0, out, 4), -1);
	/* Nothing written past max. */
	assert_int_equal(out[4].len, 0xdead);
	n = gpmap_build(qemu_512, 6, 0x1e800000, REGION_SIZE, 0, out, 5);
	assert_int_equal(n, 5);
	assert_int_equal(out[5].len, 0xdead);
	assert_int_equal(gpmap_build(qemu_512, -1, 0, 0, 0, out, 5), -1);
	assert_int_equal(gpmap_build(qemu_512, 6, 0, 0, 0, out, -1), -1);
}

/* The APIC page split out of its range: in the middle (three ranges), at
 * either end (two), a range of one page (unchanged), a page no range
 * holds (unchanged), and no room (-1, nothing written). */
static void test_isolate_page(void **state)
{
	static struct pt_range r[6] = {
		{ 0x0, 0xa0000, WB },
		{ 0xa0000, 0x100000000 - 0xa0000, UC },
		{ 0x100000000, 0x1000, WB },
	};
	static const struct pt_range mid[] = {
		{ 0x0, 0xa0000, WB },
		{ 0xa0000, 0xfee00000 - 0xa0000, UC },
		{ 0xfee00000, PG, UC },
		{ 0xfee01000, 0x100000000 - 0xfee01000, UC },
		{ 0x100000000, 0x1000, WB },
	};
	static const struct pt_range ends[] = {
		{ 0x0, PG, WB },
		{ PG, 0xa0000 - 2 * PG, WB },
		{ 0xa0000 - PG, PG, WB },
	};
	int n;

	(void)state;
	n = gpmap_isolate_page(r, 3, 6, 0xfee00300);
	memcpy(out, r, sizeof(r));
	expect_ranges(mid, 5, n);
	assert_int_equal(gpmap_isolate_page(r, 5, 6, 0xfee00000), 5);	/* already alone */
	assert_int_equal(gpmap_isolate_page(r, 5, 6, 0x200000000), 5);	/* not mapped */
	assert_int_equal(gpmap_isolate_page(r, 5, 6, 0x100000000), 5);	/* one page */
	r[0].base = 0x0;
	r[0].len = 0xa0000;
	r[0].type = WB;
	n = gpmap_isolate_page(r, 1, 6, 0x0);
	assert_int_equal(n, 2);
	n = gpmap_isolate_page(r, n, 6, 0xa0000 - PG);
	memcpy(out, r, sizeof(r));
	expect_ranges(ends, 3, n);
	r[5].len = 0xdead;
	assert_int_equal(gpmap_isolate_page(r, 5, 5, 0x1000), -1);
	assert_int_equal(r[5].len, 0xdead);
}

/* A window taken out of the map (the IOMMU's registers): inside one range
 * (split), across two ranges' common end, a whole range and more, nothing
 * mapped there, unaligned edges rounded outward, and no room for a split
 * (-1, nothing written). */
static void test_remove(void **state)
{
	static struct pt_range r[6];
	static const struct pt_range start[] = {
		{ 0x0, 0xa0000, WB },
		{ 0xa0000, 0x100000000 - 0xa0000, UC },
		{ 0x100000000, 0x4000, WB },
	};
	static const struct pt_range split[] = {
		{ 0x0, 0xa0000, WB },
		{ 0xa0000, 0xfed80000 - 0xa0000, UC },
		{ 0xfed84000, 0x100000000 - 0xfed84000, UC },
		{ 0x100000000, 0x4000, WB },
	};
	static const struct pt_range across[] = {
		{ 0x0, 0x9f000, WB },
		{ 0xa1000, 0xfed80000 - 0xa1000, UC },
		{ 0xfed84000, 0x100000000 - 0xfed84000, UC },
		{ 0x100000000, 0x4000, WB },
	};
	static const struct pt_range whole[] = {
		{ 0x0, 0x9f000, WB },
		{ 0xa1000, 0xfed80000 - 0xa1000, UC },
		{ 0xfed84000, 0x100000000 - 0xfed84000 - PG, UC },
	};
	int n;

	(void)state;
	memcpy(r, start, sizeof(start));
	n = gpmap_remove(r, 3, 6, 0xfed80000, 0x4000);
	memcpy(out, r, sizeof(r));
	expect_ranges(split, 4, n);
	n = gpmap_remove(r, n, 6, 0x9f800, 0x1001);	/* 0x9f000-0xa1000 */
	memcpy(out, r, sizeof(r));
	expect_ranges(across, 4, n);
	assert_int_equal(gpmap_remove(r, n, 6, 0x300000000, PG), 4);	/* nothing there */
	assert_int_equal(gpmap_remove(r, n, 6, 0x1234, 0), 4);		/* empty */
	n = gpmap_remove(r, n, 6, 0xffffffff, 0x10000);
	memcpy(out, r, sizeof(r));
	expect_ranges(whole, 3, n);
	memcpy(r, start, sizeof(start));
	r[3].len = 0xdead;
	assert_int_equal(gpmap_remove(r, 3, 3, 0x10000, PG), -1);
	assert_int_equal(r[3].len, 0xdead);
	memcpy(out, r, sizeof(r));
	expect_ranges(start, 3, 3);
	/* To the end of what the tables translate, from a base near it. */
	assert_int_equal(gpmap_remove(r, 3, 6, 0xa0000, ~0ull), 1);
	assert_int_equal(r[0].len, 0xa0000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_512),
		cmocka_unit_test(test_ram_above_4g),
		cmocka_unit_test(test_device_space_above_ram),
		cmocka_unit_test(test_region_at_top_of_ram),
		cmocka_unit_test(test_region_in_middle_of_ram),
		cmocka_unit_test(test_first_mib_holes),
		cmocka_unit_test(test_rounding),
		cmocka_unit_test(test_merge_across_empty_entry),
		cmocka_unit_test(test_sanitized_input),
		cmocka_unit_test(test_huge_addresses),
		cmocka_unit_test(test_max_too_small),
		cmocka_unit_test(test_isolate_page),
		cmocka_unit_test(test_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
