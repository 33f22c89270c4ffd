; Test guest: an unknown hypercall returns -1 in RAX and changes nothing
; else; the version hypercall (0) returns a positive number (long mode,
; loaded at 0x100000, so that all 64 bits of RAX and R8-R15 are seen).
; Exit codes: 0 all good, 1 RAX after hypercall 12345h is not -1,
; 2 another register changed, 3 version is not positive.
BITS 64
ORG 0x100000
DEFAULT REL

%include "hypercall.inc"

%define HC_UNKNOWN 0x12345

; Fills RBX, RCX, RDX, RSI, RDI, RBP, R8-R15 with distinct patterns.
%macro FILL_REGS 0
	mov rbx, 0x1111111111111111
	mov rcx, 0x2222222222222222
	mov rdx, 0x3333333333333333
	mov rsi, 0x4444444444444444
	mov rdi, 0x5555555555555555
	mov rbp, 0x6666666666666666
	mov r8,  0x7777777777777777
	mov r9,  0x8888888888888888
	mov r10, 0x9999999999999999
	mov r11, 0xAAAAAAAAAAAAAAAA
	mov r12, 0xBBBBBBBBBBBBBBBB
	mov r13, 0xCCCCCCCCCCCCCCCC
	mov r14, 0xDDDDDDDDDDDDDDDD
	mov r15, 0xEEEEEEEEEEEEEEEE
%endmacro

start:
	lea rsp, [stack_top]
	DETECT_VENDOR

	FILL_REGS
	mov rax, HC_UNKNOWN
	HYPERCALL
	mov [r15_after], r15
	cmp rax, -1			; sign-extended: all 64 bits
	mov eax, 1
	jne exit
	mov r15, 0xEEEEEEEEEEEEEEEE
	cmp [r15_after], r15
	jne .clobbered
	mov rax, 0x1111111111111111
	cmp rbx, rax
	jne .clobbered
	mov rax, 0x2222222222222222
	cmp rcx, rax
	jne .clobbered
	mov rax, 0x3333333333333333
	cmp rdx, rax
	jne .clobbered
	mov rax, 0x4444444444444444
	cmp rsi, rax
	jne .clobbered
	mov rax, 0x5555555555555555
	cmp rdi, rax
	jne .clobbered
	mov rax, 0x6666666666666666
	cmp rbp, rax
	jne .clobbered
	mov rax, 0x7777777777777777
	cmp r8, rax
	jne .clobbered
	mov rax, 0x8888888888888888
	cmp r9, rax
	jne .clobbered
	mov rax, 0x9999999999999999
	cmp r10, rax
	jne .clobbered
	mov rax, 0xAAAAAAAAAAAAAAAA
	cmp r11, rax
	jne .clobbered
	mov rax, 0xBBBBBBBBBBBBBBBB
	cmp r12, rax
	jne .clobbered
	mov rax, 0xCCCCCCCCCCCCCCCC
	cmp r13, rax
	jne .clobbered
	mov rax, 0xDDDDDDDDDDDDDDDD
	cmp r14, rax
	jne .clobbered
	lea rax, [stack_top]
	cmp rsp, rax
	jne .clobbered

	mov eax, HC_VERSION
	HYPERCALL
	test rax, rax
	mov eax, 3
	jle exit
	xor eax, eax
	jmp exit
.clobbered:
	mov eax, 2
exit:
	mov ebx, eax
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

align 8
r15_after:	dq 0
hc_is_amd:	db 0

align 16
		times 256 db 0
stack_top:
