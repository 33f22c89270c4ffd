; Keel master boot record.
;
; The BIOS loads this sector at 0:7C00 and jumps to it with the boot drive
; in DL. It moves itself to 0:0600 (so that 0:7C00 stays free for a volume
; boot record later), checks for the INT 13h extensions, reads stage 2 from
; LBA 1 into 0:1000 and jumps to it with DL unchanged. Every failure prints
; one short reason and halts; it never jumps into garbage.
;
; disk.img.mk passes the partition table values (-D): PART1_LBA,
; PART1_SECTORS, PART1_TYPE; and the stage 2 load values: STAGE2_SECTORS,
; STAGE2_MAGIC.

BITS 16
ORG 0x0600

%define RELOC_ADDR	0x0600
%define BIOS_LOAD_ADDR	0x7C00
%define STAGE2_ADDR	0x1000
%define COM1		0x3F8
%define DEBUGCON	0xE9

start:
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	; The stack grows down from 0:1000 to the end of the relocated copy
	; (0:0800). Not below 0:7C00: stage 2 is read over that area, and the
	; BIOS's own pushes during the read would land in stage 2's code.
	mov sp, STAGE2_ADDR
	cld
	mov si, BIOS_LOAD_ADDR		; move the whole sector to 0:0600
	mov di, RELOC_ADDR
	mov cx, 256
	rep movsw
	jmp 0:relocated			; reload CS:IP at the relocated copy

relocated:
	sti
	mov [boot_drive], dl

	; INT 13h AH=41h: are the extensions there, with the packet interface
	; (CX bit 0)? Without them we cannot address LBA 1..2047 reliably.
	mov ah, 0x41
	mov bx, 0x55AA
	int 0x13
	jc .no_ext
	cmp bx, 0xAA55
	jne .no_ext
	test cl, 1
	jz .no_ext

	; INT 13h AH=42h: extended read of stage 2 through the packet below.
	mov si, dap
	mov ah, 0x42
	mov dl, [boot_drive]
	int 0x13
	jc .read_error

	; Stage 2 starts with its magic; anything else is not ours.
	cmp dword [STAGE2_ADDR], STAGE2_MAGIC
	jne .no_stage2

	mov dl, [boot_drive]
	jmp 0:STAGE2_ADDR + 4		; the entry follows the magic

.no_ext:
	mov si, msg_no_ext
	jmp fail
.read_error:
	mov si, msg_read
	jmp fail
.no_stage2:
	mov si, msg_stage2

; Print the NUL-terminated string at DS:SI on the screen (INT 10h teletype),
; COM1 and the debug port, then halt for good.
fail:
	push si
	mov si, msg_prefix
	call puts
	pop si
	call puts
.halt:
	cli
	hlt
	jmp .halt

puts:
	lodsb
	test al, al
	jz .done
	mov dx, DEBUGCON
	out dx, al
	mov dx, COM1
	out dx, al
	mov ah, 0x0E
	mov bx, 0x0007
	int 0x10
	jmp puts
.done:
	ret

msg_prefix:	db "keel: FATAL: MBR: ", 0
msg_no_ext:	db "no INT 13h extensions", 13, 10, 0
msg_read:	db "disk read error", 13, 10, 0
msg_stage2:	db "no stage 2", 13, 10, 0

; INT 13h extensions disk address packet (16 bytes).
align 4
dap:
	db 16, 0
	dw STAGE2_SECTORS
	dw STAGE2_ADDR, 0		; offset, segment
	dq 1				; first LBA
boot_drive:	db 0

code_end:
%ifndef CODE_ONLY		; the build assembles the code alone to measure it
	; The build fails here if the code grows into the disk signature.
	times 440 - ($ - $$) db 0

	dd 0x4C45454B			; disk signature "KEEL"
	dw 0

; Partition table: one entry, partition 1 (FAT), active. CHS fields use the
; LBA-to-CHS mapping of 255 heads and 63 sectors per track, or the
; 1023/254/63 "use LBA" value past 8 GiB.
%macro chs 1
	%assign c (%1) / (255 * 63)
	%assign h ((%1) / 63) % 255
	%assign s ((%1) % 63) + 1
	%if c > 1023
		%assign c 1023
		%assign h 254
		%assign s 63
	%endif
	db h, s | ((c >> 2) & 0xC0), c & 0xFF
%endmacro

	db 0x80				; bootable
	chs PART1_LBA
	db PART1_TYPE
	chs PART1_LBA + PART1_SECTORS - 1
	dd PART1_LBA
	dd PART1_SECTORS
	times 3 * 16 db 0

	dw 0xAA55
%endif
