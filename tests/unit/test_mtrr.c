/* Unit tests for hv/mtrr.c (the type the MTRRs give an address, Intel SDM
 * vol. 3A 12.11.4.1) and hv/hostmap.c (Keel's identity map: no 2 MiB or
 * 1 GiB page over two MTRR types, SDM vol. 3A 12.11.9 "Large Page Size
 * Considerations"). Layouts: QEMU's (SeaBIOS), a desktop with default UC
 * and write-back ranges, an SMRAM-like hole that is not 2 MiB aligned,
 * the MTRRs off, the fixed ranges off, overlapping ranges, and a mask with
 * a hole in it. Every map built is checked leaf by leaf against
 * mtrr_type(), and each leaf must be as large as the rule allows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "string.h"
#include "../../hv/hostmap.h"

#define UC MTRR_TYPE_UC
#define WC MTRR_TYPE_WC
#define WT MTRR_TYPE_WT
#define WP MTRR_TYPE_WP
#define WB MTRR_TYPE_WB
#define POOL_PAGES 256u
#define BITS 40
#define ADDR_MASK ((1ull << BITS) - 1)

#include "page_pool.h"

/* A variable range [base, base+size) of one type: PHYSBASE and PHYSMASK
 * as firmware writes them (SDM 12.11.3, size a power of two, base
 * aligned to it). */
static void var(struct mtrr_state *m, u64 base, u64 size, u8 type)
{
	m->var[m->nvar].base = base | type;
	m->var[m->nvar].mask = (~(size - 1) & ADDR_MASK & ~0xFFFull) | MTRR_PHYSMASK_V;
	m->nvar++;
}

/* SeaBIOS on QEMU (measured: `keel: mtrr:` with -m 512 and 8G): default
 * WB, fixed ranges WB below A0000h, UC for the VGA window, WP for the
 * ROMs; the PCI hole UC. */
static void qemu_layout(struct mtrr_state *m)
{
	u64 fixed[11];

	memset(m, 0, sizeof(*m));
	m->enabled = m->fixed_enabled = true;
	m->def_type = WB;
	m->phys_bits = BITS;
	fixed[0] = 0x0606060606060606ull;	/* 0-7FFFFh */
	fixed[1] = 0x0606060606060606ull;	/* 80000h-9FFFFh */
	fixed[2] = 0;				/* A0000h-BFFFFh: UC */
	for (int i = 3; i < 11; i++)
		fixed[i] = 0x0505050505050505ull;	/* C0000h-FFFFFh: WP */
	mtrr_set_fixed(m, fixed);
	var(m, 0xC0000000, GiB(1), UC);
}

/* A desktop: default UC, write-back ranges over RAM (0-2 GiB, 2-3 GiB,
 * 4-8 GiB, 8-8.5 GiB), a UC hole for the top 64 MiB below 3 GiB
 * (graphics stolen memory) overlapping the WB range. */
static void desktop_layout(struct mtrr_state *m)
{
	qemu_layout(m);
	m->def_type = UC;
	m->nvar = 0;
	var(m, 0, GiB(2), WB);
	var(m, GiB(2), GiB(1), WB);
	var(m, GiB(3) - MiB(64), MiB(64), UC);
	var(m, GiB(4), GiB(4), WB);
	var(m, GiB(8), MiB(512), WB);
}

static void test_type_precedence(void **state)
{
	struct mtrr_state m;

	(void)state;
	qemu_layout(&m);
	/* 12.11.4.1: fixed ranges first, then variable, then the default. */
	assert_int_equal(mtrr_type(&m, 0), WB);
	assert_int_equal(mtrr_type(&m, 0x9F000), WB);
	assert_int_equal(mtrr_type(&m, 0xA0000), UC);
	assert_int_equal(mtrr_type(&m, 0xBFFFF), UC);
	assert_int_equal(mtrr_type(&m, 0xC0000), WP);
	assert_int_equal(mtrr_type(&m, 0xFFFFF), WP);
	assert_int_equal(mtrr_type(&m, 0x100000), WB);
	assert_int_equal(mtrr_type(&m, 0xBFFFFFFF), WB);
	assert_int_equal(mtrr_type(&m, 0xC0000000), UC);
	assert_int_equal(mtrr_type(&m, 0xFEE00000), UC);
	assert_int_equal(mtrr_type(&m, GiB(4)), WB);
	/* Overlaps: UC wins; WT beats WB; identical types stay; another
	 * mix is undefined and taken as UC. */
	desktop_layout(&m);
	assert_int_equal(mtrr_type(&m, GiB(3) - MiB(64)), UC);
	assert_int_equal(mtrr_type(&m, GiB(3) - MiB(64) - 1), WB);
	assert_int_equal(mtrr_type(&m, GiB(3)), UC);	/* default */
	assert_int_equal(mtrr_type(&m, GiB(8) + MiB(511)), WB);
	assert_int_equal(mtrr_type(&m, GiB(8) + MiB(512)), UC);
	var(&m, GiB(4), MiB(2), WT);
	assert_int_equal(mtrr_type(&m, GiB(4)), WT);
	var(&m, GiB(4) + MiB(4), MiB(2), WC);
	assert_int_equal(mtrr_type(&m, GiB(4) + MiB(4)), UC);
	var(&m, GiB(5), GiB(1), WB);
	assert_int_equal(mtrr_type(&m, GiB(5)), WB);
	/* A pair without its valid bit is not in use. */
	m.var[m.nvar - 1].mask &= ~(u64)MTRR_PHYSMASK_V;
	m.var[m.nvar - 2].mask &= ~(u64)MTRR_PHYSMASK_V;
	assert_int_equal(mtrr_type(&m, GiB(4) + MiB(4)), WB);
	/* Fixed ranges off: the first MiB follows the variable ranges. */
	m.fixed_enabled = false;
	assert_int_equal(mtrr_type(&m, 0xA0000), WB);
	/* The MTRRs off: everything is UC, whatever the registers hold. */
	m.enabled = false;
	assert_int_equal(mtrr_type(&m, GiB(1)), UC);
	assert_int_equal(mtrr_type(&m, 0), UC);
}

static void test_types_in_ranges(void **state)
{
	struct mtrr_state m;

	(void)state;
	qemu_layout(&m);
	assert_int_equal(mtrr_types(&m, 0, MiB(2)), 1u << WB | 1u << UC | 1u << WP);
	assert_int_equal(mtrr_types(&m, 0, 0xA0000), 1u << WB);
	assert_int_equal(mtrr_types(&m, 0xA0000, 0x20000), 1u << UC);
	assert_int_equal(mtrr_types(&m, 0xFF000, PG), 1u << WP);
	assert_int_equal(mtrr_types(&m, MiB(1), MiB(1)), 1u << WB);
	assert_int_equal(mtrr_types(&m, GiB(2), GiB(1)), 1u << WB);
	assert_int_equal(mtrr_types(&m, GiB(2), GiB(2)), 1u << WB | 1u << UC);
	assert_int_equal(mtrr_types(&m, GiB(3) - PG, 2 * PG), 1u << WB | 1u << UC);
	assert_int_equal(mtrr_types(&m, 0, 0), 0);
	assert_true(mtrr_one_type(&m, GiB(3), GiB(1)));
	assert_false(mtrr_one_type(&m, GiB(3) - MiB(2), MiB(4)));
	/* A range inside another of its own type is still one type. */
	var(&m, GiB(4), MiB(2), WB);
	assert_true(mtrr_one_type(&m, GiB(4), GiB(1)));
	m.enabled = false;
	assert_int_equal(mtrr_types(&m, 0, GiB(16)), 1u << UC);
}

/* 12.11.3 asks for contiguous masks; a mask with a hole matches a union
 * of blocks: here 16 MiB blocks at 16 MiB + n * 256 MiB below 4 GiB. */
static void noncontiguous(struct mtrr_state *m)
{
	qemu_layout(m);
	m->nvar = 0;
	m->var[0].base = 0x01000000 | UC;
	m->var[0].mask = 0xFF0F000000ull | MTRR_PHYSMASK_V;
	m->nvar = 1;
}

static void test_noncontiguous_mask(void **state)
{
	struct mtrr_state m;

	(void)state;
	noncontiguous(&m);
	assert_int_equal(mtrr_type(&m, MiB(16)), UC);
	assert_int_equal(mtrr_type(&m, MiB(32)), WB);
	assert_int_equal(mtrr_type(&m, MiB(256 + 16)), UC);
	assert_int_equal(mtrr_type(&m, GiB(4) + MiB(16)), WB);
	assert_int_equal(mtrr_types(&m, MiB(16), MiB(16)), 1u << UC);
	assert_int_equal(mtrr_types(&m, GiB(1), GiB(1)), 1u << WB | 1u << UC);
	/* Too many blocks to look at: "cannot tell", never "one type". */
	assert_int_equal(mtrr_types(&m, 0, GiB(64)), 0);
	assert_false(mtrr_one_type(&m, 0, GiB(64)));
}

/* ---- Keel's map ----------------------------------------------------------- */

static int leaf_level(const struct pt_builder *b, u64 a)
{
	int level = 0;
	hpa_t pa;

	if (pt_walk(b, a, &pa, &level, NULL))
		fail_msg("%#llx is not mapped", (unsigned long long)a);
	assert_int_equal(pa, a);
	return level;
}

/* Every leaf of [0, top) holds one type (checked against mtrr_type()
 * every 64 KiB, every 4 KiB in the first MiB), and is as large as it can
 * be: the next larger page holding it would be misaligned to top, past
 * top, or over two types. Returns how many leaves of each size. */
static void check_map(const struct pt_builder *b, const struct mtrr_state *m, u64 top,
		      bool big, unsigned leaves[4])
{
	memset(leaves, 0, 4 * sizeof(*leaves));
	for (u64 a = 0; a < top;) {
		int level = leaf_level(b, a);
		u64 size = PG << (9 * (level - 1)), step = a < MiB(1) ? PG : KiB(64);
		u8 t = mtrr_type(m, a);

		for (u64 g = a; g < a + size; g += step)
			if (mtrr_type(m, g) != t)
				fail_msg("the level-%d page at %#llx spans %s at %#llx and %s at %#llx",
					 level, (unsigned long long)a, mtrr_type_name(t),
					 (unsigned long long)a, mtrr_type_name(mtrr_type(m, g)),
					 (unsigned long long)g);
		if (level < (big ? 3 : 2)) {
			u64 up = size << 9, blk = ALIGN_DOWN(a, up);

			if (blk + up <= top && mtrr_one_type(m, blk, up))
				fail_msg("the level-%d page at %#llx could be part of a one-type "
					 "level-%d page at %#llx", level, (unsigned long long)a,
					 level + 1, (unsigned long long)blk);
		}
		leaves[level]++;
		a += size;
	}
}

static struct pt_builder b;
static struct pt_format fmt;

static void build(const struct mtrr_state *m, u64 top, bool big)
{
	fmt = hostmap_format;
	fmt.large_1g = big;
	pool_used = 0;
	assert_int_equal(hostmap_build(&b, &fmt, pool_alloc, pool_ptr, NULL, m, top), 0);
}

static void test_map_qemu(void **state)
{
	struct mtrr_state m;
	unsigned n[4];

	(void)state;
	qemu_layout(&m);
	/* -m 8G: RAM to 9 GiB (3 GiB below the hole, 6 above). The first
	 * 2 MiB in 4 KiB pages (the first MiB has three types, 12.11.9),
	 * then 2 MiB pages up to 1 GiB, then 1 GiB pages. */
	build(&m, GiB(9), true);
	check_map(&b, &m, GiB(9), true, n);
	assert_int_equal(n[1], 512);
	assert_int_equal(n[2], 511);
	assert_int_equal(n[3], 8);
	assert_int_equal(b.tables, 4);	/* PML4, PDPT, PD, PT */
	/* Without 1 GiB pages: one page directory per GiB. */
	build(&m, GiB(9), false);
	check_map(&b, &m, GiB(9), false, n);
	assert_int_equal(n[3], 0);
	assert_int_equal(b.tables, 2 + 9 + 1);
	/* A top that is not 2 MiB aligned ends in 4 KiB pages. */
	build(&m, GiB(4) + MiB(3) + 5 * PG, true);
	check_map(&b, &m, GiB(4) + MiB(3) + 5 * PG, true, n);
	assert_int_equal(leaf_level(&b, GiB(4) + MiB(2)), 1);
}

static void test_map_desktop(void **state)
{
	struct mtrr_state m;
	unsigned n[4];

	(void)state;
	desktop_layout(&m);
	build(&m, GiB(8) + MiB(512), true);
	check_map(&b, &m, GiB(8) + MiB(512), true, n);
	/* The 64 MiB hole below 3 GiB breaks that GiB into 2 MiB pages. */
	assert_int_equal(leaf_level(&b, GiB(2)), 2);
	assert_int_equal(leaf_level(&b, GiB(3) - MiB(2)), 2);
	assert_int_equal(leaf_level(&b, GiB(3)), 3);
	assert_int_equal(leaf_level(&b, GiB(5)), 3);
	assert_int_equal(leaf_level(&b, GiB(8)), 2);
}

/* An SMRAM-like UC megabyte at the top of 2 GiB: not 2 MiB aligned, so
 * the 2 MiB page around it is cut into 4 KiB pages. */
static void test_map_unaligned_hole(void **state)
{
	struct mtrr_state m;
	unsigned n[4];

	(void)state;
	qemu_layout(&m);
	var(&m, GiB(2) - MiB(1), MiB(1), UC);
	build(&m, GiB(4), true);
	check_map(&b, &m, GiB(4), true, n);
	assert_int_equal(leaf_level(&b, GiB(2) - MiB(2)), 1);
	assert_int_equal(leaf_level(&b, GiB(2) - MiB(1)), 1);
	assert_int_equal(leaf_level(&b, GiB(2) - MiB(4)), 2);
	assert_int_equal(leaf_level(&b, GiB(1)), 2);
	assert_int_equal(leaf_level(&b, GiB(2)), 3);
	build(&m, GiB(4), false);
	check_map(&b, &m, GiB(4), false, n);
}

static void test_map_without_mtrrs(void **state)
{
	struct mtrr_state m;
	unsigned n[4];

	(void)state;
	/* No MTRRs on the CPU: any page that fits. */
	build(NULL, GiB(4), true);
	assert_int_equal(leaf_level(&b, 0), 3);
	assert_int_equal(b.tables, 2);
	/* MTRRs off: all UC, one type, so large pages everywhere too. */
	qemu_layout(&m);
	m.enabled = false;
	build(&m, GiB(4), true);
	check_map(&b, &m, GiB(4), true, n);
	assert_int_equal(n[3], 4);
	/* Fixed ranges off, one WB range over 0-4 GiB: the first GiB whole. */
	qemu_layout(&m);
	m.fixed_enabled = false;
	build(&m, GiB(2), true);
	check_map(&b, &m, GiB(2), true, n);
	assert_int_equal(leaf_level(&b, 0), 3);
}

static void test_map_noncontiguous(void **state)
{
	struct mtrr_state m;
	unsigned n[4];

	(void)state;
	noncontiguous(&m);
	build(&m, GiB(6), true);
	check_map(&b, &m, GiB(6), true, n);
	assert_int_equal(leaf_level(&b, MiB(16)), 2);
	assert_int_equal(leaf_level(&b, GiB(4)), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_precedence),
		cmocka_unit_test(test_types_in_ranges),
		cmocka_unit_test(test_noncontiguous_mask),
		cmocka_unit_test(test_map_qemu),
		cmocka_unit_test(test_map_desktop),
		cmocka_unit_test(test_map_unaligned_hole),
		cmocka_unit_test(test_map_without_mtrrs),
		cmocka_unit_test(test_map_noncontiguous),
	};
	int r;

	pool_mem = aligned_alloc(PG, POOL_PAGES * PG);
	if (!pool_mem)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	free(pool_mem);
	return r;
}
