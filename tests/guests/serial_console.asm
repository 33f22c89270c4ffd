; Test guest: the BIOS shim's serial console (console=serial,
; docs/bios-shim.md), as the boot sector of a floppy image. It writes
; "serial console: teletype" through INT 10h AH=0Eh and "serial string"
; through AH=13h (with attribute bytes), which must also appear on COM1;
; then says "serial console: ready" on Keel's log (hypercall 1) and
; reads keys with INT 16h AH=00h, printing each on Keel's log as
; "key SSAA" (scan code, ASCII, hex), until it reads 'q', then exits with
; code 0.
BITS 16
CPU 686
ORG 0x7C00

%include "hypercall.inc"

start:
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7C00
	DETECT_VENDOR
	mov si, msg_tty			; teletype, a character at a time
.tty:
	lodsb
	test al, al
	jz .string
	mov ah, 0x0E
	mov bx, 0x0007
	int 0x10
	jmp .tty
.string:
	mov ax, 0x1302			; write string, attributes between the characters
	mov bx, 0x0007
	mov cx, (msg_attr_end - msg_attr) / 2
	mov dx, 0x1000			; row 16, column 0
	mov bp, msg_attr
	int 0x10
	mov si, msg_ready
	HC_PRINT
.key:
	xor ah, ah			; wait for a key
	int 0x16
	push ax
	mov si, msg_key
	HC_PRINT
	pop ax
	push ax
	movzx eax, ax
	HC_PRINT_HEX 4
	mov ebx, 10
	mov eax, HC_PUTC
	HYPERCALL
	pop ax
	cmp al, 'q'
	jne .key
	xor ebx, ebx
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

msg_tty:	db "serial console: teletype", 13, 10, 0
msg_attr:	db 's', 7, 'e', 7, 'r', 7, 'i', 7, 'a', 7, 'l', 7, ' ', 7, 's', 7, 't', 7
		db 'r', 7, 'i', 7, 'n', 7, 'g', 7, 13, 7, 10, 7
msg_attr_end:
msg_ready:	db "serial console: ready", 10, 0
msg_key:	db "key ", 0
hc_is_amd:	db 0

	times 510 - ($ - $$) db 0
	dw 0xAA55
