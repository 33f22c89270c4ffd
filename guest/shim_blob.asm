; The assembled BIOS shim (guest/bios_shim.asm -> bios_shim.bin), embedded
; in the hypervisor image for guest/bios.c to copy into a BIOS guest's
; memory. The Makefile assembles this with -I pointing at the directory
; that holds bios_shim.bin (build/guest/).

section .rodata
global bios_shim_start, bios_shim_end

bios_shim_start:
	incbin "bios_shim.bin"
bios_shim_end:
