; Test guest: what CPUID shows a guest (real mode, loaded at 0x10000).
; Keel must announce itself and hide the virtualization extensions:
;   leaf 40000000h: EAX = 40000001h (highest hypervisor leaf),
;                   EBX:ECX:EDX = "KeelKeelKeel"
;   leaf 1:         ECX bit 31 (hypervisor present) set, bit 5 (VMX) clear
;   leaf 80000001h: ECX bit 2 (SVM) clear
;   leaf 8000000Ah: all four registers zero (SVM features)
;   leaf 40000002h: zero (the rest of Keel's range is empty)
; Exit code 0 when all hold, else the number of the first failed check:
;   1 leaf 40000000h EAX      2 signature            3 hypervisor bit clear
;   4 VMX bit set             5 extended leaves missing (max < 80000001h)
;   6 SVM bit set             7 leaf 8000000Ah not zero
;   8 leaf 40000002h not zero
BITS 16
ORG 0

%include "hypercall.inc"

%define KEEL_SIG 0x6C65654B		; "Keel" as CPUID returns it

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR

	mov eax, 0x40000000
	cpuid
	mov si, 1
	cmp eax, 0x40000001
	jne fail
	mov si, 2
	cmp ebx, KEEL_SIG
	jne fail
	cmp ecx, KEEL_SIG
	jne fail
	cmp edx, KEEL_SIG
	jne fail

	mov eax, 1
	xor ecx, ecx
	cpuid
	mov si, 3
	bt ecx, 31
	jnc fail
	mov si, 4
	bt ecx, 5
	jc fail

	mov eax, 0x80000000
	cpuid
	mov si, 5
	cmp eax, 0x80000001
	jb fail
	mov eax, 0x80000001
	cpuid
	mov si, 6
	bt ecx, 2
	jc fail

	mov eax, 0x8000000A
	cpuid
	mov si, 7
	or eax, ebx
	or eax, ecx
	or eax, edx
	jnz fail

	mov eax, 0x40000002
	xor ecx, ecx
	cpuid
	mov si, 8
	or eax, ebx
	or eax, ecx
	or eax, edx
	jnz fail

	xor si, si
fail:
	movzx ebx, si
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

hc_is_amd:	db 0
