/* Unit tests for lib/memmap.c: sanitizing real and broken E820 maps,
 * carving Keel's region out, placing it, and the 2^64 edge. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "memmap.h"

#define U64_MAX UINT64_MAX
#define RAM E820_RAM
#define RES E820_RESERVED
#define ACPI E820_ACPI
#define NVS E820_NVS
#define BAD E820_UNUSABLE

/* QEMU -m 512 (SeaBIOS). */
static const struct mem_range qemu_512[] = {
	{ 0x0, 0x9fc00, RAM },
	{ 0x9fc00, 0x400, RES },
	{ 0xf0000, 0x10000, RES },
	{ 0x100000, 0x1fee0000, RAM },
	{ 0x1ffe0000, 0x20000, RES },
	{ 0xfffc0000, 0x40000, RES },
};

/* Bochs 32 MiB (rombios32: ACPI tables in the last 64 KiB of RAM). */
static const struct mem_range bochs_32[] = {
	{ 0x0, 0x9f000, RAM },
	{ 0x9f000, 0x1000, RES },
	{ 0xe8000, 0x18000, RES },
	{ 0x100000, 0x1ef0000, RAM },
	{ 0x1ff0000, 0x10000, ACPI },
	{ 0xfffc0000, 0x40000, RES },
};

static void print_map(const char *what, const struct mem_range *m, int n)
{
	int i;

	print_error("%s (%d entries):\n", what, n);
	for (i = 0; i < n; i++)
		print_error("  %#018llx len %#018llx type %u\n",
			    (unsigned long long)m[i].base,
			    (unsigned long long)m[i].len, m[i].type);
}

/* Fails with both maps printed unless got[0..n) equals want[0..wn). */
#define assert_map(got, n, want, wn) \
	check_map(__FILE__, __LINE__, got, n, want, wn)

static void check_map(const char *file, int line, const struct mem_range *got,
		      int n, const struct mem_range *want, int wn)
{
	int i, same = n == wn;

	for (i = 0; same && i < n; i++)
		same = got[i].base == want[i].base && got[i].len == want[i].len &&
		       got[i].type == want[i].type;
	if (!same) {
		print_error("%s:%d: maps differ\n", file, line);
		print_map("expected", want, wn);
		print_map("saw", got, n);
		fail();
	}
}

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Copies a constant map into a work array of MEMMAP_MAX entries. */
static int load(struct mem_range *m, const struct mem_range *src, int n)
{
	memset(m, 0xee, sizeof(*m) * MEMMAP_MAX);
	memcpy(m, src, sizeof(*src) * (size_t)n);
	return n;
}

/* --- memmap_sanitize --- */

static void test_sanitize_clean_maps(void **state)
{
	struct mem_range m[MEMMAP_MAX];
	int n;

	(void)state;
	n = load(m, qemu_512, N(qemu_512));
	n = memmap_sanitize(m, n, MEMMAP_MAX);
	assert_map(m, n, qemu_512, N(qemu_512));
	n = load(m, bochs_32, N(bochs_32));
	n = memmap_sanitize(m, n, MEMMAP_MAX);
	assert_map(m, n, bochs_32, N(bochs_32));
}

static void test_sanitize_unsorted(void **state)
{
	static const struct mem_range in[] = {
		{ 0xfffc0000, 0x40000, RES },
		{ 0x100000, 0x1fee0000, RAM },
		{ 0x9fc00, 0x400, RES },
		{ 0x1ffe0000, 0x20000, RES },
		{ 0x0, 0x9fc00, RAM },
		{ 0xf0000, 0x10000, RES },
	};
	struct mem_range m[MEMMAP_MAX];
	int n = load(m, in, N(in));

	(void)state;
	n = memmap_sanitize(m, n, MEMMAP_MAX);
	assert_map(m, n, qemu_512, N(qemu_512));
}

static void test_sanitize_overlaps(void **state)
{
	/* One RAM range with holes punched by later entries, an ACPI/NVS
	 * overlap, and a duplicate. */
	static const struct mem_range in[] = {
		{ 0x0, 0x100000, RAM },
		{ 0x9fc00, 0x400, RES },
		{ 0xe0000, 0x20000, RES },
		{ 0xf0000, 0x10000, RES },
		{ 0x200000, 0x100000, ACPI },
		{ 0x280000, 0x100000, NVS },
		{ 0x100000, 0x400000, RAM },
		{ 0x100000, 0x400000, RAM },
		{ 0x380000, 0x1000, BAD },
	};
	static const struct mem_range want[] = {
		{ 0x0, 0x9fc00, RAM },
		{ 0x9fc00, 0x400, RES },
		{ 0xa0000, 0x40000, RAM },
		{ 0xe0000, 0x20000, RES },
		{ 0x100000, 0x100000, RAM },
		{ 0x200000, 0x80000, ACPI },
		{ 0x280000, 0x100000, NVS },
		{ 0x380000, 0x1000, BAD },
		{ 0x381000, 0x17f000, RAM },
	};
	struct mem_range m[MEMMAP_MAX];
	int n = load(m, in, N(in));

	(void)state;
	n = memmap_sanitize(m, n, MEMMAP_MAX);
	assert_map(m, n, want, N(want));
}

static void test_sanitize_larger_type_wins(void **state)
{
	/* RES (2) inside BAD (5): 5 wins; NVS (4) over RES (2): 4 wins. */
	static const struct mem_range in[] = {
		{ 0x1000, 0x3000, BAD },
		{ 0x2000, 0x1000, RES },
		{ 0x8000, 0x2000, RES },
		{ 0x9000, 0x2000, NVS },
		{ 0x9800, 0x100, RAM },
	};
	static const struct mem_range want[] = {
		{ 0x1000, 0x3000, BAD },
		{ 0x8000, 0x1000, RES },
		{ 0x9000, 0x2000, NVS },
	};
	struct mem_range m[MEMMAP_MAX];
	int n = load(m, in, N(in));

	(void)state;
	n = memmap_sanitize(m, n, MEMMAP_MAX);
	assert_map(m, n, want, N(want));
}

static void test_sanitize_merge_and_drop(void **state)
{
	static const struct mem_range in[] = {
		{ 0x5000, 0x0, RES },        /* empty: dropped */
		{ 0x0, 0x1000, RAM },
		{ 0x1000, 0x1000, RAM },     /* adjacent: merged */
		{ 0x1800, 0x2000, RAM },     /* overlapping same type: merged */
		{ 0x3800, 0x800, RES },      /* adjacent, other type: kept */
		{ 0x4000, 0x1000, RES },     /* adjacent reserved: merged */
		{ 0x6000, 0x1000, RES },     /* after a gap: kept apart */
		{ 0x7000, 0x1000, 0 },       /* type 0 is no E820 type */
	};
	static const struct mem_range want[] = {
		{ 0x0, 0x3800, RAM },
		{ 0x3800, 0x1800, RES },
		{ 0x6000, 0x1000, RES },
	};
	struct mem_range m[MEMMAP_MAX];
	int n = load(m, in, N(in));

	(void)state;
	/* max is checked against the merged count, not the pieces. */
	n = memmap_sanitize(m, n, N(want));
	assert_map(m, n, want, N(want));
	assert_int_equal(memmap_sanitize(m, 0, MEMMAP_MAX), 0);
}

static void test_sanitize_top_of_space(void **state)
{
	static const struct mem_range in[] = {
		/* Ends exactly at 2^64: base + len wraps to 0. */
		{ U64_MAX - 0x1fff, 0x2000, RAM },
		/* Claims to run past 2^64: clamped there. */
		{ U64_MAX - 0xfff, U64_MAX, RES },
		{ 0x0, 0x1000, RAM },
	};
	static const struct mem_range want[] = {
		{ 0x0, 0x1000, RAM },
		{ U64_MAX - 0x1fff, 0x1000, RAM },
		{ U64_MAX - 0xfff, 0x1000, RES },
	};
	/* [0, 2^64) cannot be stored: it loses its last byte. */
	static const struct mem_range whole_in[] = {
		{ 0x0, U64_MAX, RAM },
		{ U64_MAX, 0x1, RAM },
	};
	static const struct mem_range whole_want[] = {
		{ 0x0, U64_MAX, RAM },
	};
	static const struct mem_range last_in[] = {
		{ U64_MAX, 0x1, RES },
		{ U64_MAX - 1, 0x1, RAM },
	};
	static const struct mem_range last_want[] = {
		{ U64_MAX - 1, 0x1, RAM },
		{ U64_MAX, 0x1, RES },
	};
	struct mem_range m[MEMMAP_MAX];
	int n;

	(void)state;
	n = load(m, in, N(in));
	n = memmap_sanitize(m, n, MEMMAP_MAX);
	assert_map(m, n, want, N(want));
	n = load(m, &in[1], 1);
	n = memmap_sanitize(m, n, MEMMAP_MAX);
	assert_map(m, n, &want[2], 1);
	n = load(m, whole_in, N(whole_in));
	n = memmap_sanitize(m, n, MEMMAP_MAX);
	assert_map(m, n, whole_want, N(whole_want));
	n = load(m, last_in, N(last_in));
	n = memmap_sanitize(m, n, MEMMAP_MAX);
	assert_map(m, n, last_want, N(last_want));
}

static void test_sanitize_max_entries(void **state)
{
	/* Three holes in one RAM range need seven entries. */
	static const struct mem_range in[] = {
		{ 0x0, 0x10000, RAM },
		{ 0x1000, 0x1000, RES },
		{ 0x4000, 0x1000, RES },
		{ 0x8000, 0x1000, RES },
	};
	struct mem_range m[MEMMAP_MAX];
	int n, i;

	(void)state;
	n = load(m, in, N(in));
	assert_int_equal(memmap_sanitize(m, n, 6), -1);
	/* A failed sanitize leaves the input as it was. */
	assert_map(m, n, in, N(in));
	assert_int_equal(memmap_sanitize(m, n, 7), 7);
	assert_true(m[6].base == 0x9000 && m[6].len == 0x7000 && m[6].type == RAM);

	/* The worst case: MEMMAP_MAX disjoint ranges, alternating types. */
	for (i = 0; i < MEMMAP_MAX; i++) {
		m[i].base = (u64)(MEMMAP_MAX - i) * 0x2000;
		m[i].len = 0x1000;
		m[i].type = i % 2 ? RAM : RES;
	}
	assert_int_equal(memmap_sanitize(m, MEMMAP_MAX, MEMMAP_MAX), MEMMAP_MAX);
	for (i = 0; i < MEMMAP_MAX; i++)
		assert_true(m[i].base == (u64)(i + 1) * 0x2000);
	assert_int_equal(memmap_sanitize(m, MEMMAP_MAX + 1, MEMMAP_MAX + 1), -1);
	assert_int_equal(memmap_sanitize(m, -1, MEMMAP_MAX), -1);
}

/* Random maps in a 64-page space against a page-by-page reference. */
#define PAGES 64
#define PG 0x1000

static u32 rnd_state = 12345;

static u32 rnd(u32 n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* The expected sanitized map of a page-type array. */
static int pages_to_map(const u32 *page, struct mem_range *m)
{
	int p, n = 0;

	for (p = 0; p < PAGES; p++) {
		if (!page[p])
			continue;
		if (p > 0 && page[p - 1] == page[p]) {
			m[n - 1].len += PG;
			continue;
		}
		m[n].base = (u64)p * PG;
		m[n].len = PG;
		m[n].type = page[p];
		n++;
	}
	return n;
}

static int random_map(struct mem_range *m, u32 *page)
{
	int i, p, n = 1 + (int)rnd(12);

	memset(page, 0, sizeof(u32) * PAGES);
	for (i = 0; i < n; i++) {
		u32 first = rnd(PAGES), len = rnd(PAGES - first + 1);
		u32 t = 1 + rnd(5);

		m[i].base = (u64)first * PG;
		m[i].len = (u64)len * PG;
		m[i].type = t;
		for (p = (int)first; p < (int)(first + len); p++) {
			if (!page[p] || page[p] == RAM)
				page[p] = t;
			else if (t != RAM && t > page[p])
				page[p] = t;
		}
	}
	return n;
}

static void test_sanitize_random(void **state)
{
	struct mem_range m[MEMMAP_MAX], want[MEMMAP_MAX];
	u32 page[PAGES];
	int iter, n, wn;

	(void)state;
	for (iter = 0; iter < 5000; iter++) {
		n = random_map(m, page);
		wn = pages_to_map(page, want);
		n = memmap_sanitize(m, n, MEMMAP_MAX);
		assert_map(m, n, want, wn);
	}
}

static void test_carve_random(void **state)
{
	struct mem_range m[MEMMAP_MAX], want[MEMMAP_MAX];
	u32 page[PAGES];
	int iter, n, wn, p;

	(void)state;
	for (iter = 0; iter < 5000; iter++) {
		u32 first = rnd(PAGES), len = rnd(PAGES - first + 1);

		n = random_map(m, page);
		n = memmap_sanitize(m, n, MEMMAP_MAX);
		for (p = (int)first; p < (int)(first + len); p++)
			page[p] = 0;
		wn = pages_to_map(page, want);
		n = memmap_carve(m, n, MEMMAP_MAX, (u64)first * PG, (u64)len * PG);
		/* Carving a sanitized map leaves it sanitized. */
		assert_map(m, n, want, wn);
	}
}

/* --- memmap_carve --- */

static void test_carve_middle_split(void **state)
{
	static const struct mem_range want[] = {
		{ 0x0, 0x9fc00, RAM },
		{ 0x9fc00, 0x400, RES },
		{ 0xf0000, 0x10000, RES },
		{ 0x100000, 0xff00000, RAM },
		{ 0x10200000, 0xfde0000, RAM },
		{ 0x1ffe0000, 0x20000, RES },
		{ 0xfffc0000, 0x40000, RES },
	};
	struct mem_range m[MEMMAP_MAX];
	int n = load(m, qemu_512, N(qemu_512));

	(void)state;
	n = memmap_carve(m, n, MEMMAP_MAX, 0x10000000, 0x200000);
	assert_map(m, n, want, N(want));
	assert_int_equal(memmap_ram_bytes(m, n), 0x9fc00 + 0x1fee0000 - 0x200000);
}

static void test_carve_edges(void **state)
{
	/* Keel's usual place: the top of the last RAM range below 4 GiB. */
	static const struct mem_range want_top[] = {
		{ 0x0, 0x9fc00, RAM },
		{ 0x9fc00, 0x400, RES },
		{ 0xf0000, 0x10000, RES },
		{ 0x100000, 0x1fc00000, RAM },
		{ 0x1ffe0000, 0x20000, RES },
		{ 0xfffc0000, 0x40000, RES },
	};
	static const struct mem_range want_bottom[] = {
		{ 0x1000, 0x9ec00, RAM },
		{ 0x9fc00, 0x400, RES },
		{ 0xf0000, 0x10000, RES },
		{ 0x100000, 0x1fc00000, RAM },
		{ 0x1ffe0000, 0x20000, RES },
		{ 0xfffc0000, 0x40000, RES },
	};
	struct mem_range m[MEMMAP_MAX];
	int n = load(m, qemu_512, N(qemu_512));

	(void)state;
	n = memmap_carve(m, n, n, 0x1fd00000, 0x2e0000);
	assert_map(m, n, want_top, N(want_top));
	n = memmap_carve(m, n, n, 0x0, 0x1000);
	assert_map(m, n, want_bottom, N(want_bottom));
	/* Nothing there, or nothing asked: unchanged. */
	n = memmap_carve(m, n, n, 0x40000000, 0x1000000);
	assert_map(m, n, want_bottom, N(want_bottom));
	n = memmap_carve(m, n, n, 0x100000, 0);
	assert_map(m, n, want_bottom, N(want_bottom));
}

static void test_carve_across_ranges(void **state)
{
	/* From inside the first RAM range to inside the second: the two
	 * reserved ranges between go entirely. */
	static const struct mem_range want[] = {
		{ 0x0, 0x80000, RAM },
		{ 0x180000, 0x1fe60000, RAM },
		{ 0x1ffe0000, 0x20000, RES },
		{ 0xfffc0000, 0x40000, RES },
	};
	struct mem_range m[MEMMAP_MAX];
	int n = load(m, qemu_512, N(qemu_512));

	(void)state;
	n = memmap_carve(m, n, MEMMAP_MAX, 0x80000, 0x100000);
	assert_map(m, n, want, N(want));
}

static void test_carve_reserved(void **state)
{
	static const struct mem_range want[] = {
		{ 0x0, 0x9fc00, RAM },
		{ 0x9fc00, 0x400, RES },
		{ 0xf0000, 0x8000, RES },
		{ 0xfc000, 0x4000, RES },
		{ 0x100000, 0x1fee0000, RAM },
		{ 0x1ffe0000, 0x20000, RES },
	};
	struct mem_range m[MEMMAP_MAX];
	int n = load(m, qemu_512, N(qemu_512));

	(void)state;
	/* Every type goes, not just RAM. */
	n = memmap_carve(m, n, MEMMAP_MAX, 0xf8000, 0x4000);
	n = memmap_carve(m, n, MEMMAP_MAX, 0xfffc0000, 0x40000);
	assert_map(m, n, want, N(want));
}

static void test_carve_full_and_top(void **state)
{
	static const struct mem_range in[] = {
		{ 0x0, 0x10000, RAM },
		{ U64_MAX - 0xffff, 0x10000, RES },
	};
	static const struct mem_range want[] = {
		{ 0x0, 0x10000, RAM },
		{ U64_MAX - 0xffff, 0x1000, RES },
	};
	struct mem_range m[MEMMAP_MAX];
	int n = load(m, in, N(in));

	(void)state;
	/* A split needs one more slot than max allows: -1, map untouched. */
	assert_int_equal(memmap_carve(m, n, n, 0x4000, 0x1000), -1);
	assert_map(m, n, in, N(in));
	assert_int_equal(memmap_carve(m, n, n + 1, 0x4000, 0x1000), 3);
	n = load(m, in, N(in));
	/* A carve running past 2^64 takes everything from its base up. */
	n = memmap_carve(m, n, n, U64_MAX - 0xefff, U64_MAX);
	assert_map(m, n, want, N(want));
	n = memmap_carve(m, n, n, 0x0, U64_MAX);
	assert_int_equal(n, 0);
}

/* --- memmap_find_top --- */

static void test_find_top_qemu(void **state)
{
	struct mem_range m[MEMMAP_MAX];
	int n = load(m, qemu_512, N(qemu_512));
	u64 a = 0;

	(void)state;
	/* 0x1ffe0000 - 16 MiB = 0x1efe0000, rounded down to 2 MiB. */
	assert_int_equal(memmap_find_top(m, n, MiB(16), MiB(2), MiB(1), GiB(4), &a), 0);
	assert_true(a == 0x1ee00000);
	/* A limit inside the range: the region ends at or below it. */
	assert_int_equal(memmap_find_top(m, n, MiB(16), MiB(2), 0, 0x10100000, &a), 0);
	assert_true(a == 0xf000000);
	/* No alignment (0 and 1 alike): flush with the end of RAM. */
	assert_int_equal(memmap_find_top(m, n, 0x1000, 0, 0, GiB(4), &a), 0);
	assert_true(a == 0x1ffdf000);
	assert_int_equal(memmap_find_top(m, n, 0x1000, 1, 0, GiB(4), &a), 0);
	assert_true(a == 0x1ffdf000);
	/* Low memory only, because of the limit. */
	assert_int_equal(memmap_find_top(m, n, 0x1000, 0x1000, 0, MiB(1), &a), 0);
	assert_true(a == 0x9e000);
}

static void test_find_top_floor_and_no_fit(void **state)
{
	struct mem_range m[MEMMAP_MAX];
	int n = load(m, qemu_512, N(qemu_512));
	u64 a = 0x1234;

	(void)state;
	/* The best place is below the floor. */
	assert_int_equal(memmap_find_top(m, n, MiB(16), MiB(2), 0x1f000000, GiB(4), &a), -1);
	assert_true(a == 0x1234);
	/* Exactly at the floor still fits. */
	assert_int_equal(memmap_find_top(m, n, MiB(16), MiB(2), 0x1ee00000, GiB(4), &a), 0);
	assert_true(a == 0x1ee00000);
	/* Bigger than any RAM range. */
	assert_int_equal(memmap_find_top(m, n, MiB(512), MiB(2), 0, GiB(4), &a), -1);
	/* Fits in the range only if alignment is ignored. */
	assert_int_equal(memmap_find_top(m, n, 0x1fee0000, MiB(2), 0, GiB(4), &a), -1);
	assert_int_equal(memmap_find_top(m, n, 0x1fee0000, 0x1000, 0, GiB(4), &a), 0);
	assert_true(a == 0x100000);
	/* Limit below any fit, zero size, alignment not a power of two. */
	assert_int_equal(memmap_find_top(m, n, MiB(2), MiB(2), 0, MiB(1), &a), -1);
	assert_int_equal(memmap_find_top(m, n, 0, MiB(2), 0, GiB(4), &a), -1);
	assert_int_equal(memmap_find_top(m, n, MiB(2), 0x300000, 0, GiB(4), &a), -1);
	/* Only RAM counts. */
	m[3].type = RES;
	assert_int_equal(memmap_find_top(m, n, MiB(1), MiB(2), 0, GiB(4), &a), -1);
}

static void test_find_top_picks_highest(void **state)
{
	/* Unordered, with RAM above 4 GiB that the limit excludes. */
	static const struct mem_range in[] = {
		{ 0x100000000ULL, 0x100000000ULL, RAM },
		{ 0x40000000, 0x40000000, RAM },
		{ 0x100000, 0x3ff00000, RAM },
		{ 0xc0000000, 0x20000000, RAM },
		{ 0x0, 0x9fc00, RAM },
	};
	struct mem_range m[MEMMAP_MAX];
	int n = load(m, in, N(in));
	u64 a = 0;

	(void)state;
	assert_int_equal(memmap_find_top(m, n, MiB(64), MiB(2), MiB(1), GiB(4), &a), 0);
	assert_true(a == 0xdc000000);
	/* Without the limit, above 4 GiB. */
	assert_int_equal(memmap_find_top(m, n, MiB(64), MiB(2), 0, U64_MAX, &a), 0);
	assert_true(a == 0x1fc000000ULL);
	/* Too big for the range below the limit, so the next one down. */
	assert_int_equal(memmap_find_top(m, n, MiB(768), MiB(2), 0, GiB(4), &a), 0);
	assert_true(a == 0x50000000);
}

static void test_find_top_top_of_space(void **state)
{
	static const struct mem_range in[] = {
		{ U64_MAX - 0xffff, 0x10000, RAM },
	};
	struct mem_range m[MEMMAP_MAX];
	int n = load(m, in, N(in));
	u64 a = 0;

	(void)state;
	/* A + size <= limit: the very last page cannot be used. */
	assert_int_equal(memmap_find_top(m, n, 0x1000, 0x1000, 0, U64_MAX, &a), 0);
	assert_true(a == U64_MAX - 0x1fff);
	assert_int_equal(memmap_find_top(m, n, 0x10000, 0x1000, 0, U64_MAX, &a), -1);
	assert_int_equal(memmap_find_top(m, n, 0x1000, GiB(1), 0, U64_MAX, &a), -1);
}

/* --- memmap_ram_bytes --- */

static void test_ram_bytes(void **state)
{
	static const struct mem_range huge[] = {
		{ 0x0, U64_MAX - 10, RAM },
		{ 0x0, 100, RAM },
	};

	(void)state;
	assert_true(memmap_ram_bytes(qemu_512, N(qemu_512)) == 0x9fc00 + 0x1fee0000);
	assert_true(memmap_ram_bytes(bochs_32, N(bochs_32)) == 0x9f000 + 0x1ef0000);
	assert_true(memmap_ram_bytes(qemu_512, 0) == 0);
	/* Saturates instead of wrapping. */
	assert_true(memmap_ram_bytes(huge, N(huge)) == U64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_clean_maps),
		cmocka_unit_test(test_sanitize_unsorted),
		cmocka_unit_test(test_sanitize_overlaps),
		cmocka_unit_test(test_sanitize_larger_type_wins),
		cmocka_unit_test(test_sanitize_merge_and_drop),
		cmocka_unit_test(test_sanitize_top_of_space),
		cmocka_unit_test(test_sanitize_max_entries),
		cmocka_unit_test(test_sanitize_random),
		cmocka_unit_test(test_carve_random),
		cmocka_unit_test(test_carve_middle_split),
		cmocka_unit_test(test_carve_edges),
		cmocka_unit_test(test_carve_across_ranges),
		cmocka_unit_test(test_carve_reserved),
		cmocka_unit_test(test_carve_full_and_top),
		cmocka_unit_test(test_find_top_qemu),
		cmocka_unit_test(test_find_top_floor_and_no_fit),
		cmocka_unit_test(test_find_top_picks_highest),
		cmocka_unit_test(test_find_top_top_of_space),
		cmocka_unit_test(test_ram_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
