; Test guest: one exit of each common kind, for the exit trace
; (trace=N, docs/log.md). Real mode, loaded at 0x10000. In order:
;   CPUID leaf 0 (vendor detection), CPUID leaf 7 subleaf 1,
;   IN AL,64h (the keyboard controller's status: intercepted),
;   OUT CF9h with 0 (the reset control register, no reset bit),
;   RDMSR IA32_APIC_BASE, WRMSR IA32_APIC_BASE with the value read
;   (intercepted on both vendors: the APIC page may not move),
;   hypercall 2 with exit code 0.
BITS 16
ORG 0

%include "hypercall.inc"

%define MSR_APIC_BASE 0x1B

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	mov eax, 7
	mov ecx, 1
	cpuid
	in al, 0x64
	mov dx, 0xcf9
	xor al, al
	out dx, al
	mov ecx, MSR_APIC_BASE
	rdmsr
	wrmsr
	mov eax, HC_EXIT
	xor ebx, ebx
	HYPERCALL
	cli
	hlt

hc_is_amd:	db 0
