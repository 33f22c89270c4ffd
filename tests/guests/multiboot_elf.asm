; Test guest: the smallest Multiboot (v1) kernel in ELF32 form (no
; address fields: Keel loads it by its program headers, Multiboot 0.6.96
; section 3.1.3). It checks EAX = 0x2BADB002 (Multiboot 3.2), prints
; "multiboot elf ok" through hypercall 1 and ends with hypercall 2.
; Exit codes: 0 all good, 1 EAX is not 0x2BADB002.
;
; Build (the header must lie in the first 8 KiB of the file; .text comes
; first at file offset 0x1000, and nothing is placed below 1 MiB):
;   nasm -f elf32 -I tests/guests/ tests/guests/multiboot_elf.asm -o mbelf.o
;   ld -m elf_i386 -Ttext=0x100000 -e start mbelf.o -o MBELF.ELF
; It needs no GDT: Keel enters it with flat 4 GiB segments and it never
; reloads one.
BITS 32

%include "hypercall.inc"

MB_MAGIC	equ 0x1BADB002
MB_FLAGS	equ 1 << 1			; memory information
MB_BOOT_MAGIC	equ 0x2BADB002

section .text
align 4
mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)

global start
start:
	mov esp, stack_top		; Multiboot 3.2: ESP is undefined
	mov ebp, eax
	DETECT_VENDOR
	mov esi, msg_bad_eax
	mov edi, 1
	cmp ebp, MB_BOOT_MAGIC
	jne .print
	mov esi, msg_ok
	xor edi, edi
.print:
	HC_PRINT
	mov ebx, edi
	mov eax, HC_EXIT
	HYPERCALL
.halt:
	cli
	hlt
	jmp .halt

section .rodata
msg_ok:		db "multiboot elf ok", 10, 0
msg_bad_eax:	db "multiboot elf: FAIL eax is not 0x2BADB002", 10, 0

section .bss
hc_is_amd:	resb 1
alignb 16
		resb 4096
stack_top:

; No executable stack: keeps ld from warning about it.
section .note.GNU-stack noalloc noexec nowrite progbits
