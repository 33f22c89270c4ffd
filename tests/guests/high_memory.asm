; Test guest: page tables and code above 4 GiB, and an APIC write from
; there (long mode, loaded at 0x100000). It builds an identity map of the
; first 4 GiB at HIGH (-DHIGH=, a 2 MiB-aligned guest-physical address in
; RAM above 4 GiB), maps the 4 KiB page HIGH + 10000h through a page table
; of its own up there, copies a few instructions to it, switches CR3 to
; HIGH and calls them: they write the local APIC's TPR. A write to the
; APIC page exits, and Keel fetches the instruction through the guest's
; page tables (hv/lapic.c, hv/gva.c): every level of that walk and the
; instruction bytes lie above 4 GiB. Where the APIC write does not exit
; (a CPU that virtualizes the APIC), the guest still checks the write.
; Exit code 0: the TPR read back as written; 1: it did not.
BITS 64
ORG 0x100000
DEFAULT REL

%include "hypercall.inc"
%include "long_mode.inc"

%ifndef HIGH
%error "assemble with -DHIGH=<2 MiB-aligned address of RAM above 4 GiB>"
%endif
%define LOW_PT 0x70000		; PML4, PDPT, 4 PDs for 0-4 GiB, 1 PD for HIGH's GiB
%define PML4(b) (b)
%define PDPT(b) ((b) + 0x1000)
%define PD(b, i) ((b) + 0x2000 + (i) * 0x1000)
%define PD_HIGH(b) ((b) + 0x6000)
%define PT_HIGH(b) ((b) + 0x7000)
%define CODE (HIGH + 0x10000)
%define PTE_P_RW 0x3
%define PTE_PS 0x80
%define APIC_TPR 0x80
%define TPR_VALUE 0x20

start:
	LONG_MODE_START
	DETECT_VENDOR
	cli
	; Low tables, so that HIGH's 2 MiB page can be written.
	mov rdi, LOW_PT
	call build_tables
	mov rax, HIGH | PTE_P_RW | PTE_PS
	mov [abs PD_HIGH(LOW_PT) + ((HIGH >> 21) & 511) * 8], rax
	mov eax, LOW_PT
	mov cr3, rax
	; The same tables at HIGH, plus a 4 KiB page table for CODE.
	mov rdi, HIGH
	call build_tables
	mov rax, PT_HIGH(HIGH) | PTE_P_RW
	mov rdi, PD_HIGH(HIGH) + ((CODE >> 21) & 511) * 8
	mov [rdi], rax
	mov rax, CODE | PTE_P_RW
	mov rdi, PT_HIGH(HIGH) + ((CODE >> 12) & 511) * 8
	mov [rdi], rax
	lea rsi, [high_code]
	mov rdi, CODE
	mov ecx, high_code_end - high_code
	cld
	rep movsb
	; The APIC's page, from IA32_APIC_BASE.
	mov ecx, 0x1B
	rdmsr
	shl rdx, 32
	or rax, rdx
	and rax, ~0xFFF
	mov rbx, rax
	mov rax, HIGH
	mov cr3, rax
	mov rax, CODE
	call rax			; TPR = 20h, from code above 4 GiB
	mov eax, LOW_PT
	mov cr3, rax
	mov r12d, [rbx + APIC_TPR]
	mov dword [rbx + APIC_TPR], 0
	lea rsi, [msg]
	HC_PRINT
	xor ebx, ebx
	cmp r12b, TPR_VALUE
	je .exit
	mov ebx, 1
.exit:
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

; Identity map of 0-4 GiB in 2 MiB pages at RDI (PML4, PDPT, four PDs),
; and an empty PD for HIGH's GiB. Clobbers RAX, RCX, RDX, RDI.
build_tables:
	mov rdx, rdi
	mov ecx, 8 * 512
	xor eax, eax
	cld
	rep stosq
	lea rax, [rdx + 0x1000 + PTE_P_RW]
	mov [rdx], rax				; PML4[0]
	xor ecx, ecx
.pdpt:
	mov rax, rcx
	shl rax, 12
	lea rax, [rdx + rax + 0x2000 + PTE_P_RW]
	mov [rdx + 0x1000 + rcx * 8], rax
	inc ecx
	cmp ecx, 4
	jb .pdpt
	lea rax, [rdx + 0x6000 + PTE_P_RW]
	mov [rdx + 0x1000 + (HIGH >> 30) * 8], rax
	xor ecx, ecx
.pd:
	mov rax, rcx
	shl rax, 21
	or rax, PTE_P_RW | PTE_PS
	mov [rdx + 0x2000 + rcx * 8], rax
	inc ecx
	cmp ecx, 4 * 512
	jb .pd
	ret

; Copied to CODE and run there: RBX = the APIC page.
high_code:
	mov dword [rbx + APIC_TPR], TPR_VALUE
	ret
high_code_end:

msg:		db "APIC write from code and page tables above 4 GiB done", 0
LONG_MODE_GDT
hc_is_amd:	db 0
align 16
		times 256 db 0
stack_top:
