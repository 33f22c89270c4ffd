; Test guest: I/O exits by port (the `keel: io exits` line). Real mode,
; loaded at 0x10000. Writes the PCI configuration address (32-bit OUT to
; 0CF8h, which covers 0CF9h in the I/O permission map and so exits) 5
; times, reads it back once, reads the keyboard controller's status port
; (IN 64h) 3 times, and writes 0CF9h once with RST_CPU clear (not a reset:
; bit 1 alone only picks the kind of the next one). Then exit code 0.
BITS 16
ORG 0

%include "hypercall.inc"

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	mov dx, 0xCF8
	in eax, dx
	mov esi, eax			; the address the BIOS left, put back below
	mov cx, 5
.cf8:
	mov eax, 0x80000000		; bus 0, device 0, function 0, register 0
	out dx, eax
	loop .cf8
	mov eax, esi
	out dx, eax			; the 6th 32-bit OUT
	mov cx, 3
.kbc:
	in al, 0x64
	loop .kbc
	mov al, 0x02
	mov dx, 0xCF9
	out dx, al
	mov eax, HC_EXIT
	xor ebx, ebx
	HYPERCALL
	cli
	hlt

hc_is_amd:	db 0
