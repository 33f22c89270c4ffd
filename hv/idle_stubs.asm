; Halting in Keel (hv/idle.c). idle_stubs: an IDT used only while Keel
; halts on a guest's behalf: every vector records its number (in this
; CPU's struct percpu) and returns.
; Only external interrupts (and NMI, which hv/idle.c sends to the real NMI
; handler) can arrive at a HLT, so no vector here has an error code --
; which is why this is a separate table: a real-mode guest's PIC sends
; IRQ 0 as vector 8.
;
; idle_halt and halt_until_attention look at this CPU's attention word
; (struct percpu, hv/percpu.h, through GS) before they halt; an NMI that
; arrives between that look and the HLT is sent past the HLT by hv/nmi.c
; (the windows hv/idle.c registers), so a kick is never slept through.

BITS 64
DEFAULT REL

%define PERCPU_ATTENTION 8		; hv/percpu.h
%define PERCPU_IDLE_VECTOR 12

global idle_stubs
global idle_halt, idle_halt_hlt, idle_halt_out
global halt_until_attention, halt_until_attention_hlt

section .text
%macro idle_stub 1
idle_stub_%1:
	mov dword [gs:PERCPU_IDLE_VECTOR], %1
	iretq
%endmacro

%assign v 0
%rep 256
	idle_stub v
%assign v v + 1
%endrep

; void idle_halt(void): with interrupts off on entry and on return; halts
; until an interrupt (which the idle IDT records) or an NMI, unless this
; CPU's attention word is already set.
idle_halt:
	cmp dword [gs:PERCPU_ATTENTION], 0
	jne idle_halt_out
	sti				; its shadow covers the HLT
idle_halt_hlt:
	hlt
idle_halt_out:
	cli
	ret

; void halt_until_attention(void): interrupts off throughout; only an NMI
; (a kick, hv/nmi.c) wakes it. Returns once the attention word is set.
halt_until_attention:
	cmp dword [gs:PERCPU_ATTENTION], 0
	jne halt_until_attention_out
halt_until_attention_hlt:
	hlt
	jmp halt_until_attention
halt_until_attention_out:
	ret

section .rodata
align 8
idle_stubs:
%assign v 0
%rep 256
	dq idle_stub_ %+ v
%assign v v + 1
%endrep
