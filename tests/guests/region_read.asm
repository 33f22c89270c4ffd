; Test guest: a read from Keel's own region (protected mode, paging off,
; loaded at 0x100000). Keel's memory is not mapped for guests, so even a
; read is a nested-page fault and Keel stops the guest (reason=fault, with
; a line "guest read at 0x... (Keel's region)"): a guest never sees Keel's
; code or data. The address is given when the guest is assembled:
; nasm -DTARGET=0x.... Aimed at ordinary RAM, the read succeeds: exit code 0.
BITS 32
ORG 0x100000

%include "hypercall.inc"

%ifndef TARGET
%error "assemble with -DTARGET=<physical address to read>"
%endif

start:
	mov esp, stack_top
	DETECT_VENDOR
	mov eax, [TARGET]
	xor ebx, ebx
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

hc_is_amd:	db 0

align 16
		times 256 db 0
stack_top:
