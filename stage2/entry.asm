; Stage 2 real-mode entry, the BIOS-call thunk and unreal mode.
;
; The MBR loads this image at 0:1000 and jumps past the magic with the boot
; drive in DL. Stage 2's C code is compiled with gcc -m16 (as Linux's setup
; code is): 32-bit operations with 16-bit segments. CS = DS = ES = SS = 0,
; so a C pointer below 64 KiB is also a linear address. Unreal mode (data
; segment limits raised to 4 GiB) lets the same C code use flat 32-bit
; pointers above 1 MiB, where the hypervisor and the guest files go.
;
; gcc -m16 calls with a 32-bit near call (66 E8) and returns with 66 C3, and
; -mregparm=3 passes the first arguments in EAX, EDX, ECX: the functions
; here follow that.

BITS 16

extern stage2_main
extern __bss_start, __bss_end, stage2_stack_top

global stage2_start, bios_int, unreal_enter, stage2_halt, s2_wait_interrupt, s2_copy
global gdt16, gdt16_desc

STAGE2_MAGIC	equ 0x3253454B		; "KES2"
SEL_CODE32	equ 0x08
SEL_DATA32	equ 0x10
SEL_CODE64	equ 0x18
SEL_CODE16	equ 0x20
SEL_DATA16	equ 0x28

section .head progbits alloc exec
	dd STAGE2_MAGIC
stage2_start:
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov esp, stage2_stack_top
	cld
	; Interrupts stay off while stage 2's own code runs: a BIOS interrupt
	; handler may switch modes and so drop the unreal-mode segment limits
	; under our feet. They are on only inside bios_int and s2_wait_interrupt.

	; Clear .bss: the image on disk stops where .bss starts.
	mov di, __bss_start
	mov cx, __bss_end
	sub cx, di
	xor al, al
	rep stosb

	push dx
	call dword unreal_enter
	pop dx
	movzx eax, dl			; stage2_main(u32 boot_drive)
	call dword stage2_main
	; stage2_main does not return; if it does, stop here.
stage2_halt:
	cli
	hlt
	jmp stage2_halt

section .text

; void unreal_enter(void)
; Enter protected mode just long enough to load DS, ES, FS and GS with a
; 4 GiB flat descriptor, then return to real mode: the descriptor caches keep
; the 4 GiB limit while the selectors go back to 0. SS keeps its 16-bit
; attributes so that push and pop still use SP. BIOS calls may undo this, so
; bios_int calls it again afterwards.
unreal_enter:
	pushfd
	cli
	push eax
	push ebx
	lgdt [gdt16_desc]
	mov eax, cr0
	or al, 1			; CR0.PE
	mov cr0, eax
	jmp short .pm			; serialize (SDM 9.9.1)
.pm:
	mov bx, SEL_DATA32
	mov ds, bx
	mov es, bx
	mov fs, bx
	mov gs, bx
	and al, 0xFE
	mov cr0, eax
	xor bx, bx
	mov ds, bx
	mov es, bx
	mov fs, bx
	mov gs, bx
	pop ebx
	pop eax
	popfd
	o32 ret

; void bios_int(u32 vector, const struct biosregs *in, struct biosregs *out)
; Loads every general register and DS/ES/FS/GS from *in, executes INT
; vector, and stores the resulting registers and flags in *out (if not
; NULL). The structure layout matches PUSHAD order; see stage2/bios.h.
BIOSREGS_SIZE	equ 44

bios_int:
	pushad
	push ds
	push es
	push fs
	push gs
	mov [cs:.vector], al		; patch the INT instruction below
	push ecx			; out
	sub sp, BIOSREGS_SIZE
	mov si, dx			; copy *in onto the stack, then pop it
	mov di, sp
	mov cx, BIOSREGS_SIZE
	rep movsb
	popad
	pop gs
	pop fs
	pop es
	pop ds
	add sp, 4			; in.eflags is not loaded
	sti
	db 0xCD				; INT imm8
.vector:
	db 0
	cli
	cld
	; Build *out on the stack in the same layout: eflags, DS..GS, PUSHAD.
	pushfd
	push ds
	push es
	push fs
	push gs
	pushad
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov si, sp
	mov bp, sp
	mov edi, [ss:bp + BIOSREGS_SIZE]	; out, pushed before the structure
	test edi, edi
	jz .no_out
	mov cx, BIOSREGS_SIZE
	rep movsb
.no_out:
	add sp, BIOSREGS_SIZE + 4		; the structure and out
	pop gs
	pop fs
	pop es
	pop ds
	popad
	call dword unreal_enter
	o32 ret

; void s2_copy(void *dst, const void *src, u32 bytes)
; Copies with 32-bit addresses (the a32 prefix: ESI and EDI, not SI and
; DI) through DS and ES, whose unreal-mode limits are 4 GiB: a dword a
; step, then the odd bytes. Stage 2's C code copies byte by byte (it may
; not use string instructions, see the Makefile); this is for the bulk:
; the disk's bounce buffer to the files' places above 1 MiB.
s2_copy:
	push esi
	push edi
	mov edi, eax
	mov esi, edx
	mov edx, ecx
	shr ecx, 2
	a32 rep movsd
	mov ecx, edx
	and ecx, 3
	a32 rep movsb
	pop edi
	pop esi
	o32 ret

; void s2_wait_interrupt(void)
; Sleep until the next interrupt (the BIOS timer ticks at 18.2 Hz) with
; interrupts on just for that, then restore unreal mode.
s2_wait_interrupt:
	sti
	hlt				; STI's shadow: the interrupt comes after HLT
	cli
	call dword unreal_enter
	o32 ret

section .data
; The GDT used for unreal mode and for the way into long mode. Stage 2 runs
; below 64 KiB, so 16-bit offsets reach it.
align 8
gdt16:
	dq 0					; null
	dq 0x00CF9A000000FFFF			; 0x08: 32-bit code, base 0, 4 GiB
	dq 0x00CF92000000FFFF			; 0x10: 32-bit data, base 0, 4 GiB
	dq 0x00AF9A000000FFFF			; 0x18: 64-bit code (L=1)
	dq 0x00009A000000FFFF			; 0x20: 16-bit code, 64 KiB
	dq 0x000092000000FFFF			; 0x28: 16-bit data, 64 KiB
gdt16_end:
gdt16_desc:
	dw gdt16_end - gdt16 - 1
	dd gdt16
