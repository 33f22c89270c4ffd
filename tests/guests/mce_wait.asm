; Test guest: machine checks while Keel waits for the guest's next
; interrupt (real mode, loaded at 0x10000). It sets CR4.MCE, takes vector
; 18 itself, masks both PICs so that nothing but a machine check can end
; its HLTs, prints "mce: waiting", and halts with interrupts on until two
; machine checks have come (the test injects them with QEMU's monitor
; command mce). Its handler counts and returns without touching
; MCG_STATUS: that MCIP is clear for the second one is Keel's doing.
; Each HLT exits to Keel, which halts in the guest's place, so each #MC
; arrives in Keel (hv/mce.c) and must be handed on. Prints "mce: 2
; machine checks" and exits with 0.
BITS 16
ORG 0

%include "hypercall.inc"

%define CR4_MCE (1 << 6)
%define VEC_MC 18

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	cli
	xor ax, ax
	mov es, ax
	mov word [es:VEC_MC * 4], mc_handler
	mov [es:VEC_MC * 4 + 2], cs
	mov al, 0xFF
	out 0x21, al
	out 0xA1, al
	mov eax, cr4
	or eax, CR4_MCE
	mov cr4, eax
	mov si, msg_wait
	HC_PRINT
.wait:
	sti
	hlt
	cli
	cmp byte [mc_count], 2
	jb .wait
	mov si, msg_done
	HC_PRINT
	xor ebx, ebx
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

mc_handler:
	inc byte [cs:mc_count]
	iret

msg_wait:	db "mce: waiting", 10, 0
msg_done:	db "mce: 2 machine checks", 10, 0
mc_count:	db 0
hc_is_amd:	db 0
