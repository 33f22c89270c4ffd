/* VMX control and fixed-bit adjustment from the capability MSRs, SDM
 * vol. 3C appendix A. */
#include "controls.h"
#include "vmcs.h"
#include "../hv/cpuid.h"

int vmx_adjust_controls(u64 cap_msr, u32 want, u32 optional, u32 *out, u32 *missing)
{
	u32 must1 = (u32)cap_msr;		/* A.3.1: allowed 0-settings */
	u32 may1 = (u32)(cap_msr >> 32);	/* A.3.1: allowed 1-settings */
	/* VM entry fails if a control is 0 where bits 31:0 say 1, or 1 where
	 * bits 63:32 say 0. A wanted bit, or a bit the MSR demands and also
	 * forbids, leaves no value that works. */
	u32 lacking = (want | must1) & ~may1;

	*out = (want | (optional & may1) | must1) & may1;
	if (missing)
		*missing = lacking;
	return lacking ? -1 : 0;
}

u64 vmx_fixed_bits(u64 value, u64 fixed0, u64 fixed1)
{
	/* A.7: a bit that is 1 in FIXED0 is fixed to 1; a bit that is 0 in
	 * FIXED1 is fixed to 0. A bit 1 in FIXED0 is also 1 in FIXED1. */
	return (value | fixed0) & fixed1;
}

bool vmx_basic_true_ctls(u64 basic)
{
	return (basic & VMX_BASIC_TRUE_CTLS) != 0;
}

u32 vmx_ctl_msr(u64 basic, u32 plain_msr)
{
	if (!vmx_basic_true_ctls(basic))
		return plain_msr;
	switch (plain_msr) {
	case MSR_IA32_VMX_PINBASED_CTLS:
		return MSR_IA32_VMX_TRUE_PINBASED_CTLS;
	case MSR_IA32_VMX_PROCBASED_CTLS:
		return MSR_IA32_VMX_TRUE_PROCBASED_CTLS;
	case MSR_IA32_VMX_EXIT_CTLS:
		return MSR_IA32_VMX_TRUE_EXIT_CTLS;
	case MSR_IA32_VMX_ENTRY_CTLS:
		return MSR_IA32_VMX_TRUE_ENTRY_CTLS;
	default:
		/* The secondary and tertiary controls have no TRUE_ MSR. */
		return plain_msr;
	}
}

u32 vmx_cpuid_controls(u32 proc2)
{
	u32 ctls = 0;

	if (proc2 & PROC_BASED2_ENABLE_RDTSCP)
		ctls |= CPUID_CTL_RDTSCP;
	if (proc2 & PROC_BASED2_ENABLE_INVPCID)
		ctls |= CPUID_CTL_INVPCID;
	if (proc2 & PROC_BASED2_ENABLE_XSAVES)
		ctls |= CPUID_CTL_XSAVES;
	if (proc2 & PROC_BASED2_ENABLE_USER_WAIT_PAUSE)
		ctls |= CPUID_CTL_USER_WAIT;
	return ctls;
}
