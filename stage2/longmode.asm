; The way from real mode to long mode, and into the hypervisor.
;
; SDM 9.8.5 (Initializing IA-32e Mode): enter protected mode with paging
; off, enable PAE, load CR3 with the PML4, set EFER.LME, then enable paging;
; the CPU is then in IA-32e mode and a far jump to a code segment with L=1
; enters 64-bit mode.

BITS 16

extern gdt16_desc
global enter_long_mode

SEL_CODE32	equ 0x08
SEL_DATA32	equ 0x10
SEL_CODE64	equ 0x18

CR0_PE		equ 1 << 0
CR0_NW		equ 1 << 29
CR0_CD		equ 1 << 30
CR0_PG		equ 1 << 31
CR4_PAE		equ 1 << 5
MSR_EFER	equ 0xC0000080
EFER_LME	equ 1 << 8

; struct lm_handoff (stage2/stage2.h): the page tables and where to go.
LM_PML4		equ 0	; u32
LM_ENTRY	equ 8	; u64: the hypervisor's entry (virtual)
LM_ARG0		equ 16	; u64 each: RDI, RSI, RDX, RCX at entry
LM_ARG1		equ 24
LM_ARG2		equ 32
LM_ARG3		equ 40

section .text

; void enter_long_mode(const struct lm_handoff *h) -- does not return.
enter_long_mode:
	cli
	mov esi, eax			; h, a linear address below 64 KiB
	lgdt [gdt16_desc]
	mov eax, cr0
	or eax, CR0_PE
	mov cr0, eax
	jmp dword SEL_CODE32:.pm32	; load CS with the 32-bit code segment

BITS 32
.pm32:
	mov ax, SEL_DATA32
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	movzx esp, sp

	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, [esi + LM_PML4]
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	; Paging on (IA-32e mode becomes active). Bochs' BIOS leaves CR0.CD and
	; CR0.NW set; caches are wanted from here on.
	mov eax, cr0
	and eax, ~(CR0_CD | CR0_NW)
	or eax, CR0_PG
	mov cr0, eax
	jmp SEL_CODE64:.lm64

BITS 64
.lm64:
	mov eax, esi			; zero-extends: h is below 4 GiB
	mov rsi, rax
	mov rax, [rsi + LM_ENTRY]
	mov rdi, [rsi + LM_ARG0]
	mov rdx, [rsi + LM_ARG2]
	mov rcx, [rsi + LM_ARG3]
	mov rsi, [rsi + LM_ARG1]
	xor r8d, r8d			; no RSDP from the firmware: Keel scans for it
	xor r9d, r9d			; boot flags: legacy BIOS (docs/handoff.md)
	mov esp, esp			; clear the upper half of RSP
	and rsp, -16
	call rax
.halt:
	cli
	hlt
	jmp .halt
