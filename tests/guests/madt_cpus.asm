; Test guest: how many CPUs does the ACPI MADT offer a guest? Protected
; mode, loaded at 0x100000. Finds the RSDP in the BIOS area (E0000h-FFFFFh),
; follows the RSDT to the MADT ("APIC") and counts the processor-local APIC
; entries (type 0) that are enabled (flags bit 0) or online-capable (bit 1).
; Keel hides the application processors, so the answer must be 1.
; Exit code: the count; 100 no RSDP, 101 no MADT.
BITS 32
ORG 0x100000

%include "hypercall.inc"

start:
	mov esp, 0x90000
	DETECT_VENDOR

	mov esi, 0xE0000		; the RSDP sits on a 16-byte boundary
.scan:
	cmp dword [esi], 'RSD '
	jne .next
	cmp dword [esi + 4], 'PTR '
	je .found
.next:
	add esi, 16
	cmp esi, 0x100000
	jb .scan
	mov ebx, 100
	jmp exit

.found:
	mov edi, [esi + 16]		; RSDT (32-bit entries)
	mov ecx, [edi + 4]		; its length
	sub ecx, 36
	shr ecx, 2
	lea edx, [edi + 36]
.table:
	mov eax, [edx]
	cmp dword [eax], 'APIC'
	je .madt
	add edx, 4
	loop .table
	mov ebx, 101
	jmp exit

.madt:
	mov ecx, [eax + 4]		; MADT length
	lea edi, [eax + ecx]		; end
	lea esi, [eax + 44]		; first entry
	xor ebx, ebx
.entry:
	cmp esi, edi
	jae exit
	movzx ecx, byte [esi + 1]	; entry length
	test ecx, ecx
	jz exit
	cmp byte [esi], 0		; processor local APIC
	jne .skip
	test dword [esi + 4], 3		; enabled or online-capable
	jz .skip
	inc ebx
.skip:
	add esi, ecx
	jmp .entry

exit:
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

hc_is_amd:	db 0
