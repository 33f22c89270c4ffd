; Test guest: the power-off hypercall, as DESIGN.md gives it (real mode,
; loaded at 0x10000): RAX = 84000008h (PSCI SYSTEM_OFF), then VMMCALL --
; here through the HYPERCALL macro, so VMCALL on Intel. Keel stops the
; guest with reason=poweroff and powers the machine off at once, without
; running any guest configured after it. Should the guest come back, it
; reports exit code 99.
BITS 16
ORG 0

%include "hypercall.inc"

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	mov eax, HC_POWEROFF
	HYPERCALL
	mov eax, HC_EXIT
	mov ebx, 99
	HYPERCALL
	jmp $

hc_is_amd:	db 0
