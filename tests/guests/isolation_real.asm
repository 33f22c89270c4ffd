; Isolation test guest, real mode (loaded at 0x10000, CS:IP = 1000:0000).
; Real mode addresses only the first MiB, so the guest first puts itself
; in "unreal" mode: it enters protected mode just long enough to load ES
; with a 4 GiB flat descriptor and CS with a 4 GiB-limit 16-bit code
; descriptor, and returns to real mode; the descriptor caches keep those
; limits. It then reads, writes, executes (o32 far jump to 0:TARGET) or
; string-stores (INSB) at TARGET. See isolation_access.inc.
BITS 16
ORG 0

%include "hypercall.inc"
%include "isolation_access.inc"

%define LOAD 0x10000

start:
	mov ax, cs
	mov ds, ax
	mov ss, ax
	mov sp, stack_top
	DETECT_VENDOR
	cli
	lgdt [gdt_ptr]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	jmp 0x18:.pm16			; 16-bit code, base LOAD, limit 4 GiB
.pm16:
	mov ax, 0x10			; flat data, limit 4 GiB
	mov es, ax
	mov eax, cr0
	and al, 0xFE
	mov cr0, eax
	jmp (LOAD >> 4):.unreal		; real mode again; the limits stay
.unreal:
	xor ax, ax
	mov es, ax			; base 0, limit still 4 GiB
	mov esi, TARGET

%if ACCESS == ACC_READ
	mov eax, [es:esi]
%elif ACCESS == ACC_WRITE
	mov dword [es:esi], 0x4C45454B	; "KEEL"
%elif ACCESS == ACC_EXEC
 %if CONTROL
	mov word [es:esi], 0xCB66	; o32 retf
	call dword 0:TARGET
 %else
	jmp dword 0:TARGET
 %endif
%elif ACCESS == ACC_INS
	mov edi, esi
	mov dx, 0x80
	cld
	a32 insb
%else
%error "ACCESS not available in real mode"
%endif

	mov ax, cs
	mov ds, ax
	xor ebx, ebx
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

align 8
gdt:		dq 0
		dq 0
		dq 0x008F92000000FFFF	; 0x10: data, base 0, limit 4 GiB
		dq 0x008F9A010000FFFF	; 0x18: 16-bit code, base 0x10000, limit 4 GiB
gdt_end:
gdt_ptr:	dw gdt_end - gdt - 1
		dd LOAD + gdt
hc_is_amd:	db 0

align 16
		times 256 db 0
stack_top:
		times IMAGE_SIZE - ($ - $$) db 0
