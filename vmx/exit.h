/* Decoding a VM exit (exit reason, qualification and the other read-only
 * exit fields) into the vendor-neutral struct vmexit. The mirror of
 * svm/exit.h. */
#ifndef KEEL_VMX_EXIT_H
#define KEEL_VMX_EXIT_H

#include "../hv/vmexit.h"

/* The exit fields as read from the VMCS (vmx/vmx.c reads them). */
struct vmx_exit_info {
	u32 reason;         /* VMCS_RO_EXIT_REASON, bit 31 = VM-entry failure */
	u64 qualification;
	u32 insn_len;
	u32 intr_info;      /* VM-exit interruption information */
	u32 intr_error;
	u64 guest_linear;
	u64 guest_physical;
	u32 idt_info;       /* IDT-vectoring information (exits during event delivery) */
};

void vmx_decode_exit(const struct vmx_exit_info *x, struct vmexit *e);

#endif
