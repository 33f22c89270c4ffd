; Test guest: the stack Keel starts a protected-mode guest with is usable
; (loaded at 0x100000, the load address docs/config.md shows). Keel sets
; ESP to the load address, "the stack grows down below the image"; the
; guest pushes a value on that stack at once and pops it back. Below
; 0x100000 lies the BIOS area (F0000h-FFFFFh, reserved in the memory map,
; read-only shadow ROM on a PC), where a push is lost.
; Exit codes: 0 the value came back, 1 it did not.
BITS 32
ORG 0x100000

%include "hypercall.inc"

start:
	push dword 0x5AA5C33C
	pop esi
	mov esp, stack_top
	DETECT_VENDOR
	xor ebx, ebx
	cmp esi, 0x5AA5C33C
	je exit
	mov ebx, 1
exit:
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

hc_is_amd:	db 0

align 16
		times 256 db 0
stack_top:
