; The VMX world switch (Intel SDM vol. 3C, 26 VM entries and 28 VM exits).
;
; int vmx_vmenter(struct guest_gprs *gprs, int launched)
;   0: the guest ran and a VM exit came back through vmx_exit_point
;   1: VMLAUNCH/VMRESUME failed with VMfailInvalid (CF = 1)
;   2: VMLAUNCH/VMRESUME failed with VMfailValid (ZF = 1; read the
;      VM-instruction error field)
;   3: not entered: this CPU's attention word (struct percpu, through GS)
;      had a bit set besides ATTN_EVENT -- an NMI, a stop, another CPU's
;      request (hv/vcpu.c). An NMI that arrives between that look and the
;      VMLAUNCH/VMRESUME lands at vmx_entry_aborted (hv/nmi.c windows).
; The guest's RSP, RIP and RFLAGS live in the VMCS; the other general
; registers are loaded from and stored back to *gprs (hv/vcpu.h). HOST_RSP
; is written here, right before entry, so that the exit lands on this
; frame; HOST_RIP is vmx_exit_point (set once by vmx/vmx.c).

BITS 64
DEFAULT REL

global vmx_vmenter, vmx_exit_point
global vmx_entry_window, vmx_entry_window_last, vmx_entry_aborted

VMCS_HOST_RSP	equ 0x6C14
PERCPU_ATTENTION equ 8		; hv/percpu.h
ATTN_EVENT	equ 0x20

%include "gprs.inc"

section .text
vmx_vmenter:
	SAVE_HOST_REGS
	push rdi			; gprs: the exit point finds it at [rsp]

	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp
	jbe vmx_entry_fail		; CF or ZF: the VMCS is not usable

vmx_entry_window:
	test dword [gs:PERCPU_ATTENTION], ~ATTN_EVENT
	jnz vmx_entry_aborted
	test esi, esi			; flags survive the MOVs below
	mov rax, [rdi + GPR_RAX]
	LOAD_GUEST_GPRS rdi
	mov rdi, [rdi + GPR_RDI]
	jnz vmx_entry_resume
%ifdef DEBUG_ENTRY
	xchg bx, bx			; Bochs magic breakpoint: `s` steps into the guest
%endif
	vmlaunch
	jmp vmx_entry_fail		; only reached when VMLAUNCH failed
vmx_entry_resume:
%ifdef DEBUG_ENTRY
	xchg bx, bx			; Bochs magic breakpoint: `s` steps into the guest
%endif
vmx_entry_window_last:
	vmresume
vmx_entry_fail:
	; VMfailInvalid sets CF, VMfailValid sets ZF (SDM 31.2).
	mov eax, 2
	jnc vmx_entry_return
	mov eax, 1
vmx_entry_return:			; also the exit point's way back to C
	pop rdi
	RESTORE_HOST_REGS
	ret

vmx_entry_aborted:
	mov eax, 3
	jmp vmx_entry_return

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
	jmp vmx_entry_return
