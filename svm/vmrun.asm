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

; struct guest_gprs offsets (hv/vcpu.h; checked by a _Static_assert in svm/svm.c)
GPR_RCX	equ 8
GPR_RDX	equ 16
GPR_RBX	equ 24
GPR_RBP	equ 40
GPR_RSI	equ 48
GPR_RDI	equ 56
GPR_R8	equ 64
GPR_R9	equ 72
GPR_R10	equ 80
GPR_R11	equ 88
GPR_R12	equ 96
GPR_R13	equ 104
GPR_R14	equ 112
GPR_R15	equ 120

section .text
svm_vmrun:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	push rdi			; gprs
	push rdx			; host_vmcb

	mov rax, rdx
	vmsave				; the host's hidden state
	mov rax, rsi
	vmload				; the guest's

	mov rcx, [rdi + GPR_RCX]
	mov rdx, [rdi + GPR_RDX]
	mov rbx, [rdi + GPR_RBX]
	mov rbp, [rdi + GPR_RBP]
	mov rsi, [rdi + GPR_RSI]
	mov r8, [rdi + GPR_R8]
	mov r9, [rdi + GPR_R9]
	mov r10, [rdi + GPR_R10]
	mov r11, [rdi + GPR_R11]
	mov r12, [rdi + GPR_R12]
	mov r13, [rdi + GPR_R13]
	mov r14, [rdi + GPR_R14]
	mov r15, [rdi + GPR_R15]
	mov rdi, [rdi + GPR_RDI]

	vmrun				; RAX = the guest VMCB's physical address

	; #VMEXIT: RSP and RAX are the host's again (RAX = the VMCB address);
	; every other general register still holds the guest's value.
	push rdi
	mov rdi, [rsp + 16]		; gprs
	mov [rdi + GPR_RCX], rcx
	mov [rdi + GPR_RDX], rdx
	mov [rdi + GPR_RBX], rbx
	mov [rdi + GPR_RBP], rbp
	mov [rdi + GPR_RSI], rsi
	mov [rdi + GPR_R8], r8
	mov [rdi + GPR_R9], r9
	mov [rdi + GPR_R10], r10
	mov [rdi + GPR_R11], r11
	mov [rdi + GPR_R12], r12
	mov [rdi + GPR_R13], r13
	mov [rdi + GPR_R14], r14
	mov [rdi + GPR_R15], r15
	pop rcx
	mov [rdi + GPR_RDI], rcx

	vmsave				; the guest's hidden state back to its VMCB
	pop rax				; host_vmcb
	vmload
	pop rdi

	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret
