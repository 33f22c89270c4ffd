/* Unit tests for hv/ipi.c: every delivery mode and shorthand, physical
 * and logical (flat, cluster, x2APIC cluster) destinations, broadcasts,
 * the INIT level de-assert; and that whatever is sent is rewritten to
 * reach this CPU alone. */
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

static const struct ipi_self xapic_flat = { .id = 2, .ldr = 0x04 };
static const struct ipi_self xapic_cluster = { .id = 2, .ldr = 0x31, .cluster = true };
static const struct ipi_self x2apic = { .x2apic = true, .id = 0x102, .ldr = 0x00100004 };

static enum ipi_action run(const struct ipi_self *s, u32 lo, u32 dest, u32 *out_lo, u32 *out_dest)
{
	*out_lo = lo;
	*out_dest = dest;
	return ipi_filter(s, out_lo, out_dest);
}

/* SEND, and the result is a physical IPI without shorthand to s->id with
 * the vector, mode, level and trigger the guest asked for. */
static void expect_self_only(const struct ipi_self *s, u32 lo, u32 dest)
{
	u32 l, d;

	assert_int_equal(run(s, lo, dest, &l, &d), IPI_SEND);
	assert_int_equal(ICR_SHORTHAND(l), ICR_SH_NONE);
	assert_false(l & LOGICAL);
	assert_int_equal(d, s->id);
	assert_int_equal(l & ~(SH(3) | LOGICAL), lo & ~(SH(3) | LOGICAL));
}

static void expect(const struct ipi_self *s, u32 lo, u32 dest, enum ipi_action want)
{
	u32 l, d;

	assert_int_equal(run(s, lo, dest, &l, &d), want);
}

static void test_startup_never_sent(void **state)
{
	(void)state;
	for (u32 sh = 0; sh < 4; sh++) {
		expect(&xapic_flat, MODE(ICR_MODE_STARTUP) | SH(sh) | 0x08, 2, IPI_DROP);
		expect(&xapic_flat, MODE(ICR_MODE_STARTUP) | SH(sh) | 0x08, 0xFF, IPI_DROP);
		expect(&x2apic, MODE(ICR_MODE_STARTUP) | SH(sh) | 0x08, 0x102, IPI_DROP);
	}
}

static void test_init(void **state)
{
	u32 init = MODE(ICR_MODE_INIT) | ASSERT_;

	(void)state;
	/* to this CPU: a reset of the guest's CPU */
	expect(&xapic_flat, init, 2, IPI_RESET);
	expect(&xapic_flat, init | SH(ICR_SH_SELF), 0, IPI_RESET);
	expect(&xapic_flat, init | SH(ICR_SH_ALL), 0, IPI_RESET);
	expect(&xapic_flat, init, 0xFF, IPI_RESET);
	expect(&xapic_flat, init | LOGICAL, 0x04, IPI_RESET);
	expect(&x2apic, init, 0x102, IPI_RESET);
	expect(&x2apic, init, 0xFFFFFFFF, IPI_RESET);
	/* to others only: nothing */
	expect(&xapic_flat, init | SH(ICR_SH_OTHERS), 0, IPI_DROP);
	expect(&xapic_flat, init | SH(ICR_SH_OTHERS), 2, IPI_DROP);
	expect(&xapic_flat, init, 1, IPI_DROP);
	expect(&xapic_flat, init | LOGICAL, 0x0B, IPI_DROP);
	expect(&x2apic, init, 0x02, IPI_DROP);		/* 8 bits of the ID are not the ID */
	/* the level de-assert resets nothing, whoever it names */
	expect(&xapic_flat, MODE(ICR_MODE_INIT) | LEVEL, 2, IPI_DROP);
	expect(&xapic_flat, MODE(ICR_MODE_INIT) | LEVEL | SH(ICR_SH_ALL), 0, IPI_DROP);
	/* an edge-triggered INIT with the level bit clear is still an INIT */
	expect(&xapic_flat, MODE(ICR_MODE_INIT), 2, IPI_RESET);
}

static void test_fixed_and_nmi(void **state)
{
	(void)state;
	for (u32 mode = 0; mode < 8; mode++) {
		u32 lo = MODE(mode) | 0x41 | ASSERT_;

		if (mode == ICR_MODE_INIT || mode == ICR_MODE_STARTUP)
			continue;
		expect_self_only(&xapic_flat, lo, 2);
		expect_self_only(&xapic_flat, lo | SH(ICR_SH_SELF), 0x07);
		expect_self_only(&xapic_flat, lo | SH(ICR_SH_ALL), 0);
		expect_self_only(&xapic_flat, lo, 0xFF);
		expect_self_only(&xapic_flat, lo | LOGICAL, 0xFF);
		expect_self_only(&xapic_flat, lo | LOGICAL, 0x0C);
		expect(&xapic_flat, lo | SH(ICR_SH_OTHERS), 2, IPI_DROP);
		expect(&xapic_flat, lo, 3, IPI_DROP);
		expect(&xapic_flat, lo | LOGICAL, 0x03, IPI_DROP);
		expect(&xapic_flat, lo | LOGICAL, 0x00, IPI_DROP);
	}
}

static void test_logical_cluster(void **state)
{
	u32 lo = MODE(ICR_MODE_FIXED) | LOGICAL | 0x30;

	(void)state;
	expect_self_only(&xapic_cluster, lo, 0x31);
	expect_self_only(&xapic_cluster, lo, 0x3F);
	expect(&xapic_cluster, lo, 0x32, IPI_DROP);	/* same cluster, other member */
	expect(&xapic_cluster, lo, 0x21, IPI_DROP);	/* other cluster, same bit */
	expect_self_only(&xapic_cluster, lo, 0xFF);	/* broadcast */
	/* x2APIC: cluster in 31:16, members in 15:0 */
	expect_self_only(&x2apic, lo, 0x00100004);
	expect_self_only(&x2apic, lo, 0x0010FFFF);
	expect(&x2apic, lo, 0x00100008, IPI_DROP);
	expect(&x2apic, lo, 0x00200004, IPI_DROP);
}

static void test_x2apic_physical(void **state)
{
	(void)state;
	expect_self_only(&x2apic, 0x41, 0x102);
	expect_self_only(&x2apic, 0x41, 0xFFFFFFFF);
	expect(&x2apic, 0x41, 0xFF, IPI_DROP);		/* not a broadcast in x2APIC mode */
	expect(&x2apic, 0x41, 0x103, IPI_DROP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_startup_never_sent),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_fixed_and_nmi),
		cmocka_unit_test(test_logical_cluster),
		cmocka_unit_test(test_x2apic_physical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
