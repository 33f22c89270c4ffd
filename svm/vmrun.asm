; The SVM world switch (AMD APM vol. 2, 15.5 VMRUN and 15.6 #VMEXIT).
;
; void svm_vmrun(struct guest_gprs *gprs, hpa_t vmcb, hpa_t host_vmcb)
;
; VMRUN itself switches only part of the state; FS, GS, TR, LDTR, KernelGSBase
; and the SYSCALL/SYSENTER MSRs move with VMSAVE/VMLOAD (15.5.2), so the
; host's copy is saved to host_vmcb and the guest's loaded around VMRUN.
; RAX and RSP of the guest live in the VMCB; the other general registers
; are loaded from and stored back to *gprs (struct guest_gprs, hv/vcpu.h).
; A failed VMRUN also ends in a #VMEXIT (EXITCODE = VMEXIT_INVALID): the
; caller reads it from the VMCB, so this always returns to C.

BITS 64
DEFAULT REL

global svm_vmrun

%include "gprs.inc"

section .text
svm_vmrun:
	SAVE_HOST_REGS
	push rdi			; gprs
	push rdx			; host_vmcb

	mov rax, rdx
	vmsave				; the host's hidden state
	mov rax, rsi
	vmload				; the guest's

	LOAD_GUEST_GPRS rdi
	mov rdi, [rdi + GPR_RDI]

%ifdef DEBUG_ENTRY
	xchg bx, bx			; Bochs magic breakpoint: `s` steps into the guest
%endif
	vmrun				; RAX = the guest VMCB's physical address

	; #VMEXIT: RSP and RAX are the host's again (RAX = the VMCB address);
	; every other general register still holds the guest's value.
	push rdi
	mov rdi, [rsp + 16]		; gprs
	STORE_GUEST_GPRS rdi
	pop rcx
	mov [rdi + GPR_RDI], rcx

	vmsave				; the guest's hidden state back to its VMCB
	pop rax				; host_vmcb
	vmload
	pop rdi

	RESTORE_HOST_REGS
	ret
