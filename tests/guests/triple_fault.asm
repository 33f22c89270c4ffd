; Test guest: a triple fault (real mode, loaded at 0x10000). With an IDT
; limit of 0 no vector can be delivered: INT3 raises #GP, #GP raises #DF,
; #DF shuts the CPU down. Keel must catch the shutdown (reason=triple-fault)
; rather than let the machine reset. Should the guest go on, it reports
; exit code 99.
BITS 16
ORG 0

%include "hypercall.inc"

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	cli
	lidt [empty_idt]
	int3
	mov eax, HC_EXIT
	mov ebx, 99
	HYPERCALL
	jmp $

empty_idt:	dw 0			; limit 0
		dd 0
hc_is_amd:	db 0
