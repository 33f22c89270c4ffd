; Hostile guest: reset the machine in a way Keel may not watch (real mode,
; loaded at 0x10000). DESIGN.md: a guest's reset request never resets the
; machine; Keel stops the guest (reason=reset) and goes on. METHOD (-D):
;   1 port 92h bit 0 (System Control Port A, "fast reset")
;   2 keyboard controller command F0h (pulse output-port bit 0: reset,
;     like FEh)
;   3 keyboard controller command D1h, then output port FEh (bit 0 clear:
;     reset)
;   4 a 16-bit OUT to port CF8h whose high byte (port CF9h) is 06h
;   5 a 16-bit OUT to port 64h whose low byte is FEh
; A guest that is still running afterwards (the machine did not reset)
; exits with code 0.
BITS 16
ORG 0

%include "hypercall.inc"

%ifndef METHOD
%error "assemble with -DMETHOD=1..5"
%endif

; Waits until the keyboard controller's input buffer is empty.
%macro KBC_WAIT 0
%%busy:
	in al, 0x64
	test al, 2
	jnz %%busy
%endmacro

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	cli
%if METHOD == 1
	in al, 0x92
	or al, 1
	out 0x92, al
%elif METHOD == 2
	KBC_WAIT
	mov al, 0xF0
	out 0x64, al
%elif METHOD == 3
	KBC_WAIT
	mov al, 0xD1
	out 0x64, al
	KBC_WAIT
	mov al, 0xFE
	out 0x60, al
%elif METHOD == 4
	mov dx, 0xCF8
	mov ax, 0x0600
	out dx, ax
%elif METHOD == 5
	mov ax, 0x00FE
	out 0x64, ax
%endif
	mov ecx, 100000
.spin:
	loop .spin
	xor ebx, ebx
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

hc_is_amd:	db 0
