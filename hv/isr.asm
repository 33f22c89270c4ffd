; Exception entry stubs for the hypervisor's own IDT. Each pushes a dummy
; error code where the CPU pushes none (SDM 6.15, table 6-1), then the
; vector, then every general register, and calls hv_exception() with a
; pointer to the frame (struct trap_frame in hv/trap.h).

BITS 64
DEFAULT REL

extern hv_exception
global isr_table

section .text

%macro isr 1
isr_%1:
%if (%1 == 8) || (%1 >= 10 && %1 <= 14) || (%1 == 17) || (%1 == 21) || (%1 == 29) || (%1 == 30)
	; the CPU pushed an error code
%else
	push 0
%endif
	push %1
	jmp isr_common
%endmacro

%assign v 0
%rep 32
	isr v
%assign v v + 1
%endrep

isr_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp
	mov rbx, rsp
	and rsp, -16
	call hv_exception		; returns only for a fault it fixed up
	mov rsp, rbx
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16			; vector, error code
	iretq

; wrmsr_safe(msr, value): WRMSR that returns -1 instead of faulting in Keel
; when the CPU refuses the value (#GP), for values a guest chose; 0 when
; written. hv_exception() resumes a #GP at wrmsr_safe_insn at
; wrmsr_safe_refused.
global wrmsr_safe, wrmsr_safe_insn, wrmsr_safe_refused
wrmsr_safe:
	mov ecx, edi
	mov eax, esi
	mov rdx, rsi
	shr rdx, 32
wrmsr_safe_insn:
	wrmsr
	xor eax, eax
	ret
wrmsr_safe_refused:
	mov eax, -1
	ret

; nmi_unblock(): an IRET to the next instruction. After a VM exit caused
; by an NMI the CPU blocks NMIs until its next IRET (SDM vol. 3C 27.7.1,
; 28.1); Keel's own handler, which would end in one, never ran.
global nmi_unblock
nmi_unblock:
	mov rax, rsp
	push qword 0x10			; SS
	push rax			; RSP as it was
	pushfq
	push qword 0x08			; CS
	lea rax, [rel .back]
	push rax
	iretq
.back:
	ret

section .rodata
align 8
isr_table:
%assign v 0
%rep 32
	dq isr_ %+ v
%assign v v + 1
%endrep
