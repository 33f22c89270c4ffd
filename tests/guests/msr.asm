; Test guest: the MSRs Keel guards (real mode, loaded at 0x10000).
;   - RDMSR EFER works and shows bit 12 (SVME) clear, although the CPU
;     runs the guest with it set;
;   - WRMSR EFER with SVME set raises #GP; EFER still reads without it;
;   - WRMSR EFER with the value just read (SVME clear) works;
;   - RDMSR and WRMSR of VM_CR (C0010114h) and VM_HSAVE_PA (C0010117h)
;     raise #GP: the guest sees a CPU without SVM;
;   - RDMSR of the TSC (10h), which Keel does not intercept, works.
; Its own #GP handler (IVT vector 13) counts the faults and skips the
; 2-byte RDMSR/WRMSR. A real-mode exception never pushes an error code; the
; handler checks that from the stack depth (SP saved before each access).
; Exit code 0 when all hold, else the number of the first failed check:
;   1 RDMSR EFER faulted        2 EFER read shows SVME
;   3 WRMSR EFER+SVME no #GP    4 EFER shows SVME after that
;   5 WRMSR EFER (no SVME) faulted
;   6 RDMSR VM_CR no #GP        7 WRMSR VM_CR no #GP
;   8 RDMSR VM_HSAVE_PA no #GP  9 WRMSR VM_HSAVE_PA no #GP
;  10 RDMSR TSC faulted
;  11 an error code was pushed on the real-mode stack
BITS 16
ORG 0

%include "hypercall.inc"

%define MSR_TSC 0x10
%define MSR_EFER 0xC0000080
%define MSR_VM_CR 0xC0010114
%define MSR_VM_HSAVE_PA 0xC0010117
%define EFER_SVME (1 << 12)
%define VEC_GP 13

; RDMSR or WRMSR (%1) of MSR %2 (EDX:EAX as they are) that must fault
; (%3 = 1) or not (%3 = 0); else exit code %4.
%macro MSR_ACCESS 4
	mov ecx, %2
	mov byte [gp_count], 0
	mov [saved_sp], sp
	%1
	cmp byte [gp_count], %3
	mov si, %4
	jne fail
%endmacro

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	cli				; IRQ 5 also arrives at vector 13
	xor ax, ax
	mov es, ax
	mov eax, [es:VEC_GP * 4]
	mov [old_gp], eax
	mov word [es:VEC_GP * 4], gp_handler
	mov [es:VEC_GP * 4 + 2], cs

	MSR_ACCESS rdmsr, MSR_EFER, 0, 1
	mov si, 2
	test eax, EFER_SVME
	jnz fail
	mov [efer_lo], eax
	mov [efer_hi], edx

	or eax, EFER_SVME
	MSR_ACCESS wrmsr, MSR_EFER, 1, 3
	MSR_ACCESS rdmsr, MSR_EFER, 0, 1
	mov si, 4
	test eax, EFER_SVME
	jnz fail

	mov eax, [efer_lo]
	mov edx, [efer_hi]
	MSR_ACCESS wrmsr, MSR_EFER, 0, 5

	MSR_ACCESS rdmsr, MSR_VM_CR, 1, 6
	xor eax, eax
	xor edx, edx
	MSR_ACCESS wrmsr, MSR_VM_CR, 1, 7
	MSR_ACCESS rdmsr, MSR_VM_HSAVE_PA, 1, 8
	xor eax, eax
	xor edx, edx
	MSR_ACCESS wrmsr, MSR_VM_HSAVE_PA, 1, 9
	MSR_ACCESS rdmsr, MSR_TSC, 0, 10

	mov si, 11
	cmp byte [error_code_seen], 0
	jne fail
	xor si, si
fail:
	xor ax, ax
	mov es, ax
	mov eax, [old_gp]
	mov [es:VEC_GP * 4], eax
	movzx ebx, si
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

; #GP: the frame is IP, CS, FLAGS (6 bytes below saved_sp); with an error
; code on top of it, 8. Skip the 2-byte instruction and return.
gp_handler:
	inc byte [cs:gp_count]
	push ax
	mov ax, [cs:saved_sp]
	sub ax, sp			; 8 = frame + AX, 10 = frame + error + AX
	cmp ax, 8
	pop ax
	je .frame
	mov byte [cs:error_code_seen], 1
	add sp, 2			; drop the error code
.frame:
	push bp
	mov bp, sp
	add word [bp + 2], 2		; the saved IP, past RDMSR/WRMSR
	pop bp
	iret

old_gp:		dd 0
efer_lo:	dd 0
efer_hi:	dd 0
saved_sp:	dw 0
gp_count:	db 0
error_code_seen: db 0
hc_is_amd:	db 0
