; Test guest: HLT with interrupts on wakes on the next interrupt (real
; mode, loaded at 0x10000). The BIOS's timer (PIT IRQ 0, INT 08h through
; the real IVT) counts ticks at 0040:006C, about 18.2 per second. The guest
; halts until that count has moved on by TICKS, then exits with code 0.
; A HLT that returns without the count moving is fine (another interrupt
; woke it); more than MAX_HLT halts without TICKS ticks is exit code 1.
BITS 16
ORG 0

%include "hypercall.inc"

%define TICKS 3
%define MAX_HLT 1000

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	mov ax, 0x40
	mov es, ax
	mov ebx, [es:0x6C]		; the BIOS tick count
	xor cx, cx			; HLTs so far
	sti
.wait:
	hlt
	inc cx
	cmp cx, MAX_HLT
	ja .timeout
	mov eax, [es:0x6C]
	sub eax, ebx
	cmp eax, TICKS
	jb .wait
	cli
	mov [hlt_count], cx
	xor ebx, ebx
	jmp exit
.timeout:
	cli
	mov ebx, 1
exit:
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

hlt_count:	dw 0
hc_is_amd:	db 0
