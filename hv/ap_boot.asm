; The application processors' way into Keel (hv/smp.c). hv/smp.c copies
; this code to a free page below 640 KiB that the hand-off's memory map
; shows as RAM (on a BIOS machine and under UEFI alike; no fixed address:
; UEFI firmware may use any low page), fills in the four quadwords at its
; end, and sends INIT-SIPI-SIPI to one AP at a time. A start-up IPI with
; vector VV starts the AP in real mode at VV00:0000 (Intel SDM vol. 3A
; 9.4.4). The AP goes to protected mode, then to long mode on Keel's own
; page tables (CR3 below 4 GiB; the first 4 GiB are identity-mapped there,
; so this page stays reachable), and calls ap_tr_entry(ap_tr_arg) on the
; stack ap_tr_stack (SDM 10.8.5, entering IA-32e mode): ap_main() with the
; AP's struct percpu.
;
; The code runs wherever it was copied: real mode addresses it through CS,
; protected mode through EBX = the page's linear address, 64-bit mode
; RIP-relative. The top of the page is its stack until 64-bit mode.

%define OFF(x) ((x) - ap_trampoline)
%define CR0_PE 1
%define CR0_NW (1 << 29)
%define CR0_CD (1 << 30)
%define CR0_PG (1 << 31)
%define CR4_PAE (1 << 5)
%define MSR_EFER 0xC0000080
%define EFER_LME (1 << 8)
%define TRAMPOLINE_PAGE 0x1000

global ap_trampoline, ap_trampoline_end, ap_tr_cr3, ap_tr_stack, ap_tr_entry, ap_tr_arg

section .text
BITS 16
ap_trampoline:
	cli
	cld
	mov ax, cs
	mov ds, ax
	mov ss, ax
	mov sp, TRAMPOLINE_PAGE
	movzx ebx, ax
	shl ebx, 4			; EBX = this page's linear address
	; The GDT pointer holds a linear address: this copy's.
	lea eax, [ebx + OFF(tr_gdt)]
	mov [OFF(tr_gdt_ptr) + 2], eax
	o32 lgdt [OFF(tr_gdt_ptr)]
	mov eax, cr0
	or eax, CR0_PE
	mov cr0, eax
	; A far return loads CS with the 32-bit code segment at a target
	; known only now (a far jump's target is fixed in the code).
	lea eax, [ebx + OFF(pm32)]
	push dword 0x08
	push eax
	o32 retf

BITS 32
pm32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	lea esp, [ebx + TRAMPOLINE_PAGE]
	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, [ebx + OFF(ap_tr_cr3)]
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	mov eax, cr0
	and eax, ~(CR0_CD | CR0_NW)	; INIT left caching off
	or eax, CR0_PG
	mov cr0, eax
	lea eax, [ebx + OFF(lm64)]
	push dword 0x18
	push eax
	retf

BITS 64
lm64:
	mov rsp, [rel ap_tr_stack]
	mov rdi, [rel ap_tr_arg]
	mov rax, [rel ap_tr_entry]
	call rax			; does not return
.dead:
	cli
	hlt
	jmp .dead

align 8
tr_gdt:
	dq 0
	dq 0x00CF9A000000FFFF		; 08h: 32-bit code
	dq 0x00CF92000000FFFF		; 10h: data
	dq 0x00AF9A000000FFFF		; 18h: 64-bit code
tr_gdt_ptr:
	dw tr_gdt_ptr - tr_gdt - 1
	dd 0				; set by the code above
align 8
ap_tr_cr3:	dq 0
ap_tr_stack:	dq 0
ap_tr_entry:	dq 0
ap_tr_arg:	dq 0
ap_trampoline_end:
