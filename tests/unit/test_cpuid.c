/* Unit tests for hv/cpuid.c: every leaf Keel rewrites, checked from two
 * host answers (all bits clear and all bits set) so that each set, clear
 * and pass-through is seen; leaves Keel must not touch; the signature as
 * the bytes a guest reads; the table of features and the controls they
 * need, walked entry by entry; the bits that copy the guest's CR4; and
 * the XCR0 rules XSETBV checks. */
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
#define ALL_CTLS (CPUID_CTL_RDTSCP | CPUID_CTL_INVPCID | CPUID_CTL_XSAVES | CPUID_CTL_USER_WAIT)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_PKE (1ull << 22)

/* The context of the tests that do not vary it: every control there,
 * CR4 with neither OSXSAVE nor PKE. */
static const struct cpuid_ctx DEFAULT_CTX = { ALL_CTLS, 0 };

static struct regs filtered(u32 leaf, u32 subleaf, const struct cpuid_ctx *ctx, struct regs r)
{
	struct cpuid_regs c = { r.a, r.b, r.c, r.d };

	cpuid_filter(leaf, subleaf, ctx, &c);
	return (struct regs){ c.eax, c.ebx, c.ecx, c.edx };
}

static void check_at(const char *file, int line, u32 leaf, u32 subleaf,
		     struct regs host, struct regs want)
{
	struct regs got = filtered(leaf, subleaf, &DEFAULT_CTX, host);

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
	/* ECX: DTES64 (2), DS-CPL (4), VMX (5), SMX (6) cleared, OSXSAVE (27)
	 * follows the guest's CR4 (clear here), bit 31 set; EDX: DS (21)
	 * cleared; the rest kept. */
	check(1, 0, ONES, ((struct regs){ 0xFFFFFFFF, 0xFFFFFFFF, 0xF7FFFF8B, 0xFFDFFFFF }));
	check(1, 0, ZERO, ((struct regs){ 0, 0, 0x80000000, 0 }));
	/* A typical Intel answer: family/model in EAX, SSE3|VMX|SSSE3 in ECX. */
	check(1, 0, ((struct regs){ 0x000906EA, 0x00100800, 0x7FFAFBBF, 0xBFEBFBFF }),
	      ((struct regs){ 0x000906EA, 0x00100800, 0xF7FAFB8B, 0xBFCBFBFF }));
	/* The subleaf does not matter for leaf 1. */
	check(1, 7, ZERO, ((struct regs){ 0, 0, 0x80000000, 0 }));
}

static void test_leaf80000001_hides_svm(void **state)
{
	(void)state;
	/* SVM (2) and SKINIT (12), which Keel intercepts as #UD. */
	check(0x80000001, 0, ONES, ((struct regs){ 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFEFFB, 0xFFFFFFFF }));
	check(0x80000001, 0, ZERO, ZERO);
	/* A typical AMD answer: LAHF|CMP_LEGACY|SVM|... in ECX. */
	check(0x80000001, 0, ((struct regs){ 0x00A20F10, 0x20000000, 0x75C237FF, 0x2FD3FBFF }),
	      ((struct regs){ 0x00A20F10, 0x20000000, 0x75C227FB, 0x2FD3FBFF }));
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
	r = filtered(0x40000000, 0, &DEFAULT_CTX, r);
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
		0x00000000, 0x00000002, 0x00000004, 0x0000000B, 0x00000010, 0x00000015,
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

static u32 reg_of(struct regs r, u8 reg)
{
	return reg == CPUID_EAX ? r.a : reg == CPUID_EBX ? r.b : reg == CPUID_ECX ? r.c : r.d;
}

/* Every entry of the table: shown with every control it needs, hidden
 * with any one of them missing; a CPUID_CTL_NEVER bit is never shown.
 * Each entry names its bit and the rule, and no bit is listed twice. */
static void test_feature_table(void **state)
{
	(void)state;
	assert_true(cpuid_feature_count > 10);
	for (unsigned i = 0; i < cpuid_feature_count; i++) {
		const struct cpuid_feature *f = &cpuid_features[i];
		u32 sub = f->subleaf == CPUID_ANY_SUBLEAF ? 0 : f->subleaf;
		struct cpuid_ctx ctx = { ALL_CTLS, CR4_OSXSAVE | CR4_PKE };
		u32 bit = 1u << f->bit;

		assert_true(f->reg <= CPUID_EDX && f->bit < 32 && f->needs);
		/* cpuid_filter() looks at the table for these leaves only. */
		assert_true(f->leaf == 1 || f->leaf == 7 || f->leaf == 0xD || f->leaf == 0x80000001);
		assert_true(f->name && f->name[0] && f->why && strlen(f->why) > 10);
		for (unsigned j = 0; j < i; j++)
			if (cpuid_features[j].leaf == f->leaf && cpuid_features[j].reg == f->reg &&
			    cpuid_features[j].bit == f->bit && cpuid_features[j].subleaf == f->subleaf)
				fail_msg("%s listed twice", f->name);
		if (f->needs == CPUID_CTL_NEVER) {
			ctx.ctls = 0xFFFFFFFFu & ~CPUID_CTL_NEVER;
			if (reg_of(filtered(f->leaf, sub, &ctx, ONES), f->reg) & bit)
				fail_msg("%s shown though no backend provides it", f->name);
			continue;
		}
		if (!(reg_of(filtered(f->leaf, sub, &ctx, ONES), f->reg) & bit))
			fail_msg("%s hidden though its controls %#x are there", f->name, f->needs);
		for (u32 c = 1; c; c <<= 1) {
			if (!(f->needs & c))
				continue;
			ctx.ctls = ALL_CTLS & ~c;
			if (reg_of(filtered(f->leaf, sub, &ctx, ONES), f->reg) & bit)
				fail_msg("%s shown without control %#x", f->name, c);
		}
		/* Never set where the CPU has not got it. */
		ctx.ctls = ALL_CTLS;
		if (reg_of(filtered(f->leaf, sub, &ctx, ZERO), f->reg) & bit)
			fail_msg("%s set from nothing", f->name);
	}
}

/* The features that need a VT-x control, by name: each must be in the
 * table with that control (a guest on Alder Lake uses TPAUSE in udelay()). */
static void test_controls_named(void **state)
{
	static const struct { u32 leaf, sub; u8 reg, bit; u32 needs; } want[] = {
		{ 7, 0, CPUID_ECX, 5, CPUID_CTL_USER_WAIT },    /* WAITPKG */
		{ 7, 0, CPUID_ECX, 22, CPUID_CTL_RDTSCP },      /* RDPID */
		{ 7, 0, CPUID_EBX, 10, CPUID_CTL_INVPCID },     /* INVPCID */
		{ 0xD, 1, CPUID_EAX, 3, CPUID_CTL_XSAVES },     /* XSAVES */
		{ 0x80000001, 0, CPUID_EDX, 27, CPUID_CTL_RDTSCP }, /* RDTSCP */
		{ 7, 0, CPUID_EDX, 18, CPUID_CTL_NEVER },       /* PCONFIG */
		{ 7, 0, CPUID_EBX, 2, CPUID_CTL_NEVER },        /* SGX */
		{ 7, 0, CPUID_EBX, 25, CPUID_CTL_NEVER },       /* PT */
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		bool found = false;

		for (unsigned j = 0; j < cpuid_feature_count; j++) {
			const struct cpuid_feature *f = &cpuid_features[j];

			if (f->leaf == want[i].leaf && f->reg == want[i].reg &&
			    f->bit == want[i].bit && f->needs == want[i].needs)
				found = true;
		}
		if (!found)
			fail_msg("leaf %#x bit %u: not in the table with controls %#x", want[i].leaf,
				 want[i].bit, want[i].needs);
	}
}

/* CPUID.1:ECX.OSXSAVE is CR4.OSXSAVE of the guest, whatever Keel's own
 * CR4 gave the host's answer, and only where XSAVE is there. */
static void test_osxsave_follows_guest_cr4(void **state)
{
	struct cpuid_ctx off = { ALL_CTLS, 0 }, on = { ALL_CTLS, CR4_OSXSAVE };
	struct regs xsave_keel_on = { 0, 0, CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE, 0 };
	struct regs xsave_keel_off = { 0, 0, CPUID_1_ECX_XSAVE, 0 };
	struct regs no_xsave = { 0, 0, CPUID_1_ECX_OSXSAVE, 0 };

	(void)state;
	assert_false(filtered(1, 0, &off, xsave_keel_on).c & CPUID_1_ECX_OSXSAVE);
	assert_true(filtered(1, 0, &on, xsave_keel_off).c & CPUID_1_ECX_OSXSAVE);
	assert_true(filtered(1, 0, &on, xsave_keel_on).c & CPUID_1_ECX_OSXSAVE);
	assert_false(filtered(1, 0, &on, no_xsave).c & CPUID_1_ECX_OSXSAVE);
	assert_true(filtered(1, 0, &on, xsave_keel_off).c & CPUID_1_ECX_XSAVE);
}

/* CPUID.(7,0):ECX.OSPKE is the guest's CR4.PKE, where PKU is there. */
static void test_ospke_follows_guest_cr4(void **state)
{
	struct cpuid_ctx off = { ALL_CTLS, 0 }, on = { ALL_CTLS, CR4_PKE };
	struct regs pku_keel_off = { 0, 0, CPUID_7_ECX_PKU, 0 };
	struct regs pku_keel_on = { 0, 0, CPUID_7_ECX_PKU | CPUID_7_ECX_OSPKE, 0 };

	(void)state;
	assert_true(filtered(7, 0, &on, pku_keel_off).c & CPUID_7_ECX_OSPKE);
	assert_false(filtered(7, 0, &off, pku_keel_on).c & CPUID_7_ECX_OSPKE);
	assert_false(filtered(7, 0, &on, ((struct regs){ 0, 0, 0, 0 })).c & CPUID_7_ECX_OSPKE);
	/* Subleaf 1 has no OSPKE. */
	assert_int_equal(filtered(7, 1, &on, pku_keel_off).c, CPUID_7_ECX_PKU);
}

/* The leaves that describe hidden features say nothing. */
static void test_hidden_feature_leaves_empty(void **state)
{
	(void)state;
	check(0x12, 0, ONES, ZERO);     /* SGX */
	check(0x12, 1, ONES, ZERO);
	check(0x14, 0, ONES, ZERO);     /* Intel PT */
	check(0x14, 1, ONES, ZERO);
	check(0xD, 8, ONES, ZERO);      /* PT's XSAVE component */
	/* Leaf 0Dh subleaf 1: XSAVES kept, IA32_XSS.PT (ECX bit 8) gone. */
	check(0xD, 1, ONES, ((struct regs){ 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFEFF, 0xFFFFFFFF }));
	/* Subleaf 0 (XCR0 sizes) is the CPU's: it follows the XCR0 loaded. */
	check(0xD, 0, ((struct regs){ 0x2E7, 0x340, 0xA88, 0 }), ((struct regs){ 0x2E7, 0x340, 0xA88, 0 }));
}

#define X87 1ull
#define SSE 2ull
#define AVX 4ull
#define BNDREGS 8ull
#define BNDCSR 16ull
#define AVX512 0xE0ull
#define PKRU 0x200ull
#define TILECFG (1ull << 17)
#define TILEDATA (1ull << 18)

/* SDM vol. 1 13.3, each rule on its own. */
static void test_xcr0_rules(void **state)
{
	u64 all = X87 | SSE | AVX | BNDREGS | BNDCSR | AVX512 | PKRU | TILECFG | TILEDATA;

	(void)state;
	assert_true(xcr0_valid(X87, all));
	assert_true(xcr0_valid(X87 | SSE | AVX, all));
	assert_true(xcr0_valid(all, all));
	assert_false(xcr0_valid(0, all));                       /* x87 */
	assert_false(xcr0_valid(SSE | AVX, all));
	assert_false(xcr0_valid(X87 | AVX, all));               /* AVX without SSE */
	assert_false(xcr0_valid(X87 | SSE | AVX | (1ull << 32), all)); /* not reported */
	assert_false(xcr0_valid(X87 | PKRU, X87 | SSE));
	assert_false(xcr0_valid(X87 | BNDREGS, all));           /* MPX: both or none */
	assert_false(xcr0_valid(X87 | BNDCSR, all));
	assert_true(xcr0_valid(X87 | BNDREGS | BNDCSR, all));
	assert_false(xcr0_valid(X87 | SSE | AVX | 0x20, all));  /* AVX-512: all three */
	assert_false(xcr0_valid(X87 | SSE | AVX | 0x60, all));
	assert_false(xcr0_valid(X87 | SSE | AVX512, all));      /* ... and AVX */
	assert_true(xcr0_valid(X87 | SSE | AVX | AVX512, all));
	assert_false(xcr0_valid(X87 | SSE | TILECFG, all));     /* AMX: both or none */
	assert_false(xcr0_valid(X87 | SSE | TILEDATA, all));
	assert_true(xcr0_valid(X87 | SSE | TILECFG | TILEDATA, all));
	assert_true(xcr0_valid(X87 | PKRU, all));
}

/* cpuid_leaf_filtered() names every leaf cpuid_filter() changes: the
 * filter leaves every other leaf (of every subleaf tried) as it is. */
static void test_unfiltered_leaves_pass(void **state)
{
	static const u32 ranges[][2] = {
		{ 0, 0x40 }, { 0x3FFFFFF0, 0x40000110 }, { 0x7FFFFFF0, 0x80000030 },
		{ 0xC0000000, 0xC0000010 }, { 0xFFFFFFF0, 0xFFFFFFFF },
	};
	struct cpuid_ctx ctx = { 0, CR4_OSXSAVE | CR4_PKE };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(ranges); i++)
		for (u32 leaf = ranges[i][0];; leaf++) {
			for (u32 sub = 0; sub < 10; sub++) {
				struct regs got = filtered(leaf, sub, &ctx, ONES);

				if (!cpuid_leaf_filtered(leaf) && memcmp(&got, &ONES, sizeof(got)))
					fail_msg("leaf %#x subleaf %u changes but is not listed", leaf, sub);
			}
			if (leaf == ranges[i][1])
				break;
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feature_table),
		cmocka_unit_test(test_controls_named),
		cmocka_unit_test(test_osxsave_follows_guest_cr4),
		cmocka_unit_test(test_ospke_follows_guest_cr4),
		cmocka_unit_test(test_hidden_feature_leaves_empty),
		cmocka_unit_test(test_xcr0_rules),
		cmocka_unit_test(test_unfiltered_leaves_pass),
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
