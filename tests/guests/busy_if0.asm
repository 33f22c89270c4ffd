; Test guest: a guest that is busy, not stuck (real mode, loaded at
; 0x10000). With interrupts off it computes for TICKS TSC ticks (no
; instruction of the loop exits), then waits in MWAIT with interrupts off
; (ECX bit 0: an interrupt ends the wait even while masked) for another
; TICKS, taking each timer interrupt with a short STI window, as Linux's
; idle loop does. A watchdog that mistook either for a hang would stop it
; (docs/security.md "A guest that loops with interrupts off"). It prints
;   busy: computed <n> ticks, waited <m> ticks in MWAIT with interrupts off (<w> wakes)
; and exits with 0; without MWAIT's interrupt break-event (CPUID.5:ECX
; bits 0 and 1) it says "busy: no MWAIT" after the computing part.
; TICKS comes from -DTICKS= (default 2^30).
BITS 16
ORG 0

%include "hypercall.inc"

%ifndef TICKS
%define TICKS 0x40000000
%endif

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	cli
	rdtsc
	mov [t0], eax
	mov [t0 + 4], edx
.compute:
	mov ecx, 1000
.inner:
	imul ebx, ecx
	loop .inner
	call elapsed
	cmp edx, 0
	jne .computed
	cmp eax, TICKS
	jb .compute
.computed:
	mov [computed], eax

	mov eax, 1
	cpuid
	bt ecx, 3			; MONITOR/MWAIT
	jnc .no_mwait
	xor eax, eax
	cpuid
	cmp eax, 5
	jb .no_mwait
	mov eax, 5
	cpuid
	and ecx, 3
	cmp ecx, 3
	jne .no_mwait

	rdtsc
	mov [t0], eax
	mov [t0 + 4], edx
.wait:
	mov eax, monitor_line
	xor ecx, ecx
	xor edx, edx
	monitor
	mov ecx, 1			; break on interrupts though IF = 0
	xor eax, eax
	mwait
	inc dword [wakes]
	sti				; take the interrupt, then off again
	nop
	cli
	call elapsed
	cmp edx, 0
	jne .waited
	cmp eax, TICKS
	jb .wait
.waited:
	mov [waited], eax
	mov si, msg_computed
	HC_PRINT
	mov eax, [computed]
	call putdec
	mov si, msg_waited
	HC_PRINT
	mov eax, [waited]
	call putdec
	mov si, msg_wakes
	HC_PRINT
	mov eax, [wakes]
	call putdec
	mov si, msg_end
	HC_PRINT
	xor ebx, ebx
	jmp exit
.no_mwait:
	mov si, msg_none
	HC_PRINT
	xor ebx, ebx
exit:
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

; EDX:EAX = TSC now - t0.
elapsed:
	rdtsc
	sub eax, [t0]
	sbb edx, [t0 + 4]
	ret

; putdec: EAX in decimal through hypercall 1.
putdec:
	pushad
	mov ebx, 10
	xor ecx, ecx
.div:
	xor edx, edx
	div ebx
	push dx
	inc cx
	test eax, eax
	jnz .div
.out:
	pop bx
	add bl, '0'
	movzx ebx, bl
	mov eax, HC_PUTC
	HYPERCALL
	loop .out
	popad
	ret

msg_computed:	db "busy: computed ", 0
msg_waited:	db " ticks, waited ", 0
msg_wakes:	db " ticks in MWAIT with interrupts off (", 0
msg_end:	db " wakes)", 10, 0
msg_none:	db "busy: no MWAIT", 10, 0
t0:		dq 0
computed:	dd 0
waited:		dd 0
wakes:		dd 0
hc_is_amd:	db 0
align 64
monitor_line:	times 64 db 0
