; An IDT used only while Keel halts on a guest's behalf (hv/idle.c): every
; vector records its number and returns. Only external interrupts (and NMI)
; can arrive at a HLT, so no vector here has an error code -- which is why
; this is a separate table: a real-mode guest's PIC sends IRQ 0 as vector 8.

BITS 64
DEFAULT REL

global idle_stubs, idle_vector

section .text
%macro idle_stub 1
idle_stub_%1:
	mov dword [idle_vector], %1
	iretq
%endmacro

%assign v 0
%rep 256
	idle_stub v
%assign v v + 1
%endrep

section .rodata
align 8
idle_stubs:
%assign v 0
%rep 256
	dq idle_stub_ %+ v
%assign v v + 1
%endrep

section .data
idle_vector:	dd -1
