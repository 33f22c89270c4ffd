; Hostile guest: XSETBV with values the CPU refuses (protected mode, loaded
; at 0x100000). On VT-x every XSETBV exits and Keel runs XSETBV itself;
; a value the CPU refuses must become #GP in the guest, never a fault in
; Keel. Cases (ECX = XCR index, EDX:EAX = value), each expecting #GP:
;   1 XCR0 = 5 (AVX without SSE)     2 XCR0 bit 32 set
;   3 XCR1 = 1 (no such register)    4 XCR0 = 0 (x87 bit clear)
; and then 5: XCR0 = 3 (x87 + SSE) works and reads back as 3 with XGETBV.
; XCR0 is put back as it was. Each failed case prints "xsetbv case N:
; vector VV" and sets bit N of the exit code; without XSAVE (CPUID.1:ECX
; bit 26) the guest prints "xsetbv: no XSAVE" and exits with 0.
BITS 32
ORG 0x100000

	jmp start
%include "hypercall.inc"
%include "isolation_idt32.inc"

%define CR4_OSXSAVE (1 << 18)

; XSETBV_CASE n, ecx, edx, eax, expected vector
%macro XSETBV_CASE 5
	mov ecx, %2
	mov edx, %3
	mov eax, %4
	TRY %%resume
	xsetbv
%%resume:
	cmp byte [last_vec], %5
	je %%ok
	bts edi, %1
	PUTS msg_case
	mov eax, %1
	call puthex
	PUTS msg_vec
	movzx eax, byte [last_vec]
	call puthex
	PUTS msg_nl
%%ok:
%endmacro

start:
	PM_SETUP
	xor edi, edi
	mov eax, 1
	cpuid
	bt ecx, 26
	jc .has_xsave
	PUTS msg_none
	xor ebx, ebx
	EXIT
.has_xsave:
	mov eax, cr4
	or eax, CR4_OSXSAVE
	mov cr4, eax
	xor ecx, ecx
	xgetbv
	mov [old_xcr0], eax
	mov [old_xcr0 + 4], edx

	XSETBV_CASE 1, 0, 0, 5, VEC_GP
	XSETBV_CASE 2, 0, 1, 1, VEC_GP
	XSETBV_CASE 3, 1, 0, 1, VEC_GP
	XSETBV_CASE 4, 0, 0, 0, VEC_GP
	XSETBV_CASE 5, 0, 0, 3, VEC_NONE
	xor ecx, ecx
	xgetbv
	cmp eax, 3
	je .readback
	bts edi, 6
	PUTS msg_readback
.readback:
	mov eax, [old_xcr0]
	mov edx, [old_xcr0 + 4]
	xor ecx, ecx
	xsetbv
	PUTS msg_done
	mov ebx, edi
	EXIT

msg_none:	db "xsetbv: no XSAVE", 10, 0
msg_case:	db "xsetbv case ", 0
msg_vec:	db ": vector ", 0
msg_nl:		db 10, 0
msg_readback:	db "xsetbv: XCR0 did not read back as 3", 10, 0
msg_done:	db "xsetbv: 5 cases", 10, 0
old_xcr0:	dq 0

align 16
		times 512 db 0
stack_top:
