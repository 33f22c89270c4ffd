/* Unit tests for hv/msr_policy.c: the table's shape (sorted, disjoint,
 * every entry complete), what it says for the MSRs that belong to the
 * machine on each vendor (docs/security.md "MSRs"), the EFER write rules
 * a guest meets under AMD-V, and the MTRR values Keel's per-vCPU copy
 * accepts (SDM vol. 3A 12.11). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../hv/msr.h"
#include "../../hv/x86.h"

#define I MSR_VENDOR_INTEL
#define A MSR_VENDOR_AMD

static void test_table_shape(void **state)
{
	(void)state;
	assert_true(msr_policy_count > 20);
	for (unsigned i = 0; i < msr_policy_count; i++) {
		const struct msr_policy *p = &msr_policies[i];

		assert_true(p->first <= p->last);
		assert_true(p->vendors && !(p->vendors & ~MSR_VENDOR_BOTH));
		assert_true(p->name && p->name[0]);
		assert_true(p->read <= MSR_HANDLER && p->write <= MSR_HANDLER);
		if (p->read == MSR_HANDLER || p->write == MSR_HANDLER)
			assert_int_not_equal(p->handler, MSRH_NONE);
		else
			assert_int_equal(p->handler, MSRH_NONE);
		if (p->write == MSR_FILTER)
			assert_true(p->writable != 0);
		assert_int_not_equal(p->read, MSR_FILTER);
		if (i > 0 && p->first <= msr_policies[i - 1].last)
			fail_msg("%s (%#x) overlaps or precedes %s", p->name, p->first,
				 msr_policies[i - 1].name);
	}
}

struct want {
	u32 msr;
	u8 vendor;
	enum msr_action read, write;
};

/* What each vendor does with the MSRs issue 15 names, and a few others. */
static void test_machine_msrs(void **state)
{
	static const struct want want[] = {
		{ 0x10, I, MSR_PASS, MSR_PASS },                    /* TSC: not listed */
		{ 0x10, A, MSR_PASS, MSR_PASS },
		{ MSR_IA32_BIOS_UPDT_TRIG, I, MSR_PASS, MSR_REFUSE },
		{ MSR_IA32_BIOS_UPDT_TRIG, A, MSR_PASS, MSR_REFUSE },
		{ MSR_IA32_BIOS_SIGN_ID, I, MSR_PASS, MSR_PASS },
		{ MSR_IA32_MTRRCAP, I, MSR_PASS, MSR_PASS },
		{ MSR_IA32_MTRR_DEF_TYPE, I, MSR_HANDLER, MSR_HANDLER },
		{ MSR_IA32_MTRR_DEF_TYPE, A, MSR_HANDLER, MSR_HANDLER },
		{ 0x200, A, MSR_HANDLER, MSR_HANDLER },             /* PHYSBASE0 */
		{ 0x213, I, MSR_HANDLER, MSR_HANDLER },             /* PHYSMASK9 */
		{ 0x250, I, MSR_HANDLER, MSR_HANDLER },
		{ 0x259, A, MSR_HANDLER, MSR_HANDLER },
		{ 0x26C, I, MSR_HANDLER, MSR_HANDLER },
		{ 0x277, I, MSR_PASS, MSR_PASS },                   /* PAT: the guest's */
		{ MSR_IA32_DEBUGCTL, I, MSR_PASS, MSR_PASS },
		{ MSR_IA32_DEBUGCTL, A, MSR_PASS, MSR_PASS },
		{ MSR_IA32_MCG_STATUS, I, MSR_PASS, MSR_PASS },
		{ 0x401, A, MSR_PASS, MSR_PASS },                   /* MC0_STATUS */
		{ MSR_IA32_RTIT_CTL, I, MSR_REFUSE, MSR_REFUSE },
		{ MSR_IA32_RTIT_OUTPUT_BASE, I, MSR_REFUSE, MSR_REFUSE },
		{ MSR_IA32_RTIT_ADDR0_A + 5, I, MSR_REFUSE, MSR_REFUSE },
		{ MSR_IA32_DS_AREA, I, MSR_REFUSE, MSR_REFUSE },
		{ MSR_IA32_PEBS_ENABLE, I, MSR_REFUSE, MSR_REFUSE },
		{ 0x485, I, MSR_REFUSE, MSR_REFUSE },               /* IA32_VMX_MISC */
		{ MSR_IA32_XSS, I, MSR_PASS, MSR_HANDLER },
		{ MSR_IA32_FEATURE_CONTROL, I, MSR_HANDLER, MSR_REFUSE },
		{ MSR_IA32_APIC_BASE, A, MSR_HANDLER, MSR_HANDLER },
		{ MSR_X2APIC_ICR, I, MSR_HANDLER, MSR_HANDLER },
		{ 0x808, I, MSR_PASS, MSR_PASS },                   /* x2APIC TPR */
		{ MSR_EFER, A, MSR_HANDLER, MSR_HANDLER },
		{ MSR_EFER, I, MSR_PASS, MSR_PASS },                /* VMCS EFER controls */
		{ 0xC0000100, A, MSR_PASS, MSR_PASS },              /* FS.base */
		{ 0xC0002001, A, MSR_NATIVE, MSR_NATIVE },          /* SMCA MCA_STATUS bank 0 */
		{ 0xC0002FFF, A, MSR_NATIVE, MSR_NATIVE },
		{ 0xC0002001, I, MSR_REFUSE, MSR_REFUSE },          /* outside the maps */
		{ MSR_AMD_SYSCFG, A, MSR_PASS, MSR_FILTER },
		{ MSR_AMD_HWCR, A, MSR_PASS, MSR_FILTER },
		{ 0xC0010017, A, MSR_PASS, MSR_REFUSE },            /* IORR_MASK0 */
		{ MSR_AMD_TOP_MEM, A, MSR_PASS, MSR_REFUSE },
		{ MSR_AMD_TOM2, A, MSR_PASS, MSR_REFUSE },
		{ MSR_AMD_PATCH_LOADER, A, MSR_REFUSE, MSR_REFUSE },
		{ MSR_AMD_MMIO_CFG_BASE, A, MSR_PASS, MSR_REFUSE },
		{ 0xC0010064, A, MSR_PASS, MSR_PASS },              /* P-state 0 */
		{ MSR_AMD_SYSCFG, I, MSR_REFUSE, MSR_REFUSE },      /* Intel: outside the maps */
		{ MSR_VM_CR, A, MSR_REFUSE, MSR_REFUSE },
		{ MSR_VM_HSAVE_PA, A, MSR_REFUSE, MSR_REFUSE },
		{ 0x40000000, I, MSR_REFUSE, MSR_REFUSE },          /* Hyper-V's guest OS ID */
		{ 0x4B564D01, A, MSR_REFUSE, MSR_REFUSE },          /* KVM system time */
		{ 0x12345678, I, MSR_REFUSE, MSR_REFUSE },
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		enum msr_action r = msr_action(want[i].msr, want[i].vendor, false);
		enum msr_action w = msr_action(want[i].msr, want[i].vendor, true);

		if (r != want[i].read || w != want[i].write)
			fail_msg("MSR %#x on %s: read %d write %d, expected %d %d", want[i].msr,
				 want[i].vendor == I ? "Intel" : "AMD", r, w, want[i].read,
				 want[i].write);
	}
	/* The filters: which bits a write may change. */
	assert_int_equal(msr_policy_find(MSR_AMD_SYSCFG, A)->writable, SYSCFG_MTRR_FIX_DRAM_MOD_EN);
	assert_int_equal(msr_policy_find(MSR_AMD_HWCR, A)->writable,
			 HWCR_MC_STATUS_WR_EN | HWCR_CPB_DIS | HWCR_IR_PERF_EN);
	assert_int_equal(msr_policy_find(MSR_EFER, A)->handler, MSRH_EFER);
	assert_int_equal(msr_policy_find(0x2FF, I)->handler, MSRH_MTRR);
}

#define ALLOWED (EFER_SCE | EFER_LME | EFER_NXE | EFER_FFXSR | EFER_TCE)

static void efer_ok(u64 cur, u64 val, u64 cr0, u64 want)
{
	u64 out = 0;

	if (!efer_write_ok(cur, val, cr0, ALLOWED, &out))
		fail_msg("EFER %#llx -> %#llx (CR0 %#llx) refused", (unsigned long long)cur,
			 (unsigned long long)val, (unsigned long long)cr0);
	assert_int_equal(out, want);
}

static void efer_gp(u64 cur, u64 val, u64 cr0)
{
	u64 out = 0x5A5A;

	if (efer_write_ok(cur, val, cr0, ALLOWED, &out))
		fail_msg("EFER %#llx -> %#llx (CR0 %#llx) accepted", (unsigned long long)cur,
			 (unsigned long long)val, (unsigned long long)cr0);
	assert_int_equal(out, 0x5A5A);
}

/* APM 3.1.7: reserved bits and bits the CPU lacks are #GP, SVME (hidden)
 * too; LME may not change while CR0.PG is set; LMA is the CPU's. */
static void test_efer_rules(void **state)
{
	(void)state;
	efer_ok(0, EFER_SCE | EFER_NXE, 0, EFER_SCE | EFER_NXE);
	efer_ok(0, EFER_LME, 0, EFER_LME);                       /* paging off */
	efer_ok(EFER_LME | EFER_LMA, EFER_LME | EFER_NXE, CR0_PG | CR0_PE,
		EFER_LME | EFER_LMA | EFER_NXE);                /* LMA kept */
	efer_ok(EFER_LME | EFER_LMA, EFER_LME | EFER_LMA | EFER_SCE, CR0_PG,
		EFER_LME | EFER_LMA | EFER_SCE);
	efer_ok(0, EFER_LMA, 0, 0);                              /* LMA ignored */
	efer_gp(0, EFER_SVME, 0);
	efer_gp(0, 1ull << 1, 0);                                /* reserved */
	efer_gp(0, 1ull << 9, 0);
	efer_gp(0, 1ull << 63, 0);
	efer_gp(0, EFER_LMSLE, 0);                               /* not in ALLOWED */
	efer_gp(EFER_LME | EFER_LMA, 0, CR0_PG | CR0_PE);        /* LME off, paging on */
	efer_gp(0, EFER_LME, CR0_PG | CR0_PE);                   /* LME on, paging on */
}

#define CAP (10 | (1ull << 8) | (1ull << 10))   /* VCNT 10, FIX, WC */

static void test_mtrr_values(void **state)
{
	(void)state;
	/* IA32_MTRR_DEF_TYPE: type 2:0, FE 10, E 11. */
	assert_true(mtrr_write_ok(0x2FF, 0xC06, CAP, 39));
	assert_true(mtrr_write_ok(0x2FF, 0, CAP, 39));
	assert_false(mtrr_write_ok(0x2FF, 0xC02, CAP, 39));     /* type 2 reserved */
	assert_false(mtrr_write_ok(0x2FF, 0xC07, CAP, 39));     /* type 7 reserved */
	assert_false(mtrr_write_ok(0x2FF, 0x1C06, CAP, 39));    /* bit 12 */
	assert_false(mtrr_write_ok(0x2FF, 0xC16, CAP, 39));     /* bit 4 */
	assert_false(mtrr_write_ok(0x2FF, 0x801, CAP & ~(1ull << 10), 39)); /* WC not there */
	/* Fixed ranges: eight valid types, and only with MTRRCAP.FIX. */
	assert_true(mtrr_write_ok(0x250, 0x0606060606060606ull, CAP, 39));
	assert_true(mtrr_write_ok(0x26F, 0x0504010006060606ull, CAP, 39));
	assert_false(mtrr_write_ok(0x268, 0x0606060606060603ull, CAP, 39));
	assert_false(mtrr_write_ok(0x259, 0x1E06060606060606ull, CAP, 39));
	assert_false(mtrr_write_ok(0x250, 0, CAP & ~(1ull << 8), 39));
	/* PHYSBASE: type 7:0, 11:8 reserved, bits from MAXPHYADDR reserved. */
	assert_true(mtrr_write_ok(0x200, 0x80000006ull, CAP, 39));
	assert_false(mtrr_write_ok(0x200, 0x80000106ull, CAP, 39));
	assert_false(mtrr_write_ok(0x202, 0x8000000006ull, CAP, 39));  /* bit 39 */
	assert_true(mtrr_write_ok(0x202, 0x8000000006ull, CAP, 40));
	/* PHYSMASK: valid bit 11, 10:0 reserved. */
	assert_true(mtrr_write_ok(0x201, 0x7FC0000800ull, CAP, 39));
	assert_false(mtrr_write_ok(0x201, 0x7FC0000801ull, CAP, 39));
	assert_false(mtrr_write_ok(0x201, 0xFFC0000800ull, CAP, 39));
	/* Beyond VCNT (10 pairs: 200h-213h) there is no MTRR. */
	assert_true(mtrr_write_ok(0x213, 0x800, CAP, 39));
	assert_false(mtrr_write_ok(0x214, 0x6, CAP, 39));
	assert_false(mtrr_write_ok(0x277, 0x6, CAP, 39));       /* PAT is no MTRR */
}

static void test_mtrr_slots(void **state)
{
	(void)state;
	assert_int_equal(mtrr_fixed_index(0x250), 0);
	assert_int_equal(mtrr_fixed_index(0x258), 1);
	assert_int_equal(mtrr_fixed_index(0x259), 2);
	assert_int_equal(mtrr_fixed_index(0x268), 3);
	assert_int_equal(mtrr_fixed_index(0x26F), 10);
	assert_int_equal(mtrr_fixed_index(0x251), -1);
	assert_int_equal(mtrr_fixed_index(0x25A), -1);
	assert_int_equal(mtrr_fixed_index(0x270), -1);
	assert_int_equal(mtrr_var_index(0x200, CAP), 0);
	assert_int_equal(mtrr_var_index(0x213, CAP), 19);
	assert_int_equal(mtrr_var_index(0x214, CAP), -1);
	assert_int_equal(mtrr_var_index(0x1FF, CAP), -1);
	/* More than Keel keeps: the rest are refused. */
	assert_int_equal(mtrr_var_index(0x200 + 2 * MTRR_VAR_MAX - 1, 0xFF), 2 * MTRR_VAR_MAX - 1);
	assert_int_equal(mtrr_var_index(0x200 + 2 * MTRR_VAR_MAX, 0xFF), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_shape),
		cmocka_unit_test(test_machine_msrs),
		cmocka_unit_test(test_efer_rules),
		cmocka_unit_test(test_mtrr_values),
		cmocka_unit_test(test_mtrr_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
