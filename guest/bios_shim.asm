; Keel's BIOS shim (docs/bios-shim.md): real-mode code that Keel copies to
; the top of conventional memory for a BIOS guest. It hooks INT 13h (the
; emulated drive of an image= guest) and INT 15h (E820h, E801h, 88h: the
; memory map without Keel's region) and passes those requests to Keel with
; a hypercall; every other request goes to the BIOS vector it replaced. It
; also holds the loader that starts a partition= guest, and, for a guest
; with console=serial, the serial console: INT 10h's text output copied to
; COM1 and COM1's bytes typed as keys through INT 16h.
;
; Built with `nasm -f bin` and embedded in the hypervisor by
; guest/shim_blob.asm. Keel copies it to SEG:0000 and runs it with CS = SEG,
; so ORG 0 and CS-relative data work wherever it lands. Keel fills the
; header's data fields, the saved vectors and the diskette parameter table,
; and overwrites every hypercall placeholder with VMCALL or VMMCALL.

BITS 16
CPU 386				; 32-bit registers: E820h needs them, real mode allows them
ORG 0

SHIM_VERSION	equ 2		; bump with any change to the header layout below
HDR_SIZE	equ 0x30	; guest/bios.c asserts the same layout

HC_PUTC		equ 0x01	; put character RBX on Keel's log (docs/hypercalls.md)
HC_NEXT		equ 0x03	; stop this guest and start the next one
HC_INT13	equ 0x10	; INT 13h for the emulated drive (docs/bios-shim.md)
HC_E820		equ 0x11	; INT 15h AX=E820h
HC_E801		equ 0x12	; INT 15h AX=E801h
HC_88		equ 0x13	; INT 15h AH=88h

FLAGS_CF	equ 0x0001	; carry: the BIOS's error flag
MBR_SIG		equ 0xAA55	; bytes 55h AAh at offset 510, read as a word
MBR_ADDR	equ 0x0600	; where the loader puts the boot disk's MBR (the usual place)
PART_TABLE	equ MBR_ADDR + 446 ; the MBR's four 16-byte partition entries
BOOT_ADDR	equ 0x7C00	; where every boot sector expects to run
READ_TRIES	equ 3		; a real disk may fail once and succeed on retry

; Every hypercall site starts as UD2 + NOP, so an unpatched shim stops with
; #UD instead of running the wrong instruction; its offset goes into the
; table Keel walks to patch each site with the CPU's 3-byte instruction.
%assign hc_count 0
%macro HYPERCALL 0
..@hc_site_%[hc_count]:		; ..@: does not end the local-label scope
	db 0x0F, 0x0B, 0x90	; placeholder: UD2, NOP (Keel writes VMCALL/VMMCALL here)
%assign hc_count hc_count + 1
%endmacro

; ---- header (offsets fixed by docs/bios-shim.md) ------------------------
header:
	db "KEELSHIM"		; 00h magic: Keel refuses a blob without it
	dw SHIM_VERSION		; 08h layout version: Keel refuses another one
	dw shim_end		; 0Ah bytes Keel copies (it reserves whole KiB)
	dw int13_entry		; 0Ch Keel points IVT 13h here (image= guests)
	dw int15_entry		; 0Eh Keel points IVT 15h here (all BIOS guests)
	dw loader_entry		; 10h partition= guests start here
	dw old_int13		; 12h Keel saves the original INT 13h vector here
	dw old_int15		; 14h Keel saves the original INT 15h vector here
	dw diskette_params	; 16h Keel fills the 11-byte table AH=08h returns
	dw request		; 18h the request block the hypercalls read and write
	dw hc_table		; 1Ah list of hypercall placeholder offsets
	dw (hc_table_end - hc_table) / 2 ; 1Ch how many placeholders
drive:		db 0xFF		; 1Eh emulated drive (Keel sets it; FFh: none)
floppies:	db 0		; 1Fh floppy drives the guest is shown (AH=08h DL)
hard_disks:	db 0		; 20h hard disks the guest is shown (AH=08h DL)
boot_drive:	db 0		; 21h partition loader: the BIOS drive Keel booted from
partition:	db 0		; 22h partition loader: which entry (1-4) to boot
		db 0		; 23h reserved, keeps what follows word-aligned
	dw int10_entry		; 24h Keel points IVT 10h here (console=serial)
	dw int16_entry		; 26h Keel points IVT 16h here (console=serial)
	dw old_int10		; 28h Keel saves the original INT 10h vector here
	dw old_int16		; 2Ah Keel saves the original INT 16h vector here
serial_port:	dw 0		; 2Ch console=serial: the UART's base port (Keel; 0: off)
	dw base_end		; 2Eh bytes Keel copies without console=serial

%if header + HDR_SIZE != $
%error "the shim header is not HDR_SIZE bytes: update guest/bios.c and docs/bios-shim.md"
%endif

old_int13:	dd 0		; the vector INT 13h had before Keel hooked it (off, seg)
old_int15:	dd 0		; the vector INT 15h had before Keel hooked it (off, seg)
old_int10:	dd 0		; the same for INT 10h and INT 16h (console=serial)
old_int16:	dd 0

; The request block (docs/bios-shim.md): the caller's registers on the way
; in, Keel's answer on the way out. One block is enough: the shim runs with
; interrupts off from saving the registers to reloading them, so no second
; request can start in between.
request:
.eax:		dd 0		; 00h
.ebx:		dd 0		; 04h
.ecx:		dd 0		; 08h
.edx:		dd 0		; 0Ch
.esi:		dd 0		; 10h
.edi:		dd 0		; 14h
.ds:		dw 0		; 18h
.es:		dw 0		; 1Ah
.flags:		dw 0		; 1Ch the caller's FLAGS; Keel changes only CF and ZF
		dw 0		; 1Eh reserved

; The diskette parameter table (INT 1Eh format) AH=08h returns in ES:DI for
; a floppy image; Keel fills it for the image's format.
diskette_params:
		times 11 db 0	; specify bytes, motor delay, sector size ... motor start

; ---- INT 13h --------------------------------------------------------------
int13_entry:
	cmp dl, [cs:drive]	; the emulated drive is Keel's to serve
	je .ours
	cmp ah, 0x08		; a real drive's parameters come from the BIOS, but
	je int13_params_real	; its drive count must include the emulated drive
	jmp far [cs:old_int13]	; anything else on a real drive: the BIOS as before
.ours:
	cli			; a caller's PUSHF + CALL FAR leaves IF as it was, and the
	push bp			; one request block must not be re-entered (IRET restores IF)			; BP addresses the caller's interrupt frame below
	mov bp, sp		; [bp+2] IP, [bp+4] CS, [bp+6] FLAGS
	mov [cs:request.eax], eax ; EAX carries the function number from here on
	mov eax, HC_INT13	; the hypercall number for INT 13h requests
	jmp serve		; the rest is the same for every request

; AH=08h for a drive Keel does not emulate: let the BIOS answer, then put in
; DL the number of drives of that kind the guest is shown (the BIOS counts
; only its own, and the emulated drive may add one).
int13_params_real:
	push dx			; keep the drive asked for: DL comes back as a count
	pushf			; with CS:IP below this makes the frame INT would push
	call far [cs:old_int13]	; the BIOS returns with IRET or RETF 2, CF = error
	push bp			; BP addresses the stack below
	mov bp, sp		; [bp+2] DX asked, [bp+4] IP, [bp+6] CS, [bp+8] FLAGS
	jc .flags		; a BIOS error stands as it is (MOV/PUSH keep CF)
	test byte [bp+2], 0x80	; bit 7 of the drive asked: hard disk or floppy
	jnz .hard_disk
	mov dl, [cs:floppies]	; floppies shown, the emulated one included
	jmp .flags		; TEST cleared CF: success stays success
.hard_disk:
	mov dl, [cs:hard_disks]	; hard disks shown, the emulated one included
.flags:
	jc .carry		; copy CF into the FLAGS IRET will restore
	and byte [bp+8], ~FLAGS_CF & 0xFF ; success: the caller sees CF clear
	jmp .return
.carry:
	or byte [bp+8], FLAGS_CF ; error: the caller sees CF set
.return:
	pop bp			; the caller's BP
	add sp, 2		; drop the saved DX (IRET reloads FLAGS, so ADD may change them)
	iret			; the caller's FLAGS with the BIOS's CF

; ---- INT 15h --------------------------------------------------------------
int15_entry:
	cmp ax, 0xE820		; query system address map: Keel's region removed
	je .e820
	cmp ax, 0xE801		; memory size for >64M configurations: the same
	je .e801
	cmp ah, 0x88		; extended memory size: the same
	je .x88
	jmp far [cs:old_int15]	; everything else: the BIOS as before
.e820:
	cli			; no second request while the block is in use (see .ours)
	push bp			; frame pointer, as in int13_entry
	mov bp, sp		; [bp+6] is the caller's FLAGS
	mov [cs:request.eax], eax ; free EAX for the function number
	mov eax, HC_E820	; hypercall number for E820h
	jmp serve		; common path
.e801:
	cli			; no second request while the block is in use (see .ours)
	push bp			; frame pointer, as in int13_entry
	mov bp, sp		; [bp+6] is the caller's FLAGS
	mov [cs:request.eax], eax ; free EAX for the function number
	mov eax, HC_E801	; hypercall number for E801h
	jmp serve		; common path
.x88:
	cli			; no second request while the block is in use (see .ours)
	push bp			; frame pointer, as in int13_entry
	mov bp, sp		; [bp+6] is the caller's FLAGS
	mov [cs:request.eax], eax ; free EAX for the function number
	mov eax, HC_88		; hypercall number for 88h
	; fall through to serve

; ---- the common path: registers to the block, hypercall, block to registers
; In: EAX = hypercall number, request.eax = the caller's EAX, BP = SP after
; PUSH BP, so [bp+6] = the caller's FLAGS. Interrupts are off (the entry
; cleared IF and nothing here sets it), which keeps the one request block ours.
serve:
	mov [cs:request.ebx], ebx ; the caller's registers, whole: Keel may
	mov [cs:request.ecx], ecx ; need 32 bits (E820h) and must give back
	mov [cs:request.edx], edx ; the upper halves it does not answer in
	mov [cs:request.esi], esi
	mov [cs:request.edi], edi
	mov [cs:request.ds], ds	; DS:SI addresses EDD packets
	mov [cs:request.es], es	; ES:BX and ES:DI address buffers
	push word [bp+6]	; the caller's FLAGS (no memory-to-memory MOV)
	pop word [cs:request.flags]
	xor ebx, ebx		; RBX = linear address of the block: CS * 16 + offset
	mov bx, cs
	shl ebx, 4
	add ebx, request
	HYPERCALL		; Keel answers in the block and sets EAX = 0
	test eax, eax		; nonzero: Keel did not take the request (-1)
	jz .answered
	or byte [cs:request.flags], FLAGS_CF ; then report an error, not a silent success
.answered:
	push word [cs:request.flags] ; Keel's CF (and ZF) with the caller's other flags
	pop word [bp+6]		; ... into the frame IRET restores them from
	mov eax, [cs:request.eax] ; the answer, register by register
	mov ebx, [cs:request.ebx]
	mov ecx, [cs:request.ecx]
	mov edx, [cs:request.edx]
	mov esi, [cs:request.esi]
	mov edi, [cs:request.edi]
	mov ds, [cs:request.ds]	; unchanged by Keel; reloaded for symmetry
	mov es, [cs:request.es]	; AH=08h on a floppy returns ES:DI
	pop bp			; the caller's BP
	iret			; back to the caller with its FLAGS, CF (ZF) from Keel

; ---- partition loader -----------------------------------------------------
; Entered by Keel for `guest bios partition=N` at CS:IP = SEG:loader_entry,
; SS:SP = 0000:7C00, interrupts on. Keel has no disk driver, so the real
; BIOS reads the boot disk: the MBR to 0000:0600, then partition N's volume
; boot record to 0000:7C00, which gets control as from an MBR: DL = drive,
; DS:SI -> its partition entry. On failure it prints why on Keel's log and
; asks for the next guest.
loader_entry:
	cld			; LODSB below walks messages forwards
	push cs			; DS = the shim: the DAP and the messages live here
	pop ds
	xor ax, ax		; ES = 0: the sectors go to 0000:0600 and 0000:7C00
	mov es, ax
	mov word [dap.offset], MBR_ADDR ; first the MBR, LBA 0
	mov dword [dap.lba], 0
	call read_sector	; CF set: the BIOS could not read it
	mov si, msg_read_error
	jc fail
	cmp word [es:MBR_ADDR + 510], MBR_SIG ; no signature: not a partitioned disk
	mov si, msg_no_mbr
	jne fail
	movzx bx, byte [partition] ; BX -> entry N: PART_TABLE + 16 * (N - 1)
	dec bx
	shl bx, 4
	add bx, PART_TABLE
	cmp byte [es:bx + 4], 0	; partition type 0: the entry is unused
	mov si, msg_no_partition
	je fail
	mov eax, [es:bx + 8]	; the partition's first LBA holds its boot record
	test eax, eax		; LBA 0 is the MBR itself: not a partition
	je fail
	mov [dap.lba], eax
	mov word [dap.offset], BOOT_ADDR ; the boot record runs at 0000:7C00
	call read_sector	; CF set: the BIOS could not read it
	mov si, msg_read_error
	jc fail
	cmp word [es:BOOT_ADDR + 510], MBR_SIG ; an empty or unformatted partition
	mov si, msg_no_vbr
	jne fail
	mov dl, [boot_drive]	; the boot record reads its partition from this drive
	mov si, bx		; DS:SI -> its partition entry (the MBR convention)
	push es			; DS = 0 for that pointer
	pop ds
	jmp 0x0000:BOOT_ADDR	; and it runs as if the MBR had started it

; Reads one sector (LBA dap.lba) to ES:dap.offset with the BIOS's own
; INT 13h AH=42h, trying READ_TRIES times with a reset between. CF = error.
read_sector:
	push bx			; the caller's partition entry pointer survives the BIOS
	mov cx, READ_TRIES	; a disk may need a retry after spinning up
.try:
	mov word [dap.count], 1	; the BIOS overwrites it with the count it read
	mov [dap.segment], es	; the buffer's segment (0)
	mov si, dap		; DS:SI -> the disk address packet
	mov dl, [boot_drive]	; the drive Keel booted from
	mov ah, 0x42		; extended read (Phoenix EDD): Keel's MBR used it too
	pushf			; frame for the BIOS's IRET: a CALL FAR with flags
	call far [old_int13]	; the BIOS's INT 13h, whatever is hooked above it
	jnc .done		; read: done
	mov dl, [boot_drive]	; reset the drive before the next try
	xor ah, ah		; AH=00h reset disk system
	pushf			; frame for the BIOS's IRET
	call far [old_int13]
	loop .try		; CX tries in all; LOOP keeps the flags
	stc			; out of tries: report the error
.done:
	pop bx			; POP keeps CF
	ret

; Prints the NUL-terminated message at DS:SI on Keel's log, one character
; per hypercall, then asks Keel for the next guest.
fail:
	lodsb			; next character
	test al, al		; NUL ends the message
	jz .next
	movzx ebx, al		; RBX = the character for HC_PUTC
	mov eax, HC_PUTC
	HYPERCALL
	jmp fail
.next:
	mov eax, HC_NEXT	; this guest is over: Keel starts the next one
	HYPERCALL
	cli			; never reached under Keel; a halted CPU is safer
	hlt			; than a fall into whatever follows

; Disk address packet for AH=42h (Phoenix EDD 1.1, 16 bytes).
dap:
		db 0x10		; packet size
		db 0		; reserved, must be 0
.count:		dw 1		; sectors to transfer
.offset:	dw 0		; buffer offset
.segment:	dw 0		; buffer segment
.lba:		dq 0		; first sector, 0-based

msg_read_error:	 db "boot disk read error (INT 13h AH=42h)", 10, 0
msg_no_mbr:	 db "the boot disk's MBR has no 0x55AA signature", 10, 0
msg_no_partition: db "no such partition in the boot disk's MBR", 10, 0
msg_no_vbr:	 db "the partition's boot record has no 0x55AA signature", 10, 0

; The hypercall placeholders, for Keel to patch (header field 1Ah/1Ch).
hc_table:
%assign i 0
%rep hc_count
	dw ..@hc_site_%[i]		; offset of one 3-byte placeholder
%assign i i + 1
%endrep
hc_table_end:

; Keel copies only this much for a guest without console=serial (header
; field 2Eh): what follows would cost it a second KiB of conventional
; memory for nothing. No hypercall site may follow.
base_end:

; ---- serial console (console=serial) -------------------------------------
; What a server BIOS's console redirection does, for text-mode programs:
; every character written through INT 10h's teletype (AH=0Eh) or string
; (AH=13h) functions also goes to the UART at serial_port, and bytes that
; arrive there become keystrokes in the BIOS keyboard buffer, which INT 16h
; reads. The screen and keyboard keep working as before. Cursor moves,
; scrolling and colours are not copied: full-screen programs show on the
; screen only.

UART_LSR	equ 5		; line status register, from the base port
LSR_DR		equ 0x01	; a received byte is waiting
LSR_THRE	equ 0x20	; the transmitter takes another byte
UART_WAIT	equ 0x4000	; polls before giving up on the UART (bounded: no hang)
ESC_WAIT	equ 0x2000	; polls for the rest of an escape sequence
BDA_SEG		equ 0x0040
BDA_KBD_HEAD	equ 0x1A	; keyboard buffer: next word to read
BDA_KBD_TAIL	equ 0x1C	; next word to write
BDA_KBD_START	equ 0x80	; the buffer's bounds (0: the PC's 1Eh-3Eh)
BDA_KBD_END	equ 0x82
KBD_START	equ 0x1E
KBD_END		equ 0x3E
KEY_ESC		equ 0x011B	; scan code << 8 | ASCII (RBIL, INT 16h AH=00h)
KEY_BACKSPACE	equ 0x0E08
KEY_ENTER	equ 0x1C0D

int10_entry:
	cmp ah, 0x0E		; teletype output of AL
	je .teletype
	cmp ah, 0x13		; write string
	je .string
	jmp far [cs:old_int10]	; everything else: the BIOS as before
.teletype:
	call serial_out		; AL to the UART; keeps every register
	jmp far [cs:old_int10]	; and to the screen
.string:			; ES:BP, CX characters; AL bit 1: each followed by an attribute
	push ax
	push bx
	push cx
	mov bx, bp		; BP would address through SS
	mov ah, al		; the mode, while AL carries characters
	jcxz .string_done
.string_char:
	mov al, [es:bx]
	call serial_out
	inc bx
	test ah, 0x02		; attribute bytes between the characters
	jz .string_next
	inc bx
.string_next:
	loop .string_char
.string_done:
	pop cx
	pop bx
	pop ax
	jmp far [cs:old_int10]

; INT 16h: bytes waiting on the UART go into the keyboard buffer first, so
; that the BIOS finds them as keys. A blocking read (AH=00h, 10h) waits here,
; halting between timer ticks, until the buffer holds a key from either
; side; the BIOS then returns it.
int16_entry:
	call serial_drain
	test ah, 0xEF		; AH = 00h or 10h: read, waiting for a key
	jz .wait
	jmp far [cs:old_int16]
.wait:
	push ax
.poll:
	inc ah			; 01h / 11h: is a key there (ZF clear)?
	pushf			; with the CALL FAR below: the frame INT would push
	call far [cs:old_int16]
	jnz .ready
	sti			; let the timer tick (and the keyboard) in
	hlt
	call serial_drain
	pop ax
	push ax
	jmp .poll
.ready:
	pop ax
	jmp far [cs:old_int16]	; the BIOS reads it and returns to the caller

; Sends AL to the UART, waiting a bounded time for room. Keeps every
; register; changes only the arithmetic flags.
serial_out:
	push cx
	push dx
	push ax
	mov dx, [cs:serial_port]
	add dx, UART_LSR
	mov cx, UART_WAIT
.room:
	in al, dx
	test al, LSR_THRE
	jnz .send
	loop .room
.send:
	sub dx, UART_LSR
	pop ax			; the character again
	push ax
	out dx, al
	pop ax
	pop dx
	pop cx
	ret

; Moves every byte waiting on the UART into the BIOS keyboard buffer as a
; key (scan code from a US layout); ESC [ A-D, H, F (a terminal's arrows,
; Home, End) become those keys, DEL (what terminals send for Backspace)
; Backspace, CR, LF and CR LF Enter. Keeps every register.
serial_drain:
	push ax
	push bx
	push cx
	push dx
	push ds
	mov ax, BDA_SEG
	mov ds, ax
.next:
	call serial_byte	; AL, or CF when none is waiting
	jc .done
	cmp al, 0x0A		; LF is Enter too (what pexpect and some terminals
	jne .not_lf		; send), but not the LF of a CR LF pair
	cmp byte [cs:last_byte], 0x0D
	mov [cs:last_byte], al	; MOV keeps the flags of the CMP
	je .next
	mov ax, KEY_ENTER
	jmp .put
.not_lf:
	mov [cs:last_byte], al
.have:
	cmp al, 0x1B		; ESC: perhaps the start of a sequence
	jne .plain
	mov cx, ESC_WAIT
	call serial_byte_wait
	jc .lone_esc
	cmp al, '['
	je .csi
	push ax			; ESC then another byte: both as keys
	mov ax, KEY_ESC
	call kbd_put
	pop ax
	jmp .have
.csi:
	mov cx, ESC_WAIT
	call serial_byte_wait
	jc .lone_esc
	mov bx, csi_keys
.csi_find:
	cmp byte [cs:bx], 0	; the end of the table: a sequence Keel drops
	je .next
	cmp al, [cs:bx]
	je .csi_found
	add bx, 3
	jmp .csi_find
.csi_found:
	mov ax, [cs:bx + 1]
	call kbd_put
	jmp .next
.lone_esc:
	mov ax, KEY_ESC
	call kbd_put
	jmp .next
.plain:
	cmp al, 0x7F
	je .backspace
	mov ah, 0		; bytes 80h-FFh: scan code 0
	test al, al
	js .put
	movzx bx, al
	mov ah, [cs:scan_codes + bx]
.put:
	call kbd_put
	jmp .next
.backspace:
	mov ax, KEY_BACKSPACE
	jmp .put
.done:
	pop ds
	pop dx
	pop cx
	pop bx
	pop ax
	ret

; AL = a byte from the UART, CF clear; CF set when none is waiting (or
; there is no UART: LSR reads FFh).
serial_byte:
	mov dx, [cs:serial_port]
	add dx, UART_LSR
	in al, dx
	cmp al, 0xFF
	je .none
	test al, LSR_DR
	jz .none
	sub dx, UART_LSR
	in al, dx
	clc
	ret
.none:
	stc
	ret

; The same, polling CX times for a byte still on its way.
serial_byte_wait:
	call serial_byte
	jnc .got
	loop serial_byte_wait
	stc
.got:
	ret

; Appends key AX to the keyboard buffer at DS = 40h; a full buffer drops
; it, as the BIOS's own keyboard handler does. Keeps every register.
kbd_put:
	push bx
	push cx
	push dx
	push si
	mov cx, [BDA_KBD_START]
	mov dx, [BDA_KBD_END]
	test cx, cx		; a BIOS that never set the bounds: the PC's
	jnz .bounds
	mov cx, KBD_START
	mov dx, KBD_END
.bounds:
	mov si, [BDA_KBD_TAIL]	; the slot for this key
	lea bx, [si + 2]	; and where the tail goes after it
	cmp bx, dx
	jb .in_buffer
	mov bx, cx
.in_buffer:
	cmp bx, [BDA_KBD_HEAD]	; it would meet the head: full
	je .out
	mov [si], ax
	mov [BDA_KBD_TAIL], bx
.out:
	pop si
	pop dx
	pop cx
	pop bx
	ret

last_byte:	db 0		; the byte drained before, for CR LF

; The final byte of ESC [ ... and the key it stands for.
csi_keys:
	db 'A'
	dw 0x4800		; up
	db 'B'
	dw 0x5000		; down
	db 'C'
	dw 0x4D00		; right
	db 'D'
	dw 0x4B00		; left
	db 'H'
	dw 0x4700		; home
	db 'F'
	dw 0x4F00		; end
	db 0

; Scan code (set 1, as INT 16h returns it in AH) of each ASCII byte on a
; US keyboard; control characters as Ctrl + their letter.
scan_codes:
	db 0x03, 0x1E, 0x30, 0x2E, 0x20, 0x12, 0x21, 0x22, 0x0E, 0x0F, 0x1C, 0x25, 0x26, 0x1C, 0x31, 0x18	; 00h-0Fh
	db 0x19, 0x10, 0x13, 0x1F, 0x14, 0x16, 0x2F, 0x11, 0x2D, 0x15, 0x2C, 0x01, 0x2B, 0x1B, 0x07, 0x0C	; 10h-1Fh
	db 0x39, 0x02, 0x28, 0x04, 0x05, 0x06, 0x08, 0x28, 0x0A, 0x0B, 0x09, 0x0D, 0x33, 0x0C, 0x34, 0x35	; 20h-2Fh
	db 0x0B, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x27, 0x27, 0x33, 0x0D, 0x34, 0x35	; 30h-3Fh
	db 0x03, 0x1E, 0x30, 0x2E, 0x20, 0x12, 0x21, 0x22, 0x23, 0x17, 0x24, 0x25, 0x26, 0x32, 0x31, 0x18	; 40h-4Fh
	db 0x19, 0x10, 0x13, 0x1F, 0x14, 0x16, 0x2F, 0x11, 0x2D, 0x15, 0x2C, 0x1A, 0x2B, 0x1B, 0x07, 0x0C	; 50h-5Fh
	db 0x29, 0x1E, 0x30, 0x2E, 0x20, 0x12, 0x21, 0x22, 0x23, 0x17, 0x24, 0x25, 0x26, 0x32, 0x31, 0x18	; 60h-6Fh
	db 0x19, 0x10, 0x13, 0x1F, 0x14, 0x16, 0x2F, 0x11, 0x2D, 0x15, 0x2C, 0x1A, 0x2B, 0x1B, 0x29, 0x0E	; 70h-7Fh

shim_end:
