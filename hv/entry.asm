; The hypervisor's entry, in 64-bit mode on stage 2's page tables (the
; first 4 GiB identity-mapped, HV_VIRT_BASE mapped onto the region).
; RDI = 0x2BADB002, RSI = Multiboot info, RDX = region base, RCX = region
; size, R8 = ACPI RSDP or 0, R9 = boot flags (docs/handoff.md). Switch to
; our own stack and call hv_main() with all six.

BITS 64
DEFAULT REL

extern hv_main
global hv_entry, hv_halt, boot_stack_top

BOOT_STACK_SIZE equ 16384

section .text
hv_entry:
	cli
	cld
	lea rsp, [boot_stack_top]
	xor ebp, ebp
	call hv_main			; does not return
hv_halt:
	cli
	hlt
	jmp hv_halt

section .bss
align 16
boot_stack:
	resb BOOT_STACK_SIZE
boot_stack_top:
