; Test guest: a Multiboot (v1) kernel (a.out kludge, loaded at 0x100000)
; that starts the machine's other CPUs as an operating system does: it
; reads their APIC IDs from the ACPI MADT, copies real-mode start-up code
; to 8000h and sends INIT, then two start-up IPIs with vector 08h. Each AP
; goes to protected mode, reports its APIC ID through hypercall 1
;   ap: APIC ID <hex> round <n>
; and then does what AP_DOES says. The bootstrap CPU waits for all of
; them and reports
;   smp: <k> of <n> APs answered (round <r>)
; then ends with hypercall 2: exit code 0 when every AP answered, 1 when
; not, 2 when there is no MADT, 3 when X2APIC=1 but the CPU has none.
;
; Assembly-time choices (-D):
;   X2APIC=1    every CPU runs its local APIC in x2APIC mode (MSRs 800h+)
;   DEST=0      INIT and SIPI to each AP by its physical APIC ID (default)
;   DEST=1      with the all-excluding-self shorthand
;   DEST=2      round 1 by the shorthand; then, with every AP running,
;               round 2: INIT by logical destination (xAPIC flat model:
;               the APs' LDR bits; x2APIC: each AP's cluster and bit),
;               which must send each running AP back to wait for SIPI, and
;               the start-up IPIs by the shorthand (after a real INIT the
;               LDR is 0 again, SDM vol. 3A 11.4.7.3)
;   DEST=3      as kvm-unit-tests' start-up code does: INIT assert, INIT
;               de-assert (level-triggered) and one start-up IPI, all to
;               all excluding self, back to back with no delay
;   AT_ONCE=1   with DEST=2: round 2's first start-up IPI follows the INIT
;               at once, no delay (as Linux does on recent CPUs), while
;               the AP may still be running
;   AP_DOES=0   halt with interrupts off (default; that does not end the
;               guest as the bootstrap CPU's would)
;   AP_DOES=1   triple fault
;   AP_DOES=2   spin with interrupts off for good
;   AP_DOES=3   read Keel's region at REGION (-DREGION=...)
;   AP_DOES=4   run VMXOFF, VMLAUNCH, VMRUN and STGI, counting #UD:
;               "ap: 4 of 4 virtualization instructions raised #UD"; then
;               read IA32_VMX_BASIC and write VM_HSAVE_PA, counting #GP:
;               "ap: 2 of 2 protected MSR accesses raised #GP"
;   AP_DOES=5   spin with interrupts on, making exits (CPUID) for good
;   AP_DOES=6   wait for an NMI, which the bootstrap CPU then sends each AP
;               through its ICR: "ap: APIC ID <hex> took 1 NMI"
; The bootstrap CPU exits once every AP has answered and, for AP_DOES 0, 4
; and 6, has done its part; for 1 and 3, whose AP stops the guest, it
; waits (exit code 4 if that stop never comes); for 2 and 5 at once.
;
; Build: nasm -f bin -I tests/guests/ [-DDEST=1] tests/guests/smp_start.asm -o SMP.ELF
BITS 32
ORG 0x100000

%include "hypercall.inc"

%ifndef X2APIC
%define X2APIC 0
%endif
%ifndef DEST
%define DEST 0
%endif
%ifndef AP_DOES
%define AP_DOES 0
%endif
%ifndef AT_ONCE
%define AT_ONCE 0
%endif
%if AP_DOES == 3 && !%isdef(REGION)
%error "AP_DOES=3 needs -DREGION=<an address in Keel's region>"
%endif

MB_MAGIC	equ 0x1BADB002
MB_FLAGS	equ (1 << 16)			; address fields
TRAMPOLINE	equ 0x8000			; the start-up IPI's vector is 08h
SIPI_VECTOR	equ TRAMPOLINE >> 12
MAX_APS		equ 15
AP_STACK	equ 1024

LAPIC		equ 0xFEE00000
LAPIC_ID	equ LAPIC + 0x20
LAPIC_LDR	equ LAPIC + 0xD0
LAPIC_DFR	equ LAPIC + 0xE0
LAPIC_SVR	equ LAPIC + 0xF0
LAPIC_ICR_LO	equ LAPIC + 0x300
LAPIC_ICR_HI	equ LAPIC + 0x310
MSR_APIC_BASE	equ 0x1B
APIC_BASE_EXTD	equ 1 << 10
MSR_X2APIC_ID	equ 0x802
MSR_X2APIC_SVR	equ 0x80F
MSR_X2APIC_ICR	equ 0x830

ICR_INIT	equ 0x00004500			; INIT, level assert
ICR_SIPI	equ 0x00004600 | SIPI_VECTOR	; start-up, vector 08h
ICR_LOGICAL	equ 1 << 11
ICR_OTHERS	equ 3 << 18			; all excluding self
ICR_ASSERT	equ 1 << 14
ICR_LEVEL	equ 1 << 15			; level-triggered (INIT de-assert)

mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)
	dd mb_header			; header_addr
	dd $$				; load_addr
	dd image_end			; load_end_addr
	dd bss_end			; bss_end_addr
	dd start			; entry_addr

start:
	mov esp, stack_top
	lgdt [gdt_ptr]
	jmp 0x08:.reload
.reload:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	DETECT_VENDOR
%if X2APIC
	mov eax, 1
	cpuid
	test ecx, 1 << 21
	jnz .has_x2apic
	mov esi, msg_no_x2apic
	call puts
	mov ebx, 3
	jmp exit
.has_x2apic:
%endif
	xor eax, eax			; the bootstrap CPU's logical bit: 0
	call apic_on
	call find_madt
	test eax, eax
	jnz .madt
	mov esi, msg_no_madt
	call puts
	mov ebx, 2
	jmp exit
.madt:
	; the start-up code and its GDT pointer, in low memory
	mov esi, tramp
	mov edi, TRAMPOLINE
	mov ecx, tramp_end - tramp
	cld
	rep movsb

	mov dword [round], 1
%if DEST == 0
	call start_physical
%elif DEST == 3
	call start_at_once
%else
	call start_others
%endif
	call wait_aps
%if DEST == 2
	cmp eax, [n_aps]
	jne .done
	mov dword [round], 2
	mov dword [answered], 0
	call start_logical
	call wait_aps
%endif
%if AP_DOES == 6
	call nmi_aps
%endif
%if AP_DOES == 0 || AP_DOES == 4 || AP_DOES == 6
	call wait_done
%elif AP_DOES == 1 || AP_DOES == 3
	mov ecx, 400000000		; the AP's stop ends the guest first
.stop:
	pause
	dec ecx
	jnz .stop
	mov ebx, 4
	jmp exit
%endif
.done:
	xor ebx, ebx
	cmp eax, [n_aps]
	je exit
	mov ebx, 1
exit:
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

; ---- the local APIC, xAPIC or x2APIC ----------------------------------------

; Software-enables this CPU's APIC (x2APIC mode first when X2APIC=1) and,
; in xAPIC mode, gives it a flat-model logical ID: bit 0 for the bootstrap
; CPU, bit slot+1 for an AP (EAX = its slot). Clobbers EAX-EDX.
apic_on:
	push eax
%if X2APIC
	mov ecx, MSR_APIC_BASE
	rdmsr
	or eax, APIC_BASE_EXTD
	wrmsr
	mov ecx, MSR_X2APIC_SVR
	rdmsr
	or eax, 0x1FF
	wrmsr
	pop eax
%else
	or dword [LAPIC_SVR], 0x1FF
	mov dword [LAPIC_DFR], 0xFFFFFFFF	; flat model
	pop ecx
	mov eax, 1
	shl eax, cl				; slot + 1 for an AP, 0 for the BSP
	shl eax, 24
	mov [LAPIC_LDR], eax
%endif
	ret

; EAX = this CPU's APIC ID.
apic_id:
%if X2APIC
	push ecx
	push edx
	mov ecx, MSR_X2APIC_ID
	rdmsr
	pop edx
	pop ecx
%else
	mov eax, [LAPIC_ID]
	shr eax, 24
%endif
	ret

; Sends the IPI EAX (ICR low half) to destination EDX (an APIC ID, or a
; logical destination), and waits until the xAPIC has taken it.
icr_send:
%if X2APIC
	push ecx
	mov ecx, MSR_X2APIC_ICR
	wrmsr
	pop ecx
%else
	shl edx, 24
	mov [LAPIC_ICR_HI], edx
	mov [LAPIC_ICR_LO], eax
.busy:
	test dword [LAPIC_ICR_LO], 1 << 12
	jz .sent
	pause
	jmp .busy
.sent:
%endif
	ret

; ECX iterations of PAUSE: INIT then 10 ms, each SIPI then 200 us, in
; spirit (SDM vol. 3A 9.4.4.1); the APs are waited for much longer below.
%macro DELAY 1
	push ecx
	mov ecx, %1
%%spin:
	pause
	loop %%spin
	pop ecx
%endmacro

; INIT, SIPI, SIPI to each AP of ap_ids by physical ID.
start_physical:
	xor ebx, ebx
.next:
	cmp ebx, [n_aps]
	jae .done
	mov edx, [ap_ids + 4 * ebx]
	mov eax, ICR_INIT
	call icr_send
	DELAY 100000
	mov edx, [ap_ids + 4 * ebx]
	mov eax, ICR_SIPI
	call icr_send
	DELAY 20000
	mov edx, [ap_ids + 4 * ebx]
	mov eax, ICR_SIPI
	call icr_send
	inc ebx
	jmp .next
.done:
	ret

; INIT, SIPI, SIPI to all excluding self.
start_others:
	xor edx, edx
	mov eax, ICR_INIT | ICR_OTHERS
	call icr_send
	DELAY 100000
	xor edx, edx
	mov eax, ICR_SIPI | ICR_OTHERS
	call icr_send
	DELAY 20000
	xor edx, edx
	mov eax, ICR_SIPI | ICR_OTHERS
	call icr_send
	ret

; INIT assert, INIT de-assert, one SIPI, to all excluding self, at once.
start_at_once:
	xor edx, edx
	mov eax, ICR_INIT | ICR_LEVEL | ICR_OTHERS
	call icr_send
	xor edx, edx
	mov eax, (ICR_INIT & ~ICR_ASSERT) | ICR_LEVEL | ICR_OTHERS
	call icr_send
	xor edx, edx
	mov eax, ICR_SIPI | ICR_OTHERS
	call icr_send
	ret

; INIT by logical destination to every AP, which runs; then the start-up
; IPIs to all excluding self.
start_logical:
%if X2APIC
	; one IPI per AP: its cluster (ID 19:4) in 31:16, bit ID 3:0
	mov ebx, ICR_INIT | ICR_LOGICAL
	call logical_each
%else
	; one IPI for all: the APs' flat-model bits 1..n from round 1
	mov ecx, [n_aps]
	mov edx, 1
	shl edx, cl
	dec edx
	add edx, edx
	mov eax, ICR_INIT | ICR_LOGICAL
	call icr_send
%endif
%if !AT_ONCE
	DELAY 100000
%endif
	xor edx, edx
	mov eax, ICR_SIPI | ICR_OTHERS
	call icr_send
	DELAY 20000
	xor edx, edx
	mov eax, ICR_SIPI | ICR_OTHERS
	call icr_send
	ret

%if X2APIC
logical_each:
	push esi
	xor esi, esi
.next:
	cmp esi, [n_aps]
	jae .done
	mov ecx, [ap_ids + 4 * esi]
	mov edx, ecx
	shr edx, 4
	shl edx, 16
	and ecx, 15
	mov eax, 1
	shl eax, cl
	or edx, eax
	mov eax, ebx
	call icr_send
	inc esi
	jmp .next
.done:
	pop esi
	ret
%endif

; Waits until every AP answered (or about ten seconds of PAUSE); prints
; how many did. EAX = how many.
wait_aps:
	mov ecx, 100000000
.wait:
	mov eax, [answered]
	cmp eax, [n_aps]
	jae .report
	pause
	dec ecx
	jnz .wait
.report:
	mov esi, msg_smp
	call puts
	mov eax, [answered]
	call putdec
	mov esi, msg_of
	call puts
	mov eax, [n_aps]
	call putdec
	mov esi, msg_answered
	call puts
	mov eax, [round]
	call putdec
	mov esi, msg_close
	call puts
	mov eax, [answered]
	ret

; Waits until every AP has done its part (ap_done), for a while.
wait_done:
	push eax
	mov ecx, 100000000
.wait:
	mov eax, [ap_done]
	cmp eax, [n_aps]
	jae .ok
	pause
	dec ecx
	jnz .wait
.ok:
	pop eax
	ret

%if AP_DOES == 6
; An NMI to each AP by physical ID, once it says its handler is ready.
nmi_aps:
	push eax
	mov ecx, 100000000
.ready:
	mov eax, [nmi_ready]
	cmp eax, [n_aps]
	jae .send
	pause
	dec ecx
	jnz .ready
.send:
	xor ebx, ebx
.next:
	cmp ebx, [n_aps]
	jae .sent
	mov edx, [ap_ids + 4 * ebx]
	mov eax, 0x00004400		; NMI, level assert, physical
	call icr_send
	inc ebx
	jmp .next
.sent:
	pop eax
	ret
%endif

; ---- the MADT ------------------------------------------------------------------

; Finds the RSDP in E0000h-FFFFFh, the MADT through the RSDT, and stores
; the APIC IDs of its enabled processor entries (local APIC, type 0, and
; local x2APIC, type 9) but this CPU's in ap_ids. EAX = 0 without a MADT.
find_madt:
	mov esi, 0xE0000
.scan:
	cmp dword [esi], 'RSD '
	jne .next
	cmp dword [esi + 4], 'PTR '
	je .rsdp
.next:
	add esi, 16
	cmp esi, 0x100000
	jb .scan
	xor eax, eax
	ret
.rsdp:
	mov edi, [esi + 16]		; RSDT
	mov ecx, [edi + 4]
	sub ecx, 36
	shr ecx, 2
	lea edx, [edi + 36]
.table:
	mov eax, [edx]
	cmp dword [eax], 'APIC'
	je .madt
	add edx, 4
	loop .table
	xor eax, eax
	ret
.madt:
	mov ecx, [eax + 4]
	lea edi, [eax + ecx]		; end
	lea esi, [eax + 44]		; first entry
	call apic_id
	mov ebx, eax			; our own ID
.entry:
	cmp esi, edi
	jae .end
	movzx ecx, byte [esi + 1]
	test ecx, ecx
	jz .end
	cmp byte [esi], 0
	jne .x2
	test dword [esi + 4], 1
	jz .skip
	movzx eax, byte [esi + 3]
	jmp .found
.x2:
	cmp byte [esi], 9
	jne .skip
	test dword [esi + 8], 1
	jz .skip
	mov eax, [esi + 4]
.found:
	cmp eax, ebx
	je .skip
	mov edx, [n_aps]
	cmp edx, MAX_APS
	jae .skip
	mov [ap_ids + 4 * edx], eax
	inc dword [n_aps]
.skip:
	add esi, ecx
	jmp .entry
.end:
	mov esi, msg_madt
	call puts
	mov eax, [n_aps]
	inc eax
	call putdec
	mov esi, msg_cpus
	call puts
	mov eax, 1
	ret

; ---- output ----------------------------------------------------------------------

; Prints the NUL-terminated string at ESI. Clobbers EAX, EBX, ESI.
puts:
	lodsb
	test al, al
	jz .done
	movzx ebx, al
	mov eax, HC_PUTC
	HYPERCALL
	jmp puts
.done:
	ret

; Prints EAX in decimal. Clobbers EAX-EDX.
putdec:
	push esi
	sub esp, 16
	mov esi, esp
	add esi, 15
	mov byte [esi], 0
	mov ecx, 10
.digit:
	xor edx, edx
	div ecx
	add dl, '0'
	dec esi
	mov [esi], dl
	test eax, eax
	jnz .digit
	call puts
	add esp, 16
	pop esi
	ret

; Prints EAX as hex without leading zeros. Clobbers EAX-EDX.
puthex:
	push esi
	sub esp, 16
	mov esi, esp
	add esi, 15
	mov byte [esi], 0
.digit:
	mov edx, eax
	and edx, 15
	mov dl, [hexdigits + edx]
	dec esi
	mov [esi], dl
	shr eax, 4
	jnz .digit
	call puts
	add esp, 16
	pop esi
	ret

; ---- the APs ----------------------------------------------------------------------

; Real-mode start-up code, copied to TRAMPOLINE: to protected mode on this
; image's GDT, then to ap_main. The GDT pointer travels with it.
tramp:
BITS 16
	cli
	xor ax, ax
	mov ds, ax
	o32 lgdt [TRAMPOLINE + (tramp_gdt_ptr - tramp)]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	jmp dword 0x08:ap_main
align 4
tramp_gdt_ptr:
	dw gdt_end - gdt - 1
	dd gdt
tramp_end:
BITS 32

ap_main:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, 1
	lock xadd [next_slot], eax	; EAX = this AP's slot, 1, 2, ...
	mov ecx, eax
	inc ecx
	imul ecx, AP_STACK
	lea esp, [ap_stacks + ecx]
	call apic_on
	call apic_id
	mov ebp, eax
	mov esi, msg_ap_id
	call puts
	mov eax, ebp
	call puthex
	mov esi, msg_round
	call puts
	mov eax, [round]
	call putdec
	mov esi, msg_nl
	call puts
	lock inc dword [answered]
%if AP_DOES == 0
	lock inc dword [ap_done]
%elif AP_DOES == 1
	lidt [null_idt]			; no IDT: #BP, #DF, shutdown
	int3
%elif AP_DOES == 2
	cli
.spin:
	jmp .spin
%elif AP_DOES == 3
	mov eax, [REGION]
	mov esi, msg_region_read
	call puts
%elif AP_DOES == 4
	lidt [ud_idt_ptr]
	mov esi, ud_insns
.try:
	cmp esi, ud_insns_end
	jae .tried
	call esi
	add esi, 4
	jmp .try
.tried:
	mov esi, msg_ap
	call puts
	mov eax, [ud_count]
	call putdec
	mov esi, msg_ud
	call puts
	; MSRs Keel refuses on every vendor: the VMX capability MSR and
	; AMD's host save area (#GP, skipped by gp_handler)
	mov ecx, 0x480			; IA32_VMX_BASIC
	rdmsr
	mov ecx, 0xC0010117		; VM_HSAVE_PA
	xor eax, eax
	xor edx, edx
	wrmsr
	mov esi, msg_ap
	call puts
	mov eax, [gp_count]
	call putdec
	mov esi, msg_gp
	call puts
	lock inc dword [ap_done]
%elif AP_DOES == 5
	sti
.cpuid_loop:
	xor eax, eax
	cpuid
	jmp .cpuid_loop
%elif AP_DOES == 6
	lidt [nmi_idt_ptr]
	lock inc dword [nmi_ready]
	mov ecx, 100000000
	mov edx, ebp
	and edx, 15
.nmi_wait:
	cmp dword [nmi_count + 4 * edx], 0
	jne .nmi_took
	pause
	dec ecx
	jnz .nmi_wait
.nmi_took:
	mov ecx, 1000000		; a while: no second delivery
.nmi_settle:
	pause
	loop .nmi_settle
	mov esi, msg_ap_id
	call puts
	mov eax, ebp
	call puthex
	mov esi, msg_took
	call puts
	mov eax, ebp
	and eax, 15
	mov eax, [nmi_count + 4 * eax]
	call putdec
	mov esi, msg_nmis
	call puts
	lock inc dword [ap_done]
%endif
.halt:
	cli
	hlt
	jmp .halt

%if AP_DOES == 4
; Each a 3-byte instruction and a RET, 4 bytes apart. The #UD handler
; counts and skips the 3 bytes.
ud_insns:
	vmxoff
	ret
	vmlaunch
	ret
	db 0x0F, 0x01, 0xD8		; VMRUN
	ret
	db 0x0F, 0x01, 0xDC		; STGI
	ret
ud_insns_end:

ud_handler:
	lock inc dword [ud_count]
	add dword [esp], 3
	iretd

gp_handler:
	add esp, 4			; the error code
	lock inc dword [gp_count]
	add dword [esp], 2		; RDMSR, WRMSR
	iretd

align 8
ud_idt:
	times 6 dq 0
	dw (ud_handler - $$ + 0x100000) & 0xFFFF	; offset 15:0 (ORG 0x100000)
	dw 0x08
	dw 0x8E00
	dw (ud_handler - $$ + 0x100000) >> 16
	times 6 dq 0
	dw (gp_handler - $$ + 0x100000) & 0xFFFF
	dw 0x08
	dw 0x8E00
	dw (gp_handler - $$ + 0x100000) >> 16
ud_idt_end:
ud_idt_ptr:
	dw ud_idt_end - ud_idt - 1
	dd ud_idt
ud_count:	dd 0
gp_count:	dd 0
%endif

%if AP_DOES == 6
; Per APIC ID, the NMIs that AP took (APIC IDs below 16 here).
ap_nmi_handler:
	push eax
	push ecx
	push edx
	call apic_id
	and eax, 15
	lock inc dword [nmi_count + 4 * eax]
	pop edx
	pop ecx
	pop eax
	iretd

align 8
nmi_idt:
	times 2 dq 0
	dw (ap_nmi_handler - $$ + 0x100000) & 0xFFFF
	dw 0x08
	dw 0x8E00
	dw (ap_nmi_handler - $$ + 0x100000) >> 16
nmi_idt_end:
nmi_idt_ptr:
	dw nmi_idt_end - nmi_idt - 1
	dd nmi_idt
nmi_ready:	dd 0
nmi_count:	times 16 dd 0
msg_took:	db " took ", 0
msg_nmis:	db " NMI", 10, 0
%endif

null_idt:	dw 0
		dd 0

align 8
gdt:		dq 0
		dq 0x00CF9A000000FFFF	; 0x08: 32-bit code
		dq 0x00CF92000000FFFF	; 0x10: data
gdt_end:
gdt_ptr:	dw gdt_end - gdt - 1
		dd gdt

hexdigits:	db "0123456789abcdef"
msg_no_x2apic:	db "smp: no x2APIC on this CPU", 10, 0
msg_no_madt:	db "smp: no MADT", 10, 0
msg_madt:	db "smp: the MADT lists ", 0
msg_cpus:	db " CPUs", 10, 0
msg_smp:	db "smp: ", 0
msg_of:		db " of ", 0
msg_answered:	db " APs answered (round ", 0
msg_close:	db ")", 10, 0
msg_ap:		db "ap: ", 0
msg_ap_id:	db "ap: APIC ID ", 0
msg_round:	db " round ", 0
msg_nl:		db 10, 0
msg_region_read: db "ap: read Keel's region", 10, 0
msg_ud:		db " of 4 virtualization instructions raised #UD", 10, 0
msg_gp:		db " of 2 protected MSR accesses raised #GP", 10, 0
hc_is_amd:	db 0

align 4
n_aps:		dd 0
answered:	dd 0
round:		dd 0
next_slot:	dd 1
ap_done:	dd 0
ap_ids:		times MAX_APS dd 0
image_end:

section .bss
alignb 16
		resb 4096
stack_top:
ap_stacks:	resb AP_STACK * (2 * MAX_APS + 2)
bss_end:
