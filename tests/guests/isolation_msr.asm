; Hostile guest: the MSRs that would reveal or control VMX and SVM, in
; protected mode (loaded at 0x100000) with an IDT of its own.
;   - EFER reads show SVME (bit 12) clear; a write with SVME set is #GP
;     and leaves it clear;
;   - VM_CR (C0010114h) and VM_HSAVE_PA (C0010117h): read and write #GP;
;   - IA32_FEATURE_CONTROL (3Ah): a read shows VMX off (bits 1 and 2
;     clear), and on Intel locked (bit 0), as firmware that disabled VT-x
;     leaves it (on AMD, where it does not exist, #GP also passes); a write
;     that would enable VMX is #GP;
;   - the VMX capability MSRs 480h-491h: every read and every write #GP.
; On AMD CPUs IA32_FEATURE_CONTROL and the VMX MSRs do not exist and Keel
; does not intercept them: a read may also give 0 and a write may be
; ignored without #GP (QEMU's TCG does both for MSRs it does not know).
; Each failed check prints "msr CHECK ECX=...: ..." and counts; the exit
; code is the number of failed checks (0 = all 46 held). The last line is
; "msr: 46 checks".
BITS 32
ORG 0x100000

	jmp start
%include "hypercall.inc"
%include "isolation_idt32.inc"

%define MSR_EFER 0xC0000080
%define MSR_VM_CR 0xC0010114
%define MSR_VM_HSAVE_PA 0xC0010117
%define MSR_FEATURE_CONTROL 0x3A
%define EFER_SVME (1 << 12)

; MSR_TRY rdmsr|wrmsr: ECX, EDX:EAX as set; [last_vec] afterwards.
%macro MSR_TRY 1
	TRY %%resume
	%1
%%resume:
%endmacro

; FAILED message: prints "msr MESSAGE ECX=xxxxxxxx vector=vv" and counts.
%macro FAILED 1
	push eax
	push ecx
	PUTS msg_msr
	PUTS %%text
	PUTS msg_ecx
	mov eax, [esp]
	call puthex
	PUTS msg_vec
	movzx eax, byte [last_vec]
	call puthex
	PUTS msg_nl
	inc edi
	pop ecx
	pop eax
	jmp %%past
%%text:	db %1, 0
%%past:
%endmacro

%macro EXPECT_GP 2	; rdmsr|wrmsr, message
	MSR_TRY %1
	cmp byte [last_vec], VEC_GP
	je %%ok
	FAILED %2
%%ok:
%endmacro

start:
	PM_SETUP
	xor edi, edi			; failed checks

	; EFER
	mov ecx, MSR_EFER
	MSR_TRY rdmsr
	cmp byte [last_vec], VEC_NONE
	je .efer_read
	FAILED "EFER read faulted"
.efer_read:
	test eax, EFER_SVME
	jz .efer_hidden
	FAILED "EFER read shows SVME"
.efer_hidden:
	mov [efer_lo], eax
	mov [efer_hi], edx
	or eax, EFER_SVME
	mov ecx, MSR_EFER
	EXPECT_GP wrmsr, "EFER write with SVME: no #GP"
	mov ecx, MSR_EFER
	MSR_TRY rdmsr
	test eax, EFER_SVME
	jz .efer_still
	FAILED "EFER shows SVME after the write"
.efer_still:

	; VM_CR, VM_HSAVE_PA
	mov ecx, MSR_VM_CR
	EXPECT_GP rdmsr, "VM_CR read: no #GP"
	mov ecx, MSR_VM_CR
	xor eax, eax
	xor edx, edx
	EXPECT_GP wrmsr, "VM_CR write: no #GP"
	mov ecx, MSR_VM_HSAVE_PA
	EXPECT_GP rdmsr, "VM_HSAVE_PA read: no #GP"
	mov ecx, MSR_VM_HSAVE_PA
	mov eax, 0x200000
	xor edx, edx
	EXPECT_GP wrmsr, "VM_HSAVE_PA write: no #GP"

	; IA32_FEATURE_CONTROL
	mov ecx, MSR_FEATURE_CONTROL
	MSR_TRY rdmsr
	cmp byte [last_vec], VEC_NONE
	je .fc_value
	cmp byte [hc_is_amd], 0
	jne .fc_done
	FAILED "FEATURE_CONTROL read faulted on Intel"
	jmp .fc_done
.fc_value:
	test eax, 6
	jz .fc_vmx_off
	FAILED "FEATURE_CONTROL shows VMX enabled"
.fc_vmx_off:
	cmp byte [hc_is_amd], 0
	jne .fc_done
	test eax, 1
	jnz .fc_done
	FAILED "FEATURE_CONTROL not locked on Intel"
.fc_done:
	mov ecx, MSR_FEATURE_CONTROL
	mov eax, 5			; lock + VMX outside SMX
	xor edx, edx
	MSR_TRY wrmsr
	cmp byte [last_vec], VEC_GP
	je .fc_write_ok
	cmp byte [hc_is_amd], 0
	jne .fc_write_ok
	FAILED "FEATURE_CONTROL write: no #GP"
.fc_write_ok:

	; The VMX capability MSRs.
	mov ecx, 0x480
.cap:
	push ecx
	MSR_TRY rdmsr
	cmp byte [last_vec], VEC_GP
	je .cap_read_ok
	cmp byte [hc_is_amd], 0
	je .cap_read_bad
	cmp byte [last_vec], VEC_NONE
	jne .cap_read_bad
	or eax, edx
	jz .cap_read_ok
.cap_read_bad:
	FAILED "VMX capability read: no #GP"
.cap_read_ok:
	mov ecx, [esp]
	xor eax, eax
	xor edx, edx
	MSR_TRY wrmsr
	cmp byte [last_vec], VEC_GP
	je .cap_write_ok
	cmp byte [hc_is_amd], 0
	jne .cap_write_ok
	FAILED "VMX capability write: no #GP"
.cap_write_ok:
	pop ecx
	inc ecx
	cmp ecx, 0x491
	jbe .cap

	PUTS msg_total
	mov ebx, edi
	EXIT

msg_msr:	db "msr ", 0
msg_ecx:	db " ECX=", 0
msg_vec:	db " vector=", 0
msg_nl:		db 10, 0
msg_total:	db "msr: 46 checks", 10, 0
efer_lo:	dd 0
efer_hi:	dd 0

align 16
		times 512 db 0
stack_top:
