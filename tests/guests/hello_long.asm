; Test guest: long-mode hello. Loaded at 0x100000 and entered there in
; 64-bit mode on Keel's identity map of the first 4 GiB (CR3=0x1000), with
; flat CS=0x08/DS=0x10 hidden state but no GDT or IDT in memory: it loads
; its own GDT, reloads CS with a far return and the data segments, checks
; EFER.LMA through CR0.PG/CR4.PAE, prints a line through hypercall 1 and
; ends with exit code 0 (hypercall 2).
; Exit codes: 0 all good, 1 CR0.PG or CR0.PE clear, 2 CR4.PAE clear,
; 3 CS after the reload is not 0x08.
BITS 64
ORG 0x100000
DEFAULT REL

%include "hypercall.inc"
%include "long_mode.inc"

start:
	; Keel starts RSP at the load address; below 0x100000 lies the BIOS
	; area (read-only shadow ROM): use a stack of our own from the start.
	LONG_MODE_START
	DETECT_VENDOR

	mov rax, cr0
	mov ebx, 1
	bt rax, 31			; PG
	jnc exit
	bt rax, 0			; PE
	jnc exit
	mov rax, cr4
	mov ebx, 2
	bt rax, 5			; PAE
	jnc exit
	mov ax, cs
	mov ebx, 3
	cmp ax, 0x08
	jne exit

	lea rsi, [msg]
	HC_PRINT
	xor ebx, ebx
exit:
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

LONG_MODE_GDT

msg:		db "hello from a long-mode guest", 10, 0
hc_is_amd:	db 0

align 16
		times 256 db 0
stack_top:
