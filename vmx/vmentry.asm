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

GPR_RAX	equ 0
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
vmx_vmenter:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	push rdi			; gprs: the exit point finds it at [rsp]

	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp
	jbe .fail			; CF or ZF: the VMCS is not usable

	test esi, esi			; flags survive the MOVs below
	mov rax, [rdi + GPR_RAX]
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
	jnz .resume
	vmlaunch
	jmp .fail			; only reached when VMLAUNCH failed
.resume:
	vmresume
.fail:
	; VMfailInvalid sets CF, VMfailValid sets ZF (SDM 31.2).
	mov eax, 2
	jnc .failed
	mov eax, 1
.failed:
	pop rdi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

; A VM exit arrives here with RSP = HOST_RSP (the frame above) and every
; general register but RSP still holding the guest's value.
vmx_exit_point:
	push rdi
	mov rdi, [rsp + 8]		; gprs
	mov [rdi + GPR_RAX], rax
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
	pop rax
	mov [rdi + GPR_RDI], rax
	xor eax, eax
	pop rdi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret
