; Test guest: a reset through the reset control register (real mode,
; loaded at 0x10000): OUT 0CF9h with 06h (bit 2 RST_CPU, bit 1 SYS_RST).
; Keel must not let the machine reset: it stops the guest with
; reason=reset. Should the guest come back, it reports exit code 99.
BITS 16
ORG 0

%include "hypercall.inc"

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	cli
	mov dx, 0xCF9
	mov al, 0x06
	out dx, al
	mov eax, HC_EXIT
	mov ebx, 99
	HYPERCALL
	jmp $

hc_is_amd:	db 0
