; The application processors' way into Keel (hv/smp.c). hv/smp.c copies
; this code to AP_TRAMPOLINE (the page a start-up IPI with vector 08h
; starts an AP at, in real mode), fills in the four quadwords at its end,
; and sends INIT-SIPI-SIPI to one AP at a time. The AP goes to protected
; mode, then to long mode on Keel's own page tables (CR3 below 4 GiB; the
; first 4 GiB are identity-mapped there, so this page stays reachable), and
; calls ap_tr_entry(ap_tr_arg) on the stack ap_tr_stack: ap_main() with
; the AP's struct percpu. Intel SDM vol. 3A 9.4.4 (the MP start-up) and
; 10.8.5 (entering IA-32e mode).
;
; The code runs at AP_TRAMPOLINE, not where it is linked: every address in
; it is AT(label), computed from the label's offset in this blob.

%define AP_TRAMPOLINE 0x8000	; hv/smp.c: the same value
%define AT(x) (AP_TRAMPOLINE + (x) - ap_trampoline)
%define CR0_PE 1
%define CR0_NW (1 << 29)
%define CR0_CD (1 << 30)
%define CR0_PG (1 << 31)
%define CR4_PAE (1 << 5)
%define MSR_EFER 0xC0000080
%define EFER_LME (1 << 8)

global ap_trampoline, ap_trampoline_end, ap_tr_cr3, ap_tr_stack, ap_tr_entry, ap_tr_arg

section .text
BITS 16
ap_trampoline:
	cli
	cld
	xor ax, ax
	mov ds, ax
	o32 lgdt [AT(tr_gdt_ptr)]
	mov eax, cr0
	or eax, CR0_PE
	mov cr0, eax
	jmp dword 0x08:AT(pm32)

BITS 32
pm32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, [AT(ap_tr_cr3)]
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	mov eax, cr0
	and eax, ~(CR0_CD | CR0_NW)	; INIT left caching off
	or eax, CR0_PG
	mov cr0, eax
	jmp 0x18:AT(lm64)

BITS 64
lm64:
	mov rsp, [abs AT(ap_tr_stack)]
	mov rdi, [abs AT(ap_tr_arg)]
	mov rax, [abs AT(ap_tr_entry)]
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
	dd AT(tr_gdt)
align 8
ap_tr_cr3:	dq 0
ap_tr_stack:	dq 0
ap_tr_entry:	dq 0
ap_tr_arg:	dq 0
ap_trampoline_end:
