; Test guest: the SVM instructions raise #UD in the guest (real mode,
; loaded at 0x10000): VMRUN, VMLOAD, VMSAVE, STGI, CLGI and SKINIT, each
; 3 bytes (0F 01 D8/DA/DB/DC/DD/DE). Its own #UD handler (IVT vector 6)
; counts them and skips the instruction. In real mode the CPU may raise
; #UD itself before any intercept; svm_insn_pm.asm is the same check in
; protected mode, where Keel's intercepts must do it.
; Exit code 0 when all six raised #UD; else 1 + the index (0-5, in the
; order above) of the first that did not.
BITS 16
ORG 0

%include "hypercall.inc"

%define VEC_UD 6

; Runs instruction %1, which must raise #UD once; else exit code %2.
; (The instructions are spelled as bytes: exactly 3 each, no prefix.)
%macro EXPECT_UD 2
	mov byte [ud_count], 0
	%1
	cmp byte [ud_count], 1
	mov si, %2
	jne fail
%endmacro

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	cli
	xor ax, ax
	mov es, ax
	mov eax, [es:VEC_UD * 4]
	mov [old_ud], eax
	mov word [es:VEC_UD * 4], ud_handler
	mov [es:VEC_UD * 4 + 2], cs

	mov eax, 0x200000		; a page-aligned address, for the ones that take one
	EXPECT_UD {db 0x0F, 0x01, 0xD8}, 1		; VMRUN
	EXPECT_UD {db 0x0F, 0x01, 0xDA}, 2		; VMLOAD
	EXPECT_UD {db 0x0F, 0x01, 0xDB}, 3		; VMSAVE
	EXPECT_UD {db 0x0F, 0x01, 0xDC}, 4		; STGI
	EXPECT_UD {db 0x0F, 0x01, 0xDD}, 5		; CLGI
	EXPECT_UD {db 0x0F, 0x01, 0xDE}, 6		; SKINIT
	xor si, si
fail:
	xor ax, ax
	mov es, ax
	mov eax, [old_ud]
	mov [es:VEC_UD * 4], eax
	movzx ebx, si
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

; #UD (no error code): skip the 3-byte instruction.
ud_handler:
	inc byte [cs:ud_count]
	push bp
	mov bp, sp
	add word [bp + 2], 3
	pop bp
	iret

old_ud:		dd 0
ud_count:	db 0
hc_is_amd:	db 0
