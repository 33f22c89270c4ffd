; Test guest: a Multiboot (v1) kernel (a.out kludge, loaded at 0x100000)
; that never loads a GDT of its own and takes an exception first thing,
; as kernels do that set up an IDT before their GDT. Multiboot 3.2 leaves
; GDTR undefined; GRUB and QEMU's -kernel leave a flat GDT behind, and so
; does Keel (docs/config.md "guest multiboot": CS 0x08, data 0x10).
;
; It sets up an IDT whose gates name code selector 0x08 and raises #UD
; with UD2: delivering it loads CS from the loader's GDT. The handler
; reloads DS, ES, FS, GS and SS with 0x10, checks that CS is 0x08 and that
; SGDT shows a table holding both selectors, prints
;   multiboot no gdt: #UD caught, cs=0x08, gdt limit 0x0017
; and ends with exit code 0. Without a usable GDT the delivery faults
; again and the guest triple-faults (the bug this tests).
; Exit codes: 0 all good, 1 CS is not 0x08 in the handler, 2 the GDT
; limit does not cover selector 0x10, 3 the #UD came back (UD2 resumed).
BITS 32
ORG 0x100000

%include "hypercall.inc"

MB_MAGIC	equ 0x1BADB002
MB_FLAGS	equ (1 << 1) | (1 << 16)	; memory information; address fields
CODE_SEL	equ 0x08
DATA_SEL	equ 0x10
VEC_UD		equ 6

mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)
	dd mb_header			; header_addr
	dd $$				; load_addr
	dd image_end			; load_end_addr
	dd image_end			; bss_end_addr: no bss
	dd start			; entry_addr

start:
	cli
	mov esp, stack_top
	DETECT_VENDOR
	; An interrupt gate for #UD (SDM 6.11): offset, selector 0x08,
	; present, DPL 0, 32-bit.
	mov eax, ud_handler
	mov [idt + VEC_UD * 8], ax
	mov word [idt + VEC_UD * 8 + 2], CODE_SEL
	mov word [idt + VEC_UD * 8 + 4], 0x8E00
	shr eax, 16
	mov [idt + VEC_UD * 8 + 6], ax
	lidt [idt_ptr]
	ud2				; delivered through the loader's GDT
	mov ebx, 3			; the handler never returns here
	jmp exit

ud_handler:
	mov ax, DATA_SEL		; every data segment from the loader's GDT
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov esp, stack_top
	mov ebx, 1
	mov ax, cs
	cmp ax, CODE_SEL
	jne exit
	sgdt [gdtr]
	mov ebx, 2
	cmp word [gdtr], DATA_SEL + 7	; the limit must reach the data descriptor
	jb exit
	mov esi, msg
	call puts
	movzx eax, word [gdtr]
	HC_PRINT_HEX 4
	mov esi, msg_nl
	call puts
	xor ebx, ebx
exit:
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

puts:
	HC_PRINT
	ret

msg:		db "multiboot no gdt: #UD caught, cs=0x08, gdt limit 0x", 0
msg_nl:		db 10, 0
hc_is_amd:	db 0
align 8
idt:		times 32 dq 0
idt_ptr:	dw 32 * 8 - 1
		dd idt
gdtr:		dw 0
		dd 0
align 16
		times 1024 db 0
stack_top:
image_end:
