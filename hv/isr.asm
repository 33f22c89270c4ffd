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

; Instructions Keel runs with values a guest chose, which the CPU may
; refuse with #GP (or #UD): each returns 0 when done and -1 when refused.
; hv_exception() resumes a fault at one of the *_insn labels at the label
; after it in safe_fixups (below), so the fault never reaches the FATAL
; path.
global wrmsr_safe, rdmsr_safe, xsetbv_safe, safe_fixups, safe_fixups_end

; wrmsr_safe(msr, value)
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

; rdmsr_safe(msr, u64 *value): *value is left alone when refused.
rdmsr_safe:
	mov ecx, edi
rdmsr_safe_insn:
	rdmsr
	mov [rsi], eax
	mov [rsi + 4], edx
	xor eax, eax
	ret
rdmsr_safe_refused:
	mov eax, -1
	ret

; xsetbv_safe(xcr, value)
xsetbv_safe:
	mov ecx, edi
	mov eax, esi
	mov rdx, rsi
	shr rdx, 32
xsetbv_safe_insn:
	xsetbv
	xor eax, eax
	ret
xsetbv_safe_refused:
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
; (faulting instruction, where to resume) pairs for hv_exception().
safe_fixups:
	dq wrmsr_safe_insn, wrmsr_safe_refused
	dq rdmsr_safe_insn, rdmsr_safe_refused
	dq xsetbv_safe_insn, xsetbv_safe_refused
safe_fixups_end:

align 8
isr_table:
%assign v 0
%rep 32
	dq isr_ %+ v
%assign v v + 1
%endrep
