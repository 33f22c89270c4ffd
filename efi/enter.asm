; The EFI loader's last step: from the firmware's long mode to Keel's
; entry, on the same GDT selectors, page tables and registers as stage 2
; gives (docs/handoff.md). Boot services have ended.
;
; efi/boot.c copies this code into a page below 4 GiB that Keel's page
; tables identity-map, so that the instruction after the CR3 load is still
; mapped; it is position-independent (RIP-relative only). The argument is
; a struct efi_enter (efi/boot.c), below 4 GiB too.

BITS 64
DEFAULT REL

global efi_enter_code, efi_enter_code_end

; struct efi_enter (efi/boot.c asserts the same offsets)
EE_GDTR		equ 38		; u16 limit, u64 base: lgdt's operand
EE_CR3		equ 48
EE_ENTRY	equ 56
EE_STACK	equ 64
EE_ARGS		equ 72		; RDI, RSI, RDX, RCX, R8, R9

SEL_CODE64	equ 0x18	; stage 2's selectors (stage2/entry.asm)
SEL_DATA	equ 0x10

section .text

; void efi_enter_code(const struct efi_enter *e)  -- System V: e in RDI.
efi_enter_code:
	cli
	cld
	mov rbx, rdi
	lgdt [rbx + EE_GDTR]
	; Reload CS with a far return: a far jump cannot take a 64-bit
	; target on every vendor (AMD APM vol. 3, JMP FAR).
	lea rax, [.reload]
	push SEL_CODE64
	push rax
	o64 retf
.reload:
	mov eax, SEL_DATA
	mov ds, eax
	mov es, eax
	mov ss, eax
	mov fs, eax
	mov gs, eax
	mov rsp, [rbx + EE_STACK]
	; Keel's tables: the first 4 GiB identity-mapped (this page among
	; them), HV_VIRT_BASE on Keel's region.
	mov rax, [rbx + EE_CR3]
	mov cr3, rax
	mov rax, [rbx + EE_ENTRY]
	mov rdi, [rbx + EE_ARGS + 0]
	mov rsi, [rbx + EE_ARGS + 8]
	mov rdx, [rbx + EE_ARGS + 16]
	mov rcx, [rbx + EE_ARGS + 24]
	mov r8, [rbx + EE_ARGS + 32]
	mov r9, [rbx + EE_ARGS + 40]
	xor ebp, ebp
	jmp rax
efi_enter_code_end:
