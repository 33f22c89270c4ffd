; Test guest: a write to the reset control register 0CF9h without bit 2
; (RST_CPU) is no reset (real mode, loaded at 0x10000). Keel intercepts
; the port (reads and writes exit), sees no reset request and does the
; access on the real register; the guest reads its value back and exits.
; 02h (SYS_RST: choose a hard reset, do not start it) is what firmware
; writes before it sets RST_CPU.
; Exit codes: 0 the guest kept running and read back 02h in bits 1-2,
; 1 the read-back differs.
BITS 16
ORG 0

%include "hypercall.inc"

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	cli
	mov dx, 0xCF9
	in al, dx
	mov cl, al			; the original value
	mov al, 0x02
	out dx, al
	in al, dx
	mov ch, al			; what came back
	mov al, cl
	and al, ~0x04
	out dx, al			; restore (never with RST_CPU)
	xor ebx, ebx
	and ch, 0x06
	cmp ch, 0x02
	je exit
	mov ebx, 1
exit:
	mov eax, HC_EXIT
	HYPERCALL
	jmp $

hc_is_amd:	db 0
