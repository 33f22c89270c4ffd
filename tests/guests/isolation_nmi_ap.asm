; Hostile guest: reach an AP through the I/O APIC instead of the local
; APIC, whose IPIs Keel filters (hv/ipi.c): route the timer's interrupt
; (ISA IRQ 0, I/O APIC input 2) to the AP with APIC ID 1 as an NMI. An AP
; the BIOS left in its wait loop takes the NMI through the real-mode
; interrupt table, which the guest owns: vector 2 points at the AP code
; below (copied to 8000h), which sets a flag at 9000h and reads Keel's
; region. An AP Keel parked takes it in Keel (or holds it: SVM with GIF
; clear) and runs nothing of the guest's. Protected mode, loaded at
; 0x100000; run with two CPUs. The routing is undone before the exit.
; Exit code 0: no AP ran the code ("nmi: no AP ran guest code"); 1: one
; did ("nmi: an AP ran guest code outside Keel and read XXXXXXXX at Keel's
; region"); 2: it started but did not finish.
BITS 32
ORG 0x100000

	jmp start
%include "hypercall.inc"
%include "isolation_idt32.inc"
%include "ap_probe.inc"

%define IOAPIC 0xFEC00000
%define IOREGSEL IOAPIC
%define IOWIN (IOAPIC + 0x10)
%define REDIR_LO(n) (0x10 + 2 * (n))
%define REDIR_HI(n) (0x11 + 2 * (n))
%define TIMER_INPUT 2
%define NMI_TO_AP (4 << 8)		; delivery mode NMI, physical, edge, unmasked
%define MASKED (1 << 16)

%macro IOAPIC_WRITE 2			; register, value
	mov dword [IOREGSEL], %1
	mov dword [IOWIN], %2
%endmacro

start:
	PM_SETUP
	AP_PROBE_INSTALL
	mov dword [2 * 4], (AP_BASE >> 4) << 16	; IVT vector 2 = 0800:0000

	mov dword [IOREGSEL], REDIR_LO(TIMER_INPUT)
	mov eax, [IOWIN]
	mov [saved_lo], eax
	mov dword [IOREGSEL], REDIR_HI(TIMER_INPUT)
	mov eax, [IOWIN]
	mov [saved_hi], eax
	IOAPIC_WRITE REDIR_HI(TIMER_INPUT), 1 << 24	; APIC ID 1
	IOAPIC_WRITE REDIR_LO(TIMER_INPUT), NMI_TO_AP

	AP_PROBE_REPORT undo			; the timer ticks 18 times a second

undo:
	IOAPIC_WRITE REDIR_LO(TIMER_INPUT), MASKED
	mov eax, [saved_hi]
	IOAPIC_WRITE REDIR_HI(TIMER_INPUT), eax
	mov eax, [saved_lo]
	IOAPIC_WRITE REDIR_LO(TIMER_INPUT), eax
	ret

msg_none:	db "nmi: no AP ran guest code", 10, 0
msg_started:	db "nmi: an AP took the NMI at the guest's handler", 10, 0
msg_ran:	db "nmi: an AP ran guest code outside Keel and read ", 0
msg_at:		db " at Keel's region", 10, 0
saved_lo:	dd 0
saved_hi:	dd 0

AP_PROBE_CODE				; the AP's NMI handler

align 16
		times 512 db 0
stack_top:
