; Test guest: turns caching off (CR0.CD and NW set, as firmware or a
; driver might) and ends with hypercall 2 without turning it back on
; (real mode, loaded at 0x10000). VT-x keeps CD and NW in CR0 across the
; VM exit (SDM vol. 3C 28.5.1), so Keel must turn caching back on for
; itself and the next guest. Exit code 0: CR0.CD read back as set;
; 1: it did not.
BITS 16
ORG 0

%include "hypercall.inc"

%define CR0_NW (1 << 29)
%define CR0_CD (1 << 30)

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	mov eax, cr0
	or eax, CR0_CD | CR0_NW
	mov cr0, eax
	wbinvd
	mov eax, cr0
	xor ebx, ebx
	test eax, CR0_CD
	jnz .exit
	mov ebx, 1
.exit:
	mov eax, HC_EXIT
	HYPERCALL
	jmp $

hc_is_amd:	db 0
