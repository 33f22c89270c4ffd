; Test guest: protected-mode hello. Loaded at 0x100000 and entered there
; with CR0.PE=1, paging off and flat 4 GiB CS=0x08/DS=0x10 hidden state,
; but no GDT or IDT in memory: it loads its own GDT and reloads every
; segment register from it, checks it really is in protected mode, prints
; a line through hypercall 1 and ends with exit code 0 (hypercall 2).
; Exit codes: 0 all good, 1 CR0.PE clear, 2 the reloaded segments are not
; the GDT's (a far jump or data load went wrong).
BITS 32
ORG 0x100000

%include "hypercall.inc"

start:
	lgdt [gdt_ptr]
	jmp 0x08:.reload
.reload:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov esp, stack_top
	DETECT_VENDOR

	smsw ax
	test al, 1			; CR0.PE
	mov ebx, 1
	jz exit
	mov ax, cs
	cmp ax, 0x08
	mov ebx, 2
	jne exit

	mov esi, msg
	HC_PRINT
	xor ebx, ebx
exit:
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

align 8
gdt:		dq 0
		dq 0x00CF9A000000FFFF	; 0x08: 32-bit code, base 0, 4 GiB
		dq 0x00CF92000000FFFF	; 0x10: data, base 0, 4 GiB
gdt_end:
gdt_ptr:	dw gdt_end - gdt - 1
		dd gdt

msg:		db "hello from a protected-mode guest", 10, 0
hc_is_amd:	db 0

align 16
		times 256 db 0
stack_top:
