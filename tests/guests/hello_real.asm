; Test guest: real-mode hello. Loaded at 0x10000 and entered at
; CS:IP = 1000:0000 with paging off; prints a line through hypercall 1
; and ends with exit code 0 (hypercall 2).
BITS 16
ORG 0

%include "hypercall.inc"

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	mov si, msg
	HC_PRINT
	mov eax, HC_EXIT
	xor ebx, ebx
	HYPERCALL
	cli
	hlt

msg:		db "hello from a real-mode guest", 10, 0
hc_is_amd:	db 0
