; Test guest: I/O ports Keel does not intercept reach the real devices
; (real mode, loaded at 0x10000); none of these accesses should exit.
;   - the debug port 0xE9: a line written there directly (not through
;     hypercall 1) appears in the debug log as it is;
;   - CMOS/RTC 0x70/0x71: register 0Fh (the shutdown status byte) takes a
;     value and reads it back; the original value is restored;
;   - PIT 0x40/0x43: counter 0, latched and read twice some time apart,
;     has moved (the timer is really counting);
;   - POST port 0x80: a write goes through.
; Exit codes: 0 all good, 1 CMOS read-back differs, 2 PIT counter stuck.
BITS 16
ORG 0

%include "hypercall.inc"

%define CMOS_INDEX 0x70
%define CMOS_DATA 0x71
%define CMOS_SHUTDOWN 0x0F
%define PIT_CH0 0x40
%define PIT_CMD 0x43

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	cli

	mov si, e9_line
	mov dx, 0xE9
.e9:
	lodsb
	test al, al
	jz .cmos
	out dx, al
	jmp .e9

.cmos:
	mov al, CMOS_SHUTDOWN
	out CMOS_INDEX, al
	in al, CMOS_DATA
	mov bl, al			; the original value
	mov al, CMOS_SHUTDOWN
	out CMOS_INDEX, al
	mov al, 0xA5
	out CMOS_DATA, al
	mov al, CMOS_SHUTDOWN
	out CMOS_INDEX, al
	in al, CMOS_DATA
	mov bh, al			; what came back
	mov al, CMOS_SHUTDOWN
	out CMOS_INDEX, al
	mov al, bl
	out CMOS_DATA, al
	mov si, 1
	cmp bh, 0xA5
	jne fail

	mov al, 0x55
	out 0x80, al

	call pit_read
	mov di, ax
	mov cx, 5000
.spin:
	call pit_read
	cmp ax, di
	jne .pit_ok
	loop .spin
	mov si, 2
	jmp fail
.pit_ok:
	xor si, si
fail:
	movzx ebx, si
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

; AX = PIT counter 0, latched (command 00h: channel 0, latch).
pit_read:
	mov al, 0x00
	out PIT_CMD, al
	in al, PIT_CH0
	mov ah, al
	in al, PIT_CH0
	xchg al, ah
	ret

e9_line:	db "ports: written to port 0xe9 by the guest", 10, 0
hc_is_amd:	db 0
