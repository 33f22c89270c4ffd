; Hostile guest: wake the other CPUs with INIT-SIPI-SIPI through the local
; APIC's ICR (protected mode, loaded at 0x100000; run with two or more
; CPUs). Keel runs guests on the bootstrap CPU only (DESIGN.md "CPUs"): an
; AP that starts at the guest's SIPI vector runs guest code with no
; hypervisor under it, sees all of physical memory and could rewrite Keel.
; The AP code (copied to 8000h, SIPI vector 08h) sets a flag at 9000h,
; reads the first dword of Keel's region (REGION, assembled in with
; -DREGION=...) through unreal mode into 9004h, sets the flag to "DONE"
; and halts with interrupts off.
; Exit code 0: no AP ran the code ("sipi: no AP started"). Exit code 1:
; one did ("sipi: an AP ran guest code outside Keel and read XXXXXXXX at
; Keel's region"); 2: it started but did not finish the read.
BITS 32
ORG 0x100000

	jmp start
%include "hypercall.inc"
%include "isolation_idt32.inc"
%include "ap_probe.inc"

%define LAPIC 0xFEE00000
%define LAPIC_SVR (LAPIC + 0xF0)
%define LAPIC_ICR_LO (LAPIC + 0x300)
%define LAPIC_ICR_HI (LAPIC + 0x310)
%define ICR_INIT_ALL_BUT_SELF 0x000C4500
%define ICR_SIPI_ALL_BUT_SELF (0x000C4600 | (AP_BASE >> 12))

%macro DELAY 1
	mov ecx, %1
%%spin:
	pause
	loop %%spin
%endmacro

start:
	PM_SETUP
	AP_PROBE_INSTALL

	or dword [LAPIC_SVR], 0x100	; APIC software-enabled
	mov dword [LAPIC_ICR_HI], 0
	mov dword [LAPIC_ICR_LO], ICR_INIT_ALL_BUT_SELF
	DELAY 200000
	mov dword [LAPIC_ICR_LO], ICR_SIPI_ALL_BUT_SELF
	DELAY 20000
	mov dword [LAPIC_ICR_LO], ICR_SIPI_ALL_BUT_SELF

	AP_PROBE_REPORT

msg_none:	db "sipi: no AP started", 10, 0
msg_started:	db "sipi: an AP started at the guest's SIPI vector", 10, 0
msg_ran:	db "sipi: an AP ran guest code outside Keel and read ", 0
msg_at:		db " at Keel's region", 10, 0

AP_PROBE_CODE

align 16
		times 512 db 0
stack_top:
