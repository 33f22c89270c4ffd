/* Unit tests for hv/ipi.c: which delivery modes Keel delivers itself
 * (INIT, start-up) and which pass, the INIT level de-assert; and which
 * CPUs an IPI reaches: every shorthand (self, all, all but self),
 * physical IDs and broadcasts, logical flat, cluster and x2APIC cluster
 * destinations, the x2APIC logical ID. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "types.h"
#include "../../hv/ipi.h"

#define SH(s) ((u32)(s) << 18)
#define MODE(m) ((u32)(m) << 8)
#define LOGICAL ICR_DEST_LOGICAL
#define ASSERT_ ICR_LEVEL_ASSERT
#define LEVEL ICR_TRIGGER_LEVEL

/* Four xAPIC CPUs in flat logical mode (logical IDs 1, 2, 4, 8), the
 * sender being cpu 0; four in cluster mode (cluster 3, members 1, 2, and
 * cluster 2, members 1, 2); three in x2APIC mode. */
static const struct ipi_self flat[4] = {
	{ .id = 0, .ldr = 0x01 }, { .id = 1, .ldr = 0x02 }, { .id = 2, .ldr = 0x04 }, { .id = 3, .ldr = 0x08 },
};
static const struct ipi_self cluster[4] = {
	{ .id = 0, .ldr = 0x31, .cluster = true }, { .id = 1, .ldr = 0x32, .cluster = true },
	{ .id = 2, .ldr = 0x21, .cluster = true }, { .id = 3, .ldr = 0x22, .cluster = true },
};
static struct ipi_self x2[3];

/* The set of CPUs (bit i: cpus[i]) the IPI reaches when cpus[0] sends it. */
static unsigned reached(const struct ipi_self *cpus, int n, u32 lo, u32 dest)
{
	unsigned set = 0;

	for (int i = 0; i < n; i++)
		if (ipi_reaches(&cpus[0], &cpus[i], lo, dest))
			set |= 1u << i;
	return set;
}

static void test_classify(void **state)
{
	(void)state;
	for (u32 sh = 0; sh < 4; sh++) {
		assert_int_equal(ipi_classify(MODE(ICR_MODE_STARTUP) | SH(sh) | 0x08), IPI_STARTUP);
		assert_int_equal(ipi_classify(MODE(ICR_MODE_INIT) | ASSERT_ | SH(sh)), IPI_INIT);
	}
	/* An edge-triggered INIT with the level bit clear is still an INIT;
	 * the level de-assert (SDM 11.6.1) is nothing. */
	assert_int_equal(ipi_classify(MODE(ICR_MODE_INIT)), IPI_INIT);
	assert_int_equal(ipi_classify(MODE(ICR_MODE_INIT) | LEVEL | ASSERT_), IPI_INIT);
	assert_int_equal(ipi_classify(MODE(ICR_MODE_INIT) | LEVEL), IPI_DROP);
	assert_int_equal(ipi_classify(MODE(ICR_MODE_INIT) | LEVEL | SH(ICR_SH_ALL)), IPI_DROP);
	for (u32 mode = 0; mode < 8; mode++)
		if (mode != ICR_MODE_INIT && mode != ICR_MODE_STARTUP)
			assert_int_equal(ipi_classify(MODE(mode) | 0x41 | ASSERT_), IPI_PASS);
}

static void test_shorthands(void **state)
{
	(void)state;
	for (u32 mode = 0; mode < 8; mode++) {
		u32 lo = MODE(mode) | ASSERT_ | 0x08;

		/* The destination field is ignored with a shorthand. */
		assert_int_equal(reached(flat, 4, lo | SH(ICR_SH_SELF), 3), 0x1);
		assert_int_equal(reached(flat, 4, lo | SH(ICR_SH_ALL), 3), 0xF);
		assert_int_equal(reached(flat, 4, lo | SH(ICR_SH_OTHERS), 0), 0xE);
		assert_int_equal(reached(flat, 4, lo | SH(ICR_SH_OTHERS) | LOGICAL, 0xFF), 0xE);
		assert_int_equal(reached(x2, 3, lo | SH(ICR_SH_OTHERS), 0x100), 0x6);
	}
}

static void test_physical(void **state)
{
	u32 lo = MODE(ICR_MODE_INIT) | ASSERT_;

	(void)state;
	assert_int_equal(reached(flat, 4, lo, 0), 0x1);
	assert_int_equal(reached(flat, 4, lo, 2), 0x4);
	assert_int_equal(reached(flat, 4, lo, 7), 0x0);		/* no such CPU */
	assert_int_equal(reached(flat, 4, lo, 0xFF), 0xF);	/* broadcast */
	/* x2APIC: 32-bit IDs, broadcast FFFFFFFFh; 8 bits are not the ID. */
	assert_int_equal(reached(x2, 3, lo, 0x101), 0x2);
	assert_int_equal(reached(x2, 3, lo, 0x01), 0x0);
	assert_int_equal(reached(x2, 3, lo, 0xFF), 0x0);
	assert_int_equal(reached(x2, 3, lo, 0xFFFFFFFF), 0x7);
}

static void test_logical(void **state)
{
	u32 lo = MODE(ICR_MODE_STARTUP) | LOGICAL | 0x10;

	(void)state;
	/* Flat: a bitmap of logical IDs; FFh all. */
	assert_int_equal(reached(flat, 4, lo, 0x06), 0x6);
	assert_int_equal(reached(flat, 4, lo, 0x0F), 0xF);
	assert_int_equal(reached(flat, 4, lo, 0xF0), 0x0);
	assert_int_equal(reached(flat, 4, lo, 0xFF), 0xF);
	/* Cluster: the cluster in bits 7:4, members in 3:0; FFh all. */
	assert_int_equal(reached(cluster, 4, lo, 0x33), 0x3);
	assert_int_equal(reached(cluster, 4, lo, 0x22), 0x8);
	assert_int_equal(reached(cluster, 4, lo, 0x13), 0x0);
	assert_int_equal(reached(cluster, 4, lo, 0xFF), 0xF);
	/* x2APIC: the cluster in 31:16, members in 15:0. */
	assert_int_equal(reached(x2, 3, lo, 0x00100003), 0x3);
	assert_int_equal(reached(x2, 3, lo, 0x00100004), 0x0);
	assert_int_equal(reached(x2, 3, lo, 0x0011FFFF), 0x4);
}

static void test_x2apic_ldr(void **state)
{
	(void)state;
	/* SDM 11.12.10.2: cluster ID[19:4], member bit ID[3:0]. */
	assert_int_equal(ipi_x2apic_ldr(0), 0x00000001);
	assert_int_equal(ipi_x2apic_ldr(0x0F), 0x00008000);
	assert_int_equal(ipi_x2apic_ldr(0x10), 0x00010001);
	assert_int_equal(ipi_x2apic_ldr(0x123), 0x00120008);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_shorthands),
		cmocka_unit_test(test_physical),
		cmocka_unit_test(test_logical),
		cmocka_unit_test(test_x2apic_ldr),
	};

	/* x2APIC CPUs 100h, 101h, 110h with their derived logical IDs. */
	for (int i = 0; i < 3; i++) {
		u32 id = i == 2 ? 0x110 : 0x100 + (u32)i;

		x2[i] = (struct ipi_self){ .x2apic = true, .id = id, .ldr = ipi_x2apic_ldr(id) };
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
