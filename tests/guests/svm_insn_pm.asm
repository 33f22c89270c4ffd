; Test guest: the SVM instructions raise #UD in a protected-mode guest
; (loaded at 0x100000): VMRUN, VMLOAD, VMSAVE, STGI, CLGI and SKINIT.
; Unlike real mode, where the CPU may refuse them itself, here the CPU
; takes the intercept and Keel must inject #UD (exits: virt-insn=6).
; The guest loads its own GDT and an IDT whose #UD gate counts the
; faults and skips the 3-byte instruction.
; Exit code 0 when all six raised #UD; else 1 + the index (0-5, in the
; order above) of the first that did not.
BITS 32
ORG 0x100000

%include "hypercall.inc"

%define VEC_UD 6

; (The instructions are spelled as bytes: exactly 3 each, no prefix.)
%macro EXPECT_UD 2
	mov byte [ud_count], 0
	%1
	cmp byte [ud_count], 1
	mov esi, %2
	jne fail
%endmacro

start:
	mov esp, stack_top
	lgdt [gdt_ptr]
	jmp 0x08:.reload
.reload:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, ud_handler
	mov [idt + VEC_UD * 8], ax
	shr eax, 16
	mov [idt + VEC_UD * 8 + 6], ax
	lidt [idt_ptr]
	DETECT_VENDOR

	mov eax, 0x200000
	EXPECT_UD {db 0x0F, 0x01, 0xD8}, 1		; VMRUN
	EXPECT_UD {db 0x0F, 0x01, 0xDA}, 2		; VMLOAD
	EXPECT_UD {db 0x0F, 0x01, 0xDB}, 3		; VMSAVE
	EXPECT_UD {db 0x0F, 0x01, 0xDC}, 4		; STGI
	EXPECT_UD {db 0x0F, 0x01, 0xDD}, 5		; CLGI
	EXPECT_UD {db 0x0F, 0x01, 0xDE}, 6		; SKINIT
	xor esi, esi
fail:
	mov ebx, esi
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

ud_handler:
	inc byte [ud_count]
	add dword [esp], 3		; the saved EIP, past the instruction
	iretd

align 8
gdt:		dq 0
		dq 0x00CF9A000000FFFF	; 0x08: 32-bit code
		dq 0x00CF92000000FFFF	; 0x10: data
gdt_end:
gdt_ptr:	dw gdt_end - gdt - 1
		dd gdt

align 8
idt:		times VEC_UD dq 0
		dw 0			; offset 15:0 (filled in)
		dw 0x08			; selector
		db 0, 0x8E		; present, DPL 0, 32-bit interrupt gate
		dw 0			; offset 31:16 (filled in)
idt_end:
idt_ptr:	dw idt_end - idt - 1
		dd idt

ud_count:	db 0
hc_is_amd:	db 0

align 16
		times 256 db 0
stack_top:
