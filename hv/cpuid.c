/* The CPUID answers a guest sees. Every guest CPUID exits to Keel (VMX
 * always, SVM through the CPUID intercept); the handler runs the real
 * instruction and passes the result through cpuid_filter(). */
#include "cpuid.h"

u32 cpuid_controls;

#define F(leaf, sub, reg, bit, needs, name, why) { leaf, sub, reg, bit, needs, name, why }
#define ANY CPUID_ANY_SUBLEAF

/* Every feature bit Keel hides, and every bit that works only under a
 * control: shown when the backend provides all it needs, hidden
 * otherwise. A bit not listed works in the guest on both vendors as it
 * does on the bare CPU (tests/unit/test_cpuid.c walks this table). */
const struct cpuid_feature cpuid_features[] = {
	F(1, ANY, CPUID_ECX, 2, CPUID_CTL_NEVER, "DTES64",
	  "64-bit DS area: Keel refuses IA32_DS_AREA (PEBS/BTS records would be written while Keel runs)"),
	F(1, ANY, CPUID_ECX, 4, CPUID_CTL_NEVER, "DS-CPL", "the DS area, as DTES64"),
	F(1, ANY, CPUID_ECX, 5, CPUID_CTL_NEVER, "VMX", "Keel offers no nested VT-x"),
	F(1, ANY, CPUID_ECX, 6, CPUID_CTL_NEVER, "SMX",
	  "GETSEC exits unconditionally in VMX non-root operation (SDM 26.1.2); no SMX for guests"),
	F(1, ANY, CPUID_EDX, 21, CPUID_CTL_NEVER, "DS", "debug store, as DTES64"),
	F(7, 0, CPUID_EBX, 2, CPUID_CTL_NEVER, "SGX",
	  "IA32_FEATURE_CONTROL reads with SGX off (hv/msr.c); EPC pages are not mapped for guests"),
	F(7, 0, CPUID_EBX, 10, CPUID_CTL_INVPCID, "INVPCID",
	  "#UD in VMX non-root unless \"enable INVPCID\" (SDM vol. 2 INVPCID, 26.3)"),
	F(7, 0, CPUID_EBX, 25, CPUID_CTL_NEVER, "Intel PT",
	  "trace output goes to physical addresses past the EPT; Keel refuses the RTIT MSRs"),
	F(7, 0, CPUID_ECX, 5, CPUID_CTL_USER_WAIT, "WAITPKG",
	  "TPAUSE, UMONITOR, UMWAIT are #UD unless \"enable user wait and pause\" (SDM 26.3)"),
	F(7, 0, CPUID_ECX, 22, CPUID_CTL_RDTSCP, "RDPID",
	  "#UD in VMX non-root unless \"enable RDTSCP\" (SDM vol. 2 RDPID)"),
	F(7, 0, CPUID_ECX, 30, CPUID_CTL_NEVER, "SGX_LC", "SGX launch control, as SGX"),
	F(7, 0, CPUID_EDX, 5, CPUID_CTL_NEVER, "UINTR",
	  "user interrupts need the UINV load and clear controls Keel does not set"),
	F(7, 0, CPUID_EDX, 18, CPUID_CTL_NEVER, "PCONFIG",
	  "#UD unless \"enable PCONFIG\"; it programs platform memory-encryption keys, Keel's too"),
	F(7, 1, CPUID_EAX, 17, CPUID_CTL_NEVER, "FRED",
	  "FRED event delivery needs VMCS FRED state; Keel injects events through the IDT"),
	F(0xD, 1, CPUID_EAX, 3, CPUID_CTL_XSAVES, "XSAVES/XRSTORS",
	  "#UD in VMX non-root unless \"enable XSAVES/XRSTORS\" (SDM vol. 2 XSAVES)"),
	F(0xD, 1, CPUID_ECX, 8, CPUID_CTL_NEVER, "IA32_XSS.PT",
	  "XRSTORS of PT state would load the RTIT MSRs (SDM vol. 1 13.5.6)"),
	F(0x80000001, ANY, CPUID_ECX, 2, CPUID_CTL_NEVER, "SVM", "no nested AMD-V (APM vol. 3 E.4.2)"),
	F(0x80000001, ANY, CPUID_ECX, 12, CPUID_CTL_NEVER, "SKINIT",
	  "Keel intercepts SKINIT and raises #UD (APM 15.27)"),
	F(0x80000001, ANY, CPUID_EDX, 27, CPUID_CTL_RDTSCP, "RDTSCP",
	  "#UD in VMX non-root unless \"enable RDTSCP\" (SDM vol. 2 RDTSCP)"),
};
const unsigned cpuid_feature_count = ARRAY_SIZE(cpuid_features);

/* Clears the bits of leaf/subleaf whose controls are missing. Out of
 * line: only four leaves have entries, and the rest of a CPUID exit stays
 * short (docs/performance.md). */
static void __attribute__((noinline)) apply_features(u32 leaf, u32 subleaf, u32 ctls,
						       struct cpuid_regs *r)
{
	u32 *regs[4] = { &r->eax, &r->ebx, &r->ecx, &r->edx };

	for (unsigned i = 0; i < cpuid_feature_count; i++) {
		const struct cpuid_feature *f = &cpuid_features[i];

		if (f->leaf != leaf || (f->subleaf != ANY && f->subleaf != subleaf))
			continue;
		if ((f->needs & ctls) != f->needs)
			*regs[f->reg] &= ~(1u << f->bit);
	}
}

/* A bit the SDM defines as a copy of a CR4 bit reads as the guest's CR4,
 * not as Keel's, which ran the instruction (SDM vol. 2A CPUID: OSXSAVE
 * "reflects CR4.OSXSAVE", OSPKE "reflects CR4.PKE"); only where the
 * feature itself is there. */
static void copy_cr4(u32 *reg, u32 feature, u32 copy, bool set)
{
	*reg &= ~copy;
	if ((*reg & feature) && set)
		*reg |= copy;
}

#define CR4_PKE (1ull << 22)
#define CR4_OSXSAVE (1ull << 18)
/* Leaves whose whole answer describes a feature Keel hides. */
#define CPUID_LEAF_SGX 0x12u
#define CPUID_LEAF_PT 0x14u
#define XSAVE_COMPONENT_PT 8u

void cpuid_filter(u32 leaf, u32 subleaf, const struct cpuid_ctx *ctx, struct cpuid_regs *r)
{
	u32 *eax = &r->eax, *ebx = &r->ebx, *ecx = &r->ecx, *edx = &r->edx;

	switch (leaf) {
	case CPUID_LEAF_EXT_FEATURES:
		apply_features(leaf, subleaf, ctx->ctls, r);
		return;
	case CPUID_LEAF_FEATURES:
		apply_features(leaf, subleaf, ctx->ctls, r);
		/* Keel says a hypervisor is present (bit 31, reserved for that). */
		*ecx |= CPUID_1_ECX_HYPERVISOR;
		copy_cr4(ecx, CPUID_1_ECX_XSAVE, CPUID_1_ECX_OSXSAVE, ctx->cr4 & CR4_OSXSAVE);
		return;
	case 7:
		apply_features(leaf, subleaf, ctx->ctls, r);
		if (subleaf == 0)
			copy_cr4(ecx, CPUID_7_ECX_PKU, CPUID_7_ECX_OSPKE, ctx->cr4 & CR4_PKE);
		return;
	case CPUID_LEAF_SGX:
	case CPUID_LEAF_PT:
		*eax = *ebx = *ecx = *edx = 0;
		return;
	case CPUID_LEAF_EXT_STATE:
		apply_features(leaf, subleaf, ctx->ctls, r);
		if (subleaf == XSAVE_COMPONENT_PT)
			*eax = *ebx = *ecx = *edx = 0;
		return;
	case CPUID_LEAF_SVM:
		/* With SVM hidden its feature leaf must say nothing. */
		*eax = *ebx = *ecx = *edx = 0;
		return;
	case CPUID_LEAF_HV_BASE:
		/* EAX: the highest hypervisor leaf; EBX:ECX:EDX: the vendor. */
		*eax = KEEL_CPUID_MAX_LEAF;
		*ebx = *ecx = *edx = KEEL_CPUID_SIGNATURE;
		return;
	case CPUID_LEAF_KEEL_VERSION:
		*eax = KEEL_CPUID_VERSION;
		*ebx = *ecx = *edx = 0;
		return;
	}
	/* The rest of the hypervisor range is Keel's and empty: the host's
	 * values there (e.g. an outer hypervisor's) must not leak through. */
	if (leaf > CPUID_LEAF_KEEL_VERSION && leaf <= CPUID_LEAF_HV_LAST)
		*eax = *ebx = *ecx = *edx = 0;
}

#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define XCR0_MPX (3ull << 3)       /* BNDREGS, BNDCSR */
#define XCR0_AVX512 (7ull << 5)    /* opmask, ZMM_Hi256, Hi16_ZMM */
#define XCR0_AMX (3ull << 17)      /* XTILECFG, XTILEDATA */

/* SDM vol. 1 13.3 ("Enabling the XSAVE Feature Set and XSAVE-Enabled
 * Features"), the rules XSETBV checks: x87 always; nothing CPUID does not
 * report; AVX needs SSE; the two MPX bits together; AVX-512's three
 * together and with SSE and AVX; the two AMX bits together. */
bool xcr0_valid(u64 val, u64 supported)
{
	if (!(val & XCR0_X87) || (val & ~supported))
		return false;
	if ((val & XCR0_AVX) && !(val & XCR0_SSE))
		return false;
	if ((val & XCR0_MPX) && (val & XCR0_MPX) != XCR0_MPX)
		return false;
	if ((val & XCR0_AVX512) &&
	    ((val & XCR0_AVX512) != XCR0_AVX512 || (val & (XCR0_SSE | XCR0_AVX)) != (XCR0_SSE | XCR0_AVX)))
		return false;
	if ((val & XCR0_AMX) && (val & XCR0_AMX) != XCR0_AMX)
		return false;
	return true;
}
