; The VMX world switch (Intel SDM vol. 3C, 26 VM entries and 28 VM exits).
;
; int vmx_vmenter(struct guest_gprs *gprs, int launched)
;   0: the guest ran and a VM exit came back through vmx_exit_point
;   1: VMLAUNCH/VMRESUME failed with VMfailInvalid (CF = 1)
;   2: VMLAUNCH/VMRESUME failed with VMfailValid (ZF = 1; read the
;      VM-instruction error field)
; The guest's RSP, RIP and RFLAGS live in the VMCS; the other general
; registers are loaded from and stored back to *gprs (hv/vcpu.h). HOST_RSP
; is written here, right before entry, so that the exit lands on this
; frame; HOST_RIP is vmx_exit_point (set once by vmx/vmx.c).

BITS 64
DEFAULT REL

global vmx_vmenter, vmx_exit_point

VMCS_HOST_RSP	equ 0x6C14

%include "gprs.inc"

section .text
vmx_vmenter:
	SAVE_HOST_REGS
	push rdi			; gprs: the exit point finds it at [rsp]

	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp
	jbe .fail			; CF or ZF: the VMCS is not usable

	test esi, esi			; flags survive the MOVs below
	mov rax, [rdi + GPR_RAX]
	LOAD_GUEST_GPRS rdi
	mov rdi, [rdi + GPR_RDI]
	jnz .resume
%ifdef DEBUG_ENTRY
	xchg bx, bx			; Bochs magic breakpoint: `s` steps into the guest
%endif
	vmlaunch
	jmp .fail			; only reached when VMLAUNCH failed
.resume:
%ifdef DEBUG_ENTRY
	xchg bx, bx			; Bochs magic breakpoint: `s` steps into the guest
%endif
	vmresume
.fail:
	; VMfailInvalid sets CF, VMfailValid sets ZF (SDM 31.2).
	mov eax, 2
	jnc .restore
	mov eax, 1
.restore:				; also the exit point's way back to C
	pop rdi
	RESTORE_HOST_REGS
	ret

; A VM exit arrives here with RSP = HOST_RSP (the frame above) and every
; general register but RSP still holding the guest's value.
vmx_exit_point:
	push rdi
	mov rdi, [rsp + 8]		; gprs
	mov [rdi + GPR_RAX], rax
	STORE_GUEST_GPRS rdi
	pop rax
	mov [rdi + GPR_RDI], rax
	xor eax, eax
	jmp vmx_vmenter.restore
