/* Multiboot (v1) kernel loader (DESIGN.md "Test guests"): finds and checks
 * the Multiboot header, copies an ELF32 image or an a.out-kludge image into
 * guest-physical memory and builds the multiboot_info the kernel receives
 * in EBX. Pure logic: guest memory is reached only through mb_guest_mem,
 * so the host unit test (tests/unit/test_mbload.c) runs it unchanged.
 * Source: the Multiboot Specification 0.6.96, sections 3.1 to 3.3. */
#ifndef KEEL_MBLOAD_H
#define KEEL_MBLOAD_H

#include "../lib/types.h"
#include "../lib/memmap.h"
#include "../lib/multiboot.h"

/* How the loader reaches guest memory. */
struct mb_guest_mem {
	/* true when [gpa, gpa+len) is guest RAM the kernel may occupy */
	bool (*is_ram)(void *ctx, u64 gpa, u64 len);
	/* pointer to guest-physical gpa, contiguous for the whole range
	 * the loader then writes (one segment, or the information area) */
	void *(*ptr)(void *ctx, u64 gpa);
	void *ctx;
};

struct mb_load_result {
	u32 entry;	/* EIP at entry (physical; paging is off) */
	u32 info_gpa;	/* EBX at entry */
	u32 load_start; /* lowest byte the image occupies */
	u32 load_end;	/* highest byte + 1, bss included */
	u32 gdt_gpa;	/* GDTR at entry: the flat GDT below */
	u16 gdt_limit;
};

/* MB 3.2 leaves GDTR undefined and tells the kernel to load its own GDT
 * before it reloads a segment register; GRUB and QEMU's -kernel leave a
 * flat one behind, and kernels that take an exception before loading
 * their own rely on it. Keel gives one too, in the last bytes of the
 * information area: null, then these two, base 0 and limit 4 GiB, with
 * CS and DS/ES/FS/GS/SS loaded from them. */
#define MB_GDT_CODE_SEL 0x08	/* 32-bit code, execute/read, DPL 0 */
#define MB_GDT_DATA_SEL 0x10	/* 32-bit data, read/write, DPL 0 */
#define MB_GDT_ENTRIES 3
#define MB_GDT_SIZE (MB_GDT_ENTRIES * 8)

/* Loads the kernel file[0..size) into guest memory and builds its
 * multiboot_info at [info_gpa, info_gpa + info_size): mem_lower/mem_upper
 * and the memory map from map[0..nmap) (which must already lack Keel's
 * region), the command line cmdline (NULL means empty), the boot loader
 * name "Keel", no modules; and the flat GDT above in the area's last
 * MB_GDT_SIZE bytes (8-aligned). The image is checked whole before anything is
 * written, and copied only after the information structure was built, so
 * a refused kernel never touches guest memory outside the information
 * area. Returns 0 and fills *out, or -1 with a one-line reason in errbuf
 * (errlen bytes, NUL-terminated). */
int mb_load_kernel(const u8 *file, u64 size, const char *cmdline,
		   const struct mem_range *map, int nmap,
		   const struct mb_guest_mem *mem, u32 info_gpa, u32 info_size,
		   struct mb_load_result *out, char *errbuf, size_t errlen);

#endif
