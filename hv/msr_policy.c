/* The MSR policy table and the value checks behind it: pure logic, built
 * into Keel and into the host unit tests (tests/unit/test_msr.c). Why
 * each entry is what it is: docs/security.md "MSRs". */
#include "msr.h"
#include "x86.h"

#define P(first, last, vendors, rd, wr, h, mask, name) \
	{ first, last, vendors, rd, wr, h, mask, name }

const struct msr_policy msr_policies[] = {
	P(MSR_IA32_APIC_BASE, MSR_IA32_APIC_BASE, MSR_VENDOR_BOTH, MSR_HANDLER, MSR_HANDLER,
	  MSRH_APIC_BASE, 0, "IA32_APIC_BASE"),
	P(MSR_IA32_FEATURE_CONTROL, MSR_IA32_FEATURE_CONTROL, MSR_VENDOR_INTEL, MSR_HANDLER,
	  MSR_REFUSE, MSRH_FEATURE_CONTROL, 0, "IA32_FEATURE_CONTROL"),
	/* A microcode update lands on the CPU Keel runs on, for every guest after. */
	P(MSR_IA32_BIOS_UPDT_TRIG, MSR_IA32_BIOS_UPDT_TRIG, MSR_VENDOR_BOTH, MSR_PASS,
	  MSR_REFUSE, MSRH_NONE, 0, "IA32_BIOS_UPDT_TRIG"),
	P(MSR_IA32_BIOS_SIGN_ID, MSR_IA32_BIOS_SIGN_ID, MSR_VENDOR_BOTH, MSR_PASS, MSR_PASS,
	  MSRH_NONE, 0, "IA32_BIOS_SIGN_ID"),
	P(MSR_IA32_MTRRCAP, MSR_IA32_MTRRCAP, MSR_VENDOR_BOTH, MSR_PASS, MSR_PASS, MSRH_NONE, 0,
	  "IA32_MTRRCAP"),
	P(MSR_IA32_MCG_CAP, MSR_IA32_MCG_STATUS, MSR_VENDOR_BOTH, MSR_PASS, MSR_PASS, MSRH_NONE,
	  0, "IA32_MCG_CAP, IA32_MCG_STATUS"),
	/* VT-x saves and loads it with the debug controls; AMD has no BTS. */
	P(MSR_IA32_DEBUGCTL, MSR_IA32_DEBUGCTL, MSR_VENDOR_BOTH, MSR_PASS, MSR_PASS, MSRH_NONE, 0,
	  "IA32_DEBUGCTL"),
	/* The MTRRs set the memory type of Keel's own region too. */
	P(MSR_IA32_MTRR_PHYSBASE0, MSR_IA32_MTRR_PHYSBASE0 + 2 * MTRR_VAR_MAX - 1,
	  MSR_VENDOR_BOTH, MSR_HANDLER, MSR_HANDLER, MSRH_MTRR, 0,
	  "IA32_MTRR_PHYSBASEn, IA32_MTRR_PHYSMASKn"),
	P(MSR_IA32_MTRR_FIX64K_00000, MSR_IA32_MTRR_FIX64K_00000, MSR_VENDOR_BOTH, MSR_HANDLER,
	  MSR_HANDLER, MSRH_MTRR, 0, "IA32_MTRR_FIX64K_00000"),
	P(MSR_IA32_MTRR_FIX16K_80000, MSR_IA32_MTRR_FIX16K_A0000, MSR_VENDOR_BOTH, MSR_HANDLER,
	  MSR_HANDLER, MSRH_MTRR, 0, "IA32_MTRR_FIX16K_*"),
	P(MSR_IA32_MTRR_FIX4K_C0000, MSR_IA32_MTRR_FIX4K_F8000, MSR_VENDOR_BOTH, MSR_HANDLER,
	  MSR_HANDLER, MSRH_MTRR, 0, "IA32_MTRR_FIX4K_*"),
	P(MSR_IA32_MTRR_DEF_TYPE, MSR_IA32_MTRR_DEF_TYPE, MSR_VENDOR_BOTH, MSR_HANDLER,
	  MSR_HANDLER, MSRH_MTRR, 0, "IA32_MTRR_DEF_TYPE"),
	/* PEBS records go to the DS area at a linear address, also while Keel
	 * runs with the guest's counters still counting. */
	P(MSR_IA32_PEBS_ENABLE, MSR_IA32_PEBS_ENABLE, MSR_VENDOR_BOTH, MSR_REFUSE, MSR_REFUSE,
	  MSRH_NONE, 0, "IA32_PEBS_ENABLE"),
	/* The machine-check banks are the guest's: Keel logs a #MC and hands it on. */
	P(MSR_IA32_MC0_CTL, MSR_IA32_MC0_CTL + 4 * 32 - 1, MSR_VENDOR_BOTH, MSR_PASS, MSR_PASS,
	  MSRH_NONE, 0, "IA32_MCi_CTL/STATUS/ADDR/MISC"),
	P(0x480, 0x492, MSR_VENDOR_BOTH, MSR_REFUSE, MSR_REFUSE, MSRH_NONE, 0,
	  "IA32_VMX_* capability MSRs"),
	/* Intel PT writes its trace to physical addresses, past the EPT. */
	P(MSR_IA32_RTIT_OUTPUT_BASE, MSR_IA32_RTIT_OUTPUT_MASK_PTRS, MSR_VENDOR_BOTH, MSR_REFUSE,
	  MSR_REFUSE, MSRH_NONE, 0, "IA32_RTIT_OUTPUT_*"),
	P(MSR_IA32_RTIT_CTL, MSR_IA32_RTIT_CR3_MATCH, MSR_VENDOR_BOTH, MSR_REFUSE, MSR_REFUSE,
	  MSRH_NONE, 0, "IA32_RTIT_CTL, _STATUS, _CR3_MATCH"),
	P(MSR_IA32_RTIT_ADDR0_A, MSR_IA32_RTIT_ADDR3_B, MSR_VENDOR_BOTH, MSR_REFUSE, MSR_REFUSE,
	  MSRH_NONE, 0, "IA32_RTIT_ADDRn_A/B"),
	P(MSR_IA32_DS_AREA, MSR_IA32_DS_AREA, MSR_VENDOR_BOTH, MSR_REFUSE, MSR_REFUSE, MSRH_NONE,
	  0, "IA32_DS_AREA"),
	P(MSR_X2APIC_LVT_CMCI, MSR_X2APIC_LVT_CMCI, MSR_VENDOR_BOTH, MSR_HANDLER, MSR_HANDLER,
	  MSRH_X2APIC, 0, "x2APIC LVT CMCI"),
	P(MSR_X2APIC_ICR, MSR_X2APIC_ICR, MSR_VENDOR_BOTH, MSR_HANDLER, MSR_HANDLER, MSRH_X2APIC,
	  0, "x2APIC ICR"),
	P(MSR_X2APIC_LVT_PERF, MSR_X2APIC_LVT_PERF, MSR_VENDOR_BOTH, MSR_HANDLER, MSR_HANDLER,
	  MSRH_X2APIC, 0, "x2APIC LVT performance counter"),
	P(MSR_X2APIC_LVT_LINT0, MSR_X2APIC_LVT_LINT1, MSR_VENDOR_BOTH, MSR_HANDLER, MSR_HANDLER,
	  MSRH_X2APIC, 0, "x2APIC LVT LINT0, LINT1"),
	P(MSR_IA32_XSS, MSR_IA32_XSS, MSR_VENDOR_BOTH, MSR_PASS, MSR_HANDLER, MSRH_XSS, 0,
	  "IA32_XSS"),
	/* An outer hypervisor's paravirtual MSRs (nested KVM): its clock and
	 * steal-time pages would be written at addresses the guest chose. */
	P(MSR_HV_FIRST, MSR_HV_LAST, MSR_VENDOR_BOTH, MSR_REFUSE, MSR_REFUSE, MSRH_NONE, 0,
	  "hypervisor MSRs 40000000h-400000FFh"),
	P(MSR_KVM_FIRST, MSR_KVM_LAST, MSR_VENDOR_BOTH, MSR_REFUSE, MSR_REFUSE, MSRH_NONE, 0,
	  "KVM paravirtual MSRs"),
	P(MSR_EFER, MSR_EFER, MSR_VENDOR_AMD, MSR_HANDLER, MSR_HANDLER, MSRH_EFER, 0, "EFER"),
	/* Outside the MSRPM's ranges, so every access exits: Linux on Zen
	 * reads them for every bank and panics on a #GP. */
	P(MSR_AMD_SMCA_FIRST, MSR_AMD_SMCA_LAST, MSR_VENDOR_AMD, MSR_NATIVE, MSR_NATIVE, MSRH_NONE,
	  0, "SMCA MCA_* bank MSRs"),
	P(MSR_AMD_SYSCFG, MSR_AMD_SYSCFG, MSR_VENDOR_AMD, MSR_PASS, MSR_FILTER, MSRH_NONE,
	  SYSCFG_MTRR_FIX_DRAM_MOD_EN, "SYSCFG"),
	P(MSR_AMD_HWCR, MSR_AMD_HWCR, MSR_VENDOR_AMD, MSR_PASS, MSR_FILTER, MSRH_NONE,
	  HWCR_MC_STATUS_WR_EN | HWCR_CPB_DIS | HWCR_IR_PERF_EN, "HWCR"),
	/* These route physical addresses to DRAM or to I/O: Keel's region too. */
	P(MSR_AMD_IORR_BASE0, MSR_AMD_IORR_MASK1, MSR_VENDOR_AMD, MSR_PASS, MSR_REFUSE, MSRH_NONE,
	  0, "IORR_BASE0-1, IORR_MASK0-1"),
	P(MSR_AMD_TOP_MEM, MSR_AMD_TOP_MEM, MSR_VENDOR_AMD, MSR_PASS, MSR_REFUSE, MSRH_NONE, 0,
	  "TOP_MEM"),
	P(MSR_AMD_TOM2, MSR_AMD_TOM2, MSR_VENDOR_AMD, MSR_PASS, MSR_REFUSE, MSRH_NONE, 0, "TOM2"),
	P(MSR_AMD_PATCH_LOADER, MSR_AMD_PATCH_LOADER, MSR_VENDOR_AMD, MSR_REFUSE, MSR_REFUSE,
	  MSRH_NONE, 0, "PATCH_LOADER"),
	P(MSR_AMD_MMIO_CFG_BASE, MSR_AMD_MMIO_CFG_BASE, MSR_VENDOR_AMD, MSR_PASS, MSR_REFUSE,
	  MSRH_NONE, 0, "MMIO_CFG_BASE"),
	P(MSR_VM_CR, MSR_VM_CR, MSR_VENDOR_BOTH, MSR_REFUSE, MSR_REFUSE, MSRH_NONE, 0, "VM_CR"),
	P(MSR_VM_HSAVE_PA, MSR_VM_HSAVE_PA, MSR_VENDOR_BOTH, MSR_REFUSE, MSR_REFUSE, MSRH_NONE, 0,
	  "VM_HSAVE_PA"),
};
const unsigned msr_policy_count = ARRAY_SIZE(msr_policies);

const struct msr_policy *msr_policy_find(u32 msr, u8 vendor)
{
	for (unsigned i = 0; i < msr_policy_count; i++) {
		const struct msr_policy *p = &msr_policies[i];

		if (msr >= p->first && msr <= p->last && (p->vendors & vendor))
			return p;
	}
	return NULL;
}

/* The ranges the permission maps cover (SDM 25.6.9; APM 15.11); an access
 * to any other MSR always exits. */
static bool in_maps(u32 msr, u8 vendor)
{
	return msr < 0x2000 || msr - 0xC0000000u < 0x2000 ||
	       (vendor == MSR_VENDOR_AMD && msr - 0xC0010000u < 0x2000);
}

enum msr_action msr_action(u32 msr, u8 vendor, bool write)
{
	const struct msr_policy *p = msr_policy_find(msr, vendor);

	if (p)
		return write ? p->write : p->read;
	return in_maps(msr, vendor) ? MSR_PASS : MSR_REFUSE;
}

bool efer_write_ok(u64 cur, u64 val, u64 cr0, u64 allowed, u64 *out)
{
	/* LMA is the CPU's: a write leaves it as it is (APM 3.1.7). */
	val = (val & ~EFER_LMA) | (cur & EFER_LMA);
	if (val & ~(allowed | EFER_LMA))
		return false;
	/* APM 3.1.7, SDM WRMSR: changing LME while paging is on is #GP. */
	if ((cr0 & CR0_PG) && ((val ^ cur) & EFER_LME))
		return false;
	*out = val;
	return true;
}

/* SDM 12.11.1 table 12-8: UC, WC, WT, WP, WB; 2, 3 and 7-FFh are reserved. */
#define MTRR_CAP_VCNT(c) ((unsigned)((c) & 0xFF))
#define MTRR_CAP_FIX (1ull << 8)
#define MTRR_CAP_WC (1ull << 10)
#define MTRR_TYPE_WC 1

static bool mtrr_type_ok(u64 t, u64 cap)
{
	return t == 0 || t == 4 || t == 5 || t == 6 || (t == MTRR_TYPE_WC && (cap & MTRR_CAP_WC));
}

int mtrr_fixed_index(u32 msr)
{
	if (msr == MSR_IA32_MTRR_FIX64K_00000)
		return 0;
	if (msr == MSR_IA32_MTRR_FIX16K_80000 || msr == MSR_IA32_MTRR_FIX16K_A0000)
		return 1 + (int)(msr - MSR_IA32_MTRR_FIX16K_80000);
	if (msr >= MSR_IA32_MTRR_FIX4K_C0000 && msr <= MSR_IA32_MTRR_FIX4K_F8000)
		return 3 + (int)(msr - MSR_IA32_MTRR_FIX4K_C0000);
	return -1;
}

int mtrr_var_index(u32 msr, u64 cap)
{
	unsigned n = MTRR_CAP_VCNT(cap) < MTRR_VAR_MAX ? MTRR_CAP_VCNT(cap) : MTRR_VAR_MAX;

	if (msr < MSR_IA32_MTRR_PHYSBASE0 || msr - MSR_IA32_MTRR_PHYSBASE0 >= 2 * n)
		return -1;
	return (int)(msr - MSR_IA32_MTRR_PHYSBASE0);
}

bool mtrr_write_ok(u32 msr, u64 val, u64 cap, u8 phys_bits)
{
	u64 above = phys_bits >= 64 ? 0 : ~0ull << phys_bits;
	int var = mtrr_var_index(msr, cap);

	if (msr == MSR_IA32_MTRR_DEF_TYPE)	/* type 2:0, FE 10, E 11 */
		return !(val & ~0xC07ull) && mtrr_type_ok(val & 7, cap);
	if (mtrr_fixed_index(msr) >= 0) {	/* eight type bytes */
		if (!(cap & MTRR_CAP_FIX))
			return false;
		for (int i = 0; i < 8; i++)
			if (!mtrr_type_ok((val >> (8 * i)) & 0xFF, cap))
				return false;
		return true;
	}
	if (var < 0)
		return false;
	if (var % 2 == 0)			/* PHYSBASE: type 7:0, 11:8 reserved */
		return !(val & (above | 0xF00)) && mtrr_type_ok(val & 0xFF, cap);
	return !(val & (above | 0x7FF));	/* PHYSMASK: valid bit 11 */
}
