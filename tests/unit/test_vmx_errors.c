/* Unit tests for vmx/vminsn_error.c and the encodings in vmx/vmcs.h: every
 * VM-instruction error number of SDM vol. 3C 31.4 has its own words, the
 * common ones word for word; every basic exit reason of appendix C has a
 * name; and every field encoding carries the width and type its group of
 * appendix B says (25.11.2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../vmx/vmcs.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define UNKNOWN_ERROR "unknown VM-instruction error"
#define UNKNOWN_EXIT "unknown exit reason"

static void test_every_error_number_distinct(void **state)
{
	u32 i, j;

	(void)state;
	for (i = 1; i <= 28; i++) {
		const char *s = vmx_instruction_error_str(i);

		if (!s || !*s || strcmp(s, UNKNOWN_ERROR) == 0) {
			print_error("VM-instruction error %u: expected its words, saw %s\n", i,
				    s ? s : "NULL");
			fail();
		}
		for (j = 1; j < i; j++) {
			if (strcmp(s, vmx_instruction_error_str(j)) == 0) {
				print_error("errors %u and %u share \"%s\"\n", j, i, s);
				fail();
			}
		}
	}
}

static void test_error_words(void **state)
{
	static const struct {
		u32 n;
		const char *words;
	} cases[] = {
		{ 1, "VMCALL executed in VMX root operation" },
		{ 2, "VMCLEAR with invalid physical address" },
		{ 3, "VMCLEAR with VMXON pointer" },
		{ 4, "VMLAUNCH with non-clear VMCS" },
		{ 5, "VMRESUME with non-launched VMCS" },
		{ 6, "VMRESUME after VMXOFF (VMXOFF and VMXON between VMLAUNCH and VMRESUME)" },
		{ 7, "VM entry with invalid control field(s)" },
		{ 8, "VM entry with invalid host-state field(s)" },
		{ 9, "VMPTRLD with invalid physical address" },
		{ 10, "VMPTRLD with VMXON pointer" },
		{ 11, "VMPTRLD with incorrect VMCS revision identifier" },
		{ 12, "VMREAD/VMWRITE from/to unsupported VMCS component" },
		{ 13, "VMWRITE to read-only VMCS component" },
		{ 14, "reserved VM-instruction error 14" },
		{ 15, "VMXON executed in VMX root operation" },
		{ 16, "VM entry with invalid executive-VMCS pointer" },
		{ 17, "VM entry with non-launched executive VMCS" },
		{ 20, "VMCALL with invalid VM-exit control fields" },
		{ 21, "reserved VM-instruction error 21" },
		{ 23, "VMXOFF under dual-monitor treatment of SMIs and SMM" },
		{ 26, "VM entry with events blocked by MOV SS" },
		{ 27, "reserved VM-instruction error 27" },
		{ 28, "invalid operand to INVEPT/INVVPID" },
		{ VMXERR_ENTRY_INVALID_CONTROL, "VM entry with invalid control field(s)" },
		{ VMXERR_INVEPT_INVVPID_OPERAND, "invalid operand to INVEPT/INVVPID" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++)
		assert_string_equal(vmx_instruction_error_str(cases[i].n), cases[i].words);
	/* The dual-monitor errors keep the SDM's parenthesis. */
	assert_string_equal(vmx_instruction_error_str(18),
			    "VM entry with executive-VMCS pointer not VMXON pointer (when "
			    "attempting to deactivate the dual-monitor treatment of SMIs and SMM)");
	assert_string_equal(vmx_instruction_error_str(19),
			    "VMCALL with non-clear VMCS (when attempting to activate the "
			    "dual-monitor treatment of SMIs and SMM)");
	assert_string_equal(vmx_instruction_error_str(22),
			    "VMCALL with incorrect MSEG revision identifier (when attempting to "
			    "activate the dual-monitor treatment of SMIs and SMM)");
	assert_string_equal(vmx_instruction_error_str(24),
			    "VMCALL with invalid SMM-monitor features (when attempting to "
			    "activate the dual-monitor treatment of SMIs and SMM)");
	assert_string_equal(vmx_instruction_error_str(25),
			    "VM entry with invalid VM-execution control fields in executive VMCS "
			    "(when attempting to return from SMM)");
}

static void test_unknown_errors(void **state)
{
	static const u32 bad[] = { 0, 29, 30, 64, 0x80000007u, 0xFFFFFFFFu };
	size_t i;

	(void)state;
	for (i = 0; i < N(bad); i++)
		assert_string_equal(vmx_instruction_error_str(bad[i]), UNKNOWN_ERROR);
}

static void test_exit_reason_names(void **state)
{
	u32 i, j;

	(void)state;
	/* Every defined basic exit reason 0-79 has its own name; 35, 38, 42
	 * and 71 are not exit reasons. */
	for (i = 0; i < VMX_EXIT_REASON_COUNT; i++) {
		const char *s = vmx_exit_reason_str(i);
		bool unused = i == 35 || i == 38 || i == 42 || i == 71;

		assert_non_null(s);
		if (unused != (strcmp(s, UNKNOWN_EXIT) == 0)) {
			print_error("exit reason %u: expected %s, saw \"%s\"\n", i,
				    unused ? "unknown" : "a name", s);
			fail();
		}
		if (unused)
			continue;
		for (j = 0; j < i; j++) {
			if (strcmp(s, vmx_exit_reason_str(j)) == 0) {
				print_error("exit reasons %u and %u share \"%s\"\n", j, i, s);
				fail();
			}
		}
	}
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_EXCEPTION_NMI), "exception or NMI");
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_TRIPLE_FAULT), "triple fault");
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_CPUID), "CPUID");
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_HLT), "HLT");
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_VMCALL), "VMCALL");
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_CR_ACCESS), "control-register accesses");
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_IO), "I/O instruction");
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_INVALID_GUEST_STATE),
			    "VM-entry failure due to invalid guest state");
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_EPT_VIOLATION), "EPT violation");
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_PREEMPTION_TIMER),
			    "VMX-preemption timer expired");
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_XSETBV), "XSETBV");
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_VMFUNC), "VMFUNC");
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_LOADIWKEY), "LOADIWKEY");
	/* The whole exit-reason field may be passed: bit 31 and friends. */
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_REASON_ENTRY_FAILURE | 33),
			    "VM-entry failure due to invalid guest state");
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_REASON_FROM_ROOT | VMX_EXIT_CPUID), "CPUID");
	assert_string_equal(vmx_exit_reason_str(80), UNKNOWN_EXIT);
	assert_string_equal(vmx_exit_reason_str(0xFFFF), UNKNOWN_EXIT);
}

/* The exit-reason numbers the rest of Keel relies on (appendix C). */
static void test_exit_reason_numbers(void **state)
{
	(void)state;
	assert_int_equal(VMX_EXIT_SIPI, 4);
	assert_int_equal(VMX_EXIT_INVD, 13);
	assert_int_equal(VMX_EXIT_VMCLEAR, 19);
	assert_int_equal(VMX_EXIT_VMXON, 27);
	assert_int_equal(VMX_EXIT_RDMSR, 31);
	assert_int_equal(VMX_EXIT_WRMSR, 32);
	assert_int_equal(VMX_EXIT_MSR_LOADING, 34);
	assert_int_equal(VMX_EXIT_MWAIT, 36);
	assert_int_equal(VMX_EXIT_MONITOR_TRAP, 37);
	assert_int_equal(VMX_EXIT_MONITOR, 39);
	assert_int_equal(VMX_EXIT_PAUSE, 40);
	assert_int_equal(VMX_EXIT_MCE_DURING_ENTRY, 41);
	assert_int_equal(VMX_EXIT_EPT_MISCONFIG, 49);
	assert_int_equal(VMX_EXIT_INVEPT, 50);
	assert_int_equal(VMX_EXIT_RDTSCP, 51);
	assert_int_equal(VMX_EXIT_INVVPID, 53);
	assert_int_equal(VMX_EXIT_WBINVD, 54);
	assert_int_equal(VMX_EXIT_VMFUNC, 59);
}

/* Each field against the width and type of its group in appendix B. */
#define F(enc, width, type) { #enc, enc, VMCS_WIDTH_##width, VMCS_TYPE_##type }
static const struct field {
	const char *name;
	u32 enc, width, type;
} fields[] = {
	F(VMCS_CTRL_VPID, 16, CONTROL),
	F(VMCS_CTRL_EPTP_INDEX, 16, CONTROL),
	F(VMCS_GUEST_ES_SELECTOR, 16, GUEST), F(VMCS_GUEST_CS_SELECTOR, 16, GUEST),
	F(VMCS_GUEST_SS_SELECTOR, 16, GUEST), F(VMCS_GUEST_DS_SELECTOR, 16, GUEST),
	F(VMCS_GUEST_FS_SELECTOR, 16, GUEST), F(VMCS_GUEST_GS_SELECTOR, 16, GUEST),
	F(VMCS_GUEST_LDTR_SELECTOR, 16, GUEST), F(VMCS_GUEST_TR_SELECTOR, 16, GUEST),
	F(VMCS_GUEST_INTR_STATUS, 16, GUEST), F(VMCS_GUEST_PML_INDEX, 16, GUEST),
	F(VMCS_HOST_ES_SELECTOR, 16, HOST), F(VMCS_HOST_CS_SELECTOR, 16, HOST),
	F(VMCS_HOST_SS_SELECTOR, 16, HOST), F(VMCS_HOST_DS_SELECTOR, 16, HOST),
	F(VMCS_HOST_FS_SELECTOR, 16, HOST), F(VMCS_HOST_GS_SELECTOR, 16, HOST),
	F(VMCS_HOST_TR_SELECTOR, 16, HOST),
	F(VMCS_CTRL_IO_BITMAP_A, 64, CONTROL), F(VMCS_CTRL_IO_BITMAP_B, 64, CONTROL),
	F(VMCS_CTRL_MSR_BITMAP, 64, CONTROL), F(VMCS_CTRL_EXIT_MSR_STORE_ADDR, 64, CONTROL),
	F(VMCS_CTRL_EXIT_MSR_LOAD_ADDR, 64, CONTROL), F(VMCS_CTRL_ENTRY_MSR_LOAD_ADDR, 64, CONTROL),
	F(VMCS_CTRL_TSC_OFFSET, 64, CONTROL), F(VMCS_CTRL_VIRTUAL_APIC_ADDR, 64, CONTROL),
	F(VMCS_CTRL_APIC_ACCESS_ADDR, 64, CONTROL), F(VMCS_CTRL_EPT_POINTER, 64, CONTROL),
	F(VMCS_CTRL_XSS_EXITING_BITMAP, 64, CONTROL), F(VMCS_CTRL_TSC_MULTIPLIER, 64, CONTROL),
	F(VMCS_CTRL_PROC_BASED3, 64, CONTROL),
	F(VMCS_RO_GUEST_PHYSICAL_ADDR, 64, EXIT_INFO),
	F(VMCS_GUEST_VMCS_LINK_POINTER, 64, GUEST), F(VMCS_GUEST_IA32_DEBUGCTL, 64, GUEST),
	F(VMCS_GUEST_IA32_PAT, 64, GUEST), F(VMCS_GUEST_IA32_EFER, 64, GUEST),
	F(VMCS_GUEST_IA32_PERF_GLOBAL_CTRL, 64, GUEST), F(VMCS_GUEST_PDPTE0, 64, GUEST),
	F(VMCS_GUEST_PDPTE3, 64, GUEST), F(VMCS_GUEST_IA32_PKRS, 64, GUEST),
	F(VMCS_HOST_IA32_PAT, 64, HOST), F(VMCS_HOST_IA32_EFER, 64, HOST),
	F(VMCS_HOST_IA32_PERF_GLOBAL_CTRL, 64, HOST), F(VMCS_HOST_IA32_PKRS, 64, HOST),
	F(VMCS_CTRL_PIN_BASED, 32, CONTROL), F(VMCS_CTRL_PROC_BASED, 32, CONTROL),
	F(VMCS_CTRL_EXCEPTION_BITMAP, 32, CONTROL), F(VMCS_CTRL_PF_ERROR_CODE_MASK, 32, CONTROL),
	F(VMCS_CTRL_PF_ERROR_CODE_MATCH, 32, CONTROL), F(VMCS_CTRL_CR3_TARGET_COUNT, 32, CONTROL),
	F(VMCS_CTRL_EXIT, 32, CONTROL), F(VMCS_CTRL_EXIT_MSR_STORE_COUNT, 32, CONTROL),
	F(VMCS_CTRL_EXIT_MSR_LOAD_COUNT, 32, CONTROL), F(VMCS_CTRL_ENTRY, 32, CONTROL),
	F(VMCS_CTRL_ENTRY_MSR_LOAD_COUNT, 32, CONTROL), F(VMCS_CTRL_ENTRY_INTR_INFO, 32, CONTROL),
	F(VMCS_CTRL_ENTRY_EXCEPTION_ERROR, 32, CONTROL),
	F(VMCS_CTRL_ENTRY_INSTRUCTION_LEN, 32, CONTROL), F(VMCS_CTRL_TPR_THRESHOLD, 32, CONTROL),
	F(VMCS_CTRL_PROC_BASED2, 32, CONTROL), F(VMCS_CTRL_PLE_GAP, 32, CONTROL),
	F(VMCS_CTRL_PLE_WINDOW, 32, CONTROL),
	F(VMCS_RO_VM_INSTRUCTION_ERROR, 32, EXIT_INFO), F(VMCS_RO_EXIT_REASON, 32, EXIT_INFO),
	F(VMCS_RO_EXIT_INTR_INFO, 32, EXIT_INFO), F(VMCS_RO_EXIT_INTR_ERROR, 32, EXIT_INFO),
	F(VMCS_RO_IDT_VECTORING_INFO, 32, EXIT_INFO), F(VMCS_RO_IDT_VECTORING_ERROR, 32, EXIT_INFO),
	F(VMCS_RO_EXIT_INSTRUCTION_LEN, 32, EXIT_INFO),
	F(VMCS_RO_EXIT_INSTRUCTION_INFO, 32, EXIT_INFO),
	F(VMCS_GUEST_ES_LIMIT, 32, GUEST), F(VMCS_GUEST_CS_LIMIT, 32, GUEST),
	F(VMCS_GUEST_TR_LIMIT, 32, GUEST), F(VMCS_GUEST_GDTR_LIMIT, 32, GUEST),
	F(VMCS_GUEST_IDTR_LIMIT, 32, GUEST), F(VMCS_GUEST_ES_ACCESS_RIGHTS, 32, GUEST),
	F(VMCS_GUEST_CS_ACCESS_RIGHTS, 32, GUEST), F(VMCS_GUEST_TR_ACCESS_RIGHTS, 32, GUEST),
	F(VMCS_GUEST_INTERRUPTIBILITY, 32, GUEST), F(VMCS_GUEST_ACTIVITY_STATE, 32, GUEST),
	F(VMCS_GUEST_SMBASE, 32, GUEST), F(VMCS_GUEST_IA32_SYSENTER_CS, 32, GUEST),
	F(VMCS_GUEST_PREEMPTION_TIMER, 32, GUEST), F(VMCS_CTRL_PREEMPTION_TIMER, 32, GUEST),
	F(VMCS_HOST_IA32_SYSENTER_CS, 32, HOST),
	F(VMCS_CTRL_CR0_GUEST_HOST_MASK, NATURAL, CONTROL),
	F(VMCS_CTRL_CR4_GUEST_HOST_MASK, NATURAL, CONTROL),
	F(VMCS_CTRL_CR0_READ_SHADOW, NATURAL, CONTROL),
	F(VMCS_CTRL_CR4_READ_SHADOW, NATURAL, CONTROL),
	F(VMCS_CTRL_CR3_TARGET_VALUE0, NATURAL, CONTROL),
	F(VMCS_CTRL_CR3_TARGET_VALUE3, NATURAL, CONTROL),
	F(VMCS_RO_EXIT_QUALIFICATION, NATURAL, EXIT_INFO), F(VMCS_RO_IO_RIP, NATURAL, EXIT_INFO),
	F(VMCS_RO_GUEST_LINEAR_ADDR, NATURAL, EXIT_INFO),
	F(VMCS_GUEST_CR0, NATURAL, GUEST), F(VMCS_GUEST_CR3, NATURAL, GUEST),
	F(VMCS_GUEST_CR4, NATURAL, GUEST), F(VMCS_GUEST_ES_BASE, NATURAL, GUEST),
	F(VMCS_GUEST_TR_BASE, NATURAL, GUEST), F(VMCS_GUEST_GDTR_BASE, NATURAL, GUEST),
	F(VMCS_GUEST_IDTR_BASE, NATURAL, GUEST), F(VMCS_GUEST_DR7, NATURAL, GUEST),
	F(VMCS_GUEST_RSP, NATURAL, GUEST), F(VMCS_GUEST_RIP, NATURAL, GUEST),
	F(VMCS_GUEST_RFLAGS, NATURAL, GUEST), F(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, NATURAL, GUEST),
	F(VMCS_GUEST_IA32_SYSENTER_ESP, NATURAL, GUEST),
	F(VMCS_GUEST_IA32_SYSENTER_EIP, NATURAL, GUEST),
	F(VMCS_HOST_CR0, NATURAL, HOST), F(VMCS_HOST_CR3, NATURAL, HOST),
	F(VMCS_HOST_CR4, NATURAL, HOST), F(VMCS_HOST_FS_BASE, NATURAL, HOST),
	F(VMCS_HOST_GS_BASE, NATURAL, HOST), F(VMCS_HOST_TR_BASE, NATURAL, HOST),
	F(VMCS_HOST_GDTR_BASE, NATURAL, HOST), F(VMCS_HOST_IDTR_BASE, NATURAL, HOST),
	F(VMCS_HOST_IA32_SYSENTER_ESP, NATURAL, HOST),
	F(VMCS_HOST_IA32_SYSENTER_EIP, NATURAL, HOST),
	F(VMCS_HOST_RSP, NATURAL, HOST), F(VMCS_HOST_RIP, NATURAL, HOST),
};

static void test_field_encodings(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(fields); i++) {
		u32 enc = fields[i].enc;

		if (VMCS_FIELD_WIDTH(enc) != fields[i].width || VMCS_FIELD_TYPE(enc) != fields[i].type ||
		    (enc & VMCS_FIELD_HIGH) || (enc & ~0x6FFFu)) {
			print_error("%s = %#06x: expected width %u type %u, full access, "
				    "saw width %u type %u\n", fields[i].name, enc, fields[i].width,
				    fields[i].type, VMCS_FIELD_WIDTH(enc), VMCS_FIELD_TYPE(enc));
			fail();
		}
	}
	/* Spot values that vmx/vmentry.asm and the SDM index agree on. */
	assert_int_equal(VMCS_HOST_RSP, 0x6C14);
	assert_int_equal(VMCS_GUEST_RIP, 0x681E);
	assert_int_equal(VMCS_RO_EXIT_REASON, 0x4402);
	assert_int_equal(VMCS_GUEST_VMCS_LINK_POINTER, 0x2800);
}

/* Access-rights and interruption-information helpers. */
static void test_format_macros(void **state)
{
	(void)state;
	assert_int_equal(VMX_AR_TYPE(11) | VMX_AR_S | VMX_AR_P, 0x9B);
	assert_int_equal(VMX_AR_TYPE(3) | VMX_AR_S | VMX_AR_DPL(3) | VMX_AR_P, 0xF3);
	assert_int_equal(VMX_AR_TYPE(11) | VMX_AR_S | VMX_AR_P | VMX_AR_L | VMX_AR_G, 0xA09B);
	assert_int_equal(VMX_AR_DB | VMX_AR_G, 0xC000);
	assert_int_equal(VMX_AR_UNUSABLE, 0x10000);
	assert_int_equal(VMX_AR_DPL_OF(0xF3u), 3);
	assert_int_equal(VMX_AR_TYPE_OF(0xF3u), 3);
	assert_int_equal(INTR_INFO_VALID | INTR_INFO_MAKE_TYPE(INTR_TYPE_HW_EXCEPTION) |
			 INTR_INFO_DELIVER_ERROR_CODE | 13, 0x80000B0D);
	assert_int_equal(INTR_INFO_TYPE(0x80000202u), INTR_TYPE_NMI);
	assert_int_equal(INTR_INFO_VECTOR(0x80000B0Du), 13);
	assert_int_equal(INTR_INFO_MAKE_TYPE(INTR_TYPE_SW_INT), 0x400);
	assert_int_equal(INTR_TYPE_EXT_INTR, 0);
	assert_int_equal(INTR_TYPE_OTHER_EVENT, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_error_number_distinct),
		cmocka_unit_test(test_error_words),
		cmocka_unit_test(test_unknown_errors),
		cmocka_unit_test(test_exit_reason_names),
		cmocka_unit_test(test_exit_reason_numbers),
		cmocka_unit_test(test_field_encodings),
		cmocka_unit_test(test_format_macros),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
