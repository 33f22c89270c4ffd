; Test guest: a partition's volume boot record, for an entry whose only
; guest is `guest bios partition=N` (an entry that loads no file). Run at
; 0000:7C00 by the shim's partition loader, it prints the drive it got in
; DL and DS:SI's partition entry type, then ends with exit code 0.
BITS 16
CPU 686
ORG 0x7C00

%include "hypercall.inc"

start:
	mov bl, [si + 4]		; DS:SI -> our partition entry (DS = 0)
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7C00
	mov [drive], dl
	mov [ptype], bl
	DETECT_VENDOR
	mov si, msg
	HC_PRINT
	movzx eax, byte [drive]
	HC_PRINT_HEX 2
	mov si, msg_type
	HC_PRINT
	movzx eax, byte [ptype]
	HC_PRINT_HEX 2
	mov si, msg_nl
	HC_PRINT
	xor ebx, ebx
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

msg:		db "partition boot record: drive 0x", 0
msg_type:	db " type 0x", 0
msg_nl:		db 10, 0
drive:		db 0
ptype:		db 0
hc_is_amd:	db 0

	times 510 - ($ - $$) db 0
	dw 0xAA55
