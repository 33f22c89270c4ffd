; Test guest: a bzImage whose file ends inside its last 16-byte paragraph,
; as Debian's memtest86+ 6.10 does (syssize counts paragraphs rounded up;
; boot.rst). One setup sector holding the header (protocol 2.12,
; XLF_KERNEL_64, not relocatable, loaded at 1 MiB), then KERNEL_BYTES of
; protected-mode code: 8 bytes less than syssize * 16.
; Keel enters the 64-bit entry (load + 0x200) with RSI = the zero page. The
; guest prints "bzimage tail: cmdline=[...]" (the command line the zero
; page points to), checks that the last 8 bytes of the file arrived (the
; marker TAIL_MARK) and that the 8 bytes after them, which the file lacks,
; are zero, and ends with exit code 0; 1: the marker is wrong, 2: the
; missing bytes are not zero, 3: no command line pointer.
BITS 64

%include "hypercall.inc"

KERNEL_BYTES	equ 0x408		; syssize * 16 = 0x410: 8 bytes short
SYSSIZE		equ (KERNEL_BYTES + 15) / 16
LOAD		equ 0x100000		; code32_start, pref_address
SETUP_SECTS	equ 1
ZP_CMD_LINE_PTR	equ 0x228		; boot.rst / zero-page.rst offsets
TAIL_MARK	equ 0x4C4941544B4545AB	; "\xabEEKTAIL", the file's last 8 bytes

section setup start=0 vstart=0
	times 0x1F1 db 0
	db SETUP_SECTS			; 1F1 setup_sects
	dw 0				; 1F2 root_flags
	dd SYSSIZE			; 1F4 syssize, in paragraphs, rounded up
	dw 0				; 1F8 ram_size
	dw 0xFFFF			; 1FA vid_mode
	dw 0				; 1FC root_dev
	dw 0xAA55			; 1FE boot_flag
	db 0xEB, hdr_end - 0x202	; 200 jump over the header: its length
	db "HdrS"			; 202 header
	dw 0x020C			; 206 version 2.12
	dd 0				; 208 realmode_swtch
	dw 0				; 20C start_sys_seg
	dw 0				; 20E kernel_version
	db 0				; 210 type_of_loader
	db 0x01				; 211 loadflags: LOADED_HIGH
	dw 0				; 212 setup_move_size
	dd LOAD				; 214 code32_start
	dd 0				; 218 ramdisk_image
	dd 0				; 21C ramdisk_size
	dd 0				; 220 bootsect_kludge
	dw 0				; 224 heap_end_ptr
	db 0				; 226 ext_loader_ver
	db 0				; 227 ext_loader_type
	dd 0				; 228 cmd_line_ptr
	dd 0x7FFFFFFF			; 22C initrd_addr_max
	dd 0x1000			; 230 kernel_alignment
	db 0				; 234 relocatable_kernel: no
	db 12				; 235 min_alignment
	dw 0x0001			; 236 xloadflags: XLF_KERNEL_64
	dd 255				; 238 cmdline_size
	dd 0				; 23C hardware_subarch
	dq 0				; 240 hardware_subarch_data
	dd 0				; 248 payload_offset
	dd 0				; 24C payload_length
	dq 0				; 250 setup_data
	dq LOAD				; 258 pref_address
	dd 0x10000			; 260 init_size
	dd 0				; 264 handover_offset
hdr_end:
	times (SETUP_SECTS + 1) * 512 - ($ - $$) db 0

section kernel follows=setup vstart=LOAD
entry32:
	hlt				; the 32-bit entry: Keel must take the 64-bit one
	jmp entry32
	times 0x200 - ($ - $$) db 0xF4
entry64:
	lea rsp, [rel stack_top]
	mov rbp, rsi			; the zero page
	DETECT_VENDOR
	lea rsi, [rel msg_head]
	HC_PRINT
	mov ebx, 3
	mov esi, [rbp + ZP_CMD_LINE_PTR]
	test esi, esi
	jz exit
	HC_PRINT
	lea rsi, [rel msg_tail]
	HC_PRINT
	mov ebx, 1
	mov rax, TAIL_MARK
	cmp [rel tail], rax
	jne exit
	mov ebx, 2
	cmp qword [rel tail + 8], 0	; past the file's end: Keel zeroes it
	jne exit
	xor ebx, ebx
exit:
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

msg_head:	db "bzimage tail: cmdline=[", 0
msg_tail:	db "]", 10, 0
hc_is_amd:	db 0
align 16
		times 256 db 0
stack_top:
	times KERNEL_BYTES - 8 - ($ - $$) db 0
tail:	dq TAIL_MARK
%if $ - $$ != KERNEL_BYTES
%error "the kernel is not KERNEL_BYTES long"
%endif
