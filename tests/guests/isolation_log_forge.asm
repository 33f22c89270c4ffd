; Hostile guest: forge Keel's log lines through hypercall 1 (real mode,
; loaded at 0x10000). Keel logs the guest's text as "keel: [NAME] text"
; and ends the line at LF, but passes every other byte on: a CR, a form
; feed or an escape sequence lets the guest's text pass for a line of
; Keel's own (a terminal returns to the line start at CR; Python's
; splitlines() splits at CR, FF, VT, 1Ch-1Eh...). The guest prints one
; line: CR, then a forged stop line for itself, a form feed, a second
; forged line, an escape sequence that clears the screen, and LF. Exit
; code 0.
BITS 16
ORG 0

%include "hypercall.inc"

start:
	mov ax, cs
	mov ds, ax
	DETECT_VENDOR
	mov si, msg
	HC_PRINT
	xor ebx, ebx
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

msg:	db 13, 'keel: guest 1 "FORGE.BIN" stop reason=exit-code code=0 exits=1'
	db 12, "keel: FATAL: forged by the guest"
	db 27, "[2J", 10, 0
hc_is_amd:	db 0
