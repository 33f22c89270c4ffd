; Keel's BIOS shim (docs/bios-shim.md): real-mode code that Keel copies to
; the top of conventional memory for a BIOS guest. It hooks INT 13h (the
; emulated drive of an image= guest) and INT 15h (E820h, E801h, 88h: the
; memory map without Keel's region) and passes those requests to Keel with
; a hypercall; every other request goes to the BIOS vector it replaced. It
; also holds the loader that starts a partition= guest.
;
; Built with `nasm -f bin` and embedded in the hypervisor by
; guest/shim_blob.asm. Keel copies it to SEG:0000 and runs it with CS = SEG,
; so ORG 0 and CS-relative data work wherever it lands. Keel fills the
; header's data fields, the saved vectors and the diskette parameter table,
; and overwrites every hypercall placeholder with VMCALL or VMMCALL.

BITS 16
CPU 386				; 32-bit registers: E820h needs them, real mode allows them
ORG 0

SHIM_VERSION	equ 1		; bump with any change to the header layout below
HDR_SIZE	equ 0x24	; guest/bios.c asserts the same layout

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

%if header + HDR_SIZE != $
%error "the shim header is not HDR_SIZE bytes: update guest/bios.c and docs/bios-shim.md"
%endif

old_int13:	dd 0		; the vector INT 13h had before Keel hooked it (off, seg)
old_int15:	dd 0		; the vector INT 15h had before Keel hooked it (off, seg)

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

shim_end:
