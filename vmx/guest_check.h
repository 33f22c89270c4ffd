/* Keel's own check of the guest-state area before the first VMLAUNCH,
 * SDM vol. 3C 27.3.1 "Checks on the Guest State Area". It runs on a plain
 * copy of the guest-state fields (vmx/vmx.c fills it from what it writes
 * to the VMCS), so that a host unit test can run it, and so that a failed
 * VM entry (exit reason 33) can be explained in words. */
#ifndef KEEL_VMX_GUEST_CHECK_H
#define KEEL_VMX_GUEST_CHECK_H

#include "../lib/types.h"

/* One segment register as the VMCS holds it (25.4.1): ar is in the VMCS
 * access-rights format (VMX_AR_* in vmx/vmcs.h). */
struct vmx_seg {
	u16 sel;
	u64 base;
	u32 limit;
	u32 ar;
};

/* The guest-state fields the checks read (25.4). */
struct vmx_guest_state {
	u64 cr0, cr3, cr4, dr7, rsp, rip, rflags, efer, pat, link_ptr;
	struct vmx_seg es, cs, ss, ds, fs, gs, ldtr, tr;
	u64 gdtr_base, idtr_base;
	u32 gdtr_limit, idtr_limit;
	u32 activity, interruptibility;
	u64 pending_dbg;
	u64 sysenter_esp, sysenter_eip;
};

/* What the checks need from the capability MSRs and the controls. */
struct vmx_guest_ctx {
	u64 cr0_fixed0, cr0_fixed1;	/* IA32_VMX_CR0_FIXED0/1 (A.7) */
	u64 cr4_fixed0, cr4_fixed1;	/* IA32_VMX_CR4_FIXED0/1 (A.8) */
	bool unrestricted;		/* secondary control "unrestricted guest" */
	bool ia32e_guest;		/* VM-entry control "IA-32e mode guest" */
	bool load_efer;			/* VM-entry control "load IA32_EFER" */
	bool load_pat;			/* VM-entry control "load IA32_PAT" */
	u32 entry_intr_info;		/* VM-entry interruption information */
	bool virtual_nmis;		/* pin-based control "virtual NMIs" */
};

/* NULL if the state passes, else the words of the first rule it breaks,
 * in the order of 27.3.1. The rules and what is left out are listed at the
 * top of vmx/guest_check.c. */
const char *vmx_check_guest_state(const struct vmx_guest_state *g,
				  const struct vmx_guest_ctx *c);

#endif
