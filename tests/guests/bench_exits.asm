; Benchmark guest: what one VM exit costs (tools/bench.py, docs/performance.md).
; Long mode, loaded at 0x100000 and entered there on Keel's identity map,
; interrupts off (no interrupt lands inside a loop). Four loops of
; ITERATIONS rounds each, all of the same shape
;
;	xor eax, eax		; leaf 0 / hypercall 0 (version)
;	<X>
;	dec r13d
;	jnz loop
;
; with <X> = NOP (the baseline: no exit), CPUID, the hypercall instruction
; (VMMCALL on AMD, VMCALL on Intel) and IN AL, 64h (the keyboard
; controller's status port, which Keel intercepts: 0x64 is in the I/O
; permission map, and the map applies to IN as well as OUT). The TSC is
; read around each loop and the guest prints, through hypercall 1,
;
;	bench nop n=100000 tsc=123456
;	bench cpuid n=100000 tsc=...
;	bench hypercall n=100000 tsc=...
;	bench io n=100000 tsc=...
;
; A loop's TSC delta minus the baseline's, divided by n, is the cost of one
; round trip (exit, Keel's handler, entry). Under QEMU TCG the TSC follows
; the host's clock (emulation time); under Bochs it counts instructions
; (one tick per instruction), so there the difference is the number of
; instructions Keel runs per exit. Ends with exit code 0 (hypercall 2).
; -DITERATIONS=N changes the rounds per loop; -DMAGIC_BREAK puts Bochs'
; magic breakpoint (XCHG BX,BX) before the CPUID loop.
BITS 64
ORG 0x100000
DEFAULT REL

%include "hypercall.inc"
%include "long_mode.inc"

%ifndef ITERATIONS
%define ITERATIONS 100000
%endif

; One measured loop: NAME (a string label) and the instruction under test.
%macro MEASURE 2
	mov r13d, ITERATIONS		; CPUID clobbers EAX-EDX: count in R13
	lfence
	rdtsc
	shl rdx, 32
	or rax, rdx
	mov r14, rax
	align 16
%%loop:
	xor eax, eax
	%2
	dec r13d
	jnz %%loop
	lfence
	rdtsc
	shl rdx, 32
	or rax, rdx
	sub rax, r14
	mov r15, rax			; the TSC delta
	lea rsi, [%1]
	call report
%endmacro

start:
	LONG_MODE_START
	DETECT_VENDOR

	MEASURE s_nop, nop
%ifdef MAGIC_BREAK
	; Bochs' magic breakpoint (magic_break: enabled=1), for tracing one
	; CPUID exit instruction by instruction (docs/performance.md).
	xchg bx, bx
%endif
	MEASURE s_cpuid, cpuid
	cmp byte [hc_is_amd], 0
	je .intel
	MEASURE s_hypercall, vmmcall
	jmp .io
.intel:
	MEASURE s_hypercall, vmcall
.io:
	MEASURE s_io, {in al, 0x64}

	xor ebx, ebx
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

; Prints "bench NAME n=ITERATIONS tsc=R15\n"; RSI = NAME (NUL-terminated).
report:
	push rsi
	lea rsi, [s_bench]
	call puts
	pop rsi
	call puts
	lea rsi, [s_n]
	call puts
	mov rax, ITERATIONS
	call putdec
	lea rsi, [s_tsc]
	call puts
	mov rax, r15
	call putdec
	mov ebx, 10
	jmp putc

; Prints the NUL-terminated string at RSI.
puts:
	lodsb
	test al, al
	jz .done
	movzx ebx, al
	push rsi
	call putc
	pop rsi
	jmp puts
.done:
	ret

; Prints RAX in decimal.
putdec:
	lea rdi, [digits_end]
	mov rcx, 10
.next:
	xor edx, edx
	div rcx
	add dl, '0'
	dec rdi
	mov [rdi], dl
	test rax, rax
	jnz .next
	mov rsi, rdi
	jmp puts

; Hypercall 1: the character in EBX.
putc:
	mov eax, HC_PUTC
	HYPERCALL
	ret

s_bench:	db "bench ", 0
s_nop:		db "nop", 0
s_cpuid:	db "cpuid", 0
s_hypercall:	db "hypercall", 0
s_io:		db "io", 0
s_n:		db " n=", 0
s_tsc:		db " tsc=", 0
digits:		times 24 db 0
digits_end:	db 0

LONG_MODE_GDT

hc_is_amd:	db 0

align 16
		times 512 db 0
stack_top:
