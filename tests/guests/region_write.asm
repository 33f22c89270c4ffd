; Test guest: a write into Keel's own region (protected mode, paging off,
; loaded at 0x100000). Keel's memory is not mapped for guests, so the write
; is a nested-page fault and Keel stops the guest (reason=fault, with a
; line naming the address and "Keel's region"). The address is given when
; the guest is assembled: nasm -DTARGET=0x... (the test reads Keel's region
; base from its log). Aimed at ordinary RAM, the write succeeds and the
; guest reads it back: exit code 0 (1 if the value did not stick).
BITS 32
ORG 0x100000

%include "hypercall.inc"

%ifndef TARGET
%error "assemble with -DTARGET=<physical address to write>"
%endif

start:
	mov esp, stack_top
	DETECT_VENDOR
	mov dword [TARGET], 0x4B45454C	; "LEEK"
	xor ebx, ebx
	cmp dword [TARGET], 0x4B45454C
	je exit
	mov ebx, 1
exit:
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

hc_is_amd:	db 0

align 16
		times 256 db 0
stack_top:
