; Test guest: INT 13h extended reads and writes whose buffer is a 64-bit
; flat address above 4 GiB (EDD 3.0: a 24-byte disk address packet with
; FFFF:FFFF as its segment:offset and the address at offset 16), on a hard
; disk image Keel serves (drive 80h; sector N of the image starts with the
; dword N). A boot sector, in real mode: it cannot touch memory above
; 4 GiB itself, so it reads sector 4 to HIGH, writes sector 100 from HIGH,
; and reads sector 100 back below 1 MiB. Exit code 0, or
;   1 the read to HIGH failed, 2 the write from HIGH failed,
;   3 the read back failed, 4 sector 100 did not hold sector 4's dword,
;   5 a buffer at NOT_RAM (no RAM there) was accepted.
BITS 16
ORG 0x7C00

%include "hypercall.inc"

%ifndef HIGH
%error "assemble with -DHIGH=<address of RAM above 4 GiB>"
%endif
%ifndef NOT_RAM
%error "assemble with -DNOT_RAM=<an address above 4 GiB with no RAM>"
%endif
%define BUF 0x9000

%macro EXPECT 2				; exit with code %2 unless condition %1
	j%1 %%ok
	mov bl, %2
	jmp fail
%%ok:
%endmacro

start:
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7C00
	cld
	mov [drive], dl
	DETECT_VENDOR

	mov dword [xdap.lba], 4		; sector 4 to HIGH
	mov ah, 0x42
	call edd
	EXPECT nc, 1
	mov dword [xdap.lba], 100	; sector 100 from HIGH
	mov ax, 0x4300
	call edd
	EXPECT nc, 2
	mov dword [BUF], 0		; sector 100 to 0000:9000
	mov si, dap
	mov ah, 0x42
	mov dl, [drive]
	int 0x13
	EXPECT nc, 3
	cmp dword [BUF], 4
	EXPECT e, 4
	mov dword [xdap.flat], NOT_RAM & 0xFFFFFFFF
	mov dword [xdap.flat + 4], NOT_RAM >> 32
	mov dword [xdap.lba], 4
	mov ah, 0x42
	call edd
	EXPECT c, 5
	xor bl, bl
fail:					; exit code BL
	movzx ebx, bl
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

edd:					; AH (and AL) with the packet at xdap
	mov si, xdap
	mov word [xdap.count], 1
	mov dl, [drive]
	int 0x13
	ret

drive:		db 0
hc_is_amd:	db 0
dap:		db 0x10, 0		; EDD 1.1 packet: segment:offset buffer
		dw 1, BUF, 0
		dq 100
xdap:		db 0x18, 0		; EDD 3.0 packet: 64-bit flat buffer
.count:		dw 1
		dw 0xFFFF, 0xFFFF
.lba:		dq 0
.flat:		dq HIGH

	times 510 - ($ - $$) db 0
	dw 0xAA55
