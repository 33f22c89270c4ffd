; Hostile guest: every VMX and SVM instruction, and GETSEC, in protected
; mode (loaded at 0x100000) with an IDT of its own. Keel hides both
; extensions, so each must raise #UD: either the CPU refuses it (the other
; vendor's instructions, VMFUNC without VM functions, GETSEC without SMX)
; or Keel intercepts it and injects #UD. The memory operands point at
; guest RAM filled with zeros, RAX at 2 MiB.
; For each instruction that does not raise #UD the guest prints
; "insn NAME: no #UD (vector V)" (V = ff: it ran) and sets bit N (its
; index below) of the exit code; exit code 0 = all 20 raised #UD. The last
; line is "insn: 20 tried".
BITS 32
ORG 0x100000

	jmp start
%include "hypercall.inc"
%include "isolation_idt32.inc"

start:
	PM_SETUP
	xor edi, edi			; the failure mask
	mov eax, 0x200000
	xor ecx, ecx

%assign idx 0
; UD_CHECK name, instruction...
%macro UD_CHECK 2+
	TRY %%resume
	mov eax, 0x200000
	xor ecx, ecx
	xor edx, edx
	%2
%%resume:
	cmp byte [last_vec], VEC_UD
	je %%ok
	bts edi, idx
	PUTS msg_insn
	PUTS %%name
	PUTS msg_no_ud
	movzx eax, byte [last_vec]
	call puthex
	PUTS msg_close
	jmp %%ok
%%name:	db %1, 0
%%ok:
%assign idx idx + 1
%endmacro

	UD_CHECK "VMXON", vmxon [zero_qword]
	UD_CHECK "VMXOFF", vmxoff
	UD_CHECK "VMCLEAR", vmclear [zero_qword]
	UD_CHECK "VMPTRLD", vmptrld [zero_qword]
	UD_CHECK "VMPTRST", vmptrst [scratch_qword]
	UD_CHECK "VMREAD", vmread ebx, eax
	UD_CHECK "VMWRITE", vmwrite eax, ebx
	UD_CHECK "VMLAUNCH", vmlaunch
	UD_CHECK "VMRESUME", vmresume
	UD_CHECK "INVEPT", invept eax, [zero_desc]
	UD_CHECK "INVVPID", invvpid eax, [zero_desc]
	UD_CHECK "VMFUNC", db 0x0F, 0x01, 0xD4
	UD_CHECK "VMRUN", db 0x0F, 0x01, 0xD8
	UD_CHECK "VMLOAD", db 0x0F, 0x01, 0xDA
	UD_CHECK "VMSAVE", db 0x0F, 0x01, 0xDB
	UD_CHECK "STGI", db 0x0F, 0x01, 0xDC
	UD_CHECK "CLGI", db 0x0F, 0x01, 0xDD
	UD_CHECK "SKINIT", db 0x0F, 0x01, 0xDE
	UD_CHECK "INVLPGA", db 0x0F, 0x01, 0xDF
	UD_CHECK "GETSEC", db 0x0F, 0x37

	PUTS msg_total
	mov ebx, edi
	EXIT

msg_insn:	db "insn ", 0
msg_no_ud:	db ": no #UD (vector ", 0
msg_close:	db ")", 10, 0
msg_total:	db "insn: 20 tried", 10, 0

align 16
zero_qword:	dq 0
scratch_qword:	dq 0
zero_desc:	dq 0, 0

align 16
		times 512 db 0
stack_top:
