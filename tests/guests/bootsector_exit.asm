; Test guest: a boot sector (a BIOS guest, loaded at 0:7C00 in real mode)
; that prints a line through hypercall 1 and exits with code EXIT_CODE
; (default 3) through hypercall 2. Padded to a floppy's size it is what
; `make run GUEST=floppy.img` finds a BIOS guest in (tests/test_run_guest.py).
BITS 16
ORG 0x7C00

%include "hypercall.inc"

%ifndef EXIT_CODE
%define EXIT_CODE 3
%endif

start:
	xor ax, ax
	mov ds, ax
	DETECT_VENDOR
	mov si, msg
	HC_PRINT
	mov eax, HC_EXIT
	mov ebx, EXIT_CODE
	HYPERCALL
	cli
	hlt

msg:		db "hello from a boot sector", 10, 0
hc_is_amd:	db 0

	times 510 - ($ - $$) db 0
	dw 0xAA55
