/* Unit tests for hv/cpuid.c: every leaf Keel rewrites, checked from two
 * host answers (all bits clear and all bits set) so that each set, clear
 * and pass-through is seen; leaves Keel must not touch; and the signature
 * as the bytes a guest reads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../hv/cpuid.h"

struct regs {
	u32 a, b, c, d;
};

/* Runs the filter on host and fails with both register sets when the
 * guest's answer is not want. */
static void check_at(const char *file, int line, u32 leaf, u32 subleaf,
		     struct regs host, struct regs want)
{
	struct regs got = host;

	cpuid_filter(leaf, subleaf, &got.a, &got.b, &got.c, &got.d);
	if (memcmp(&got, &want, sizeof(got)) != 0) {
		print_error("%s:%d: leaf %#x subleaf %#x, host %08x %08x %08x %08x: "
			    "expected %08x %08x %08x %08x, saw %08x %08x %08x %08x\n",
			    file, line, leaf, subleaf, host.a, host.b, host.c, host.d,
			    want.a, want.b, want.c, want.d, got.a, got.b, got.c, got.d);
		fail();
	}
}
#define check(leaf, sub, host, want) check_at(__FILE__, __LINE__, leaf, sub, host, want)

static const struct regs ZERO = { 0, 0, 0, 0 };
static const struct regs ONES = { 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF };

static void test_leaf1_hides_vmx_smx_sets_hypervisor(void **state)
{
	(void)state;
	/* ECX bit 5 (VMX) and 6 (SMX) cleared, bit 31 set, the rest kept. */
	check(1, 0, ONES, ((struct regs){ 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFF9F, 0xFFFFFFFF }));
	check(1, 0, ZERO, ((struct regs){ 0, 0, 0x80000000, 0 }));
	/* A typical Intel answer: family/model in EAX, SSE3|VMX|SSSE3 in ECX. */
	check(1, 0, ((struct regs){ 0x000906EA, 0x00100800, 0x7FFAFBBF, 0xBFEBFBFF }),
	      ((struct regs){ 0x000906EA, 0x00100800, 0xFFFAFB9F, 0xBFEBFBFF }));
	/* The subleaf does not matter for leaf 1. */
	check(1, 7, ZERO, ((struct regs){ 0, 0, 0x80000000, 0 }));
}

static void test_leaf80000001_hides_svm(void **state)
{
	(void)state;
	check(0x80000001, 0, ONES, ((struct regs){ 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFB, 0xFFFFFFFF }));
	check(0x80000001, 0, ZERO, ZERO);
	/* A typical AMD answer: LAHF|CMP_LEGACY|SVM|... in ECX. */
	check(0x80000001, 0, ((struct regs){ 0x00A20F10, 0x20000000, 0x75C237FF, 0x2FD3FBFF }),
	      ((struct regs){ 0x00A20F10, 0x20000000, 0x75C237FB, 0x2FD3FBFF }));
}

static void test_leaf8000000a_is_empty(void **state)
{
	(void)state;
	check(0x8000000A, 0, ONES, ZERO);
	check(0x8000000A, 0, ((struct regs){ 1, 0x8000, 0, 0x1BBFCFF }), ZERO);
}

static void test_leaf40000000_signature(void **state)
{
	struct regs r = ONES;
	char sig[13];

	(void)state;
	check(0x40000000, 0, ONES, ((struct regs){ 0x40000001, 0x6C65654B, 0x6C65654B, 0x6C65654B }));
	/* The host's own hypervisor leaf (here KVM's) must not show. */
	check(0x40000000, 0, ((struct regs){ 0x40000001, 0x4B4D564B, 0x564B4D56, 0x4D }),
	      ((struct regs){ 0x40000001, 0x6C65654B, 0x6C65654B, 0x6C65654B }));

	/* As a guest reads it: EBX, ECX, EDX bytes in that order. */
	cpuid_filter(0x40000000, 0, &r.a, &r.b, &r.c, &r.d);
	memcpy(sig, &r.b, 4);
	memcpy(sig + 4, &r.c, 4);
	memcpy(sig + 8, &r.d, 4);
	sig[12] = 0;
	assert_string_equal(sig, "KeelKeelKeel");
	assert_int_equal((unsigned char)sig[0], 'K');
	assert_int_equal((unsigned char)sig[3], 'l');
	assert_int_equal(r.a, 0x40000001);
}

static void test_leaf40000001_version(void **state)
{
	(void)state;
	check(0x40000001, 0, ONES, ((struct regs){ 0x00000001, 0, 0, 0 }));
	check(0x40000001, 3, ZERO, ((struct regs){ 0x00000001, 0, 0, 0 }));
}

static void test_rest_of_hypervisor_range_is_empty(void **state)
{
	u32 leaf;

	(void)state;
	for (leaf = 0x40000002; leaf <= 0x400000FF; leaf++) {
		check(leaf, 0, ONES, ZERO);
		check(leaf, 1, ((struct regs){ 0x12345678, 0x9ABCDEF0, 0x0F1E2D3C, 0x4B5A6978 }), ZERO);
	}
}

static void test_other_leaves_untouched(void **state)
{
	static const u32 leaves[] = {
		0x00000000, 0x00000002, 0x00000004, 0x00000007, 0x0000000B, 0x0000000D,
		0x3FFFFFFF, 0x40000100, 0x40000101, 0x4FFFFFFF, 0x80000000, 0x80000002,
		0x80000008, 0x80000009, 0x8000000B, 0x8000001F, 0xFFFFFFFF,
	};
	static const struct regs patterns[] = {
		{ 0, 0, 0, 0 },
		{ 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF },
		{ 0x00000020, 0x68747541, 0x444D4163, 0x69746E65 }, /* "AuthenticAMD" */
		{ 0x80000060, 0x00000064, 0x00000020, 0x80000000 },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		for (j = 0; j < sizeof(patterns) / sizeof(patterns[0]); j++) {
			check(leaves[i], 0, patterns[j], patterns[j]);
			check(leaves[i], 1, patterns[j], patterns[j]);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf1_hides_vmx_smx_sets_hypervisor),
		cmocka_unit_test(test_leaf80000001_hides_svm),
		cmocka_unit_test(test_leaf8000000a_is_empty),
		cmocka_unit_test(test_leaf40000000_signature),
		cmocka_unit_test(test_leaf40000001_version),
		cmocka_unit_test(test_rest_of_hypervisor_range_is_empty),
		cmocka_unit_test(test_other_leaves_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
