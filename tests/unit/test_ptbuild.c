/* Unit tests for hv/ptbuild.c with both formats (npt/npt.c, ept/ept.c),
 * each with 1 GiB leaves off (as shipped) and on. Tables come from a pool
 * of host pages that pretends to sit at physical POOL_PHYS; ptr() refuses
 * anything outside it. Every check walks the built tables, so it tests
 * what the CPU would see. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "string.h"
#include "../../hv/ptbuild.h"
#include "../../npt/npt.h"
#include "../../ept/ept.h"

#define POOL_PHYS	0x100000ull
#define POOL_PAGES	1024u
#define PG		0x1000ull
#define UC		PT_MEM_UC
#define WB		PT_MEM_WB

struct pool {
	u8 *mem;
	unsigned used;
	unsigned limit;		/* allocations allowed before failing */
};

static struct pool pool;

static hpa_t pool_alloc(void *ctx)
{
	struct pool *p = ctx;

	if (p->used >= p->limit || p->used >= POOL_PAGES)
		return 0;
	/* Zeroed, as the contract says; setup() fills the pool with 0xa5 so
	 * that reading a page never handed out shows garbage. */
	memset(p->mem + p->used * PG, 0, PG);
	return POOL_PHYS + p->used++ * PG;
}

static void *pool_ptr(hpa_t pa, void *ctx)
{
	struct pool *p = ctx;

	if (pa < POOL_PHYS || pa >= POOL_PHYS + p->used * PG || (pa & (PG - 1)))
		fail_msg("ptr(%#llx): not a table page handed out by alloc "
			 "(pool %#llx, %u pages used)", (unsigned long long)pa,
			 (unsigned long long)POOL_PHYS, p->used);
	return p->mem + (pa - POOL_PHYS);
}

/* The formats under test: as shipped, and with 1 GiB leaves allowed. */
struct fcase {
	const char *label;
	const struct pt_format *base;
	bool large_1g;
	struct pt_format fmt;
};

static struct fcase cases[] = {
	{ "npt", &npt_format, false, { 0 } },
	{ "npt+1g", &npt_format, true, { 0 } },
	{ "ept", &ept_format, false, { 0 } },
	{ "ept+1g", &ept_format, true, { 0 } },
};

static struct pt_builder b;

static int setup(void **state)
{
	struct fcase *c = *state;

	c->fmt = *c->base;
	c->fmt.large_1g = c->large_1g;
	memset(pool.mem, 0xa5, POOL_PAGES * PG);
	pool.used = 0;
	pool.limit = POOL_PAGES;
	if (pt_init(&b, &c->fmt, pool_alloc, pool_ptr, &pool) != 0)
		return -1;
	return 0;
}

static bool is_npt(const struct fcase *c)
{
	return c->base == &npt_format;
}

static u64 page_size(int level)
{
	return PG << (9 * (level - 1));
}

/* Decodes and checks every bit of a leaf the formats define. */
static void check_leaf(const struct fcase *c, u64 gpa, u64 e, int level,
		       enum pt_mem_type want)
{
	u64 off = page_size(level) - 1;
	enum pt_mem_type got = WB;

	if ((e & c->fmt.addr_mask & off) != 0)
		fail_msg("%s gpa %#llx: level-%d leaf %#llx has bits set below "
			 "its page size", c->label, (unsigned long long)gpa,
			 level, (unsigned long long)e);
	if (is_npt(c)) {
		u64 must = NPT_PTE_P | NPT_PTE_RW | NPT_PTE_US;

		assert_int_equal(e & must, must);
		assert_false(e & NPT_PTE_NX);
		/* Bit 7 is PS for large leaves, the PAT bit (kept 0) in a PTE. */
		assert_int_equal(!!(e & NPT_PTE_PS), level > 1);
		if (level > 1)
			assert_false(e & NPT_PTE_PAT_LARGE);
		if ((e & (NPT_PTE_PCD | NPT_PTE_PWT)) == (NPT_PTE_PCD | NPT_PTE_PWT))
			got = UC;
		else if (!(e & (NPT_PTE_PCD | NPT_PTE_PWT)))
			got = WB;
		else
			fail_msg("%s gpa %#llx: PCD/PWT half set in %#llx", c->label,
				 (unsigned long long)gpa, (unsigned long long)e);
	} else {
		unsigned mt = (unsigned)(e >> EPT_MEMTYPE_SHIFT) & 7;

		assert_int_equal(e & EPT_RWX, EPT_RWX);
		assert_false(e & EPT_IGNORE_PAT);
		assert_int_equal(!!(e & EPT_LARGE_PAGE), level > 1);
		assert_int_equal(e & 0xf00, 0);	/* A/D and ignored bits */
		if (mt == EPT_MEMTYPE_UC)
			got = UC;
		else if (mt == EPT_MEMTYPE_WB)
			got = WB;
		else
			fail_msg("%s gpa %#llx: memory type %u in %#llx", c->label,
				 (unsigned long long)gpa, mt, (unsigned long long)e);
	}
	if (got != want)
		fail_msg("%s gpa %#llx: expected %s, leaf %#llx says %s", c->label,
			 (unsigned long long)gpa, want == UC ? "UC" : "WB",
			 (unsigned long long)e, got == UC ? "UC" : "WB");
}

/* Walks gpa and checks it is identity-mapped at level want_level (0 =
 * any) with type want. */
static void expect_mapped(const struct fcase *c, u64 gpa, int want_level,
			  enum pt_mem_type want)
{
	hpa_t pa = 0;
	int level = 0;
	u64 e = 0;

	if (pt_walk(&b, gpa, &pa, &level, &e) != 0)
		fail_msg("%s: expected gpa %#llx mapped, walk says unmapped",
			 c->label, (unsigned long long)gpa);
	if (pa != gpa)
		fail_msg("%s: gpa %#llx translates to %#llx, not to itself",
			 c->label, (unsigned long long)gpa, (unsigned long long)pa);
	if (want_level && level != want_level)
		fail_msg("%s: gpa %#llx mapped at level %d, expected level %d",
			 c->label, (unsigned long long)gpa, level, want_level);
	check_leaf(c, gpa, e, level, want);
}

static void expect_unmapped(const struct fcase *c, u64 gpa)
{
	hpa_t pa;
	int level;

	if (pt_walk(&b, gpa, &pa, &level, NULL) != -1)
		fail_msg("%s: expected gpa %#llx unmapped, walk gives %#llx at "
			 "level %d", c->label, (unsigned long long)gpa,
			 (unsigned long long)pa, level);
}

/* The level a lone range [lo, hi) should use at a: the largest block
 * containing a that lies wholly inside the range. */
static int ideal_level(const struct fcase *c, u64 lo, u64 hi, u64 a)
{
	int level;

	for (level = c->fmt.large_1g ? 3 : 2; level > 1; level--) {
		u64 blk = a & ~(page_size(level) - 1);

		if (blk >= lo && blk + page_size(level) <= hi)
			return level;
	}
	return 1;
}

/* Checks the non-leaf entries on the path to gpa. */
static void check_tables(const struct fcase *c, u64 gpa)
{
	const u64 *t = pool_ptr(b.root, &pool);
	int level;

	for (level = 4; level >= 2; level--) {
		u64 e = t[(gpa >> (12 + 9 * (level - 1))) & 511];

		if (!c->fmt.present(e) || c->fmt.is_leaf(e, level))
			return;
		if (is_npt(c))
			assert_int_equal(e & ~NPT_PTE_ADDR_MASK,
					 NPT_PTE_P | NPT_PTE_RW | NPT_PTE_US);
		else
			assert_int_equal(e & ~EPT_ADDR_MASK, EPT_RWX);
		t = pool_ptr(e & c->fmt.addr_mask, &pool);
	}
}

static void test_init(void **state)
{
	const struct fcase *c = *state;
	const u64 *root = pool_ptr(b.root, &pool);
	int i;

	assert_int_equal(b.tables, 1);
	assert_int_equal(b.root, POOL_PHYS);
	for (i = 0; i < 512; i++)
		assert_int_equal(root[i], 0);
	expect_unmapped(c, 0);
	expect_unmapped(c, GiB(1));

	pool.used = 0;
	pool.limit = 0;
	assert_int_equal(pt_init(&b, &c->fmt, pool_alloc, pool_ptr, &pool), -1);
}

/* One range with a 4 KiB head, 2 MiB blocks, a whole 1 GiB block, 2 MiB
 * blocks again and a 4 KiB tail; every page around it is walked. */
static void test_levels(void **state)
{
	const struct fcase *c = *state;
	const u64 lo = MiB(2) - 2 * PG, hi = GiB(2) + MiB(4) + 3 * PG;
	u64 a;

	assert_int_equal(pt_map_identity(&b, lo, hi - lo, WB), 0);
	for (a = 0; a < hi + MiB(4); a += PG) {
		if (a < lo || a >= hi)
			expect_unmapped(c, a);
		else
			expect_mapped(c, a | ((a >> 12) & 0xff8), ideal_level(c, lo, hi, a), WB);
	}
	expect_mapped(c, lo, 1, WB);
	expect_mapped(c, MiB(2), 2, WB);
	expect_mapped(c, GiB(1) + 0x12345678, c->fmt.large_1g ? 3 : 2, WB);
	expect_mapped(c, GiB(2), 2, WB);
	expect_mapped(c, hi - 1, 1, WB);
	check_tables(c, lo);
	check_tables(c, hi - 1);
	/* PML4, PDPT, the PDs of GiB 0, 1 (without 1G leaves) and 2, two
	 * PTs. */
	assert_int_equal(b.tables, c->fmt.large_1g ? 6 : 7);
}

/* Each type at each level, checked bit by bit. */
static void test_memtypes(void **state)
{
	const struct fcase *c = *state;
	static const struct pt_range r[] = {
		{ 0, PG, UC },
		{ PG, MiB(2) - PG, WB },
		{ MiB(2), MiB(2), UC },
		{ MiB(4), MiB(2), WB },
		{ GiB(1), GiB(1), UC },
		{ GiB(2), GiB(1), WB },
	};

	assert_int_equal(pt_map_ranges(&b, r, 6), 0);
	expect_mapped(c, 0, 1, UC);
	expect_mapped(c, 0xfff, 1, UC);
	expect_mapped(c, PG, 1, WB);
	expect_mapped(c, MiB(2) - 1, 1, WB);
	expect_mapped(c, MiB(2), 2, UC);
	expect_mapped(c, MiB(4) + 0x1234, 2, WB);
	expect_unmapped(c, MiB(6));
	expect_mapped(c, GiB(1) + MiB(3), c->fmt.large_1g ? 3 : 2, UC);
	expect_mapped(c, GiB(3) - 1, c->fmt.large_1g ? 3 : 2, WB);
	expect_unmapped(c, GiB(3));
	check_tables(c, 0);
	check_tables(c, GiB(2));
}

static void test_holes_and_limit(void **state)
{
	const struct fcase *c = *state;
	const u64 top = (u64)1 << 48;

	assert_int_equal(pt_map_identity(&b, MiB(1), PG, WB), 0);
	assert_int_equal(pt_map_identity(&b, top - MiB(2), MiB(2), UC), 0);
	expect_unmapped(c, 0);
	expect_unmapped(c, MiB(1) - 1);
	expect_mapped(c, MiB(1) + 0xabc, 1, WB);
	expect_unmapped(c, MiB(1) + PG);
	expect_unmapped(c, MiB(2));
	expect_mapped(c, top - 1, 2, UC);
	expect_unmapped(c, top);
	expect_unmapped(c, ~0ull);
	/* 2^48 itself would wrap to index 0 of the PML4. */
	assert_int_equal(pt_map_identity(&b, top, PG, WB), -1);
	expect_unmapped(c, 0);
}

/* A range mapped after a neighbour that shares its 2 MiB (or 1 GiB) block
 * must split into small pages around it, in whatever order they come. */
static void test_split_around(void **state)
{
	const struct fcase *c = *state;
	u64 a;

	assert_int_equal(pt_map_identity(&b, MiB(2) + PG, PG, UC), 0);
	assert_int_equal(pt_map_identity(&b, 0, MiB(2) + PG, WB), 0);
	assert_int_equal(pt_map_identity(&b, MiB(2) + 2 * PG, MiB(4) - 2 * PG, WB), 0);
	expect_mapped(c, 0, 2, WB);
	for (a = MiB(2); a < MiB(4); a += PG)
		expect_mapped(c, a, 1, a == MiB(2) + PG ? UC : WB);
	expect_mapped(c, MiB(4), 2, WB);
	expect_mapped(c, MiB(6) - 1, 2, WB);
	expect_unmapped(c, MiB(6));

	/* A table already under a 1 GiB slot: 2 MiB pages, not a 1 GiB leaf
	 * over it. */
	assert_int_equal(pt_map_identity(&b, GiB(1) + MiB(2), MiB(2), UC), 0);
	assert_int_equal(pt_map_identity(&b, GiB(1), MiB(2), WB), 0);
	assert_int_equal(pt_map_identity(&b, GiB(1) + MiB(4), GiB(1) - MiB(4), WB), 0);
	expect_mapped(c, GiB(1), 2, WB);
	expect_mapped(c, GiB(1) + MiB(3), 2, UC);
	expect_mapped(c, GiB(2) - 1, 2, WB);
	/* PML4, PDPT, PD 0, PT for MiB 2..4, PD 1. */
	assert_int_equal(b.tables, 5);
}

static void test_overlap_rejected(void **state)
{
	const struct fcase *c = *state;

	assert_int_equal(pt_map_identity(&b, MiB(2), MiB(2), WB), 0);
	assert_int_equal(pt_map_identity(&b, MiB(4), PG, UC), 0);
	assert_int_equal(pt_map_identity(&b, MiB(2), MiB(2), WB), -1);
	assert_int_equal(pt_map_identity(&b, MiB(3), PG, UC), -1);
	assert_int_equal(pt_map_identity(&b, MiB(4), MiB(2), WB), -1);
	assert_int_equal(pt_map_identity(&b, 0, GiB(1), WB), -1);
	expect_mapped(c, MiB(3), 2, WB);
	expect_mapped(c, MiB(4), 1, UC);
}

static void test_bad_arguments(void **state)
{
	const struct fcase *c = *state;

	assert_int_equal(pt_map_identity(&b, 0x800, PG, WB), -1);
	assert_int_equal(pt_map_identity(&b, 0, PG + 1, WB), -1);
	assert_int_equal(pt_map_identity(&b, 0, 0x10, WB), -1);
	assert_int_equal(pt_map_identity(&b, ~0ull & ~(PG - 1), PG, WB), -1);
	assert_int_equal(pt_map_identity(&b, PG, ~0ull & ~(PG - 1), WB), -1);
	assert_int_equal(pt_map_identity(&b, ((u64)1 << 48) - PG, 2 * PG, WB), -1);
	/* Nothing allocated, nothing mapped. */
	assert_int_equal(b.tables, 1);
	expect_unmapped(c, 0);
	expect_unmapped(c, PG);
	assert_int_equal(pt_map_identity(&b, PG, 0, WB), 0);
	assert_int_equal(b.tables, 1);
}

/* QEMU -m 512 (SeaBIOS) as hv/gpmap.c lays it out for a 22 MiB region at
 * 0x1e800000: the region is a hole. */
static const struct pt_range qemu_512[] = {
	{ 0x0, 0x9f000, WB },
	{ 0x9f000, 0x61000, UC },
	{ 0x100000, 0x1e700000, WB },
	{ 0x1fe00000, 0x1e0000, WB },
	{ 0x1ffe0000, 0xe0020000, UC },
};

static int range_of(const struct pt_range *r, int n, u64 a)
{
	int i;

	for (i = 0; i < n; i++)
		if (a >= r[i].base && a - r[i].base < r[i].len)
			return i;
	return -1;
}

static void check_all_pages(const struct fcase *c, const struct pt_range *r,
			    int n, u64 end)
{
	u64 a;

	for (a = 0; a < end; a += PG) {
		int i = range_of(r, n, a);

		if (i < 0)
			expect_unmapped(c, a);
		else
			expect_mapped(c, a | ((a >> 12) & 0xff8), 0, r[i].type);
	}
}

static void test_qemu_map(void **state)
{
	const struct fcase *c = *state;

	assert_int_equal(pt_map_ranges(&b, qemu_512, 5), 0);
	/* PML4 + PDPT + 4 PDs + PTs for MiB 0-2 and 510-512, or with 1 GiB
	 * leaves only the PD of GiB 0. */
	print_message("%s: QEMU 512 MiB map, 22 MiB region: %u tables\n",
		      c->label, b.tables);
	assert_int_equal(b.tables, c->fmt.large_1g ? 5 : 8);
	check_all_pages(c, qemu_512, 5, GiB(4) + MiB(4));
	expect_mapped(c, 0x1e7fffff, 2, WB);
	expect_unmapped(c, 0x1e800000);
	expect_unmapped(c, 0x1fdfffff);
	expect_mapped(c, 0x1fe00000, 1, WB);
	expect_mapped(c, 0x1ffe0000, 1, UC);
	expect_mapped(c, 0xfee00000, c->fmt.large_1g ? 3 : 2, UC);
	check_tables(c, 0x1ffe0000);
}

/* The same map in reverse and in a shuffled order gives the same tables. */
static void test_order_independent(void **state)
{
	const struct fcase *c = *state;
	static const int order[] = { 3, 0, 4, 2, 1 };
	unsigned want;
	int i;

	assert_int_equal(pt_map_ranges(&b, qemu_512, 5), 0);
	want = b.tables;
	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(setup(state), 0);
		for (i = 0; i < 5; i++) {
			const struct pt_range *r = &qemu_512[pass ? order[i] : 4 - i];

			assert_int_equal(pt_map_identity(&b, r->base, r->len, r->type), 0);
		}
		assert_int_equal(b.tables, want);
		check_all_pages(c, qemu_512, 5, MiB(520));
	}
}

/* Every allocation failing in turn: -1, never a table outside the pool,
 * and what was mapped before still walks. */
static void test_alloc_failure(void **state)
{
	const struct fcase *c = *state;
	unsigned need, k;

	assert_int_equal(pt_map_ranges(&b, qemu_512, 5), 0);
	need = b.tables;
	for (k = 1; k < need; k++) {
		assert_int_equal(setup(state), 0);
		pool.limit = k;
		assert_int_equal(pt_map_ranges(&b, qemu_512, 5), -1);
		assert_int_equal(b.tables, k);
		assert_int_equal(pool.used, k);
	}
	/* The last failure came after the first three ranges were done. */
	expect_mapped(c, 0, 1, WB);
	expect_mapped(c, 0x1e7ff000, 2, WB);
}

/* The predicates the builder and walker rely on, on entries the formats
 * make and on ones they never make (a PS bit where it means something
 * else, an execute-only EPT entry). */
static void test_predicates(void **state)
{
	const struct fcase *c = *state;
	const struct pt_format *f = &c->fmt;
	u64 bit7 = (u64)1 << 7;
	int level;

	assert_false(f->present(0));
	assert_true(f->present(f->table_entry(0x5000, 4)));
	for (level = 1; level <= 3; level++) {
		u64 e = f->leaf_entry(GiB(1), level, UC);

		assert_true(f->present(e));
		assert_true(f->is_leaf(e, level));
		assert_int_equal(e & f->addr_mask, GiB(1));
	}
	for (level = 2; level <= 4; level++)
		assert_false(f->is_leaf(f->table_entry(0x5000, 4), level));
	assert_int_equal(f->table_entry(0x5000, 4) & f->addr_mask, 0x5000);
	/* Bit 7 is reserved in a PML4 entry; in a PTE it is PAT (NPT) or
	 * ignored (EPT), and a PTE is a leaf either way. */
	assert_false(f->is_leaf(f->table_entry(0x5000, 4) | bit7, 4));
	assert_true(f->is_leaf(f->leaf_entry(0x5000, 1, WB) | bit7, 1));
	assert_true(f->is_leaf(f->leaf_entry(0x5000, 1, WB) & ~bit7, 1));
	if (!is_npt(c)) {
		/* Not present means bits 2:0 all clear (SDM 29.3.2). */
		assert_true(f->present(EPT_EXECUTE | 0x5000));
		assert_true(f->present(EPT_WRITE | 0x5000));
	} else {
		assert_false(f->present(NPT_PTE_RW | NPT_PTE_US | 0x5000));
	}
}

/* Bits of a large leaf below its page size are flags (NPT's large-page
 * PAT bit), never address: the walker must drop them. */
static void test_walk_large_flags(void **state)
{
	const struct fcase *c = *state;
	u64 *pd;
	hpa_t pa;
	int level;

	assert_int_equal(pt_map_identity(&b, MiB(4), MiB(2), WB), 0);
	pd = pool_ptr(POOL_PHYS + 2 * PG, &pool);	/* root, PDPT, PD */
	assert_true(c->fmt.is_leaf(pd[2], 2));
	pd[2] |= (u64)1 << 12;
	assert_int_equal(pt_walk(&b, MiB(5) + 0x123, &pa, &level, NULL), 0);
	assert_int_equal(pa, MiB(5) + 0x123);
	assert_int_equal(level, 2);
}

static void test_eptp(void **state)
{
	(void)state;
	assert_int_equal(ept_eptp(0x12345000), 0x12345000 | 6 | (3 << 3));
	assert_int_equal(ept_eptp(0x7ffff000ull) & 0x7, EPT_MEMTYPE_WB);
	assert_int_equal((ept_eptp(0x7ffff000ull) >> 3) & 7, 3);
	assert_false(ept_eptp(0x7ffff000ull) & EPTP_AD_ENABLE);
	assert_int_equal(ept_eptp(0xabcdef000ull) & EPT_ADDR_MASK, 0xabcdef000ull);
}

/* The APIC page write-protected on its own 4 KiB leaf (hv/lapic.c): only
 * the write bit goes, the neighbours keep theirs, and anything not on a
 * 4 KiB leaf is refused. */
static void test_write_protect(void **state)
{
	const struct fcase *c = *state;
	const u64 apic = 0xfee00000;
	u64 before, after;
	int level;

	assert_int_equal(pt_map_identity(&b, 0xfec00000, apic - 0xfec00000, UC), 0);
	assert_int_equal(pt_map_identity(&b, apic, PG, UC), 0);
	assert_int_equal(pt_map_identity(&b, apic + PG, GiB(4) - apic - PG, UC), 0);
	assert_int_equal(pt_map_identity(&b, 0, MiB(4), WB), 0);
	assert_int_equal(pt_walk(&b, apic, NULL, &level, &before), 0);
	assert_int_equal(level, 1);
	assert_true(before & c->fmt.write_bit);
	assert_int_equal(pt_set_page(&b, apic + 0x300, apic, false), 0);
	assert_int_equal(pt_walk(&b, apic, NULL, NULL, &after), 0);
	assert_int_equal(after, before & ~c->fmt.write_bit);
	assert_true(c->fmt.present(after));
	expect_mapped(c, apic - PG, 2, UC);
	expect_mapped(c, apic + PG, 1, UC);
	expect_mapped(c, 0, 2, WB);
	/* A 2 MiB leaf, an unmapped page and an unaligned address are refused. */
	assert_int_equal(pt_set_page(&b, MiB(2), MiB(2), false), -1);
	assert_int_equal(pt_set_page(&b, GiB(8), GiB(8), false), -1);
	assert_int_equal(pt_set_page(&b, apic, apic + 0x10, false), -1);
}

/* A page moved to another host page (the BIOS guest's reset-vector copy,
 * hv/guest.c): the walk gives the new address with the old memory type,
 * writable again when asked. */
static void test_set_page_elsewhere(void **state)
{
	const struct fcase *c = *state;
	hpa_t pa = 0;
	u64 e = 0;

	assert_int_equal(pt_map_identity(&b, 0xfe000, PG, UC), 0);
	assert_int_equal(pt_map_identity(&b, 0xff000, PG, UC), 0);
	assert_int_equal(pt_set_page(&b, 0xff000, 0x1e9f3000, true), 0);
	assert_int_equal(pt_walk(&b, 0xffff0, &pa, NULL, &e), 0);
	assert_int_equal(pa, 0x1e9f3ff0);
	assert_true(e & c->fmt.write_bit);
	check_leaf(c, 0xff000, e & ~c->fmt.addr_mask, 1, UC);
	expect_mapped(c, 0xfe000, 1, UC);
}

/* Each test once per format, named after it ("test_levels/ept+1g"). */
#define ONE(fn, i, label) { #fn "/" label, fn, setup, NULL, &cases[i] }
#define PER_FORMAT(fn)							\
	ONE(fn, 0, "npt"), ONE(fn, 1, "npt+1g"),			\
	ONE(fn, 2, "ept"), ONE(fn, 3, "ept+1g")

int main(void)
{
	const struct CMUnitTest tests[] = {
		PER_FORMAT(test_init),
		PER_FORMAT(test_levels),
		PER_FORMAT(test_memtypes),
		PER_FORMAT(test_holes_and_limit),
		PER_FORMAT(test_split_around),
		PER_FORMAT(test_overlap_rejected),
		PER_FORMAT(test_bad_arguments),
		PER_FORMAT(test_qemu_map),
		PER_FORMAT(test_order_independent),
		PER_FORMAT(test_alloc_failure),
		PER_FORMAT(test_predicates),
		PER_FORMAT(test_walk_large_flags),
		PER_FORMAT(test_write_protect),
		PER_FORMAT(test_set_page_elsewhere),
		cmocka_unit_test(test_eptp),
	};
	int r;

	pool.mem = aligned_alloc(PG, POOL_PAGES * PG);
	if (!pool.mem)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	free(pool.mem);
	return r;
}
