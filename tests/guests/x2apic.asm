; Test guest: the x2APIC registers Keel intercepts (hv/lapic.c). Long
; mode, loaded at 0x100000. On a CPU without x2APIC (CPUID.1:ECX[21]) it
; prints "x2apic: not offered" and exits with 0; otherwise it switches
; its APIC to x2APIC mode and checks, each number the exit code on failure:
;  1  the switch to x2APIC mode through IA32_APIC_BASE is allowed;
;  2  a LINT0 write with EDX set (reserved: the register has 32 bits) is
;     #GP in the guest (Keel's own WRMSR of it must not fault Keel);
;  3  LVT LINT0 written with delivery mode INIT reads back masked;
;  4  a fixed self-IPI through the ICR arrives;
;  5  INIT-SIPI to all other CPUs changes nothing here;
;  6  x2APIC straight back to xAPIC mode is #GP (SDM 11.12.5);
;  7  disabled, then xAPIC mode again, is allowed.
; Then it prints "x2apic: 7 checks" and exits with 0.
BITS 64
ORG 0x100000
DEFAULT REL

%include "hypercall.inc"
%include "long_mode.inc"

%define MSR_APIC_BASE 0x1B
%define APIC_EN (1 << 11)
%define APIC_EXTD (1 << 10)
%define MSR_EOI 0x80B
%define MSR_SVR 0x80F
%define MSR_ICR 0x830
%define MSR_LINT0 0x835
%define VEC 0x40

%macro GP_CHECK 3		; instruction, 1 if it must raise #GP (else 0), check number
	mov qword [resume], %%after
	mov byte [gp_seen], 0
	%1
%%after:
	cmp byte [gp_seen], %2
	mov r15d, %3
	jne fail
%endmacro

start:
	LONG_MODE_START
	DETECT_VENDOR
	lea rax, [gp_handler]
	lea rdi, [idt + 13 * 16]
	call set_gate
	lea rax, [ipi_handler]
	lea rdi, [idt + VEC * 16]
	call set_gate
	lidt [idt_ptr]
	mov al, 0xFF			; the PICs' interrupts have no gates here
	out 0x21, al
	out 0xA1, al

	mov eax, 1
	cpuid
	bt ecx, 21
	jc .x2apic
	lea rsi, [msg_none]
	call puts
	xor r15d, r15d
	jmp fail
.x2apic:
	mov ecx, MSR_APIC_BASE
	rdmsr
	mov [apic_base], eax
	or eax, APIC_EXTD
	GP_CHECK wrmsr, 0, 1
	mov ecx, MSR_SVR
	rdmsr
	or eax, 0x100
	wrmsr

	mov ecx, MSR_LINT0		; a 32-bit register: EDX must be 0
	mov edx, 1
	mov eax, 1 << 16
	GP_CHECK wrmsr, 1, 2

	mov ecx, MSR_LINT0
	rdmsr
	mov r14d, eax
	mov eax, 5 << 8			; INIT
	xor edx, edx
	wrmsr
	rdmsr
	and eax, (1 << 16) | (7 << 8)
	cmp eax, (1 << 16) | (5 << 8)
	mov r15d, 3
	jne fail
	mov eax, r14d
	wrmsr

	sti
	mov ecx, MSR_ICR
	xor edx, edx
	mov eax, (1 << 18) | (1 << 14) | VEC	; fixed, self
	wrmsr
	mov ecx, 1000000
.wait:
	cmp dword [ipis], 1
	je .got
	pause
	loop .wait
	mov r15d, 4
	jmp fail
.got:
	mov ecx, MSR_ICR
	xor edx, edx
	mov eax, (3 << 18) | (1 << 14) | (5 << 8)	; INIT, all but self
	GP_CHECK wrmsr, 0, 5
	mov eax, (3 << 18) | (6 << 8) | 0x08		; SIPI, all but self
	GP_CHECK wrmsr, 0, 5
	cmp dword [ipis], 1
	jne fail
	cli

	mov ecx, MSR_APIC_BASE
	mov eax, [apic_base]		; xAPIC mode, straight from x2APIC
	xor edx, edx
	GP_CHECK wrmsr, 1, 6
	mov eax, [apic_base]
	and eax, ~APIC_EN		; disabled, then xAPIC again
	GP_CHECK wrmsr, 0, 7
	mov eax, [apic_base]
	GP_CHECK wrmsr, 0, 7

	lea rsi, [msg]
	call puts
	xor r15d, r15d
fail:
	cli
	mov ebx, r15d
	mov eax, HC_EXIT
	HYPERCALL
	hlt

gp_handler:				; records the #GP and resumes at [resume]
	mov byte [gp_seen], 1
	add rsp, 8			; the error code
	push rax
	mov rax, [resume]
	mov [rsp + 8], rax
	pop rax
	iretq

ipi_handler:
	inc dword [ipis]
	push rax
	push rcx
	push rdx
	mov ecx, MSR_EOI
	xor eax, eax
	xor edx, edx
	wrmsr
	pop rdx
	pop rcx
	pop rax
	iretq

LONG_MODE_SET_GATE

puts:
	HC_PRINT
	ret

msg:		db "x2apic: 7 checks", 10, 0
msg_none:	db "x2apic: not offered", 10, 0
hc_is_amd:	db 0
gp_seen:	db 0
align 8
resume:		dq 0
apic_base:	dd 0
ipis:		dd 0

LONG_MODE_GDT
idt_ptr:	dw 256 * 16 - 1
		dq idt
align 16
idt:		times 256 * 16 db 0
		times 1024 db 0
stack_top:
