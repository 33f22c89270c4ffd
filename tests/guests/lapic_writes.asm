; Test guest: the local APIC through Keel. Where Keel must see the ICR
; (AMD-V; VT-x when INITs may stay pending) it write-protects the APIC page
; and does each write itself (hv/lapic.c): it must decode the store, do it
; on the real APIC, send IPIs as asked and deliver INIT and start-up IPIs
; to the guest's own vCPUs only (hv/ipi.c). Long mode, loaded at 0x100000 on Keel's identity
; map (CR3=0x1000, which maps the APIC page at 0xFEE00000).
; Checks, each with its number as the exit code when it fails:
;  1-8  the task-priority register (80h), written with eight encodings
;       (mov to a 64-bit absolute address, mov reg, REX.R reg, or imm8,
;       and imm32, xchg, lock or, a 67h address-size prefix) and read back;
;  9-11 a fixed self-IPI (vector 40h) arrives, sent with the self
;       shorthand, to the CPU's own APIC ID, and to all including self;
;  12   a fixed IPI to all but self and an NMI to all but self arrive
;       nowhere here and change nothing;
;  13   the TPR reads 0 again;
;  14   LVT LINT0 written with delivery mode INIT reads back masked.
; Then it prints "lapic: 14 checks" and writes the TPR with INC, which
; Keel does not emulate: the guest must stop there (reason=fault); if it
; goes on it exits with code 77.
BITS 64
ORG 0x100000
DEFAULT REL

%include "hypercall.inc"
%include "long_mode.inc"

%define APIC 0xFEE00000
%define TPR 0x80
%define EOI 0xB0
%define SVR 0xF0
%define ICR_LO 0x300
%define ICR_HI 0x310
%define LINT0 0x350
%define VEC 0x40

%macro CHECK_TPR 2		; expected value, check number
	mov eax, [rbx + TPR]
	and eax, 0xFF
	cmp eax, %1
	mov r15d, %2
	jne fail
%endmacro

%macro WAIT_IPIS 2		; expected count, check number
	mov ecx, 1000000
%%wait:
	cmp dword [ipis], %1
	je %%ok
	pause
	dec ecx
	jnz %%wait
	mov r15d, %2
	jmp fail
%%ok:
%endmacro

start:
	LONG_MODE_START
	DETECT_VENDOR
	; IDT gate for VEC and for NMI (vector 2, which must not come)
	lea rax, [ipi_handler]
	lea rdi, [idt + VEC * 16]
	call set_gate
	lea rax, [nmi_handler]
	lea rdi, [idt + 2 * 16]
	call set_gate
	lidt [idt_ptr]
	mov ebx, APIC

	mov eax, 0x10
	mov [abs qword APIC + TPR], eax		; A3 moffs64
	CHECK_TPR 0x10, 1
	mov eax, 0x20
	mov [rbx + TPR], eax			; 89 83 disp32
	CHECK_TPR 0x20, 2
	mov r9d, 0x30
	mov [rbx + TPR], r9d			; 44 89 8B disp32
	CHECK_TPR 0x30, 3
	or dword [rbx + TPR], 0x01		; 83 8B disp32 ib
	CHECK_TPR 0x31, 4
	and dword [rbx + TPR], strict dword 0xF0	; 81 A3 disp32 id
	CHECK_TPR 0x30, 5
	mov ecx, 0x40
	xchg [rbx + TPR], ecx			; 87 8B disp32
	cmp ecx, 0x30
	mov r15d, 6
	jne fail
	CHECK_TPR 0x40, 6
	lock or dword [rbx + TPR], 0x02		; F0 83 8B disp32 ib
	CHECK_TPR 0x42, 7
	xor eax, eax
	mov [ebx + TPR], eax			; 67 89 83 disp32
	CHECK_TPR 0, 8

	or dword [rbx + SVR], 0x100		; APIC software-enabled
	mov al, 0xFF				; the PICs' interrupts have no gates here
	out 0x21, al
	out 0xA1, al
	sti
	mov dword [rbx + ICR_LO], (1 << 18) | (1 << 14) | VEC	; self shorthand
	WAIT_IPIS 1, 9
	mov eax, [rbx + 0x20]			; own APIC ID, bits 31:24
	and eax, 0xFF000000
	mov [rbx + ICR_HI], eax
	mov dword [rbx + ICR_LO], (1 << 14) | VEC		; physical, to itself
	WAIT_IPIS 2, 10
	mov dword [rbx + ICR_LO], (2 << 18) | (1 << 14) | VEC	; all including self
	WAIT_IPIS 3, 11
	mov dword [rbx + ICR_LO], (3 << 18) | (1 << 14) | VEC	; all excluding self
	mov dword [rbx + ICR_LO], (3 << 18) | (1 << 14) | (4 << 8) ; NMI, all but self
	mov ecx, 1000000
.quiet:
	pause
	dec ecx
	jnz .quiet
	cmp dword [ipis], 3
	mov r15d, 12
	jne fail
	cmp dword [nmis], 0
	jne fail
	CHECK_TPR 0, 13
	; LINT0 with delivery mode INIT would reset this CPU: written masked
	mov r14d, [rbx + LINT0]
	mov dword [rbx + LINT0], 5 << 8
	mov eax, [rbx + LINT0]
	mov [rbx + LINT0], r14d
	and eax, (1 << 16) | (7 << 8)
	cmp eax, (1 << 16) | (5 << 8)
	mov r15d, 14
	jne fail

	lea rsi, [msg]
	call puts				; (clobbers RBX)
	mov ebx, APIC
	inc dword [rbx + TPR]			; FF 83 disp32: not emulated
	mov r15d, 77
fail:
	cli
	mov ebx, r15d
	mov eax, HC_EXIT
	HYPERCALL
	hlt

ipi_handler:
	inc dword [ipis]
	push rax
	xor eax, eax
	mov [abs qword APIC + EOI], eax
	pop rax
	iretq

nmi_handler:
	inc dword [nmis]
	iretq

LONG_MODE_SET_GATE

puts:
	HC_PRINT
	ret

msg:	db "lapic: 14 checks", 10, 0
hc_is_amd: db 0
align 4
ipis:	dd 0
nmis:	dd 0

LONG_MODE_GDT
idt_ptr:
	dw 256 * 16 - 1
	dq idt
align 16
idt:	times 256 * 16 db 0
	times 1024 db 0
stack_top:
