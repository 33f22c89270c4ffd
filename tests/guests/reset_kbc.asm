; Test guest: a reset through the keyboard controller (real mode, loaded
; at 0x10000): command 0FEh (pulse the reset line) to port 64h. Keel must
; not let the machine reset: it stops the guest with reason=reset. Should
; the guest come back, it reports exit code 99.
BITS 16
ORG 0

%include "hypercall.inc"

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	cli
.wait:					; the controller's input buffer must be empty
	in al, 0x64
	test al, 2
	jnz .wait
	mov al, 0xFE
	out 0x64, al
	mov eax, HC_EXIT
	mov ebx, 99
	HYPERCALL
	jmp $

hc_is_amd:	db 0
