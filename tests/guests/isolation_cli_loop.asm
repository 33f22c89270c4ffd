; Hostile guest: spin forever with interrupts off (real mode, loaded at
; 0x10000). It prints "spinning with interrupts off", then CLI; JMP $.
; No instruction of the loop exits and no interrupt can arrive, so Keel
; never runs again while it spins: the next guest never starts.
BITS 16
ORG 0

%include "hypercall.inc"

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	mov si, msg
	HC_PRINT
.spin:
	cli
	jmp .spin

msg:	db "spinning with interrupts off", 10, 0
hc_is_amd:	db 0
