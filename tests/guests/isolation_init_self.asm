; Hostile guest: send INIT to its own CPU through the local APIC's ICR
; (protected mode, loaded at 0x100000). On a bare CPU INIT resets the
; processor (the bootstrap CPU then runs the BIOS from the reset vector);
; under a hypervisor it must never take the CPU out of Keel's hands: VT-x
; always exits on INIT; AMD-V exits only when the INIT intercept is set.
; Keel must stop the guest, and the next guest must run on the same Keel
; (no second boot). Should the guest go on, it exits with code 99.
BITS 32
ORG 0x100000

	jmp start
%include "hypercall.inc"
%include "isolation_idt32.inc"

%define LAPIC 0xFEE00000
%define LAPIC_ID (LAPIC + 0x20)
%define LAPIC_SVR (LAPIC + 0xF0)
%define LAPIC_ICR_LO (LAPIC + 0x300)
%define LAPIC_ICR_HI (LAPIC + 0x310)
%define ICR_INIT_ASSERT 0x00004500	; INIT, level assert, physical destination

start:
	PM_SETUP
	or dword [LAPIC_SVR], 0x100
	mov eax, [LAPIC_ID]
	and eax, 0xFF000000		; xAPIC ID in bits 31:24, as ICR_HI wants it
	mov [LAPIC_ICR_HI], eax
	mov dword [LAPIC_ICR_LO], ICR_INIT_ASSERT
	mov ecx, 1000000
.spin:
	pause
	loop .spin
	mov ebx, 99
	EXIT

align 16
		times 512 db 0
stack_top:
