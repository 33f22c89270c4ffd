/* Unit tests for hv/gva.c: guest page tables built in a fake guest-
 * physical memory, walked in every paging mode (none, 32-bit with 4 KiB
 * and 4 MiB pages, PAE with 4 KiB and 2 MiB pages, 4- and 5-level IA-32e
 * with 4 KiB, 2 MiB and 1 GiB pages); not-present entries at each level,
 * tables outside guest memory, and CR4.PSE off turning a PS entry into a
 * table pointer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "types.h"
#include "../../hv/gva.h"
#include "../../hv/x86.h"

#define MEM_SIZE 0x20000u	/* guest-physical 0 .. 128 KiB */
#define P 1ull
#define RW 2ull
#define PS 0x80ull

static u8 mem[MEM_SIZE];
static unsigned reads;

static int rd(gpa_t gpa, unsigned size, u64 *val, void *ctx)
{
	(void)ctx;
	reads++;
	if (gpa >= MEM_SIZE || MEM_SIZE - gpa < size)
		return -1;
	*val = 0;
	memcpy(val, mem + gpa, size);
	return 0;
}

static void put32(u64 at, u32 v) { memcpy(mem + at, &v, 4); }
static void put64(u64 at, u64 v) { memcpy(mem + at, &v, 8); }

static int setup(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	reads = 0;
	return 0;
}

static gpa_t walk_ok(const struct gva_regs *r, u64 la)
{
	gpa_t gpa = 0;

	if (gva_translate(r, la, rd, NULL, &gpa))
		fail_msg("la %#llx: not translated", (unsigned long long)la);
	return gpa;
}

static void walk_fails(const struct gva_regs *r, u64 la)
{
	gpa_t gpa;

	if (gva_translate(r, la, rd, NULL, &gpa) == 0)
		fail_msg("la %#llx: translated to %#llx, expected a failure",
			 (unsigned long long)la, (unsigned long long)gpa);
}

static void test_no_paging(void **state)
{
	struct gva_regs r = { .cr0 = CR0_PE };

	(void)state;
	assert_int_equal(walk_ok(&r, 0xFEE00300), 0xFEE00300);
	assert_int_equal(walk_ok(&r, 0x1FEE00300ull), 0xFEE00300);	/* 32-bit wrap */
	assert_int_equal(reads, 0);
}

/* 32-bit paging: PD at 0x1000, PT at 0x2000. */
static void test_32bit(void **state)
{
	struct gva_regs r = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000 | 0x18 };

	(void)state;
	put32(0x1000 + 0x300 * 4, 0x2000 | P | RW);		/* la 0xC0000000 */
	put32(0x2000 + 0x005 * 4, 0x00ABC000 | P);		/* la 0xC0005000 */
	put32(0x1000 + 0x3FB * 4, 0xFEC00000 | PS | P | (0x3u << 13));	/* 4 MiB, PSE-36 bits */
	assert_int_equal(walk_ok(&r, 0xC0005123), 0x00ABC123);
	walk_fails(&r, 0xC0006000);		/* PTE not present */
	walk_fails(&r, 0x00400000);		/* PDE not present */
	/* Without CR4.PSE the PS bit is ignored: 0xFEC00000 is a table
	 * address outside guest memory. */
	walk_fails(&r, 0xFEE00300);
	r.cr4 = CR4_PSE;
	assert_int_equal(walk_ok(&r, 0xFEE00300), 0x3FEE00300ull);
}

/* PAE: PDPT at 0x1020 (32-byte aligned), PD at 0x3000, PT at 0x4000. */
static void test_pae(void **state)
{
	struct gva_regs r = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1020, .cr4 = CR4_PAE };

	(void)state;
	put64(0x1020 + 3 * 8, 0x3000 | P);			/* la 0xC0000000.. */
	put64(0x3000 + 0x1F6 * 8, 0xFEC00000 | PS | P);	/* 2 MiB at la 0xFEC00000 */
	put64(0x3000 + 0x000 * 8, 0x4000 | P);			/* la 0xC0000000 */
	put64(0x4000 + 0x001 * 8, 0x12345000ull | (1ull << 63) | P);	/* NX is not address */
	assert_int_equal(walk_ok(&r, 0xFED00300), 0xFED00300);
	assert_int_equal(walk_ok(&r, 0xC0001ABC), 0x12345ABC);
	walk_fails(&r, 0xFEE00300);		/* PDE 1F7h not present */
	walk_fails(&r, 0xC0002000);
	walk_fails(&r, 0x40000000);		/* PDPTE not present */
}

/* 4-level: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. */
static void build_4level(void)
{
	put64(0x1000 + 0x1FF * 8, 0x2000 | P | RW);		/* la 0xFFFFFF80_00000000 */
	put64(0x2000 + 0x1FF * 8, 0x3000 | P | RW);
	put64(0x3000 + 0x1FA * 8, 0x4000 | P | RW);		/* la 0xFFFFFFFF_FF400000 */
	put64(0x4000 + 0x1FD * 8, 0xFEE00000 | P | RW);		/* la ..._FF5FD000 (Linux's APIC fixmap) */
	put64(0x3000 + 0x000 * 8, 0x40000000 | PS | P);		/* 2 MiB: la 0xFFFFFFFF_C0000000 */
	put64(0x1000 + 0x000 * 8, 0x5000 | P);
	put64(0x5000 + 0x003 * 8, 0xC0000000 | PS | P);		/* 1 GiB: la 0xC0000000 */
}

static void test_4level(void **state)
{
	struct gva_regs r = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000, .cr4 = CR4_PAE, .efer = EFER_LMA };

	(void)state;
	build_4level();
	assert_int_equal(walk_ok(&r, 0xFFFFFFFFFF5FD300ull), 0xFEE00300);
	assert_int_equal(walk_ok(&r, 0xFFFFFFFFC0123456ull), 0x40123456);
	assert_int_equal(walk_ok(&r, 0xC1234567), 0xC1234567);
	walk_fails(&r, 0xFFFFFFFFFF5FE000ull);	/* PTE */
	walk_fails(&r, 0xFFFFFFFFFF800000ull);	/* PDE */
	walk_fails(&r, 0xFFFFFFFF00000000ull);	/* PDPTE */
	walk_fails(&r, 0x0000008000000000ull);	/* PML4E */
}

/* 5-level: a PML5 at 0x6000 above the same tables. */
static void test_5level(void **state)
{
	struct gva_regs r = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x6000,
			      .cr4 = CR4_PAE | CR4_LA57, .efer = EFER_LMA };

	(void)state;
	build_4level();
	put64(0x6000 + 0x1FF * 8, 0x1000 | P);
	assert_int_equal(walk_ok(&r, 0xFFFFFFFFFF5FD300ull), 0xFEE00300);
	walk_fails(&r, 0x00FFFFFFFF5FD300ull);	/* PML5E 1 not present */
}

/* A table pointer outside guest memory stops the walk there. */
static void test_table_outside(void **state)
{
	struct gva_regs r = { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1000, .cr4 = CR4_PAE, .efer = EFER_LMA };

	(void)state;
	put64(0x1000, 0x7FFFF000ull | P);
	walk_fails(&r, 0x1000);
	r.cr3 = 0x40000000;
	walk_fails(&r, 0x1000);
}

/* The PDPTEs a MOV to CR0/CR3/CR4 loads under PAE (SDM 4.4.1): read from
 * the 32-byte-aligned CR3; a present one with a reserved bit (2:1, 8:5,
 * or beyond MAXPHYADDR) is the #GP case; a not-present one may hold
 * anything; a PDPT outside guest memory cannot be read. */
static void test_pae_pdptes(void **state)
{
	u64 pdpte[4];

	(void)state;
	put64(0x1000, 0x2000 | P);
	put64(0x1008, 0x3000 | P);
	put64(0x1010, 0);
	put64(0x1018, 0xFFFFFFFFFFFFFFFEull);		/* not present: anything */
	assert_int_equal(gva_pae_pdptes(0x1000 | 0x18, 36, rd, NULL, pdpte), 0);
	assert_int_equal(pdpte[0], 0x2000 | P);
	assert_int_equal(pdpte[1], 0x3000 | P);
	assert_int_equal(pdpte[3], 0xFFFFFFFFFFFFFFFEull);
	put64(0x1010, 0x4000 | P | RW);			/* RW is reserved in a PDPTE */
	assert_int_equal(gva_pae_pdptes(0x1000, 36, rd, NULL, pdpte), -2);
	put64(0x1010, 0x4000 | P | 0x20);		/* bit 5 */
	assert_int_equal(gva_pae_pdptes(0x1000, 36, rd, NULL, pdpte), -2);
	put64(0x1010, 0x1000004000ull | P);		/* bit 36, MAXPHYADDR 36 */
	assert_int_equal(gva_pae_pdptes(0x1000, 36, rd, NULL, pdpte), -2);
	assert_int_equal(gva_pae_pdptes(0x1000, 40, rd, NULL, pdpte), 0);
	put64(0x1010, 0x4000 | P | (1ull << 63));	/* no XD in a PDPTE */
	assert_int_equal(gva_pae_pdptes(0x1000, 52, rd, NULL, pdpte), -2);
	assert_int_equal(gva_pae_pdptes(MEM_SIZE - 16 + 32, 36, rd, NULL, pdpte), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_no_paging, setup),
		cmocka_unit_test_setup(test_32bit, setup),
		cmocka_unit_test_setup(test_pae, setup),
		cmocka_unit_test_setup(test_4level, setup),
		cmocka_unit_test_setup(test_5level, setup),
		cmocka_unit_test_setup(test_table_outside, setup),
		cmocka_unit_test_setup(test_pae_pdptes, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
