; Keel's self-check guest (`make run-kvm CHECK=1`, docs/kvm.md): a
; Multiboot (v1, a.out kludge) kernel that checks, on whatever CPU Keel
; runs on, what issues 15 and 16 ask of the CPU Keel shows a guest, and
; prints one line per check on COM1 (the terminal under make run-kvm)
; and through hypercall 1 (Keel's log):
;   check: PASS|FAIL|SKIP <name>: <what>
; then "check: N passed, M failed, K skipped" and hypercall 2 with the
; number of failures as the exit code. The checks, in order:
;   cpuid.*  the hypervisor bit and Keel's leaf; VMX/SVM hidden; OSXSAVE
;            and OSPKE copying the guest's CR4 in both states; leaf 0Dh
;            sizes following XCR0; the APIC bit following
;            IA32_APIC_BASE.EN; the initial APIC ID against the APIC's;
;            each feature that needs a VT-x control working when shown
;            (RDTSCP, RDPID, INVPCID, XSAVES, WAITPKG) and the ones Keel
;            hides hidden (PCONFIG, SGX, PT)
;   msr.*    microcode loaders, Intel PT, the MTRR copy, AMD's SYSCFG,
;            HWCR, TOP_MEM, TOM2, IORRs, MMIO_CFG_BASE, EFER rules, an
;            outer hypervisor's MSRs, the SMCA banks (docs/security.md)
;   xsetbv.* values SDM vol. 1 13.3 forbids are #GP
;   debug.*  a DR7 write breakpoint across an exit (CPUID); single steps
;            over CPUID and over HLT
;   wait.*   MWAIT with interrupts off wakes on an interrupt
;   ram.*    RAM above 4 GiB (from the Multiboot memory map) reads back
;   nmi.*    a self-NMI through the local APIC arrives once (last: an
;            NMI Keel cannot take stops the machine; -DNO_NMI leaves it out)
; It enters long mode on page tables of its own (0-4 GiB in 2 MiB pages,
; plus windows onto high RAM) and handles every exception itself.
BITS 32
ORG 0x100000

%include "hypercall.inc"

MB_MAGIC	equ 0x1BADB002
MB_FLAGS	equ (1 << 1) | (1 << 16)	; memory information; address fields
MI_FLAGS	equ 0
MI_MMAP_LENGTH	equ 44
MI_MMAP_ADDR	equ 48
INFO_MMAP	equ 1 << 6

%define CR0_PG (1 << 31)
%define CR4_PAE (1 << 5)
%define CR4_OSXSAVE (1 << 18)
%define CR4_PKE (1 << 22)
%define MSR_EFER 0xC0000080
%define EFER_LME (1 << 8)
%define RFLAGS_TF (1 << 8)
%define VEC_NONE 0xFF
%define VEC_DB 1
%define VEC_UD 6
%define VEC_GP 13
%define VEC_TIMER 0x40
%define COM1 0x3F8

mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)
	dd mb_header
	dd $$
	dd image_end
	dd bss_end
	dd start32

start32:
	mov esp, stack_top
	mov [mbi], ebx
	; Identity map of 0-4 GiB in 2 MiB pages; the APIC's 2 MiB uncached.
	mov dword [pml4], pdpt + 3
	xor ecx, ecx
.pdpte:					; pdpt[i] = pds + i * 4096 | P | RW
	mov eax, ecx
	shl eax, 12
	add eax, pds + 3
	mov [pdpt + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jb .pdpte
	xor ecx, ecx
.pde:
	mov eax, ecx
	shl eax, 21
	or eax, 0x83			; P | RW | PS
	mov [pds + ecx * 8], eax
	inc ecx
	cmp ecx, 2048
	jb .pde
	or dword [pds + (0xFEE00000 >> 21) * 8], 0x18	; PWT | PCD
	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, pml4
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	lgdt [gdt_ptr]
	mov eax, cr0
	or eax, CR0_PG | 1
	mov cr0, eax
	jmp 0x08:start64

BITS 64
DEFAULT REL

; ---- scaffolding -------------------------------------------------------

; TRY .resume: a fault before .resume continues there, [last_vec] = vector.
%macro TRY 1
	mov [resume_rsp], rsp
	push rax
	lea rax, [%1]
	mov [resume_rip], rax
	pop rax
	mov byte [last_vec], VEC_NONE
%endmacro

; Report kind ("PASS", "FAIL", "SKIP"), name, text.
%macro REPORT 3
	lea rsi, [%%kind]
	lea rdi, [%%name]
	lea rdx, [%%text]
	call report
	jmp %%over
%%kind:	db %1, 0
%%name:	db %2, 0
%%text:	db %3, 0
%%over:
%endmacro

; PASS_IF cc, name, text-if-pass, text-if-fail: after a CMP/TEST.
%macro PASS_IF 4
	j%-1 %%fail
	REPORT "PASS", %2, %3
	jmp %%done
%%fail:
	REPORT "FAIL", %2, %4
%%done:
%endmacro

; FAULT_IS vec, name, pass text, fail text: after a TRY'd instruction.
%macro FAULT_IS 4
	cmp byte [last_vec], %1
	PASS_IF e, %2, %3, %4
%endmacro

; CPUID_BIT leaf, subleaf, reg (eax/ebx/ecx/edx), bit: CF = the bit.
%macro CPUID_BIT 4
	mov eax, %1
	mov ecx, %2
	cpuid
	bt %3, %4
%endmacro

start64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	lea rsp, [stack_top]
	call idt_setup
	mov al, 0xFF			; the PICs' IRQs off: the BIOS left IRQ 0 at vector 8
	out 0x21, al
	out 0xA1, al
	DETECT_VENDOR
	call header
	call check_cpuid
	call check_features
	call check_msrs
	call check_xsetbv
	call check_debug
	call check_mwait
	call check_high_ram
%ifndef NO_NMI
	call check_nmi
%endif
	call summary
	mov ebx, [failed]
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

; ---- output: hypercall 1 (Keel's log) and COM1 -----------------------------

; putc: AL to both.
putc:
	push rax
	push rbx
	push rcx
	push rdx
	movzx ebx, al
	push rbx
	mov ecx, 100000
.wait:
	mov dx, COM1 + 5
	in al, dx
	test al, 0x20
	jnz .send
	loop .wait
.send:
	pop rax
	mov dx, COM1
	out dx, al
	mov eax, HC_PUTC
	HYPERCALL
	pop rdx
	pop rcx
	pop rbx
	pop rax
	ret

; puts: RSI = NUL-terminated string.
puts:
	push rax
	push rsi
.next:
	lodsb
	test al, al
	jz .done
	call putc
	jmp .next
.done:
	pop rsi
	pop rax
	ret

; puthex: RAX as hex digits, no leading zeros.
puthex:
	push rax
	push rcx
	push rdx
	push rsi
	mov rdx, rax
	mov ecx, 16
	xor esi, esi
.digit:
	rol rdx, 4
	mov eax, edx
	and eax, 0xF
	jnz .print
	test esi, esi
	jnz .print
	cmp ecx, 1
	jne .skip
.print:
	mov esi, 1
	lea rax, [hex_digits + rax]
	mov al, [rax]
	call putc
.skip:
	loop .digit
	pop rsi
	pop rdx
	pop rcx
	pop rax
	ret

; putdec: EAX in decimal.
putdec:
	push rax
	push rbx
	push rcx
	push rdx
	mov ebx, 10
	xor ecx, ecx
.div:
	xor edx, edx
	div ebx
	push rdx
	inc ecx
	test eax, eax
	jnz .div
.out:
	pop rax
	add al, '0'
	call putc
	loop .out
	pop rdx
	pop rcx
	pop rbx
	pop rax
	ret

; report: RSI = kind, RDI = name, RDX = text.
report:
	push rsi
	lea rsi, [msg_check]
	call puts
	pop rsi
	call puts
	cmp byte [rsi], 'P'
	jne .notpass
	inc dword [passed]
.notpass:
	cmp byte [rsi], 'F'
	jne .notfail
	inc dword [failed]
.notfail:
	cmp byte [rsi], 'S'
	jne .notskip
	inc dword [skipped]
.notskip:
	mov al, ' '
	call putc
	mov rsi, rdi
	call puts
	mov al, ':'
	call putc
	mov al, ' '
	call putc
	mov rsi, rdx
	call puts
	mov al, 10
	call putc
	ret

header:
	lea rsi, [msg_header]
	call puts
	xor eax, eax
	cpuid
	mov [vendor], ebx
	mov [vendor + 4], edx
	mov [vendor + 8], ecx
	lea rsi, [vendor]
	call puts
	lea rsi, [msg_signature]
	call puts
	mov eax, 1
	cpuid
	call puthex
	lea rsi, [msg_backend]
	call puts
	lea rsi, [msg_vmx]
	cmp byte [hc_is_amd], 0
	je .intel
	lea rsi, [msg_svm]
.intel:
	call puts
	mov al, 10
	call putc
	ret

summary:
	lea rsi, [msg_check]
	call puts
	mov eax, [passed]
	call putdec
	lea rsi, [msg_passed]
	call puts
	mov eax, [failed]
	call putdec
	lea rsi, [msg_failed]
	call puts
	mov eax, [skipped]
	call putdec
	lea rsi, [msg_skipped]
	call puts
	ret

; ---- interrupts and exceptions ---------------------------------------------

idt_setup:
	xor ecx, ecx
.gate:
	lea rax, [exc_other]
	cmp ecx, 32
	jae .set
	mov rax, [exc_table + rcx * 8]
.set:
	cmp ecx, VEC_TIMER
	jne .not_timer
	lea rax, [timer_handler]
.not_timer:
	mov rdi, rcx
	shl rdi, 4
	lea rdx, [idt]
	add rdi, rdx
	mov [rdi], ax
	mov word [rdi + 2], 0x08
	mov word [rdi + 4], 0x8E00
	shr rax, 16
	mov [rdi + 6], ax
	shr rax, 16
	mov [rdi + 8], eax
	mov dword [rdi + 12], 0
	inc ecx
	cmp ecx, 256
	jb .gate
	lidt [idt_ptr]
	ret

%assign v 0
%rep 32
exc_%[v]:
%if v == 1
	jmp db_handler
%elif v == 2
	jmp nmi_handler
%elif v == 18
	jmp mc_handler
%else
	push v
	jmp exc_common
%endif
%assign v v + 1
%endrep

exc_table:
%assign v 0
%rep 32
	dq exc_%[v]
%assign v v + 1
%endrep

exc_other:
	iretq

; A fault: back to the TRY that armed it, once; with none armed, a FAIL
; line with the vector and what is on the stack, and the end.
exc_common:
	pop rax
	cmp qword [resume_rip], 0
	je .unexpected
	mov [last_vec], al
	mov rsp, [resume_rsp]
	mov rax, [resume_rip]
	mov qword [resume_rip], 0
	jmp rax
.unexpected:
	mov rbx, rax
	lea rsi, [msg_unexpected]
	call puts
	mov rax, rbx
	call puthex
	lea rsi, [msg_stack]
	call puts
	mov rax, [rsp]
	call puthex
	mov al, ' '
	call putc
	mov rax, [rsp + 8]
	call puthex
	mov al, 10
	call putc
	inc dword [failed]
	call summary
	mov ebx, [failed]
	mov eax, HC_EXIT
	HYPERCALL
	cli
	hlt

; #DB: a trap (single step, data breakpoint) or a fault (none armed here).
; Keeps the RIP it interrupted and DR6, clears TF in the frame and DR6.
db_handler:
	push rax
	inc dword [db_count]
	mov rax, [rsp + 8]
	mov [db_rip], rax
	mov rax, dr6
	mov [db_dr6], rax
	mov eax, 0xFFFF0FF0
	mov dr6, rax
	and qword [rsp + 24], ~RFLAGS_TF
	pop rax
	iretq

nmi_handler:
	inc dword [nmi_count]
	iretq

; #MC: counted; MCG_STATUS cleared as an OS does.
mc_handler:
	push rax
	push rcx
	push rdx
	inc dword [mc_count]
	mov ecx, 0x17A
	xor eax, eax
	xor edx, edx
	wrmsr
	pop rdx
	pop rcx
	pop rax
	iretq

timer_handler:
	push rax
	push rdx
	inc dword [timer_count]
	call apic_eoi
	pop rdx
	pop rax
	iretq

; ---- the local APIC (xAPIC at its MSR's base, or x2APIC) ----------------------

%define APIC_EOI 0xB0
%define APIC_SVR 0xF0
%define APIC_ICR_LO 0x300
%define APIC_ICR_HI 0x310
%define APIC_LVT_TIMER 0x320
%define APIC_TIMER_INIT 0x380
%define APIC_TIMER_DIV 0x3E0

; apic_base: RDX = the xAPIC's linear (= physical) address, CF = x2APIC.
apic_base:
	push rax
	push rcx
	mov ecx, 0x1B
	rdmsr
	shl rdx, 32
	or rdx, rax
	bt rdx, 10
	pushfq
	and rdx, ~0xFFF
	mov rax, 0xFFFFFFFFFF
	and rdx, rax
	popfq
	pop rcx
	pop rax
	ret

; apic_write: ECX = register offset, EAX = value.
apic_write:
	push rcx
	push rdx
	call apic_base
	jc .x2
	add rdx, rcx
	mov [rdx], eax
	pop rdx
	pop rcx
	ret
.x2:
	shr ecx, 4
	add ecx, 0x800
	xor edx, edx
	wrmsr
	pop rdx
	pop rcx
	ret

; apic_read: ECX = offset; EAX = value.
apic_read:
	push rcx
	push rdx
	call apic_base
	jc .x2
	add rdx, rcx
	mov eax, [rdx]
	pop rdx
	pop rcx
	ret
.x2:
	shr ecx, 4
	add ecx, 0x800
	rdmsr
	pop rdx
	pop rcx
	ret

apic_eoi:
	push rax
	push rcx
	mov ecx, APIC_EOI
	xor eax, eax
	call apic_write
	pop rcx
	pop rax
	ret

; timer_arm: a one-shot APIC timer interrupt at VEC_TIMER, in EAX counts.
timer_arm:
	push rax
	push rcx
	push rax
	mov ecx, APIC_SVR
	call apic_read
	or eax, 0x1FF			; enabled, spurious vector FFh
	call apic_write
	mov ecx, APIC_TIMER_DIV
	mov eax, 0xB			; divide by 1
	call apic_write
	mov ecx, APIC_LVT_TIMER
	mov eax, VEC_TIMER		; one-shot, not masked
	call apic_write
	pop rax
	mov ecx, APIC_TIMER_INIT
	call apic_write
	pop rcx
	pop rax
	ret

; ---- cpuid.* ----------------------------------------------------------------

check_cpuid:
	; The hypervisor bit and Keel's signature.
	CPUID_BIT 1, 0, ecx, 31
	jnc .no_hv
	mov eax, 0x40000000
	cpuid
	cmp ebx, 'Keel'
	jne .no_hv
	cmp ecx, 'Keel'
	jne .no_hv
	cmp edx, 'Keel'
	jne .no_hv
	REPORT "PASS", "cpuid.keel", "hypervisor bit set, leaf 40000000h says KeelKeelKeel"
	jmp .virt
.no_hv:
	REPORT "FAIL", "cpuid.keel", "hypervisor bit or KeelKeelKeel missing"
.virt:
	CPUID_BIT 1, 0, ecx, 5
	jc .virt_shown
	CPUID_BIT 0x80000001, 0, ecx, 2
	jc .virt_shown
	REPORT "PASS", "cpuid.virt-hidden", "VMX and SVM hidden"
	jmp .osxsave
.virt_shown:
	REPORT "FAIL", "cpuid.virt-hidden", "VMX or SVM shown to the guest"

.osxsave:
	CPUID_BIT 1, 0, ecx, 26
	jc .has_xsave
	REPORT "SKIP", "cpuid.osxsave", "no XSAVE"
	jmp .ospke
.has_xsave:
	mov rax, cr4
	and rax, ~CR4_OSXSAVE
	mov cr4, rax
	CPUID_BIT 1, 0, ecx, 27
	jc .osx_bad
	mov rax, cr4
	or rax, CR4_OSXSAVE
	mov cr4, rax
	CPUID_BIT 1, 0, ecx, 27
	jnc .osx_bad
	REPORT "PASS", "cpuid.osxsave", "CPUID.1:ECX.OSXSAVE follows the guest's CR4.OSXSAVE (0, then 1)"
	jmp .xsize
.osx_bad:
	mov rax, cr4
	or rax, CR4_OSXSAVE
	mov cr4, rax
	REPORT "FAIL", "cpuid.osxsave", "CPUID.1:ECX.OSXSAVE does not follow the guest's CR4.OSXSAVE"

.xsize:
	; Leaf 0Dh EBX: the XSAVE area for the XCR0 loaded now.
	xor ecx, ecx
	mov eax, 3
	xor edx, edx
	xsetbv
	mov eax, 0xD
	xor ecx, ecx
	cpuid
	cmp ebx, 576
	jne .xsize_bad
	mov eax, 0xD
	xor ecx, ecx
	cpuid
	test eax, 4
	jz .xsize_ok			; no AVX: one size to see
	mov eax, 0xD
	mov ecx, 2
	cpuid
	add eax, ebx			; AVX state's offset + size
	mov r8d, eax
	xor ecx, ecx
	mov eax, 7
	xor edx, edx
	xsetbv
	mov eax, 0xD
	xor ecx, ecx
	cpuid
	cmp ebx, r8d
	jne .xsize_bad
.xsize_ok:
	REPORT "PASS", "cpuid.xsave-size", "leaf 0Dh EBX follows XCR0 (x87|SSE: 576, with AVX: its end)"
	jmp .ospke
.xsize_bad:
	REPORT "FAIL", "cpuid.xsave-size", "leaf 0Dh EBX does not follow XCR0"

.ospke:
	xor eax, eax
	cpuid
	cmp eax, 7
	jb .no_pku
	CPUID_BIT 7, 0, ecx, 3
	jc .has_pku
.no_pku:
	REPORT "SKIP", "cpuid.ospke", "no PKU"
	jmp .apic_bit
.has_pku:
	mov rax, cr4
	or rax, CR4_PKE
	mov cr4, rax
	CPUID_BIT 7, 0, ecx, 4
	jnc .pke_bad
	mov rax, cr4
	and rax, ~CR4_PKE
	mov cr4, rax
	CPUID_BIT 7, 0, ecx, 4
	jc .pke_bad
	REPORT "PASS", "cpuid.ospke", "CPUID.7:ECX.OSPKE follows the guest's CR4.PKE (1, then 0)"
	jmp .apic_bit
.pke_bad:
	mov rax, cr4
	and rax, ~CR4_PKE
	mov cr4, rax
	REPORT "FAIL", "cpuid.ospke", "CPUID.7:ECX.OSPKE does not follow the guest's CR4.PKE"

.apic_bit:
	mov ecx, 0x1B
	rdmsr
	shr eax, 11
	and eax, 1
	mov r8d, eax
	CPUID_BIT 1, 0, edx, 9
	setc al
	movzx eax, al
	cmp eax, r8d
	PASS_IF e, "cpuid.apic-bit", "CPUID.1:EDX.APIC equals IA32_APIC_BASE.EN", "CPUID.1:EDX.APIC differs from IA32_APIC_BASE.EN"

	; The initial APIC ID against the APIC's own.
	mov eax, 1
	cpuid
	shr ebx, 24
	mov r8d, ebx
	call apic_base
	jc .x2apic_id
	mov ecx, 0x20
	call apic_read
	shr eax, 24
	jmp .cmp_id
.x2apic_id:
	mov ecx, 0x802
	rdmsr
	and eax, 0xFF
.cmp_id:
	cmp eax, r8d
	PASS_IF e, "cpuid.apic-id", "CPUID.1:EBX[31:24] is this CPU's APIC ID", "CPUID.1:EBX[31:24] is not this CPU's APIC ID"
	ret

; ---- features that need a control, and features Keel hides -----------------

; FEATURE leaf, subleaf, reg, bit, name, test-label: when shown, runs the
; code at test-label under TRY (it ends with jmp .back); #UD there fails.
%macro FEATURE 6
	CPUID_BIT %1, %2, %3, %4
	jc %%shown
	REPORT "SKIP", %5, "not offered (absent, or hidden for want of its control)"
	jmp %%done
%%shown:
	TRY %%back
	jmp %6
%%back:
	mov qword [resume_rip], 0
	cmp byte [last_vec], VEC_NONE
	PASS_IF e, %5, "shown, and it runs", "shown, but it faults in the guest"
%%done:
%endmacro

; HIDDEN leaf, subleaf, reg, bit, name
%macro HIDDEN 5
	CPUID_BIT %1, %2, %3, %4
	PASS_IF nc, %5, "hidden", "shown to the guest"
%endmacro

check_features:
	mov eax, 0x80000000
	cpuid
	mov [max_ext], eax
	xor eax, eax
	cpuid
	mov [max_leaf], eax
	FEATURE 0x80000001, 0, edx, 27, "cpuid.rdtscp", t_rdtscp
	cmp dword [max_leaf], 7
	jb .no7
	FEATURE 7, 0, ecx, 22, "cpuid.rdpid", t_rdpid
	FEATURE 7, 0, ebx, 10, "cpuid.invpcid", t_invpcid
	FEATURE 7, 0, ecx, 5, "cpuid.waitpkg", t_tpause
	HIDDEN 7, 0, edx, 18, "cpuid.pconfig"
	HIDDEN 7, 0, ebx, 2, "cpuid.sgx"
	HIDDEN 7, 0, ebx, 25, "cpuid.pt"
.no7:
	cmp dword [max_leaf], 0xD
	jb .no_xsaves
	CPUID_BIT 1, 0, ecx, 26
	jnc .no_xsaves
	FEATURE 0xD, 1, eax, 3, "cpuid.xsaves", t_xsaves
.no_xsaves:
	; Intel PT's MSRs are refused whatever CPUID says.
	TRY .rtit
	mov ecx, 0x570
	rdmsr
.rtit:
	mov qword [resume_rip], 0
	FAULT_IS VEC_GP, "msr.pt", "IA32_RTIT_CTL is #GP", "IA32_RTIT_CTL is readable"
	ret

t_rdtscp:
	rdtscp
	jmp [resume_rip]
t_rdpid:
	db 0xF3, 0x0F, 0xC7, 0xF8	; rdpid rax
	jmp [resume_rip]
t_invpcid:
	mov eax, 2			; all contexts, globals included
	lea rdx, [invpcid_desc]
	db 0x66, 0x0F, 0x38, 0x82, 0x02	; invpcid rax, [rdx]
	jmp [resume_rip]
t_tpause:
	rdtsc
	add eax, 10000
	adc edx, 0
	xor ecx, ecx
	db 0x66, 0x0F, 0xAE, 0xF1	; tpause ecx
	jmp [resume_rip]
t_xsaves:
	xor eax, eax
	xor edx, edx
	lea rdi, [xsave_area]
	xsaves [rdi]
	jmp [resume_rip]

; ---- msr.* -----------------------------------------------------------------

; MSR_GP name, msr, "rdmsr"|"wrmsr-same"|"wrmsr0", text: the access must #GP.
%macro WRMSR_SAME 1
	mov ecx, %1
	TRY %%r
	rdmsr
	mov [msr_val], eax
	mov [msr_val + 4], edx
	TRY %%w
	mov eax, [msr_val]
	mov edx, [msr_val + 4]
	wrmsr
%%w:
	mov qword [resume_rip], 0
%%r:
	mov qword [resume_rip], 0
%endmacro

check_msrs:
	TRY .ucode
	mov ecx, 0x79
	xor eax, eax
	xor edx, edx
	wrmsr
.ucode:
	mov qword [resume_rip], 0
	FAULT_IS VEC_GP, "msr.microcode", "IA32_BIOS_UPDT_TRIG (79h) write is #GP", "IA32_BIOS_UPDT_TRIG write went through"

	TRY .kvm
	mov ecx, 0x4B564D01
	rdmsr
.kvm:
	mov qword [resume_rip], 0
	FAULT_IS VEC_GP, "msr.paravirt", "an outer hypervisor's MSR (4B564D01h) is #GP", "4B564D01h is readable"

	; EFER: the value it holds goes back; a reserved bit and LME off
	; while paging is on are #GP.
	mov ecx, MSR_EFER
	rdmsr
	mov r12d, eax
	mov r13d, edx
	TRY .efer1
	wrmsr
.efer1:
	mov qword [resume_rip], 0
	cmp byte [last_vec], VEC_NONE
	jne .efer_bad
	TRY .efer2
	mov eax, r12d
	or eax, 2			; bit 1: reserved
	mov edx, r13d
	mov ecx, MSR_EFER
	wrmsr
.efer2:
	mov qword [resume_rip], 0
	cmp byte [last_vec], VEC_GP
	jne .efer_bad
	TRY .efer3
	mov eax, r12d
	and eax, ~EFER_LME
	mov edx, r13d
	mov ecx, MSR_EFER
	wrmsr
.efer3:
	mov qword [resume_rip], 0
	cmp byte [last_vec], VEC_GP
	jne .efer_bad
	REPORT "PASS", "msr.efer", "EFER keeps its value; a reserved bit and LME off with paging on are #GP"
	jmp .mtrr
.efer_bad:
	REPORT "FAIL", "msr.efer", "EFER: a write went wrong (its own value refused, or a bad one taken)"

.mtrr:
	CPUID_BIT 1, 0, edx, 12
	jc .has_mtrr
	REPORT "SKIP", "msr.mtrr", "no MTRRs"
	jmp .amd
.has_mtrr:
	mov ecx, 0x2FF
	rdmsr
	mov r12d, eax
	mov r13d, edx
	TRY .def_same
	wrmsr
.def_same:
	mov qword [resume_rip], 0
	cmp byte [last_vec], VEC_NONE
	jne .mtrr_bad
	TRY .def_bad
	mov eax, r12d
	and eax, ~7
	or eax, 2			; type 2: reserved
	mov edx, r13d
	mov ecx, 0x2FF
	wrmsr
.def_bad:
	mov qword [resume_rip], 0
	cmp byte [last_vec], VEC_GP
	jne .mtrr_bad
	mov ecx, 0xFE			; MTRRCAP.VCNT
	rdmsr
	test al, al
	jz .mtrr_ok
	mov ecx, 0x201			; PHYSMASK0: write a different value, read it back
	rdmsr
	mov r12d, eax
	mov r13d, edx
	xor eax, 0x800			; the valid bit
	mov r14d, eax
	TRY .mask_w
	wrmsr
.mask_w:
	mov qword [resume_rip], 0
	cmp byte [last_vec], VEC_NONE
	jne .mtrr_bad
	mov ecx, 0x201
	rdmsr
	cmp eax, r14d
	mov eax, r12d
	mov edx, r13d
	wrmsr
	jne .mtrr_bad
.mtrr_ok:
	REPORT "PASS", "msr.mtrr", "MTRRs read back what the guest wrote; a reserved type is #GP"
	jmp .amd
.mtrr_bad:
	REPORT "FAIL", "msr.mtrr", "an MTRR write was refused, taken with a reserved type, or not read back"

.amd:
	cmp byte [hc_is_amd], 0
	jne .amd_msrs
	REPORT "SKIP", "msr.amd", "not an AMD CPU"
	jmp .smca
.amd_msrs:
	TRY .patch
	mov ecx, 0xC0010020
	xor eax, eax
	xor edx, edx
	wrmsr
.patch:
	mov qword [resume_rip], 0
	FAULT_IS VEC_GP, "msr.patch-loader", "PATCH_LOADER write is #GP", "PATCH_LOADER write went through"
	xor r15d, r15d			; bit n: MSR n of the list misbehaved
	WRMSR_SAME 0xC001001A		; TOP_MEM
	cmp byte [last_vec], VEC_GP
	je .tm
	bts r15d, 0
.tm:
	WRMSR_SAME 0xC0010016		; IORR_BASE0
	cmp byte [last_vec], VEC_GP
	je .io
	bts r15d, 1
.io:
	WRMSR_SAME 0xC0010058		; MMIO_CFG_BASE
	cmp byte [last_vec], VEC_GP
	je .mm
	bts r15d, 2
.mm:
	WRMSR_SAME 0xC0010010		; SYSCFG: the same value is allowed
	cmp byte [last_vec], VEC_NONE
	je .sc
	bts r15d, 3
.sc:
	WRMSR_SAME 0xC0010015		; HWCR: likewise
	cmp byte [last_vec], VEC_NONE
	je .hw
	bts r15d, 4
.hw:
	test r15d, r15d
	PASS_IF z, "msr.amd", "TOP_MEM, IORR, MMIO_CFG_BASE writes #GP; SYSCFG, HWCR keep their value", "a machine MSR write went through, or an unchanged SYSCFG/HWCR write was refused"

.smca:
	cmp dword [max_ext], 0x80000007
	jb .no_smca
	CPUID_BIT 0x80000007, 0, ebx, 3
	jc .has_smca
.no_smca:
	REPORT "SKIP", "msr.smca", "no SMCA (CPUID 8000_0007h EBX[3] clear)"
	ret
.has_smca:
	TRY .smca_r
	mov ecx, 0xC0002001		; MCA_STATUS of bank 0
	rdmsr
.smca_r:
	mov qword [resume_rip], 0
	FAULT_IS VEC_NONE, "msr.smca", "SMCA bank MSRs (C000_2001h) are readable, as CPUID says", "SMCA shown, but its bank MSRs are #GP"
	ret

; ---- xsetbv.* ---------------------------------------------------------------

; XSETBV_GP value: CF set when XSETBV of value to XCR0 was not #GP.
%macro XSETBV_GP 1
	mov rax, %1
	mov rdx, rax
	shr rdx, 32
	xor ecx, ecx
	TRY %%r
	xsetbv
%%r:
	mov qword [resume_rip], 0
	cmp byte [last_vec], VEC_GP
	je %%ok
	bts r15d, 0
%%ok:
%endmacro

check_xsetbv:
	CPUID_BIT 1, 0, ecx, 26
	jc .has
	REPORT "SKIP", "xsetbv.rules", "no XSAVE"
	ret
.has:
	mov eax, 0xD
	xor ecx, ecx
	cpuid
	mov r14d, eax			; supported XCR0 bits 31:0
	xor r15d, r15d
	XSETBV_GP 0			; x87 clear
	XSETBV_GP 1 << 32 | 3		; beyond the supported bits (EDX is 0 on every CPU so far)
	test r14d, 4
	jz .no_avx
	XSETBV_GP 5			; AVX without SSE
.no_avx:
	mov eax, r14d
	and eax, 0x18
	cmp eax, 0x18
	jne .no_mpx
	XSETBV_GP 0x0B			; BNDREGS without BNDCSR
.no_mpx:
	mov eax, r14d
	and eax, 0x60000
	cmp eax, 0x60000
	jne .no_amx
	XSETBV_GP 0x20003		; XTILECFG without XTILEDATA
.no_amx:
	xor ecx, ecx
	mov eax, 3
	xor edx, edx
	xsetbv
	test r15d, r15d
	PASS_IF z, "xsetbv.rules", "x87 clear, unsupported bits, AVX without SSE, MPX and AMX halves are #GP", "an XCR0 value the SDM forbids was taken"
	ret

; ---- debug.* ----------------------------------------------------------------

check_debug:
	; A 4-byte write breakpoint on dr_target, then an exit (CPUID), then
	; the write: DR7 must have survived the exit.
	lea rax, [dr_target]
	mov dr0, rax
	mov eax, 0xFFFF0FF0
	mov dr6, rax
	mov eax, 0x400 | 1 | (1 << 16) | (3 << 18)	; L0, RW0 = write, LEN0 = 4
	mov dr7, rax
	mov dword [db_count], 0
	xor eax, eax
	cpuid
	mov dword [dr_target], 1
	mov eax, 0x400
	mov dr7, rax
	cmp dword [db_count], 1
	jne .dr_bad
	test byte [db_dr6], 1		; B0
	jz .dr_bad
	REPORT "PASS", "debug.dr7", "a DR7 breakpoint armed before CPUID fires after it"
	jmp .step_cpuid
.dr_bad:
	REPORT "FAIL", "debug.dr7", "the DR7 breakpoint did not fire after an exit"

.step_cpuid:
	mov dword [db_count], 0
	xor eax, eax
	pushfq
	or qword [rsp], RFLAGS_TF
	popfq
	cpuid				; the #DB comes after this instruction
.after_cpuid:
	nop
	cmp dword [db_count], 1
	jne .step_bad
	lea rax, [.after_cpuid]
	cmp [db_rip], rax
	jne .step_bad
	test dword [db_dr6], 1 << 14	; BS
	jz .step_bad
	REPORT "PASS", "debug.step-cpuid", "a single step over CPUID traps right after it, DR6.BS set"
	jmp .step_hlt
.step_bad:
	REPORT "FAIL", "debug.step-cpuid", "no single-step #DB right after CPUID"

.step_hlt:
	; HLT with TF set: interrupts on and an APIC timer armed, so that a
	; CPU that waits for an interrupt before the trap wakes too.
	mov dword [db_count], 0
	mov eax, 5000000
	call timer_arm
	sti
	pushfq
	or qword [rsp], RFLAGS_TF
	popfq
	hlt
.after_hlt:
	cli
	cmp dword [db_count], 1
	jne .hlt_bad
	lea rax, [.after_hlt]
	cmp [db_rip], rax
	jne .hlt_bad
	REPORT "PASS", "debug.step-hlt", "a single step over HLT traps right after it"
	ret
.hlt_bad:
	REPORT "FAIL", "debug.step-hlt", "no single-step #DB right after HLT"
	ret

; ---- wait.* -----------------------------------------------------------------

check_mwait:
	CPUID_BIT 1, 0, ecx, 3
	jnc .none
	cmp dword [max_leaf], 5
	jb .none
	mov eax, 5
	cpuid
	and ecx, 3
	cmp ecx, 3			; extensions, interrupt break-event
	je .has
.none:
	REPORT "SKIP", "wait.mwait-if0", "no MWAIT with interrupts as break events"
	ret
.has:
	cli
	mov dword [timer_count], 0
	mov eax, 2000000
	call timer_arm
	lea rax, [monitor_line]
	xor ecx, ecx
	xor edx, edx
	monitor
	mov ecx, 1			; wake on an interrupt, IF = 0
	xor eax, eax
	TRY .refused
	mwait
.refused:
	mov qword [resume_rip], 0
	cmp byte [last_vec], VEC_GP
	jne .woke
	mov ecx, APIC_TIMER_INIT	; stop the timer: nothing will take it
	xor eax, eax
	call apic_write
	REPORT "SKIP", "wait.mwait-if0", "this CPU refuses MWAIT with ECX=1 (#GP) though CPUID.5:ECX offers it (QEMU TCG does)"
	ret
.woke:
	sti				; take it now
	nop
	nop
	cli
	cmp dword [timer_count], 1
	PASS_IF e, "wait.mwait-if0", "MWAIT with interrupts off woke on the APIC timer", "MWAIT with interrupts off: no timer interrupt after it"
	ret

; ---- ram.* ------------------------------------------------------------------

; Maps the 1 GiB at RAX (a multiple of 1 GiB, below 512 GiB) through the
; page directory at RDI, in 2 MiB pages.
map_gib:
	push rax
	push rcx
	push rdx
	mov rdx, rax
	shr rdx, 30
	lea rcx, [rdi + 3]
	lea r8, [pdpt]
	mov [r8 + rdx * 8], rcx
	xor ecx, ecx
.pde:
	mov rdx, rcx
	shl rdx, 21
	add rdx, rax
	or rdx, 0x83
	mov [rdi + rcx * 8], rdx
	inc ecx
	cmp ecx, 512
	jb .pde
	mov rax, cr3
	mov cr3, rax
	pop rdx
	pop rcx
	pop rax
	ret

; probe: write and read back a pattern at the 8 bytes at RAX; ZF = ok.
probe:
	mov rdx, [rax]
	mov rcx, 0x5A5AC3C3A5A53C3C
	xor rcx, rax
	mov [rax], rcx
	cmp [rax], rcx
	mov [rax], rdx
	ret

check_high_ram:
	mov rbp, [mbi]
	test dword [rbp + MI_FLAGS], INFO_MMAP
	jz .none
	mov esi, [rbp + MI_MMAP_ADDR]
	mov r9d, [rbp + MI_MMAP_LENGTH]
	add r9, rsi
	xor r10, r10			; the first RAM above 4 GiB
	xor r11, r11			; the end of the last one
.entry:
	cmp rsi, r9
	jae .scanned
	cmp dword [rsi + 20], 1		; type 1: RAM
	jne .next
	mov rax, [rsi + 4]		; base
	mov rdx, [rsi + 12]		; length
	add rdx, rax
	mov rcx, 1 << 32
	cmp rdx, rcx
	jbe .next
	cmp rax, rcx
	jae .above
	mov rax, rcx			; a range across 4 GiB
.above:
	test r10, r10
	jnz .have_first
	mov r10, rax
.have_first:
	cmp rdx, r11
	jbe .next
	mov r11, rdx
.next:
	mov eax, [rsi]
	lea rsi, [rsi + rax + 4]
	jmp .entry
.scanned:
	test r10, r10
	jnz .found
.none:
	REPORT "SKIP", "ram.high", "no RAM above 4 GiB in the memory map"
	ret
.found:
	mov rax, 512 << 30
	cmp r11, rax
	ja .too_high
	mov rax, r10
	and rax, ~((1 << 30) - 1)
	lea rdi, [pd_high1]
	call map_gib
	mov rax, r11
	sub rax, 8
	and rax, ~((1 << 30) - 1)
	lea rdi, [pd_high2]
	call map_gib
	mov rax, r10
	call probe
	jne .bad
	mov rax, r11
	sub rax, 8
	call probe
	jne .bad
	REPORT "PASS", "ram.high", "the first and last 8 bytes of RAM above 4 GiB read back"
	ret
.too_high:
	REPORT "SKIP", "ram.high", "RAM ends above 512 GiB"
	ret
.bad:
	REPORT "FAIL", "ram.high", "RAM above 4 GiB did not read back what was written"
	ret

; ---- nmi.* ------------------------------------------------------------------

; To this CPU's own APIC ID, not the self shorthand: the SDM allows
; that shorthand with fixed delivery only (vol. 3A 11.6.1), and Bochs
; sends a fixed interrupt for it whatever the delivery mode.
check_nmi:
	mov dword [nmi_count], 0
	call apic_base
	jc .x2
	mov ecx, 0x20			; the APIC ID register, ID in 31:24
	call apic_read
	mov ecx, APIC_ICR_HI
	and eax, 0xFF000000
	call apic_write
	mov ecx, APIC_ICR_LO
	mov eax, (4 << 8) | (1 << 14)	; physical, NMI, assert
	call apic_write
	jmp .wait
.x2:
	mov ecx, 0x802			; the x2APIC ID
	rdmsr
	mov edx, eax			; destination: ICR 63:32
	mov ecx, 0x830			; the x2APIC ICR (SELF IPI cannot send NMIs)
	mov eax, (4 << 8) | (1 << 14)
	wrmsr
.wait:
	mov ecx, 1000000
.spin:
	cmp dword [nmi_count], 0
	jne .arrived
	pause
	loop .spin
.arrived:
	cmp dword [nmi_count], 1
	PASS_IF e, "nmi.self", "a self-NMI through the local APIC arrived once", "the self-NMI did not arrive exactly once"
	ret

; ---- data -------------------------------------------------------------------

msg_check:	db "check: ", 0
msg_unexpected:	db "check: FAIL unexpected exception ", 0
msg_stack:	db " (error code or RIP, then RIP or CS: ", 0
msg_header:	db "check: Keel self-check on ", 0
msg_signature:	db ", CPUID.1:EAX ", 0
msg_backend:	db ", hypercall ", 0
msg_vmx:	db "VMCALL (VT-x)", 0
msg_svm:	db "VMMCALL (AMD-V)", 0
msg_passed:	db " passed, ", 0
msg_failed:	db " failed, ", 0
msg_skipped:	db " skipped", 10, 0
hex_digits:	db "0123456789abcdef"
vendor:		times 13 db 0
hc_is_amd:	db 0

align 8
gdt:		dq 0
		dq 0x00AF9A000000FFFF	; 0x08: 64-bit code
		dq 0x00CF92000000FFFF	; 0x10: data
gdt_end:
gdt_ptr:	dw gdt_end - gdt - 1
		dq gdt
idt_ptr:	dw 256 * 16 - 1
		dq idt
align 16
invpcid_desc:	dq 0, 0

image_end:

ABSOLUTE image_end
alignb 8
mbi:		resq 1
resume_rip:	resq 1
resume_rsp:	resq 1
msr_val:	resq 1
db_rip:		resq 1
db_dr6:		resq 1
passed:		resd 1
failed:		resd 1
skipped:	resd 1
max_leaf:	resd 1
max_ext:	resd 1
db_count:	resd 1
nmi_count:	resd 1
mc_count:	resd 1
timer_count:	resd 1
dr_target:	resd 1
last_vec:	resb 1
alignb 64
monitor_line:	resb 64
alignb 64
xsave_area:	resb 4096
alignb 16
idt:		resb 256 * 16
alignb 4096
pml4:		resb 4096
pdpt:		resb 4096
pds:		resb 4 * 4096
pd_high1:	resb 4096
pd_high2:	resb 4096
		resb 8192
stack_top:
bss_end:
