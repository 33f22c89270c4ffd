; Isolation test guest, protected mode with paging off (loaded at
; 0x100000): reads, writes, executes, page-walks (CR3 = TARGET, then
; paging on), loads a segment descriptor from a GDT at TARGET, or
; string-stores (INSB) at TARGET. See isolation_access.inc.
BITS 32
ORG 0x100000

%include "hypercall.inc"
%include "isolation_access.inc"

%define CR0_PG (1 << 31)
%define CR4_PSE (1 << 4)

start:
	mov esp, stack_top
	lgdt [gdt_ptr]
	jmp 0x08:.reload
.reload:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	DETECT_VENDOR
	cli
	mov esi, TARGET

%if ACCESS == ACC_READ
	mov eax, [esi]
%elif ACCESS == ACC_WRITE
	mov dword [esi], 0x4C45454B
%elif ACCESS == ACC_EXEC
 %if CONTROL
	mov byte [esi], 0xC3		; ret
	call esi
 %else
	jmp esi
 %endif
%elif ACCESS == ACC_WALK
 %if CONTROL
	; A page directory at TARGET mapping 0-4 MiB with one 4 MiB page.
	mov edi, esi
	mov ecx, 1024
	xor eax, eax
	cld
	rep stosd
	mov dword [esi], 0x83		; present, writable, 4 MiB
	mov eax, cr4
	or eax, CR4_PSE
	mov cr4, eax
 %endif
	mov cr3, esi
	mov eax, cr0
	or eax, CR0_PG
	mov cr0, eax			; the next fetch walks the tables at TARGET
	jmp .paged
.paged:
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax
%elif ACCESS == ACC_GDT
 %if CONTROL
	mov edi, esi
	mov esi, gdt
	mov ecx, (gdt_end - gdt) / 4
	cld
	rep movsd
	mov esi, TARGET
 %endif
	mov [far_gdt_ptr + 2], esi
	lgdt [far_gdt_ptr]
	mov ax, 0x10
	mov ds, ax			; reads the descriptor at TARGET + 0x10
	lgdt [gdt_ptr]
	mov ax, 0x10
	mov ds, ax
%elif ACCESS == ACC_INS
	mov edi, esi
	mov dx, 0x80
	cld
	insb
%endif

	xor ebx, ebx
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

align 8
gdt:		dq 0
		dq 0x00CF9A000000FFFF	; 0x08: 32-bit code
		dq 0x00CF92000000FFFF	; 0x10: data
gdt_end:
gdt_ptr:	dw gdt_end - gdt - 1
		dd gdt
far_gdt_ptr:	dw gdt_end - gdt - 1
		dd 0
hc_is_amd:	db 0

align 16
		times 256 db 0
stack_top:
		times IMAGE_SIZE - ($ - $$) db 0
