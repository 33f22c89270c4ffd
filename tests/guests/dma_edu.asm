; Test guest: device DMA aimed at Keel's region, through QEMU's "edu" PCI
; device (-device edu,dma_mask=...; its registers: QEMU docs/specs/edu.rst).
; Long mode, loaded at 0x100000, on Keel's identity map of the first 4 GiB.
;
; It finds the device on bus 0 (vendor 1234h, device 11E8h) through the PCI
; configuration ports, turns on its memory decoding and bus mastering, and
; uses its DMA engine, which copies between memory and a 4 KiB buffer
; inside the device (at device address 40000h):
;   1. a control round trip through guest RAM (must work, IOMMU or not);
;   2. a read of 16 bytes at TARGET into the device and back to RAM;
;   3. a write of "DMA-WROTE-KEEL!!" from the device to TARGET;
;   4. the read of 2. again ("read back").
; It prints what it found and read:
;   edu at BB:DD.F
;   read: xx xx ... (16 bytes)
;   read back: xx xx ...
; and exits with code 0. Before each read the device's buffer is filled
; with "edu-buffer-fill!", so a read that never happened shows that.
; Without an IOMMU, 2. returns Keel's bytes and 4. the pattern; with one,
; neither (Keel logs the blocked accesses).
; Exit codes: 0 done, 10 no edu device, 11 its BAR is not assigned,
; 12 its identification register is wrong, 13 the control round trip
; failed, 14 a transfer never finished.
BITS 64
ORG 0x100000
DEFAULT REL

%include "hypercall.inc"
%include "long_mode.inc"

%ifndef TARGET
%error "assemble with -DTARGET=<physical address for the device to reach>"
%endif

%define SRC 0x200000		; guest RAM the device copies from
%define DST 0x201000		; and into
%define EDU_BUF 0x40000		; the device's buffer, in its own address space
%define LEN 16

%define EDU_ID 0x00
%define EDU_DMA_SRC 0x80
%define EDU_DMA_DST 0x88
%define EDU_DMA_CNT 0x90
%define EDU_DMA_CMD 0x98
%define DMA_START 1
%define DMA_TO_RAM 2		; direction: device buffer -> memory

start:
	LONG_MODE_START
	DETECT_VENDOR
	cli

	; Bus 0, every device, function 0: vendor and device ID at offset 0.
	xor ebx, ebx
.scan:
	mov eax, ebx
	shl eax, 11
	or eax, 0x80000000
	mov dx, 0xCF8
	out dx, eax
	mov dx, 0xCFC
	in eax, dx
	cmp eax, 0x11E81234
	je .found
	inc ebx
	cmp ebx, 32
	jb .scan
	mov ebx, 10
	jmp exit
.found:
	mov [edu_dev], ebx
	lea rdi, [msg_at_dev]
	mov eax, ebx
	call hex_byte			; device number, as "DD"
	lea rsi, [msg_at]
	HC_PRINT

	mov eax, 0x10			; BAR0
	call cfg_read
	and eax, 0xFFFFFFF0
	mov ebx, 11
	jz exit
	mov [edu_bar], rax
	mov eax, 0x04			; command register: memory space, bus master
	call cfg_read
	or eax, 6
	mov ecx, eax
	mov eax, 0x04
	call cfg_write

	mov r12, [edu_bar]
	mov eax, [r12 + EDU_ID]
	mov ebx, 12
	cmp al, 0xED
	jne exit

	; 1. Control round trip: SRC -> device -> DST.
	lea rsi, [control]
	mov rdi, SRC
	call copy16
	mov rdi, DST
	call clear16
	mov rsi, SRC
	call to_device
	mov rdi, DST
	call from_device
	mov rsi, SRC
	mov rdi, DST
	mov ecx, LEN
	repe cmpsb
	mov ebx, 13
	jne exit

	; 2. Read TARGET.
	call read_target
	lea rsi, [msg_read]
	call print_dst

	; 3. Write the pattern to TARGET.
	lea rsi, [pattern]
	mov rdi, SRC
	call copy16
	mov rsi, SRC
	call to_device
	mov rdi, strict qword TARGET
	call from_device

	; 4. Read it back.
	call read_target
	lea rsi, [msg_back]
	call print_dst

	xor ebx, ebx
exit:
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

; Fills the device's buffer with the fill pattern, then copies TARGET to
; it and it to DST (cleared first).
read_target:
	lea rsi, [fill]
	mov rdi, SRC
	call copy16
	mov rsi, SRC
	call to_device
	mov rdi, DST
	call clear16
	mov rsi, strict qword TARGET
	call to_device
	mov rdi, DST
	jmp from_device

; to_device: LEN bytes from memory at RSI into the device's buffer.
; from_device: LEN bytes from the device's buffer to memory at RDI.
to_device:
	mov [r12 + EDU_DMA_SRC], rsi
	mov qword [r12 + EDU_DMA_DST], EDU_BUF
	mov eax, DMA_START
	jmp dma
from_device:
	mov qword [r12 + EDU_DMA_SRC], EDU_BUF
	mov [r12 + EDU_DMA_DST], rdi
	mov eax, DMA_START | DMA_TO_RAM
dma:
	mov qword [r12 + EDU_DMA_CNT], LEN
	mov [r12 + EDU_DMA_CMD], rax
	mov ecx, 1 << 28
.wait:
	test qword [r12 + EDU_DMA_CMD], DMA_START
	jz .done
	pause
	dec ecx
	jnz .wait
	mov ebx, 14
	jmp exit
.done:
	ret

; Configuration register EAX of the device: cfg_read returns it in EAX,
; cfg_write writes ECX to it.
cfg_address:
	mov edx, [edu_dev]
	shl edx, 11
	or eax, edx
	or eax, 0x80000000
	mov dx, 0xCF8
	out dx, eax
	mov dx, 0xCFC
	ret
cfg_read:
	call cfg_address
	in eax, dx
	ret
cfg_write:
	call cfg_address
	mov eax, ecx
	out dx, eax
	ret

copy16:					; RSI -> RDI, LEN bytes
	mov ecx, LEN
	rep movsb
	ret
clear16:				; RDI, LEN bytes of 0
	xor eax, eax
	mov ecx, LEN
	rep stosb
	ret

; Prints the string at RSI followed by the LEN bytes at DST in hex.
print_dst:
	HC_PRINT
	mov r13, DST
	mov r14d, LEN
.byte:
	lea rdi, [hexbuf + 1]
	movzx eax, byte [r13]
	call hex_byte
	lea rsi, [hexbuf]
	HC_PRINT
	inc r13
	dec r14d
	jnz .byte
	lea rsi, [newline]
	HC_PRINT
	ret

; Two hex digits of AL at RDI.
hex_byte:
	mov edx, eax
	shr eax, 4
	and eax, 15
	mov al, [hexdigits + rax]
	mov [rdi], al
	and edx, 15
	mov dl, [hexdigits + rdx]
	mov [rdi + 1], dl
	ret

LONG_MODE_GDT

hexdigits:	db "0123456789abcdef"
control:	db "control-dma-ok!!"
pattern:	db "DMA-WROTE-KEEL!!"
fill:		db "edu-buffer-fill!"
msg_at:		db "edu at 00:"
msg_at_dev:	db "00.0", 10, 0
msg_read:	db "read:", 0
msg_back:	db "read back:", 0
hexbuf:		db " 00", 0
newline:	db 10, 0
hc_is_amd:	db 0
align 8
edu_dev:	dq 0
edu_bar:	dq 0

align 16
		times 256 db 0
stack_top:
