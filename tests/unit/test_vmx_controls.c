/* Unit tests for vmx/controls.c (SDM vol. 3C appendix A): control values
 * from the capability MSRs with realistic values (a Skylake-class CPU as
 * KVM and Bochs report it: default-1 bits that must stay 1, TRUE_ MSRs
 * that let some of them be 0, secondary controls without XSAVES), and the
 * CR0/CR4 fixed bits, including the real-mode unrestricted guest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "../../vmx/controls.h"
#include "../../vmx/vmcs.h"
#include "../../hv/x86.h"

/* IA32_VMX_BASIC: revision 4, 1 KiB VMCS, WB, INS/OUTS information and
 * TRUE_ controls (bit 55); and an older CPU's without bit 55. */
#define BASIC_TRUE	0x00DA040000000004ull
#define BASIC_PLAIN	0x0058100000000001ull

/* Allowed-0 settings (low half) are the default-1 classes of A.3-A.5. */
#define PINBASED	0x0000007F00000016ull
#define PROCBASED	0xFFF9FFFE0401E172ull
#define TRUE_PROCBASED	0xFFF9FFFE04006172ull	/* CR3 load/store exiting may be 0 */
#define PROCBASED2	0x000010AE00000000ull	/* EPT, desc. table, RDTSCP, VPID, UG, INVPCID */
#define EXIT_CTLS	0x01FFFFFF00036DFFull
#define TRUE_EXIT_CTLS	0x01FFFFFF00036DFBull	/* "save debug controls" may be 0 */
#define ENTRY_CTLS	0x0003FFFF000011FFull
#define TRUE_ENTRY_CTLS	0x0003FFFF000011FBull	/* "load debug controls" may be 0 */

#define CR0_FIXED0	0x0000000080000021ull	/* PE, NE, PG */
#define CR0_FIXED1	0x00000000FFFFFFFFull
#define CR4_FIXED0	0x0000000000002000ull	/* VMXE */
#define CR4_FIXED1	0x00000000003727FFull	/* no LA57, UMIP, SMXE, PKE, CET */

static void expect_adjust(u64 cap, u32 want, u32 optional, int rc, u32 out, u32 missing)
{
	u32 got_out = 0xDEADBEEF, got_missing = 0xDEADBEEF;
	int got = vmx_adjust_controls(cap, want, optional, &got_out, &got_missing);

	if (got != rc || got_out != out || got_missing != missing) {
		print_error("cap %#018llx want %#x optional %#x: expected rc %d out %#x missing %#x, "
			    "saw rc %d out %#x missing %#x\n", (unsigned long long)cap, want, optional,
			    rc, out, missing, got, got_out, got_missing);
		fail();
	}
}

static void test_pin_based(void **state)
{
	(void)state;
	/* Bits 1, 2 and 4 are default-1: forced on. */
	expect_adjust(PINBASED, PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING,
		      PIN_BASED_PREEMPTION_TIMER, 0,
		      0x16 | PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING |
		      PIN_BASED_PREEMPTION_TIMER, 0);
	expect_adjust(PINBASED, 0, 0, 0, 0x16, 0);
	/* Posted interrupts (bit 7) are not offered. */
	expect_adjust(PINBASED, PIN_BASED_POSTED_INTERRUPTS, 0, -1, 0x16,
		      PIN_BASED_POSTED_INTERRUPTS);
	expect_adjust(PINBASED, 0, PIN_BASED_POSTED_INTERRUPTS, 0, 0x16, 0);
}

static void test_proc_based_plain_and_true(void **state)
{
	const u32 want = PROC_BASED_HLT_EXITING | PROC_BASED_USE_IO_BITMAPS |
			 PROC_BASED_USE_MSR_BITMAPS | PROC_BASED_ACTIVATE_SECONDARY;

	(void)state;
	/* Without TRUE_ controls, CR3-load and CR3-store exiting are forced. */
	expect_adjust(PROCBASED, want, 0, 0, 0x0401E172 | want, 0);
	assert_true(0x0401E172 & PROC_BASED_CR3_LOAD_EXITING);
	assert_true(0x0401E172 & PROC_BASED_CR3_STORE_EXITING);
	/* With them, they may be 0. */
	expect_adjust(TRUE_PROCBASED, want, 0, 0, 0x04006172 | want, 0);
	assert_false((0x04006172 | want) & PROC_BASED_CR3_LOAD_EXITING);
	/* Bit 17 (activate tertiary controls) is not offered here. */
	expect_adjust(TRUE_PROCBASED, want | PROC_BASED_ACTIVATE_TERTIARY, 0, -1,
		      0x04006172 | want, PROC_BASED_ACTIVATE_TERTIARY);
	assert_true(vmx_ctl_allowed1(PROCBASED, PROC_BASED_ACTIVATE_SECONDARY));
	assert_false(vmx_ctl_allowed1(PROCBASED, PROC_BASED_ACTIVATE_TERTIARY));
	assert_false(vmx_ctl_allowed1(PROCBASED, PROC_BASED_ACTIVATE_SECONDARY |
				      PROC_BASED_ACTIVATE_TERTIARY));
}

static void test_secondary(void **state)
{
	const u32 want = PROC_BASED2_ENABLE_EPT | PROC_BASED2_ENABLE_VPID |
			 PROC_BASED2_UNRESTRICTED_GUEST | PROC_BASED2_ENABLE_RDTSCP;
	const u32 optional = PROC_BASED2_ENABLE_INVPCID | PROC_BASED2_ENABLE_XSAVES;

	(void)state;
	/* INVPCID is offered and taken; XSAVES is not and is dropped silently. */
	expect_adjust(PROCBASED2, want, optional, 0, want | PROC_BASED2_ENABLE_INVPCID, 0);
	/* Wanting XSAVES fails and says so; the rest is still chosen. */
	expect_adjust(PROCBASED2, want | PROC_BASED2_ENABLE_XSAVES, 0, -1, want,
		      PROC_BASED2_ENABLE_XSAVES);
	/* Two missing bits are both named. */
	expect_adjust(PROCBASED2, want | PROC_BASED2_ENABLE_XSAVES | PROC_BASED2_ENABLE_PML,
		      0, -1, want, PROC_BASED2_ENABLE_XSAVES | PROC_BASED2_ENABLE_PML);
	/* No secondary controls at all (the MSR reads as 0). */
	expect_adjust(0, PROC_BASED2_ENABLE_EPT, PROC_BASED2_ENABLE_VPID, -1, 0,
		      PROC_BASED2_ENABLE_EPT);
	expect_adjust(0, 0, PROC_BASED2_ENABLE_VPID, 0, 0, 0);
}

static void test_exit_entry(void **state)
{
	const u32 exit_want = EXIT_CTRL_HOST_ADDR_SPACE_SIZE | EXIT_CTRL_SAVE_IA32_EFER |
			      EXIT_CTRL_LOAD_IA32_EFER | EXIT_CTRL_SAVE_IA32_PAT |
			      EXIT_CTRL_LOAD_IA32_PAT | EXIT_CTRL_ACK_INTR_ON_EXIT;
	const u32 entry_want = ENTRY_CTRL_IA32E_MODE_GUEST | ENTRY_CTRL_LOAD_IA32_EFER |
			       ENTRY_CTRL_LOAD_IA32_PAT;

	(void)state;
	expect_adjust(EXIT_CTLS, exit_want, 0, 0, 0x00036DFF | exit_want, 0);
	assert_true((0x00036DFF | exit_want) & EXIT_CTRL_SAVE_DEBUG_CONTROLS);
	expect_adjust(TRUE_EXIT_CTLS, exit_want, 0, 0, 0x00036DFB | exit_want, 0);
	assert_false((0x00036DFB | exit_want) & EXIT_CTRL_SAVE_DEBUG_CONTROLS);
	expect_adjust(ENTRY_CTLS, entry_want, 0, 0, 0x000011FF | entry_want, 0);
	expect_adjust(TRUE_ENTRY_CTLS, entry_want, 0, 0, 0x000011FB | entry_want, 0);
	/* Bits 31:18 of the entry controls are not offered. */
	expect_adjust(TRUE_ENTRY_CTLS, entry_want | ENTRY_CTRL_LOAD_CET_STATE,
		      ENTRY_CTRL_LOAD_PKRS, -1, 0x000011FB | entry_want,
		      ENTRY_CTRL_LOAD_CET_STATE);
}

/* A bit that must be 1 and may not be 1 leaves no value that works. */
static void test_contradictory_msr(void **state)
{
	(void)state;
	expect_adjust(0x0000000100000001ull | (1ull << 3), 0, 0, -1, 1, 1u << 3);
	/* missing may be NULL. */
	{
		u32 out = 0;

		assert_int_equal(vmx_adjust_controls(PROCBASED2, PROC_BASED2_ENABLE_XSAVES, 0,
						     &out, NULL), -1);
		assert_int_equal(out, 0);
		assert_int_equal(vmx_adjust_controls(PROCBASED2, PROC_BASED2_ENABLE_EPT, 0,
						     &out, NULL), 0);
		assert_int_equal(out, PROC_BASED2_ENABLE_EPT);
	}
}

static void test_true_msr_choice(void **state)
{
	(void)state;
	assert_true(vmx_basic_true_ctls(BASIC_TRUE));
	assert_false(vmx_basic_true_ctls(BASIC_PLAIN));
	assert_true(vmx_basic_true_ctls(1ull << 55));
	assert_false(vmx_basic_true_ctls(~(1ull << 55)));

	assert_int_equal(vmx_ctl_msr(BASIC_TRUE, MSR_IA32_VMX_PINBASED_CTLS), 0x48D);
	assert_int_equal(vmx_ctl_msr(BASIC_TRUE, MSR_IA32_VMX_PROCBASED_CTLS), 0x48E);
	assert_int_equal(vmx_ctl_msr(BASIC_TRUE, MSR_IA32_VMX_EXIT_CTLS), 0x48F);
	assert_int_equal(vmx_ctl_msr(BASIC_TRUE, MSR_IA32_VMX_ENTRY_CTLS), 0x490);
	assert_int_equal(vmx_ctl_msr(BASIC_TRUE, MSR_IA32_VMX_PROCBASED_CTLS2), 0x48B);
	assert_int_equal(vmx_ctl_msr(BASIC_TRUE, MSR_IA32_VMX_MISC), 0x485);

	assert_int_equal(vmx_ctl_msr(BASIC_PLAIN, MSR_IA32_VMX_PINBASED_CTLS), 0x481);
	assert_int_equal(vmx_ctl_msr(BASIC_PLAIN, MSR_IA32_VMX_PROCBASED_CTLS), 0x482);
	assert_int_equal(vmx_ctl_msr(BASIC_PLAIN, MSR_IA32_VMX_EXIT_CTLS), 0x483);
	assert_int_equal(vmx_ctl_msr(BASIC_PLAIN, MSR_IA32_VMX_ENTRY_CTLS), 0x484);
	assert_int_equal(vmx_ctl_msr(BASIC_PLAIN, MSR_IA32_VMX_PROCBASED_CTLS2), 0x48B);

	/* The other IA32_VMX_BASIC fields of the sample values. */
	assert_int_equal(BASIC_TRUE & VMX_BASIC_REVISION_MASK, 4);
	assert_int_equal(VMX_BASIC_VMCS_SIZE(BASIC_TRUE), 0x400);
	assert_int_equal(VMX_BASIC_MEMORY_TYPE(BASIC_TRUE), VMX_BASIC_MEMORY_TYPE_WB);
	assert_int_equal(VMX_BASIC_VMCS_SIZE(BASIC_PLAIN), 0x1000);
	assert_int_equal(VMX_BASIC_MEMORY_TYPE(BASIC_PLAIN), VMX_BASIC_MEMORY_TYPE_WB);
}

static void test_fixed_cr0(void **state)
{
	(void)state;
	/* Protected mode with paging: PE, NE and PG forced. */
	assert_int_equal(vmx_fixed_bits(0, CR0_FIXED0, CR0_FIXED1), 0x80000021);
	assert_int_equal(vmx_fixed_bits(CR0_PE | CR0_PG | CR0_WP | CR0_ET, CR0_FIXED0, CR0_FIXED1),
			 CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE);
	/* Bits 63:32 are 0 in FIXED1: cleared. */
	assert_int_equal(vmx_fixed_bits(CR0_PE | (1ull << 40), CR0_FIXED0, CR0_FIXED1),
			 0x80000021);
	/* Real mode, unrestricted guest: PE and PG left to the guest, NE
	 * still forced. The reset value 60000010H becomes 60000030H. */
	assert_int_equal(vmx_fixed_bits(0x60000010, CR0_FIXED0 & ~(CR0_PE | CR0_PG), CR0_FIXED1),
			 0x60000030);
	assert_int_equal(vmx_fixed_bits(CR0_PE, CR0_FIXED0 & ~(CR0_PE | CR0_PG), CR0_FIXED1),
			 CR0_PE | CR0_NE);
	/* A CPU that fixes CD and NW to 0 (FIXED1 without them). */
	assert_int_equal(vmx_fixed_bits(0x60000010, 0x20, 0x9FFFFFFF), 0x30);
}

static void test_fixed_cr4(void **state)
{
	(void)state;
	assert_int_equal(vmx_fixed_bits(0, CR4_FIXED0, CR4_FIXED1), CR4_VMXE);
	assert_int_equal(vmx_fixed_bits(CR4_PAE | CR4_PGE, CR4_FIXED0, CR4_FIXED1),
			 CR4_PAE | CR4_PGE | CR4_VMXE);
	/* LA57, UMIP and SMXE are not offered by this FIXED1: cleared. */
	assert_int_equal(vmx_fixed_bits(CR4_PAE | CR4_LA57 | CR4_UMIP | CR4_SMXE, CR4_FIXED0,
					CR4_FIXED1), CR4_PAE | CR4_VMXE);
	/* Every bit FIXED1 allows survives. */
	assert_int_equal(vmx_fixed_bits(CR4_FIXED1, CR4_FIXED0, CR4_FIXED1), CR4_FIXED1);
	assert_int_equal(vmx_fixed_bits(~0ull, CR4_FIXED0, CR4_FIXED1), CR4_FIXED1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin_based),
		cmocka_unit_test(test_proc_based_plain_and_true),
		cmocka_unit_test(test_secondary),
		cmocka_unit_test(test_exit_entry),
		cmocka_unit_test(test_contradictory_msr),
		cmocka_unit_test(test_true_msr_choice),
		cmocka_unit_test(test_fixed_cr0),
		cmocka_unit_test(test_fixed_cr4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
