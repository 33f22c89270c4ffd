; Hostile guest: VMRUN, VMLOAD and VMSAVE with rAX values a CPU with SVM
; refuses with #GP before it checks the intercept (APM vol. 2 15.5: not
; page-aligned), in protected mode (loaded at 0x100000) with an IDT of its
; own. Keel hides SVM, so each must raise #UD, as on a CPU without it.
; Then the #GPs that are the guest's own must still reach it as the CPU
; raised them: a bad selector loaded into DS (#GP with the selector as the
; error code), a #UD whose gate names a bad code selector (#GP during the
; delivery: the selector again), and a #GP whose own gate is bad (a double
; fault, error code 0); and a null SS and INT n past the IDT's limit.
; Each check that fails prints "svm rax: CHECK: vector V error E" and sets
; its bit in the mask. Finally it prints "svm rax: N checks, mask
; 0xMMMMMMMM" (N = 18, or 17 with -DNO_INT_N) and makes its #DF gate bad
; too and raises #GP: a triple fault, which ends the guest (stop
; reason=triple-fault) -- never a loop of exits.
BITS 32
ORG 0x100000

%include "hypercall.inc"

CODE_SEL	equ 0x08
DATA_SEL	equ 0x10
BAD_SEL		equ 0x1230		; GDT index 0x246: past the GDT's limit
VEC_NONE	equ 0xFF
VEC_UD		equ 6
VEC_DF		equ 8
VEC_GP		equ 13
NO_ERROR	equ 0xFFFFFFFF

	jmp start

; TRY ... CHECK name, vector, error[, mask]: the code between runs with a
; recovery point armed; then what arrived is compared with the vector and
; (the error code AND mask) with the error (NO_ERROR: none was pushed).
%assign check_idx 0
%macro TRY 0
%push try
	mov dword [resume_eip], %$resume
	mov [resume_esp], esp
	mov byte [last_vec], VEC_NONE
	mov dword [last_err], NO_ERROR
%endmacro

%macro CHECK 3-4 0xFFFFFFFF
%$resume:
	mov ax, DATA_SEL
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov esp, [resume_esp]
	cmp byte [last_vec], %2
	jne %$bad
	mov eax, [last_err]
	and eax, %4
	cmp eax, %3
	je %$ok
%$bad:
	bts dword [mask], check_idx
	mov esi, %$name
	call report
	jmp %$ok
%$name:	db %1, 0
%$ok:
%assign check_idx check_idx + 1
%pop
%endmacro

; SET_GATE vector, handler, selector
%macro SET_GATE 3
	mov eax, %2
	mov [idt + %1 * 8], ax
	mov word [idt + %1 * 8 + 2], %3
	mov word [idt + %1 * 8 + 4], 0x8E00	; present, DPL 0, 32-bit interrupt gate
	shr eax, 16
	mov [idt + %1 * 8 + 6], ax
%endmacro

start:
	cli
	mov esp, stack_top
	lgdt [gdt_ptr]
	jmp CODE_SEL:.reload
.reload:
	mov ax, DATA_SEL
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	DETECT_VENDOR
	SET_GATE VEC_UD, ud_handler, CODE_SEL
	SET_GATE VEC_DF, df_handler, CODE_SEL
	SET_GATE VEC_GP, gp_handler, CODE_SEL
	lidt [idt_ptr]

	; Unaligned rAX: #GP on a CPU with SVM, #UD without.
%macro SVM_RAX 3
	TRY
	mov eax, %2
	db 0x0F, 0x01, %3
	CHECK %1, VEC_UD, NO_ERROR
%endmacro
	SVM_RAX "VMRUN rax=0x200001", 0x200001, 0xD8
	SVM_RAX "VMRUN rax=0x200ff8", 0x200FF8, 0xD8
	SVM_RAX "VMRUN rax=0xffffffff", 0xFFFFFFFF, 0xD8
	SVM_RAX "VMLOAD rax=0x200001", 0x200001, 0xDA
	SVM_RAX "VMLOAD rax=0x200800", 0x200800, 0xDA
	SVM_RAX "VMLOAD rax=0xffffffff", 0xFFFFFFFF, 0xDA
	SVM_RAX "VMSAVE rax=0x200001", 0x200001, 0xDB
	SVM_RAX "VMSAVE rax=0x200004", 0x200004, 0xDB
	SVM_RAX "VMSAVE rax=0xffffffff", 0xFFFFFFFF, 0xDB
	; Aligned: the intercept's #UD, as before.
	SVM_RAX "VMRUN rax=0x200000", 0x200000, 0xD8
	SVM_RAX "VMSAVE rax=0x200000", 0x200000, 0xDB
	; With prefixes: the address-size prefix makes the operand AX.
	TRY
	mov eax, 0x200001
	db 0x67, 0x0F, 0x01, 0xD8
	CHECK "67 VMRUN ax=0x0001", VEC_UD, NO_ERROR
	TRY
	mov eax, 0x200001
	db 0x3E, 0x0F, 0x01, 0xDA
	CHECK "3E VMLOAD rax=0x200001", VEC_UD, NO_ERROR

	; The guest's own #GPs arrive as the CPU raised them.
	TRY
	mov eax, BAD_SEL
	mov ds, ax
	CHECK "mov ds, bad selector", VEC_GP, BAD_SEL
	TRY
	xor eax, eax
	mov ss, ax
	CHECK "mov ss, null selector", VEC_GP, 0
%ifndef NO_INT_N
	; INT n past the IDT's limit: error code n * 8 + 2 (IDT bit). (Bochs
	; 2.7's SVM reports a stale EXITINTINFO for a fault while it delivers
	; INT n: its test leaves this out, docs/emulators.md.)
	TRY
	int 0x80
	CHECK "int 0x80 past the IDT", VEC_GP, 0x80 * 8 + 2
%endif
	; A fault while the CPU delivers #UD: #GP, bit 0 (EXT) left out.
	SET_GATE VEC_UD, ud_handler, BAD_SEL
	TRY
	ud2
	CHECK "#UD through a bad gate", VEC_GP, BAD_SEL, ~1
	SET_GATE VEC_UD, ud_handler, CODE_SEL
	; ...while it delivers #GP: a double fault.
	SET_GATE VEC_GP, gp_handler, BAD_SEL
	TRY
	mov eax, BAD_SEL
	mov ds, ax
	CHECK "#GP through a bad gate", VEC_DF, 0
	SET_GATE VEC_GP, gp_handler, CODE_SEL

%defstr CHECKS check_idx
	mov esi, msg_total
	call puts
	mov esi, msg_checks
	call puts
	mov eax, [mask]
	call puthex
	mov esi, msg_nl
	call puts
	; Every gate of the chain bad: the CPU shuts down (a triple fault).
	SET_GATE VEC_GP, gp_handler, BAD_SEL
	SET_GATE VEC_DF, df_handler, BAD_SEL
	mov eax, BAD_SEL
	mov ds, ax
	mov ebx, 0xEE			; not reached: Keel stops the guest
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

; Handlers: record the vector and error code, resume at the check's end.
ud_handler:
	push dword NO_ERROR
	push dword VEC_UD
	jmp handler_common
df_handler:
	push dword VEC_DF
	jmp handler_common
gp_handler:
	push dword VEC_GP
handler_common:
	mov ax, DATA_SEL
	mov ds, ax
	pop eax
	mov [last_vec], al
	pop eax
	mov [last_err], eax
	mov esp, [resume_esp]
	jmp [resume_eip]

; "svm rax: NAME: vector V error E" for the check whose name is at ESI.
report:
	push esi
	mov esi, msg_head
	call puts
	pop esi
	call puts
	mov esi, msg_vec
	call puts
	movzx eax, byte [last_vec]
	call puthex
	mov esi, msg_err
	call puts
	mov eax, [last_err]
	call puthex
	mov esi, msg_nl
	call puts
	ret

puts:
	HC_PRINT
	ret

; EAX as 8 hex digits. Keeps every register.
puthex:
	pushad
	HC_PRINT_HEX 8
	popad
	ret

msg_head:	db "svm rax: ", 0
msg_vec:	db ": vector 0x", 0
msg_err:	db " error 0x", 0
msg_total:	db "svm rax: ", 0
msg_checks:	db CHECKS, " checks, mask 0x", 0
msg_nl:		db 10, 0
hc_is_amd:	db 0
align 4
mask:		dd 0
last_err:	dd 0
resume_eip:	dd 0
resume_esp:	dd 0
last_vec:	db 0
align 8
gdt:		dq 0
		dq 0x00CF9A000000FFFF	; 0x08: 32-bit code
		dq 0x00CF92000000FFFF	; 0x10: data
gdt_end:
gdt_ptr:	dw gdt_end - gdt - 1
		dd gdt
align 8
idt:		times 32 dq 0
idt_ptr:	dw 32 * 8 - 1
		dd idt
align 16
		times 1024 db 0
stack_top:
