; Test guest: HLT with interrupts off (real mode, loaded at 0x10000).
; Nothing can ever wake such a CPU, so Keel stops the guest with
; reason=hlt. Should it come back, it reports exit code 99.
BITS 16
ORG 0

%include "hypercall.inc"

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	cli
	hlt
	mov eax, HC_EXIT
	mov ebx, 99
	HYPERCALL
	jmp $

hc_is_amd:	db 0
