/* Choosing VMX control values and CR0/CR4 values that the CPU accepts,
 * from the VMX capability MSRs (SDM vol. 3C appendix A). Pure functions on
 * MSR values, so that hosts can test them; vmx/vmx.c reads the MSRs. */
#ifndef KEEL_VMX_CONTROLS_H
#define KEEL_VMX_CONTROLS_H

#include "../lib/types.h"

/*
 * A.3-A.5: in a control capability MSR, bits 31:0 are the allowed
 * 0-settings (a 1 there means the control must be 1) and bits 63:32 the
 * allowed 1-settings (a 0 there means the control must be 0).
 *
 * *out = (want | the optional bits the CPU allows | the must-be-one bits),
 * restricted to the bits that may be 1. Returns 0, or -1 when a wanted bit
 * cannot be 1 (or the MSR asks for a bit to be both 1 and 0): *missing
 * then holds those bits and *out the best value without them. missing may
 * be NULL.
 */
int vmx_adjust_controls(u64 cap_msr, u32 want, u32 optional, u32 *out, u32 *missing);

/* May every bit of bits be 1, by this capability MSR? Used to test a
 * feature before asking for it (e.g. "activate secondary controls"). */
static inline bool vmx_ctl_allowed1(u64 cap_msr, u32 bits)
{
	return ((u32)(cap_msr >> 32) & bits) == bits;
}

/* A.7, A.8: a CR0 or CR4 value with the bits IA32_VMX_CRn_FIXED0 fixes to 1
 * set and the bits IA32_VMX_CRn_FIXED1 fixes to 0 cleared. For an
 * unrestricted guest the caller drops CR0.PE and CR0.PG from fixed0 first
 * (27.3.1.1). */
u64 vmx_fixed_bits(u64 value, u64 fixed0, u64 fixed1);

/* A.1: IA32_VMX_BASIC bit 55; the IA32_VMX_TRUE_*_CTLS MSRs exist and
 * report the controls of the default-1 class that may be 0. */
bool vmx_basic_true_ctls(u64 basic);

/* The MSR to read for a control (A.3.1, A.3.2, A.4, A.5): for the pin-based,
 * primary processor-based, VM-exit and VM-entry controls, its TRUE_ MSR if
 * IA32_VMX_BASIC bit 55 is set; any other MSR index is returned as is. */
u32 vmx_ctl_msr(u64 basic, u32 plain_msr);

/* The CPUID_CTL_* (hv/cpuid.h) that these secondary processor-based
 * controls provide: the features that are #UD without them. */
u32 vmx_cpuid_controls(u32 proc2);

#endif
