; Isolation test guest, long mode (loaded at 0x100000, entered in 64-bit
; mode). It builds page tables of its own at 0x70000 (identity map of the
; first 4 GiB in 2 MiB pages, plus the 2 MiB page holding TARGET when that
; lies above 4 GiB), so that it can reach any guest-physical address, then
; reads, writes, executes, page-walks (CR3 = TARGET) or loads a segment
; descriptor from a GDT at TARGET. See isolation_access.inc.
BITS 64
ORG 0x100000
DEFAULT REL

%include "hypercall.inc"
%include "long_mode.inc"
%include "isolation_access.inc"

%define PT_BASE 0x70000		; PML4, PDPT, 4 PDs below 4 GiB, 1 PD above
%define PML4 PT_BASE
%define PDPT (PT_BASE + 0x1000)
%define PD0 (PT_BASE + 0x2000)
%define PD_HIGH (PT_BASE + 0x6000)
%define PTE_P_RW 0x3
%define PTE_PS 0x80

start:
	LONG_MODE_START
	DETECT_VENDOR
	cli

	; Page tables: clear 7 pages, then fill them.
	mov edi, PT_BASE
	mov ecx, 7 * 512
	xor eax, eax
	cld
	rep stosq
	mov qword [abs PML4], PDPT | PTE_P_RW
	xor ecx, ecx
.pdpt:
	lea rax, [rcx * 8]
	shl rax, 9			; rcx * 0x1000
	add rax, PD0 | PTE_P_RW
	mov [abs PDPT + rcx * 8], rax
	inc ecx
	cmp ecx, 4
	jb .pdpt
	xor ecx, ecx
.pd:
	mov rax, rcx
	shl rax, 21
	or rax, PTE_P_RW | PTE_PS
	mov [abs PD0 + rcx * 8], rax
	inc ecx
	cmp ecx, 4 * 512
	jb .pd
	mov rsi, strict qword TARGET
%if TARGET >= 0x100000000
	mov rax, rsi
	shr rax, 30
	mov qword [abs PDPT + rax * 8], PD_HIGH | PTE_P_RW
	mov rax, rsi
	shr rax, 21
	and eax, 511
	mov rdx, rsi
	and rdx, ~0x1FFFFF
	or rdx, PTE_P_RW | PTE_PS
	mov [abs PD_HIGH + rax * 8], rdx
%endif
	mov eax, PML4
	mov cr3, rax

%if ACCESS == ACC_READ
	mov eax, [rsi]
%elif ACCESS == ACC_WRITE
	mov dword [rsi], 0x4C45454B
%elif ACCESS == ACC_EXEC
 %if CONTROL
	mov byte [rsi], 0xC3		; ret
	call rsi
 %else
	jmp rsi
 %endif
%elif ACCESS == ACC_WALK
 %if CONTROL
	mov rdi, rsi			; a copy of our PML4 at TARGET
	mov esi, PML4
	mov ecx, 512
	cld
	rep movsq
	mov rsi, strict qword TARGET
 %endif
	mov cr3, rsi			; the next fetch walks the PML4 at TARGET
	jmp .walked
.walked:
	mov eax, PML4
	mov cr3, rax
%elif ACCESS == ACC_GDT
 %if CONTROL
	mov rdi, rsi
	lea rsi, [gdt]
	mov ecx, (gdt_end - gdt) / 8
	cld
	rep movsq
	mov rsi, strict qword TARGET
 %endif
	mov [far_gdt_ptr + 2], rsi
	lgdt [far_gdt_ptr]
	mov ax, 0x10
	mov ds, ax			; reads the descriptor at TARGET + 0x10
	lgdt [gdt_ptr]
	mov ax, 0x10
	mov ds, ax
%elif ACCESS == ACC_INS
	mov rdi, rsi
	mov dx, 0x80
	cld
	insb
%endif

	xor ebx, ebx
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

LONG_MODE_GDT
far_gdt_ptr:	dw gdt_end - gdt - 1
		dq 0
hc_is_amd:	db 0

align 16
		times 256 db 0
stack_top:
		times IMAGE_SIZE - ($ - $$) db 0
