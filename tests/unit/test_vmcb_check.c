/* Unit tests for svm/vmcb_check.c (AMD APM vol. 2 15.5.1). Two known-good
 * VMCBs (a real-mode guest at reset, paging off; a long-mode guest) pass.
 * Then every rule is broken on its own, on each base where that makes
 * sense, and the exact words of that rule must come back; edge values
 * either side of each limit pass or fail as the APM says; and a VMCB
 * breaking two rules reports the one earlier in the APM's list. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../svm/vmcb.h"
#include "../../hv/x86.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct vmcb vmcb;
static struct svm_cpu_caps caps;

enum base { REAL, LONG };

/* Real-mode guest at reset (APM 14.1.3): CR0 = 60000010h (CD, NW, ET),
 * paging off, CS = F000h, DR6/DR7 at their reset values. */
static void make_real(void)
{
	memset(&vmcb, 0, sizeof(vmcb));
	vmcb.save.efer = EFER_SVME;
	vmcb.save.cr0 = CR0_CD | CR0_NW | CR0_ET;
	vmcb.save.cr3 = 0;
	vmcb.save.cr4 = 0;
	vmcb.save.dr6 = 0xFFFF0FF0;
	vmcb.save.dr7 = 0x400;
	vmcb.save.rflags = X86_RFLAGS_FIXED;
	vmcb.save.rip = 0xFFF0;
	vmcb.save.cs.selector = 0xF000;
	vmcb.save.cs.base = 0xF0000;
	vmcb.save.cs.limit = 0xFFFF;
	vmcb.save.cs.attrib = SVM_SEG_TYPE(0xB) | SVM_SEG_S | SVM_SEG_P;
	vmcb.control.intercept_misc1 = SVM_INTERCEPT_CPUID | SVM_INTERCEPT_HLT |
				       SVM_INTERCEPT_IOIO_PROT | SVM_INTERCEPT_MSR_PROT |
				       SVM_INTERCEPT_SHUTDOWN;
	vmcb.control.intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL;
	vmcb.control.iopm_base_pa = 0x00200000;
	vmcb.control.msrpm_base_pa = 0x00204000;
	vmcb.control.guest_asid = 1;
	vmcb.control.np_enable = SVM_NP_ENABLE;
	vmcb.control.n_cr3 = 0x00300000;
	caps.phys_addr_bits = 48;
	caps.has_npt = true;
}

/* Long-mode guest: PE, PG, PAE, LME/LMA, a 64-bit code segment (L = 1,
 * D = 0), NX and SYSCALL on, an injected #PF pending. */
static void make_long(void)
{
	make_real();
	vmcb.save.efer = EFER_SVME | EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE;
	vmcb.save.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
	vmcb.save.cr3 = 0x0000FFFFFFFFF000ull; /* the highest 48-bit page */
	vmcb.save.cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	vmcb.save.rip = 0xFFFFFFFF80001000ull;
	vmcb.save.cs.selector = 0x08;
	vmcb.save.cs.base = 0;
	vmcb.save.cs.limit = 0xFFFFFFFF;
	vmcb.save.cs.attrib = SVM_SEG_TYPE(0xB) | SVM_SEG_S | SVM_SEG_P | SVM_SEG_L | SVM_SEG_G;
	vmcb.control.eventinj = SVM_EVTINJ_VALID | SVM_EVTINJ_EV |
				SVM_EVTINJ_TYPE_EXCEPTION | X86_EXC_PF | (2ull << 32);
}

static void make(enum base b)
{
	if (b == REAL)
		make_real();
	else
		make_long();
}

static const char *const base_name[] = { "real-mode", "long-mode" };

/* Fails with the expected and the seen rule unless they are the same
 * (both may be NULL: "accepted"). */
static void expect_at(const char *file, int line, const char *what, const char *want)
{
	const char *got = vmcb_check(&vmcb, &caps);

	if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0)) {
		print_error("%s:%d: %s: expected %s%s%s, saw %s%s%s\n", file, line, what,
			    want ? "\"" : "", want ? want : "NULL (accepted)", want ? "\"" : "",
			    got ? "\"" : "", got ? got : "NULL (accepted)", got ? "\"" : "");
		fail();
	}
}
#define expect(what, want) expect_at(__FILE__, __LINE__, what, want)

/* The rules, in the APM's order. */
#define R_SVME "EFER.SVME is zero"
#define R_CD_NW "CR0.CD is zero and CR0.NW is set"
#define R_CR0_HIGH "CR0[63:32] are not zero"
#define R_CR3 "CR3 has reserved bits set (MBZ beyond the physical address width)"
#define R_CR4 "CR4 has reserved bits set"
#define R_DR6 "DR6[63:32] are not zero"
#define R_DR7 "DR7[63:32] are not zero"
#define R_EFER "EFER has reserved bits set"
#define R_NO_PAE "EFER.LME and CR0.PG are set but CR4.PAE is zero"
#define R_NO_PE "EFER.LME and CR0.PG are set but CR0.PE is zero"
#define R_CS_LD "EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D are all set"
#define R_VMRUN "the VMRUN intercept is clear"
#define R_MAPS "the MSR or IOIO permission map lies beyond the physical address width"
#define R_EVENT "event injection uses an illegal vector or type"
#define R_ASID "the guest ASID is zero"
#define R_NO_NPT "nested paging is enabled but the CPU has no nested paging"
#define R_NCR3 "the nested CR3 has reserved bits set"

/* Each breaks exactly one rule and touches nothing another rule reads,
 * except where the rule itself is a combination. */
static void break_svme(void) { vmcb.save.efer &= ~EFER_SVME; }
static void break_cd_nw(void) { vmcb.save.cr0 = (vmcb.save.cr0 & ~CR0_CD) | CR0_NW; }
static void break_cr0_high(void) { vmcb.save.cr0 |= 1ull << 32; }
static void break_cr3(void) { vmcb.save.cr3 |= 1ull << 48; }
static void break_cr4(void) { vmcb.save.cr4 |= 1ull << 13; }
static void break_dr6(void) { vmcb.save.dr6 |= 1ull << 32; }
static void break_dr7(void) { vmcb.save.dr7 |= 1ull << 63; }
static void break_efer(void) { vmcb.save.efer |= 1ull << 1; }
static void set_lme_pg(void)
{
	vmcb.save.efer |= EFER_LME;
	vmcb.save.cr0 |= CR0_PG | CR0_PE;
	vmcb.save.cr0 &= ~(CR0_CD | CR0_NW);
}
static void break_no_pae(void) { set_lme_pg(); vmcb.save.cr4 &= ~CR4_PAE; }
static void break_no_pe(void) { set_lme_pg(); vmcb.save.cr4 |= CR4_PAE; vmcb.save.cr0 &= ~CR0_PE; }
static void break_cs_ld(void)
{
	set_lme_pg();
	vmcb.save.cr4 |= CR4_PAE;
	vmcb.save.cs.attrib |= SVM_SEG_L | SVM_SEG_DB;
}
static void break_vmrun(void) { vmcb.control.intercept_misc2 &= ~SVM_INTERCEPT_VMRUN; }
static void break_maps(void) { vmcb.control.msrpm_base_pa = 1ull << 48; }
static void break_event(void) { vmcb.control.eventinj = SVM_EVTINJ_VALID | (1u << 8); }
static void break_asid(void) { vmcb.control.guest_asid = 0; }
static void break_no_npt(void) { vmcb.control.np_enable = SVM_NP_ENABLE; caps.has_npt = false; }
static void break_ncr3(void) { vmcb.control.np_enable = SVM_NP_ENABLE; vmcb.control.n_cr3 |= 1ull << 50; }

static const struct rule {
	const char *words;
	void (*breaks)(void);
} rules[] = {
	{ R_SVME, break_svme },
	{ R_CD_NW, break_cd_nw },
	{ R_CR0_HIGH, break_cr0_high },
	{ R_CR3, break_cr3 },
	{ R_CR4, break_cr4 },
	{ R_DR6, break_dr6 },
	{ R_DR7, break_dr7 },
	{ R_EFER, break_efer },
	{ R_NO_PAE, break_no_pae },
	{ R_NO_PE, break_no_pe },
	{ R_CS_LD, break_cs_ld },
	{ R_VMRUN, break_vmrun },
	{ R_MAPS, break_maps },
	{ R_EVENT, break_event },
	{ R_ASID, break_asid },
	{ R_NO_NPT, break_no_npt },
	{ R_NCR3, break_ncr3 },
};

static void test_good_vmcbs_pass(void **state)
{
	(void)state;
	make_real();
	expect("real-mode guest", NULL);
	make_long();
	expect("long-mode guest", NULL);
	/* caps may be unknown (0 bits: the architectural 52 is assumed). */
	make_long();
	caps.phys_addr_bits = 0;
	expect("long-mode guest, width unknown", NULL);
	/* Nested paging off: its checks do not apply. */
	make_real();
	vmcb.control.np_enable = 0;
	vmcb.control.n_cr3 = ~0ull;
	caps.has_npt = false;
	expect("no nested paging, garbage nCR3", NULL);
}

/* Every rule alone, on both bases: exactly its words. */
static void test_each_rule_alone(void **state)
{
	char what[128];
	size_t i;
	int b;

	(void)state;
	for (i = 0; i < N(rules); i++) {
		for (b = REAL; b <= LONG; b++) {
			make((enum base)b);
			rules[i].breaks();
			snprintf(what, sizeof(what), "%s guest breaking \"%s\"",
				 base_name[b], rules[i].words);
			expect(what, rules[i].words);
		}
	}
}

/* Two rules broken: the earlier in the APM's list is reported. */
static void test_first_failure_wins(void **state)
{
	char what[256];
	size_t i, j;

	(void)state;
	for (i = 0; i < N(rules); i++) {
		for (j = i + 1; j < N(rules); j++) {
			make_long();
			rules[j].breaks();
			rules[i].breaks();
			snprintf(what, sizeof(what), "breaking \"%s\" and \"%s\"",
				 rules[i].words, rules[j].words);
			expect(what, rules[i].words);
		}
	}
}

static void test_cr0_cache_modes(void **state)
{
	(void)state;
	make_real();
	vmcb.save.cr0 = CR0_ET | CR0_NW;
	expect("NW without CD", R_CD_NW);
	vmcb.save.cr0 = CR0_ET | CR0_CD | CR0_NW;
	expect("CD and NW", NULL);
	vmcb.save.cr0 = CR0_ET | CR0_CD;
	expect("CD alone", NULL);
	vmcb.save.cr0 = CR0_ET;
	expect("neither", NULL);
	vmcb.save.cr0 = CR0_ET | (1ull << 63);
	expect("CR0 bit 63", R_CR0_HIGH);
	vmcb.save.cr0 = CR0_ET | CR0_PG | CR0_PE;
	expect("CR0 bit 31 is PG, not reserved", NULL);
}

static void test_cr3_width(void **state)
{
	(void)state;
	make_long();
	vmcb.save.cr3 = (1ull << 48) - 0x1000;
	expect("CR3 top page below 48 bits", NULL);
	vmcb.save.cr3 = 1ull << 47;
	expect("CR3 bit 47, width 48", NULL);
	vmcb.save.cr3 = 1ull << 63;
	expect("CR3 bit 63", R_CR3);
	vmcb.save.cr3 = 0x1000 | CR3_PCD | CR3_PWT;
	expect("CR3 PCD and PWT", NULL);
	caps.phys_addr_bits = 36;
	vmcb.save.cr3 = 1ull << 36;
	expect("CR3 bit 36, width 36", R_CR3);
	vmcb.save.cr3 = (1ull << 36) - 0x1000;
	expect("CR3 below 36 bits, width 36", NULL);
	caps.phys_addr_bits = 0;
	vmcb.save.cr3 = 1ull << 51;
	expect("CR3 bit 51, width unknown", NULL);
	vmcb.save.cr3 = 1ull << 52;
	expect("CR3 bit 52, width unknown", R_CR3);
	caps.phys_addr_bits = 60; /* nonsense: clamp to 52 */
	expect("CR3 bit 52, width 60", R_CR3);
}

static void test_cr4_bits(void **state)
{
	static const int reserved[] = { 13, 14, 15, 19, 24, 25, 31, 32, 63 };
	char what[64];
	size_t i;
	int bit;

	(void)state;
	for (i = 0; i < N(reserved); i++) {
		make_long();
		vmcb.save.cr4 |= 1ull << reserved[i];
		snprintf(what, sizeof(what), "CR4 bit %d", reserved[i]);
		expect(what, R_CR4);
	}
	for (bit = 0; bit < 24; bit++) {
		if (bit == 13 || bit == 14 || bit == 15 || bit == 19)
			continue;
		make_long();
		vmcb.save.cr4 |= 1ull << bit;
		snprintf(what, sizeof(what), "CR4 bit %d (defined)", bit);
		expect(what, NULL);
	}
}

static void test_debug_registers(void **state)
{
	(void)state;
	make_real();
	vmcb.save.dr6 = 0xFFFFFFFF;
	vmcb.save.dr7 = 0xFFFFFFFF;
	expect("DR6, DR7 low halves all set", NULL);
	vmcb.save.dr6 = 1ull << 63;
	expect("DR6 bit 63", R_DR6);
	vmcb.save.dr6 = 0;
	vmcb.save.dr7 = 1ull << 32;
	expect("DR7 bit 32", R_DR7);
}

static void test_efer_bits(void **state)
{
	static const int reserved[] = { 1, 2, 3, 4, 5, 6, 7, 9, 16, 19, 22, 32, 63 };
	static const u64 defined[] = {
		EFER_SCE, EFER_NXE, EFER_LMSLE, EFER_FFXSR, EFER_TCE,
		EFER_MCOMMIT, EFER_INTWB, EFER_UAIE, EFER_AIBRSE,
	};
	char what[64];
	size_t i;

	(void)state;
	for (i = 0; i < N(reserved); i++) {
		make_long();
		vmcb.save.efer |= 1ull << reserved[i];
		snprintf(what, sizeof(what), "EFER bit %d", reserved[i]);
		expect(what, R_EFER);
	}
	for (i = 0; i < N(defined); i++) {
		make_real();
		vmcb.save.efer |= defined[i];
		snprintf(what, sizeof(what), "EFER %#llx (defined)", (unsigned long long)defined[i]);
		expect(what, NULL);
	}
}

/* The long-mode rules apply only with LME and PG both set. */
static void test_long_mode_rules(void **state)
{
	(void)state;
	make_real();
	vmcb.save.efer |= EFER_LME;
	expect("LME without PG (before paging is turned on)", NULL);
	make_real();
	vmcb.save.cr0 = CR0_ET | CR0_PE | CR0_PG;
	expect("legacy paging without PAE", NULL);
	vmcb.save.cs.attrib |= SVM_SEG_L | SVM_SEG_DB;
	expect("CS.L and CS.D outside long mode", NULL);
	make_long();
	vmcb.save.cs.attrib |= SVM_SEG_DB;
	vmcb.save.cs.attrib &= ~SVM_SEG_L;
	expect("compatibility mode, 32-bit code segment", NULL);
	vmcb.save.cs.attrib |= SVM_SEG_L;
	expect("64-bit code segment with D", R_CS_LD);
	make_long();
	vmcb.save.cr0 &= ~CR0_PE;
	vmcb.save.cr4 &= ~CR4_PAE;
	expect("long mode with neither PAE nor PE", R_NO_PAE);
}

static void test_permission_maps(void **state)
{
	const u64 top = 1ull << 48;

	(void)state;
	make_long();
	vmcb.control.iopm_base_pa = top - SVM_IOPM_SIZE;
	vmcb.control.msrpm_base_pa = top - SVM_MSRPM_SIZE;
	expect("maps end at the last byte below 2^48", NULL);
	vmcb.control.iopm_base_pa = top - SVM_IOPM_SIZE + 0xFFF;
	expect("IOPM base bits 11:0 are ignored", NULL);
	vmcb.control.iopm_base_pa = top - SVM_IOPM_SIZE + 0x1000;
	expect("IOPM crosses 2^48", R_MAPS);
	vmcb.control.iopm_base_pa = 0;
	vmcb.control.msrpm_base_pa = top - 0x1000;
	expect("MSRPM crosses 2^48", R_MAPS);
	vmcb.control.msrpm_base_pa = 0xFFFFFFFFFFFFF000ull;
	expect("MSRPM at the top of the 64-bit space", R_MAPS);
	vmcb.control.msrpm_base_pa = 0;
	vmcb.control.iopm_base_pa = 1ull << 63;
	expect("IOPM base bit 63", R_MAPS);
	vmcb.control.iopm_base_pa = 0;
	expect("both maps at 0", NULL);
	caps.phys_addr_bits = 32;
	vmcb.save.cr3 = 0x1000;
	vmcb.control.msrpm_base_pa = 0xFFFFE000;
	vmcb.control.iopm_base_pa = 0xFFFFD000;
	expect("maps just below 4 GiB, width 32", NULL);
	vmcb.control.iopm_base_pa = 0xFFFFE000;
	expect("IOPM crosses 4 GiB, width 32", R_MAPS);
}

static void test_event_injection(void **state)
{
	static const struct {
		u64 eventinj;
		bool bad;
		const char *what;
	} cases[] = {
		{ 0, false, "nothing" },
		{ 7u << 8 | 0xFF, false, "garbage without V" },
		{ SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_INTR | 0x20, false, "INTR 20h" },
		{ SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_INTR | 0x02, false, "INTR vector 2" },
		{ SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_NMI | 0x02, false, "NMI" },
		{ SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_NMI | 0x00, false, "NMI, vector ignored (15.20)" },
		{ SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXCEPTION | 0, false, "#DE" },
		{ SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXCEPTION | 1, false, "#DB" },
		{ SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXCEPTION | 2, true, "exception vector 2" },
		{ SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXCEPTION | 3, false, "#BP" },
		{ SVM_EVTINJ_VALID | SVM_EVTINJ_EV | SVM_EVTINJ_TYPE_EXCEPTION | 13, false, "#GP(0)" },
		{ SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXCEPTION | 31, false, "exception vector 31" },
		{ SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXCEPTION | 32, true, "exception vector 32" },
		{ SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXCEPTION | 0xFF, true, "exception vector FFh" },
		{ SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_SOFT | 0x80, false, "INT 80h" },
		{ SVM_EVTINJ_VALID | 1u << 8 | 0x20, true, "TYPE 1" },
		{ SVM_EVTINJ_VALID | 5u << 8 | 0x20, true, "TYPE 5" },
		{ SVM_EVTINJ_VALID | 6u << 8 | 0x20, true, "TYPE 6" },
		{ SVM_EVTINJ_VALID | 7u << 8 | 0x20, true, "TYPE 7" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		make_long();
		vmcb.control.eventinj = cases[i].eventinj;
		expect(cases[i].what, cases[i].bad ? R_EVENT : NULL);
	}
}

static void test_nested_paging(void **state)
{
	(void)state;
	make_long();
	vmcb.control.n_cr3 = (1ull << 48) - 0x1000;
	expect("nCR3 top page below 48 bits", NULL);
	vmcb.control.n_cr3 = 1ull << 48;
	expect("nCR3 bit 48, width 48", R_NCR3);
	vmcb.control.n_cr3 = 1ull << 63;
	expect("nCR3 bit 63", R_NCR3);
	caps.has_npt = false;
	expect("no NPT and a bad nCR3", R_NO_NPT);
	vmcb.control.n_cr3 = 0x1000;
	vmcb.control.np_enable = 0;
	expect("no NPT, nested paging off", NULL);
	/* Bits above NP_ENABLE (SEV, ...) do not turn nested paging on. */
	caps.has_npt = false;
	vmcb.control.np_enable = 2;
	expect("np_enable bit 1 only", NULL);
	/* NULL caps: the CPU is not described, only the VMCB is checked. */
	make_long();
	assert_null(vmcb_check(&vmcb, NULL));
	vmcb.control.n_cr3 = 1ull << 52;
	assert_string_equal(vmcb_check(&vmcb, NULL), R_NCR3);
}

static void test_asid_and_vmrun(void **state)
{
	(void)state;
	make_real();
	vmcb.control.guest_asid = 0xFFFFFFFF;
	expect("ASID FFFFFFFFh", NULL);
	vmcb.control.guest_asid = 0;
	expect("ASID 0", R_ASID);
	make_real();
	vmcb.control.intercept_misc2 = ~SVM_INTERCEPT_VMRUN;
	expect("every intercept but VMRUN", R_VMRUN);
	vmcb.control.intercept_misc2 = SVM_INTERCEPT_VMRUN;
	expect("VMRUN intercept alone", NULL);
	/* The intercept lives in vector 4, not vector 3. */
	vmcb.control.intercept_misc2 = 0;
	vmcb.control.intercept_misc1 = ~0u;
	expect("VMRUN's bit in the wrong vector", R_VMRUN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_vmcbs_pass),
		cmocka_unit_test(test_each_rule_alone),
		cmocka_unit_test(test_first_failure_wins),
		cmocka_unit_test(test_cr0_cache_modes),
		cmocka_unit_test(test_cr3_width),
		cmocka_unit_test(test_cr4_bits),
		cmocka_unit_test(test_debug_registers),
		cmocka_unit_test(test_efer_bits),
		cmocka_unit_test(test_long_mode_rules),
		cmocka_unit_test(test_permission_maps),
		cmocka_unit_test(test_event_injection),
		cmocka_unit_test(test_nested_paging),
		cmocka_unit_test(test_asid_and_vmrun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
