; Fuzz guest: COUNT pseudo-random instruction sequences from a fixed SEED
; (xorshift32), in protected mode (default; load 0x100000 mode=protected)
; or in long mode (-DLONG=1; load 0x100000 mode=long), under an IDT of its
; own whose 32 gates count the exception and resume at the next sequence
; (a setjmp-like recovery point: the handler drops the frame, restores the
; stack pointer, the segment registers, CR0, CR4 and the flags, and jumps
; back into the loop).
;
; Each sequence is 1-8 instructions drawn from templates and written to a
; code buffer at CODE_BUF, then called: register and memory ALU operations
; on a scratch page, divisions (#DE), shifts, flag changes, UD2/INT3/INT n,
; segment loads, PUSHF/POPF with TF/AC/DF/NT, CR0/CR4 bit flips, reads of
; CRs and DRs, two-byte 0F opcodes with a register operand (CMOVcc, SETcc,
; BT*, RDTSC, RDPMC, SYSENTER, LTR/LLDT, VMREAD, RDRAND, ...), x87/SSE/
; FXSAVE, CPUID with random leaves, RDMSR with random ECX, XSETBV with
; random values, INVD/WBINVD, port reads (bytes anywhere, words and dwords
; in 0-3FFh away from the UARTs), port writes only to the unused DMA page
; registers (80h, 84h-86h, 88h, 8Ch-8Eh), INS into the scratch page (never
; from the ports Keel intercepts: string I/O there stops the guest), and
; hypercalls with random numbers and
; arguments (never 1-3 or 84000008h, which print, end the guest or power
; off), through VMCALL or VMMCALL at random (the other vendor's is #UD).
; Nothing the templates emit writes outside the scratch area (the page at
; SCRATCH and what an FXSAVE/XSAVE there or a backwards INS reaches, all
; unused RAM) but the guest's hypercall counter, or changes the
; stack pointer, loads SS, GDTR, IDTR or CR3, halts, or jumps: the guest
; keeps its own state and always gets back to its loop.
;
; At the end it prints through hypercall 1
;   fuzz: mode=protected seed=N sequences=N instructions=N exceptions=N hypercalls=N
;   fuzz: vectors V=N V=N ...            (the vectors seen, with counts)
; and exits with code 0. Keel must survive every sequence.
;
;   nasm -f bin -I tests/guests/ -DSEED=1 -DCOUNT=300 [-DLONG=1] [-DXSETBV=0]
;        [-DTRACE=1] tests/guests/fuzz_guest.asm
; TRACE=1 prints "fuzz: seq N: <bytes>" before each sequence, to replay one
; that takes Keel down; XSETBV=0 leaves XSETBV out (KEEL-SEC-3).
%ifndef SEED
%define SEED 1
%endif
%ifndef COUNT
%define COUNT 300
%endif
%ifndef LONG
%define LONG 0
%endif
%ifndef XSETBV
%define XSETBV 1		; 0: leave XSETBV out (it takes Keel down under VT-x today)
%endif
%ifndef TRACE
%define TRACE 0			; 1: print each sequence's bytes before running it
%endif

%if LONG
BITS 64
DEFAULT REL
%define xAX rax
%define xBX rbx
%define xCX rcx
%define xDX rdx
%define xSI rsi
%define xDI rdi
%define xBP rbp
%define xSP rsp
%define MODE_NAME "long"
%else
BITS 32
%define xAX eax
%define xBX ebx
%define xCX ecx
%define xDX edx
%define xSI esi
%define xDI edi
%define xBP ebp
%define xSP esp
%define MODE_NAME "protected"
%endif
ORG 0x100000

%if LONG
%define qword_or_dword qword
%macro popf_ 0
	popfq
%endmacro
%else
%define qword_or_dword dword
%macro popf_ 0
	popfd
%endmacro
%endif


%define CODE_BUF 0x200000	; the sequence being run (guest RAM)
%define SCRATCH 0x210000	; the page random memory operands use
%define MAX_INSNS 8
%define CR0_SAFE 0x4005002E	; MP EM TS NE WP AM CD (not NW: NW without CD is #GP)
; CR4 bits flipped at random: the ones every x86-64 CPU has, plus those
; CPUID shows (start: below); never a reserved bit: QEMU's SVM turns a
; MOV to CR4 with one into VMEXIT_INVALID rather than #GP (its
; helper_write_crN), which would only end the run. On Intel also VMXE,
; which Keel keeps under the CR4 mask (an exit to Keel each time).
%define CR4_BASE 0x0000070C	; TSD DE PCE OSFXSR OSXMMEXCPT
%define EFL_SAFE 0x00044500	; TF DF NT AC (IF never: no interrupt may arrive)

	jmp start

%include "hypercall.inc"

; ---- the PRNG --------------------------------------------------------------

; rand: EAX = next xorshift32 value. Keeps every other register.
rand:
	mov eax, [rng]
	push xDX
	mov edx, eax
	shl edx, 13
	xor eax, edx
	mov edx, eax
	shr edx, 17
	xor eax, edx
	mov edx, eax
	shl edx, 5
	xor eax, edx
	mov [rng], eax
	pop xDX
	ret

; below: EAX = random number in [0, ECX). Keeps every other register.
below:
	push xDX
	call rand
	mul ecx
	mov eax, edx
	pop xDX
	ret

%macro BELOW 1
	push xCX
	mov ecx, %1
	call below
	pop xCX
%endmacro

; ---- emitting bytes at EDI --------------------------------------------------

%macro EMIT 1-*
%rep %0
	mov byte [xDI], %1
	inc edi
%rotate 1
%endrep
%endmacro

; emit_d: the dword EAX.
emit_d:
	mov [xDI], eax
	add edi, 4
	ret

; A random register other than ESP (0-7 without 4) in EAX.
rand_reg:
	BELOW 7
	cmp eax, 4
	jb .ok
	inc eax
.ok:
	ret

; ModRM for [disp32] that means the same in both modes (SIB, no base, no
; index): emits ModRM (reg field AL) 04h, SIB 25h, disp32 in the scratch page.
emit_mem:
	shl eax, 3
	or al, 0x04
	EMIT al, 0x25
	BELOW 0xF00
	and eax, ~3
	add eax, SCRATCH
	jmp emit_d

; emit_rr: ModRM 11 reg rm with two random registers.
emit_rr:
	push xBX
	call rand_reg
	mov ebx, eax
	call rand_reg
	shl eax, 3
	or eax, ebx
	or al, 0xC0
	EMIT al
	pop xBX
	ret

; mov REG(AL), imm32 random: B8+r imm32
emit_mov_imm:
	or al, 0xB8
	EMIT al
	call rand
	jmp emit_d

; ---- the templates ------------------------------------------------------------
; Each emits one instruction (or a short group) at EDI.

alu_ops:	db 0x01, 0x03, 0x09, 0x0B, 0x11, 0x13, 0x19, 0x1B, 0x21, 0x23
		db 0x29, 0x2B, 0x31, 0x33, 0x39, 0x3B, 0x85, 0x87, 0x89, 0x8B
%define N_ALU 20

t_alu_rr:			; op reg, reg
	call maybe_prefix
	BELOW N_ALU
	lea xSI, [alu_ops]
	mov al, [xSI + xAX]
	EMIT al
	jmp emit_rr

t_alu_mem:			; op reg, [scratch] / op [scratch], reg
	call maybe_prefix
	BELOW N_ALU
	lea xSI, [alu_ops]
	mov al, [xSI + xAX]
	EMIT al
	call rand_reg
	jmp emit_mem

t_mov_imm:
	call rand_reg
	jmp emit_mov_imm

t_div:				; mov r, imm (0 one time in 4); div/idiv r
	call rand_reg
	mov ebx, eax
	or al, 0xB8
	EMIT al
	call rand
	test al, 3
	jnz .imm
	xor eax, eax
.imm:
	call emit_d
	call rand
	and al, 8			; ModRM 11 110 r (div) or 11 111 r (idiv)
	or al, 0xF0
	or al, bl
	EMIT 0xF7, al
	ret

t_shift:			; C1 /n r, imm8  or  D3 /n r
	call rand
	test al, 1
	jz .cl
	EMIT 0xC1
	call .modrm
	call rand
	EMIT al
	ret
.cl:
	EMIT 0xD3
.modrm:
	BELOW 8
	shl eax, 3
	or al, 0xC0
	push xAX
	call rand_reg
	pop xBX
	or al, bl
	EMIT al
	ret

t_unary_mem:			; inc/dec/not/neg/mul/test dword [scratch]
	call rand
	test al, 1
	jz .f7
	EMIT 0xFF
	BELOW 2				; /0 inc, /1 dec
	jmp emit_mem
.f7:
	EMIT 0xF7
	BELOW 3				; /2 not, /3 neg, /4 mul
	add eax, 2
	jmp emit_mem

flag_ops:	db 0xF5, 0xF8, 0xF9, 0xFC, 0xFD, 0x90, 0x98, 0x99, 0x9E, 0x9F
t_flags:
	BELOW 10
	lea xSI, [flag_ops]
	mov al, [xSI + xAX]
	EMIT al
	ret

t_trap:				; UD2, INT3, INT n, INTO (#UD in long mode)
	BELOW 4
	cmp eax, 1
	jb .ud2
	je .int3
	cmp eax, 2
	je .intn
	EMIT 0xCE
	ret
.ud2:
	EMIT 0x0F, 0x0B
	ret
.int3:
	EMIT 0xCC
	ret
.intn:
	EMIT 0xCD
	call rand
	EMIT al
	ret

selectors:	dd 0, 0x08, 0x10, 0x18, 0x2B, 0xFFFF
t_seg:				; mov eax, sel; mov es/ds/fs/gs, ax
	BELOW 6
	lea xSI, [selectors]
	mov eax, [xSI + xAX * 4]
	push xAX
	EMIT 0xB8
	pop xAX
	call emit_d
	BELOW 4
	lea xSI, [sregs]
	mov al, [xSI + xAX]
	EMIT 0x8E, al
	ret
sregs:		db 0xC0, 0xD8, 0xE0, 0xE8	; ES, DS, FS, GS from AX

t_eflags:			; pushf; pop eax; xor eax, m; push eax; popf
	EMIT 0x9C, 0x58, 0x35
	call rand
	and eax, EFL_SAFE
	call emit_d
	EMIT 0x50, 0x9D
	ret

t_cr0:				; mov eax, cr0; xor eax, m; mov cr0, eax
	EMIT 0x0F, 0x20, 0xC0, 0x35
	call rand
	and eax, CR0_SAFE
	call emit_d
	EMIT 0x0F, 0x22, 0xC0
	ret

t_cr4:
	EMIT 0x0F, 0x20, 0xE0, 0x35
	call rand
	and eax, [cr4_mask]
	call emit_d
	EMIT 0x0F, 0x22, 0xE0
	ret

; Two-byte opcodes 0F xx. Those with a ModRM byte get a register operand.
op0f_modrm:	db 0x00, 0x02, 0x03, 0x0D, 0x18, 0x1F, 0x20, 0x21, 0x40, 0x44, 0x4C, 0x4F
		db 0x78, 0x79, 0x90, 0x95, 0x9C, 0xA3, 0xAB, 0xAF, 0xB3, 0xB6, 0xB7, 0xBB
		db 0xBC, 0xBD, 0xBE, 0xBF, 0xC7
%define N_0F_MODRM 29
op0f_plain:	db 0x05, 0x06, 0x07, 0x0B, 0x31, 0x33, 0x34, 0x35, 0x37, 0xA2, 0x08, 0x09
%define N_0F_PLAIN 12
t_0f:
	call rand
	test al, 3
	jz .plain
	call maybe_segment_prefix
	BELOW N_0F_MODRM
	lea xSI, [op0f_modrm]
	mov al, [xSI + xAX]
	EMIT 0x0F, al
	jmp emit_rr
.plain:
	BELOW N_0F_PLAIN
	lea xSI, [op0f_plain]
	mov al, [xSI + xAX]
	EMIT 0x0F, al
	ret

fpu_bytes:	; length-prefixed x87/SSE instructions
		db 2, 0xD9, 0xE8		; fld1
		db 2, 0xDB, 0xE3		; fninit
		db 2, 0xDE, 0xF9		; fdivp
		db 2, 0xD9, 0xFA		; fsqrt
		db 3, 0x0F, 0x57, 0xC0		; xorps xmm0, xmm0
		db 4, 0x66, 0x0F, 0xEF, 0xC9	; pxor xmm1, xmm1
		db 3, 0x0F, 0x5E, 0xC1		; divps xmm0, xmm1
		db 0
t_fpu:
	call rand
	test al, 3
	jz .fxsave
	BELOW 7
	lea xSI, [fpu_bytes]
.find:
	test eax, eax
	jz .copy
	movzx ecx, byte [xSI]
	lea xSI, [xSI + xCX + 1]
	dec eax
	jmp .find
.copy:
	movzx ecx, byte [xSI]
.byte:
	inc xSI
	mov al, [xSI]
	EMIT al
	loop .byte
	ret
.fxsave:			; fxsave/fxrstor/xsave [scratch]: alignment and state faults
	EMIT 0x0F, 0xAE
	BELOW 3
	cmp eax, 2
	jne .fx
	mov eax, 4			; xsave (needs OSXSAVE)
.fx:
	jmp emit_mem

t_cpuid:			; random leaf and subleaf
	EMIT 0xB8
	call rand
	test eax, 0x30000
	jz .hi
	and eax, 0x1F			; mostly the basic leaves
	jmp .leaf
.hi:
	and eax, 0xC000001F		; 0, 40000000h, 80000000h, C0000000h ranges
.leaf:
	call emit_d
	EMIT 0xB9
	BELOW 4
	call emit_d
	EMIT 0x0F, 0xA2
	ret

msr_bases:	dd 0, 0, 0x480, 0xC0000080, 0xC0010000, 0x40000000, 0x1B, 0x3A
t_rdmsr:			; random ECX, near the known ranges or anywhere
	call rand
	and eax, 7
	jnz .near
	call rand
	jmp .ecx
.near:
	lea xSI, [msr_bases]
	mov eax, [xSI + xAX * 4]
	push xAX
	BELOW 0x400
	pop xBX
	add eax, ebx
.ecx:
	push xAX
	EMIT 0xB9
	pop xAX
	call emit_d
	EMIT 0x0F, 0x32
	ret

xcr0_values:	dd 0, 1, 3, 5, 7, 0x1F, 0xE7, 2
t_xsetbv:			; ECX 0 or 1, EDX 0 or 1, EAX from the list or random
%if XSETBV == 0
	jmp t_cpuid
%endif
	EMIT 0xB9
	BELOW 2
	call emit_d
	EMIT 0xBA
	call rand
	and eax, 1
	jz .edx
	BELOW 2
.edx:
	call emit_d
	EMIT 0xB8
	call rand
	test al, 8
	jz .list
	call rand
	jmp .eax
.list:
	and eax, 7
	lea xSI, [xcr0_values]
	mov eax, [xSI + xAX * 4]
.eax:
	call emit_d
	EMIT 0x0F, 0x01, 0xD1
	ret

t_cache:			; INVD, WBINVD, CLTS
	BELOW 3
	cmp eax, 1
	jb .invd
	je .wbinvd
	EMIT 0x0F, 0x06
	ret
.invd:
	EMIT 0x0F, 0x08
	ret
.wbinvd:
	EMIT 0x0F, 0x09
	ret

out_ports:	dw 0x80, 0x84, 0x85, 0x86, 0x88, 0x8C, 0x8D, 0x8E
t_io:				; IN from a random port, OUT to a safe one, INS to scratch
	BELOW 8
	cmp eax, 5
	jb .in
	cmp eax, 7
	jb .out
	jmp .ins
.in:				; byte reads anywhere; word/dword reads in 0-3FFh
	EMIT 0xBA			; but near the UARTs (QEMU 7.2 aborts on a
	call rand			; wider UART access: serial_ioport_read asserts)
	test eax, 0x70000
	jnz .low
	and eax, 0xFFFF
	call emit_d
	EMIT 0xEC
	ret
.low:
	and eax, 0x3FF
	mov ebx, eax
	call emit_d
	call uart_near
	jc .inb
	BELOW 3
	cmp eax, 1
	jb .inb
	je .inw
	EMIT 0xED
	ret
.inb:
	EMIT 0xEC
	ret
.inw:
	EMIT 0x66, 0xED
	ret
.out:
	EMIT 0xBA
	BELOW 8
	lea xSI, [out_ports]
	movzx eax, word [xSI + xAX * 2]
	call emit_d
	xor eax, eax			; the value in EAX (not EDX: that holds the port)
	call emit_mov_imm
	call rand
	test al, 1
	jz .outb
	EMIT 0xEF
	ret
.outb:
	EMIT 0xEE
	ret
.ins:				; rep insb/insd from a port Keel does not intercept
	EMIT 0xBF
	BELOW 0x700
	add eax, SCRATCH
	call emit_d
	EMIT 0xB9
	BELOW 16
	call emit_d
	EMIT 0xBA
.pick:				; no byte of a dword at the port on 60h-64h or 92h
	BELOW 0x400		; (Keel intercepts 60h, 64h, 92h), not a UART
	mov ebx, eax
	cmp eax, 0x5D
	jb .ok
	cmp eax, 0x64
	jbe .pick
	cmp eax, 0x8F
	jb .ok
	cmp eax, 0x92
	jbe .pick
.ok:
	call uart_near
	jc .pick
	call emit_d
	call rand
	test al, 1
	jz .insd
	EMIT 0xF3, 0x6C
	ret
.insd:
	EMIT 0xF3, 0x6D
	ret

; uart_near: CF set when a 4-byte access at port EBX would touch a UART
; (2E8h, 2F8h, 3E8h, 3F8h, 8 ports each). Keeps EAX and EBX.
uart_near:
	push xAX
	mov eax, ebx
	add eax, 3
	and eax, ~0x117			; 2E8/2F8/3E8/3F8 +0..7 (with +3) -> 2E8
	cmp eax, 0x2E8
	je .near
	mov eax, ebx
	and eax, ~0x117
	cmp eax, 0x2E8
	je .near
	pop xAX
	clc
	ret
.near:
	pop xAX
	stc
	ret

t_hypercall:			; random number (never 1-3 or 84000008h) and arguments
	EMIT 0xBB
	call rand
	call emit_d
	EMIT 0xB9
	call rand
	call emit_d
	EMIT 0xBA
	call rand
	call emit_d
.fn:
	call rand
	test eax, 0x300
	jz .small
	test eax, 0x400
	jz .shim
	jmp .check
.small:
	and eax, 0xF
	jmp .check
.shim:
	and eax, 0x1F			; the BIOS shim's range 10h-1Fh, and below
.check:
	cmp eax, 3
	jbe .maybe_zero
	cmp eax, 0x84000008
	je .fn
	jmp .ok
.maybe_zero:
	test eax, eax
	jnz .fn
.ok:
	push xAX
	EMIT 0xB8
	pop xAX
	call emit_d
	call rand
	test al, 1
	jz .vmcall
	EMIT 0x0F, 0x01, 0xD9		; VMMCALL
	jmp .count
.vmcall:
	EMIT 0x0F, 0x01, 0xC1		; VMCALL
.count:				; inc dword [hc_count]: reached when it did not fault
	EMIT 0xFF, 0x04, 0x25
	lea xAX, [hc_count]
	jmp emit_d

; An optional prefix (segment overrides, and for the one-byte ALU opcodes
; LOCK and REP/REPNE) before some templates; none changes an instruction's
; length. (F2/F3 before 0F opcodes can: F2 0F 78 is SSE4a INSERTQ, which
; takes two immediate bytes.)
prefixes:	db 0x2E, 0x3E, 0x26, 0x64, 0x65, 0xF0, 0xF2, 0xF3
maybe_prefix:
	push xCX
	mov ecx, 8
	jmp prefix_common
maybe_segment_prefix:			; not LOCK either: QEMU 7.2's TCG dies
	push xCX			; ("tcg fatal error") on LOCK BTS/BTR/BTC reg, reg
	mov ecx, 5
prefix_common:
	call rand
	test al, 0x30
	jnz .none
	call below
	lea xSI, [prefixes]
	mov al, [xSI + xAX]
	EMIT al
.none:
	pop xCX
	ret

templates:
%if LONG
	dq t_alu_rr, t_alu_rr, t_alu_rr, t_alu_mem, t_alu_mem, t_mov_imm, t_mov_imm, t_div
	dq t_shift, t_unary_mem, t_flags, t_trap, t_seg, t_eflags, t_cr0, t_cr4
	dq t_0f, t_0f, t_fpu, t_cpuid, t_rdmsr, t_xsetbv, t_cache, t_io
	dq t_io, t_hypercall, t_hypercall, t_0f, t_cpuid, t_rdmsr, t_alu_rr, t_trap
%else
	dd t_alu_rr, t_alu_rr, t_alu_rr, t_alu_mem, t_alu_mem, t_mov_imm, t_mov_imm, t_div
	dd t_shift, t_unary_mem, t_flags, t_trap, t_seg, t_eflags, t_cr0, t_cr4
	dd t_0f, t_0f, t_fpu, t_cpuid, t_rdmsr, t_xsetbv, t_cache, t_io
	dd t_io, t_hypercall, t_hypercall, t_0f, t_cpuid, t_rdmsr, t_alu_rr, t_trap
%endif
%define N_TEMPLATES 32

; gen_sequence: writes 1..MAX_INSNS instructions and a RET at CODE_BUF.
gen_sequence:
	mov edi, CODE_BUF
	BELOW MAX_INSNS
	inc eax
	mov [seq_len], eax
	add [insn_count], eax
.next:
	BELOW N_TEMPLATES
	lea xSI, [templates]
%if LONG
	call [xSI + xAX * 8]
%else
	call [xSI + xAX * 4]
%endif
	dec dword [seq_len]
	jnz .next
	EMIT 0xC3
	ret

; ---- the exception recovery ----------------------------------------------------

%assign v 0
%rep 32
exc_stub_%[v]:
	push v
	jmp exc_common
%assign v v + 1
%endrep

exc_stubs:
%assign v 0
%rep 32
%if LONG
	dq exc_stub_%[v]
%else
	dd exc_stub_%[v]
%endif
%assign v v + 1
%endrep

exc_common:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
%if LONG
	mov ss, ax
	pop rax
%else
	mov ss, ax
	pop eax
%endif
	and eax, 31
	lea xBX, [exc_count]
	inc dword [xBX + xAX * 4]
	inc dword [exc_total]
	mov xSP, [resume_sp]
	call restore_state
	jmp start.resume

; Puts back what the templates may have changed.
restore_state:
	mov xAX, [saved_cr0]
	mov cr0, xAX
	mov xAX, [saved_cr4]
	mov cr4, xAX
	push qword_or_dword 0x2		; flags: IF, TF, DF, AC, NT clear
	popf_
	cld
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	ret

; ---- output -------------------------------------------------------------------

; puts: xSI = NUL-terminated string.
puts:
	push xAX
	push xBX
	push xSI
.next:
	mov al, [xSI]
	test al, al
	jz .done
	movzx ebx, al
	mov eax, HC_PUTC
	HYPERCALL
	inc xSI
	jmp .next
.done:
	pop xSI
	pop xBX
	pop xAX
	ret

; putdec: EAX in decimal.
putdec:
	push xAX
	push xBX
	push xCX
	push xDX
	xor ecx, ecx
	mov ebx, 10
.div:
	xor edx, edx
	div ebx
	push xDX
	inc ecx
	test eax, eax
	jnz .div
.out:
	pop xBX
	add ebx, '0'
	mov eax, HC_PUTC
	HYPERCALL
	loop .out
	pop xDX
	pop xCX
	pop xBX
	pop xAX
	ret

%macro PUT 1
	lea xSI, [%1]
	call puts
%endmacro

%macro PUTN 2			; text, dword variable
	PUT %1
	mov eax, [%2]
	call putdec
%endmacro

; trace_sequence: "fuzz: seq N:" and the bytes from CODE_BUF to EDI.
trace_sequence:
	push xBP
	PUT s_seq
	mov eax, [seq_done]
	call putdec
	PUT s_colon
	mov ebp, CODE_BUF
.byte:
	cmp ebp, edi
	jae .end
	PUT s_space
	lea xSI, [hex_digits]
	movzx eax, byte [xBP]
	shr eax, 4
	movzx ebx, byte [xSI + xAX]
	mov eax, HC_PUTC
	HYPERCALL
	movzx eax, byte [xBP]
	and eax, 15
	movzx ebx, byte [xSI + xAX]
	mov eax, HC_PUTC
	HYPERCALL
	inc ebp
	jmp .byte
.end:
	PUT s_nl
	pop xBP
	ret
s_seq:		db "fuzz: seq ", 0
s_colon:	db ":", 0
hex_digits:	db "0123456789abcdef"

summary:
	PUT s_mode
	PUTN s_seed, seed_value
	PUTN s_seqs, seq_done
	PUTN s_insns, insn_count
	PUTN s_exc, exc_total
	PUTN s_hc, hc_count
	PUT s_nl
	PUT s_vectors
	xor ecx, ecx
.vec:
	lea xBX, [exc_count]
	mov eax, [xBX + xCX * 4]
	test eax, eax
	jz .skip
	PUT s_space
	mov eax, ecx
	call putdec
	PUT s_eq
	lea xBX, [exc_count]
	mov eax, [xBX + xCX * 4]
	call putdec
.skip:
	inc ecx
	cmp ecx, 32
	jb .vec
	PUT s_nl
	ret

s_mode:		db "fuzz: mode=", MODE_NAME, 0
s_seed:		db " seed=", 0
s_seqs:		db " sequences=", 0
s_insns:	db " instructions=", 0
s_exc:		db " exceptions=", 0
s_hc:		db " hypercalls=", 0
s_vectors:	db "fuzz: vectors", 0
s_space:	db " ", 0
s_eq:		db "=", 0
s_nl:		db 10, 0

; ---- start ----------------------------------------------------------------------

start:
	cli
	lea xSP, [stack_top]
	lgdt [gdt_ptr]
%if LONG
	lea rax, [.cs]
	push 0x08
	push rax
	retfq
%else
	jmp 0x08:.cs
%endif
.cs:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	DETECT_VENDOR

	; The IDT: 32 interrupt gates to the stubs.
	xor ecx, ecx
.gate:
	lea xSI, [exc_stubs]
%if LONG
	mov rax, [rsi + rcx * 8]
	mov edi, ecx
	shl edi, 4
	lea rbx, [idt]
	add rdi, rbx
	mov [rdi], ax
	mov word [rdi + 2], 0x08
	mov word [rdi + 4], 0x8E00
	shr rax, 16
	mov [rdi + 6], ax
	shr rax, 16
	mov [rdi + 8], eax
	mov dword [rdi + 12], 0
%else
	mov eax, [esi + ecx * 4]
	lea edi, [idt + ecx * 8]
	mov [edi], ax
	mov word [edi + 2], 0x08
	mov word [edi + 4], 0x8E00
	shr eax, 16
	mov [edi + 6], ax
%endif
	inc ecx
	cmp ecx, 32
	jb .gate
	lidt [idt_ptr]

	; The CR4 bits this CPU has; CR4.OSXSAVE when it has XSAVE, so that
	; XSETBV reaches Keel.
	mov dword [cr4_mask], CR4_BASE
	mov eax, 1
	cpuid
	bt edx, 13
	jnc .no_pge
	or dword [cr4_mask], 1 << 7
.no_pge:
	cmp byte [hc_is_amd], 0
	jne .no_vmxe
	or dword [cr4_mask], 1 << 13
.no_vmxe:
	bt ecx, 26
	jnc .no_xsave
	or dword [cr4_mask], 1 << 18
	mov xAX, cr4
	or eax, 1 << 18
	mov cr4, xAX
.no_xsave:
	xor eax, eax
	cpuid
	cmp eax, 7
	jb .no_leaf7
	mov eax, 7
	xor ecx, ecx
	cpuid
	xor eax, eax			; CPUID.7.0:EBX FSGSBASE, SMEP, SMAP
	bt ebx, 0
	jnc .no_fsgs
	or eax, 1 << 16
.no_fsgs:
	bt ebx, 7
	jnc .no_smep
	or eax, 1 << 20
.no_smep:
	bt ebx, 20
	jnc .no_smap
	or eax, 1 << 21
.no_smap:
	or [cr4_mask], eax
.no_leaf7:
	mov xAX, cr0
	mov [saved_cr0], xAX
	mov xAX, cr4
	mov [saved_cr4], xAX

	mov dword [rng], SEED
	mov dword [seed_value], SEED
	cmp dword [rng], 0
	jne .loop
	mov dword [rng], 0x2545F491	; xorshift's state may not be 0
.loop:
	cmp dword [seq_done], COUNT
	jae .done
	call gen_sequence
%if TRACE
	call trace_sequence
%endif
	mov [resume_sp], xSP
	; Random registers, but the stack pointer.
	call rand
	mov ebx, eax
	call rand
	mov ecx, eax
	call rand
	mov edx, eax
	call rand
	mov esi, eax
	call rand
	mov edi, eax
	call rand
	mov ebp, eax
	call rand
	mov [tmp], eax
	lea xAX, [.back]
	push xAX			; the sequence's RET comes back here
	mov eax, CODE_BUF
	push xAX
	mov eax, [tmp]
	ret				; into the sequence
.back:
	mov xSP, [resume_sp]
	call restore_state
.resume:
	inc dword [seq_done]
	jmp .loop
.done:
	call summary
	xor ebx, ebx
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

align 8
gdt:		dq 0
%if LONG
		dq 0x00AF9A000000FFFF	; 0x08: 64-bit code
%else
		dq 0x00CF9A000000FFFF	; 0x08: 32-bit code
%endif
		dq 0x00CF92000000FFFF	; 0x10: data
gdt_end:
gdt_ptr:	dw gdt_end - gdt - 1
%if LONG
		dq gdt
%else
		dd gdt
%endif
align 16
%if LONG
idt:		times 32 dq 0, 0
idt_ptr:	dw 32 * 16 - 1
		dq idt
%else
idt:		times 32 dq 0
idt_ptr:	dw 32 * 8 - 1
		dd idt
%endif

align 8
saved_cr0:	dq 0
saved_cr4:	dq 0
resume_sp:	dq 0
rng:		dd 0
seed_value:	dd 0
seq_done:	dd 0
seq_len:	dd 0
insn_count:	dd 0
exc_total:	dd 0
hc_count:	dd 0
tmp:		dd 0
cr4_mask:	dd 0
exc_count:	times 32 dd 0
hc_is_amd:	db 0

align 16
		times 1024 db 0
stack_top:
