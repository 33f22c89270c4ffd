; Hostile guest: move the local APIC over Keel's region (protected mode,
; loaded at 0x100000). IA32_APIC_BASE (1Bh) is not Keel's to give away:
; with the APIC's 4 KiB window over Keel's memory, Keel's own accesses to
; that page (code, page tables, VMCB/VMCS) would reach APIC registers
; instead of RAM. A write of REGION (assembled in with -DREGION=...) as
; the APIC base must raise #GP.
; Exit code 0: #GP. Exit code 1: the write was taken; the guest prints
; "apic base: moved to XXXXXXXX (read back YYYYYYYY)" and writes the old
; value back at once (interrupts are off and nothing exits in between, so
; Keel never runs with its page hidden).
; Then the values a CPU refuses, which Keel must refuse as #GP rather than
; fault on itself (Keel writes the MSR for the guest): exit code 2 when a
; reserved bit (0) is taken, 3 when a base elsewhere (FED00000h) is taken,
; 4 when EXTD without EN is taken, 5 when writing the value it holds
; faults.
BITS 32
ORG 0x100000

	jmp start
%include "hypercall.inc"
%include "isolation_idt32.inc"

%ifndef REGION
%error "assemble with -DREGION=<an address in Keel's region>"
%endif
%define MSR_APIC_BASE 0x1B

start:
	PM_SETUP
	mov ecx, MSR_APIC_BASE
	rdmsr
	mov [old_lo], eax
	mov [old_hi], edx
	and eax, 0xFFF			; keep enable and BSP bits
	or eax, REGION & 0xFFFFF000
	xor edx, edx
	mov [new_lo], eax
	mov ecx, MSR_APIC_BASE
	TRY .resume
	wrmsr
.resume:
	cmp byte [last_vec], VEC_GP
	jne .taken
	mov eax, [old_lo]
	or eax, 1			; reserved
	mov ebx, 2
	call try_write
	mov eax, [old_lo]
	and eax, 0xFFF
	or eax, 0xFED00000		; not Keel's, but a move all the same
	mov ebx, 3
	call try_write
	mov eax, [old_lo]
	and eax, ~(1 << 11)		; EN clear
	or eax, 1 << 10			; EXTD set
	mov ebx, 4
	call try_write
	mov eax, [old_lo]
	mov edx, [old_hi]
	mov ecx, MSR_APIC_BASE
	TRY .same
	wrmsr
.same:
	mov ebx, 5
	cmp byte [last_vec], VEC_NONE
	jne .exit
	xor ebx, ebx
.exit:
	EXIT
.taken:
	mov ecx, MSR_APIC_BASE
	rdmsr
	mov esi, eax
	mov eax, [old_lo]
	mov edx, [old_hi]
	mov ecx, MSR_APIC_BASE
	wrmsr
	PUTS msg_moved
	mov eax, [new_lo]
	call puthex
	PUTS msg_read
	mov eax, esi
	call puthex
	PUTS msg_close
	mov ebx, 1
	EXIT

; try_write: EAX = a value to write (EDX = the old high half); it must
; raise #GP. If it does not, the old value goes back and the guest exits
; with EBX.
try_write:
	mov edx, [old_hi]
	mov ecx, MSR_APIC_BASE
	TRY .resume
	wrmsr
.resume:
	cmp byte [last_vec], VEC_GP
	jne .taken
	ret
.taken:
	mov eax, [old_lo]
	mov edx, [old_hi]
	mov ecx, MSR_APIC_BASE
	wrmsr
	EXIT

msg_moved:	db "apic base: moved to ", 0
msg_read:	db " (read back ", 0
msg_close:	db ")", 10, 0
old_lo:		dd 0
old_hi:		dd 0
new_lo:		dd 0

align 16
		times 512 db 0
stack_top:
