; Test guest: a Multiboot (v1) kernel in the a.out-kludge format (header
; flag 16, Multiboot 0.6.96 section 3.1.3), loaded by Keel at 0x100000
; (`guest multiboot file=... cmdline="..."`). It checks what Multiboot 3.2
; and 3.3 promise: EAX = 0x2BADB002, and at EBX a multiboot_info whose
; command line is exactly EXPECT_CMDLINE (given at assembly time) and
; whose memory map has a RAM entry above 1 MiB; and that the bss the header
; declares was zeroed. It prints
;   multiboot: cmdline=<command line> mmap entries=<n>
; through hypercall 1, or a "multiboot: FAIL ..." line saying what it
; expected and what it saw, and ends with hypercall 2.
; Exit codes: 0 all good, 1 EAX is not 0x2BADB002, 2 no command line
; (info flag 2 clear), 3 the command line differs, 4 no memory map (info
; flag 6 clear), 5 a map entry is malformed (size < 20), 6 no RAM entry
; above 1 MiB, 7 the bss was not zeroed.
;
; Build: nasm -f bin -I tests/guests/ [-DEXPECT_CMDLINE='"hello world"'] \
;            tests/guests/multiboot_info.asm -o MBINFO.ELF
; It needs no GDT: Keel enters it with flat 4 GiB CS/DS/ES/SS hidden state
; (Multiboot 3.2) and it never reloads a segment register.
BITS 32
ORG 0x100000

%include "hypercall.inc"

%ifndef EXPECT_CMDLINE
%define EXPECT_CMDLINE "keel-test"
%endif

MB_MAGIC	equ 0x1BADB002
MB_FLAGS	equ (1 << 1) | (1 << 16)	; memory information; address fields
MB_BOOT_MAGIC	equ 0x2BADB002
INFO_CMDLINE	equ 1 << 2
INFO_MMAP	equ 1 << 6

; multiboot_info offsets (Multiboot 3.3)
MI_FLAGS	equ 0
MI_CMDLINE	equ 16
MI_MMAP_LENGTH	equ 44
MI_MMAP_ADDR	equ 48

; The header: first in the file, so header_addr = load_addr = 0x100000.
mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)
	dd mb_header			; header_addr
	dd $$				; load_addr: the file's first byte
	dd image_end			; load_end_addr: all of the file
	dd bss_end			; bss_end_addr: Keel zeroes up to here
	dd start			; entry_addr

start:
	; Multiboot 3.2: ESP is undefined, so take our own stack first.
	mov esp, stack_top
	mov [boot_eax], eax
	mov [boot_ebx], ebx
	DETECT_VENDOR

	mov eax, [boot_eax]
	cmp eax, MB_BOOT_MAGIC
	je .magic_ok
	mov esi, msg_fail_eax
	call puts
	call puthex
	mov esi, msg_fail_eax2
	call puts
	mov ebx, 1
	jmp exit
.magic_ok:
	mov ebp, [boot_ebx]		; EBP = the multiboot_info

	test dword [ebp + MI_FLAGS], INFO_CMDLINE
	jnz .have_cmdline
	mov esi, msg_fail_nocmd
	call puts
	mov ebx, 2
	jmp exit
.have_cmdline:
	mov esi, [ebp + MI_CMDLINE]
	mov edi, expect_cmdline
.cmp:
	mov al, [esi]
	cmp al, [edi]
	jne .cmdline_differs
	inc esi
	inc edi
	test al, al
	jnz .cmp
	jmp .walk_map
.cmdline_differs:
	mov esi, msg_fail_cmd
	call puts
	mov esi, [ebp + MI_CMDLINE]
	call puts
	mov esi, msg_fail_cmd2
	call puts
	mov esi, expect_cmdline
	call puts
	mov esi, msg_fail_cmd3
	call puts
	mov ebx, 3
	jmp exit

	; Multiboot 3.3: entries of `size` + 4 bytes from mmap_addr for
	; mmap_length bytes; base at +4, length at +12, type at +20.
	; ECX counts entries, EDX is 1 once a RAM entry reaches above 1 MiB.
.walk_map:
	test dword [ebp + MI_FLAGS], INFO_MMAP
	jnz .have_map
	mov esi, msg_fail_nomap
	call puts
	mov ebx, 4
	jmp exit
.have_map:
	mov esi, [ebp + MI_MMAP_ADDR]
	mov edi, esi
	add edi, [ebp + MI_MMAP_LENGTH]	; EDI = end of the map
	xor ecx, ecx
	xor edx, edx
.entry:
	cmp esi, edi
	jae .map_done
	mov eax, [esi]
	cmp eax, 20
	jb .bad_entry
	inc ecx
	cmp dword [esi + 20], 1		; type 1: RAM
	jne .next_entry
	mov eax, [esi + 12]		; empty ranges do not count
	or eax, [esi + 16]
	jz .next_entry
	cmp dword [esi + 8], 0		; base at or above 4 GiB
	jne .ram_above
	mov eax, [esi + 4]		; end = base + length, above 1 MiB?
	add eax, [esi + 12]
	jc .ram_above
	cmp dword [esi + 16], 0
	jne .ram_above
	cmp eax, 0x100000
	jbe .next_entry
.ram_above:
	mov edx, 1
.next_entry:
	add esi, [esi]
	add esi, 4
	jmp .entry
.bad_entry:
	mov esi, msg_fail_entry
	call puts
	mov eax, ecx
	call putdec
	mov esi, msg_newline
	call puts
	mov ebx, 5
	jmp exit

.map_done:
	mov [ram_above_1m], edx
	mov esi, msg_line
	call puts
	mov esi, [ebp + MI_CMDLINE]
	call puts
	mov esi, msg_line2
	call puts
	mov eax, ecx
	call putdec
	mov esi, msg_newline
	call puts

	cmp dword [ram_above_1m], 0
	jne .bss
	mov esi, msg_fail_ram
	call puts
	mov ebx, 6
	jmp exit

	; The loader zeroed [image_end, bss_end); nothing here wrote to
	; bss_probe, and the stack lies above it.
.bss:
	mov esi, bss_probe
	mov ecx, BSS_PROBE_DWORDS
.bss_next:
	cmp dword [esi], 0
	jne .bss_dirty
	add esi, 4
	loop .bss_next
	xor ebx, ebx
	jmp exit
.bss_dirty:
	mov eax, [esi]
	mov esi, msg_fail_bss
	call puts
	call puthex
	mov esi, msg_newline
	call puts
	mov ebx, 7
	; fall through

exit:
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt
	jmp exit

; AL: one character to Keel's log. Preserves every register.
putc:
	pushad
	movzx ebx, al
	mov eax, HC_PUTC
	HYPERCALL
	popad
	ret

; ESI: a NUL-terminated string. Preserves every register.
puts:
	push eax
	push esi
.next:
	lodsb
	test al, al
	jz .done
	call putc
	jmp .next
.done:
	pop esi
	pop eax
	ret

; EAX in decimal. Preserves every register.
putdec:
	pushad
	mov ebx, 10
	xor ecx, ecx
.divide:
	xor edx, edx
	div ebx
	push edx
	inc ecx
	test eax, eax
	jnz .divide
.print:
	pop eax
	add al, '0'
	call putc
	loop .print
	popad
	ret

; EAX as 0x and eight hex digits. Preserves every register.
puthex:
	pushad
	mov edx, eax
	mov al, '0'
	call putc
	mov al, 'x'
	call putc
	mov ecx, 8
.digit:
	rol edx, 4
	mov al, dl
	and al, 0x0f
	add al, '0'
	cmp al, '9'
	jbe .out
	add al, 'A' - '9' - 1
.out:
	call putc
	loop .digit
	popad
	ret

expect_cmdline:	db EXPECT_CMDLINE, 0
msg_line:	db "multiboot: cmdline=", 0
msg_line2:	db " mmap entries=", 0
msg_newline:	db 10, 0
msg_fail_eax:	db "multiboot: FAIL eax=", 0
msg_fail_eax2:	db ", expected 0x2BADB002", 10, 0
msg_fail_nocmd:	db "multiboot: FAIL no command line (info flag 2 clear)", 10, 0
msg_fail_cmd:	db "multiboot: FAIL cmdline=<", 0
msg_fail_cmd2:	db ">, expected <", 0
msg_fail_cmd3:	db ">", 10, 0
msg_fail_nomap:	db "multiboot: FAIL no memory map (info flag 6 clear)", 10, 0
msg_fail_entry:	db "multiboot: FAIL memory map entry size below 20 after entries=", 0
msg_fail_ram:	db "multiboot: FAIL no RAM entry above 1 MiB in the memory map", 10, 0
msg_fail_bss:	db "multiboot: FAIL bss not zeroed: ", 0

align 4
boot_eax:	dd 0
boot_ebx:	dd 0
ram_above_1m:	dd 0
hc_is_amd:	db 0

align 4
image_end:

; Past the file: the bss, which only the header's bss_end_addr declares.
BSS_PROBE_DWORDS equ 256
absolute image_end
bss_probe:	resd BSS_PROBE_DWORDS
		alignb 16
		resb 4096
stack_top:
bss_end:
