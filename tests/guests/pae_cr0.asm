; Test guest: PAE paging turned on by a MOV to CR0 that Keel carries out
; (protected mode, loaded at 0x100000). Under VT-x a MOV to CR0 that
; changes CR0.NE exits (NE is in the guest/host mask), and with EPT the
; next VM entry loads the four PDPTEs from the VMCS, not from memory (SDM
; 27.3.2.4): Keel must put them there. The guest builds a PDPT whose
; second entry maps linear 1 GiB onto physical 0, sets CR4.PAE and CR3,
; then sets CR0.PG and CR0.NE in one MOV, and reads its own marker
; through linear 1 GiB + its address. Then, with paging off again, a PDPT
; whose third entry sets a reserved bit (bit 5) must make the same MOV
; #GP (SDM 4.4.1). Exit codes: 0 all good, 1 the marker did not read back
; through the new mapping (a wrong PDPTE), 2 no #GP for the reserved bit,
; 3 paging on after that #GP. A guest whose PDPTEs Keel forgot never gets
; that far: it faults at its next fetch and triple-faults. -DNO_RESERVED
; leaves the second part out (QEMU's TCG, where the guest's MOV to CR0 runs
; without an exit, does not check PDPTE reserved bits).
BITS 32
ORG 0x100000

	jmp start
%include "hypercall.inc"
%include "isolation_idt32.inc"

%define CR0_PG (1 << 31)
%define CR0_NE (1 << 5)
%define CR4_PAE (1 << 5)
%define HIGH 0x40000000

start:
	PM_SETUP
	; pd: 2 MiB pages; entries 0-511 identity for 0-1 GiB.
	xor ecx, ecx
.pde:
	mov eax, ecx
	shl eax, 21
	or eax, 0x83			; P | RW | PS
	mov [pd + ecx * 8], eax
	inc ecx
	cmp ecx, 512
	jb .pde
	mov dword [pdpt], pd + 1	; 0-1 GiB: identity
	mov dword [pdpt + 8], pd + 1	; 1-2 GiB: onto 0-1 GiB again
	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, pdpt
	mov cr3, eax
	mov eax, cr0
	or eax, CR0_PG | CR0_NE		; exits under VT-x: NE changes
	mov cr0, eax
	mov eax, [HIGH + marker]
	mov ebx, 1
	cmp eax, [marker]
	jne exit
	mov eax, cr0
	and eax, ~(CR0_PG | CR0_NE)
	mov cr0, eax

%ifndef NO_RESERVED
	mov dword [pdpt + 16], pd + 1 + (1 << 5)	; present, reserved bit 5
	TRY .resume
	mov eax, cr0
	or eax, CR0_PG | CR0_NE
	mov cr0, eax
.resume:
	mov ebx, 2
	cmp byte [last_vec], VEC_GP
	jne exit
	mov eax, cr0
	mov ebx, 3
	test eax, CR0_PG
	jnz exit
%endif
	PUTS msg_ok
	xor ebx, ebx
exit:
	EXIT

msg_ok:		db "pae: PDPTEs loaded by a MOV to CR0 Keel did; a reserved bit is #GP", 10, 0
marker:		dd 0x4B65654C

align 32
pdpt:		times 4 dq 0
align 4096
pd:		times 512 dq 0
		times 1024 db 0
stack_top:
