; KEELNEXT.COM: a DOS program that ends the BIOS guest it runs in and has
; Keel start the next configured guest (hypercall 3, docs/hypercalls.md).
; Keel answers the hypercall with VMCALL on Intel and VMMCALL on AMD; on a
; machine without Keel either instruction would raise #UD, so the program
; first makes sure Keel is there: CPUID must exist, leaf 1 must report a
; hypervisor (ECX bit 31) and leaf 40000000h must say "KeelKeelKeel".
;
; Build: nasm -f bin keelnext.asm -o KEELNEXT.COM

BITS 16
CPU 686				; for the assembler only: CPUID and VMCALL are guarded at run time
ORG 0x100			; a .COM program starts at PSP:0100h

HC_NEXT		equ 0x03	; stop this guest, start the next one
FLAGS_ID	equ 1 << 21	; EFLAGS.ID: can be toggled iff CPUID exists
CPUID1_ECX_HYPERVISOR equ 1 << 31 ; leaf 1 ECX bit 31: running under a hypervisor
LEAF_HYPERVISOR	equ 0x40000000	; the hypervisor's vendor leaf
DOS_PRINT	equ 0x09	; INT 21h: print a '$'-terminated string
DOS_EXIT	equ 0x4C	; INT 21h: terminate with return code AL

start:
	call keel_present	; CF clear: Keel answers hypercalls here
	jc .not_keel
	mov dx, msg_start	; say what happens before the guest is gone
	mov ah, DOS_PRINT
	int 0x21
	xor eax, eax		; leaf 0: the vendor string picks the instruction
	cpuid
	cmp ebx, 'Auth'		; "AuthenticAMD": SVM, so VMMCALL
	je .amd
	cmp ebx, 'Hygo'		; "HygonGenuine": an AMD design, SVM too
	je .amd
	mov eax, HC_NEXT	; Intel (VMX): VMCALL
	vmcall
	jmp .failed		; Keel does not return from hypercall 3
.amd:
	mov eax, HC_NEXT	; AMD (SVM): VMMCALL
	vmmcall
.failed:
	mov dx, msg_failed	; a Keel without hypercall 3 returned -1
	mov ah, DOS_PRINT
	int 0x21
	mov ax, (DOS_EXIT << 8) | 2 ; errorlevel 2: the hypercall was refused
	int 0x21
.not_keel:
	mov dx, msg_not_keel	; explain instead of faulting
	mov ah, DOS_PRINT
	int 0x21
	mov ax, (DOS_EXIT << 8) | 1 ; errorlevel 1 for batch files to test
	int 0x21

; CF clear when CPUID exists and reports Keel. Clobbers EAX-EDX.
keel_present:
	; An 8086 keeps FLAGS bits 12-15 set, a 286 in real mode keeps them
	; clear; only a 386 or later (which has EFLAGS) lets them change.
	pushf			; the original FLAGS, restored below
	xor ax, ax		; try to clear bits 12-15
	push ax
	popf
	pushf
	pop ax
	popf			; back to the original FLAGS
	and ax, 0xF000		; bits 12-15 all set: an 8086/8088
	cmp ax, 0xF000
	je .no
	pushf			; try to set bits 12-15 (IOPL, NT)
	mov ax, 0xF000
	push ax
	popf
	pushf
	pop ax
	popf			; back to the original FLAGS
	test ax, 0xF000		; all still clear: a 286
	jz .no
	; A 386 or later: CPUID exists iff EFLAGS.ID can be toggled.
	pushfd			; the original EFLAGS, restored below
	pushfd
	pop eax
	mov ecx, eax		; the value before the toggle
	xor eax, FLAGS_ID	; flip ID
	push eax
	popfd
	pushfd
	pop eax
	popfd			; back to the original EFLAGS
	xor eax, ecx		; did ID change?
	test eax, FLAGS_ID
	jz .no
	mov eax, 1		; leaf 1: feature flags
	cpuid
	test ecx, CPUID1_ECX_HYPERVISOR ; no hypervisor bit: bare metal
	jz .no
	mov eax, LEAF_HYPERVISOR ; the hypervisor's signature in EBX, ECX, EDX
	cpuid
	cmp ebx, 'Keel'		; "KeelKeelKeel" (DESIGN.md "Hypervisor core")
	jne .no
	cmp ecx, 'Keel'
	jne .no
	cmp edx, 'Keel'
	jne .no
	clc			; Keel it is
	ret
.no:
	stc			; not Keel: the caller must not use a hypercall
	ret

msg_start:	db "KEELNEXT: starting the next guest", 13, 10, "$"
msg_not_keel:	db "KEELNEXT: not running under Keel", 13, 10, "$"
msg_failed:	db "KEELNEXT: Keel refused hypercall 3", 13, 10, "$"
