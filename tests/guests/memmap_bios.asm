; Test guest: the memory map a BIOS guest gets hides Keel's region and the
; BIOS shim (docs/bios-shim.md). A 512-byte boot sector, run by Keel as
; `guest bios image=...` (a floppy image with this at offset 0) or as the
; boot record of a partition (`guest bios partition=N`). It asks INT 15h
; E820h for every entry (following the EBX continuation, asking 24 bytes
; for even entries and 20 for odd ones), E801h and 88h, and INT 12h, prints
; what it got through hypercall 1 and ends with hypercall 2:
;   0  all good
;   1  E820h failed (CF set, or EAX not 'SMAP' on return)
;   2  an E820h RAM range overlaps Keel's region
;   3  a 24-byte E820h answer: ECX not 24, or the "enabled" attribute clear
;   4  a 20-byte E820h answer: ECX not 20, or bytes past 20 written
;   5  E820h never ended (more than 64 entries)
;   6  E801h failed, overlaps Keel's region, AX = 0 (no RAM right above
;      1 MiB) or > 3C00h, or CX:DX != AX:BX
;   7  88h failed or overlaps Keel's region
;   8  the INT 15h handler (the shim) lies below INT 12h's memory top
;   9  E820h offers RAM in the first MiB at or above INT 12h's top
; Assemble with -DREGION_BASE=0x... -DREGION_END=0x... (Keel's region, from
; the `keel: region base=... size=...` line of a boot with the same memory).

BITS 16
ORG 0x7C00

%include "hypercall.inc"

%ifndef REGION_BASE
%error "assemble with -DREGION_BASE=... -DREGION_END=..."
%endif

MAX_ENTRIES	equ 64
BUF		equ 0x7E00		; the E820h answer: just past the boot sector
VMMCALL_MODRM	equ 0xD9		; 0F 01 D9 is VMMCALL, 0F 01 C1 VMCALL
SMAP		equ 0x534D4150		; "SMAP" as the spec writes it (NASM's 'SMAP' is byte-reversed)

start:
	xor eax, eax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7C00
	cld
	cpuid				; EAX = 0: the vendor picks the hypercall
	cmp ebx, 'Auth'			; (a 512-byte sector has no room for
	jne .intel			; hypercall.inc's run-time test at each call)
	mov byte [hc_insn + 2], VMMCALL_MODRM
.intel:

	int 0x12			; AX = conventional memory in KiB
	mov cl, 8			; the INT 15h handler (the shim) must lie at
	mov bx, [0x15 * 4 + 2]		; or above INT 12h's memory top
	shr bx, 6			; segment -> KiB
	cmp bx, ax
	jb fail
	movzx eax, ax
	shl eax, 10
	mov [low_top], eax
	mov si, s_int12
	call print_hex_line

	xor ebx, ebx			; E820h: continuation 0 starts the walk
	xor bp, bp			; entries seen
	mov di, BUF			; ES:DI, kept by every call
.e820:
	push di				; sentinel bytes show what the BIOS wrote
	mov al, 0xFF
	mov cx, 24
	rep stosb
	pop di
	mov cl, 24			; even entries ask for 24 bytes, odd for 20
	test bp, 1
	jz .ask
	mov cl, 20
.ask:
	movzx ecx, cx			; ECX = the size asked
	mov si, cx			; kept for the checks
	mov eax, 0xE820
	mov edx, SMAP
	int 0x15
	mov dl, 1
	jc .fail_dl
	cmp eax, SMAP
	jne .fail_dl
	cmp si, 24
	jne .asked20
	mov dl, 3
	test byte [di + 20], 1		; ACPI 3.0 attributes: bit 0 = enabled
	jz .fail_dl
	jmp short .size
.asked20:
	mov dl, 4
	cmp dword [di + 20], -1		; nothing past the 20 bytes asked for
	jne .fail_dl
.size:
	cmp cx, si			; ECX = the size asked (both are valid)
	je .print
.fail_dl:
	mov cl, dl
.fail_cl:
	jmp fail
.print:
	mov si, s_e820			; "e820 BASE LENGTH TYPE" as dwords, high first
	call puts
	mov si, e820_order
.field:
	lodsb
	movzx ax, al
	xchg ax, bx			; BX = field offset, EBX's low half saved in AX
	mov edx, [di + bx]
	xchg ax, bx
	xchg eax, edx
	call print_hex
	cmp si, e820_order + 5
	jb .field
	call newline
	cmp dword [di + 16], 1		; only RAM matters from here
	jne .next
	mov eax, [di]			; EDX:EAX = end = base + length
	mov edx, [di + 4]
	add eax, [di + 8]
	adc edx, [di + 12]
	mov cl, 9			; RAM in the first MiB must end at INT 12h's top
	cmp dword [di + 4], 0		; (RAM from 4 GiB up is far from both checks)
	jne .next
	cmp dword [di], 0x100000
	jae .region
	test edx, edx
	jnz .fail_cl
	cmp eax, [low_top]
	ja .fail_cl
.region:
	mov cl, 2			; [base, end) must miss [REGION_BASE, REGION_END)
	cmp dword [di], REGION_END
	jae .next
	test edx, edx
	jnz .fail_cl
	cmp eax, REGION_BASE
	ja .fail_cl
.next:
	inc bp
	mov cl, 5
	cmp bp, MAX_ENTRIES
	ja .fail_cl
	test ebx, ebx			; 0: that was the last entry
	jnz .e820

	xor cx, cx			; E801h: some BIOSes answer only in CX:DX
	xor dx, dx
	mov ax, 0xE801
	int 0x15
	jc .e801_bad
	cmp ax, cx
	jne .e801_bad
	cmp bx, dx
	jne .e801_bad
	test ax, ax			; no RAM right above 1 MiB: all carved away
	jz .e801_bad
	cmp ax, 0x3C00			; at most 15 MiB between 1 and 16 MiB
	ja .e801_bad
	mov si, s_e801			; "e801 AX BX"
	call puts
	movzx eax, ax
	call print_hex
	movzx eax, bx
	call print_hex_line.hex
	shl eax, 16			; top = 16 MiB + BX * 64 KiB, when BX > 0
	jz .x88
	add eax, 0x1000000
	cmp eax, REGION_BASE
	jbe .x88
.e801_bad:
	mov cl, 6
	jmp fail
.x88:
	mov ah, 0x88			; 88h: KiB from 1 MiB
	int 0x15
	mov cl, 7
	jc fail
	movzx eax, ax
	mov si, s_88
	call print_hex_line
	shl eax, 10
	add eax, 0x100000
	cmp eax, REGION_BASE
	ja fail
	mov cl, 0			; all good

; Ends the guest with exit code CL.
fail:
	movzx ebx, cl
	mov al, HC_EXIT
	call hypercall
	cli
	hlt

; Prints the string at SI, EAX in hex and a newline; keeps EAX.
print_hex_line:
	call puts
.hex:
	call print_hex
newline:
	mov al, 10
putc:					; AL to Keel's log; keeps every register
	pushad
	movzx ebx, al
	mov al, HC_PUTC
	call hypercall
	popad
	ret

; Hypercall AL with RBX; the instruction is patched for AMD at start.
hypercall:
	movzx eax, al
hc_insn:
	vmcall
	ret

puts:					; the NUL-terminated string at SI; keeps EAX
	push ax
.next:
	lodsb
	test al, al
	jz .done
	call putc
	jmp .next
.done:
	pop ax
	ret

print_hex:				; a space and EAX as 8 hex digits; keeps EAX
	push cx
	push ax
	mov al, ' '
	call putc
	pop ax
	mov cx, 8
.digit:
	rol eax, 4
	push ax
	and al, 0x0F			; 0-9 -> '0'-'9', 10-15 -> 'A'-'F':
	add al, 0x90			; the DAA idiom from the 8086 days
	daa
	adc al, 0x40
	daa
	call putc
	pop ax
	loop .digit
	pop cx
	ret

e820_order:	db 4, 0, 12, 8, 16	; base and length high dword first, then type
s_int12:	db "int12", 0
s_e820:		db "e820", 0
s_e801:		db "e801", 0
s_88:		db "88h", 0
low_top:	dd 0

	times 510 - ($ - $$) db 0
	dw 0xAA55
