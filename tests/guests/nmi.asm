; Test guest: NMIs reach the guest exactly once each (issue 15 item 3).
; Long mode, loaded at 0x100000, with an NMI handler that counts.
;  1. It sends itself SELF_NMIS NMIs through the local APIC's ICR (xAPIC,
;     physical destination: its own APIC ID), one at a time, and checks
;     that each arrives once: "nmi: self <k> of <n> arrived once".
;  2. With -DOUTSIDE=<n>, it then prints "nmi: waiting for <n>" and runs
;     CPUID in a loop (every CPUID is an exit, so NMIs from outside --
;     QEMU's monitor command `nmi` -- find the CPU in Keel as often as in
;     the guest), printing "nmi: outside <k>" at each new one, until it
;     has n; then a little longer, to see that none arrives twice.
;  3. With -DLOOP=<n>, n CPUIDs (for NMIs sent at any time).
; Last it prints "nmi: total <n>", every NMI it took.
; Exit code: 0 all as expected; 1 a self-NMI did not arrive; 2 one arrived
; twice; 3 the outside NMIs did not all arrive; 4 one more arrived than sent.
BITS 64
ORG 0x100000
DEFAULT REL

%include "hypercall.inc"
%include "long_mode.inc"

%ifndef SELF_NMIS
%define SELF_NMIS 3
%endif
%ifndef OUTSIDE
%define OUTSIDE 0
%endif

%define LAPIC 0xFEE00000		; reached through RBP: a disp32 would sign-extend
%define LAPIC_ID 0x20
%define LAPIC_SVR 0xF0
%define LAPIC_ICR_LO 0x300
%define LAPIC_ICR_HI 0x310
%define ICR_NMI 0x00004400		; delivery mode NMI, level assert, physical

start:
	LONG_MODE_START
	DETECT_VENDOR
	lea rax, [nmi_handler]
	lea rdi, [idt + 2 * 16]
	call set_gate
	lidt [idt_ptr]
	mov ebp, LAPIC
	or dword [rbp + LAPIC_SVR], 0x100

	; 1. self-NMIs, one at a time
	xor r12d, r12d
.self:
	cmp r12d, SELF_NMIS
	jae .self_done
	mov ebx, [nmis]
	mov eax, [rbp + LAPIC_ID]
	and eax, 0xFF000000
	mov [rbp + LAPIC_ICR_HI], eax
	mov dword [rbp + LAPIC_ICR_LO], ICR_NMI
	mov ecx, 10000000
.arrive:
	cmp [nmis], ebx
	jne .arrived
	pause
	dec ecx
	jnz .arrive
	mov r15d, 1
	jmp exit
.arrived:
	mov ecx, 1000000			; none more than once
.settle:
	pause
	dec ecx
	jnz .settle
	inc ebx
	cmp [nmis], ebx
	mov r15d, 2
	jne exit
	inc r12d
	lea rsi, [msg_self]
	call puts
	mov eax, r12d
	call putdec
	lea rsi, [msg_of]
	call puts
	mov eax, SELF_NMIS
	call putdec
	lea rsi, [msg_once]
	call puts
	jmp .self
.self_done:

%if OUTSIDE
	; 2. NMIs from outside, while exits come and go
	lea rsi, [msg_waiting]
	call puts
	mov eax, OUTSIDE
	call putdec
	lea rsi, [msg_nl]
	call puts
	mov r12d, [nmis]			; the self ones
	xor r13d, r13d				; outside ones seen
	mov r14, 2000000000			; CPUIDs before giving up
.loop:
	xor eax, eax
	cpuid
	mov eax, [nmis]
	sub eax, r12d
	cmp eax, r13d
	je .same
	mov r13d, eax
	lea rsi, [msg_outside]
	call puts
	mov eax, r13d
	call putdec
	lea rsi, [msg_nl]
	call puts
	cmp r13d, OUTSIDE
	jae .all
.same:
	dec r14
	jnz .loop
	mov r15d, 3
	jmp exit
.all:
	mov ecx, 200000				; a while longer: no extra one
.more:
	xor eax, eax
	push rcx
	cpuid
	pop rcx
	dec ecx
	jnz .more
	mov eax, [nmis]
	sub eax, r12d
	cmp eax, OUTSIDE
	mov r15d, 4
	jne exit
%endif
%ifdef LOOP
	mov r14, LOOP
.spin:
	xor eax, eax
	cpuid
	dec r14
	jnz .spin
%endif
	xor r15d, r15d
exit:
	lea rsi, [msg_total]
	call puts
	mov eax, [nmis]
	call putdec
	lea rsi, [msg_nl]
	call puts
	mov ebx, r15d
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

nmi_handler:
	lock inc dword [nmis]
	iretq

LONG_MODE_SET_GATE

puts:
	HC_PRINT
	ret

; EAX in decimal. Clobbers RAX-RDX, RSI.
putdec:
	lea rsi, [numbuf + 15]
	mov byte [rsi], 0
	mov ecx, 10
.digit:
	xor edx, edx
	div ecx
	add dl, '0'
	dec rsi
	mov [rsi], dl
	test eax, eax
	jnz .digit
	jmp puts

msg_self:	db "nmi: self ", 0
msg_of:		db " of ", 0
msg_once:	db " arrived once", 10, 0
msg_waiting:	db "nmi: waiting for ", 0
msg_outside:	db "nmi: outside ", 0
msg_nl:		db 10, 0
msg_total:	db "nmi: total ", 0
hc_is_amd:	db 0
align 4
nmis:		dd 0
numbuf:		times 16 db 0

LONG_MODE_GDT
idt_ptr:	dw 256 * 16 - 1
		dq idt
align 16
idt:		times 256 * 16 db 0
		times 4096 db 0
stack_top:
