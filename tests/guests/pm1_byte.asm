; Test guest: a sleep request written as one byte to the second byte of
; the ACPI PM1a control register (protected mode, loaded at 0x100000).
; SLP_EN is bit 13 of PM1_CNT (ACPI 4.8.3.2.1), so a byte write of 20h to
; PM1a_CNT + 1 asks for sleep state SLP_TYP = 0: Keel must take it as the
; guest's power-off, like a 16-bit write, and not let it reach the
; chipset. The guest finds PM1a_CNT_BLK in the FADT (the RSDP in the BIOS
; area, then the RSDT), prints "pm1: PM1a_CNT at <port>", writes the byte,
; and if it is still running prints "pm1: the sleep request went past
; Keel" and exits with 1; 2 when it finds no FADT.
BITS 32
ORG 0x100000

	jmp start
%include "hypercall.inc"
%include "isolation_idt32.inc"

start:
	PM_SETUP
	mov esi, 0xE0000		; the RSDP: "RSD PTR " on a 16-byte boundary
.rsdp:
	cmp dword [esi], 'RSD '
	jne .next
	cmp dword [esi + 4], 'PTR '
	je .found
.next:
	add esi, 16
	cmp esi, 0x100000
	jb .rsdp
	jmp .none
.found:
	mov edi, [esi + 16]		; the RSDT
	mov ecx, [edi + 4]		; its length
	sub ecx, 36
	shr ecx, 2
	add edi, 36
.table:
	test ecx, ecx
	jz .none
	mov edx, [edi]
	cmp dword [edx], 'FACP'
	je .fadt
	add edi, 4
	dec ecx
	jmp .table
.fadt:
	mov edx, [edx + 64]		; PM1a_CNT_BLK
	mov [port], edx
	PUTS msg_port
	mov eax, [port]
	call puthex
	PUTS msg_nl
	mov edx, [port]
	inc edx
	mov al, 0x20			; SLP_EN, SLP_TYP = 0
	out dx, al
	PUTS msg_past
	mov ebx, 1
	EXIT
.none:
	PUTS msg_none
	mov ebx, 2
	EXIT

msg_port:	db "pm1: PM1a_CNT at ", 0
msg_nl:		db 10, 0
msg_past:	db "pm1: the sleep request went past Keel", 10, 0
msg_none:	db "pm1: no FADT", 10, 0
port:		dd 0
		times 1024 db 0
stack_top:
